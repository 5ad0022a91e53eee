# shellcheck shell=bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# lib.sh: sourced by every tests/system/test-*.sh.  run.sh runs each test in
# its own bash with ROAM_SRCDIR and ROAM_BUILDDIR exported.
#
# Each test gets its own testbed instance: the prefix "rt<pid>" and the
# directory $ROAM_BUILDDIR/tests/system/run/NAME (emptied when the test
# starts; the testbed's logs stay there after it ends).  An EXIT trap stops
# that instance however the test ends.
#
#   tb ARGS...               roam-testbed for this test's instance
#   ctl ARGS...              tb ctl ARGS... (roam-ctl on the central DB)
#   on_exit CMD              run CMD (a string) at exit, before the testbed
#                            stops; e.g. to kill a background process by pid
#   fail MSG                 print "FAIL: MSG" and exit 1
#   check CMD...             run CMD; fail with it and its output if non-zero
#   wait_until [-t S] CMD... poll CMD every 0.1 s for S s (default 10); fail
#                            naming CMD (and its last output) on timeout.
#                            A "$(...)" among CMD's arguments is expanded
#                            once, before polling: poll a function instead.
#   assert_eq EXP ACT WHAT   fail unless EXP = ACT
#   skip MSG                 exit 77: run.sh reports SKIP
#   alive PIDFILE            the process of PIDFILE runs (not a zombie)
#   tcp_exchange VM ADDR CLIENT  a TCP round trip from VM CLIENT to a server
#                            in VM on ADDR (ping alone does not show broken
#                            checksums)
#
# Tests use "set -u" style robustness but not "set -e": use check.

: "${ROAM_SRCDIR:?ROAM_SRCDIR must be set (run tests through tests/system/run.sh)}"
: "${ROAM_BUILDDIR:?ROAM_BUILDDIR must be set (run tests through tests/system/run.sh)}"
export ROAM_SRCDIR ROAM_BUILDDIR

TEST_NAME=$(basename "$0" .sh)
TB_PREFIX=rt$$
TB_DIR=$ROAM_BUILDDIR/tests/system/run/$TEST_NAME
TB=$ROAM_SRCDIR/scripts/roam-testbed

skip() {
    echo "SKIP: $*"
    exit 77
}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

[ "$(id -u)" = 0 ] || skip "system tests must run as root"
for _t in ovsdb-server ovs-vswitchd ovs-vsctl ip ethtool; do
    command -v "$_t" >/dev/null || skip "$_t is not installed"
done
unset _t

tb() {
    "$TB" --dir "$TB_DIR" --prefix "$TB_PREFIX" "$@"
}

ctl() {
    tb ctl "$@"
}

_on_exit_cmds=()
on_exit() {
    _on_exit_cmds+=("$1")
}

_lib_exit() {
    local rc=$? c
    trap - EXIT
    for c in "${_on_exit_cmds[@]}"; do
        eval "$c" || true
    done
    echo "stopping testbed $TB_PREFIX (exit status $rc)"
    if ! tb stop 2>&1; then
        echo "FAIL: testbed stop failed"
        rc=1
    fi
    exit "$rc"
}
trap _lib_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

check() {
    local out rc
    out=$("$@" 2>&1)
    rc=$?
    if [ $rc -ne 0 ]; then
        printf 'command failed (exit %d): %s\n' "$rc" "$*" >&2
        [ -n "$out" ] && printf '%s\n' "$out" | sed 's/^/    /' >&2
        fail "$*"
    fi
    [ -n "$out" ] && printf '%s\n' "$out"
    return 0
}

wait_until() {
    local secs=10 out
    if [ "${1:-}" = -t ]; then
        secs=$2
        shift 2
    fi
    local now deadline
    deadline=${EPOCHREALTIME//[!0-9]/}
    deadline=$((10#$deadline + secs * 1000000))
    while :; do
        if out=$("$@" 2>&1); then
            return 0
        fi
        now=${EPOCHREALTIME//[!0-9]/}
        if ((10#$now >= deadline)); then
            printf 'timed out after %s s waiting until: %s\n' "$secs" "$*" >&2
            [ -n "$out" ] && printf '%s\n' "$out" | tail -n 20 | sed 's/^/    /' >&2
            fail "timeout: $*"
        fi
        sleep 0.1
    done
}

assert_eq() {
    [ "$1" = "$2" ] || fail "$3: expected \"$1\", got \"$2\""
}

alive() {
    local pid stat
    pid=$(cat "$1" 2>/dev/null) || return 1
    stat=$(cat "/proc/$pid/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat:0:1}" != Z ]
}

tcp_exchange() {
    local srv=$1 addr=$2 cli=$3 pid out
    tb vm "$srv" timeout 10 python3 -c '
import socket, sys
s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind((sys.argv[1], 5001)); s.listen(1)
c, _ = s.accept(); c.sendall(c.recv(100).upper()); c.close()' "$addr" &
    pid=$!
    out=$(tb vm "$cli" timeout 10 python3 -c '
import socket, sys, time
for i in range(50):
    try:
        s = socket.create_connection((sys.argv[1], 5001), timeout=3); break
    except ConnectionRefusedError:
        time.sleep(0.1)
s.sendall(b"roam"); print(s.recv(100).decode())' "$addr" 2>&1)
    wait $pid
    assert_eq ROAM "$out" "TCP exchange $cli -> $srv ($addr)"
}

# A previous run of this test that was killed may have left its instance.
[ -f "$TB_DIR/testbed.conf" ] && "$TB" --dir "$TB_DIR" stop >/dev/null 2>&1
rm -rf "$TB_DIR"
mkdir -p "$TB_DIR"
echo "test $TEST_NAME: testbed prefix $TB_PREFIX, dir $TB_DIR"
