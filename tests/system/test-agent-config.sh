#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# roam-agent follows its configuration at run time, without a restart: a new
# roam-encap-ip or roam-encap-type reaches the Encap rows; roam-encap-iface is
# followed through netlink as its address changes; a bad or missing value is
# logged once, naming the key, and the agent keeps its previous configuration
# until a good value arrives; a deleted Open_vSwitch row is waited for, and
# the agent is the same chassis's owner once it is back.

. "$ROAM_SRCDIR/tests/system/lib.sh"
. "$ROAM_SRCDIR/tests/system/agent-lib.sh"

check tb start --hypervisors 3
wait_until chassis_names_are "hv1 hv2 hv3"
expect_encaps hv1 "hv1,geneve,192.0.2.11"

# --- roam-encap-ip: the row is updated in place -----------------------------
encap_uuid=$(ctl --bare --columns=_uuid find Encap chassis_name=hv1)
check ovs_set 1 roam-encap-ip=192.0.2.21
expect_encaps hv1 "hv1,geneve,192.0.2.21"
assert_eq "$encap_uuid" "$(ctl --bare --columns=_uuid find Encap chassis_name=hv1)" \
    "hv1's Encap row after an address change (updated in place)"

# --- roam-encap-type: one Encap row per type ------------------------------
check ovs_set 2 roam-encap-type=vxlan
expect_encaps hv2 "hv2,vxlan,192.0.2.12"
check ovs_set 2 roam-encap-type=geneve,vxlan
expect_encaps hv2 "hv2,geneve,192.0.2.12
hv2,vxlan,192.0.2.12"
check ovs_set 2 roam-encap-type=gre
expect_encaps hv2 "hv2,gre,192.0.2.12"
# An Encap row dropped from its chassis is garbage-collected, not left over.
assert_eq 3 "$(count_rows Encap)" "number of Encap rows"

# --- A bad value: logged once, previous configuration kept -----------------
bad_type_logged() {
    grep -c 'external_ids:roam-encap-type "ipip" is not' "$(agent_log 3)"
}
check watch_chassis 3     # Watched, it beats, and so runs every 2 s.
check ovs_set 3 roam-encap-type=ipip
wait_until bad_type_logged
sleep 2   # The agent runs again meanwhile (a heartbeat): no repeats.
assert_eq 1 "$(bad_type_logged)" "log lines about roam-encap-type=ipip"
expect_encaps hv3 "hv3,geneve,192.0.2.13"
agent_alive 3 || fail "hv3's agent died on a bad roam-encap-type"
status=$(agent_status 3)
grep -q "roam-encap-type: \"ipip\"" <<<"$status" \
    || fail "hv3's status does not show the bad key:
$status"
# Heartbeats go on with the previous configuration.
wait_until -t 6 heartbeat_after 3 "$(heartbeat hv3)"

# A second bad key while the first is still bad, then a missing required one.
check ovs_set 3 roam-encap-ip=192.0.2.300
wait_until grep -q 'external_ids:roam-encap-ip "192.0.2.300"' "$(agent_log 3)"
check ovs_remove 3 system-id
wait_until grep -q 'external_ids:system-id missing' "$(agent_log 3)"
expect_encaps hv3 "hv3,geneve,192.0.2.13"
agent_alive 3 || fail "hv3's agent died on a missing system-id"

# Good values put the new configuration into effect.
check ovs_set 3 system-id=hv3 roam-encap-type=gre roam-encap-ip=192.0.2.23
expect_encaps hv3 "hv3,gre,192.0.2.23"
wait_until status_has 3 'configuration: valid'
wait_until grep -q 'external_ids:roam-encap-type is valid now' "$(agent_log 3)"

# An agent whose first configuration is incomplete waits for it.
check tb agent-stop 3
check ovs_remove 3 roam-remote
check tb agent-start 3
wait_until grep -q 'external_ids:roam-remote missing' "$(agent_log 3)"
agent_alive 3 || fail "hv3's agent exited on a missing roam-remote"
check ovs_set 3 "roam-remote=unix:$TB_DIR/central/roam.sock"
wait_until status_has 3 'central database: .*: connected'

