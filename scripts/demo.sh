#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# demo.sh: "make demo".  Shows the overlay at work on a 3-hypervisor testbed
# of its own, and stops the testbed again, however it ends:
#
#   network blue, VNI 1001, 198.51.100.0/24 and 2001:db8::/64
#       blue1 on hv1, blue2 on hv2, blue3 on hv3
#   network red,  VNI 1002, 203.0.113.0/24
#       red1 on hv1, red2 on hv3
#
# It waits for the agents to bind the five ports (Port up = true), pings
# across hypervisors within each network (IPv4 and IPv6), live-migrates
# blue2 from hv2 to hv3 under a 1 ms stream (and prints its loss), shows that blue1
# cannot reach red1 although both VMs sit on hv1, and prints "roam-ctl show",
# hv1's "ovs-vsctl show" (its tunnels), hv1's l2_lookup table and what
# "explain-flow" says of its flow for blue2's MAC.  Exits
# non-zero if anything does not come up in time, if an expected ping loses a
# packet, or if the isolation check gets through.  Needs root.
#
# Environment: ROAM_SRCDIR, ROAM_BUILDDIR (set by make; default: this source
# tree), ROAM_DEMO_DIR (default $ROAM_BUILDDIR/demo), ROAM_DEMO_TIMEOUT
# (seconds to wait for each of: the chassis, the ports, the first reply over
# a new path; default 10).

set -u
set -o pipefail

top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
export ROAM_SRCDIR=${ROAM_SRCDIR:-$top}
export ROAM_BUILDDIR=${ROAM_BUILDDIR:-$ROAM_SRCDIR}
DEMO_DIR=${ROAM_DEMO_DIR:-$ROAM_BUILDDIR/demo}
DEMO_PREFIX=demo$$
TIMEOUT=${ROAM_DEMO_TIMEOUT:-10}
HYPERVISORS=3

