#!/bin/sh
# Installs the Debian packages that building, testing and running Roam need.
#
# Idempotent and quick when everything is present: it asks dpkg which packages
# are missing and runs "apt-get update" and "apt-get install" only for those.
# Run as root on Debian 12.

set -e

PACKAGES="build-essential autoconf automake libtool pkg-config python3
libssl-dev libcap-ng-dev libnl-3-dev libnl-route-3-dev libcmocka-dev
openvswitch-source openvswitch-common openvswitch-switch
iproute2 iputils-ping ethtool tcpdump procps util-linux"

missing=
for pkg in $PACKAGES; do
    status=$(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null || true)
    if [ "$status" != installed ]; then
        missing="$missing $pkg"
    fi
done

if [ -z "$missing" ]; then
    echo "install-deps: all packages present"
    exit 0
fi

if [ "$(id -u)" != 0 ]; then
    echo "install-deps: missing packages:$missing" >&2
    echo "install-deps: run this script as root to install them" >&2
    exit 1
fi

echo "install-deps: installing:$missing"
export DEBIAN_FRONTEND=noninteractive
# Installing openvswitch-switch tries to start its service.  The testbed runs
# its own daemons, so keep the package's from starting where there is no init
# system to manage them.
policy=/usr/sbin/policy-rc.d
created_policy=
if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' > "$policy"
    chmod 755 "$policy"
    created_policy=yes
fi
trap '[ -n "$created_policy" ] && rm -f "$policy"' EXIT
start=$(date +%s)
apt-get update -q
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing
echo "install-deps: done in $(( $(date +%s) - start )) s"
