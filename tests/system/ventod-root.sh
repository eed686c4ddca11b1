#!/bin/bash
# ventod-root: ventod started as root by hand says it should not be (and
# runs); started as an unprivileged user it says nothing of the kind. The
# systemd unit keeps it unprivileged: a dynamic user, no capabilities, no
# way to gain privileges.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup

vento_farm 2
unit=$VENTO_ROOT/etc/systemd/ventod.service
warning='running as root, which ventod does not need'

# wait_polling LOG: until ventod has started polling.
wait_polling() {
	local n=100
	until grep -q 'polling 2 devices' "$1"; do
		[ "$n" -le 0 ] && return 1
		n=$((n - 1))
		sleep 0.1
	done
}

if [ "$(id -u)" -eq 0 ]; then
	vento_start_ventod root
	check "as root, ventod starts" wait_polling "$WORK/root.log"
	check "and warns that it should not run as root" grep -q "<4>$warning" "$WORK/root.log"
	vento_stop "$VENTOD"
	check_eq "ventod exits 0" 0 "$?"
	# The same as nobody, with a state directory of its own.
	mkdir -p "$WORK/state-nobody"
	chown nobody "$WORK/state-nobody"
	sed "s|^state_dir = .*|state_dir = \"$WORK/state-nobody\";|" "$WORK/vento.conf" >"$WORK/nobody.conf"
	vento_bg nobody runuser -u nobody -- "$BIN/ventod" -c "$WORK/nobody.conf"
	user_log=$WORK/nobody.log
else
	ok "as root, ventod starts # SKIP not root"
	ok "and warns that it should not run as root # SKIP not root"
	ok "ventod exits 0 # SKIP not root"
	vento_bg user "$BIN/ventod" -c "$WORK/vento.conf"
	user_log=$WORK/user.log
fi
pid=$LAST_PID
check "as an unprivileged user, ventod starts" wait_polling "$user_log"
check "and gives no such warning" eval "! grep -q '$warning' '$user_log'"
vento_stop "$pid"

check "the unit runs ventod as a dynamic user" grep -qx 'DynamicUser=yes' "$unit"
check "never as root" eval "! grep -Eq '^(User|Group)=(root|0)$' '$unit'"
check "with no capabilities" eval "grep -qx 'CapabilityBoundingSet=' '$unit' && grep -qx 'AmbientCapabilities=' '$unit'"
check "and no way to gain privileges" grep -qx 'NoNewPrivileges=yes' "$unit"
check_clean "$WORK"/*.log
tap_done
