#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# Restarts never flush: a 1 ms ping stream between two VMs on different
# hypervisors loses no packet while the agent on either side restarts (also
# after SIGKILL), and comes back after ovs-vswitchd restarts, after which the
# switch holds exactly the agent's desired flows.  The agent's table of the
# switch's ports (OpenFlow port status) follows additions, deletions and
# the restart.

. "$ROAM_SRCDIR/tests/system/lib.sh"
. "$ROAM_SRCDIR/tests/system/agent-lib.sh"

start_two_vms
ping_ok() {
    tb vm "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1
}
wait_until -t 15 ping_ok v1 198.51.100.2
# Static neighbours: the stream must not depend on ARP timing.
check tb vm v1 ip neigh replace 198.51.100.2 lladdr 00:00:5e:00:53:02 dev eth0
check tb vm v2 ip neigh replace 198.51.100.1 lladdr 00:00:5e:00:53:01 dev eth0

# stream SECONDS: a 1 ms ping stream from v1 to v2 in the background; its
# summary goes to $TB_DIR/stream.out.  A count, not a deadline: ping then
# waits for the last replies instead of counting them lost.
stream() {
    tb vm v1 ping -q -i 0.001 -c $(($1 * 1000)) -W 2 198.51.100.2 \
        >"$TB_DIR/stream.out" 2>&1 &
    stream_pid=$!
    on_exit "kill $stream_pid 2>/dev/null"
}
# stream_counts: "SENT RECEIVED" of the finished stream.
stream_counts() {
    sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' \
        "$TB_DIR/stream.out"
}

# --- Agent restarts: no packet lost -----------------------------------------
for how in "" --kill; do
    for k in 1 2; do
        flows_before=$(tb hv $k ovs-ofctl dump-flows --no-stats br-int | sort)
        stream 4
        sleep 1
        check tb agent-stop $k $how
        sleep 0.5
        check tb agent-start $k
        wait_until agent_status $k
        wait "$stream_pid"
        read -r sent received < <(stream_counts)
        echo "agent restart on hv$k${how:+ ($how)}: $sent sent, $received received"
        [ "${sent:-0}" -gt 1000 ] || fail "the stream sent only ${sent:-0} packets"
        assert_eq "$sent" "$received" \
            "packets received while hv$k's agent restarted${how:+ ($how)}"
        wait_until status_has $k "  state: SYNCED"
        assert_eq "$flows_before" \
            "$(tb hv $k ovs-ofctl dump-flows --no-stats br-int | sort)" \
            "hv$k's flows after its agent restarted"
    done
done

# --- A forced recompute changes nothing -------------------------------------
flows_before=$(tb hv 1 ovs-ofctl dump-flows --no-stats br-int | sort)
recomputes() {
    agent_status 1 | sed -n 's/.*(\([0-9]*\) full computations.*/\1/p'
}
n=$(recomputes)
check tb hv 1 ovs-appctl -t roam-agent recompute
recomputed() {
    [ "$(recomputes)" -gt "$n" ]
}
wait_until recomputed
assert_eq "$flows_before" "$(tb hv 1 ovs-ofctl dump-flows --no-stats br-int | sort)" \
    "hv1's flows after a forced recompute"

# --- recompute repairs flows changed behind the agent's back ----------------
# Someone deletes the flooding flows and adds a flow that drops v2's
# traffic (the agent's own l2 flow for that MAC also matches the network).
check tb hv 1 ovs-ofctl del-flows br-int table=30
check tb hv 1 ovs-ofctl -O OpenFlow15 add-flow br-int \
    "table=20,priority=100,dl_dst=00:00:5e:00:53:02,actions=drop"
tampered=$(tb hv 1 ovs-ofctl dump-flows --no-stats br-int | sort)
[ "$tampered" != "$flows_before" ] || fail "ovs-ofctl did not change hv1's flows"
check tb hv 1 ovs-appctl -t roam-agent recompute
repaired() {
    [ "$(tb hv 1 ovs-ofctl dump-flows --no-stats br-int | sort)" = "$flows_before" ]
}
wait_until repaired
wait_until -t 5 ping_ok v1 198.51.100.2
echo "ok: recompute repaired flows deleted and changed behind the agent's back"

