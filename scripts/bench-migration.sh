#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# bench-migration.sh: the migration benchmark of issue 4 ("Follow the
# workload").  Prints numbers, as min / median / max over repeated moves,
# next to the targets; asserts nothing.  Exits non-zero only if the
# benchmark itself could not run.
#
# A sequenced UDP stream (tests/roam-stream, one datagram every 1 ms) runs
# from a VM on hv1 to a VM that moves between hv2 and hv3, and back (the
# moving VM runs roam-stream's echo server).  The stream reports packets
# lost and the blackout (the longest time nothing got through); the echo
# server counts the duplicates it received, and the echoes it could not
# send (a live move warns if there were any: lost inside the VM, not by a
# switch).  Scenarios:
#
#   1. cold      "roam-testbed vm-move": the VM stops on B and starts on C.
#                Network "blue", which has a port on every hypervisor, so
#                C knows the network already.  Lost and blackout include
#                vm-move's own time from the VM's stop on B to the plug on
#                C (some 30 ms of ip and ovs-vsctl, the same for OVN).
#   2. live      Roam: "roam-ctl --wait=hv port-migrate PORT C", then
#                "vm-migrate --prepare" (C's VIF, the VM not running there
#                yet); once C is the port's additional_chassis and every
#                hypervisor has applied it ("--wait=hv sync"), 0.2 s of
#                memory copy; then qemu's stop: for --pause-ms (default
#                10 ms) the VM reads nothing on B (its interface there
#                takes another MAC, so what B delivers is lost, as what
#                reaches a VM's tap after it left; its static neighbours,
#                which the new MAC flushes, are put back); then "vm-migrate
#                --finish" (the VM resumes on C and sends qemu's RARP) and,
#                once C is bound, "roam-ctl port-migrate-finish".  What C
#                delivers before the RARP is answered at once (qemu would
#                answer it on resume).  OVN: requested-chassis=B,C with
#                activation-strategy=rarp, the same steps, then
#                requested-chassis=C (the RARP unblocks C; the orchestrator
#                binds it).  Without the pause the testbed's VM answers on
#                B until its RARP, and neither loses anything.
#   3. failover  B's agent and ovs-vswitchd are killed (SIGKILL, "hv-kill";
#                for OVN also its ovn-controller); once Roam's chassis-list
#                shows B dead (OVN has no liveness: it waits as long as
#                Roam's detection took), the VM starts on C ("vm-move").  B
#                then comes back: for Roam with its stale VIF still on its
#                bridge (it must not claim the port back); for OVN the stale
#                VIF is removed first, since ovn-controller would claim the
#                port back from it (a rebooted host has no VIFs anyway).
#                Lost and blackout include the wait for B's death.
#   4. newnet    a cold move of a VM to a hypervisor that never had a port
#                on its network, which has 1,000 other ports (--ports)
#                bound to a fake chassis (no agent): each run makes a new
#                network with its ports, a sender on hv1 and the VM on hv2
#                (or hv3), moves the VM to hv3 (or hv2), and deletes it all.
#                With --monitor-all false (roam-monitor-all=false on every
#                hypervisor), the destination has none of the network's
#                ports before the VIF's iface-id names one: its claim waits
#                for that port's row, its flows for the network's.
#
# "Plug -> traffic flows" is timed from the moment the VIF's Interface row
# appears in C's Open vSwitch database (ovs-vsctl add-port committed; an
# OVSDB monitor at real-time priority sees it) to the first echo that
# arrives at the sender's VM after it (an AF_PACKET socket in the sender's
# VM, kernel time stamps).  It covers C seeing the VIF, the claim, and hv1
# pointing the VM's MAC at C, both ways.  The steps in between are printed
# too: vswitchd adds the VIF to br-int (the earlier of its OpenFlow port
# status message, which "ovs-ofctl monitor" sees and the agent learns of
# the port from, and its ofport in the database); (Roam) hv1's flow for the
# VM's MAC changes ("ovs-ofctl monitor"); the first datagram reaches the
# VM (AF_PACKET in its namespace); and the agent's Migration row.  When the
# watch sees the insertion only together with the ofport or after the port
# status ("port added after 0.0 ms"), the plug time is late by up to the
# usual 1-2 ms between the two.
#
# --vs-ovn runs the same moves against OVN 23.03 (installed with apt if
# missing) on the same testbed shape ("roam-testbed --no-agent", OVN's
# NB/SB databases and ovn-northd, an ovn-controller per hypervisor), in the
# same run, and prints Roam/OVN ratios.  Each scenario starts with a
# warm-up move that is not counted.
#
# Usage: run as root with ROAM_SRCDIR and ROAM_BUILDDIR set (or from a
# built tree), e.g.
#     ROAM_SRCDIR=/work/main ROAM_BUILDDIR=/tmp/build sudo -E \
#         scripts/bench-migration.sh [--runs N] [--vs-ovn]
# The measuring half is a Python 3 program (write_bench_py, near the end of
# this file), written to the benchmark's directory at start-up.
#
# The parts it shares with bench-datapath.sh (options, output, cleanup,
# the testbed, both backends' set-up, the common half of the measuring
# program) are in bench-lib.sh, next to it.

set -u
set -o pipefail

PROG=bench-migration
PREFIX=bm$$
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$(readlink -f "$0")")/bench-lib.sh"
STREAM=$ROAM_BUILDDIR/tests/roam-stream

RUNS=10
HVS=3
BENCH_DIR=${ROAM_BENCH_DIR:-/tmp/roam-bench-migration}
SCENARIOS="cold live failover newnet"
NEWNET_PORTS=1000
LIVE_COPY=0.2
PAUSE_MS=10
MONITOR_ALL=true
PAUSED_MAC=02:00:00:00:00:99

usage() {
    cat <<EOF
usage: $PROG [OPTION...]

Migration benchmark: cold moves, live migrations and failovers of a VM under
a 1 ms UDP stream, on Roam (and, with --vs-ovn, OVN) on the netns testbed.

  --runs N            moves per scenario (default $RUNS), after one warm-up
  --vs-ovn            also run every scenario against OVN (installs Debian's
                      ovn-central and ovn-host if missing); the same as
                      --backends "roam ovn"
  --backends LIST     which deployments to measure: "roam", "ovn" or both
  --scenarios LIST    which scenarios, by name or number (default
                      "$SCENARIOS", i.e. "1 2 3 4")
  --ports N           other ports on the network of scenario newnet (default
                      $NEWNET_PORTS)
  --pause-ms MS       live: how long the VM is paused between its stop on B
                      and its resume on C (qemu's downtime; default $PAUSE_MS)
  --monitor-all BOOL  Roam: roam-monitor-all on every hypervisor, true
                      (default: every Port replicated) or false
  --hold SECS         keep each testbed up SECS s after its scenarios
  --dir DIR           working directory (default $BENCH_DIR, or
                      \$ROAM_BENCH_DIR); testbed logs stay there
  -h, --help          this help

Needs root, Open vSwitch 3.1, python3, and a built Roam
(\$ROAM_BUILDDIR/agent/roam-agent, ctl/roam-ctl, tests/roam-stream).
EOF
}

# bench_option OPTION VALUE: the options of this benchmark alone.
bench_option() {
    case $1 in
        --monitor-all) MONITOR_ALL=$2 ;;
        --ports) NEWNET_PORTS=$2 ;;
        --pause-ms) PAUSE_MS=$2 ;;
        *) return 1 ;;
    esac
}

