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
# server counts the duplicates it received.  Scenarios:
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
#                reaches a VM's tap after it left); then "vm-migrate
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
#
# "Plug -> traffic flows" is timed from the moment the VIF's Interface row
# appears in C's Open vSwitch database (ovs-vsctl add-port committed; an
# OVSDB monitor at real-time priority sees it) to the first echo that
# arrives at the sender's VM after it (an AF_PACKET socket in the sender's
# VM, kernel time stamps).  It covers C seeing the VIF, the claim, and hv1
# pointing the VM's MAC at C, both ways.  The steps in between are printed
# too: vswitchd gives the VIF its OpenFlow port; (Roam) hv1's flow for the
# VM's MAC changes ("ovs-ofctl monitor"); the first datagram reaches the
# VM (AF_PACKET in its namespace); and the agent's Migration row.  When
# ovsdb-server reports the insertion and the ofport in one message ("ofport
# after 0.0 ms"), the plug time is late by up to the usual 1-2 ms between
# the two.
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

set -u
set -o pipefail

PROG=bench-migration
top=$(cd "$(dirname "$(readlink -f "$0")")/.." && pwd)
export ROAM_SRCDIR=${ROAM_SRCDIR:-$top}
export ROAM_BUILDDIR=${ROAM_BUILDDIR:-$ROAM_SRCDIR}
TESTBED=$ROAM_SRCDIR/scripts/roam-testbed
STREAM=$ROAM_BUILDDIR/tests/roam-stream

RUNS=10
VS_OVN=0
BACKENDS=
BENCH_DIR=${ROAM_BENCH_DIR:-/tmp/roam-bench-migration}
SCENARIOS="cold live failover newnet"
NEWNET_PORTS=1000
LIVE_COPY=0.2
PAUSE_MS=10
PAUSED_MAC=02:00:00:00:00:99
HOLD=0

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
  --hold SECS         keep each testbed up SECS s after its scenarios
  --dir DIR           working directory (default $BENCH_DIR, or
                      \$ROAM_BENCH_DIR); testbed logs stay there
  -h, --help          this help

Needs root, Open vSwitch 3.1, python3, and a built Roam
(\$ROAM_BUILDDIR/agent/roam-agent, ctl/roam-ctl, tests/roam-stream).
EOF
}

die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }

while [ $# -gt 0 ]; do
    case $1 in
        --runs) RUNS=${2:-}; shift ;;
        --runs=*) RUNS=${1#*=} ;;
        --vs-ovn) VS_OVN=1 ;;
        --backends) BACKENDS=${2:-}; shift ;;
        --backends=*) BACKENDS=${1#*=} ;;
        --scenarios) SCENARIOS=${2:-}; shift ;;
        --scenarios=*) SCENARIOS=${1#*=} ;;
        --ports) NEWNET_PORTS=${2:-}; shift ;;
        --ports=*) NEWNET_PORTS=${1#*=} ;;
        --pause-ms) PAUSE_MS=${2:-}; shift ;;
        --pause-ms=*) PAUSE_MS=${1#*=} ;;
        --hold) HOLD=${2:-}; shift ;;
        --hold=*) HOLD=${1#*=} ;;
        --dir) BENCH_DIR=${2:-}; shift ;;
        --dir=*) BENCH_DIR=${1#*=} ;;
        -h | --help) usage; exit 0 ;;
        *) die "unknown option \"$1\" (see --help)" ;;
    esac
    shift
done
[[ $RUNS =~ ^[0-9]+$ ]] && ((RUNS >= 1)) || die "--runs: a number, at least 1"
[[ $NEWNET_PORTS =~ ^[0-9]+$ ]] && ((NEWNET_PORTS <= 20000)) \
    || die "--ports: a number from 0 to 20000"
[[ $HOLD =~ ^[0-9]+$ ]] || die "--hold: seconds"
[[ $PAUSE_MS =~ ^[0-9]+$ ]] && ((PAUSE_MS <= 5000)) || die "--pause-ms: 0 to 5000"
if [ -z "$BACKENDS" ]; then
    BACKENDS=roam
    [ "$VS_OVN" = 1 ] && BACKENDS="roam ovn"
fi
for b in $BACKENDS; do
    case $b in roam | ovn) ;; *) die "--backends: roam and/or ovn, not \"$b\"" ;; esac
