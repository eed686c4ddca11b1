#!/bin/bash
# install: make install into a DESTDIR puts every part where an operator
# expects it; the installed binaries run (a configuration check, the
# schema from the installed files, ventod storing rows from ventosim); make
# uninstall takes it all away again.
set -u
. "$(dirname "$0")/../lib/common.sh"
vento_setup
dest=$WORK/dest
make -s -C "$VENTO_ROOT" install DESTDIR="$dest" PREFIX=/usr SYSCONFDIR=/etc \
	BUILD="$WORK/build" >"$WORK/make.log" 2>&1
check_eq "make install succeeds" 0 "$?"
for f in usr/sbin/ventod usr/bin/ventoctl \
	usr/lib/vento/plugins/vento-sim-gen2.so usr/share/vento/schema/001_base.sql \
	etc/vento/vento.conf etc/vento/profiles/vento-sim-4500.conf \
	usr/lib/systemd/system/ventod.service usr/share/man/man8/ventod.8 \
	usr/share/man/man1/ventoctl.1 usr/share/man/man5/vento.conf.5 \
	usr/share/vento/grafana/provisioning; do
	check "installed: /$f" test -e "$dest/$f"
done
check "the unit runs the installed ventod" grep -q '^ExecStart=/usr/sbin/ventod -c /etc/vento/vento.conf' \
	"$dest/usr/lib/systemd/system/ventod.service"
# groff with every warning on: an undefined macro or a bad escape is a
# line of output, which fails the check (man -l formats whatever it gets).
if command -v groff >/dev/null; then
	for page in man1/ventoctl.1 man5/vento.conf.5 man8/ventod.8; do
		warned=$(groff -man -ww -z "$dest/usr/share/man/$page" 2>&1)
		check_eq "the man page $page formats without a warning" "" "$warned"
	done
else
	skip "the man pages format without a warning" "groff not installed"
fi
check "ventod -V runs" "$dest/usr/sbin/ventod" -V
strings "$dest/usr/sbin/ventod" | grep -q '^/etc/vento/vento.conf$'
check_eq "the configuration path is compiled in for PREFIX=/usr" 0 "$?"

# The installed configuration, pointed at this test's farm and database.
base=$(vento_free_base 3)
vento_write_conf "$WORK/test.conf" 3 "$base"
sed -e "s|^profile_dir = .*|profile_dir = \"$dest/etc/vento/profiles\";|" \
	-e "s|^plugin_dir = .*|plugin_dir = \"$dest/usr/lib/vento/plugins\";|" \
	"$WORK/test.conf" >"$WORK/installed.conf"
check "the installed ventod accepts the configuration" "$dest/usr/sbin/ventod" -n -c "$WORK/installed.conf"
pg_start "$WORK" || { echo "Bail out! PostgreSQL did not start"; exit 1; }
check "the installed ventoctl applies the installed schema" \
	"$dest/usr/bin/ventoctl" -c "$WORK/installed.conf" --schema-dir "$dest/usr/share/vento/schema" migrate
vento_bg sim "$BIN/ventosim" -c "$WORK/installed.conf" --ready "$WORK/sim.ready"
vento_wait_file "$WORK/sim.ready" 20
vento_bg ventod "$dest/usr/sbin/ventod" -c "$WORK/installed.conf"
check "the installed ventod stores rows" vento_wait_drained 30
sleep 2
vento_stop "$LAST_PID"
check "three turbines' good rows" test "$(vento_psql -c "SELECT count(DISTINCT device_id) FROM raw_sample WHERE quality = 0")" = 3

# An out-of-tree driver, built with the one documented command against
# the installed header, found through the installed pkg-config file.
mkdir -p "$WORK/acme"
cat >"$WORK/acme/acme.c" <<'DRIVER'
#include <stddef.h>
#include <vento-plugin.h>
static void acme_derive(const struct vento_plugin_sample *s)
{
	double rpm;
	if (s->get(s->ctx, "wrot_rotspd", &rpm))
		s->set(s->ctx, "wgen_spd", rpm * 100);
}
static const struct vento_plugin acme = { VENTO_PLUGIN_ABI, "acme", NULL, acme_derive };
const struct vento_plugin *vento_plugin_init(void) { return &acme; }
DRIVER
check "the pkg-config file is installed" test -e "$dest/usr/share/pkgconfig/vento-plugin.pc"
cflags=$(PKG_CONFIG_PATH="$dest/usr/share/pkgconfig" PKG_CONFIG_SYSROOT_DIR="$dest" pkg-config --cflags vento-plugin)
cflags=${cflags% }
check_eq "and names the installed header" "-I$dest/usr/include/vento" "$cflags"
check "an out-of-tree driver builds with it" \
	cc -Wall -Werror -shared -fPIC $cflags -o "$dest/usr/lib/vento/plugins/acme.so" "$WORK/acme/acme.c"
mkdir -p "$WORK/acme/profiles"
sed -e 's/^plugin = .*//' -e 's/^name = .*/name = "acme";\nplugin = "acme";/' \
	-e 's/^\(  { name = "wgen_spd".*\)$/  { name = "wgen_spd"; derived = true; unit = "rpm"; },/' \
	"$dest/etc/vento/profiles/vento-sim-4500.conf" >"$WORK/acme/profiles/acme.conf"
check "its profile derives a signal" grep -q '"wgen_spd"; derived = true' "$WORK/acme/profiles/acme.conf"
sed -e "s|^profile_dir = .*|profile_dir = \"$WORK/acme/profiles\";|" \
	-e 's/profile = "vento-sim-4500"/profile = "acme"/' "$WORK/installed.conf" >"$WORK/acme.conf"
check "the installed ventod loads it" "$dest/usr/sbin/ventod" -n -c "$WORK/acme.conf"

make -s -C "$VENTO_ROOT" uninstall DESTDIR="$dest" PREFIX=/usr SYSCONFDIR=/etc BUILD="$WORK/build" >/dev/null 2>&1
check_eq "make uninstall removes the programs" "" "$(find "$dest/usr/sbin" "$dest/usr/bin" -type f 2>/dev/null)"
check "and the unit and manuals" test ! -e "$dest/usr/lib/systemd/system/ventod.service" -a ! -e "$dest/usr/share/man/man8/ventod.8"
check "and the header and pkg-config file" test ! -e "$dest/usr/include/vento/vento-plugin.h" -a ! -e "$dest/usr/share/pkgconfig/vento-plugin.pc"
tap_done
