#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# roam-agent with a clustered central database: 3 hypervisors on a 3-member
# Raft cluster.  The leader dies (twice, and then the member hv1 reads from):
# the chassis rows stay as they were, every agent keeps running and keeps
# writing (heartbeats, a changed encap address, nb_cfg acknowledgements),
# roam-ctl keeps working, and the killed member rejoins and catches up.

. "$ROAM_SRCDIR/tests/system/lib.sh"
. "$ROAM_SRCDIR/tests/system/agent-lib.sh"

member_ctl() { echo "$TB_DIR/central/roam$1.ctl"; }
member_status() { ovs-appctl --timeout=5 -t "$(member_ctl "$1")" cluster/status Roam; }

# chassis_names: the names of all Chassis rows, sorted, on one line.
chassis_names() {
    ctl --bare --columns=name list Chassis | grep . | sort | tr '\n' ' ' | sed 's/ $//'
}

# chassis_encaps K: "TYPE IP CHASSIS_NAME" of each Encap of Chassis hvK.
chassis_encaps() {
    local u
    for u in $(ctl --bare --columns=encaps find Chassis name="hv$1"); do
        ctl get Encap "$u" type ip chassis_name | tr -d '"' | tr '\n' ' ' | sed 's/ $//'
        echo
    done
}

# encap_is K IP: Chassis hvK has exactly one Encap, geneve at IP.
encap_is() {
    local got
    got=$(chassis_encaps "$1")
    [ "$got" = "geneve $2 hv$1" ] || { echo "hv$1 encaps: \"$got\""; return 1; }
}

# chassis_ok ENCAP_IP_OF_HV1: exactly hv1..hv3 with one Encap each, no other
# Encap row.
chassis_ok() {
    local got k
    got=$(chassis_names)
    [ "$got" = "hv1 hv2 hv3" ] || { echo "Chassis rows: \"$got\""; return 1; }
    encap_is 1 "$1" || return 1
    for k in 2 3; do
        encap_is $k "192.0.2.1$k" || return 1
    done
    got=$(ctl --bare --columns=_uuid list Encap | grep -c .)
    [ "$got" = 3 ] || { echo "Encap rows: $got"; return 1; }
}

# heartbeat_of K: hvK's Chassis_Private heartbeat (wall-clock ms).
heartbeat_of() { ctl get Chassis_Private "hv$1" heartbeat; }

# heartbeat_after K MS: hvK's heartbeat is newer than MS.
heartbeat_after() {
    local hb
    hb=$(heartbeat_of "$1") || return 1
    ((hb > $2)) || { echo "hv$1 heartbeat $hb, not after $2"; return 1; }
}

# central_connected K: hvK's agent says it is connected to the central DB.
central_connected() {
    tb hv "$1" ovs-appctl -t roam-agent status | grep -q '^central database: .*: connected$'
}

# connected_member K: the cluster member (1-3) hvK's agent connected to last,
# from its log (informational).
connected_member() {
    grep -E 'central/roam[123]\.sock: connected$' "$TB_DIR/hv$1/roam-agent.log" \
        | tail -n 1 | sed -E 's/.*central\/roam([123])\.sock: connected$/\1/'
}

# check_all_agents_run: every agent process still runs.
check_all_agents_run() {
    local k
    for k in 1 2 3; do
        alive "$TB_DIR/hv$k/roam-agent.pid" || fail "hv$k: roam-agent died (expected it to keep running)"
    done
}

# member_rejoined K: member K runs, is a cluster member that knows a leader,
# and holds the data written while it was down.
member_rejoined() {
    local st
    st=$(member_status "$1") || return 1
    echo "$st" | grep -q '^Status: cluster member$' || { echo "$st"; return 1; }
    echo "$st" | grep -Eq '^Role: (leader|follower)$' || { echo "$st"; return 1; }
    echo "$st" | grep -q '^Leader: unknown' && { echo "$st"; return 1; }
    return 0
}

# leader_sees_3: the leader's cluster/status lists 3 servers.
leader_sees_3() {
    local l n
    l=$(tb cluster-leader) || return 1
    n=$(member_status "$l" | sed -n '/^Servers:/,$p' | grep -c '^    [0-9a-f]\{4\} ')
    [ "$n" = 3 ] || { echo "leader $l lists $n servers"; return 1; }
}

# member_has_rows K NETWORK...: member K's own copy of the database holds the
# three chassis and the named networks.
member_has_rows() {
    local sock=$TB_DIR/central/roam$1.sock out n
    shift
    out=$(ovsdb-client --timeout=5 dump -f csv "unix:$sock" Roam Chassis) || return 1
    for n in hv1 hv2 hv3; do
        echo "$out" | grep -q ",$n," || { echo "no Chassis $n: $out"; return 1; }
    done
    out=$(ovsdb-client --timeout=5 dump -f csv "unix:$sock" Roam Network) || return 1
    for n in "$@"; do
        echo "$out" | grep -q ",$n," || { echo "no Network $n: $out"; return 1; }
    done
}