bench_parse_options "$@"
bench_check_options 1
[[ $NEWNET_PORTS =~ ^[0-9]+$ ]] && ((NEWNET_PORTS <= 20000)) \
    || die "--ports: a number from 0 to 20000"
[[ $PAUSE_MS =~ ^[0-9]+$ ]] && ((PAUSE_MS <= 5000)) || die "--pause-ms: 0 to 5000"
[[ $MONITOR_ALL =~ ^(true|false)$ ]] || die "--monitor-all: true or false"
scenario_list=
for s in ${SCENARIOS//,/ }; do
    case $s in
        1 | cold) s=cold ;;
        2 | live) s=live ;;
        3 | failover) s=failover ;;
        4 | newnet) s=newnet ;;
        *) die "--scenarios: cold, live, failover, newnet (or 1-4), not \"$s\"" ;;
    esac
    [[ " $scenario_list " == *" $s "* ]] || scenario_list="$scenario_list $s"
done
SCENARIOS=
for s in cold live failover newnet; do
    [[ " $scenario_list " == *" $s "* ]] && SCENARIOS="$SCENARIOS $s"
done
SCENARIOS=${SCENARIOS# }
[ -n "$SCENARIOS" ] || die "--scenarios: none given"
bench_check_host nsenter chrt
[ -x "$STREAM" ] || die "$STREAM not found (run make)"
bench_init

# --------------------------------------------------------------------------
# Where the VMs are.

# vm_hv VM: the hypervisor VM is on (the testbed's record).
vm_hv() { vm_conf_get "$1" hv; }
# vm_conf_get VM KEY: a value of the testbed's record of VM.
vm_conf_get() { sed -n "s/^$2=//p" "$TB_DIR/vm/$1.conf"; }
other_hv() { if [ "$1" = 2 ]; then echo 3; else echo 2; fi; }

# Addresses: documentation ranges only.
#   blue (key 101): v1 on hv1 (the stream's sender), v2 moving between hv2
#                   and hv3 (the echo server), b2 on hv2 and b3 on hv3 (so
#                   that both know the network).
#   bigN (key 200+N), one per run of scenario newnet: xsN on hv1 (sender),
#                   xmN moving from hv2 to hv3 or back, and NEWNET_PORTS
#                   ports bound to the fake chassis fake1.
V1_MAC=00:00:5e:00:53:11 V1_IP=198.51.100.11
V2_MAC=00:00:5e:00:53:12 V2_IP=198.51.100.12
B2_MAC=00:00:5e:00:53:22 B2_IP=198.51.100.22
B3_MAC=00:00:5e:00:53:23 B3_IP=198.51.100.23
X1_MAC=00:00:5e:00:53:31 X1_IP=203.0.113.11
X2_MAC=00:00:5e:00:53:32 X2_IP=203.0.113.12
FAKE=fake1 FAKE_IP=192.0.2.201

# --------------------------------------------------------------------------
# Backends: besides bench-lib.sh's, each provides net_del NET, bound_to
# PORT K, add_remote_ports NET N, clear_request PORT, live_begin PORT B C,
# live_standby PORT C, live_sync, live_complete PORT C, kill_hv K,
# dead_wait K, restart_hv K, migration PORT.

roam_net_del() { tb ctl net-del "$1"; }
roam_chassis_uuid() { tb ctl --bare --columns=_uuid find Chassis name="$1"; }
roam_bound_to() {  # PORT K
    local c
    c=$(tb ctl --bare --columns=chassis list Port "$1") || return 1
    [ -n "$c" ] && [ "$c" = "$(roam_chassis_uuid "hv$2")" ]
}
roam_add_remote_ports() {
    bench add-ports --backend roam --db "$(roam_db)" --network "$1" --fake "$FAKE" \
        --count "$2"
}
roam_clear_request() { tb ctl port-set-requested-chassis "$1"; }
roam_live_begin() { tb ctl --wait=hv --timeout=20 port-migrate "$1" "hv$3"; }
roam_live_standby() {  # PORT C
    local c
    c=$(tb ctl --bare --columns=additional_chassis list Port "$1") || return 1
    [ -n "$c" ] && [ "$c" = "$(roam_chassis_uuid "hv$2")" ]
}
roam_live_sync() { tb ctl --wait=hv --timeout=20 sync; }
# roam_live_complete PORT C: once C is bound (the VM's RARP activated it),
# the orchestrator ends the migration.
roam_live_complete() {
    poll 20 roam_bound_to "$1" "$2" || return 1
    tb ctl port-migrate-finish "$1"
}
roam_kill_hv() { tb hv-kill "$1"; }
roam_dead() { tb ctl chassis-list | grep -Eq "^hv$1\b.*\bdead\b"; }
roam_alive() { tb ctl chassis-list | grep -Eq "^hv$1\b.*\balive\b"; }
# roam_dead_wait K: waits until chassis-list shows hv K dead.
roam_dead_wait() { poll 60 roam_dead "$1"; }
roam_restart_hv() {
    tb hv-start "$1" || return 1
    poll 30 roam_alive "$1"
}
# roam_migration PORT: "UUID KIND DETECTED CLAIMED ACTIVATED" per Migration
# row of PORT ("-" for an empty time).
roam_migration() {
    tb ctl --format=csv --data=bare --no-headings \
        --columns=_uuid,kind,detected,claimed,activated find Migration port="$1" \
        | awk -F, '{ for (i = 1; i <= 5; i++) if ($i == "") $i = "-"; print $1, $2, $3, $4, $5 }'
}

# How long OVN's failover waits before the VM starts on C: as long as
# Roam's dead detection took (its median, once measured).
OVN_DEAD_WAIT=6.0

ovn_net_del() { nbctl ls-del "$1"; }
ovn_chassis_uuid() { sbctl --bare --columns=_uuid find Chassis name="$1"; }
ovn_pb() {  # PORT COLUMN
    sbctl --bare --columns="$2" find Port_Binding logical_port="$1"
}
ovn_bound_to() {  # PORT K
    local c
    c=$(ovn_pb "$1" chassis) || return 1
    [ -n "$c" ] && [ "$c" = "$(ovn_chassis_uuid "hv$2")" ]
}
ovn_add_remote_ports() {
    bench add-ports --backend ovn --db "unix:$(ovn_dir)/nb.sock" \
        --sb "unix:$(ovn_dir)/sb.sock" --network "$1" --fake "$FAKE" --count "$2"
}
ovn_clear_request() {
    nbctl remove Logical_Switch_Port "$1" options requested-chassis \
        -- remove Logical_Switch_Port "$1" options activation-strategy
}
ovn_live_begin() {  # PORT B C
    nbctl set Logical_Switch_Port "$1" options:requested-chassis="hv$2,hv$3" \
        options:activation-strategy=rarp
}
ovn_live_standby() {  # PORT C
    local c
    c=$(ovn_pb "$1" additional_chassis) || return 1
    [ -n "$c" ] && [ "$c" = "$(ovn_chassis_uuid "hv$2")" ]
}
ovn_live_sync() { nbctl --wait=hv --timeout=20 sync; }
# ovn_live_complete PORT C: OVN's RARP activation unblocks C but binds
# nothing: the orchestrator then requests C alone, and C claims the port.
ovn_live_complete() {
    nbctl set Logical_Switch_Port "$1" options:requested-chassis="hv$2" \
        -- remove Logical_Switch_Port "$1" options activation-strategy || return 1
    poll 20 ovn_bound_to "$1" "$2"
}
ovn_kill_hv() {
    local d pid
    d=$(hv_dir "$1")
    if read -r pid < "$d/ovn-controller.pid" 2>/dev/null \
            && tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q ovn-controller; then
        kill -9 "$pid"
        poll 5 proc_done "$pid" || return 1
    fi
    rm -f "$d/ovn-controller.pid"
    tb hv-kill "$1"
}
# ovn_dead_wait K: OVN does not track liveness: waits as long as Roam's
# detection took.
ovn_dead_wait() { sleep "$OVN_DEAD_WAIT"; }
ovn_restart_hv() {
    local k=$1
    # ovn-controller would claim the port back from the stale VIF: remove
    # it first, as a rebooted host has no VIFs.
    hv_vsctl "$k" --no-wait --if-exists del-port vm-v2 || return 1
    tb hv-start "$k" --no-agent || return 1
    ovn_controller_start "$k" || return 1
    poll 30 ovn_synced "$k"
}
ovn_migration() { :; }

# --------------------------------------------------------------------------
# Set-up, streams and probes.

# underlay_warm K: every pair of hv K and another hypervisor resolves the
# other's underlay address (a fresh ovs-vswitchd drops the first packet to a
# new tunnel peer while it resolves it).
underlay_warm() {
    local k=$1 j
    for ((j = 1; j <= HVS; j++)); do
        [ "$j" = "$k" ] && continue
        ip netns exec "$(hv_ns "$k")" ping -c 1 -W 1 "$(hv_ip "$j")" >/dev/null 2>&1
        ip netns exec "$(hv_ns "$j")" ping -c 1 -W 1 "$(hv_ip "$k")" >/dev/null 2>&1
    done
}

# echo_start VM: roam-stream's echo server in VM (pidfile DIR/echo-VM.pid).
echo_start() {
    local vm=$1 pidfile=$BENCH_DIR/echo-$1.pid
    rm -f "$pidfile" "$BENCH_DIR/echo-$vm.sum"
    bg ip netns exec "$(vm_ns "$vm")" "$STREAM" echo --pidfile "$pidfile" \
        --summary "$BENCH_DIR/echo-$vm.sum" > "$BENCH_DIR/echo-$vm.log" 2>&1
    poll 5 test -s "$pidfile" || die "$vm: the echo server did not start"
}
echo_stop() { [ -f "$BENCH_DIR/echo-$1.pid" ] && stop_bg "$(cat "$BENCH_DIR/echo-$1.pid")"; }
# echo_dups VM: the duplicates VM's echo server counted so far.
echo_dups() {
    local vm=$1 f=$BENCH_DIR/echo-$1.sum
    rm -f "$f"
    kill -USR1 "$(cat "$BENCH_DIR/echo-$vm.pid")" 2>/dev/null || { echo 0; return; }
    poll 5 test -s "$f" || { echo 0; return; }
    sed -n 's/.*duplicates=\([0-9]*\).*/\1/p' "$f"
}
# echo_errors VM: the echoes that VM's echo server could not send (a reply
# lost inside the VM, not by a switch), as of the last echo_dups VM;
# nothing if that found no summary.
echo_errors() {
    sed -n 's/.*echo_errors=\([0-9]*\).*/\1/p' "$BENCH_DIR/echo-$1.sum" 2>/dev/null
}

# stream_start VM ADDR: a 1 ms stream from VM to ADDR in the background.
STREAM_PID=
stream_start() {
    rm -f "$BENCH_DIR/stream.sum"
    bg ip netns exec "$(vm_ns "$1")" "$STREAM" send --to "$2" --interval-us 1000 \
        --duration 3600 --wait-ms 300 --summary "$BENCH_DIR/stream.sum" \
        2>> "$BENCH_DIR/$BE-stream.err"
    STREAM_PID=$BG_PID
}
# stream_stop: ends the stream; sets S_SENT, S_LOST, S_DUPS, S_BLACKOUT
# (empty if the stream reported nothing).
stream_stop() {
    local line
    stop_bg "$STREAM_PID" INT
    S_SENT='' S_LOST='' S_DUPS='' S_BLACKOUT=''
    line=$(cat "$BENCH_DIR/stream.sum" 2>/dev/null)
    [ -n "$line" ] || return 0
    S_SENT=$(sed -n 's/.*sent=\([0-9]*\).*/\1/p' <<<"$line")
    S_LOST=$(sed -n 's/.*lost=\([0-9]*\).*/\1/p' <<<"$line")
    S_DUPS=$(sed -n 's/.* duplicates=\([0-9]*\).*/\1/p' <<<"$line")
    S_BLACKOUT=$(sed -n 's/.*blackout_ms=\([0-9.]*\).*/\1/p' <<<"$line")
    [ "${S_SENT:-0}" -ge 500 ] || say "warning: the stream sent only ${S_SENT:-0} datagrams: $line"
}

# probe_start SENDER SENDER_IP DSTHV MOVER MOVER_IP MOVER_MAC: watches hv
# DSTHV's database for MOVER's VIF, SENDER's eth0 for MOVER's echoes,
# MOVER's interfaces for SENDER's datagrams, and (Roam) hv1's flows for
# MOVER_MAC.
PLUG_PID='' ECHOW_PID='' ARRW_PID=''
probe_start() {
    local snd=$1 snd_ip=$2 dst=$3 mvr=$4 mvr_ip=$5 mvr_mac=$6 f flow=()
    for f in plug echow arrw; do
        rm -f "$BENCH_DIR/$f.out" "$BENCH_DIR/$f.ready"
    done
    [ "$BE" = roam ] && flow=(--flow-rundir "$(hv_dir 1)" --flow-mac "$mvr_mac")
    # Real-time priority: on a loaded machine a normal process may read the
    # insertion late, together with the ofport update that follows it.
    bg chrt -f 10 python3 "$BENCH_PY" plug-watch --rundir "$(hv_dir "$dst")" \
        --iface "vm-$mvr" --ready "$BENCH_DIR/plug.ready" --timeout 60 "${flow[@]}" \
        > "$BENCH_DIR/plug.out" 2> "$BENCH_DIR/plug.err"
    PLUG_PID=$BG_PID
    bg nsenter --net="/run/netns/$(vm_ns "$snd")" python3 "$BENCH_PY" stream-watch \
        --ifname eth0 --src "$mvr_ip" --ready "$BENCH_DIR/echow.ready" \
        > "$BENCH_DIR/echow.out" 2> "$BENCH_DIR/echow.err"
    ECHOW_PID=$BG_PID
    bg nsenter --net="/run/netns/$(vm_ns "$mvr")" python3 "$BENCH_PY" stream-watch \
        --to-server --src "$snd_ip" --ready "$BENCH_DIR/arrw.ready" \
        > "$BENCH_DIR/arrw.out" 2> "$BENCH_DIR/arrw.err"
    ARRW_PID=$BG_PID
    for f in plug echow arrw; do
        poll 10 test -f "$BENCH_DIR/$f.ready" \
            || { indent < "$BENCH_DIR/$f.err"; die "the watch $f did not start"; }
    done
}
# probe_wait_echo: once the plug was seen (the plug watch printed its line,
# or gave up), waits up to 30 s for the first echo after it.
probe_wait_echo() {
    local t_ins
    poll 30 eval 'test -s "$BENCH_DIR/plug.out" || proc_done "$PLUG_PID"'
    read -r t_ins _ < "$BENCH_DIR/plug.out" 2>/dev/null || return 0
    [ -n "$t_ins" ] && [ "$t_ins" != - ] || return 0
    poll 30 awk -v t="$t_ins" '$1 > t { found = 1; exit } END { exit !found }' \
        "$BENCH_DIR/echow.out"
}
# probe_finish: ends the watches (once the stream has stopped); sets, in ms
# from the plug: P_PLUG (the first echo back at the sender), P_ARRIVE (the
# first datagram at the moved VM), P_OFPORT (the VIF added to br-int), P_FLOW
# (hv1's flow change); P_SEQ is that echo's sequence number; each is empty
# if not seen.
probe_finish() {
    local t_ins t_of t_fl t_echo t_arr seq
    stop_bg "$PLUG_PID"
    stop_bg "$ECHOW_PID"
    stop_bg "$ARRW_PID"
    P_PLUG='' P_ARRIVE='' P_OFPORT='' P_FLOW='' P_SEQ=''
    read -r t_ins t_of t_fl < "$BENCH_DIR/plug.out" || return 0
    [ "$t_ins" != - ] || return 0
    [ "$t_of" != - ] && P_OFPORT=$(ms_between "$t_ins" "$t_of")
    [ -n "$t_fl" ] && [ "$t_fl" != - ] && P_FLOW=$(ms_between "$t_ins" "$t_fl")
    read -r t_echo seq < <(awk -v t="$t_ins" '$1 > t { print; exit }' "$BENCH_DIR/echow.out")
    [ -n "$t_echo" ] && P_PLUG=$(ms_between "$t_ins" "$t_echo") P_SEQ=$seq
    read -r t_arr _ < <(awk -v t="$t_ins" '$1 > t { print; exit }' "$BENCH_DIR/arrw.out")
    [ -n "$t_arr" ] && P_ARRIVE=$(ms_between "$t_ins" "$t_arr")
    return 0
}

# migration_new PORT: the Migration rows of PORT not seen before (their
# UUIDs are kept in DIR/BE-migrations.seen), as "KIND DETECT->CLAIM_MS
# CLAIM->ACTIVATE_MS DETECT->ACTIVATE_MS" ("-" for a missing step), one a
# line.
migration_new() {
    local uuid kind det cl act seen=$BENCH_DIR/$BE-migrations.seen
    touch "$seen"
    while read -r uuid kind det cl act; do
        [ -n "$uuid" ] || continue
        grep -qx "$uuid" "$seen" && continue
        echo "$uuid" >> "$seen"
        awk -v k="$kind" -v d="$det" -v c="$cl" -v a="$act" 'BEGIN {
            dc = (d != "-" && c != "-") ? c - d : "-"
            ca = (c != "-" && a != "-") ? a - c : "-"
            da = (d != "-" && a != "-") ? a - d : "-"
            print k, dc, ca, da }'
    done < <(be migration "$1")
}
# migration_text PORT SCENARIO RUN: records the run's Migration row (its
# detected -> activated, else detected -> claimed) and describes it.
migration_text() {
    local kind dc ca da n=0 text=
    while read -r kind dc ca da; do
        n=$((n + 1))
        text="$text; Migration row: $kind, detected->claimed $dc ms, claimed->activated $ca ms"
        if [ "$3" -gt 0 ]; then
            if [ "$da" != - ]; then
                result "$2.row" "$da"
            elif [ "$dc" != - ]; then
                result "$2.row" "$dc"
            fi
        fi
    done < <(migration_new "$1")
    [ "$BE" = roam ] && [ "$n" = 0 ] && text="; no new Migration row"
    echo "$text"
}

