#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# demo.sh: "make demo".  Starts a 3-hypervisor testbed of its own, waits for
# the three agents to register their Chassis rows, prints "roam-ctl show",
# and stops the testbed again, however it ends.  Exits non-zero if the
# chassis never appear.  Needs root.
#
# Environment: ROAM_SRCDIR, ROAM_BUILDDIR (set by make; default: this source
# tree), ROAM_DEMO_DIR (default $ROAM_BUILDDIR/demo), ROAM_DEMO_TIMEOUT
# (seconds to wait for the chassis, default 30).

set -u
set -o pipefail

top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
export ROAM_SRCDIR=${ROAM_SRCDIR:-$top}
export ROAM_BUILDDIR=${ROAM_BUILDDIR:-$ROAM_SRCDIR}
DEMO_DIR=${ROAM_DEMO_DIR:-$ROAM_BUILDDIR/demo}
DEMO_PREFIX=demo$$
TIMEOUT=${ROAM_DEMO_TIMEOUT:-30}
HYPERVISORS=3

t0=${EPOCHREALTIME//[!0-9]/}
elapsed() {
    local now=${EPOCHREALTIME//[!0-9]/}
    local us=$((10#$now - 10#$t0))
    printf '%d.%02d s' $((us / 1000000)) $((us % 1000000 / 10000))
}
say() { printf 'demo: [%s] %s\n' "$(elapsed)" "$*"; }

if [ "$(id -u)" != 0 ]; then
    echo "demo: must run as root (the testbed creates network namespaces)" >&2
    exit 1
fi

tb() {
    "$ROAM_SRCDIR/scripts/roam-testbed" --dir "$DEMO_DIR" --prefix "$DEMO_PREFIX" "$@"
}

stopped=
cleanup() {
    local rc=$?
    trap - EXIT INT TERM
    if [ -z "$stopped" ]; then
        stopped=yes
        say "stopping the testbed"
        tb stop 2>&1 | sed 's/^/    /'
        say "stopped; logs in $DEMO_DIR"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# A demo left over from an interrupted run (a different prefix) goes first.
[ -f "$DEMO_DIR/testbed.conf" ] && "$ROAM_SRCDIR/scripts/roam-testbed" --dir "$DEMO_DIR" stop >/dev/null 2>&1
rm -rf "$DEMO_DIR"

say "starting a testbed with $HYPERVISORS hypervisors in $DEMO_DIR (prefix $DEMO_PREFIX)"
if ! tb start --hypervisors "$HYPERVISORS"; then
    say "the testbed did not start"
    exit 1
fi
say "testbed up"

chassis_count() {
    tb ctl --bare --columns=name list Chassis 2>/dev/null | grep -c .
}

say "waiting up to $TIMEOUT s for $HYPERVISORS Chassis rows"
deadline=$((SECONDS + TIMEOUT))
n=0
while :; do
    n=$(chassis_count)
    [ "$n" -ge "$HYPERVISORS" ] && break
    if [ $SECONDS -ge $deadline ]; then
        say "only $n of $HYPERVISORS chassis appeared in $TIMEOUT s"
        for k in $(seq "$HYPERVISORS"); do
            log=$DEMO_DIR/hv$k/roam-agent.log
            [ -f "$log" ] || continue
            echo "--- last lines of $log"
            tail -n 10 "$log"
        done
        exit 1
    fi
    sleep 0.1
done
say "$n chassis registered"

echo "--- roam-ctl show"
tb ctl show
echo "---"
say "demo done"