# --- Another chassis's endpoint: refused before writing, liveness goes on ----
check ovs_set 1 roam-encap-type=gre roam-encap-ip=192.0.2.23
wait_until grep -q "gre endpoint 192.0.2.23 is already chassis hv3's" \
    "$(agent_log 1)"
wait_until status_has 1 "conflict: gre endpoint 192.0.2.23"
expect_encaps hv1 "hv1,geneve,192.0.2.21"
expect_encaps hv3 "hv3,gre,192.0.2.23"
check watch_chassis 1
wait_until -t 6 heartbeat_after 1 "$(heartbeat hv1)"
! status_has 1 "last central transaction: failed" \
    || fail "hv1 sent a transaction that the server refused"
check ovs_set 1 roam-encap-type=geneve roam-encap-ip=192.0.2.21
wait_until grep -q "chassis hv1: conflict resolved" "$(agent_log 1)"

# --- Two hypervisors with one system-id: the second does not fight ----------
hv1_row=$(ctl --format=csv --no-headings --columns=hostname,other_config,encaps list Chassis hv1)
check ovs_set 2 system-id=hv1
wait_until grep -q "chassis hv1 belongs to another live agent" "$(agent_log 2)"
sleep 3
assert_eq 1 "$(grep -c 'chassis hv1 belongs to another live agent' "$(agent_log 2)")" \
    "log lines of hv2 about the duplicate system-id"
assert_eq "$hv1_row" \
    "$(ctl --format=csv --no-headings --columns=hostname,other_config,encaps list Chassis hv1)" \
    "hv1's Chassis row while hv2 claims its name"
expect_encaps hv1 "hv1,geneve,192.0.2.21"
# hv2 watches hv1's liveness meanwhile, which makes hv1 beat.
check unwatch_chassis 1
hb=$(heartbeat hv1)
wait_until -t 6 heartbeat_after 1 "$hb"
# Once hv1's agent stops (its heartbeat with it), hv2 takes the chassis
# over: nothing but the passing of time tells it so.
check tb agent-stop 1
wait_until -t 30 grep -q "taking over chassis hv1 from agent" "$(agent_log 2)"
wait_until status_has 2 "chassis row: registered"
check ovs_set 2 system-id=hv2
wait_until chassis_names_are "hv2 hv3"
check tb agent-start 1
wait_until chassis_names_are "hv1 hv2 hv3"
expect_encaps hv2 "hv2,gre,192.0.2.12"

# --- roam-bridge and roam-bridge-datapath-type at run time ---------------------
bridge_is() {  # K BRIDGE COLUMN VALUE
    [ "$(tb hv "$1" ovs-vsctl get Bridge "$2" "$3" 2>/dev/null)" = "$4" ]
}
check ovs_set 2 roam-bridge=br-roam
wait_until bridge_is 2 br-roam fail_mode secure
wait_until bridge_is 2 br-roam datapath_type netdev
wait_until status_has 2 "integration bridge: br-roam (datapath netdev, fail_mode secure, 4 of 4 tables named)"
bridge_is 2 br-int fail_mode secure || fail "hv2's old br-int was changed or removed"
check ovs_set 2 roam-bridge-datapath-type=system
wait_until bridge_is 2 br-roam datapath_type system
check ovs_set 2 roam-bridge-datapath-type=netdev roam-bridge=br-int
wait_until bridge_is 2 br-roam datapath_type system
wait_until status_has 2 "integration bridge: br-int (datapath netdev"

# --- roam-encap-iface: the address is followed through netlink ---------------
# A veth pair inside hv1's namespace stands for the uplink that holds the
# tunnel endpoint.  /32 addresses keep the underlay's routes untouched.
check ovs_remove 1 roam-encap-ip
check ovs_set 1 roam-encap-iface=tep0
wait_until grep -q 'roam-encap-iface: tep0: interface does not exist' "$(agent_log 1)"
# No address yet: the previous endpoint stays.
expect_encaps hv1 "hv1,geneve,192.0.2.21"