# bench_setup: network blue, its VMs, tunnels warm, v2's echo server.
bench_setup() {
    local t port
    rm -f "$BENCH_DIR/$BE-moves.log" "$BENCH_DIR/$BE-stream.err"
    rm -f "$BENCH_DIR/$BE-migrations.seen"
    t=$(now_us)
    [ "$BE" = roam ] && roam_monitor_all "$MONITOR_ALL"
    be net_add blue 101 >/dev/null || die "net blue"
    vm_add v1 1 blue "$V1_MAC" "$V1_IP"
    vm_add v2 2 blue "$V2_MAC" "$V2_IP"
    vm_add b2 2 blue "$B2_MAC" "$B2_IP"
    vm_add b3 3 blue "$B3_MAC" "$B3_IP"
    for port in v1 v2 b2 b3; do
        poll 20 be port_up "$port" || die "port $port did not come up"
    done
    static_neigh v1 "$V2_IP" "$V2_MAC"
    static_neigh v2 "$V1_IP" "$V1_MAC"
    # Warm every tunnel: b2 and b3 reach v1 and each other.
    poll 20 ping_ok v1 "$V2_IP" || die "v1 cannot ping v2"
    poll 20 ping_ok b3 "$V1_IP" || die "b3 cannot ping v1"
    poll 20 ping_ok b2 "$B3_IP" || die "b2 cannot ping b3"
    poll 20 ping_ok b3 "$B2_IP" || die "b3 cannot ping b2"
    echo_start v2
    say "network blue: v1 (hv1), v2 (hv2, echo server), b2 (hv2), b3 (hv3); tunnels warm ($(since "$t"))"
}

