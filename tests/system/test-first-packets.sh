#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# A new VIF's first packets are forwarded, not dropped (agent/pipeline.h,
# "A new VIF's first packets"): what the switch saw from, or for, a VIF
# before the VIF's flows existed goes to the agent, which sends it on once
# it serves the VIF.
#
# The agent of hv2 is frozen (SIGSTOP) while a VM is plugged there and
# traffic flows, so that the switch can only have sent it the packets; the
# agent then thaws, claims the port and sends them on.  Without the
# feature, the switch drops them and the peers receive nothing.
#   1. from the VIF: v3 on hv2 sends 5 datagrams to v1 on hv1;
#   2. to the VIF: v1 sends 5 datagrams to v4, plugged on hv2 (its port was
#      bound nowhere, so hv1 floods them to hv2 as unknown unicast); and
#      what is flooded to the MAC of a Port with no VIF is dropped by hv2's
#      agent as it comes, without a run of its modules, for 5 s, after
#      which hv2's agent adds a flow that floods the rest without it; to a
#      MAC that no Port has, hv2's agent reads only the first packets and
#      adds that flow at once; the flow goes when an interface on hv2 names
#      a Port with the MAC (also without an ofport), when such a Port is
#      bound elsewhere, or when roam-unknown-mac-timeout passes;
#   3. a VIF that no claim may serve (its iface-id names no Port, or a port
#      bound elsewhere that requested_chassis keeps there) sends nothing to
#      the agent: the switch drops its traffic, until its Port appears;
#   4. "ovs-appctl -t roam-agent explain-flow" names the row behind such a
#      drop flow, and behind a port's l2_lookup flow.

. "$ROAM_SRCDIR/tests/system/lib.sh"
. "$ROAM_SRCDIR/tests/system/agent-lib.sh"

STREAM=$ROAM_BUILDDIR/tests/roam-stream
[ -x "$STREAM" ] || fail "$STREAM is not built"

start_two_vms
for k in 3 4; do
    check ctl port-add blue v$k 00:00:5e:00:53:0$k 198.51.100.$k/24
done

pid2=$(agent_pid 2)
on_exit "signal_ours CONT $pid2 roam-agent"
# freeze_hv2: stops hv2's agent, after reading its count of first packets
# sent on into 'sent_before'.
freeze_hv2() {
    sent_before=$(first_packets_sent_on)
    [ -n "$sent_before" ] || fail "hv2's status has no first packets line"
    kill -STOP "$pid2" || fail "SIGSTOP to hv2's roam-agent failed"
    wait_until frozen "$pid2"
}
thaw_hv2() {
    kill -CONT "$pid2" || fail "SIGCONT to hv2's roam-agent failed"
}
first_packets_sent_on() {
    agent_status 2 | sed -n 's/^first packets of new VIFs: \([0-9]*\) sent on.*/\1/p'
}
# packet_ins_of_hv2: hv2's counts of first packets "SENT_ON DROPPED KEPT".
packet_ins_of_hv2() {
    agent_status 2 | sed -n 's/^first packets of new VIFs: \([0-9]*\) sent on, \([0-9]*\) dropped, \([0-9]*\) kept$/\1 \2 \3/p'
}
# coverage_total K COUNTER: hv K's agent's total of coverage COUNTER
# (nothing, and failure, if the agent does not show it).
coverage_total() {
    tb hv "$1" ovs-appctl -t roam-agent coverage/show \
        | awk -v c="$2" '$1 == c { print $NF; found = 1 } END { exit !found }'
}

# echo_start VM: a UDP echo server in VM; echo_count VM: the datagrams it
# received so far.
echo_start() {
    tb vm "$1" "$STREAM" echo --pidfile "$TB_DIR/echo-$1.pid" \
        --summary "$TB_DIR/echo-$1.out" &
    on_exit "[ -f $TB_DIR/echo-$1.pid ] && kill \$(cat $TB_DIR/echo-$1.pid) 2>/dev/null"
    wait_until test -s "$TB_DIR/echo-$1.pid"
}
echo_count() {
    kill -USR1 "$(cat "$TB_DIR/echo-$1.pid")"
    sleep 0.2
    sed -n 's/^received=\([0-9]*\) .*/\1/p' "$TB_DIR/echo-$1.out" | tail -1
}
# send FROM TO_ADDR: 5 datagrams, 10 ms apart, in the background.
send() {
    tb vm "$1" "$STREAM" send --to "$2" --interval-us 10000 --count 5 \
        --wait-ms 2000 --summary "$TB_DIR/send-$1.out" &
    send_pid=$!
    on_exit "kill $send_pid 2>/dev/null"
}

