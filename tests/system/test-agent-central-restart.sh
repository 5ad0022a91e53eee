#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# roam-agent and its databases going away, with a standalone central DB:
#   (a) the central DB stops: agents keep running, log it, do not spin, and
#       reconnect when it is back;
#   (b) rows deleted behind an agent's back are re-created, and a port that
#       was bound to a deleted Chassis row is bound to its new row: its VM
#       is reachable again;
#   (c) an agent started while the central DB is down registers once it is up;
#   (d) a hypervisor's local ovsdb-server restarts: the agent survives,
#       reconnects and keeps br-int configured.

. "$ROAM_SRCDIR/tests/system/lib.sh"
. "$ROAM_SRCDIR/tests/system/agent-lib.sh"

# Failures that do not stop the test (so that the later parts still run);
# reported, and fatal, at the end.
deferred=()
fail_later() {
    echo "FAIL (deferred): $*" >&2
    deferred+=("$*")
}

# pid_running PID: the process runs (a zombie does not count).
pid_running() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat:0:1}" != Z ]
}
agent_pid() { cat "$TB_DIR/hv$1/roam-agent.pid"; }
agent_log() { echo "$TB_DIR/hv$1/roam-agent.log"; }
agent_status() { tb hv "$1" ovs-appctl -t roam-agent status; }

# central_is K STATE: hvK's agent reports the central DB connection as STATE
# ("connected" or "not connected").
central_is() {
    local st
    st=$(agent_status "$1") || return 1
    echo "$st" | grep -Eq "^central database: .*: $2(\$|:)" || { echo "$st"; return 1; }
}
local_is() {
    local st
    st=$(agent_status "$1") || return 1
    echo "$st" | grep -Eq "^local database: .*: $2(\$|:)" || { echo "$st"; return 1; }
}

chassis_names() {
    ctl --bare --columns=name list Chassis | grep . | sort | tr '\n' ' ' | sed 's/ $//'
}

# encap_ok K: Chassis hvK exists with exactly one Encap, geneve 192.0.2.(10+K).
encap_ok() {
    local u got=
    u=$(ctl --bare --columns=encaps find Chassis name="hv$1") || return 1
    [ -n "$u" ] || { echo "no Chassis hv$1"; return 1; }
    [ "$(echo "$u" | wc -w)" = 1 ] || { echo "hv$1 has encaps $u"; return 1; }
    got=$(ctl get Encap "$u" type ip chassis_name | tr -d '"' | tr '\n' ' ')
    [ "$got" = "geneve 192.0.2.1$1 hv$1 " ] || { echo "hv$1 encap: \"$got\""; return 1; }
}

# cp_ok K: Chassis_Private hvK exists, points at Chassis hvK and has a
# heartbeat.
cp_ok() {
    local ch cp hb
    ch=$(ctl --bare --columns=_uuid find Chassis name="hv$1") || return 1
    cp=$(ctl --bare --columns=chassis find Chassis_Private name="hv$1") || return 1
    hb=$(ctl --bare --columns=heartbeat find Chassis_Private name="hv$1") || return 1
    if [ -z "$ch" ] || [ "$cp" != "$ch" ]; then
        echo "hv$1: Chassis_Private.chassis \"$cp\", Chassis _uuid \"$ch\""
        return 1
    fi
    [ "${hb:-0}" -gt 0 ] || { echo "hv$1: heartbeat \"$hb\""; return 1; }
}

# all_rows_ok: exactly hv1..hv3 in Chassis, Encap and Chassis_Private, each
# complete.
all_rows_ok() {
    local got k
    got=$(chassis_names)
    [ "$got" = "hv1 hv2 hv3" ] || { echo "Chassis rows: \"$got\""; return 1; }
    got=$(ctl --bare --columns=name list Chassis_Private | grep . | sort | tr '\n' ' ')
    [ "$got" = "hv1 hv2 hv3 " ] || { echo "Chassis_Private rows: \"$got\""; return 1; }
    got=$(ctl --bare --columns=_uuid list Encap | grep -c .)
    [ "$got" = 3 ] || { echo "Encap rows: $got"; return 1; }
    for k in 1 2 3; do
        encap_ok $k || return 1
        cp_ok $k || return 1
    done
}

heartbeat_of() { ctl get Chassis_Private "hv$1" heartbeat; }
heartbeat_after() {
    local hb
    hb=$(heartbeat_of "$1") || return 1
    ((hb > $2)) || { echo "hv$1 heartbeat $hb, not after $2"; return 1; }
}