# --------------------------------------------------------------------------
# Scenarios.  A run moves the VM from where it is (hv2 or hv3) to the other.

# run_label RUN: "warm-up" or "run N".
run_label() { if [ "$1" = 0 ]; then echo "warm-up"; else echo "run $1"; fi; }
fmt() { if [ -n "$1" ]; then printf '%.1f ms' "$1"; else echo '?'; fi; }
# probe_text: the steps that probe_finish timed.
probe_text() {
    local t missed
    t="port added after $(fmt "$P_OFPORT")"
    [ "$BE" = roam ] && t="$t, hv1's flow after $(fmt "$P_FLOW")"
    t="$t, first datagram in the VM after $(fmt "$P_ARRIVE"), first echo #${P_SEQ:-?}"
    missed=$(sed -n 's/^plug-watch missed //p' "$BENCH_DIR/plug.err" 2>/dev/null | tail -n 1)
    [ -n "$missed" ] && t="$t (the watch missed $missed)"
    echo "$t"
}
# probe_results SCENARIO: records what probe_finish timed.
probe_results() {
    if [ -n "$P_PLUG" ]; then
        result "$1.flow" "$P_PLUG"
    else
        result "$1.flow.timeouts" 1
    fi
    [ -n "$P_OFPORT" ] && result "$1.ofport" "$P_OFPORT"
    if [ -n "$P_FLOW" ]; then
        result "$1.hv1" "$P_FLOW"
    elif [ "$BE" = roam ] && [ -n "$P_PLUG" ]; then
        result "$1.hv1.timeouts" 1      # The watch missed it: counted.
    fi
    [ -n "$P_ARRIVE" ] && result "$1.arrive" "$P_ARRIVE"
    return 0
}

