#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# roam-agent registers its chassis: three hypervisors give three Chassis rows
# with the right Encap rows and live Chassis_Private rows; each creates br-int
# (fail_mode=secure, netdev, named tables); restarts, even by SIGKILL, reuse
# the rows; a changed system-id replaces the agent's own rows and no other.

. "$ROAM_SRCDIR/tests/system/lib.sh"
. "$ROAM_SRCDIR/tests/system/agent-lib.sh"

check tb start --hypervisors 3

# --- Three chassis with their encaps --------------------------------------
wait_until chassis_names_are "hv1 hv2 hv3"
for k in 1 2 3; do
    expect_encaps hv$k "hv$k,geneve,192.0.2.1$k"
done
assert_eq 3 "$(count_rows Encap)" "number of Encap rows"
rows_are() {
    [ "$(count_rows "$1")" = "$2" ]
}
wait_until rows_are Chassis_Private 3
for k in 1 2 3; do
    hb=$(heartbeat hv$k)
    [ "${hb:-0}" -gt 0 ] || fail "hv$k: no heartbeat in Chassis_Private (got \"$hb\")"
    ch=$(ctl --bare --columns=chassis find Chassis_Private name=hv$k)
    assert_eq "$(row_uuid Chassis hv$k)" "$ch" "hv$k: Chassis_Private.chassis"
done
check ctl chassis-list | grep -c alive | grep -qx 3 \
    || fail "chassis-list does not show 3 live chassis: $(ctl chassis-list)"

# --- Liveness costs nothing until somebody watches --------------------------
# An idle agent that nobody watches does not wake up at all: no heartbeat,
# no timer.  The kernel counts the times its main thread ran
# (/proc/PID/schedstat, third field), which reading does not disturb.
# Watched, it beats at once and every 2 s, and those wake-ups (timer,
# reply, echo) leave the modules of the data path alone (coverage counts
# their runs).  When the watch ends, it falls silent again.  A quiet window
# is 6 s, longer than the 5 s of OVSDB's and OpenFlow's default inactivity
# probes (none should run over these Unix sockets), once the testbed has
# settled (BFD sessions coming up change the tunnels' rows; roam-ctl
# chassis-list above watched every chassis for a moment; the agent logs
# its memory use once, 10 s after its start).
coverage_total() {  # K COUNTER
    tb hv "$1" ovs-appctl -t roam-agent coverage/show \
        | awk -v c="$2" '$1 == c { print $NF; found = 1 } END { if (!found) print 0 }'
}
times_run() {  # K
    awk '{ print $3 }' "/proc/$(agent_pid "$1")/schedstat"
}
quiet_window() {  # K
    local runs hb
    runs=$(times_run "$1")
    hb=$(heartbeat "hv$1")
    sleep 6
    [ "$(heartbeat "hv$1")" = "$hb" ] && [ "$(times_run "$1")" = "$runs" ]
}
beating_window() {  # K
    local runs modules hb
    runs=$(times_run "$1")
    modules=$(coverage_total "$1" agent_run_modules)
    hb=$(heartbeat "hv$1")
    sleep 3
    [ "$(heartbeat "hv$1")" -gt "$hb" ] \
        && [ "$(times_run "$1")" -gt "$runs" ] \
        && [ "$(coverage_total "$1" agent_run_modules)" = "$modules" ]
}
wait_until -t 40 quiet_window 1
t_watch=$(heartbeat hv1)
check watch_chassis 1
wait_until -t 2 heartbeat_after 1 "$t_watch"
wait_until -t 30 beating_window 1
check unwatch_chassis 1
wait_until -t 20 quiet_window 1

# roam-ctl learns liveness the same way: once every heartbeat is older than
# a liveness window (3 intervals), chassis-list watches the chassis, which
# makes them beat, shows them alive, and takes its watches back.
all_stale() {
    local k hb
    for k in 1 2 3; do
        hb=$(heartbeat hv$k)
        (($(now_ms) - hb > 6000)) || return 1
    done
}
wait_until -t 20 all_stale
declare -A hb_before
for k in 1 2 3; do
    hb_before[$k]=$(heartbeat hv$k)
done
check ctl chassis-list | grep -c ' alive (' | grep -qx 3 \
    || fail "chassis-list does not show 3 live chassis once watched:" \
            "$(ctl chassis-list)"
