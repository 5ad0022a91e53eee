#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# The desired flows are computed incrementally, and the result is the same
# as a full computation's.
#
# For each kind of change (a port added, its MAC changed, bound to another
# chassis, deleted; a second port with a local port's MAC added and deleted;
# a network's VNI changed; a VIF plugged into a network that was not local
# yet, and unplugged again), hv1's agent must handle it
# without a full computation, its flows must equal what the switch has, and
# a forced full computation ("recompute") must produce exactly the same
# flows.  Then: a binding change sends the same number of flow mods with
# 300 ports in the network as with 10; and "memory/show" counts the rows,
# flows and networks the agent holds.

. "$ROAM_SRCDIR/tests/system/lib.sh"
. "$ROAM_SRCDIR/tests/system/agent-lib.sh"

check tb start --hypervisors 3
wait_until chassis_names_are "hv1 hv2 hv3"
hv2=$(row_uuid Chassis hv2)
hv3=$(row_uuid Chassis hv3)

check ctl net-add blue 1001
check ctl net-add red 1002
check ctl port-add blue b1 00:00:5e:00:53:b1 198.51.100.11/24
check tb vm-add b1 1 b1 00:00:5e:00:53:b1 198.51.100.11/24
check ctl port-add blue b2 00:00:5e:00:53:b2 198.51.100.12/24
check tb vm-add b2 2 b2 00:00:5e:00:53:b2 198.51.100.12/24
check ctl port-add red r2 00:00:5e:00:53:c2 203.0.113.12/24
check tb vm-add r2 2 r2 00:00:5e:00:53:c2 203.0.113.12/24

wait_until port_up b1
wait_until port_up b2
wait_until port_up r2

# The agents have applied everything written so far.
settle() {
    check ctl --wait=hv --timeout=20 sync
}
status_number() {  # PATTERN: the number before PATTERN in hv1's status
    agent_status 1 | sed -n "s/.*[ (]\([0-9]*\) $1.*/\1/p"
}
full_runs() {
    status_number "full computations"
}
flow_mods() {
    agent_status 1 | sed -n 's/.*flow mods: \([0-9]*\).*/\1/p'
}
desired() {
    tb hv 1 ovs-appctl -t roam-agent dump-desired-flows | sort
}
installed() {
    tb hv 1 ovs-ofctl -O OpenFlow15 --no-names dump-flows --no-stats br-int \
        | sed 's/^ *//' | sort
}
# memory_count NAME: the count NAME in hv1's "memory/show".
memory_count() {
    tb hv 1 ovs-appctl -t roam-agent memory/show \
        | tr ' ' '\n' | sed -n "s/^$1:\([0-9]*\)$/\1/p"
}
recomputed_since() {
    [ "$(full_runs)" -gt "$1" ]
}

# step NAME COMMAND...: runs COMMAND, waits until every agent applied it and
# checks hv1's flows as described above.
step() {
    local name=$1
    shift
    settle
    local full0
    full0=$(full_runs)
    check "$@"
    settle
    assert_eq "$full0" "$(full_runs)" \
        "full computations on hv1 after \"$name\" (it should be incremental)"
    local incremental
    incremental=$(desired)
    assert_eq "$incremental" "$(installed)" \
        "hv1: switch flows vs. desired flows after \"$name\""
    check tb hv 1 ovs-appctl -t roam-agent recompute
    wait_until recomputed_since "$full0"
    assert_eq "$incremental" "$(desired)" \
        "hv1: incremental flows vs. a full computation after \"$name\""
    echo "ok: $name"
}

step "remote port added" ctl port-add blue x1 00:00:5e:00:53:01 198.51.100.21/24
step "remote port bound to hv2" ctl set Port x1 "chassis=$hv2"
grep -q "00:00:5e:00:53:01" <<<"$(desired)" \
    || fail "hv1 has no flow for x1's MAC after it was bound to hv2"
step "remote port moved to hv3" ctl set Port x1 "chassis=$hv3"
step "MAC changed" ctl port-set-mac x1 00:00:5e:00:53:02
grep -q "00:00:5e:00:53:01" <<<"$(desired)" \
    && fail "hv1 still has a flow for x1's old MAC"
step "remote port unbound" ctl clear Port x1 chassis
step "remote port deleted" ctl port-del x1
# Bad input: a second port with b2's MAC (spelled in capitals; roam-ctl
# refuses it, a direct write does not).  One of the two gets the MAC's
# flow, the same one whatever the order of the changes; when the other
# port goes, b2 keeps or gets it back, and b1 reaches b2.
step "second port with b2's MAC" ctl -- --id=@net get Network blue \
    -- create Port name=d1 network=@net tunnel_key=99 \
       'mac="00:00:5E:00:53:B2"' "chassis=$hv3"
grep -qi "mac: 00:00:5e:00:53:b2 is also the MAC of another port" \
    "$(agent_log 1)" || fail "hv1 did not log the duplicate MAC"