# cold_run SCENARIO SENDER SENDER_IP MOVER MOVER_IP MOVER_MAC RUN: one cold
# move.
cold_run() {
    local scen=$1 snd=$2 snd_ip=$3 mvr=$4 mvr_ip=$5 mvr_mac=$6 run=$7 src dst t0 t1 mig
    src=$(vm_hv "$mvr")
    dst=$(other_hv "$src")
    probe_start "$snd" "$snd_ip" "$dst" "$mvr" "$mvr_ip" "$mvr_mac"
    stream_start "$snd" "$mvr_ip"
    sleep 0.5
    t0=$EPOCHREALTIME
    tb vm-move "$mvr" "$dst" >> "$BENCH_DIR/$BE-moves.log" 2>&1 \
        || { tail -n 5 "$BENCH_DIR/$BE-moves.log" | indent; die "vm-move $mvr $dst failed"; }
    t1=$EPOCHREALTIME
    probe_wait_echo
    sleep 0.3
    stream_stop
    probe_finish
    poll 10 be bound_to "$mvr" "$dst" || say "warning: $mvr not bound to hv$dst 10 s after the move"
    mig=$(migration_text "$mvr" "$scen" "$run")
    printf '    %s: hv%s -> hv%s: lost %s, blackout %s; plug -> traffic %s (%s); vm-move took %.0f ms%s\n' \
        "$(run_label "$run")" "$src" "$dst" "${S_LOST:-?}" "$(fmt "$S_BLACKOUT")" \
        "$(fmt "$P_PLUG")" "$(probe_text)" "$(ms_between "$t0" "$t1")" "$mig"
    [ "$run" -gt 0 ] || return 0
    [ -n "$S_LOST" ] && result "$scen.lost" "$S_LOST" && result "$scen.blackout" "$S_BLACKOUT"
    probe_results "$scen"
}

scenario_cold() {
    local run
    heading "$BE cold: v2 moves between hv2 and hv3 (vm-move), 1 ms stream v1 (hv1) <-> v2"
    be clear_request v2 >/dev/null 2>&1
    for ((run = 0; run <= RUNS; run++)); do
        cold_run cold v1 "$V1_IP" v2 "$V2_IP" "$V2_MAC" "$run"
        sleep 0.3
    done
}

live_run() {
    local run=$1 src dst d0 t0 t1 t2 t3 vmif mig
    src=$(vm_hv v2)
    dst=$(other_hv "$src")
    d0=$(echo_dups v2)
    local e0
    e0=$(echo_errors v2)
    stream_start v1 "$V2_IP"
    sleep 0.5
    t0=$EPOCHREALTIME
    be live_begin v2 "$src" "$dst" >> "$BENCH_DIR/$BE-moves.log" 2>&1 \
        || { tail -n 5 "$BENCH_DIR/$BE-moves.log" | indent; die "starting the live migration failed"; }
    tb vm-migrate v2 "$dst" --prepare >> "$BENCH_DIR/$BE-moves.log" 2>&1 \
        || { tail -n 5 "$BENCH_DIR/$BE-moves.log" | indent; die "vm-migrate --prepare failed"; }
    poll 20 be live_standby v2 "$dst" || say "warning: hv$dst is not v2's additional chassis 20 s after --prepare"
    be live_sync >> "$BENCH_DIR/$BE-moves.log" 2>&1 || say "warning: --wait=hv sync failed"
    t1=$EPOCHREALTIME
    # The memory copy, then qemu's stop: the VM no longer reads its
    # interface on B, whose frames are lost (its interface there drops
    # every frame for its MAC: it gets another one).
    sleep "$LIVE_COPY"
    vmif=$(vm_conf_get v2 vmif)
    if [ "$PAUSE_MS" -gt 0 ]; then
        # A new MAC flushes the interface's neighbours, the static ones
        # too, but pausing a VM leaves its ARP cache as it was: without
        # them the VM would ARP and, when "--finish" takes this interface's
        # addresses away and then the interface down, could lose what waits
        # for the answer.  So they are put back at once, in the same
        # batch.
        local neigh
        neigh=$(ip -n "$(vm_ns v2)" neigh show dev "$vmif" nud permanent \
                | awk -v d="$vmif" '$2 == "lladdr" {
                    print "neigh replace " $1 " lladdr " $3 " nud permanent dev " d }') \
            || die "v2: reading the neighbours of $vmif failed"
        ip -n "$(vm_ns v2)" -batch - <<EOF || die "v2: pausing $vmif failed"
link set $vmif address $PAUSED_MAC
$neigh
EOF
        sleep "$(awk -v m="$PAUSE_MS" 'BEGIN { printf "%.3f", m / 1000 }')"
    fi
    t2=$EPOCHREALTIME
    tb vm-migrate v2 --finish >> "$BENCH_DIR/$BE-moves.log" 2>&1 \
        || { tail -n 5 "$BENCH_DIR/$BE-moves.log" | indent; die "vm-migrate --finish failed"; }
    be live_complete v2 "$dst" >> "$BENCH_DIR/$BE-moves.log" 2>&1 \
        || say "warning: v2 not bound to hv$dst 20 s after --finish"
    t3=$EPOCHREALTIME
    sleep 0.5
    stream_stop
    local dups=$(($(echo_dups v2) - d0)) e1
    e1=$(echo_errors v2)
    if [ -n "$e0" ] && [ -n "$e1" ] && [ "$e1" != "$e0" ]; then
        say "warning: v2's echo server could not send $((e1 - e0)) echoes in this move"
    fi
    mig=$(migration_text v2 live "$run")
    printf '    %s: hv%s -> hv%s: lost %s, blackout %s, duplicates seen by v2 %d (echoes duplicated %s); %s\n' \
        "$(run_label "$run")" "$src" "$dst" "${S_LOST:-?}" "$(fmt "$S_BLACKOUT")" \
        "$dups" "${S_DUPS:-?}" "$(printf 'destination ready after %.0f ms, bound to it %.0f ms after --finish began' \
            "$(ms_between "$t0" "$t1")" "$(ms_between "$t2" "$t3")")$mig"
    [ "$run" -gt 0 ] || return 0
    if [ -n "$S_LOST" ]; then
        result live.lost "$S_LOST"
        result live.blackout "$S_BLACKOUT"
        result live.dups "$dups"
    fi
    return 0
}

