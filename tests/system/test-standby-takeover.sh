#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# The source of a live migration dies while the destination stands by: hv2
# holds v2, hv3 is its additional_chassis (port-migrate, the destination's
# VIF plugged), and hv2's agent and ovs-vswitchd are killed.  After that
# nothing happens: no plug, no write to the central database.  hv3 takes
# the binding by itself once hv2's heartbeat is three of its intervals old
# (a dead source leaves nothing to migrate from: agent/claim.h), not
# before: the agent wakes up for that moment.  It writes a failover
# Migration row, and v1 reaches v2 once the VM resumes on hv3.

. "$ROAM_SRCDIR/tests/system/lib.sh"
. "$ROAM_SRCDIR/tests/system/agent-lib.sh"

check tb start --hypervisors 3
wait_until chassis_names_are "hv1 hv2 hv3"
check ctl net-add blue 1001
add_vm v1 1 blue 00:00:5e:00:53:01 198.51.100.1/24
add_vm v2 2 blue 00:00:5e:00:53:02 198.51.100.2/24
wait_until port_up v1
wait_until port_up v2
wait_until port_on v2 hv2

check ctl --wait=hv --timeout=20 port-migrate v2 hv3
check tb vm-migrate v2 3 --prepare
wait_until port_standby_on v2 hv3
port_on v2 hv2 || fail "v2 left hv2 before the source died"

interval=$(ctl --bare --columns=heartbeat_interval find Chassis_Private name=hv2)
[[ $interval =~ ^[0-9]+$ ]] || fail "hv2 has no heartbeat interval (\"$interval\")"
# hv3's own heartbeats wake its agent up too: make them rare, so that only
# the agent's wake-up for hv2's death can explain a prompt claim.  (Its
# tunnel's BFD session to hv2 goes down after 3 BFD intervals, 3 s, well
# before hv2's heartbeat is 3 heartbeat intervals old, 4 to 6 s: that
# wake-up comes too early to claim.)
check ovs_set 3 roam-bfd-interval=1000 roam-heartbeat-interval=30000
hv3_interval_is() {
    [ "$(ctl --bare --columns=heartbeat_interval find Chassis_Private name=hv3)" = 30000 ]
}
wait_until hv3_interval_is

t_kill=$(now_ms)
check tb hv-kill 2
wait_until -t $((3 * interval / 1000 + 15)) port_on v2 hv3
echo "hv3 took v2 $(($(now_ms) - t_kill)) ms after hv2 was killed (hv2's heartbeat every ${interval} ms)"
[ -z "$(ctl --bare --columns=additional_chassis list Port v2)" ] \
    || fail "v2 still has an additional_chassis after hv3 took it"

# hv2 is dead once its last heartbeat is three intervals old
# (ovsdb/chassis-liveness.h): hv3 claims v2 then, and not before.
last_beat=$(ctl --bare --columns=heartbeat find Chassis_Private name=hv2)
[[ $last_beat =~ ^[0-9]+$ ]] || fail "hv2 has no heartbeat (\"$last_beat\")"
death=$((last_beat + 3 * interval))
ts=$(grep -m1 -- "claiming port v2 from chassis hv2$" "$(agent_log 3)" | cut -d'|' -f1)
[ -n "$ts" ] || fail "hv3's log does not say that it claims v2"
t_claim=$(date -d "$ts" +%s%3N) || fail "cannot read the time of hv3's claim (\"$ts\")"
echo "hv3 claimed v2 $((t_claim - death)) ms after hv2's heartbeat was 3 intervals old"
((t_claim >= death)) \
    || fail "hv3 claimed v2 $((death - t_claim)) ms before hv2's heartbeat was 3 intervals old"
((t_claim - death <= 1000)) \
    || fail "hv3 claimed v2 only $((t_claim - death)) ms after hv2's heartbeat was 3 intervals old"

failover_row() {
    ctl --bare --columns=_uuid find Migration port=v2 kind=failover \
        from_chassis=hv2 to_chassis=hv3 | grep -q .
}
wait_until failover_row
wait_until port_up v2

# The VM resumes on hv3; v1 reaches it there.
check tb vm-migrate v2 --finish
reachable() {
    tb vm v1 ping -c1 -W1 198.51.100.2 >/dev/null 2>&1
}
wait_until reachable
port_on v2 hv3 || fail "v2 is no longer bound to hv3"
echo "test-standby-takeover: ok"