# check_all_acked: there are 3 Chassis_Private rows and each nb_cfg equals
# Global nb_cfg.
check_all_acked() {
    local cfg k got
    cfg=$(ctl get Global . nb_cfg)
    assert_eq 3 "$(ctl --bare --columns=name list Chassis_Private | grep -c .)" \
        "number of Chassis_Private rows"
    for k in 1 2 3; do
        got=$(ctl get Chassis_Private "hv$k" nb_cfg)
        assert_eq "$cfg" "$got" "hv$k Chassis_Private nb_cfg after --wait=hv (Global nb_cfg)"
    done
}

# kill_member K: SIGKILLs member K, waits for a leader among the others,
# checks that agents and rows survive and that agents and roam-ctl still
# write.  $1: member to kill, $2: hv1's current encap IP, $3: hv1's new
# encap IP, $4: a network to create.
round=0
kill_member() {
    local victim=$1 ip_old=$2 ip_new=$3 net=$4 k new hb
    round=$((round + 1))
    local on_victim=
    for k in 1 2 3; do
        [ "$(connected_member $k)" = "$victim" ] && on_victim="$on_victim hv$k"
    done
    echo "round $round: killing member $victim (leader: $(tb cluster-leader 2>/dev/null || echo none)); agents connected to it:${on_victim:- none}"

    check tb cluster-kill "$victim"
    alive "$TB_DIR/central/roam$victim.pid" && fail "member $victim survives cluster-kill"
    wait_until -t 20 tb cluster-leader
    new=$(tb cluster-leader)
    [ "$new" != "$victim" ] || fail "round $round: expected a leader other than killed member $victim, got $new"
    echo "round $round: member $new is leader"

    # Nothing was lost and nothing was duplicated.
    check chassis_ok "$ip_old"
    check_all_agents_run

    # Every agent writes again: a heartbeat newer than any before the
    # election (heartbeats come every 2 s; the wait covers the reconnection
    # back-off).
    local hbs=()
    for k in 1 2 3; do
        hbs[k]=$(heartbeat_of $k) || fail "round $round: reading hv$k's heartbeat failed"
    done
    for k in 1 2 3; do
        wait_until -t 20 heartbeat_after $k "${hbs[k]}"
        wait_until -t 20 central_connected $k
    done

    # A write that only an agent makes lands: hv1's new encap address.
    check tb hv 1 ovs-vsctl set Open_vSwitch . external_ids:roam-encap-ip="$ip_new"
    wait_until -t 20 encap_is 1 "$ip_new"
    check chassis_ok "$ip_new"

    # roam-ctl writes, and every live chassis acknowledges.
    check ctl net-add "$net" $((100 + round))
    assert_eq "$((100 + round))" "$(ctl get Network "$net" tunnel_key)" "VNI of network $net"
    local before after
    before=$(ctl get Global . nb_cfg)
    check ctl --wait=hv --timeout=20 sync
    after=$(ctl get Global . nb_cfg)
    assert_eq "$((before + 1))" "$after" "Global nb_cfg after --wait=hv sync"
    check_all_acked
    check_all_agents_run

    # The killed member comes back and catches up.
    check tb cluster-start "$victim"
    wait_until -t 30 member_rejoined "$victim"
    wait_until -t 30 leader_sees_3
    wait_until -t 30 member_has_rows "$victim" "$net"
    for k in 1 2 3; do
        alive "$TB_DIR/central/roam$k.pid" || fail "round $round: cluster member $k does not run"
    done
    echo "round $round: member $victim rejoined; cluster has 3 members"
}

check tb start --cluster --hypervisors 3
wait_until -t 20 chassis_ok 192.0.2.11
# Agents beat only while watched: watch them all, for the whole test.
for k in 1 2 3; do
    check watch_chassis $k
done
for k in 1 2 3; do
    wait_until -t 20 central_connected $k
done
echo "3 chassis registered on the cluster"

# 1: the leader dies.
leader=$(tb cluster-leader) || fail "expected a cluster leader, got none"
kill_member "$leader" 192.0.2.11 192.0.2.21 n1
# 2: the new leader dies too.
leader=$(tb cluster-leader) || fail "expected a cluster leader, got none"
kill_member "$leader" 192.0.2.21 192.0.2.22 n2
# 3: the member hv1 reads from dies (leader or not), so that at least one
#    agent loses its connection whatever members the agents picked.
m=$(connected_member 1)
[[ $m =~ ^[123]$ ]] || fail "could not tell from hv1's log which cluster member it uses (got \"$m\")"
kill_member "$m" 192.0.2.22 192.0.2.23 n3

check_all_agents_run
echo "PASS"