check tb hv 1 ip link add tep0 type veth peer name tep0p
check tb hv 1 ip link set tep0 up
check tb hv 1 ip link set tep0p up
check tb hv 1 ip addr add 192.0.2.201/32 dev tep0
expect_encaps hv1 "hv1,geneve,192.0.2.201"

check tb hv 1 ip addr add 192.0.2.202/32 dev tep0
check tb hv 1 ip addr del 192.0.2.201/32 dev tep0
expect_encaps hv1 "hv1,geneve,192.0.2.202"

# Without IPv4, a global IPv6 address is used.
check tb hv 1 ip addr add 2001:db8::201/128 dev tep0 nodad
check tb hv 1 ip addr del 192.0.2.202/32 dev tep0
expect_encaps hv1 "hv1,geneve,2001:db8::201"

# The interface goes away: the last endpoint stays, and comes back with it.
check tb hv 1 ip link del tep0
sleep 0.5
expect_encaps hv1 "hv1,geneve,2001:db8::201"
check tb hv 1 ip link add tep0 type veth peer name tep0p
check tb hv 1 ip addr add 192.0.2.203/32 dev tep0
expect_encaps hv1 "hv1,geneve,192.0.2.203"

# roam-encap-ip wins over roam-encap-iface.
check ovs_set 1 roam-encap-ip=192.0.2.11
expect_encaps hv1 "hv1,geneve,192.0.2.11"
check tb hv 1 ip addr add 192.0.2.204/32 dev tep0
sleep 0.5
expect_encaps hv1 "hv1,geneve,192.0.2.11"

# --- roam-plugins-disabled: the core cannot be switched off ------------------
flows_before=$(tb hv 2 ovs-ofctl dump-flows --no-stats br-int | sort)
check ovs_set 2 roam-plugins-disabled=core,no-such-plugin
wait_until grep -q 'roam-plugins-disabled: plugin "core" cannot be disabled' \
    "$(agent_log 2)"
wait_until grep -q 'roam-plugins-disabled: there is no plugin named "no-such-plugin"' \
    "$(agent_log 2)"
sleep 0.5
assert_eq "$flows_before" "$(tb hv 2 ovs-ofctl dump-flows --no-stats br-int | sort)" \
    "hv2's flows with roam-plugins-disabled=core"
check ovs_remove 2 roam-plugins-disabled

# --- The Open_vSwitch row deleted, then created again -----------------------
# (Deleting it deletes every bridge too.)  The agent waits, without
# crashing, for a new row; with its keys set again it is hv3 once more.
ext_ids=$(tb hv 3 ovs-vsctl get Open_vSwitch . external_ids)
encaps_before=$(encaps hv3)
check tb hv 3 ovs-vsctl --no-wait destroy Open_vSwitch .
wait_until grep -q 'the local database has no Open_vSwitch row' "$(agent_log 3)"
sleep 1
agent_alive 3 || fail "hv3's agent died when the Open_vSwitch row was deleted"
# It waits without spinning.  (A busy-loop check, not a performance target:
# a spinning agent uses 100+ ticks in 2 s.)
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
t0=$(cpu_ticks "$(agent_pid 3)")
sleep 2
used=$(( $(cpu_ticks "$(agent_pid 3)") - t0 ))
echo "hv3's agent used $used CPU ticks in 2 s without an Open_vSwitch row"
((used < 20 * hz / 100)) \
    || fail "hv3's agent is busy without an Open_vSwitch row: $used ticks in 2 s"
check tb hv 3 ovs-vsctl --no-wait init
check tb hv 3 ovs-vsctl --no-wait set Open_vSwitch . "external_ids=$ext_ids"
br_int_back() {
    tb hv 3 ovs-ofctl dump-flows br-int 2>/dev/null | grep -q 'table=20'
}
wait_until -t 20 br_int_back
expect_encaps hv3 "$encaps_before"
grep -q 'belongs to another live agent' "$(agent_log 3)" \
    && fail "hv3's agent no longer owns its chassis after the row came back"
agent_alive 3 || fail "hv3's agent died after the Open_vSwitch row came back"

for k in 1 2 3; do
    agent_alive $k || fail "hv$k's agent died"
done
echo "test-agent-config: ok"
