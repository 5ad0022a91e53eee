#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# What a live migration's destination VIF sends the agent before its
# activation is bounded by OpenFlow meters in the switch, not only by the
# agent's queues: a VM that floods from its standby interface makes the
# switch drop the excess, the agent receives at most what the meter lets
# through, and the activation by the VM's RARP works afterwards.
#
# The agent sets meter 1 (the RARPs that activate: 100 packets/s, bursts of
# 16) and meter 2 (everything else: 1,000 packets/s, bursts of 256); the
# standby flows name them in their "controller" actions.

. "$ROAM_SRCDIR/tests/system/lib.sh"
. "$ROAM_SRCDIR/tests/system/agent-lib.sh"

start_two_vms

# --- The meters are in the switch -------------------------------------------
meters() {
    tb hv 1 ovs-ofctl -O OpenFlow15 dump-meters br-int
}
meter_is() {  # ID RATE BURST
    meters | grep -q "meter=$1 pktps burst stats bands=$" \
        && meters | grep -A1 "meter=$1 " \
           | grep -q "type=drop rate=$2 burst_size=$3"
}
wait_until meter_is 1 100 16
wait_until meter_is 2 1000 256
agent_status 1 | grep -q '^ *meter 1: 100 packets/s, bursts of 16$' \
    || fail "hv1's status does not show meter 1"
agent_status 1 | grep -q '^ *meter [0-9]*:.*refused' \
    && fail "hv1's switch refused a meter"
echo "ok: hv1's switch has the agent's meters"

# ...and stay through a restart of the agent (ADD fails, MODIFY sets them)
# without a warning.
check tb agent-stop 1
check tb agent-start 1
wait_until agent_status 1
wait_until status_has 1 "  state: SYNCED"
check meter_is 1 100 16
check meter_is 2 1000 256
grep -q "refused meter" "$(agent_log 1)" \
    && fail "hv1's agent logged a refused meter after its restart"