now_us() { local t=${EPOCHREALTIME//[!0-9]/}; echo "$((10#$t))"; }
fmt_us() { printf '%d.%02d s' $(($1 / 1000000)) $(($1 % 1000000 / 10000)); }
t0=$(now_us)
elapsed() { fmt_us $(($(now_us) - t0)); }
since() { fmt_us $(($(now_us) - $1)); }
say() { printf 'demo: [%s] %s\n' "$(elapsed)" "$*"; }
heading() { printf '\n=== %s\n' "$*"; }
indent() { sed 's/^/    /'; }

if [ "$(id -u)" != 0 ]; then
    echo "demo: must run as root (the testbed creates network namespaces)" >&2
    exit 1
fi

tb() {
    "$ROAM_SRCDIR/scripts/roam-testbed" --dir "$DEMO_DIR" --prefix "$DEMO_PREFIX" "$@"
}

# Background processes the demo started, by PID, for the cleanup.
bg_pids=()
stopped=
cleanup() {
    local rc=$? pid
    trap - EXIT INT TERM
    for pid in "${bg_pids[@]}"; do
        kill "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    done
    if [ -z "$stopped" ]; then
        stopped=yes
        echo
        say "stopping the testbed"
        tb stop 2>&1 | indent
        say "stopped; logs in $DEMO_DIR"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# poll SECS CMD...: runs CMD every 0.1 s until it succeeds or SECS passed.
poll() {
    local deadline=$(($(now_us) + $1 * 1000000))
    shift
    until "$@"; do
        (($(now_us) < deadline)) || return 1
        sleep 0.1
    done
}

# Failed checks, for the summary and the exit status.
failures=()
fail() {
    say "FAILED: $*"
    failures+=("$*")
}

show_agent_logs() {
    local k log
    for k in $(seq "$HYPERVISORS"); do
        log=$DEMO_DIR/hv$k/roam-agent.log
        [ -f "$log" ] || continue
        echo "--- last lines of $log"
        tail -n 10 "$log"
    done
}

# A demo left over from an interrupted run (a different prefix) goes first.
[ -f "$DEMO_DIR/testbed.conf" ] && "$ROAM_SRCDIR/scripts/roam-testbed" --dir "$DEMO_DIR" stop >/dev/null 2>&1
rm -rf "$DEMO_DIR"

# --- The testbed -------------------------------------------------------------
say "starting a testbed with $HYPERVISORS hypervisors in $DEMO_DIR (prefix $DEMO_PREFIX)"
t=$(now_us)
if ! tb start --hypervisors "$HYPERVISORS" 2>&1 | indent; then
    say "the testbed did not start"
    exit 1
fi
say "testbed up ($(since "$t"))"

chassis_registered() {
    [ "$(tb ctl --bare --columns=name list Chassis 2>/dev/null | grep -c .)" -ge "$HYPERVISORS" ]
}
t=$(now_us)
if ! poll "$TIMEOUT" chassis_registered; then
    say "the $HYPERVISORS chassis did not all register within $TIMEOUT s"
    show_agent_logs
    exit 1
fi
say "$HYPERVISORS chassis registered ($(since "$t"))"

# --- Networks, ports and VMs -------------------------------------------------
# NAME HV NETWORK MAC ADDRESS...  (documentation MACs and addresses only)
VMS=(
    "blue1 1 blue 00:00:5e:00:53:11 198.51.100.11/24 2001:db8::11/64"
    "blue2 2 blue 00:00:5e:00:53:12 198.51.100.12/24 2001:db8::12/64"
    "blue3 3 blue 00:00:5e:00:53:13 198.51.100.13/24 2001:db8::13/64"
    "red1  1 red  00:00:5e:00:53:21 203.0.113.21/24"
    "red2  3 red  00:00:5e:00:53:22 203.0.113.22/24"
)

heading "Networks and VMs"
t=$(now_us)
if ! tb ctl net-add blue 1001 || ! tb ctl net-add red 1002; then
    say "could not create the networks"
    exit 1
fi
echo "network blue: VNI 1001, 198.51.100.0/24, 2001:db8::/64"
echo "network red:  VNI 1002, 203.0.113.0/24"
for vm in "${VMS[@]}"; do
    # shellcheck disable=SC2086
    set -- $vm
    name=$1 hv=$2 net=$3 mac=$4
    shift 4
    # The Port row first, then the VM whose interface names it: the agent of
    # its hypervisor claims the port when the interface appears.
    if ! tb ctl port-add "$net" "$name" "$mac" "$@" \
       || ! out=$(tb vm-add "$name" "$hv" "$name" "$mac" "$@" 2>&1); then
        printf '%s\n' "${out:-}" | indent
        say "could not add VM $name"
        exit 1
    fi
    printf '%-6s on hv%s, network %-4s  %s  %s\n' "$name" "$hv" "$net" "$mac" "$*"
done
say "networks, ports and VMs added ($(since "$t"))"

# port_ready PORT K: PORT is bound to hvK and up.
port_ready() {
    [ "$(tb ctl get Port "$1" up 2>/dev/null)" = true ] \
        && [ "$(tb ctl get Port "$1" chassis 2>/dev/null)" \
             = "$(tb ctl get Chassis "hv$2" _uuid 2>/dev/null)" ]
}
all_ports_ready() {
    local vm
    for vm in "${VMS[@]}"; do
        # shellcheck disable=SC2086
        port_ready $vm || return 1
    done
}
if ! poll "$TIMEOUT" all_ports_ready; then
    for vm in "${VMS[@]}"; do
        # shellcheck disable=SC2086
        set -- $vm
        port_ready "$1" "$2" \
            || say "port $1: not bound to hv$2 and up (chassis $(tb ctl get Port "$1" chassis), up $(tb ctl get Port "$1" up))"
    done
    say "not every port came up within $TIMEOUT s"
    show_agent_logs
    exit 1
fi
say "all ${#VMS[@]} ports bound to their hypervisors and up, that is, with their flows confirmed by the switch ($(since "$t") after the first net-add)"

# --- Pings ---------------------------------------------------------------------
# warm_up VM ADDR: pings until the first reply.  The first packets over a new
# path may be lost: the VM's ARP or ND has to be answered and each
# ovs-vswitchd resolves a new tunnel peer on the underlay first.
warm_up() {
    local vm=$1 addr=$2 t out
    t=$(now_us)
    if out=$(tb vm "$vm" ping -n -c 1 -i 0.2 -w "$TIMEOUT" "$addr" 2>&1); then
        printf '  warm-up: first reply after %s request(s), %s\n' \
            "$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$out")" \
            "$(since "$t")"
        return 0
    fi
    printf '  warm-up: no reply within %s s\n' "$TIMEOUT"
    return 1
}

# ping_check LABEL VM ADDR: warms up, then 5 measured pings, none lost.
ping_check() {
    local label=$1 vm=$2 addr=$3 out sent received
    heading "$label"
    if ! warm_up "$vm" "$addr"; then
        fail "$label: no reply"
        return
    fi
    echo "  $vm\$ ping -c 5 -i 0.2 $addr"
    out=$(tb vm "$vm" ping -n -c 5 -i 0.2 -W 1 "$addr" 2>&1)
    grep -E 'packets transmitted|^rtt' <<<"$out" | sed 's/^/  /'
    sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$out")
    received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
    if [ -z "$sent" ] || [ "$sent" != "$received" ]; then
        fail "$label: ${received:-0} of ${sent:-5} replies"
    else
        echo "  ok: every ping answered"
    fi
}

t=$(now_us)
ping_check "blue1 (hv1) -> blue2 (hv2), IPv4, across hypervisors" blue1 198.51.100.12
ping_check "blue1 (hv1) -> blue2 (hv2), IPv6" blue1 2001:db8::12
ping_check "blue2 (hv2) -> blue3 (hv3), IPv4" blue2 198.51.100.13
ping_check "red1 (hv1) -> red2 (hv3), IPv4" red1 203.0.113.22

# --- Isolation -------------------------------------------------------------------
# blue1 and red1 share hv1 and br-int.  So that only the overlay stands
# between them, blue1 is told that red's subnet is on its link and what
# red1's MAC is: its pings leave it addressed to red1.  red1 must see none of
# them, nor anything else from blue1.
heading "blue1 (blue) -> red1 (red, 203.0.113.21), both on hv1: must fail"
red1_mac=00:00:5e:00:53:21
blue1_mac=00:00:5e:00:53:11
cap=$DEMO_DIR/red1-from-blue1.pcap
tb vm blue1 ip route add 203.0.113.0/24 dev eth0
tb vm blue1 ip neigh replace 203.0.113.21 lladdr "$red1_mac" dev eth0 nud permanent
echo "  blue1\$ ip route add 203.0.113.0/24 dev eth0"
echo "  blue1\$ ip neigh replace 203.0.113.21 lladdr $red1_mac dev eth0 nud permanent"
echo "  blue1\$ ping -c 3 -i 0.2 -W 1 203.0.113.21"
# Not through tb(), a function, which would put a subshell between $! and
# timeout(1): roam-testbed execs "ip netns exec", which execs timeout, so $!
# is timeout's PID and killing it stops tcpdump too.
"$ROAM_SRCDIR/scripts/roam-testbed" --dir "$DEMO_DIR" --prefix "$DEMO_PREFIX" \
    vm red1 timeout 20 tcpdump -i eth0 -n -U -w "$cap" ether src "$blue1_mac" \
    >/dev/null 2>"$cap.err" &
cap_pid=$!
bg_pids+=("$cap_pid")
capture_ready() { grep -q 'listening on' "$cap.err" 2>/dev/null; }
if ! poll 5 capture_ready; then
    fail "isolation: tcpdump in red1 did not start: $(cat "$cap.err" 2>/dev/null)"
else
    out=$(tb vm blue1 ping -n -c 3 -i 0.2 -W 1 203.0.113.21 2>&1)
    sleep 0.2
    kill "$cap_pid" 2>/dev/null
    wait "$cap_pid" 2>/dev/null
    grep -E 'packets transmitted' <<<"$out" | sed 's/^/  /'
    sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$out")
    received=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
    seen=$(tcpdump -n -r "$cap" 2>/dev/null | wc -l)
    echo "  packets from blue1's MAC seen by red1: $seen"
    if [ -z "$sent" ] || [ "$sent" = 0 ]; then
        fail "isolation: blue1 sent no ping, the check proves nothing: $out"
    elif [ "${received:-0}" != 0 ] || [ "$seen" != 0 ]; then
        fail "isolation: blue1 reached red1 ($received replies, $seen packets seen by red1)"
    else
        echo "  isolated: no reply, as expected"
    fi
fi
say "pings and isolation checked ($(since "$t"))"

# --- A live migration under a 1 ms stream --------------------------------------
heading "live migration of blue2 from hv2 to hv3, under a 1 ms stream from blue1"
t=$(now_us)
STREAM=$ROAM_BUILDDIR/tests/roam-stream
tb vm blue1 ip neigh replace 198.51.100.12 lladdr 00:00:5e:00:53:12 dev eth0 nud permanent
tb vm blue2 ip neigh replace 198.51.100.11 lladdr 00:00:5e:00:53:11 dev eth0 nud permanent
tb vm blue2 "$STREAM" echo --pidfile "$DEMO_DIR/echo.pid" \
    --summary "$DEMO_DIR/echo.out" &
poll 5 test -s "$DEMO_DIR/echo.pid"
tb vm blue1 "$STREAM" send --to 198.51.100.12 --duration 4 \
    --summary "$DEMO_DIR/stream.out" &
stream_pid=$!
sleep 0.5
echo "  roam-ctl --wait=hv port-migrate blue2 hv3   (requested_chassis hv2,hv3)"
tb ctl --wait=hv --timeout=20 port-migrate blue2 hv3 \
    || fail "live migration: port-migrate failed"
echo "  hv3: the paused VM's interface is plugged: standby, gets a copy of the traffic"
tb vm-migrate blue2 3 --prepare >/dev/null || fail "live migration: prepare failed"
sleep 0.5
echo "  the VM resumes on hv3 and sends its RARP: hv3 activates, hv2 stops"
tb vm-migrate blue2 --finish >/dev/null || fail "live migration: finish failed"
wait "$stream_pid"
kill "$(cat "$DEMO_DIR/echo.pid")" 2>/dev/null
sleep 0.3
tb ctl port-migrate-finish blue2
echo "  stream from blue1: $(cat "$DEMO_DIR/stream.out")"
echo "  blue2's echo server: $(cat "$DEMO_DIR/echo.out" 2>/dev/null)"
lost=$(sed -n 's/.*lost=\([0-9]*\).*/\1/p' "$DEMO_DIR/stream.out")
if [ "${lost:-x}" != 0 ]; then
    fail "live migration: the stream lost ${lost:-?} packets"
    # What the two ends saw: their packet-ins, held packets and meters.
    for k in 2 3; do
        echo "  --- hv$k: agent status (packet-ins, held packets, VIFs)"
        tb hv "$k" ovs-appctl -t roam-agent status 2>&1 \
            | grep -E 'packet-ins|held packets|meter|blue2' | indent
        tb hv "$k" ovs-ofctl -O OpenFlow15 meter-stats br-int 2>&1 | indent
    done
else
    echo "  no packet lost"
fi
tb ctl migration-list blue2 | indent
say "live migration shown ($(since "$t"))"

# --- What the operator sees -------------------------------------------------------
heading "roam-ctl show"
tb ctl show

heading "hv1: ovs-vsctl show (one tunnel port per remote chassis)"
tb hv 1 ovs-vsctl show

heading "hv1: ovs-ofctl --names dump-flows br-int table=l2_lookup"
tb hv 1 ovs-ofctl --names dump-flows br-int table=l2_lookup

# From a flow back to its row: hv1's flow for blue2's MAC, which now leads
# into the tunnel to hv3.
flow=$(tb hv 1 ovs-ofctl -O OpenFlow15 --no-names --no-stats dump-flows br-int \
           "table=20,dl_dst=00:00:5e:00:53:12" | head -n 1)
heading "hv1: ovs-appctl -t roam-agent explain-flow '${flow# }'"
if ! tb hv 1 ovs-appctl -t roam-agent explain-flow "$flow"; then
    fail "explain-flow could not explain hv1's flow for blue2's MAC"
fi

echo
if [ ${#failures[@]} -ne 0 ]; then
    say "${#failures[@]} check(s) FAILED:"
    printf '    %s\n' "${failures[@]}"
    show_agent_logs
    exit 1
fi
say "demo done: every check passed"
