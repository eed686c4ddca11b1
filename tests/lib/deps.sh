#!/bin/sh
# deps.sh - installs the Debian packages listed in etc/debian-packages that
# are missing: with apt-get when run as root, otherwise it prints the exact
# command to run and fails.
set -eu
here=$(dirname "$0")
list="$here/../../etc/debian-packages"
missing=""
for pkg in $(grep -v '^#' "$list"); do
	if ! dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null |
		grep -q 'ok installed'; then
		missing="$missing $pkg"
	fi
done
[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
	echo "vento needs these Debian packages:$missing" >&2
	echo "run: sudo apt-get update && sudo apt-get install -y$missing" >&2
	exit 1
fi
echo "deps: installing$missing" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -q >&2
apt-get install -y -q --no-install-recommends $missing >&2