# --- A standby VIF that floods -----------------------------------------------
check ctl --wait=hv --timeout=20 port-migrate v2 hv1
check tb vm-migrate v2 1 --prepare
wait_until port_standby_on v2 hv1
standby_flows() {
    tb hv 1 ovs-ofctl -O OpenFlow15 --names dump-flows br-int table=0 \
        | grep 'controller(' | grep 'in_port='
}
# The standby flows are the VIF's (in_port) flows to the controller: the
# RARP flow (ovs-ofctl prints its dl_type as "rarp") uses meter 1, the
# other standby flow meter 2.
has_metered_standby_flows() {
    standby_flows | grep -E '[ ,](rarp|dl_type=0x8035),' \
        | grep -q 'meter_id=1' \
        && standby_flows | grep -v -E '[ ,](rarp|dl_type=0x8035),' \
           | grep -q 'meter_id=2'
}
wait_until has_metered_standby_flows
newif=$(tb vm v2 ip -o link show \
            | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' \
            | grep -v -x -e lo -e "$(tb vm v2 ip -o -4 addr show \
                                        to 198.51.100.2 | awk '{ print $2 }')")
[ -n "$newif" ] || fail "v2 has no second interface after --prepare"

# received_packet_ins: packet-ins hv1's agent read (queued and dropped).
received_packet_ins() {
    agent_status 1 | sed -n 's/^ *packet-ins: \([0-9]*\) (waiting [0-9]*, '\
'dropped \([0-9]*\)).*/\1 \2/p' | awk '{ print $1 + $2 }'
}
meter_counts() {  # ID: "IN DROPPED" of meter ID in hv1's switch
    tb hv 1 ovs-ofctl -O OpenFlow15 meter-stats br-int "meter=$1" | awk '
        { for (i = 1; i <= NF; i++) {
              if ($i ~ /^packet_in_count:/) { sub(/.*:/, "", $i); seen = $i }
          } }
        $1 == "0:" && $2 ~ /^packet_count:/ { sub(/.*:/, "", $2); drop = $2 }
        END { if (seen != "" && drop != "") print seen, drop }'
}
# flood N: N frames from v2's standby interface, as fast as Python sends
# them (UDP to v1, which hv1 may deliver only after the activation).
flood() {
    tb vm v2 python3 -c '
import socket, sys
eth = bytes.fromhex("00005e005301" "00005e005302" "0800")
ip = bytes.fromhex("4500002e0001000040110000" "c6336402" "c6336401")
udp = bytes.fromhex("9c400009001a0000") + b"flood-before-activation"[:18]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for _ in range(int(sys.argv[2])):
    s.send(eth + ip + udp)' "$newif" "$1"
}
# flood_is_metered WHAT: 20,000 frames; meter 2 must see more of them than
# it lets through in that time (so the standby flow uses it), drop some,
# and the agent must read no more packet-ins than the meter passed.
flood_is_metered() {
    local in0 dropped0 pins0 in1 dropped1 pins1 t0 t1 secs metered dropped
    local pins passed max
    read -r in0 dropped0 <<<"$(meter_counts 2)"
    pins0=$(received_packet_ins)
    [ -n "$in0" ] && [ -n "$dropped0" ] && [ -n "$pins0" ] \
        || fail "$1: cannot read meter 2's statistics or the packet-ins"
    t0=$EPOCHREALTIME
    check flood 20000
    t1=$EPOCHREALTIME
    sleep 0.5
    read -r in1 dropped1 <<<"$(meter_counts 2)"
    pins1=$(received_packet_ins)
    secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
    metered=$((in1 - in0))
    dropped=$((dropped1 - dropped0))
    pins=$((pins1 - pins0))
    passed=$((metered - dropped))
    max=$(awk -v s="$secs" 'BEGIN { printf "%d", (s + 0.5) * 1000 + 256 }')
    echo "$1: 20000 frames sent in $secs s; meter 2 saw $metered, passed" \
         "$passed (at most $max), dropped $dropped; the agent read $pins" \
         "packet-ins"
    [ "$metered" -gt "$max" ] \
        || fail "$1: meter 2 saw only $metered frames: does the flow use it?"
    [ "$dropped" -gt 0 ] || fail "$1: meter 2 dropped nothing"
    [ "$passed" -le "$max" ] \
        || fail "$1: meter 2 let $passed frames through, more than $max"
    # The RARP meter's few packets and rounding: a little slack.
    [ "$pins" -gt 0 ] && [ "$pins" -le $((passed + 20)) ] \
        || fail "$1: the agent read $pins packet-ins, meter 2 passed $passed"
}
flood_is_metered "flood"
echo "ok: the switch's meter bounds what a flooding standby VIF sends" \
     "the agent"

# --- Flows added while their meters were missing ---------------------------
# As ovs-save restores flows while ovs-vswitchd restarts, before the agent
# sets its meters: ovs-vswitchd resolves a controller action's meter only
# when it adds the flow, so these have no limit.  "recompute" sets the
# meters again and adds the flows that use them again, so that they find
# them.
check tb hv 1 ovs-ofctl -O OpenFlow15 del-meters br-int
meters | grep -q "meter=" && fail "del-meters left meters behind"
tb hv 1 ovs-ofctl -O OpenFlow15 --no-names --no-stats dump-flows br-int \
    table=0 | grep 'controller(' | grep 'in_port=' | sed 's/^ *//' \
    >"$TB_DIR/standby.flows"
[ "$(wc -l <"$TB_DIR/standby.flows")" = 2 ] \
    || fail "expected 2 standby flows: $(cat "$TB_DIR/standby.flows")"
check tb hv 1 ovs-ofctl -O OpenFlow15 add-flows br-int "$TB_DIR/standby.flows"
check tb hv 1 ovs-appctl -t roam-agent recompute
wait_until meter_is 1 100 16
wait_until meter_is 2 1000 256
flood_is_metered "flood after flows were added before their meters"
grep -q "flows again, so that they find their meters" "$(agent_log 1)" \
    || fail "hv1's agent did not log the flows it added again"
echo "ok: recompute restores the meters, and the flows use them"

# --- The activation works during a flood -------------------------------------
# RARPs have a meter of their own: qemu's announcements get through while
# the VM floods.
flood 60000 &
flood_pid=$!
on_exit "kill $flood_pid 2>/dev/null"
sleep 0.3
check tb vm-migrate v2 --finish
wait_until port_on v2 hv1
wait_until port_up v2
wait "$flood_pid"
ping_ok() {
    tb vm v1 ping -c 1 -W 1 198.51.100.2 >/dev/null 2>&1
}
wait_until -t 15 ping_ok
check ctl port-migrate-finish v2
echo "ok: v2 activated on hv1 during a flood, and answers v1"

echo "test-standby-meter: ok"