echo_start v1

# sent_on_after_thaw SENDER RECEIVER ADDR PORT: SENDER sends 5 datagrams to
# RECEIVER at ADDR while hv2's agent is frozen; none arrives before it thaws,
# all 5 after, and hv2's agent counts 5 or more first packets sent on.  PORT
# is bound to hv2 by then.  hv2's agent is frozen (freeze_hv2).
sent_on_after_thaw() {
    local sender=$1 receiver=$2 addr=$3 port=$4 n after
    send "$sender" "$addr"
    sleep 0.2
    n=$(echo_count "$receiver")
    [ "$n" = 0 ] \
        || fail "$receiver received $n datagrams while hv2's agent was frozen"
    thaw_hv2
    wait "$send_pid"
    n=$(echo_count "$receiver")
    echo "$receiver received $n of $sender's 5 datagrams, all sent before hv2's agent saw $port"
    [ "$n" = 5 ] || fail "$receiver received $n of the 5 datagrams from $sender sent before $port's flows existed"
    wait_until port_on "$port" hv2
    after=$(first_packets_sent_on)
    ((after - sent_before >= 5)) \
        || fail "hv2's agent sent on $((after - sent_before)) first packets, expected 5 or more"
    echo "ok: $sender's datagrams reached $receiver ($((after - sent_before)) sent on by hv2's agent)"
}

# --- 1. From a VIF whose flows are not there yet ------------------------------
freeze_hv2
check tb vm-add v3 2 v3 00:00:5e:00:53:03 198.51.100.3/24
check tb vm v3 ip neigh replace 198.51.100.1 lladdr 00:00:5e:00:53:01 \
    dev eth0 nud permanent
sent_on_after_thaw v3 v1 198.51.100.1 v3

# --- 2. To a VIF whose flows are not there yet --------------------------------
freeze_hv2
check tb vm-add v4 2 v4 00:00:5e:00:53:04 198.51.100.4/24
echo_start v4
check tb vm v1 ip neigh replace 198.51.100.4 lladdr 00:00:5e:00:53:04 \
    dev eth0 nud permanent
check tb vm v4 ip neigh replace 198.51.100.1 lladdr 00:00:5e:00:53:01 \
    dev eth0 nud permanent
sent_on_after_thaw v1 v4 198.51.100.4 v4

# Both VIFs work normally afterwards.
check tb vm v3 ping -c1 -W2 198.51.100.4
check tb vm v4 ping -c1 -W2 198.51.100.1
echo "ok: v3 and v4 work"

# The two kinds have meters of their own in the switch (3: from a VIF's
# port, 4: from a tunnel), so that steady-state unicast from tunnels to MACs
# of no VIF cannot crowd out what a new VM sends.
meter_is() {  # ID: 1,000 packets/s, bursts of 64, in hv2's switch
    tb hv 2 ovs-ofctl -O OpenFlow15 dump-meters br-int \
        | grep -A1 "meter=$1 pktps burst stats bands=$" \
        | grep -q "type=drop rate=1000 burst_size=64"
}
for m in 3 4; do
    meter_is "$m" || fail "hv2's switch has no meter $m of 1,000 packets/s, bursts of 64"
done
punt_meter_of_table() {  # TABLE: the meter_ids of its controller actions
    tb hv 2 ovs-ofctl -O OpenFlow15 --no-names --no-stats dump-flows br-int \
        "table=$1" | sed -n 's/.*controller(reason=no_match,meter_id=\([0-9]*\)).*/\1/p' \
        | sort -u | tr '\n' ' '
}
[ "$(punt_meter_of_table 0)" = "3 " ] \
    || fail "classify's punts use meters \"$(punt_meter_of_table 0)\", expected 3"
[ "$(punt_meter_of_table 30)" = "4 " ] \
    || fail "flood's punts use meters \"$(punt_meter_of_table 30)\", expected 4"
echo "ok: a VIF's first packets and a tunnel's go through meters 3 and 4"

# Unicast from a tunnel to the MAC of a Port whose VIF is nowhere (v9, bound
# nowhere: a stopped VM's): hv1 floods it, and hv2's switch sends it to the
# agent (flood's punt, meter 4), since v9's VIF may be plugged on hv2 next.
# The agent keeps each such packet as a first packet and, no VIF here being
# able to take it, drops it at once, without running the modules of the
# data path: none of their inputs changed.  Once that traffic has come for
# 5 s (UNKNOWN_MACS_PORT_WAIT, agent/unknown-macs.h), longer than a cold
# move leaves a VIF between hypervisors, the agent learns v9's MAC: a flood
# flow for it (priority 120, the network's cookie) floods the rest to hv2's
# VIFs without the agent.
v9_mac=00:00:5e:00:53:99
check ctl port-add blue v9 $v9_mac 198.51.100.99/24
check tb vm v1 ip neigh replace 198.51.100.99 lladdr $v9_mac \
    dev eth0 nud permanent