scenario_live() {
    local run
    heading "$BE live: v2 migrates live between hv2 and hv3, 1 ms stream v1 (hv1) <-> v2"
    be clear_request v2 >/dev/null 2>&1
    for ((run = 0; run <= RUNS; run++)); do
        live_run "$run"
        sleep 0.3
    done
    be clear_request v2 >/dev/null 2>&1
}

failover_run() {
    local run=$1 src dst t0 t1 t2 t3 dead_ms mig
    src=$(vm_hv v2)
    dst=$(other_hv "$src")
    probe_start v1 "$V1_IP" "$dst" v2 "$V2_IP" "$V2_MAC"
    stream_start v1 "$V2_IP"
    sleep 0.5
    t0=$EPOCHREALTIME
    be kill_hv "$src" >> "$BENCH_DIR/$BE-moves.log" 2>&1 || die "killing hv$src failed"
    be dead_wait "$src" || die "hv$src is not dead 60 s after it was killed"
    t1=$EPOCHREALTIME
    dead_ms=$(ms_between "$t0" "$t1")
    tb vm-move v2 "$dst" >> "$BENCH_DIR/$BE-moves.log" 2>&1 \
        || { tail -n 5 "$BENCH_DIR/$BE-moves.log" | indent; die "vm-move v2 $dst failed"; }
    probe_wait_echo
    sleep 0.3
    stream_stop
    probe_finish
    poll 10 be bound_to v2 "$dst" || say "warning: v2 not bound to hv$dst 10 s after the start there"
    mig=$(migration_text v2 failover "$run")
    printf '    %s: hv%s killed, v2 started on hv%s after %.0f ms: lost %s, blackout %s; start on hv%s -> traffic %s (%s)%s\n' \
        "$(run_label "$run")" "$src" "$dst" "$dead_ms" "${S_LOST:-?}" "$(fmt "$S_BLACKOUT")" \
        "$dst" "$(fmt "$P_PLUG")" "$(probe_text)" "$mig"
    if [ "$run" -gt 0 ]; then
        [ -n "$S_LOST" ] && result failover.lost "$S_LOST" && result failover.blackout "$S_BLACKOUT"
        probe_results failover
        [ "$BE" = roam ] && result failover.dead "$dead_ms"
    fi
    # hv B comes back.
    t2=$EPOCHREALTIME
    be restart_hv "$src" >> "$BENCH_DIR/$BE-moves.log" 2>&1 \
        || { tail -n 5 "$BENCH_DIR/$BE-moves.log" | indent; die "hv$src did not come back"; }
    poll 30 be synced "$src" || say "warning: hv$src not synced 30 s after its restart"
    underlay_warm "$src"
    t3=$EPOCHREALTIME
    sleep 1
    be bound_to v2 "$dst" || say "warning: v2 is no longer bound to hv$dst after hv$src came back"
    printf '        hv%s back after %.0f ms\n' "$src" "$(ms_between "$t2" "$t3")"
}

scenario_failover() {
    local run
    heading "$BE failover: v2's hypervisor dies, v2 starts on the other; 1 ms stream v1 (hv1) <-> v2"
    be clear_request v2 >/dev/null 2>&1
    if [ "$BE" = ovn ] && [ -s "$BENCH_DIR/results-roam.txt" ]; then
        local w
        w=$(bench median --key failover.dead "$BENCH_DIR/results-roam.txt")
        [ -n "$w" ] && OVN_DEAD_WAIT=$(awk -v m="$w" 'BEGIN { printf "%.3f", m / 1000 }')
    fi
    [ "$BE" = ovn ] && say "OVN: the VM starts on C $OVN_DEAD_WAIT s after B was killed (Roam's dead detection)"
    for ((run = 0; run <= RUNS; run++)); do
        failover_run "$run"
    done
}

# newnet_run RUN: a network made for this run, with NEWNET_PORTS ports bound
# to the fake chassis, xsRUN on hv1 and xmRUN on hv2 or hv3 (alternately);
# xmRUN moves to the other one, which never had a port on the network.
newnet_run() {
    local run=$1 net=big$1 snd=xs$1 mvr=xm$1 src t
    if ((run % 2 == 0)); then src=2; else src=3; fi
    t=$(now_us)
    be net_add "$net" $((200 + run)) >/dev/null || die "net $net"
    vm_add "$snd" 1 "$net" "$X1_MAC" "$X1_IP"
    vm_add "$mvr" "$src" "$net" "$X2_MAC" "$X2_IP"
    for port in "$snd" "$mvr"; do
        poll 20 be port_up "$port" || die "port $port did not come up"
    done
    static_neigh "$snd" "$X2_IP" "$X2_MAC"
    static_neigh "$mvr" "$X1_IP" "$X1_MAC"
    if [ "$NEWNET_PORTS" -gt 0 ]; then
        be add_remote_ports "$net" "$NEWNET_PORTS" > "$BENCH_DIR/$BE-ports.log" \
            || { indent < "$BENCH_DIR/$BE-ports.log"; die "adding $NEWNET_PORTS ports to $net"; }
        be live_sync >/dev/null 2>&1 || say "warning: --wait=hv sync failed"
    fi
    poll 20 ping_ok "$snd" "$X2_IP" || die "$snd cannot ping $mvr"
    echo_start "$mvr"
    printf '    %s: network %s, %s (hv1), %s (hv%s), %s: %s\n' "$(run_label "$run")" \
        "$net" "$snd" "$mvr" "$src" "$(cat "$BENCH_DIR/$BE-ports.log" 2>/dev/null)" "$(since "$t")"
    cold_run newnet "$snd" "$X1_IP" "$mvr" "$X2_IP" "$X2_MAC" "$run"
    echo_stop "$mvr"
    tb vm-del "$snd" >/dev/null 2>&1 || die "vm-del $snd"
    tb vm-del "$mvr" >/dev/null 2>&1 || die "vm-del $mvr"
    be net_del "$net" >/dev/null || die "deleting $net"
    sleep 1
}

scenario_newnet() {
    local run
    heading "$BE newnet: a VM moves to a hypervisor new to its network, which has $NEWNET_PORTS" \
        "ports bound to $FAKE (a new network each run); 1 ms stream from hv1"
    be fake_chassis "$FAKE" "$FAKE_IP" >/dev/null || die "fake chassis"
    for ((run = 0; run <= RUNS; run++)); do
        newnet_run "$run"
    done
}

# --------------------------------------------------------------------------
# One backend's scenarios.

bench_scenarios() {
    local s
    for s in $SCENARIOS; do
        "scenario_$s"
    done
}

# --------------------------------------------------------------------------
# The measuring half, in Python 3.