# --- The agent follows the switch's ports over OpenFlow ----------------------
# switch_ports K: "NUMBER NAME" of each port of hv K's br-int but LOCAL whose
# name OpenFlow carries whole (under 15 characters), as the switch lists
# them.
switch_ports() {
    tb hv "$1" ovs-ofctl -O OpenFlow15 show br-int \
        | sed -n 's/^ *\([0-9][0-9]*\)(\([^)]\{1,14\}\)):.*/\1 \2/p'
}
agent_port_count() {  # K: how many ports hv K's agent knows from the switch
    agent_status "$1" | sed -n 's/^ *switch ports: \([0-9]*\)$/\1/p'
}
agent_knows_ports() {  # K [N]: the agent knows as many ports (N) as br-int has
    local n
    n=$(switch_ports "$1" | wc -l)
    [ "$(agent_port_count "$1")" = "$n" ] && [ "$n" = "${2:-$n}" ]
}
# vif_ofports_agree K VM PORT: the agent's VIF for PORT has the OpenFlow port
# that the switch gave VM's interface.
vif_ofports_agree() {
    local want got
    want=$(switch_ports "$1" | sed -n "s/^\([0-9]*\) vm-$2\$/\1/p")
    got=$(agent_status "$1" | sed -n "s/^ *$3: ofport \([0-9]*\),.*/\1/p")
    [ -n "$want" ] && [ "$want" = "$got" ]
}
wait_until agent_knows_ports 1
n=$(agent_port_count 1)
[ "$n" -ge 2 ] || fail "hv1's agent knows only $n ports of br-int"
check tb hv 1 ovs-vsctl add-port br-int roam-pq \
    -- set Interface roam-pq type=internal
wait_until agent_knows_ports 1 $((n + 1))
check tb hv 1 ovs-vsctl del-port br-int roam-pq
wait_until agent_knows_ports 1 "$n"
# Two VIFs in one transaction: both wait for their ofport together (their
# iface-ids name no Port: no traffic, no harm), and the agent stays up.
check tb hv 1 ovs-vsctl \
    -- add-port br-int roam-pqa -- set Interface roam-pqa type=internal \
           external_ids:iface-id=no-such-port-a \
    -- add-port br-int roam-pqb -- set Interface roam-pqb type=internal \
           external_ids:iface-id=no-such-port-b
wait_until agent_knows_ports 1 $((n + 2))
wait_until status_has 1 "no-such-port-b: ofport"
check tb hv 1 ovs-vsctl -- del-port br-int roam-pqa -- del-port br-int roam-pqb
wait_until agent_knows_ports 1 "$n"
agent_alive 1 || fail "hv1's agent died"
check vif_ofports_agree 1 v1 v1
echo "hv1's agent follows br-int's $n ports (one added and deleted, then" \
     "two VIFs at once)"

# --- ovs-vswitchd restarts: traffic comes back, flows equal desired ----------
for k in 1 2; do
    check tb ovs-restart $k
    wait_until -t 20 ping_ok v1 198.51.100.2
    wait_until status_has $k "  state: SYNCED"
    desired=$(tb hv $k ovs-appctl -t roam-agent dump-desired-flows | sort)
    installed=$(tb hv $k ovs-ofctl -O OpenFlow15 --no-names dump-flows \
                    --no-stats br-int | sed 's/^ *//' | sort)
    [ -n "$desired" ] || fail "hv$k: the agent reports no desired flows"
    assert_eq "$desired" "$installed" \
        "hv$k: flows in the switch after ovs-vswitchd restarted vs. the agent's desired flows"
    # The agent read the restarted switch's ports anew.
    wait_until agent_knows_ports $k
    wait_until vif_ofports_agree $k v$k v$k
done

echo "test-datapath-restart: ok"