# unknown_macs_of_hv2: hv2's unknown MACs, "FLOODED LEARNED WAITING
# PACKETS" (the last: packets to MACs not learned for want of room).
unknown_macs_of_hv2() {
    agent_status 2 | sed -n "s/^unknown MACs flooded from tunnels without the agent: \([0-9]*\) (\([0-9]*\) learned, \([0-9]*\) Ports' MACs waiting, \([0-9]*\) packets to further MACs)$/\1 \2 \3 \4/p"
}
# flood_packets PRIORITY [MATCH]: n_packets of hv2's flood flow of PRIORITY
# for blue from tunnels (and MATCH), nothing if there is none.
flood_packets() {
    tb hv 2 ovs-ofctl -O OpenFlow15 --no-names dump-flows br-int \
        "table=30,metadata=0x3e9,reg10=1${2:+,$2}" \
        | awk -v p="priority=$1," '$0 ~ p { sub(/.*n_packets=/, ""); sub(/,.*/, ""); print }'
}
mac_flow_there() { [ -n "$(flood_packets 120 "dl_dst=$1")" ]; }
mac_flow_gone() { ! mac_flow_there "$1"; }
read -r _ learned0 _ _ <<<"$(unknown_macs_of_hv2)"
[ -n "$learned0" ] || fail "hv2's status has no unknown MACs line"
read -r _ dropped0 _ <<<"$(packet_ins_of_hv2)"
[ -n "$dropped0" ] || fail "hv2's status has no first packets line"
# dropped_at_least N: hv2's agent dropped N first packets or more since.
dropped_at_least() {
    local dropped
    read -r _ dropped _ <<<"$(packet_ins_of_hv2)"
    ((dropped - dropped0 >= $1))
}
runs0=$(coverage_total 2 agent_run_modules) \
    || fail "hv2's agent shows no coverage counter agent_run_modules"