write_bench_py() {
    {
        cat <<'BENCH_PY'
#!/usr/bin/env python3
# The measuring half of bench-migration.sh (which writes this file and runs
# it).  Subcommands:
#   plug-watch ...   when the moving VM's VIF appeared in the
#                    destination's database, and when it got its ofport
#   stream-watch ... in a VM: the arrival of every datagram of the stream
#   add-ports ...    N ports bound to a fake chassis, in one transaction
#   median --key K FILE   the median of K's values in a results file
#   summary RESULTS [OVN_RESULTS]   the final table
BENCH_PY
        bench_py_common struct
        cat <<'BENCH_PY'


# ---------------------------------------------------------------------------
# plug-watch and echo-watch: the two ends of "plug -> traffic flows", in
# separate processes so that neither delays the other's time stamps.

def plug_watch(a):
    """Prints "T_INSERT T_PORT T_FLOW": when an Interface row named IFACE
    was inserted into the database of the hypervisor whose run directory is
    RUNDIR (after the watch started), when vswitchd had added it to br-int
    (the earlier of its OpenFlow port status message, which the agent
    learns of the port from, and its ofport in the database), and (with
    --flow-rundir) when the first flow for destination MAC --flow-mac
    changed on that other hypervisor after the insertion; "-" for what did
    not happen within TIMEOUT s."""
    state = {"t_insert": None, "t_ofport": None, "uuid": None}
    cv = threading.Condition()
    rows = {}

    def cb(updates, t):
        with cv:
            for uuid, row, inserted in apply_updates(rows, updates, "Interface"):
                if (inserted and row.get("name") == a.iface
                        and state["t_insert"] is None):
                    state["t_insert"] = t
                    state["uuid"] = uuid
                of = row.get("ofport")
                if (uuid == state["uuid"] and isinstance(of, int) and of > 0
                        and state["t_ofport"] is None):
                    state["t_ofport"] = t
            cv.notify_all()

    flows = FlowMon("flows", a.flow_rundir, "watch:!initial") if a.flow_rundir else None
    ports = FlowMon("ports", a.rundir, ["65535", "watch:!initial,table=0"])
    t_start = now()
    t_flow = None
    try:
        db = Ovsdb("unix:%s/db.sock" % a.rundir)
        # Only what changes from now on: the VIF is not there yet.
        db.monitor("Open_vSwitch", ["plug"],
                   {"Interface": {"columns": ["name", "ofport"]}}, cb, initial=False)
        open(a.ready, "w").close()
        deadline = now() + a.timeout
        while now() < deadline:
            with cv:
                ti, to = state["t_insert"], state["t_ofport"]
                if to is None:
                    cv.wait(0.01)
            if ti is not None and flows:
                t_flow = flows.first(ti, "dl_dst=" + a.flow_mac)
            if to is not None and (not flows or t_flow is not None):
                break
            # A step this watch missed (hv1's flow change read before the
            # insertion, or the insertion itself) must not cost the rest:
            # 2 s after the port's addition, what was seen counts.
            t_added = to
            if t_added is None:
                t_added, _ = ports.port_added(t_start, a.iface)
            if t_added is not None and now() - t_added > 2:
                break
            if to is not None:
                time.sleep(0.005)
    finally:
        if flows:
            flows.stop()
    t_status, _ = ports.port_added(t_start, a.iface)
    ports.stop()
    if t_status is not None and (state["t_ofport"] is None
                                 or t_status < state["t_ofport"]):
        state["t_ofport"] = t_status
    if t_status is not None and state["t_insert"] is not None:
        # The insertion, as this watch saw it, cannot follow the addition.
        state["t_insert"] = min(state["t_insert"], t_status)

    def f(x):
        return "-" if x is None else "%.6f" % x
    # hv1's flow change is timed from the insertion: without it, it was not
    # looked for.
    missed = [what for what, t in (("the insertion", state["t_insert"]),
                                   ("the port's addition", state["t_ofport"]),
                                   ("hv1's flow change",
                                    t_flow if flows and state["t_insert"]
                                    else 0))
              if t is None]
    if missed:
        print("plug-watch missed %s" % ", ".join(missed), file=sys.stderr,
              flush=True)
    print("%s %s %s" % (f(state["t_insert"]), f(state["t_ofport"]), f(t_flow)),
          flush=True)

    # The move is still being timed: leave real-time priority and wait for
    # SIGTERM, so that the interpreter's teardown (10-20 ms of CPU) neither
    # runs ahead of the stream and the switches on a 2-CPU machine nor
    # delays them.
    for tid in os.listdir("/proc/self/task"):
        try:
            os.sched_setscheduler(int(tid), os.SCHED_OTHER, os.sched_param(0))
        except OSError:
            pass
    while True:
        signal.pause()


ETH_P_IP = 0x0800
PACKET_OUTGOING = 4
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
STREAM_PORT = 5201


def stream_watch(a):
    """Runs in a VM until SIGTERM and prints "TIME SEQ" for every datagram
    of roam-stream's stream that arrives from SRC with UDP source port 5201
    (the echoes, in the sender's VM) or, with --to-server, destination port
    5201 (the datagrams, in the echo server's VM), on IFNAME or on any
    interface: the kernel's receive time and the sequence number, a line
    as soon as it arrives."""
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(ETH_P_IP))
    if a.ifname:
        s.bind((a.ifname, ETH_P_IP))
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    port_at = 2 if a.to_server else 0
    src = socket.inet_aton(a.src)
    out = sys.stdout
    open(a.ready, "w").close()
    try:
        while True:
            data, anc, _, addr = s.recvmsg(2048, 256)
            if addr[2] == PACKET_OUTGOING or len(data) < 20:
                continue
            ihl = (data[0] & 15) * 4
            if (len(data) < ihl + 24 or data[9] != 17 or data[12:16] != src
                    or struct.unpack("!H", data[ihl + port_at:ihl + port_at + 2])[0]
                    != STREAM_PORT
                    or data[ihl + 8:ihl + 12] != b"RMST"):
                continue
            t = None
            for level, kind, cdata in anc:
                if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS:
                    sec, nsec = struct.unpack("qq", cdata[:16])
                    t = sec + nsec / 1e9
            out.write("%.6f %d\n" % (t if t is not None else now(),
                                     struct.unpack("!Q", data[ihl + 16:ihl + 24])[0]))
            out.flush()
    except SystemExit:
        pass


# ---------------------------------------------------------------------------
# add-ports: N ports on NETWORK bound to the fake chassis FAKE.

def add_ports(a):
    db = Ovsdb(a.db)
    t0 = now()
    prefix = "%s-r" % a.network
    keys = range(10000, 10000 + a.count)
    if a.backend == "roam":
        net = db.uuid("Roam", "Network", a.network)
        ch = db.uuid("Roam", "Chassis", a.fake)
        db.transact("Roam", roam_remote_port_ops(prefix, net, ch, keys))
        print("%d ports on %s bound to %s, in one transaction (%.0f ms)"
              % (a.count, a.network, a.fake, ms(now() - t0)), flush=True)
        return
    sb = Ovsdb(a.sb)
    pbw = PortBindingWatch(sb, prefix)
    ls = db.uuid("OVN_Northbound", "Logical_Switch", a.network)
    db.transact("OVN_Northbound", ovn_remote_lsp_ops(prefix, ls, keys))
    # Bind them once ovn-northd has created their Port_Bindings.
    t, uuids = pbw.wait_count(a.count, 120)
    if t is None:
        raise SystemExit("bench.py: ovn-northd made only %d of %d Port_Bindings"
                         % (len(uuids), a.count))
    ch = sb.uuid("OVN_Southbound", "Chassis", a.fake)
    sb.transact("OVN_Southbound", ovn_bind_ops(uuids, ch))
    print("%d logical switch ports on %s, bound to %s in the southbound DB (%.0f ms)"
          % (a.count, a.network, a.fake, ms(now() - t0)), flush=True)


# ---------------------------------------------------------------------------
# Results and the summary table.

def median(a):
    v = read_results(a.file).get(a.key)
    if v:
        print("%.3f" % statistics.median(v))


def migration_row(scen):
    return (scen + ".row", "  Migration row: detected -> activated", "ms", 0, "")


def plug_steps(scen, what):
    """The rows of the steps of a scenario's "WHAT -> traffic flows" (what
    probe_finish timed), and of its Migration row."""
    return [
        (scen + ".ofport", "  %s -> port added (vswitchd)" % what, "ms", 1, ""),
        (scen + ".hv1", "  %s -> hv1's flow for the VM changed" % what, "ms", 1, ""),
        (scen + ".arrive", "  %s -> first datagram reaches the VM" % what, "ms", 1, ""),
        migration_row(scen),
    ]


ROWS = [
    # key, label, unit, digits, target
    ("cold.flow", "cold: VIF plugged on C -> traffic flows", "ms", 1,
     "< 5 ms median (OVN: 15-23 ms)"),
] + plug_steps("cold", "plugged") + [
    ("cold.lost", "cold: packets lost (1 ms stream)", "pkts", 0, ""),
    ("cold.blackout", "cold: blackout", "ms", 1, ""),
    ("live.lost", "live: packets lost", "pkts", 0, "0 (OVN: 7-11)"),
    ("live.dups", "live: duplicates seen by the VM", "pkts", 0, "(report)"),
    ("live.blackout", "live: blackout", "ms", 1, ""),
    migration_row("live"),
    ("failover.flow", "failover: VM started on C -> traffic flows", "ms", 1,
     "< 20 ms median"),
] + plug_steps("failover", "started") + [
    ("failover.dead", "failover: kill -> B seen dead (chassis-list)", "ms", 0, ""),
    ("failover.lost", "failover: packets lost (incl. that wait)", "pkts", 0, ""),
    ("failover.blackout", "failover: blackout (incl. that wait)", "ms", 1, ""),
    ("newnet.flow", "new network (N ports): plugged -> traffic", "ms", 1,
     "< 50 ms median (OVN: 1.0-1.3 s)"),
] + plug_steps("newnet", "plugged") + [
    ("newnet.lost", "new network: packets lost", "pkts", 0, ""),
    ("newnet.blackout", "new network: blackout", "ms", 1, ""),
]


def cell(src, key, unit, digits):
    v = src.get(key, [])
    n_to = len(src.get(key + ".timeouts", []))
    if not v:
        return ("%d timed out" % n_to if n_to else "-"), None
    text = fmt_stats(v, unit, digits)
    if n_to:
        text += " (+%d timed out)" % n_to
    return text, statistics.median(v)


def summary(a):
    roam = read_results(a.roam)
    ovn = read_results(a.ovn) if a.ovn else None
    w = 46
    head = "%-*s %-30s %-32s" % (w, "scenario (min / median / max)", a.name, "target")
    if ovn is not None:
        head += " %-30s %s" % ("OVN", "Roam/OVN (medians)")
    print(head)
    for key, label, unit, digits, target in ROWS:
        if key not in roam and key + ".timeouts" not in roam and \
                (ovn is None or (key not in ovn and key + ".timeouts" not in ovn)):
            continue
        label = label.replace("N ports", format(a.ports, ",") + " ports")
        rtext, rmed = cell(roam, key, unit, digits)
        line = "%-*s %-30s %-32s" % (w, label, rtext, target)
        if ovn is not None:
            otext, omed = cell(ovn, key, unit, digits)
            ratio = "-"
            if rmed is not None and omed:
                ratio = "%.3g" % (rmed / omed)
            elif rmed == 0 and omed == 0:
                ratio = "="
            line += " %-30s %s" % (otext, ratio)
        print(line.rstrip())


def main():
    p = argparse.ArgumentParser(prog="bench.py")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("plug-watch")
    s.add_argument("--rundir", required=True)
    s.add_argument("--iface", required=True)
    s.add_argument("--ready", required=True)
    s.add_argument("--timeout", type=float, default=60)
    s.add_argument("--flow-rundir")
    s.add_argument("--flow-mac")
    s.set_defaults(fn=plug_watch)

    s = sub.add_parser("stream-watch")
    s.add_argument("--ifname")
    s.add_argument("--src", required=True)
    s.add_argument("--to-server", action="store_true")
    s.add_argument("--ready", required=True)
    s.set_defaults(fn=stream_watch)

    s = sub.add_parser("add-ports")
    s.add_argument("--backend", choices=["roam", "ovn"], required=True)
    s.add_argument("--db", required=True)
    s.add_argument("--sb")
    s.add_argument("--network", required=True)
    s.add_argument("--fake", required=True)
    s.add_argument("--count", type=int, required=True)
    s.set_defaults(fn=add_ports)

    s = sub.add_parser("median")
    s.add_argument("--key", required=True)
    s.add_argument("file")
    s.set_defaults(fn=median)

    s = sub.add_parser("summary")
    s.add_argument("--ports", type=int, default=1000)
    s.add_argument("--name", default="Roam", help="the first column's title")
    s.add_argument("roam")
    s.add_argument("ovn", nargs="?")
    s.set_defaults(fn=summary)

    run_main(p)


if __name__ == "__main__":
    main()
BENCH_PY
    } > "$1"
}

# --------------------------------------------------------------------------
# Main.

bench_main "bench-migration: $RUNS runs (+1 warm-up), scenarios $SCENARIOS, backends $BACKENDS; dir $BENCH_DIR"

heading "Summary (min / median / max over $RUNS moves each)"
if [[ " $BACKENDS " == *" ovn "* ]] && [[ " $BACKENDS " == *" roam "* ]]; then
    bench summary --ports "$NEWNET_PORTS" "$BENCH_DIR/results-roam.txt" "$BENCH_DIR/results-ovn.txt"
elif [[ " $BACKENDS " == *" roam "* ]]; then
    bench summary --ports "$NEWNET_PORTS" "$BENCH_DIR/results-roam.txt"
else
    bench summary --ports "$NEWNET_PORTS" --name OVN "$BENCH_DIR/results-ovn.txt"
fi
say "total time $(since "$T0")"
exit 0
