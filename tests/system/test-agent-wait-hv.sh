#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# "roam-ctl --wait=hv" against real agents: it waits for a live chassis that
# has not acknowledged the new Global nb_cfg (a frozen agent whose heartbeat
# interval keeps it alive), returns once that agent catches up, and does not
# wait for a dead chassis (one that dies while roam-ctl waits, or one whose
# agent is stopped for good).

. "$ROAM_SRCDIR/tests/system/lib.sh"
. "$ROAM_SRCDIR/tests/system/agent-lib.sh"  # signal_ours, frozen

agent_pid() { cat "$TB_DIR/hv$1/roam-agent.pid"; }
global_cfg() { ctl get Global . nb_cfg; }
cp_get() { ctl get Chassis_Private "hv$1" "$2"; }

# cp_is K COLUMN VALUE: hvK's Chassis_Private COLUMN is VALUE.
cp_is() {
    local got
    got=$(cp_get "$1" "$2") || return 1
    [ "$got" = "$3" ] || { echo "hv$1 Chassis_Private $2: expected $3, got $got"; return 1; }
}

# acked K: hvK's Chassis_Private nb_cfg equals Global nb_cfg.
acked() {
    local cfg got
    cfg=$(global_cfg) || return 1
    got=$(cp_get "$1" nb_cfg) || return 1
    [ "$got" = "$cfg" ] || { echo "hv$1 nb_cfg $got, Global nb_cfg $cfg"; return 1; }
}

# assert_acked K WHAT / assert_not_acked K WHAT
assert_acked() {
    assert_eq "$(global_cfg)" "$(cp_get "$1" nb_cfg)" "hv$1 Chassis_Private nb_cfg $2 (Global nb_cfg)"
}
assert_not_acked() {
    local cfg got
    cfg=$(global_cfg)
    got=$(cp_get "$1" nb_cfg)
    ((got < cfg)) || fail "hv$1 Chassis_Private nb_cfg $2: expected less than Global nb_cfg $cfg, got $got"
}

# chassis_state K alive|dead: roam-ctl chassis-list judges hvK so.
chassis_state() {
    ctl chassis-list | grep -Eq "^hv$1 .* $2 \(" || { ctl chassis-list; return 1; }
}

check tb start --hypervisors 3
all_registered() {
    local k
    for k in 1 2 3; do
        cp_is $k heartbeat_interval 2000 >/dev/null || return 1
        acked $k || return 1
    done
}
wait_until -t 20 all_registered

# --- a frozen agent that is still alive is waited for -------------------------
check tb hv 2 ovs-vsctl set Open_vSwitch . external_ids:roam-heartbeat-interval=10000
wait_until -t 10 cp_is 2 heartbeat_interval 10000
wait_until chassis_state 2 alive
pid2=$(agent_pid 2)
on_exit "signal_ours CONT $pid2 roam-agent"
kill -STOP "$pid2" || fail "SIGSTOP to hv2's roam-agent (pid $pid2) failed"
wait_until frozen "$pid2"
echo "hv2's agent (pid $pid2) frozen; its heartbeat keeps it alive for 30 s"