((runs0 > 0)) || fail "hv2's agent counts $runs0 runs of its modules"
# Datagrams 1 ms apart, for up to 30 s: v9 is learned after 5 s, and its
# VM starts on hv2 after that.
sent_at=${EPOCHREALTIME//[!0-9]/}
tb vm v1 "$STREAM" send --to 198.51.100.99 --interval-us 1000 \
    --count 30000 --wait-ms 0 --summary "$TB_DIR/send-v9.out" &
v9_sender=$!
on_exit "kill $v9_sender 2>/dev/null"
# Dropped as they come, not kept until they expire (100 ms): the agent
# drops each in the wake-up that reads it, before it answers "status"; a
# broken agent would keep up to 64.
wait_until dropped_at_least 200
read -r _ _ kept <<<"$(packet_ins_of_hv2)"
((kept <= 5)) || fail "hv2's agent keeps $kept packets to v9's MAC"
wait_until -t 10 mac_flow_there $v9_mac
learned_at=${EPOCHREALTIME//[!0-9]/}
read -r _ dropped1 kept1 <<<"$(packet_ins_of_hv2)"
runs1=$(coverage_total 2 agent_run_modules) \
    || fail "hv2's agent shows no coverage counter agent_run_modules"
read -r n_unknown learned1 _ _ <<<"$(unknown_macs_of_hv2)"
since=$(((learned_at - sent_at) / 1000))
echo "hv2's agent dropped $((dropped1 - dropped0)) datagrams for v9's MAC (kept now: $kept1), ran its modules $((runs1 - runs0)) times meanwhile, and had learned the MAC $since ms after v1 began to send"
((since >= 5000)) || fail "hv2's agent learned v9's MAC $since ms after v1 began to send to it, expected 5000 or more"
((since <= 8000)) || fail "hv2's agent learned v9's MAC $since ms after v1 began to send to it, expected about 5000"
(((runs1 - runs0) * 20 <= dropped1 - dropped0)) \
    || fail "hv2's agent ran its modules $((runs1 - runs0)) times for $((dropped1 - dropped0)) packets to v9's MAC"
assert_eq 1 "$((learned1 - learned0))" "MACs hv2's agent learned"
assert_eq 1 "$n_unknown" "unknown MACs hv2 floods without its agent"
# From then on, the switch floods v9's traffic without the agent.  Flow
# statistics reach ovs-ofctl within a second.
skipped0=$(flood_packets 120 "dl_dst=$v9_mac")
sleep 1.5
skipped=$(($(flood_packets 120 "dl_dst=$v9_mac") - skipped0))
read -r _ dropped2 _ <<<"$(packet_ins_of_hv2)"
echo "in the next 1.5 s, $skipped datagrams took hv2's flow for v9's MAC and its agent dropped $((dropped2 - dropped1))"
((skipped >= 1000)) || fail "only $skipped datagrams in 1.5 s took hv2's flow for v9's MAC"
((dropped2 - dropped1 <= 5)) \
    || fail "hv2's agent still read $((dropped2 - dropped1)) datagrams to v9's MAC"
echo "ok: unicast to the MAC of a Port with no VIF reaches hv2's agent for 5 s, costs it no run of its modules (1 per 20 packets allowed), and then goes by without it"

# v9's VM starts on hv2 while v1 still sends: its Interface row removes the
# flow (the agent sees the row when ovs-vswitchd does), hv2 claims v9, and
# v9 receives v1's datagrams.
check tb vm-add v9 2 v9 $v9_mac 198.51.100.99/24
echo_start v9
wait_until port_on v9 hv2
wait_until mac_flow_gone $v9_mac
v9_receives() { (($(echo_count v9) > 0)); }
wait_until v9_receives
kill "$v9_sender" 2>/dev/null
wait "$v9_sender" 2>/dev/null
read -r n_unknown _ _ _ <<<"$(unknown_macs_of_hv2)"
assert_eq 0 "$n_unknown" "unknown MACs hv2 floods without its agent, once v9's VIF is here"
echo "ok: v9's VM, started on hv2 after its MAC was learned, gets its traffic"

# Unicast from a tunnel to a MAC that no Port has: hv2's agent learns it
# from the first such packet (agent/unknown-macs.h) and adds a flood flow
# for it (priority 120, the network's cookie) that floods the rest to
# hv2's VIFs of the network without the punt.  So 300 datagrams cost the
# agent a few packet-ins, not 300.
unknown_mac=00:00:5e:00:53:98
check tb vm v1 ip neigh replace 198.51.100.98 lladdr $unknown_mac \
    dev eth0 nud permanent
unknown_flow_there() { mac_flow_there $unknown_mac; }
unknown_flow_gone() { mac_flow_gone $unknown_mac; }
unknown_flow_gone || fail "hv2 has a flood flow for $unknown_mac before any traffic"
read -r _ learned0 _ _ <<<"$(unknown_macs_of_hv2)"
read -r _ dropped0 _ <<<"$(packet_ins_of_hv2)"
flooded0=$(flood_packets 100)
[ -n "$flooded0" ] || fail "hv2 has no flood flow for blue from tunnels"
check tb vm v1 "$STREAM" send --to 198.51.100.98 --interval-us 1000 \
    --count 300 --wait-ms 0 --summary "$TB_DIR/send-unknown.out"
wait_until unknown_flow_there
# Flow statistics reach ovs-ofctl within a second.
sleep 1.5
skipped=$(flood_packets 120 "dl_dst=$unknown_mac")
flooded=$(($(flood_packets 100) - flooded0))
read -r n_unknown learned1 _ _ <<<"$(unknown_macs_of_hv2)"
read -r _ dropped1 _ <<<"$(packet_ins_of_hv2)"
echo "300 datagrams to $unknown_mac: $skipped took hv2's flow for it, $flooded were flooded to hv2's VIFs, hv2's agent dropped $((dropped1 - dropped0)) and learned $((learned1 - learned0)) MAC"
assert_eq 1 "$((learned1 - learned0))" "MACs hv2's agent learned"
assert_eq 1 "$n_unknown" "unknown MACs hv2 floods without its agent"
((skipped >= 250)) || fail "only $skipped of 300 datagrams took hv2's flow for $unknown_mac"
((flooded >= skipped)) || fail "hv2 flooded $flooded datagrams to its VIFs, $skipped took the flow for $unknown_mac"
((dropped1 - dropped0 <= 50)) \
    || fail "hv2's agent still read $((dropped1 - dropped0)) of 300 datagrams to $unknown_mac"
echo "ok: hv2's agent learned $unknown_mac and reads no more of its traffic"

# A Port that gets the MAC leaves the flow alone while no interface on hv2
# names it: no VIF here may take that traffic yet either.  v8 gets the MAC
# by a change of its mac column, written in capitals (roam-ctl would write
# it in lower case): the agent compares MACs, not strings.
check ctl port-add blue v8 00:00:5e:00:53:97 198.51.100.98/24
roam_db=$(tb env | sed -n "s/^export ROAM_DB='\(.*\)'$/\1/p")
[ -n "$roam_db" ] || fail "roam-testbed env names no ROAM_DB"
out=$(ovsdb-client --timeout=10 transact "$roam_db" \
    '["Roam", {"op": "update", "table": "Port",
               "where": [["name", "==", "v8"]],
               "row": {"mac": "00:00:5E:00:53:98"}}]') \
    || fail "ovsdb-client transact failed: $out"
grep -q '"count":1' <<<"$out" || fail "the update of v8's mac changed no row: $out"
check ctl --wait=hv sync
unknown_flow_there \
    || fail "hv2's flow for $unknown_mac went when Port v8, whose VIF is nowhere, got the MAC"
# An interface on hv2 that names v8 removes it, from its Interface row on,
# before it has an ofport: here one with no device behind it, which
# ovs-vswitchd never gives one, stands for a VIF that it is still adding.
check tb hv 2 ovs-vsctl add-port br-int nodev8 \
    -- set Interface nodev8 external_ids:iface-id=v8
on_exit "tb hv 2 ovs-vsctl --if-exists del-port br-int nodev8"
assert_eq -1 "$(tb hv 2 ovs-vsctl get Interface nodev8 ofport)" "nodev8's ofport"
wait_until unknown_flow_gone
read -r n_unknown _ _ _ <<<"$(unknown_macs_of_hv2)"
assert_eq 0 "$n_unknown" "unknown MACs hv2 floods without its agent, once an interface names Port v8"
# Nor is the MAC learned again while the interface is there: v8's VIF may
# get its ofport any moment, and what comes for it must reach the agent.
read -r _ learned2 _ _ <<<"$(unknown_macs_of_hv2)"
read -r _ dropped0 _ <<<"$(packet_ins_of_hv2)"
check tb vm v1 "$STREAM" send --to 198.51.100.98 --interval-us 1000 \
    --count 300 --wait-ms 0 --summary "$TB_DIR/send-unknown.out"
wait_until dropped_at_least 50
read -r n_unknown learned3 waiting3 _ <<<"$(unknown_macs_of_hv2)"
assert_eq "$learned2" "$learned3" "MACs hv2's agent learned while an interface names v8"
assert_eq 0 "$waiting3" "Ports' MACs waiting on hv2 while an interface names v8"
unknown_flow_gone || fail "hv2 has a flow for $unknown_mac again while an interface names v8"
check tb hv 2 ovs-vsctl del-port br-int nodev8
echo "ok: hv2's flow for $unknown_mac went when an interface, without an ofport, named Port v8, and stayed away"

# Nor does the flow stay once a Port with the MAC is bound elsewhere: that
# VM runs again, and may move to hv2 next.  Without v8, the MAC is no
# Port's, and learned again at once; then v8 comes back with it, and its
# VM starts on hv1.
check ctl port-del v8
# send_and_learned: v1 sends 20 datagrams to the MAC, and hv2 has its flow
# (hv2's agent may see them before a Port's deletion, and learn nothing
# yet).
send_and_learned() {
    check tb vm v1 "$STREAM" send --to 198.51.100.98 --interval-us 1000 \
        --count 20 --wait-ms 0 --summary "$TB_DIR/send-unknown.out"
    unknown_flow_there
}
wait_until send_and_learned
check ctl port-add blue v8 $unknown_mac 198.51.100.98/24
check tb vm-add v8 1 v8 $unknown_mac 198.51.100.98/24
wait_until port_on v8 hv1
wait_until unknown_flow_gone
check tb vm-del v8
check ctl port-del v8
echo "ok: hv2's flow for $unknown_mac went when Port v8, with that MAC, was bound to hv1"

# With roam-unknown-mac-timeout, the flow goes after that time (rounded up
# to a whole second) without a Port.
check tb hv 2 ovs-vsctl set Open_vSwitch . \
    external_ids:roam-unknown-mac-timeout=3000
unknown_flow_gone || fail "hv2 has a flow for $unknown_mac before v1 sends"
read -r _ learned3 _ _ <<<"$(unknown_macs_of_hv2)"
sent_at=$(date +%s%N)
wait_until send_and_learned
seen_at=$(date +%s%N)
wait_until unknown_flow_gone
gone_at=$(date +%s%N)
since_sent=$(((gone_at - sent_at) / 1000000))
since_seen=$(((gone_at - seen_at) / 1000000))
echo "with roam-unknown-mac-timeout=3000, hv2's flow for $unknown_mac went $since_sent ms after v1 began to send, $since_seen ms after it was seen"
# Learned after the sender started, the flow lives 3 to 4 s (whole
# seconds); it was seen after it was learned.
((since_sent >= 2900)) \
    || fail "hv2's flow for $unknown_mac went $since_sent ms after v1 began to send, expected 3000 or more"
((since_seen <= 4500)) \
    || fail "hv2's flow for $unknown_mac went $since_seen ms after it was seen, expected 4000 or less (and some slack)"
read -r n_unknown learned4 _ _ <<<"$(unknown_macs_of_hv2)"
assert_eq 0 "$n_unknown" "unknown MACs hv2 floods without its agent after the timeout"
assert_eq 1 "$((learned4 - learned3))" "MACs hv2's agent learned again"
check tb hv 2 ovs-vsctl remove Open_vSwitch . external_ids \
    roam-unknown-mac-timeout
echo "ok: hv2's flow for $unknown_mac went after roam-unknown-mac-timeout"

# --- 3. A VIF that no claim may serve sends nothing to the agent -------------
explain() { tb hv 2 ovs-appctl -t roam-agent explain-flow "$@"; }
# v5's iface-id names no Port yet; x6's names v6, bound to hv1 with
# requested_chassis hv1 (a stale copy); n7 is no VIF at all (an operator's
# port: its iface-id is removed).  The switch drops what they send, with a
# classify flow whose cookie is the Interface row's: nothing reaches hv2's
# agent, nor v1.  Without those flows the switch would send it all to the
# agent (meter 3 lets a burst of 64 through).
check ctl port-add blue v6 00:00:5e:00:53:06 198.51.100.6/24
check ctl port-set-requested-chassis v6 hv1
check tb vm-add v6 1 v6 00:00:5e:00:53:06 198.51.100.6/24
wait_until port_on v6 hv1
check tb vm-add v5 2 v5 00:00:5e:00:53:05 198.51.100.5/24
check tb vm-add x6 2 v6 00:00:5e:00:53:16 198.51.100.16/24
check tb vm-add n7 2 n7 00:00:5e:00:53:07 198.51.100.7/24
check tb hv 2 ovs-vsctl remove Interface vm-n7 external_ids iface-id
unserved_count() {
    agent_status 2 | sed -n 's/^VIFs not served here, their traffic dropped: \([0-9]*\)$/\1/p'
}
unserved_is() { [ "$(unserved_count)" = "$1" ]; }
other_ports_are() {
    [ "$(agent_status 2 | sed -n 's/^interfaces that are no VIF, their traffic dropped: \([0-9]*\)$/\1/p')" = "$1" ]
}
wait_until unserved_is 2
wait_until other_ports_are 1
# drop_priority VM: the priority of the drop flow of VM's interface: 100
# for a VIF (which its flows replace once served), 2 for n7 and d4 (no VIF:
# below any VIF's flows, above the punt to the agent).
drop_priority() { case $1 in n7 | d4) echo 2 ;; *) echo 100 ;; esac; }
# drop_flow_of VM: hv2's classify flow for VM's interface, if it drops with
# the cookie of the Interface row.
drop_flow_of() {
    local iface=vm-$1 prio ofport uuid cookie
    prio=$(drop_priority "$1")
    ofport=$(tb hv 2 ovs-vsctl get Interface "$iface" ofport) || return 1
    uuid=$(tb hv 2 ovs-vsctl get Interface "$iface" _uuid) || return 1
    # The UUID's first 64 bits, as ovs-ofctl prints them: no leading zeros.
    cookie=$(sed 's/^0*//' <<<"${uuid:0:8}${uuid:9:4}${uuid:14:4}")
    tb hv 2 ovs-ofctl -O OpenFlow15 --no-names --no-stats dump-flows br-int \
        "table=0,in_port=$ofport" \
        | grep -E "cookie=0x$cookie, .*priority=$prio,in_port=$ofport actions=drop"
}
for vm in v5 x6 n7; do
    wait_until drop_flow_of "$vm"
    check tb vm "$vm" ip neigh replace 198.51.100.1 lladdr 00:00:5e:00:53:01 \
        dev eth0 nud permanent
