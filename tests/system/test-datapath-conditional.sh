#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# roam-monitor-all=false: an agent replicates only the Ports it needs (those
# of networks with a VIF here, those bound here, those whose
# requested_chassis names this chassis, and those its interfaces name), and
# everything still works.  On hv1 (hv2 and hv3 replicate every Port):
#   - it holds blue's ports and no others, and its VM reaches blue's VM on
#     hv2;
#   - a VM plugged into red, a network new to hv1, is bound without a
#     warning about a missing Port row, gets red's ports and reaches red's VM
#     on hv3; once it leaves, hv1 releases its port and red's ports leave
#     hv1 too; a VIF whose Port does not exist is logged;
#   - a port whose requested_chassis names hv1 brings its network (green)
#     before any VIF is there;
#   - an agent restart while the central database is down changes no flow
#     in the switch (a flow monitor sees no event from the stop to the
#     agent's acknowledgement) and loses no packet of a 1 ms ping stream:
#     the agent puts no flows before it holds every Port it needs;
#   - back to roam-monitor-all=true, it holds every Port again; a bad value
#     is named in the status and changes nothing.

. "$ROAM_SRCDIR/tests/system/lib.sh"
. "$ROAM_SRCDIR/tests/system/agent-lib.sh"

check tb start --hypervisors 3
wait_until chassis_names_are "hv1 hv2 hv3"
hv3=$(row_uuid Chassis hv3)
check ovs_set 1 roam-monitor-all=false
wait_until status_has 1 "roam-monitor-all=false: .*in effect"