for k in 1 2 3; do
    heartbeat_after $k "${hb_before[$k]}" \
        || fail "hv$k did not beat for chassis-list's watch"
    assert_eq 0 "$(ctl get Chassis_Private hv$k watched_until)" \
        "hv$k: Chassis_Private watched_until after chassis-list"
done

# --- The integration bridge -----------------------------------------------
for k in 1 2 3; do
    assert_eq secure "$(tb hv $k ovs-vsctl get Bridge br-int fail_mode)" \
        "hv$k: br-int fail_mode"
    assert_eq netdev "$(tb hv $k ovs-vsctl get Bridge br-int datapath_type)" \
        "hv$k: br-int datapath_type"
    names=$(tb hv $k ovs-vsctl --bare --columns=name list Flow_Table | sed '/^$/d' | sort | tr '\n' ' ')
    assert_eq "classify flood l2_lookup output " "$names" \
        "hv$k: Flow_Table names"
    # The names reach the switch: ovs-ofctl can address a table by name.
    check tb hv $k ovs-ofctl --names dump-flows br-int table=l2_lookup >/dev/null
done

# --- status ---------------------------------------------------------------
status=$(agent_status 2)
for want in "chassis: hv2" "configuration: valid" \
            "local database: unix:$TB_DIR/hv2/db.sock: connected" \
            "central database: unix:$TB_DIR/central/roam.sock: connected" \
            "encap: geneve 192.0.2.12" "chassis row: registered" \
            "chassis in central database: 3"; do
    grep -qF "$want" <<<"$status" || fail "hv2 status lacks \"$want\":
$status"
done
check tb hv 2 ovs-appctl -t roam-agent version | grep -q "^roam-agent " \
    || fail "version does not name roam-agent"

# --- Restarts reuse the rows ----------------------------------------------
snapshot() {
    ctl --format=csv --no-headings --columns=_uuid,name list Chassis | sort
    ctl --format=csv --no-headings --columns=_uuid,chassis_name,type,ip list Encap | sort
    ctl --format=csv --no-headings --columns=_uuid,name list Chassis_Private | sort
}
before=$(snapshot)

check tb agent-stop 1
check tb agent-start 1
wait_until agent_status 1
sleep 1     # Give a duplicating agent the time to insert.
assert_eq "$before" "$(snapshot)" "rows after a clean restart of hv1's agent"

check tb agent-stop 2 --kill
check tb agent-start 2
wait_until agent_status 2
sleep 1
assert_eq "$before" "$(snapshot)" "rows after SIGKILL and restart of hv2's agent"

# Both agents still beat, when watched, after their restarts.
for k in 1 2; do
    hb=$(heartbeat hv$k)
    check watch_chassis $k 10
    wait_until -t 6 heartbeat_after $k "$hb"
done

# --- Another chassis's rows are never touched -----------------------------
# A chassis without an agent (say, one that is down) keeps its rows as they
# are, also while the agents restart.
check ctl -- --id=@e create Encap type=vxlan ip=192.0.2.99 chassis_name=ghost \
    -- create Chassis name=ghost hostname=ghost encaps=@e
ghost=$(ctl --format=csv --no-headings list Chassis ghost)
check tb agent-stop 3
check tb agent-start 3
wait_until agent_status 3
sleep 1
assert_eq "$ghost" "$(ctl --format=csv --no-headings list Chassis ghost)" \
    "the ghost chassis row after agents ran"
expect_encaps ghost "ghost,vxlan,192.0.2.99"

# --- A new system-id replaces the agent's own rows only --------------------
check ovs_set 3 system-id=hv3b
wait_until chassis_names_are "ghost hv1 hv2 hv3b"
expect_encaps hv3b "hv3b,geneve,192.0.2.13"
expect_encaps hv3 ""
wait_until column_is Chassis_Private hv3b name hv3b
# The old name's Chassis_Private goes too: nothing may wait for it.
no_row() {  # TABLE NAME
    [ -z "$(ctl --bare --columns=_uuid find "$1" name="$2")" ]
}
wait_until no_row Chassis_Private hv3
grep -q "system-id changed from hv3 to hv3b" "$(agent_log 3)" \
    || fail "hv3's log does not explain the system-id change"
agent_alive 3 || fail "hv3's agent died"

echo "test-agent-register: ok"