done
# drop_flow_packets VM: the packets hv2's drop flow for VM's VIF dropped.
drop_flow_packets() {
    local ofport prio
    prio=$(drop_priority "$1")
    ofport=$(tb hv 2 ovs-vsctl get Interface "vm-$1" ofport) || return 1
    tb hv 2 ovs-ofctl -O OpenFlow15 --no-names dump-flows br-int \
        "table=0,in_port=$ofport" \
        | sed -n "s/.*n_packets=\([0-9]*\),.*priority=$prio,in_port=[0-9]* actions=drop\$/\1/p"
}
# dropped_since VM BEFORE N: VM's drop flow dropped N packets or more since
# it counted BEFORE.
dropped_since() {
    local n
    n=$(drop_flow_packets "$1") && [ -n "$n" ] && ((n - $2 >= $3))
}
before=$(packet_ins_of_hv2)
[ -n "$before" ] || fail "hv2's status has no first packets line"
r1=$(echo_count v1)
for vm in v5 x6 n7; do
    d1=$(drop_flow_packets "$vm")
    [ -n "$d1" ] || fail "no drop flow with counters for $vm"
    check tb vm "$vm" "$STREAM" send --to 198.51.100.1 --interval-us 1000 \
        --count 200 --wait-ms 100 --summary "$TB_DIR/send-$vm.out"
    # ovs-vswitchd adds a datapath flow's counts to its OpenFlow flow when
    # its revalidators next run (within 0.5 s).
    wait_until dropped_since "$vm" "$d1" 200
    echo "$vm: its drop flow dropped $(($(drop_flow_packets "$vm") - d1)) packets of its 200 datagrams"
