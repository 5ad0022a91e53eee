#!/bin/sh
# Builds the parts of Open vSwitch that Roam links against (libopenvswitch,
# its generated headers and the Open_vSwitch IDL) from Debian's
# openvswitch-source tarball, into a cache directory outside the git tree.
#
# Prints the absolute path of the built tree on stdout; progress goes to
# stderr.  A second run with the same tarball, flags and compiler reuses the
# cache (the ".complete" stamp) and takes well under a second.
#
# Environment:
#   ROAM_OVS_CACHE  cache root (default /var/cache/roam)
#   OVS_CFLAGS      CFLAGS for the OVS build (default "-g -O2")
#   OVS_TARBALL     source tarball (default /usr/src/openvswitch/openvswitch.tar.gz)

set -e

RECIPE_VERSION=1
CACHE_ROOT=${ROAM_OVS_CACHE:-/var/cache/roam}
TARBALL=${OVS_TARBALL:-/usr/src/openvswitch/openvswitch.tar.gz}
CFLAGS_OVS=${OVS_CFLAGS:--g -O2}
CONFIGURE_FLAGS="--prefix=/usr --localstatedir=/var --sysconfdir=/etc \
--enable-silent-rules --disable-afxdp \
ac_cv_lib_unbound_ub_ctx_create=no ac_cv_lib_unwind_unw_backtrace=no"

log() {
    echo "build-ovs: $*" >&2
}

die() {
    log "error: $*"
    exit 1
}

[ -r "$TARBALL" ] || die "$TARBALL not found; install it with: \
apt-get install openvswitch-source (or run scripts/install-deps.sh)"

key=$( (sha256sum < "$TARBALL"; echo "$CONFIGURE_FLAGS"; echo "$CFLAGS_OVS";
        gcc -dumpfullversion; echo "$RECIPE_VERSION") | sha256sum | cut -c1-12)

mkdir -p "$CACHE_ROOT"
exec 9> "$CACHE_ROOT/.lock"
flock 9

# The version inside the tarball.
version=$(tar -xzOf "$TARBALL" openvswitch/configure \
          | sed -n "s/^PACKAGE_VERSION='\(.*\)'$/\1/p")
[ -n "$version" ] || die "cannot read the OVS version from $TARBALL"

# The library must match the Open vSwitch that runs the switch.
if command -v ovs-vsctl >/dev/null 2>&1; then
    installed=$(ovs-vsctl --version | sed -n '1s/.* \([0-9][0-9.]*\)$/\1/p')
    if [ "$installed" != "$version" ]; then
        die "installed Open vSwitch is $installed but $TARBALL holds \
$version; install matching openvswitch-source and openvswitch-switch"
    fi
fi

dir=$CACHE_ROOT/openvswitch-$version-$key
if [ -e "$dir/.complete" ]; then
    echo "$dir/openvswitch"
    exit 0
fi

# Remove incomplete builds and builds with other keys.
for old in "$CACHE_ROOT"/openvswitch-*; do
    [ -e "$old" ] || continue
    if [ "$old" != "$dir" ] || [ ! -e "$old/.complete" ]; then
        log "removing stale $old"
        rm -rf "$old"
    fi
done

start=$(date +%s)
elapsed() {
    echo "$(( $(date +%s) - start )) s"
}

# Build in the final place: libtool archives hold absolute paths.
mkdir -p "$dir"
log "unpacking Open vSwitch $version into $dir"
tar -xzf "$TARBALL" -C "$dir"
cd "$dir/openvswitch"

log "configuring ($(elapsed))"
# shellcheck disable=SC2086
./configure $CONFIGURE_FLAGS CFLAGS="$CFLAGS_OVS" > "$dir/configure.log" 2>&1 \
    || die "configure failed, see $dir/configure.log"

log "generating headers ($(elapsed))"
jobs=$(nproc 2>/dev/null || echo 2)
make -j"$jobs" include/odp-netlink.h include/odp-netlink-macros.h \
    lib/vswitch-idl.h lib/vswitch-idl.c \
    lib/ovsdb-server-idl.h lib/ovsdb-server-idl.c > "$dir/make.log" 2>&1 \
    || die "header generation failed, see $dir/make.log"

log "building libopenvswitch ($(elapsed), about a minute)"
make -j"$jobs" lib/libopenvswitch.la >> "$dir/make.log" 2>&1 \
    || die "library build failed, see $dir/make.log"

touch "$dir/.complete"
log "done in $(elapsed)"
echo "$dir/openvswitch"