# log_since K N PATTERN: hvK's agent log, after its first N lines, has a line
# matching the extended regular expression PATTERN.
log_since() {
    tail -n "+$(($2 + 1))" "$(agent_log "$1")" | grep -Eq "$3"
}

check tb start --hypervisors 3
wait_until -t 20 all_rows_ok
# Agents beat only while watched: watch them all, for the whole test.
for k in 1 2 3; do
    check watch_chassis $k
done
for k in 1 2 3; do
    wait_until central_is $k connected
done
echo "3 chassis registered"

# --- (a) the central database stops and comes back --------------------------
pids=() loglen=()
for k in 1 2 3; do
    pids[k]=$(agent_pid $k)
    loglen[k]=$(wc -l < "$(agent_log $k)")
done
check tb central-stop
sock=$TB_DIR/central/roam.sock
for k in 1 2 3; do
    wait_until log_since $k "${loglen[k]}" \
        "${sock//./\\.}: .*(closed|dropped|lost|failed|disconnect)"
    wait_until central_is $k "not connected"
done
echo "(a) agents logged the lost connection"

# Past a heartbeat interval (2 s), so that every agent has had a heartbeat to
# write that it cannot; then a 3 s window: an agent that waits for the server
# uses next to no CPU.  (A busy-loop check, not a performance target: a
# spinning agent uses 100+ ticks in 3 s.)
sleep 2.5
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
limit=$((30 * hz / 100))
declare -A t0
for k in 1 2 3; do
    pid_running "${pids[k]}" || fail "(a) hv$k: roam-agent (pid ${pids[k]}) died when the central DB stopped"
    t0[$k]=$(cpu_ticks "${pids[k]}")
done
sleep 3
for k in 1 2 3; do
    pid_running "${pids[k]}" || fail "(a) hv$k: roam-agent (pid ${pids[k]}) died while the central DB was down"
    used=$(( $(cpu_ticks "${pids[k]}") - t0[$k] ))
    echo "(a) hv$k: roam-agent used $used CPU ticks in 3 s with the central DB down"
    ((used < limit)) \
        || fail_later "(a) hv$k: roam-agent busy while the central DB is down: expected fewer than $limit CPU ticks in 3 s, got $used"
done

t_back=$(now_ms)
check tb central-start
for k in 1 2 3; do
    wait_until -t 20 central_is $k connected
done
for k in 1 2 3; do
    wait_until -t 10 heartbeat_after $k "$t_back"
    assert_eq "${pids[k]}" "$(agent_pid $k)" "(a) hv$k roam-agent pid after the central DB restart"
done
check all_rows_ok
echo "(a) agents reconnected; all rows are there"

# --- (b) rows deleted behind the agent's back --------------------------------
check ctl net-add blue 1001
add_vm v1 1 blue 00:00:5e:00:53:01 198.51.100.1/24
add_vm v2 2 blue 00:00:5e:00:53:02 198.51.100.2/24
wait_until port_on v2 hv2
wait_until port_up v2
v2_pings() { tb vm v1 ping -c 1 -W 1 198.51.100.2 >/dev/null 2>&1; }
wait_until v2_pings
old=$(ctl --bare --columns=_uuid find Chassis name=hv2)
# (The agent may re-create it before the next roam-ctl can look: a new
# _uuid is what shows the row was deleted and re-created.)
check ctl destroy Chassis hv2
chassis_recreated() {
    local u
    u=$(ctl --bare --columns=_uuid find Chassis name=hv2) || return 1
    if [ -z "$u" ] || [ "$u" = "$old" ]; then
        echo "Chassis hv2 _uuid \"$u\" (old $old)"
        return 1
    fi
}
wait_until -t 10 chassis_recreated
wait_until -t 10 all_rows_ok
echo "(b) hv2's agent re-created its Chassis row with its Encap"
# The deletion cleared v2's binding (a weak reference); nobody else took
# the port, so hv2 takes it again, and the VM is reachable again.
wait_until port_on v2 hv2
wait_until port_up v2
wait_until v2_pings
grep -q "port v2: its binding went with this chassis's previous Chassis row" \
    "$(agent_log 2)" || fail "(b) hv2 did not log why it took v2 again"
assert_eq "" "$(ctl --bare --columns=_uuid find Migration port=v2)" \
    "(b) Migration rows for v2, which did not move"
echo "(b) v2, bound to the deleted row, is bound to the new one and pings"