done
sleep 0.3
after=$(packet_ins_of_hv2)
r2=$(echo_count v1)
echo "hv2's first packets (sent on, dropped, kept): before \"$before\", after \"$after\"; v1 received $((r2 - r1)) datagrams"
[ "$after" = "$before" ] \
    || fail "packets of VIFs not served on hv2, or of no VIF, reached its agent"
[ "$r2" = "$r1" ] || fail "v1 received $((r2 - r1)) datagrams from VIFs not served on hv2, or no VIF"
echo "ok: the VIFs not served on hv2, and its port that is no VIF, reached neither its agent nor v1"

# v5's Port appears: v5 works, its drop flow is gone; x6 stays dropped.
check ctl port-add blue v5 00:00:5e:00:53:05 198.51.100.5/24
wait_until port_on v5 hv2
wait_until -t 10 tb vm v5 ping -c1 -W1 198.51.100.1
wait_until unserved_is 1
! drop_flow_of v5 >/dev/null || fail "v5's drop flow is still in hv2's switch"
drop_flow_of x6 >/dev/null || fail "x6's drop flow left hv2's switch"
drop_flow_of n7 >/dev/null || fail "n7's drop flow left hv2's switch"
echo "ok: v5 works once its Port exists; x6 and n7 stay dropped"