check ctl net-add blue 1001
check ctl net-add red 1002
check ctl net-add green 1003
add_vm b1 1 blue 00:00:5e:00:53:b1 198.51.100.11/24
add_vm b2 2 blue 00:00:5e:00:53:b2 198.51.100.12/24
add_vm r3 3 red 00:00:5e:00:53:c3 203.0.113.13/24
# add_bound_ports NET PREFIX N: N ports in NET bound to hv3, no VM; the
# MAC of port a1 is 00:00:5e:00:54:a1, of e1 00:00:5e:00:54:e1.
add_bound_ports() {
    local i mac
    for i in $(seq 1 "$3"); do
        mac=$(printf '00:00:5e:00:54:%02x' $((16#${2:0:1}0 + i)))
        check ctl port-add "$1" "$2$i" "$mac"
        check ctl set Port "$2$i" "chassis=$hv3"
    done
}
add_bound_ports red a 20
add_bound_ports green e 10
wait_until port_up b1
wait_until port_up b2
wait_until port_up r3
check ctl --wait=hv --timeout=20 sync

# replicated K: the Port rows hv K's agent holds.
replicated() {
    tb hv "$1" ovs-appctl -t roam-agent memory/show \
        | tr ' ' '\n' | sed -n 's/^replicated-ports:\([0-9]*\)$/\1/p'
}
replicated_is() {  # K N
    [ "$(replicated "$1")" = "$2" ]
}
ping_ok() {
    tb vm "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1
}
installed() {
    tb hv 1 ovs-ofctl -O OpenFlow15 --no-names dump-flows --no-stats br-int \
        | sed 's/^ *//' | sort
}
desired() {
    tb hv 1 ovs-appctl -t roam-agent dump-desired-flows | sort
}
total=$(ctl --bare --columns=_uuid list Port | grep -c .)
assert_eq 33 "$total" "Port rows in the central database"

# --- Only blue's ports on hv1 -----------------------------------------------
wait_until replicated_is 1 2        # blue's b1 and b2
wait_until replicated_is 2 "$total"  # every one
wait_until -t 15 ping_ok b1 198.51.100.12
wait_until ping_ok b2 198.51.100.11
assert_eq "$(desired)" "$(installed)" "hv1: switch flows vs. desired flows"
echo "ok: hv1 holds blue's 2 ports of $total; b1 and b2 ping"

# --- A VM plugged into a network new to hv1 ---------------------------------
add_vm r1 1 red 00:00:5e:00:53:c1 203.0.113.11/24
wait_until port_up r1
wait_until port_on r1 hv1
# b1, b2; red: r3, 20 bound ports, r1.
wait_until replicated_is 1 24
wait_until -t 15 ping_ok r1 203.0.113.13
wait_until ping_ok r3 203.0.113.11
grep -q "VIF for port r1 .*no Port row" "$(agent_log 1)" \
    && fail "hv1 warned about r1's Port row, which was only on its way"
check ctl --wait=hv --timeout=20 sync
assert_eq "$(desired)" "$(installed)" \
    "hv1: switch flows vs. desired flows with red"
grep -q "00:00:5e:00:54:a1" <<<"$(desired)" \
    || fail "hv1 has no flow for red's port a1, bound to hv3"
echo "ok: r1 plugged on hv1: red's 22 ports arrived, r1 and r3 ping"

# --- requested_chassis warms a network --------------------------------------
check ctl set Port e1 requested_chassis=hv1
wait_until replicated_is 1 34
echo "ok: requested_chassis=hv1 on green's e1 brought green's 10 ports"

# --- The VM leaves: hv1 releases r1, and red leaves hv1 ----------------------
check tb vm-del r1
port_unbound() {
    [ -z "$(ctl --bare --columns=chassis list Port "$1")" ]
}
wait_until port_unbound r1
wait_until replicated_is 1 12
grep -q "00:00:5e:00:54:a1" <<<"$(desired)" \
    && fail "hv1 still has a flow for red's port a1 after r1 left"
check ctl port-del r1
echo "ok: r1 unplugged: released, and hv1 holds blue and green (12 ports)"

# --- A VIF whose Port does not exist is named once the condition holds -----
check tb vm-add ghost 1 ghost 00:00:5e:00:53:99 198.51.100.99/24
wait_until grep -q "VIF for port ghost .*no Port row" "$(agent_log 1)"
wait_until status_has 1 "roam-monitor-all=false: .*in effect"
check tb vm-del ghost
echo "ok: a VIF for no Port is logged"

# --- An agent restart changes no flow and loses no packet --------------------
check tb vm b1 ip neigh replace 198.51.100.12 lladdr 00:00:5e:00:53:b2 dev eth0
check ctl --wait=hv --timeout=20 sync
flows_before=$(installed)
tb hv 1 ovs-ofctl -O OpenFlow15 monitor br-int watch: \
    >"$TB_DIR/flow-monitor.out" 2>&1 &
monitor_pid=$!
on_exit "kill $monitor_pid 2>/dev/null"
monitor_started() {
    grep -q "event=INITIAL" "$TB_DIR/flow-monitor.out"
}
wait_until monitor_started
tb vm b1 ping -q -i 0.001 -c 8000 -W 2 198.51.100.12 \
    >"$TB_DIR/stream.out" 2>&1 &
stream_pid=$!
on_exit "kill $stream_pid 2>/dev/null"
sleep 0.5
# The agent starts while the central database is down, so that it holds
# the switch's flows before the first Port rows arrive: a put from the
# first rows (the VIF's own port, no network yet) would delete the rest.
check tb agent-stop 1
check tb central-stop
check tb agent-start 1
wait_until status_has 1 "  state: SYNCED"
sleep 0.2
check tb central-start
wait_until status_has 1 "roam-monitor-all=false: .*in effect"
check ctl --wait=hv --timeout=20 sync
# The stream covered the whole restart.
kill -0 "$stream_pid" 2>/dev/null \
    || fail "the ping stream ended before the agent had its flows back"
wait "$stream_pid"
kill "$monitor_pid" 2>/dev/null
wait "$monitor_pid" 2>/dev/null
read -r sent received < <(sed -n \
    's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' \
    "$TB_DIR/stream.out")
echo "agent restart on hv1: $sent sent, $received received"
[ "${sent:-0}" -gt 1000 ] || fail "the stream sent only ${sent:-0} packets"
assert_eq "$sent" "$received" "packets received while hv1's agent restarted"
changes=$(grep -E "event=(ADDED|DELETED|MODIFIED)" \
               "$TB_DIR/flow-monitor.out")
[ -z "$changes" ] || fail "hv1's switch saw $(grep -c . <<<"$changes") \
flow changes while its agent restarted: $(head -5 <<<"$changes")"
assert_eq 12 "$(replicated 1)" "ports replicated by hv1 after its restart"
assert_eq "$flows_before" "$(installed)" \
    "hv1's flows after its agent restarted"
echo "ok: agent restart: no flow change, no packet lost"

# --- Back to every Port; a bad value changes nothing -------------------------
check ovs_set 1 roam-monitor-all=maybe
wait_until status_has 1 'roam-monitor-all: "maybe" is not a boolean'
assert_eq 12 "$(replicated 1)" "ports replicated by hv1 after a bad value"
check ovs_set 1 roam-monitor-all=true
wait_until replicated_is 1 "$total"
wait_until status_has 1 "ports replicated: .* (every Port)"
check ctl --wait=hv --timeout=20 sync
assert_eq "$(desired)" "$(installed)" \
    "hv1: switch flows vs. desired flows with every Port"
wait_until ping_ok b1 198.51.100.12
echo "ok: roam-monitor-all=true: hv1 holds every Port again"