done
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
case $BENCH_DIR in /* ) ;; *) BENCH_DIR=$PWD/$BENCH_DIR ;; esac
[ "$BENCH_DIR" != / ] || die "refusing to use / as the working directory"

[ "$(id -u)" = 0 ] || die "must run as root (the testbed creates network namespaces)"
for t in ovsdb-server ovs-vswitchd ovs-vsctl ip nsenter chrt ethtool python3 ping; do
    command -v "$t" >/dev/null || die "$t not found"
done
[ -x "$TESTBED" ] || die "$TESTBED not found (set ROAM_SRCDIR)"
[ -x "$ROAM_BUILDDIR/agent/roam-agent" ] \
    || die "$ROAM_BUILDDIR/agent/roam-agent not found (set ROAM_BUILDDIR to a built tree)"
[ -x "$ROAM_BUILDDIR/ctl/roam-ctl" ] || die "$ROAM_BUILDDIR/ctl/roam-ctl not found"
[ -x "$STREAM" ] || die "$STREAM not found (run make)"

# --------------------------------------------------------------------------
# Output and time.

now_us() { local t=${EPOCHREALTIME//[!0-9]/}; echo "$((10#$t))"; }
T0=$(now_us)
elapsed() { local d=$(($(now_us) - T0)); printf '%d.%d' $((d / 1000000)) $((d % 1000000 / 100000)); }
since() { local d=$(($(now_us) - $1)); printf '%d.%02d s' $((d / 1000000)) $((d % 1000000 / 10000)); }
say() { printf '[%6ss] %s\n' "$(elapsed)" "$*"; }
heading() { printf '\n[%6ss] === %s\n' "$(elapsed)" "$*"; }
indent() { sed 's/^/    /'; }
# ms_between T1 T2: T2 - T1 (epoch seconds with decimals) in ms, "12.345".
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) * 1000 }'; }
# us_ms US: microseconds as milliseconds, "12.345".
us_ms() { awk -v u="$1" 'BEGIN { printf "%.3f", u / 1000 }'; }

# poll SECS CMD...: runs CMD every 0.05 s until it succeeds; 1 on timeout.
poll() {
    local deadline=$(($(now_us) + $1 * 1000000))
    shift
    until "$@" >/dev/null 2>&1; do
        (($(now_us) < deadline)) || return 1
        sleep 0.05
    done
}

# --------------------------------------------------------------------------
# State and cleanup.

PREFIX=bm$$
BE=                     # backend being measured: roam or ovn
TB_DIR=
TB_PREFIX=
RESULTS=
bg_pids=()              # background processes to stop at exit
tb_dirs=()              # testbed instances to stop at exit
ovn_dirs=()             # OVN control planes to stop at exit

bg() {  # bg CMD...: runs CMD in the background; its pid in $BG_PID
    "$@" &
    BG_PID=$!
    bg_pids+=("$BG_PID")
}

# reap PID: waits for PID and forgets it.
reap() {
    local p keep=()
    wait "$1" 2>/dev/null
    for p in "${bg_pids[@]}"; do
        [ "$p" = "$1" ] || keep+=("$p")
    done
    bg_pids=("${keep[@]}")
}

# stop_bg PID [SIG]: sends SIG (default TERM) to our background process PID,
# waits up to 3 s, then SIGKILL; forgets it.
stop_bg() {
    local pid=$1 i
    kill -s "${2:-TERM}" "$pid" 2>/dev/null
    for ((i = 0; i < 60; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && break
        sleep 0.05
    done
    kill -0 "$pid" 2>/dev/null && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null \
        && kill -9 "$pid" 2>/dev/null
    reap "$pid"
}

# proc_done PID: PID has exited (a zombie counts).
proc_done() {
    ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# stop_pidfile FILE NAME: stops the process in FILE if its command line
# names NAME.
stop_pidfile() {
    local pid i
    [ -f "$1" ] || return 0
    read -r pid < "$1" 2>/dev/null || return 0
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2" || { rm -f "$1"; return 0; }
    kill "$pid" 2>/dev/null
    for ((i = 0; i < 100; i++)); do
        [ -d "/proc/$pid" ] || break
        grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null && break
        sleep 0.05
    done
    [ -d "/proc/$pid" ] && ! grep -q '^State:.*Z' "/proc/$pid/status" 2>/dev/null \
        && kill -9 "$pid" 2>/dev/null
    rm -f "$1"
}

cleanup() {
    local rc=$? pid d
    trap - EXIT INT TERM
    for pid in "${bg_pids[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${bg_pids[@]}"; do
        wait "$pid" 2>/dev/null
    done
    for d in "${ovn_dirs[@]}"; do
        ovn_stop "$d"
    done
    for d in "${tb_dirs[@]}"; do
        if [ -f "$d/testbed.conf" ]; then
            say "stopping the testbed in $d"
            "$TESTBED" --dir "$d" stop 2>&1 | tail -n 1 | indent
        fi
    done
    [ "$rc" = 0 ] || say "exiting with status $rc"
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$BENCH_DIR" || die "cannot create $BENCH_DIR"
BENCH_PY=$BENCH_DIR/bench.py
bench() { python3 "$BENCH_PY" "$@"; }
result() { echo "$1 $2" >> "$RESULTS"; }

# --------------------------------------------------------------------------
# The testbed instance of the backend being measured.

HVS=3
tb() { "$TESTBED" --dir "$TB_DIR" --prefix "$TB_PREFIX" "$@"; }
hv_dir() { echo "$TB_DIR/hv$1"; }
hv_ns() { echo "$TB_PREFIX-hv$1"; }
hv_ip() { echo "192.0.2.$((10 + $1))"; }
vm_ns() { echo "$TB_PREFIX-vm-$1"; }
hv_vsctl() {
    local k=$1; shift
    OVS_RUNDIR=$(hv_dir "$k") ovs-vsctl --db="unix:$(hv_dir "$k")/db.sock" --timeout=30 "$@"
}
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
# Backends.  Each provides: start, stop_all, net_add NET KEY, net_del NET,
# port_add NET PORT MAC IP/PLEN, port_up PORT, bound_to PORT K,
# fake_chassis NAME IP, add_remote_ports NET N, clear_request PORT,
# live_begin PORT B C, live_standby PORT C, live_sync, live_complete PORT C,
# kill_hv K, dead_wait K, restart_hv K, synced K, migration PORT.

be() { local f=$1; shift; "${BE}_$f" "$@"; }

roam_start() {
    local t
    TB_DIR=$BENCH_DIR/roam TB_PREFIX=${PREFIX}r
    [ -f "$TB_DIR/testbed.conf" ] && "$TESTBED" --dir "$TB_DIR" stop >/dev/null 2>&1
    rm -rf "$TB_DIR"
    tb_dirs+=("$TB_DIR")
    t=$(now_us)
    tb start --hypervisors "$HVS" > "$BENCH_DIR/roam-start.log" 2>&1 \
        || { indent < "$BENCH_DIR/roam-start.log"; die "the Roam testbed did not start"; }
    roam_chassis_up() {
        [ "$(tb ctl --bare --columns=name list Chassis | grep -c .)" -ge "$HVS" ]
    }
    poll 20 roam_chassis_up || die "the $HVS chassis did not register"
    say "Roam testbed up: $HVS hypervisors, prefix $TB_PREFIX, dir $TB_DIR ($(since "$t"))"
}
roam_stop_all() { tb_stop; }
roam_db() { echo "unix:$TB_DIR/central/roam.sock"; }
roam_net_add() { tb ctl net-add "$1" "$2"; }
roam_port_add() { tb ctl port-add "$1" "$2" "$3" "$4"; }
roam_net_del() { tb ctl net-del "$1"; }
roam_port_up() { [ "$(tb ctl get Port "$1" up 2>/dev/null)" = true ]; }
roam_chassis_uuid() { tb ctl --bare --columns=_uuid find Chassis name="$1"; }
roam_bound_to() {  # PORT K
    local c
    c=$(tb ctl --bare --columns=chassis list Port "$1") || return 1
    [ -n "$c" ] && [ "$c" = "$(roam_chassis_uuid "hv$2")" ]
}
roam_fake_chassis() {
    tb ctl -- --id=@e create Encap type=geneve ip="$2" chassis_name="$1" \
        -- create Chassis name="$1" hostname="$1" encaps=@e >/dev/null
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
roam_synced() {
    tb hv "$1" ovs-appctl -t roam-agent status 2>/dev/null | grep -q "state: SYNCED"
}
# roam_migration PORT: "UUID KIND DETECTED CLAIMED ACTIVATED" per Migration
# row of PORT ("-" for an empty time).
roam_migration() {
    tb ctl --format=csv --data=bare --no-headings \
        --columns=_uuid,kind,detected,claimed,activated find Migration port="$1" \
        | awk -F, '{ for (i = 1; i <= 5; i++) if ($i == "") $i = "-"; print $1, $2, $3, $4, $5 }'
}

# --------------------------------------------------------------------------
# OVN: the same testbed shape with "roam-testbed start --no-agent", plus
# OVN's northbound and southbound ovsdb-servers and ovn-northd in the root
# namespace (unix sockets in DIR/ovn) and an ovn-controller in every
# hypervisor namespace, with OVN's defaults (as bench-datapath.sh does).

OVN_NB_SCHEMA=/usr/share/ovn/ovn-nb.ovsschema
OVN_SB_SCHEMA=/usr/share/ovn/ovn-sb.ovsschema
# How long OVN's failover waits before the VM starts on C: as long as
# Roam's dead detection took (its median, once measured).
OVN_DEAD_WAIT=6.0

ovn_install() {
    local t missing=0 c
    for c in ovn-northd ovn-controller ovn-nbctl ovn-sbctl; do
        command -v "$c" >/dev/null || missing=1
    done
    [ -f "$OVN_NB_SCHEMA" ] && [ -f "$OVN_SB_SCHEMA" ] || missing=1
    [ "$missing" = 0 ] && return 0
    t=$(now_us)
    say "installing ovn-central and ovn-host (apt-get)"
    # Keep the packages' services from starting: we run our own daemons.
    local policy=/usr/sbin/policy-rc.d made_policy=
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy" && made_policy=1
    fi
    if ! apt-get install -y --no-install-recommends ovn-central ovn-host \
            > "$BENCH_DIR/apt.log" 2>&1; then
        apt-get update > "$BENCH_DIR/apt-update.log" 2>&1
        apt-get install -y --no-install-recommends ovn-central ovn-host \
            > "$BENCH_DIR/apt.log" 2>&1
    fi
    local rc=$?
    [ -n "$made_policy" ] && rm -f "$policy"
    [ "$rc" = 0 ] || { tail -n 5 "$BENCH_DIR/apt.log" | indent; return 1; }
    say "installed $(ovn-controller --version | head -n 1) ($(since "$t"))"
}

ovn_dir() { echo "$TB_DIR/ovn"; }
nbctl() { ovn-nbctl --db="unix:$(ovn_dir)/nb.sock" --timeout=30 "$@"; }
sbctl() { ovn-sbctl --db="unix:$(ovn_dir)/sb.sock" --timeout=30 "$@"; }
ovn_env() { local d; d=$(ovn_dir); echo "OVN_RUNDIR=$d OVN_LOGDIR=$d OVN_DBDIR=$d OVS_RUNDIR=$d"; }

# ovn_stop DIR: stops the daemons of the OVN deployment in DIR (the
# testbed's directory) by pidfile; the testbed stops the rest.
ovn_stop() {
    local d=$1 h
    for h in "$d"/hv[0-9]*; do
        stop_pidfile "$h/ovn-controller.pid" ovn-controller
    done
    stop_pidfile "$d/ovn/northd.pid" ovn-northd
    stop_pidfile "$d/ovn/nb.pid" ovsdb-server
    stop_pidfile "$d/ovn/sb.pid" ovsdb-server
}

ovn_start_db() {  # NAME SCHEMA
    local d
    d=$(ovn_dir)
    ovsdb-tool create "$d/$1.db" "$2" || return 1
    # shellcheck disable=SC2046
    env $(ovn_env) ovsdb-server "$d/$1.db" --remote="punix:$d/$1.sock" \
        --pidfile="$d/$1.pid" --unixctl="$d/$1.ctl" --log-file="$d/$1.log" \
        --detach --no-chdir 9>&- > "$d/$1.start.log" 2>&1 || return 1
}

ovn_controller_start() {  # K
    local k=$1 d
    d=$(hv_dir "$k")
    ip netns exec "$(hv_ns "$k")" env OVS_RUNDIR="$d" OVN_RUNDIR="$d" OVN_LOGDIR="$d" \
        ovn-controller "unix:$d/db.sock" --pidfile="$d/ovn-controller.pid" \
        --log-file="$d/ovn-controller.log" --detach --no-chdir 9>&- \
        > "$d/ovn-controller.start.log" 2>&1
}
ovn_controller_ctl() {  # K ARGS...
    local k=$1; shift
    OVS_RUNDIR=$(hv_dir "$k") ovs-appctl --timeout=10 -t ovn-controller "$@"
}

ovn_start() {
    local t k d
    ovn_install || die "could not install OVN"
    TB_DIR=$BENCH_DIR/ovn TB_PREFIX=${PREFIX}o
    [ -f "$TB_DIR/testbed.conf" ] && "$TESTBED" --dir "$TB_DIR" stop >/dev/null 2>&1
    rm -rf "$TB_DIR"
    tb_dirs+=("$TB_DIR")
    ovn_dirs+=("$TB_DIR")
    t=$(now_us)
    tb start --hypervisors "$HVS" --no-agent > "$BENCH_DIR/ovn-start.log" 2>&1 \
        || { indent < "$BENCH_DIR/ovn-start.log"; die "the OVN testbed did not start"; }
    d=$(ovn_dir)
    mkdir -p "$d"
    ovn_start_db nb "$OVN_NB_SCHEMA" || die "OVN NB ovsdb-server did not start"
    ovn_start_db sb "$OVN_SB_SCHEMA" || die "OVN SB ovsdb-server did not start"
    nbctl init && sbctl init || die "ovn-nbctl/ovn-sbctl init failed"
    # shellcheck disable=SC2046
    env $(ovn_env) ovn-northd --ovnnb-db="unix:$d/nb.sock" --ovnsb-db="unix:$d/sb.sock" \
        --pidfile="$d/northd.pid" --log-file="$d/northd.log" --unixctl="$d/northd.ctl" \
        --detach --no-chdir 9>&- > "$d/northd.start.log" 2>&1 || die "ovn-northd did not start"
    for ((k = 1; k <= HVS; k++)); do
        hv_vsctl "$k" set Open_vSwitch . external_ids:ovn-remote="unix:$d/sb.sock" \
            external_ids:ovn-encap-type=geneve \
            external_ids:ovn-encap-ip="$(hv_ip "$k")" \
            external_ids:ovn-bridge-datapath-type=netdev || die "hv$k: external_ids"
        ovn_controller_start "$k" || die "hv$k: ovn-controller did not start"
    done
    ovn_chassis_up() {
        [ "$(sbctl --bare --columns=name list Chassis | grep -c .)" -ge "$HVS" ] || return 1
        local k
        for ((k = 1; k <= HVS; k++)); do
            hv_vsctl "$k" br-exists br-int || return 1
        done
    }
    poll 30 ovn_chassis_up || die "the $HVS OVN chassis did not register"
    say "OVN testbed up: $(ovn-controller --version | head -n 1), $HVS hypervisors, prefix $TB_PREFIX, dir $TB_DIR ($(since "$t"))"
}
ovn_stop_all() {
    ovn_stop "$TB_DIR"
    local d keep=()
    for d in "${ovn_dirs[@]}"; do
        [ "$d" = "$TB_DIR" ] || keep+=("$d")
    done
    ovn_dirs=("${keep[@]}")
    tb_stop
}
ovn_net_add() { nbctl ls-add "$1"; }
ovn_net_del() { nbctl ls-del "$1"; }
ovn_port_add() {  # NET PORT MAC IP/PLEN
    nbctl lsp-add "$1" "$2" -- lsp-set-addresses "$2" "$3 ${4%/*}"
}
ovn_port_up() { [ "$(nbctl get Logical_Switch_Port "$1" up 2>/dev/null)" = true ]; }
ovn_chassis_uuid() { sbctl --bare --columns=_uuid find Chassis name="$1"; }
ovn_pb() {  # PORT COLUMN
    sbctl --bare --columns="$2" find Port_Binding logical_port="$1"
}
ovn_bound_to() {  # PORT K
    local c
    c=$(ovn_pb "$1" chassis) || return 1
    [ -n "$c" ] && [ "$c" = "$(ovn_chassis_uuid "hv$2")" ]
}
ovn_fake_chassis() { sbctl chassis-add "$1" geneve "$2"; }
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
        poll 5 eval "! kill -0 $pid 2>/dev/null || grep -q '^State:.*Z' /proc/$pid/status" \
            || return 1
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
ovn_synced() {
    [ "$(ovn_controller_ctl "$1" connection-status 2>/dev/null)" = connected ]
}
ovn_migration() { :; }

# --------------------------------------------------------------------------
# Set-up, streams and probes.

# vm_add NAME HV NET MAC IP: a port and its VM.
vm_add() {
    be port_add "$3" "$1" "$4" "$5/24" >/dev/null || die "adding port $1"
    tb vm-add "$1" "$2" "$1" "$4" "$5/24" >/dev/null 2>&1 || die "adding VM $1"
}
ping_ok() { tb vm "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1; }
# static_neigh VM IP MAC: VM reaches IP without ARP (a VM's ARP retry is
# 1 s: timing must not depend on it).
static_neigh() {
    tb vm "$1" ip neigh replace "$2" lladdr "$3" dev eth0 nud permanent \
        || die "$1: static neighbour $2"
}
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
    bg chrt -f 10 python3 "$BENCH_PY" plug-watch --db "unix:$(hv_dir "$dst")/db.sock" \
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
# probe_wait_echo: once the plug was seen, waits up to 30 s for the first
# echo after it.
probe_wait_echo() {
    local t_ins
    poll 30 proc_done "$PLUG_PID"
    read -r t_ins _ < "$BENCH_DIR/plug.out" 2>/dev/null || return 0
    [ -n "$t_ins" ] && [ "$t_ins" != - ] || return 0
    poll 30 awk -v t="$t_ins" '$1 > t { found = 1; exit } END { exit !found }' \
        "$BENCH_DIR/echow.out"
}
# probe_finish: ends the watches (once the stream has stopped); sets, in ms
# from the plug: P_PLUG (the first echo back at the sender), P_ARRIVE (the
# first datagram at the moved VM), P_OFPORT (the VIF's ofport), P_FLOW
# (hv1's flow change); P_SEQ is that echo's sequence number; each is empty
# if not seen.
probe_finish() {
    local t_ins t_of t_fl t_echo t_arr seq
    reap "$PLUG_PID"
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

setup_blue() {
    local t
    t=$(now_us)
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
    local t
    t="ofport after $(fmt "$P_OFPORT")"
    [ "$BE" = roam ] && t="$t, hv1's flow after $(fmt "$P_FLOW")"
    echo "$t, first datagram in the VM after $(fmt "$P_ARRIVE"), first echo #${P_SEQ:-?}"
}
# probe_results SCENARIO: records what probe_finish timed.
probe_results() {
    if [ -n "$P_PLUG" ]; then
        result "$1.flow" "$P_PLUG"
    else
        result "$1.flow.timeouts" 1
    fi
    [ -n "$P_OFPORT" ] && result "$1.ofport" "$P_OFPORT"
    [ -n "$P_FLOW" ] && result "$1.hv1" "$P_FLOW"
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
        ip -n "$(vm_ns v2)" link set "$vmif" address "$PAUSED_MAC" \
            || die "v2: pausing $vmif failed"
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
    local dups=$(($(echo_dups v2) - d0))
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
# One backend: start, set up, run the scenarios, stop.

tb_stop() {
    local d keep=()
    "$TESTBED" --dir "$TB_DIR" stop > "$BENCH_DIR/$BE-stop.log" 2>&1 \
        || say "warning: stopping the testbed in $TB_DIR failed (see $BENCH_DIR/$BE-stop.log)"
    for d in "${tb_dirs[@]}"; do
        [ "$d" = "$TB_DIR" ] || keep+=("$d")
    done
    tb_dirs=("${keep[@]}")
}

run_backend() {
    local s t pid
    BE=$1
    RESULTS=$BENCH_DIR/results-$BE.txt
    rm -f "$RESULTS" "$BENCH_DIR/$BE-moves.log" "$BENCH_DIR/$BE-stream.err"
    rm -f "$BENCH_DIR/$BE-migrations.seen"
    t=$(now_us)
    heading "$BE: starting"
    be start
    setup_blue
    for s in $SCENARIOS; do
        "scenario_$s"
    done
    if [ "$HOLD" -gt 0 ]; then
        say "holding the $BE testbed for $HOLD s: $TESTBED --dir $TB_DIR status"
        sleep "$HOLD" & wait $!
    fi
    heading "$BE: done ($(since "$t")); stopping"
    for pid in "${bg_pids[@]}"; do
        stop_bg "$pid"
    done
    be stop_all
}

# --------------------------------------------------------------------------
# The measuring half, in Python 3.

write_bench_py() {
    cat > "$1" <<'BENCH_PY'
#!/usr/bin/env python3
# The measuring half of bench-migration.sh (which writes this file and runs
# it).  Subcommands:
#   plug-watch ...   when the moving VM's VIF appeared in the
#                    destination's database, and when it got its ofport
#   stream-watch ... in a VM: the arrival of every datagram of the stream
#   add-ports ...    N ports bound to a fake chassis, in one transaction
#   median --key K FILE   the median of K's values in a results file
#   summary RESULTS [OVN_RESULTS]   the final table
import argparse
import codecs
import json
import os
import signal
import socket
import statistics
import struct
import subprocess
import sys
import threading
import time


def now():
    return time.time()


def ms(seconds):
    return seconds * 1000.0


class Ovsdb:
    """A minimal OVSDB JSON-RPC client over a unix socket: transact and
    monitor, replies read by a thread."""

    def __init__(self, remote):
        if not remote.startswith("unix:"):
            raise SystemExit("bench.py: only unix: remotes (%s)" % remote)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(remote[5:])
        self.wlock = threading.Lock()
        self.cv = threading.Condition()
        self.replies = {}
        self.next_id = 1
        self.update_cb = None
        self.closed = False
        threading.Thread(target=self._reader, daemon=True).start()

    def _send(self, obj):
        data = json.dumps(obj).encode()
        with self.wlock:
            self.sock.sendall(data)

    def _reader(self):
        dec = json.JSONDecoder()
        utf8 = codecs.getincrementaldecoder("utf-8")()
        buf = ""
        while True:
            try:
                data = self.sock.recv(1 << 20)
            except OSError:
                data = b""
            if not data:
                with self.cv:
                    self.closed = True
                    self.cv.notify_all()
                return
            t = now()
            buf += utf8.decode(data)
            while True:
                buf = buf.lstrip()
                if not buf:
                    break
                try:
                    obj, end = dec.raw_decode(buf)
                except ValueError:
                    break
                buf = buf[end:]
                self._handle(obj, t)

    def _handle(self, obj, t):
        method = obj.get("method")
        if method == "echo":
            self._send({"id": obj["id"], "result": obj["params"], "error": None})
        elif method == "update":
            if self.update_cb:
                self.update_cb(obj["params"][1], t)
        elif method is None:
            with self.cv:
                self.replies[obj["id"]] = obj
                self.cv.notify_all()

    def call(self, method, params, timeout=120):
        with self.cv:
            rid = self.next_id
            self.next_id += 1
        self._send({"id": rid, "method": method, "params": params})
        deadline = now() + timeout
        with self.cv:
            while rid not in self.replies:
                if self.closed:
                    raise SystemExit("bench.py: OVSDB connection closed")
                left = deadline - now()
                if left <= 0:
                    raise SystemExit("bench.py: OVSDB %s timed out" % method)
                self.cv.wait(left)
            reply = self.replies.pop(rid)
        if reply.get("error"):
            raise SystemExit("bench.py: OVSDB %s failed: %s" % (method, reply["error"]))
        return reply["result"]

    def transact(self, db, ops, timeout=120):
        result = self.call("transact", [db] + ops, timeout)
        for i, r in enumerate(result):
            if r is not None and "error" in r:
                raise SystemExit("bench.py: transaction failed at op %d: %s"
                                 % (i, json.dumps(r)[:500]))
        return result

    def select(self, db, table, where, columns):
        return self.transact(db, [{"op": "select", "table": table,
                                   "where": where, "columns": columns}])[0]["rows"]


# ---------------------------------------------------------------------------
# plug-watch and echo-watch: the two ends of "plug -> traffic flows", in
# separate processes so that neither delays the other's time stamps.

class FlowWatch:
    """"ovs-ofctl monitor br-int watch:!initial" on one hypervisor, every
    flow change stamped with the time it was read."""

    def __init__(self, rundir):
        self.events = []
        self.lock = threading.Lock()
        env = dict(os.environ, OVS_RUNDIR=rundir)
        self.proc = subprocess.Popen(["ovs-ofctl", "monitor", "br-int", "watch:!initial"],
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     env=env)
        threading.Thread(target=self._reader, daemon=True).start()
        deadline = now() + 10
        while True:
            with self.lock:
                if self.events:
                    break
            if self.proc.poll() is not None or now() > deadline:
                raise SystemExit("bench.py: ovs-ofctl monitor in %s failed" % rundir)
            time.sleep(0.005)

    def _reader(self):
        fd = self.proc.stdout.fileno()
        rest = b""
        while True:
            data = os.read(fd, 1 << 16)
            t = now()
            if not data:
                return
            lines = (rest + data).split(b"\n")
            rest = lines.pop()
            with self.lock:
                self.events += [(t, l.decode(errors="replace")) for l in lines]

    def first(self, t0, needle):
        """The time of the first flow added or modified after t0 whose text
        contains needle, or None."""
        with self.lock:
            for t, line in self.events:
                if (t >= t0 and needle in line
                        and ("event=ADDED" in line or "event=MODIFIED" in line)):
                    return t
        return None

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait()


def plug_watch(a):
    """Prints "T_INSERT T_OFPORT T_FLOW": when an Interface row named IFACE
    was inserted into the database (after the watch started), when it got
    an OpenFlow port, and (with --flow-rundir) when the first flow for
    destination MAC --flow-mac changed on that other hypervisor after the
    insertion; "-" for what did not happen within TIMEOUT s."""
    state = {"t_insert": None, "t_ofport": None, "uuid": None}
    cv = threading.Condition()
    rows = {}

    def cb(updates, t):
        with cv:
            for uuid, u in updates.get("Interface", {}).items():
                new = u.get("new")
                if new is None:
                    rows.pop(uuid, None)
                    continue
                if ("old" not in u and new.get("name") == a.iface
                        and state["t_insert"] is None):
                    state["t_insert"] = t
                    state["uuid"] = uuid
                row = rows.setdefault(uuid, {})
                row.update(new)
                of = row.get("ofport")
                if (uuid == state["uuid"] and isinstance(of, int) and of > 0
                        and state["t_ofport"] is None):
                    state["t_ofport"] = t
            cv.notify_all()

    flows = FlowWatch(a.flow_rundir) if a.flow_rundir else None
    t_flow = None
    try:
        db = Ovsdb(a.db)
        db.call("monitor", ["Open_vSwitch", ["plug"],
                            {"Interface": {"columns": ["name", "ofport"]}}])
        db.update_cb = cb
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
            if to is not None:
                time.sleep(0.005)
    finally:
        if flows:
            flows.stop()

    def f(x):
        return "-" if x is None else "%.6f" % x
    print("%s %s %s" % (f(state["t_insert"]), f(state["t_ofport"]), f(t_flow)),
          flush=True)


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

def port_mac(k):
    return "02:5c:%02x:%02x:%02x:%02x" % (k >> 24 & 255, k >> 16 & 255, k >> 8 & 255, k & 255)


def add_ports(a):
    db = Ovsdb(a.db)
    t0 = now()
    base = 10000
    if a.backend == "roam":
        net = db.select("Roam", "Network", [["name", "==", a.network]], ["_uuid"])[0]["_uuid"][1]
        ch = db.select("Roam", "Chassis", [["name", "==", a.fake]], ["_uuid"])[0]["_uuid"][1]
        ops = [{"op": "insert", "table": "Port", "row": {
                    "name": "%s-r%d" % (a.network, k),
                    "network": ["uuid", net],
                    "mac": port_mac(k),
                    "ips": "2001:db8:5ca1::%x/64" % k,
                    "tunnel_key": k,
                    "chassis": ["uuid", ch]}}
               for k in range(base, base + a.count)]
        db.transact("Roam", ops)
        print("%d ports on %s bound to %s, in one transaction (%.0f ms)"
              % (a.count, a.network, a.fake, ms(now() - t0)), flush=True)
        return
    sb = Ovsdb(a.sb)
    ls = db.select("OVN_Northbound", "Logical_Switch",
                   [["name", "==", a.network]], ["_uuid"])[0]["_uuid"][1]
    ops = []
    names = []
    for k in range(base, base + a.count):
        names.append(["named-uuid", "lsp%d" % k])
        ops.append({"op": "insert", "table": "Logical_Switch_Port",
                    "uuid-name": "lsp%d" % k, "row": {
                        "name": "%s-r%d" % (a.network, k),
                        "addresses": "%s 2001:db8:5ca1::%x" % (port_mac(k), k)}})
    ops.append({"op": "mutate", "table": "Logical_Switch",
                "where": [["_uuid", "==", ["uuid", ls]]],
                "mutations": [["ports", "insert", ["set", names]]]})
    db.transact("OVN_Northbound", ops)
    # Bind them once ovn-northd has created their Port_Bindings.
    prefix = "%s-r" % a.network
    deadline = now() + 120
    while True:
        rows = sb.select("OVN_Southbound", "Port_Binding", [], ["logical_port"])
        n = sum(1 for r in rows if r["logical_port"].startswith(prefix))
        if n >= a.count:
            break
        if now() > deadline:
            raise SystemExit("bench.py: ovn-northd made only %d of %d Port_Bindings"
                             % (n, a.count))
        time.sleep(0.2)
    ch = sb.select("OVN_Southbound", "Chassis", [["name", "==", a.fake]], ["_uuid"])[0]["_uuid"][1]
    sb.transact("OVN_Southbound", [
        {"op": "update", "table": "Port_Binding",
         "where": [["logical_port", "==", "%s-r%d" % (a.network, k)]],
         "row": {"chassis": ["uuid", ch]}}
        for k in range(base, base + a.count)])
    print("%d logical switch ports on %s, bound to %s in the southbound DB (%.0f ms)"
          % (a.count, a.network, a.fake, ms(now() - t0)), flush=True)


# ---------------------------------------------------------------------------
# Results and the summary table.

def read_results(path):
    r = {}
    if path and os.path.exists(path):
        for line in open(path):
            f = line.split()
            if len(f) == 2:
                r.setdefault(f[0], []).append(float(f[1]))
    return r


def median(a):
    v = read_results(a.file).get(a.key)
    if v:
        print("%.3f" % statistics.median(v))


ROWS = [
    # key, label, unit, digits, target
    ("cold.flow", "cold: VIF plugged on C -> traffic flows", "ms", 1,
     "< 5 ms median (OVN: 15-23 ms)"),
    ("cold.ofport", "  plugged -> ofport assigned (vswitchd)", "ms", 1, ""),
    ("cold.hv1", "  plugged -> hv1's flow for the VM changed", "ms", 1, ""),
    ("cold.arrive", "  plugged -> first datagram reaches the VM", "ms", 1, ""),
    ("cold.row", "  Migration row: detected -> activated", "ms", 0, ""),
    ("cold.lost", "cold: packets lost (1 ms stream)", "pkts", 0, ""),
    ("cold.blackout", "cold: blackout", "ms", 1, ""),
    ("live.lost", "live: packets lost", "pkts", 0, "0 (OVN: 7-11)"),
    ("live.dups", "live: duplicates seen by the VM", "pkts", 0, "(report)"),
    ("live.blackout", "live: blackout", "ms", 1, ""),
    ("live.row", "  Migration row: detected -> activated", "ms", 0, ""),
    ("failover.flow", "failover: VM started on C -> traffic flows", "ms", 1,
     "< 20 ms median"),
    ("failover.ofport", "  started -> ofport assigned (vswitchd)", "ms", 1, ""),
    ("failover.hv1", "  started -> hv1's flow for the VM changed", "ms", 1, ""),
    ("failover.arrive", "  started -> first datagram reaches the VM", "ms", 1, ""),
    ("failover.row", "  Migration row: detected -> activated", "ms", 0, ""),
    ("failover.dead", "failover: kill -> B seen dead (chassis-list)", "ms", 0, ""),
    ("failover.lost", "failover: packets lost (incl. that wait)", "pkts", 0, ""),
    ("failover.blackout", "failover: blackout (incl. that wait)", "ms", 1, ""),
    ("newnet.flow", "new network (N ports): plugged -> traffic", "ms", 1,
     "< 50 ms median (OVN: 1.0-1.3 s)"),
    ("newnet.ofport", "  plugged -> ofport assigned (vswitchd)", "ms", 1, ""),
    ("newnet.hv1", "  plugged -> hv1's flow for the VM changed", "ms", 1, ""),
    ("newnet.arrive", "  plugged -> first datagram reaches the VM", "ms", 1, ""),
    ("newnet.row", "  Migration row: detected -> activated", "ms", 0, ""),
    ("newnet.lost", "new network: packets lost", "pkts", 0, ""),
    ("newnet.blackout", "new network: blackout", "ms", 1, ""),
]


def fmt_stats(v, unit, digits):
    return "%.*f / %.*f / %.*f %s" % (digits, min(v), digits, statistics.median(v),
                                      digits, max(v), unit)


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
    s.add_argument("--db", required=True)
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

    a = p.parse_args()
    # SIGTERM unwinds like an exception ("finally" clauses run).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    a.fn(a)


if __name__ == "__main__":
    main()
BENCH_PY
}

# --------------------------------------------------------------------------
# Main.

write_bench_py "$BENCH_PY" || die "cannot write $BENCH_PY"
say "bench-migration: $RUNS runs (+1 warm-up), scenarios $SCENARIOS, backends $BACKENDS; dir $BENCH_DIR"
say "roam-agent: $("$ROAM_BUILDDIR/agent/roam-agent" --version 2>/dev/null | head -n 1) ($ROAM_BUILDDIR); source $(git -C "$ROAM_SRCDIR" describe --always --dirty 2>/dev/null || echo "?")"
say "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
rm -f "$BENCH_DIR"/results-*.txt
for b in $BACKENDS; do
    run_backend "$b"
done

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