# The same for a live migration's destination: hv3 stands by for v2 again.
check ctl --wait=hv --timeout=20 port-migrate v2 hv3
check tb vm-migrate v2 3 --prepare
wait_until port_standby_on v2 hv3
old3=$(row_uuid Chassis hv3)
check ctl destroy Chassis hv3
hv3_recreated() {
    local u
    u=$(row_uuid Chassis hv3) && [ -n "$u" ] && [ "$u" != "$old3" ]
}
wait_until -t 10 hv3_recreated
wait_until port_standby_on v2 hv3
port_on v2 hv2 || fail "(b) v2 left hv2 when hv3's row was re-created"
grep -q "port v2: its binding went with this chassis's previous Chassis row" \
    "$(agent_log 3)" || fail "(b) hv3 did not log why it stood by for v2 again"
check tb vm-del v1
check tb vm-del v2
wait_until -t 10 all_rows_ok
echo "(b) hv3, v2's standby, stands by again with its new row"

old=$(ctl --bare --columns=_uuid find Chassis_Private name=hv2)
check ctl destroy Chassis_Private hv2
cp_recreated() {
    local u
    u=$(ctl --bare --columns=_uuid find Chassis_Private name=hv2) || return 1
    if [ -z "$u" ] || [ "$u" = "$old" ]; then
        echo "Chassis_Private hv2 _uuid \"$u\" (old $old)"
        return 1
    fi
}
wait_until -t 10 cp_recreated
wait_until -t 10 all_rows_ok
echo "(b) hv2's agent re-created its Chassis_Private row"

# --- (c) an agent that starts before the central database ---------------------
check tb agent-stop 3
check ctl destroy Chassis hv3 -- destroy Chassis_Private hv3
assert_eq "hv1 hv2" "$(chassis_names)" "(c) Chassis rows after deleting hv3's"
check tb central-stop
check tb agent-start 3
sleep 2
alive "$TB_DIR/hv3/roam-agent.pid" || fail "(c) hv3: roam-agent exited while the central DB was down"
check central_is 3 "not connected"
check tb central-start
wait_until -t 20 central_is 3 connected
wait_until -t 20 all_rows_ok
echo "(c) hv3's agent, started before the central DB, registered"

# --- (d) the local ovsdb-server of hv1 restarts -------------------------------
d=$TB_DIR/hv1
apid=$(agent_pid 1)
dbpid=$(cat "$d/ovsdb-server.pid")
assert_eq secure "$(tb hv 1 ovs-vsctl get Bridge br-int fail_mode)" "(d) br-int fail_mode before"
check ovs-appctl -t "$d/ovsdb-server.ctl" exit
db_gone() { ! pid_running "$dbpid"; }
wait_until db_gone
wait_until local_is 1 "not connected"
sleep 1
pid_running "$apid" || fail "(d) hv1: roam-agent died when its local ovsdb-server stopped"

# The testbed's own command line (scripts/roam-testbed, start_ovsdb).
t_back=$(now_ms)
if ! timeout -k 5 30 env OVS_RUNDIR="$d" OVS_DBDIR="$d" OVS_LOGDIR="$d" \
        ovsdb-server "$d/conf.db" --remote="punix:$d/db.sock" \
        --pidfile="$d/ovsdb-server.pid" --unixctl="$d/ovsdb-server.ctl" \
        --log-file="$d/ovsdb-server.log" --detach --no-chdir \
        >"$d/ovsdb-server.restart.log" 2>&1; then
    cat "$d/ovsdb-server.restart.log"
    fail "(d) hv1: restarting ovsdb-server failed"
fi
wait_until -t 20 local_is 1 connected
pid_running "$apid" || fail "(d) hv1: roam-agent died"
assert_eq "$apid" "$(agent_pid 1)" "(d) hv1 roam-agent pid after the local DB restart"
assert_eq secure "$(tb hv 1 ovs-vsctl get Bridge br-int fail_mode)" "(d) br-int fail_mode after the restart"
assert_eq netdev "$(tb hv 1 ovs-vsctl get Bridge br-int datapath_type)" "(d) br-int datapath_type after the restart"
# The agent acts on the new connection: it restores a changed fail_mode.
check tb hv 1 ovs-vsctl set Bridge br-int fail_mode=standalone
fail_mode_secure() { [ "$(tb hv 1 ovs-vsctl get Bridge br-int fail_mode)" = secure ]; }
wait_until -t 10 fail_mode_secure
wait_until -t 10 heartbeat_after 1 "$t_back"
check all_rows_ok
echo "(d) hv1's agent survived its local ovsdb-server's restart and keeps br-int secure"

for k in 1 2 3; do
    alive "$TB_DIR/hv$k/roam-agent.pid" || fail "hv$k: roam-agent does not run at the end"
done

if [ ${#deferred[@]} -gt 0 ]; then
    fail "$(printf '%s; ' "${deferred[@]}")"
fi
echo "PASS"