cfg0=$(global_cfg)
out=$TB_DIR/waiter.out
rcfile=$TB_DIR/waiter.rc
# The subshell records roam-ctl's exit status when it returns; roam-ctl's
# own pid (roam-testbed execs it) is killed at exit should it still run.
(
    "$TB" --dir "$TB_DIR" --prefix "$TB_PREFIX" ctl --wait=hv --timeout=25 net-add n1 100 \
        >"$out" 2>&1 &
    echo $! >"$TB_DIR/waiter.pid"
    wait $!
    echo $? >"$rcfile"
) &
t_start=${EPOCHREALTIME//[!0-9]/}
wait_until test -s "$TB_DIR/waiter.pid"
on_exit "[ -e '$rcfile' ] || signal_ours TERM $(cat "$TB_DIR/waiter.pid") roam-ctl"

# hv1 and hv3 acknowledge the new nb_cfg; hv2 cannot.
new_cfg() { [ "$(global_cfg)" -gt "$cfg0" ]; }
wait_until new_cfg
cfg1=$(global_cfg)
assert_eq $((cfg0 + 1)) "$cfg1" "Global nb_cfg after --wait=hv net-add"
wait_until -t 10 acked 1
wait_until -t 10 acked 3
# Let at least 2 s pass since roam-ctl started.
now=${EPOCHREALTIME//[!0-9]/}
left=$((2000000 - (10#$now - 10#$t_start)))
((left > 0)) && sleep "$(printf '%d.%06d' $((left / 1000000)) $((left % 1000000)))"
[ -e "$rcfile" ] && fail "--wait=hv with hv2 frozen: expected it still waiting after 2 s, got exit status $(cat "$rcfile"): $(cat "$out")"
assert_acked 1 "while hv2 is frozen"
assert_acked 3 "while hv2 is frozen"
assert_not_acked 2 "while frozen"
check chassis_state 2 alive
echo "--wait=hv still waits after 2 s: hv1 and hv3 acknowledged nb_cfg $cfg1, frozen hv2 did not"

kill -CONT "$pid2" || fail "SIGCONT to hv2's roam-agent failed"
wait_until -t 20 test -s "$rcfile"
assert_eq 0 "$(cat "$rcfile")" "--wait=hv exit status once hv2 is thawed (output: $(cat "$out"))"
assert_acked 2 "after --wait=hv returned"
assert_acked 1 "after --wait=hv returned"
assert_acked 3 "after --wait=hv returned"
assert_eq "$cfg1" "$(global_cfg)" "Global nb_cfg after --wait=hv returned"
assert_eq 100 "$(ctl get Network n1 tunnel_key)" "network n1's VNI"
echo "--wait=hv returned 0 once hv2 acknowledged"

# --- a chassis that stops beating is no longer waited for --------------------
# hv3 beats every 500 ms and is frozen just before roam-ctl starts: it is dead
# 1.5 s after its last heartbeat, and roam-ctl must then stop waiting for it.
check tb hv 3 ovs-vsctl set Open_vSwitch . external_ids:roam-heartbeat-interval=500
wait_until -t 10 cp_is 3 heartbeat_interval 500
wait_until chassis_state 2 alive
pid3=$(agent_pid 3)
on_exit "signal_ours CONT $pid3 roam-agent"
kill -STOP "$pid3" || fail "SIGSTOP to hv3's roam-agent (pid $pid3) failed"
wait_until frozen "$pid3"
cfg0=$(global_cfg)
check ctl --wait=hv --timeout=20 net-add n2 200
assert_eq $((cfg0 + 1)) "$(global_cfg)" "Global nb_cfg after --wait=hv net-add n2"
assert_acked 1 "after --wait=hv with hv3 dying"
assert_acked 2 "after --wait=hv with hv3 dying"
assert_not_acked 3 "(frozen, dead)"
check chassis_state 3 dead
echo "--wait=hv stopped waiting for hv3 once its heartbeat was 3 intervals old"

kill -CONT "$pid3" || fail "SIGCONT to hv3's roam-agent failed"
wait_until -t 10 acked 3
wait_until chassis_state 3 alive

# --- a chassis whose agent is stopped for good is not waited for ------------
check tb agent-stop 3
wait_until -t 10 chassis_state 3 dead
cfg0=$(global_cfg)
check ctl --wait=hv --timeout=20 net-add n3 300
assert_eq $((cfg0 + 1)) "$(global_cfg)" "Global nb_cfg after --wait=hv net-add n3"
assert_acked 1 "after --wait=hv with hv3 stopped"
assert_acked 2 "after --wait=hv with hv3 stopped"
assert_not_acked 3 "(agent stopped)"
# And sync, which changes nothing else, does the same.
check ctl --wait=hv --timeout=20 sync
assert_eq $((cfg0 + 2)) "$(global_cfg)" "Global nb_cfg after --wait=hv sync"
assert_acked 1 "after --wait=hv sync"
assert_acked 2 "after --wait=hv sync"
echo "--wait=hv does not wait for hv3, whose agent is stopped"

echo "PASS"