# b2_flow HV: HV's l2_lookup flows for b2's MAC, but those for packets from
# tunnels.  On hv2, b2 is local and d1 elsewhere: still one flow, and the
# same port's as on hv1.
b2_flow() {
    tb hv "$1" ovs-ofctl -O OpenFlow15 --names dump-flows br-int table=20 \
        | grep "dl_dst=00:00:5e:00:53:b2" | grep -v "reg10=0x1"
}
cookie_of() { sed -n 's/.*cookie=\(0x[0-9a-f]*\).*/\1/p' <<<"$1"; }
check ctl --wait=hv --timeout=20 sync
assert_eq 1 "$(b2_flow 2 | wc -l)" "hv2's l2_lookup flows for b2's MAC from VIFs"
assert_eq "$(cookie_of "$(b2_flow 1)")" "$(cookie_of "$(b2_flow 2)")" \
    "the port that gets b2's MAC on hv1 vs. on hv2"
step "second port with b2's MAC deleted" ctl port-del d1
grep -q 'output:"*roam-hv2' <<<"$(b2_flow 1)" \
    || fail "hv1 does not send b2's MAC to hv2 after d1 left: $(b2_flow 1)"
step "VNI changed" ctl set Network blue tunnel_key=1011
grep -q "tun_id=0x3f3" <<<"$(desired)" \
    || fail "hv1 has no flow for blue's new VNI 1011"
grep -q "tun_id=0x3e9" <<<"$(desired)" \
    && fail "hv1 still has a flow for blue's old VNI 1001"
check ctl port-add red r1 00:00:5e:00:53:c1 203.0.113.11/24
step "VIF plugged into a network new on hv1" \
    tb vm-add r1 1 r1 00:00:5e:00:53:c1 203.0.113.11/24
grep -q "00:00:5e:00:53:c2" <<<"$(desired)" \
    || fail "hv1 has no flow for red's remote port r2 after r1 was plugged"
step "VIF unplugged, network no longer local" tb vm-del r1
grep -q "00:00:5e:00:53:c2" <<<"$(desired)" \
    && fail "hv1 still has a flow for red's remote port r2 after r1 left"

# --- A binding change costs the same flow mods with 10 or 300 ports -------
# add_remote_ports FIRST LAST: ports bound to hv2 in one transaction.
add_remote_ports() {
    # Distinct MACs and keys for up to 65535 ports.
    check ctl -- --id=@net get Network blue \
        $(for i in $(seq "$1" "$2"); do
              printf -- '-- create Port name=y%d network=@net tunnel_key=%d mac="00:00:5e:00:%02x:%02x" chassis=%s ' \
                  "$i" $((100 + i)) $((i / 256)) $((i % 256)) "$hv2"
          done) >/dev/null
}
# flow_mods_for_move PORT: flow mods hv1 sends when PORT moves hv2 -> hv3.
flow_mods_for_move() {
    settle
    local before
    before=$(flow_mods)
    check ctl set Port "$1" "chassis=$hv3"
    settle
    echo $(($(flow_mods) - before))
}
add_remote_ports 1 10
# hv3 has no blue port yet: the first move also adds it to blue's flooding.
flow_mods_for_move y1 >/dev/null
small=$(flow_mods_for_move y2)
settle
cells_before=$(memory_count idl-cells-Roam)
add_remote_ports 11 300
large=$(flow_mods_for_move y3)
echo "flow mods for one binding change: $small with 10 ports, $large with 300"
[ "$small" -gt 0 ] || fail "a binding change sent no flow mod"
assert_eq "$small" "$large" \
    "flow mods for one binding change with 300 ports vs. with 10"
full0=$(full_runs)
check ctl set Port y4 "chassis=$hv3"
settle
assert_eq "$full0" "$(full_runs)" \
    "full computations after a binding change with 300 ports"

# --- "memory/show" counts what the agent holds ----------------------------
# The Roam IDL's cells are rows times columns: the 290 ports added above
# are 290 rows of all of Port's columns, and nothing else was added since.
port_columns=$(python3 -c 'import json, sys
print(len(json.load(open(sys.argv[1]))["tables"]["Port"]["columns"]))' \
    "$ROAM_SRCDIR/ovsdb/roam.ovsschema")
cells_after=$(memory_count idl-cells-Roam)
assert_eq $((cells_before + 290 * port_columns)) "$cells_after" \
    "idl-cells-Roam in memory/show after 290 ports were added"
assert_eq "$(desired | wc -l)" "$(memory_count desired-flows)" \
    "desired-flows in memory/show vs. dump-desired-flows"
assert_eq "$(installed | wc -l)" "$(memory_count installed-flows)" \
    "installed-flows in memory/show vs. the switch's flows"
assert_eq 1 "$(memory_count local-networks)" \
    "local-networks in memory/show (blue; red's VIF left hv1)"
echo "ok: memory/show"

echo "test-datapath-incremental: ok"