# d4 is a second interface with v4's iface-id on hv2: v4's VIF stays v4's
# (the interface that was the VIF first), d4 is no VIF and gets the drop.
check tb vm-add d4 2 v4 00:00:5e:00:53:14 198.51.100.14/24
wait_until other_ports_are 2
wait_until drop_flow_of d4
check tb vm v3 ping -c3 -i0.2 -W2 198.51.100.4
out=$(explain "$(drop_flow_of d4)") || fail "explain-flow failed on d4's drop flow: $out"
grep -q "not the VIF of v4 here (another interface with that iface-id is)" <<<"$out" \
    || fail "explain-flow does not say that vm-d4 is not v4's VIF: $out"
grep -q "no VIF: what it sends is dropped" <<<"$out" \
    || fail "explain-flow does not say that d4's traffic is dropped: $out"
echo "ok: a second interface with v4's iface-id takes nothing from v4 and is dropped"
# Also not once hv2's agent restarts and has to find v4's VIF again before
# the central database's rows arrive (it is stopped meanwhile): by the plug
# it answered for vm-v4, whichever of the two comes first.
log=$TB_DIR/hv2/roam-agent.log
n=$(wc -l < "$log")
new_log_has() { tail -n "+$((n + 1))" "$log" | grep -qF "$1"; }
check tb central-stop
check tb agent-stop 2
check tb agent-start 2
wait_until new_log_has "VIF for port v4 plugged (interface vm-v4,"
check tb central-start
wait_until other_ports_are 2
wait_until drop_flow_of d4
for i in 1 2 3; do
    check tb vm v3 ping -c1 -W2 198.51.100.4
done
! new_log_has "(interface vm-d4" || fail "vm-d4 became v4's VIF after hv2's agent restarted"
echo "ok: and not after hv2's agent restarted without the central database"

