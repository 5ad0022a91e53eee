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
agent_status 1 | grep -q 'refused' && fail "hv1's switch refused a meter"
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

# --- A standby VIF that floods ------------------------------------------------
check ctl --wait=hv --timeout=20 port-migrate v2 hv1
check tb vm-migrate v2 1 --prepare
wait_until port_standby_on v2 hv1
standby_flows() {
    tb hv 1 ovs-ofctl -O OpenFlow15 --names dump-flows br-int table=0 \
        | grep 'controller('
}
# The RARP flow (ovs-ofctl prints its dl_type as "rarp") uses meter 1, the
# other standby flow meter 2.
has_metered_standby_flows() {
    standby_flows | grep -E '[ ,](rarp|dl_type=0x8035),' | grep -q 'meter_id=1' \
        && standby_flows | grep -v -E '[ ,](rarp|dl_type=0x8035),' \
           | grep -q 'meter_id=2'
}
wait_until has_metered_standby_flows
newif=$(tb vm v2 ip -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print $2 }' \
            | grep -v -x -e lo -e "$(tb vm v2 ip -o -4 addr show to 198.51.100.2 | awk '{ print $2 }')")
[ -n "$newif" ] || fail "v2 has no second interface after --prepare"

# received_packet_ins: packet-ins hv1's agent read (queued and dropped).
received_packet_ins() {
    agent_status 1 | sed -n \
        's/^ *packet-ins: \([0-9]*\) (waiting [0-9]*, dropped \([0-9]*\)).*/\1 \2/p' \
        | awk '{ print $1 + $2 }'
}
meter_counts() {  # ID: "IN DROPPED" of meter ID in hv1's switch
    tb hv 1 ovs-ofctl -O OpenFlow15 meter-stats br-int "meter=$1" | awk '
        { for (i = 1; i <= NF; i++) {
              if ($i ~ /^packet_in_count:/) { sub(/.*:/, "", $i); seen = $i }
          } }
        $1 == "0:" && $2 ~ /^packet_count:/ { sub(/.*:/, "", $2); dropped = $2 }
        END { if (seen != "" && dropped != "") print seen, dropped }'
}
read -r in0 dropped0 <<<"$(meter_counts 2)"
pins0=$(received_packet_ins)
[ -n "$in0" ] && [ -n "$dropped0" ] && [ -n "$pins0" ] \
    || fail "could not read meter 2's statistics or the agent's packet-ins"

# 20,000 frames as fast as Python sends them (UDP to v1, which hv1 may only
# deliver after the activation), timed.
start=$EPOCHREALTIME
check tb vm v2 python3 -c '
import socket, sys
eth = bytes.fromhex("00005e005301" "00005e005302" "0800")
ip = bytes.fromhex("4500002e0001000040110000" "c6336402" "c6336401")
udp = bytes.fromhex("9c400009001a0000") + b"flood-before-activation!"[:18]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((sys.argv[1], 0))
for _ in range(20000):
    s.send(eth + ip + udp)' "$newif"
end=$EPOCHREALTIME
sleep 0.5
read -r in1 dropped1 <<<"$(meter_counts 2)"
pins1=$(received_packet_ins)
secs=$(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.3f", b - a + 0.5 }')
metered=$((in1 - in0))
dropped=$((dropped1 - dropped0))
pins=$((pins1 - pins0))
# What the meter may let through in that time, with some slack for the
# time stamps' distance from the sending.
allowed=$(awk -v s="$secs" 'BEGIN { printf "%d", s * 1000 + 256 + 200 }')
echo "flood: 20000 frames in $secs s; meter 2 saw $metered, dropped $dropped; the agent read $pins packet-ins (at most $allowed allowed)"
[ "$metered" -ge 10000 ] \
    || fail "meter 2 saw only $metered of the 20000 frames: the standby flow does not use it"
[ "$dropped" -gt 0 ] || fail "meter 2 dropped nothing of the flood"
[ "$pins" -le "$allowed" ] \
    || fail "the agent read $pins packet-ins, more than meter 2 lets through ($allowed)"
[ "$pins" -gt 0 ] || fail "the agent read no packet-in of the flood"
echo "ok: the switch's meter bounds what a flooding standby VIF sends the agent"

# --- The activation still works -----------------------------------------------
check tb vm-migrate v2 --finish
wait_until port_on v2 hv1
wait_until port_up v2
ping_ok() {
    tb vm v1 ping -c 1 -W 1 198.51.100.2 >/dev/null 2>&1
}
wait_until -t 15 ping_ok
check ctl port-migrate-finish v2
echo "ok: v2 activated on hv1 after the flood, and answers v1"

echo "test-standby-meter: ok"