# --- 4. explain-flow leads from a flow to its row -----------------------------
# A flow pasted as ovs-ofctl prints it: x6's drop flow names its Interface;
# v4's l2_lookup flow names Port v4; a cookie of no row is an error.
line=$(drop_flow_of x6) || fail "x6's drop flow is gone"
out=$(explain "$line") || fail "explain-flow failed on \"$line\": $out"
echo "$out"
grep -q "^Interface vm-x6 (" <<<"$out" || fail "explain-flow does not name Interface vm-x6"
grep -q "neither served here nor awaiting a claim" <<<"$out" \
    || fail "explain-flow does not say that x6 is not served"
grep -q "^desired flows with cookie 0x[0-9a-f]*: 1$" <<<"$out" \
    || fail "explain-flow does not list x6's one flow"
# n7's drop flow names its Interface, which is no VIF.
line=$(drop_flow_of n7) || fail "n7's drop flow is gone"
out=$(explain "$line") || fail "explain-flow failed on \"$line\": $out"
grep -q "^Interface vm-n7 (" <<<"$out" || fail "explain-flow does not name Interface vm-n7: $out"
grep -q "external_ids:iface-id (none)" <<<"$out" \
    || fail "explain-flow does not say that vm-n7 has no iface-id: $out"
grep -q "no VIF: what it sends is dropped" <<<"$out" \
    || fail "explain-flow does not say that n7's traffic is dropped: $out"
line=$(tb hv 2 ovs-ofctl -O OpenFlow15 --no-names --no-stats dump-flows br-int \
           "table=20,dl_dst=00:00:5e:00:53:04" | head -n 1)
[ -n "$line" ] || fail "hv2 has no l2_lookup flow for v4's MAC"
# Unquoted, as a shell splits it: the words are joined again.
# shellcheck disable=SC2086
out=$(explain $line) || fail "explain-flow failed on $line: $out"
echo "$out"
grep -q "^Port v4 (" <<<"$out" || fail "explain-flow does not name Port v4"
grep -q "network blue (VNI 1001)" <<<"$out" || fail "explain-flow does not name v4's network"
grep -q "this chassis serves it" <<<"$out" || fail "explain-flow does not say hv2 serves v4"
grep -q "^  l2_lookup (core): .*dl_dst=00:00:5e:00:53:04" <<<"$out" \
    || fail "explain-flow does not list v4's l2_lookup flow"
# A flood flow names network blue; the default drop of classify, pasted
# unquoted, has cookie 0 (ovs-ofctl prints no cookie for it, so only the
# words joined again say that it is a flow).
line=$(tb hv 2 ovs-ofctl -O OpenFlow15 --no-names --no-stats dump-flows br-int \
           "table=30,metadata=0x3e9" | head -n 1)
out=$(explain "$line") || fail "explain-flow failed on \"$line\": $out"
grep -q "^Network blue (" <<<"$out" || fail "explain-flow does not name network blue: $out"
line=$(tb hv 2 ovs-ofctl -O OpenFlow15 --no-names --no-stats dump-flows br-int \
           table=0 | grep -E "^ *priority=0 actions=drop$")
[ -n "$line" ] || fail "hv2 has no default flow \"priority=0 actions=drop\" in classify"
# shellcheck disable=SC2086
out=$(explain $line) || fail "explain-flow failed on $line: $out"
grep -q "^cookie 0: " <<<"$out" || fail "explain-flow does not take $line as cookie 0: $out"
if out=$(explain 0x1234abcd 2>&1); then
    fail "explain-flow accepted a cookie of no row: $out"
fi
grep -q "names no Port or Network" <<<"$out" || fail "explain-flow's error: $out"
echo "ok: explain-flow names the rows behind x6's, n7's, v4's, blue's and the default flows"
# --- 5. An interface that becomes a VIF loses its drop flow ------------------
# n7 gets the iface-id of a Port that exists: its drop flow goes, it works.
check ctl port-add blue n7 00:00:5e:00:53:07 198.51.100.7/24
check tb hv 2 ovs-vsctl set Interface vm-n7 external_ids:iface-id=n7
wait_until port_on n7 hv2
wait_until -t 10 tb vm n7 ping -c1 -W1 198.51.100.1
wait_until other_ports_are 1
no_drop_flow_of() { ! drop_flow_of "$1" >/dev/null; }
wait_until no_drop_flow_of n7
echo "ok: n7, given an iface-id, works and has no drop flow"
echo "test-first-packets: ok"
