#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# bench-datapath.sh: the data path benchmark of issue 3 ("Demo and
# benchmark").  Prints numbers, as min / median / max over repeated runs,
# next to the targets; asserts nothing.  Exits non-zero only if the
# benchmark itself could not run.
#
#   1. VIF plug -> first forwarded packet across hypervisors.  A VM sends a
#      timestamped UDP datagram every 1 ms (static neighbour entry, so ARP
#      plays no part) while it is not yet on br-int; the interval starts
#      when the VIF is plugged and ends when the peer VM on hv1 receives the
#      first datagram.  Two variants: the network is new on the hypervisor
#      (its first port there), or it already has a port there.  Each is
#      plugged two ways, in the same run:
#        a) by a pre-connected OVSDB client, the way OpenStack's os-vif
#           (ovsdb_interface=native, its default, through ovsdbapp) and
#           other orchestrators plug: connected to the hypervisor's
#           ovsdb-server, with br-int's uuid looked up, beforehand, it
#           sends one transaction that does what "ovs-vsctl add-port br-int
#           IFACE -- set Interface IFACE external_ids:iface-id=PORT" does
#           (Interface and Port inserted, the Port added to br-int's ports,
#           next_cfg incremented); timed from the moment it sends it;
#        b) by "ovs-vsctl add-port", timed from right before it starts.
#      ovs-vsctl's own start-up (a new process that connects and fetches
#      the schema and the tables before it commits) takes some 12 ms on
#      this testbed: part of b), but not of the system under test, hence a).
#      Also printed, as steps: when the plugging tool had the Interface row
#      committed (a: the transaction's reply; b: when an OVSDB monitor on
#      the hypervisor's database sees the row inserted), when vswitchd had
#      added the interface to br-int (the earlier of its OpenFlow port
#      status message, which "ovs-ofctl monitor" sees, and its ofport in
#      the database; the agent learns of the port from the first), and when
#      the VIF's first flow (table 0, in_port) appeared, which splits the
#      time into the tool's, vswitchd's and the agent's shares.
#   2. Binding change -> flows in place on every other hypervisor:
#      a) the Port's chassis written in the central database (alternating
#         between two fake chassis), until every hypervisor's l2_lookup flow
#         for that MAC outputs to the new chassis's tunnel;
#      b) a VIF moved between hv2 and hv3 (unplug, then plug), timed from the
#         plug until the other hypervisors output to the new one.
#   3. Scale: 1,000 and then 5,000 remote ports (bound to a fake chassis) in
#      one transaction, in a network that has a local VM on every
#      hypervisor; time until the last flow change on every hypervisor (and
#      the agents' nb_cfg acknowledgement), removal likewise; agent RSS and
#      flow counts; agent CPU used in 10 s of idling (/proc/PID/schedstat),
#      for Roam also while every agent is watched (it then beats every 2 s;
#      unwatched it does not), and
#      while a VM sends 1,000 datagrams/s to a MAC that no port has (Roam's
#      hv1 floods them to every hypervisor, whose switch sends the first
#      ones to the agent, which then floods the rest without itself; OVN
#      drops them on hv1), and to the MAC of a port bound nowhere (Roam's
#      agents read and drop every one, at up to meter 4's rate, for 5 s,
#      and then flood the rest without themselves: measured over the
#      first 5 s, and over 10 s from the 6th second on);
#      and, with the ports in place, scenario 2a's binding change for one of
#      them.  Runs last: at 5,000 ports OVN stays busy for minutes (its runs
#      give up after --ovn-timeout and are reported as "> N ms").
#   4. Restarts with a 1 ms ping stream (ping -D): packets lost while an
#      agent restarts (SIGTERM and SIGKILL, alternating hv1 and hv2); after
#      an ovs-vswitchd restart, the longest gap and the time from the
#      moment the underlay works again (br-phy has its address back) to the
#      first reply.
#   5. --vs-ovn: the same on an OVN deployment of the same testbed shape
#      (roam-testbed --no-agent, plus OVN's NB/SB databases, ovn-northd and
#      an ovn-controller per hypervisor), and Roam/OVN ratios.
#
# Flow changes are timed with "ovs-ofctl monitor" (OpenFlow flow monitors,
# no polling): vswitchd reports a change once it is in its flow table.  For
# thousands of flows the monitor's own output lags by a few tens of ms, so
# the scale numbers are upper bounds; the agents' nb_cfg acknowledgements
# are printed next to them.  Database writes are timed from the moment a
# pre-connected JSON-RPC client sends the transaction.
#
# Usage: run as root with ROAM_SRCDIR and ROAM_BUILDDIR set (or from a
# built tree), e.g.
#     ROAM_SRCDIR=/work/main ROAM_BUILDDIR=/tmp/build sudo -E \
#         scripts/bench-datapath.sh [--runs N] [--vs-ovn]
# See --help for the options.  The measuring half is a Python 3 program
# (write_bench_py, near the end of this file); it is written to the
# benchmark's directory at start-up.
#
# The parts it shares with bench-migration.sh (options, output, cleanup,
# the testbed, both backends' set-up, the common half of the measuring
# program) are in bench-lib.sh, next to it.

set -u
set -o pipefail

PROG=bench-datapath
PREFIX=rb$$
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$(readlink -f "$0")")/bench-lib.sh"
STREAM=$ROAM_BUILDDIR/tests/roam-stream

RUNS=5
HVS=3
BENCH_DIR=${ROAM_BENCH_DIR:-/tmp/roam-bench}
SCENARIOS="1 2 3 4"
SIZES="1000,5000"
SCALE_RUNS=
OVN_BIG_RUNS=1
OVN_TIMEOUT=100
IDLE=10

usage() {
    cat <<EOF
usage: $PROG [OPTION...]

Data path benchmark: Roam (and, with --vs-ovn, OVN) on the netns testbed.

  --runs N            repetitions per scenario (at least 5; default $RUNS)
  --hypervisors N     hypervisors (at least 3; default $HVS)
  --vs-ovn            also run every scenario against OVN (installs Debian's
                      ovn-central and ovn-host if missing); the same as
                      --backends "roam ovn"
  --backends LIST     which deployments to measure: "roam", "ovn" or both
  --scenarios LIST    which scenarios, e.g. "1 3" (default "$SCENARIOS")
  --sizes LIST        remote port counts for scenario 3 (default $SIZES)
  --scale-runs N      runs per size in scenario 3 (default: --runs)
  --ovn-big-runs N    OVN runs for sizes above 1,000 (default $OVN_BIG_RUNS:
                      OVN needs minutes there)
  --ovn-timeout SECS  give up on an OVN scale run after SECS s (default
                      $OVN_TIMEOUT; reported as a lower bound)
  --idle SECS         idle time for the agent CPU measurement (default $IDLE)
  --hold SECS         keep each testbed up SECS s after its scenarios (to
                      look around; "roam-testbed --dir DIR/roam status")
  --dir DIR           working directory (default $BENCH_DIR, or
                      \$ROAM_BENCH_DIR); testbed logs stay there
  -h, --help          this help

Needs root, Open vSwitch 3.1 (ovsdb-server, ovs-vswitchd), python3, and a
built Roam (\$ROAM_BUILDDIR/agent/roam-agent, \$ROAM_BUILDDIR/ctl/roam-ctl,
\$ROAM_BUILDDIR/tests/roam-stream).
EOF
}

# bench_option OPTION VALUE: the options of this benchmark alone.
bench_option() {
    case $1 in
        --hypervisors) HVS=$2 ;;
        --sizes) SIZES=$2 ;;
        --scale-runs) SCALE_RUNS=$2 ;;
        --ovn-big-runs) OVN_BIG_RUNS=$2 ;;
        --ovn-timeout) OVN_TIMEOUT=$2 ;;
        --idle) IDLE=$2 ;;
        *) return 1 ;;
    esac
}

bench_parse_options "$@"
bench_check_options 5
[[ $HVS =~ ^[0-9]+$ ]] && ((HVS >= 3 && HVS <= 20)) || die "--hypervisors: 3 to 20"
[[ $IDLE =~ ^[0-9]+$ ]] || die "--idle: seconds"
[[ $OVN_TIMEOUT =~ ^[0-9]+$ ]] && ((OVN_TIMEOUT >= 10)) || die "--ovn-timeout: at least 10 s"
[[ $SIZES =~ ^[0-9]+(,[0-9]+)*$ ]] || die "--sizes: e.g. 1000,5000"
commas=${SIZES//[!,]/}
((${#commas} < 8)) || die "--sizes: at most 8"
[ -z "$(tr , '\n' <<<"$SIZES" | sort | uniq -d)" ] || die "--sizes: each size once"
[[ $OVN_BIG_RUNS =~ ^[0-9]+$ ]] && ((OVN_BIG_RUNS >= 1)) || die "--ovn-big-runs: at least 1"
SCALE_RUNS=${SCALE_RUNS:-$RUNS}
[[ $SCALE_RUNS =~ ^[0-9]+$ ]] && ((SCALE_RUNS >= 1)) || die "--scale-runs: at least 1"
for s in $SCENARIOS; do
    [[ $s =~ ^[1-4]$ ]] || die "--scenarios: numbers 1 to 4, not \"$s\""
done
bench_check_host ovs-ofctl chrt
case " $SCENARIOS " in
    *" 3 "*) [ -x "$STREAM" ] || die "$STREAM not found (set ROAM_BUILDDIR to a built tree)" ;;
esac
bench_init

# --------------------------------------------------------------------------
# The hypervisors of the backend being measured, for bench.py.

hv_spec() { echo "hv$1:$(hv_dir "$1"):$(agent_pidfile "$1")"; }
hv_specs() {  # --hv arguments for bench.py
    local k
    for ((k = 1; k <= HVS; k++)); do
        printf -- '--hv\n%s\n' "$(hv_spec "$k")"
    done
}
agent_pidfile() {
    if [ "$BE" = roam ]; then
        echo "$(hv_dir "$1")/roam-agent.pid"
    else
        echo "$(hv_dir "$1")/ovn-controller.pid"
    fi
}
agent_name() { if [ "$BE" = roam ]; then echo roam-agent; else echo ovn-controller; fi; }

# Addresses: documentation ranges only.  VM K (1..HVS) of network "warm"
# sits on hv K; "cold" has only c1 on hv1; "scale" has sK on every hv K.
warm_mac() { printf '00:00:5e:00:53:%02x' $((0x10 + $1)); }
warm_ip() { echo "198.51.100.$((10 + $1))"; }
scale_mac() { printf '00:00:5e:00:53:%02x' $((0x60 + $1)); }
scale_ip() { echo "203.0.113.$((100 + $1))"; }
# An address of the scale network, and a MAC, that no port has; and those of
# port psI of the scale network, bound nowhere (a stopped VM's), one for
# each size I of scenario 3 (0-based): a MAC learned while measuring one
# size (for roam-unknown-mac-timeout, 60 s) would make the next size's
# measurement that of a learned MAC.
UNKNOWN_IP=203.0.113.99
UNKNOWN_MAC=00:00:5e:00:53:99
ps_ip() { echo "203.0.113.$((98 - $1))"; }
ps_mac() { printf '00:00:5e:00:53:%02x' $((0x98 - $1)); }
n_sizes() { local s=${SIZES//[!,]/}; echo $((${#s} + 1)); }
COLD_MAC=00:00:5e:00:53:41 COLD_IP=203.0.113.11
PW_MAC=00:00:5e:00:53:21 PW_IP=198.51.100.21        # plugged into warm
PC_MAC=00:00:5e:00:53:42 PC_IP=203.0.113.22          # plugged into cold
MV_MAC=00:00:5e:00:53:30                             # bound to fake chassis
MVV_MAC=00:00:5e:00:53:31                            # moved between hvs
FAKE_SCALE=fake1 FAKE_SCALE_IP=192.0.2.201
FAKE_A=fakeA FAKE_A_IP=192.0.2.202
FAKE_B=fakeB FAKE_B_IP=192.0.2.203

# --------------------------------------------------------------------------
# Backends: besides bench-lib.sh's, each provides port_unbound PORT,
# agent_stop K [kill], agent_start K.

roam_port_unbound() {
    local c
    c=$(tb ctl --bare --columns=chassis list Port "$1") || return 1
    [ -z "$c" ]
}
roam_agent_stop() { tb agent-stop "$1" ${2:+--kill} >/dev/null 2>&1; }
roam_agent_start() { tb agent-start "$1" >/dev/null 2>&1; }
ovn_port_unbound() {
    local c
    c=$(sbctl --bare --columns=chassis find Port_Binding logical_port="$1") || return 1
    [ -z "$c" ]
}
ovn_agent_stop() {  # K [kill]
    if [ -n "${2:-}" ]; then
        local pid
        pid=$(cat "$(hv_dir "$1")/ovn-controller.pid") || return 1
        kill -9 "$pid"
        poll 5 proc_done "$pid" || return 1
        rm -f "$(hv_dir "$1")/ovn-controller.pid"
    else
        # What "ovn-ctl restart_controller" does.
        ovn_controller_ctl "$1" exit --restart >/dev/null
        local pidfile
        pidfile=$(hv_dir "$1")/ovn-controller.pid
        poll 5 eval "! [ -e '$pidfile' ]" || return 1
    fi
}
ovn_agent_start() { ovn_controller_start "$1"; }
# ovn_bind_args: scenario 2's arguments for OVN (sets the caller's db,
# watch_a, match_a, watch_b, match_b, extra).  A port bound elsewhere gets a
# flow "reg15=PORT_KEY,metadata=DATAPATH_KEY ... output:TUNNEL" (table 39 in
# OVN 23.03).
ovn_bind_args() {
    local dk pk
    dk=$(sbctl --bare --columns=tunnel_key find Datapath_Binding external_ids:name=warm)
    db=unix:$(ovn_dir)/sb.sock
    pk=$(sbctl --bare --columns=tunnel_key find Port_Binding logical_port=mv)
    watch_a=$(printf 'watch:!initial,reg15=0x%x,metadata=0x%x' "$pk" "$dk")
    match_a=$(printf 'reg15=0x%x,metadata=0x%x[ ,]' "$pk" "$dk")
    pk=$(sbctl --bare --columns=tunnel_key find Port_Binding logical_port=mvv)
    watch_b=$(printf 'watch:!initial,reg15=0x%x,metadata=0x%x' "$pk" "$dk")
    match_b=$(printf 'reg15=0x%x,metadata=0x%x[ ,]' "$pk" "$dk")
    extra=(--dbname OVN_Southbound --table Port_Binding --key-column logical_port
           --tunnel-fmt "ovn-%s-0")
}

ovn_scale() {
    bench_long scale --backend ovn --db "unix:$(ovn_dir)/nb.sock" --sb "unix:$(ovn_dir)/sb.sock" \
        --network scale --fake "$FAKE_SCALE" "${hvargs[@]}" --sizes "$SIZES" \
        --runs "$SCALE_RUNS" --runs-big "$OVN_BIG_RUNS" --timeout "$OVN_TIMEOUT" \
        --idle "$IDLE" "${unknown[@]}" --results "$RESULTS" || die "scenario 3 failed"
}

# --------------------------------------------------------------------------
# The common set-up: networks, VMs, ports, fake chassis.
#
#   warm  (key 101): wK on hv K (every hv); ports pw (scenario 1, plugged on
#                    hv2), mv (scenario 2a), mvv (scenario 2b)
#   cold  (key 102): c1 on hv1 only; port pc (scenario 1, plugged on hv2)
#   scale (key 103): sK on hv K (every hv); ports ps0, ps1... (one per size
#                    of scenario 3), bound nowhere;
#                    scenario 3 adds its ports here
#   fake chassis: fakeA, fakeB (2a), fake1 (3)

bench_setup() {
    local k t port i
    t=$(now_us)
    be net_add warm 101 >/dev/null || die "net warm"
    be net_add cold 102 >/dev/null || die "net cold"
    be net_add scale 103 >/dev/null || die "net scale"
    for ((k = 1; k <= HVS; k++)); do
        vm_add "w$k" "$k" warm "$(warm_mac "$k")" "$(warm_ip "$k")"
        vm_add "s$k" "$k" scale "$(scale_mac "$k")" "$(scale_ip "$k")"
    done
    vm_add c1 1 cold "$COLD_MAC" "$COLD_IP"
    be port_add warm pw "$PW_MAC" "$PW_IP/24" >/dev/null || die "port pw"
    be port_add cold pc "$PC_MAC" "$PC_IP/24" >/dev/null || die "port pc"
    be port_add warm mv "$MV_MAC" 198.51.100.30/24 >/dev/null || die "port mv"
    be port_add warm mvv "$MVV_MAC" 198.51.100.31/24 >/dev/null || die "port mvv"
    for ((i = 0; i < $(n_sizes); i++)); do
        be port_add scale "ps$i" "$(ps_mac "$i")" "$(ps_ip "$i")/24" >/dev/null \
            || die "port ps$i"
    done
    be fake_chassis "$FAKE_A" "$FAKE_A_IP" || die "fake chassis"
    be fake_chassis "$FAKE_B" "$FAKE_B_IP" || die "fake chassis"
    be fake_chassis "$FAKE_SCALE" "$FAKE_SCALE_IP" || die "fake chassis"
    for port in c1 $(seq -f 'w%g' 1 "$HVS") $(seq -f 's%g' 1 "$HVS"); do
        poll 20 be port_up "$port" || die "port $port did not come up"
    done
    say "networks warm, cold, scale; $((2 * HVS + 1)) VMs up ($(since "$t"))"
    # Warm every tunnel: vswitchd drops the first packets to a new peer
    # while it resolves it.
    t=$(now_us)
    local i j
    for ((i = 1; i <= HVS; i++)); do
        for ((j = 1; j <= HVS; j++)); do
            [ $i = $j ] && continue
            poll 20 ping_ok "w$i" "$(warm_ip "$j")" || die "w$i cannot ping w$j"
        done
    done
    poll 20 ping_ok w2 "$(warm_ip 1)" || die "w2 cannot ping w1"
    # Static neighbours for the streams of scenario 4.
    static_neigh w1 "$(warm_ip 2)" "$(warm_mac 2)"
    static_neigh w2 "$(warm_ip 1)" "$(warm_mac 1)"
    say "tunnels warm: every hv pair pinged ($(since "$t"))"
    # The two ends of scenario 2b's VIF on hv2 and hv3 (only its flows
    # matter: no traffic).
    for k in 2 3; do
        ip -n "$(hv_ns $k)" link add mvvif type veth peer name mvvif-p \
            && ip -n "$(hv_ns $k)" link set mvvif up \
            && ip -n "$(hv_ns $k)" link set mvvif-p up || die "hv$k: mvvif"
    done
}

# --------------------------------------------------------------------------
# Scenario 1: VIF plug -> first forwarded packet across hypervisors.

# plug_run VARIANT METHOD RUN: plugs a new VM's VIF into hv2's br-int with
# METHOD ("db": a pre-connected OVSDB client; "vsctl": ovs-vsctl add-port)
# and prints, in ms, "FIRST_PACKET ROW OFPORT AGENT": plug -> the peer's
# first datagram, plug -> Interface row committed, row -> port added,
# port added -> the VIF's first flow; "-" for what was not seen, "FAIL" if the
# run could not be made.
plug_run() {
    local variant=$1 method=$2 run=$3 port mac ip peer peer_ip
    if [ "$variant" = cold ]; then
        port=pc mac=$PC_MAC ip=$PC_IP peer=c1 peer_ip=$COLD_IP
    else
        port=pw mac=$PW_MAC ip=$PW_IP peer=w1 peer_ip=$(warm_ip 1)
    fi
    local k=2 ns iface=vm-plug hns token=$variant$method$run label="run $run" tool
    [ "$run" = 0 ] && label=warm-up
    tool=$(plug_tool "$method")
    ns=$(vm_ns plug)
    hns=$(hv_ns $k)
    extra_ns+=("$ns")
    ip netns add "$ns" && ip -n "$ns" link set lo up \
        && ip link add name eth0 netns "$ns" address "$mac" type veth \
               peer name "$iface" netns "$hns" \
        || { echo "plug: creating the VM failed" >&2; echo FAIL; return 1; }
    ip netns exec "$hns" sysctl -qw "net.ipv6.conf.$iface.disable_ipv6=1"
    ip netns exec "$ns" sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
    ip netns exec "$ns" ethtool -K eth0 tx off >/dev/null 2>&1
    ip netns exec "$hns" ethtool -K "$iface" tx off >/dev/null 2>&1
    ip -n "$ns" addr add "$ip/24" dev eth0
    ip -n "$ns" link set eth0 up
    ip -n "$hns" link set "$iface" up
    ip -n "$ns" neigh replace "$peer_ip" lladdr "$(tb_vm_mac "$peer")" dev eth0 nud permanent

    # The pre-connected client: connected and ready before anything else
    # starts, it plugs on SIGUSR1.  It and the interface watch run at
    # real-time priority: on a loaded machine a normal process may read a
    # reply or an update late (the insertion together with the ofport that
    # follows it), which would shift time from one step to the next.  Both
    # only wait for a few messages while the plug is timed.
    local pready=$BENCH_DIR/plug.pready pout=$BENCH_DIR/plug.pout perr=$BENCH_DIR/plug.perr
    local ppid=''
    rm -f "$pready" "$pout" "$perr"
    if [ "$method" = db ]; then
        bg chrt -f 10 python3 "$BENCH_PY" plug-db "$(hv_dir "$k")" "$iface" "$port" "$pready" 30 \
            > "$pout" 2> "$perr"
        ppid=$BG_PID
        poll 5 test -f "$pready" \
            || { indent < "$perr" >&2; echo "plug: the OVSDB client did not start" >&2
                 echo FAIL; return 1; }
    fi
    local ready=$BENCH_DIR/plug.ready out=$BENCH_DIR/plug.out rpid spid
    local iready=$BENCH_DIR/plug.iready iout=$BENCH_DIR/plug.iout ipid
    rm -f "$ready" "$out" "$iready" "$iout"
    bg ip netns exec "$(vm_ns "$peer")" python3 "$BENCH_PY" udp-recv "$peer_ip" 9000 \
        "$ready" 10 "$token" > "$out"
    rpid=$BG_PID
    bg chrt -f 10 python3 "$BENCH_PY" iface-watch "$(hv_dir $k)" "$iface" "$iready" 10 \
        > "$iout"
    ipid=$BG_PID
    poll 5 test -f "$ready" || { echo "plug: the receiver did not start" >&2; echo FAIL; return 1; }
    poll 5 test -f "$iready" || { echo "plug: the interface watch did not start" >&2; echo FAIL; return 1; }
    local sready=$BENCH_DIR/plug.sready
    rm -f "$sready"
    bg ip netns exec "$ns" python3 "$BENCH_PY" udp-send "$peer_ip" 9000 0.001 15 "$token" "$sready"
    spid=$BG_PID
    poll 5 test -f "$sready" || { echo "plug: the sender did not start" >&2; echo FAIL; return 1; }
    sleep 0.05
    # t0 and t_ret: the plug sent and the tool's return (vswitchd applied
    # the change: cur_cfg caught up); t_row: the Interface row committed.
    local t0 t_row t_ret
    if [ "$method" = db ]; then
        kill -USR1 "$ppid"
    else
        t0=$EPOCHREALTIME
        hv_vsctl $k add-port br-int "$iface" -- set Interface "$iface" \
            external_ids:iface-id="$port" >/dev/null
        t_ret=$EPOCHREALTIME
    fi
    reap "$rpid"
    stop_bg "$spid"
    poll 5 plug_output "$iout" "$ipid"
    stop_bg "$ipid"
    local arrival seq sent t_ins t_of t_fl
    read -r arrival seq sent < "$out"
    read -r t_ins t_of t_fl < "$iout"
    if [ "$method" = db ]; then
        poll 5 plug_output "$pout" "$ppid"
        stop_bg "$ppid"
        read -r t0 t_row t_ret < "$pout"
        if [ -z "$t_row" ]; then
            indent < "$perr" >&2
            echo "plug: the OVSDB client failed" >&2
            echo FAIL
            return 1
        fi
    else
        t_row=$t_ins
    fi
    local value=- row_ms=- of_ms=- agent_ms=-
    if [ "$arrival" != timeout ] && [ -n "$arrival" ]; then
        value=$(ms_between "$t0" "$arrival")
        plug_seen "$t_row" && row_ms=$(ms_between "$t0" "$t_row")
        plug_seen "$t_row" && plug_seen "$t_of" && of_ms=$(ms_between "$t_row" "$t_of")
        plug_seen "$t_of" && plug_seen "$t_fl" && agent_ms=$(ms_between "$t_of" "$t_fl")
        printf '    %s (%s, %s): first packet after %.1f ms (Interface row committed after %s ms, port added after %s ms, its flows on hv%d after %s ms, %s returned after %s ms; datagram #%d, sent after %.1f ms)\n' \
            "$label" "$variant" "$tool" "$value" "$(plug_ms "$t0" "$t_row")" \
            "$(plug_ms "$t0" "$t_of")" "$k" "$(plug_ms "$t0" "$t_fl")" \
            "$([ "$method" = db ] && echo "the client" || echo add-port)" \
            "$(plug_ms "$t0" "$t_ret")" "$seq" "$(ms_between "$t0" "$sent")" >&2
    else
        printf '    %s (%s, %s): no packet within 10 s\n' "$label" "$variant" "$tool" >&2
    fi
    # Unplug; wait for the release, so that the next run claims afresh.
    hv_vsctl $k --if-exists del-port "$iface" >/dev/null
    ip netns del "$ns"
    poll 10 be port_unbound "$port" || echo "    warning: $port still bound 10 s after the unplug" >&2
    sleep 0.2
    echo "$value $row_ms $of_ms $agent_ms"
}
# plug_output FILE PID: the helper PID has printed its line to FILE, or
# has exited.
plug_output() { test -s "$1" || proc_done "$2"; }
plug_tool() { if [ "$1" = db ]; then echo "pre-connected client"; else echo ovs-vsctl; fi; }
# plug_seen T: T is a time (not "timeout" nor empty).
plug_seen() { [ -n "$1" ] && [ "$1" != timeout ]; }
# plug_ms T0 T: T - T0 in ms with one decimal, or "?".
plug_ms() { if plug_seen "$2"; then printf '%.1f' "$(ms_between "$1" "$2")"; else echo '?'; fi; }
tb_vm_mac() {
    case $1 in
        c1) echo "$COLD_MAC" ;;
        w*) warm_mac "${1#w}" ;;
    esac
}

scenario_plug() {
    local variant run method key v vrow vof vag
    heading "$BE 1: VIF plug -> first forwarded packet (hv2 -> hv1, 1 ms UDP stream;" \
        "plugged by a pre-connected OVSDB client and by ovs-vsctl)"
    for variant in cold warm; do
        for ((run = 0; run <= RUNS; run++)); do
            for method in db vsctl; do
                key=plug.$method.$variant
                v='' vrow='' vof='' vag=''
                read -r v vrow vof vag < <(plug_run "$variant" "$method" "$run")
                [ -z "$v" ] || [ "$v" = FAIL ] && die "scenario 1 could not run"
                if [ "$v" = - ]; then
                    result "$key.timeouts" 1
                elif [ "$run" -gt 0 ]; then
                    result "$key" "$v"
                    [ "$vrow" != - ] && result "$key.row" "$vrow"
                    [ "$vof" != - ] && result "$key.ofport" "$vof"
                    [ "$vag" != - ] && result "$key.agent" "$vag"
                fi
            done
        done
    done
}

# --------------------------------------------------------------------------
# Scenario 2: binding change -> flows in place on every other hypervisor.

scenario_bind() {
    local watch_a match_a watch_b match_b db extra=()
    heading "$BE 2a: binding written in the central DB (fakeA <-> fakeB) -> flows on all $HVS hvs"
    if [ "$BE" = roam ]; then
        db=$(roam_db)
        watch_a="watch:table=20,!initial,dl_dst=$MV_MAC" match_a="dl_dst=$MV_MAC"
        watch_b="watch:table=20,!initial,dl_dst=$MVV_MAC" match_b="dl_dst=$MVV_MAC"
        extra=(--tunnel-fmt "roam-%s")
    else
        ovn_bind_args
    fi
    mapfile -t hvargs < <(hv_specs)
    bench_long bind-change --db "$db" "${extra[@]}" --key mv --targets "$FAKE_A,$FAKE_B" \
        --watch "$watch_a" --match "$match_a" "${hvargs[@]}" --runs "$RUNS" \
        --results "$RESULTS" --key-prefix bind.db || die "scenario 2a failed"
    heading "$BE 2b: VIF moved between hv2 and hv3 (unplug, plug) -> flows on the other hvs"
    bench_long bind-change --move --iface mvvif --db "$db" "${extra[@]}" --key mvv \
        --targets hv2,hv3 --watch "$watch_b" --match "$match_b" "${hvargs[@]}" \
        --runs "$RUNS" --results "$RESULTS" --key-prefix bind.move \
        || die "scenario 2b failed"
}

# --------------------------------------------------------------------------
# Scenario 3: scale.

scenario_scale() {
    heading "$BE 3: remote ports bound to a fake chassis in one transaction (sizes $SIZES)"
    mapfile -t hvargs < <(hv_specs)
    # For the agent CPU under unicast to a MAC that no port has, and to the
    # MAC of a port bound nowhere (Roam's hv1 floods both to every hv of the
    # network; OVN drops them on hv1).
    static_neigh s1 "$UNKNOWN_IP" "$UNKNOWN_MAC"
    local i unbound=
    for ((i = 0; i < $(n_sizes); i++)); do
        static_neigh s1 "$(ps_ip "$i")" "$(ps_mac "$i")"
        unbound=$unbound${unbound:+,}$(ps_ip "$i")
    done
    unknown=(--unknown-from "$(vm_ns s1)" --unknown-to "$UNKNOWN_IP"
             --unbound-to "$unbound" --stream "$STREAM")
    if [ "$BE" = roam ]; then
        bench_long scale --backend roam --db "$(roam_db)" --network scale \
            --fake "$FAKE_SCALE" "${hvargs[@]}" --sizes "$SIZES" --runs "$SCALE_RUNS" \
            --idle "$IDLE" "${unknown[@]}" --results "$RESULTS" || die "scenario 3 failed"
    else
        ovn_scale
    fi
}

# --------------------------------------------------------------------------
# Scenario 4: restarts under a 1 ms ping stream from w1 (hv1) to w2 (hv2).

scenario_restart() {
    local run k how f pid sent recv lost gap
    heading "$BE 4a: $(agent_name) restart, 1 ms ping stream w1 (hv1) -> w2 (hv2)"
    for ((run = 1; run <= RUNS; run++)); do
        k=$(((run - 1) % 2 + 1))
        how=
        (((run - 1) / 2 % 2 == 1)) && how="kill"
        f=$BENCH_DIR/$BE-agent-restart-$run.ping
        bg tb vm w1 ping -D -i 0.001 -c 3000 -W 1 "$(warm_ip 2)" > "$f" 2>&1
        pid=$BG_PID
        sleep 1
        be agent_stop "$k" $how || die "stopping hv$k's agent"
        sleep 0.2
        be agent_start "$k" || die "starting hv$k's agent"
        reap "$pid"
        read -r sent recv lost gap _ < <(bench ping-stats "$f")
        printf '    run %d: hv%d %s, %s: %d sent, %d received, %d lost; longest gap %.1f ms\n' \
            "$run" "$k" "$(agent_name)" "${how:-SIGTERM/exit}" "$sent" "$recv" "$lost" "$gap"
        if [ "$sent" -lt 2000 ]; then
            say "warning: the stream sent only $sent packets: run not counted"
            continue
        fi
        result agent.lost "$lost"
        result agent.gap "$gap"
        poll 20 be synced "$k" || say "warning: hv$k's agent not synced 20 s after its restart"
    done

    heading "$BE 4b: ovs-vswitchd restart, 1 ms ping stream w1 (hv1) -> w2 (hv2)"
    local mon mpid t_r0 t_r1 t_phy t_start vpid back back_start
    for ((run = 1; run <= RUNS; run++)); do
        k=$(((run - 1) % 2 + 1))
        f=$BENCH_DIR/$BE-ovs-restart-$run.ping
        mon=$BENCH_DIR/$BE-ovs-restart-$run.addr
        bg python3 "$BENCH_PY" stamp ip -n "$(hv_ns "$k")" monitor address > "$mon"
        mpid=$BG_PID
        bg tb vm w1 ping -D -i 0.001 -c 6000 -W 1 "$(warm_ip 2)" > "$f" 2>&1
        pid=$BG_PID
        sleep 1
        t_r0=$EPOCHREALTIME
        tb ovs-restart "$k" > "$BENCH_DIR/$BE-ovs-restart-$run.log" 2>&1 \
            || { indent < "$BENCH_DIR/$BE-ovs-restart-$run.log"; die "hv$k: ovs-restart failed"; }
        t_r1=$EPOCHREALTIME
        vpid=$(cat "$(hv_dir "$k")/ovs-vswitchd.pid")
        t_start=$(bench proc-start "$vpid")
        reap "$pid"
        stop_bg "$mpid"
        t_phy=$(awk -v ip="$(hv_ip "$k")/24" \
                    '$0 ~ ip && $0 ~ /br-phy/ && $0 !~ /Deleted/ { t = $1 } END { print t }' "$mon")
        [ -n "$t_phy" ] || t_phy=$t_r1
        read -r sent recv lost gap _ _ back < <(bench ping-stats "$f" "$t_phy")
        read -r _ _ _ _ _ _ back_start < <(bench ping-stats "$f" "$t_start")
        printf '    run %d: hv%d: %d sent, %d received, %d lost; longest gap %.1f ms; back %.1f ms after br-phy got its address (%.1f ms after the new vswitchd started; ovs-restart took %.0f ms)\n' \
            "$run" "$k" "$sent" "$recv" "$lost" "$gap" "$back" "$back_start" \
            "$(ms_between "$t_r0" "$t_r1")"
        result ovs.gap "$gap"
        result ovs.lost "$lost"
        if [ "${back%.*}" -ge 0 ] 2>/dev/null; then
            result ovs.back "$back"
            result ovs.back_start "$back_start"
        else
            result ovs.timeouts 1
        fi
        poll 20 be synced "$k" || say "warning: hv$k's agent not synced 20 s after the restart"
    done
}

# --------------------------------------------------------------------------
# One backend's scenarios.

bench_scenarios() {
    local s
    # Scenario 3 goes last: at 5,000 ports it leaves OVN busy for minutes.
    for s in $(tr ' ' '\n' <<< "$SCENARIOS" | sed '/^$/d' | sort -u | sed 's/^3$/9/' \
               | sort | sed 's/^9$/3/'); do
        case $s in
            1) scenario_plug ;;
            2) scenario_bind ;;
            3) scenario_scale ;;
            4) scenario_restart ;;
        esac
    done
}

# --------------------------------------------------------------------------
# The measuring half, in Python 3.

write_bench_py() {
    {
        cat <<'BENCH_PY'
#!/usr/bin/env python3
# The measuring half of bench-datapath.sh (which writes this file and runs
# it).  Subcommands:
#   udp-recv ADDR PORT READY TIMEOUT TOKEN  first datagram's arrival -> stdout
#   udp-send DST PORT INTERVAL DURATION TOKEN [READY]
#                                           timestamped datagrams
#   iface-watch RUNDIR IFACE READY TIMEOUT  when IFACE's Interface row was
#                                           inserted, was added to br-int,
#                                           and its first table 0 flow
#                                           appeared
#   plug-db RUNDIR IFACE PORT READY TIMEOUT plugs IFACE on SIGUSR1, as a
#                                           pre-connected OVSDB client
#   stamp CMD...                            CMD's output lines, time-stamped
#   proc-start PID                          a process's start time
#   ping-stats FILE [T_UP]                  analysis of a "ping -D" stream
#   bind-change ...                         scenario 2 (see bind_change())
#   scale ...                               scenario 3 (see scale())
#   stats V...                              "min / median / max" of V...
#   summary RESULTS [OVN_RESULTS]           the final table
BENCH_PY
        bench_py_common
        cat <<'BENCH_PY'


def uuid_of(v):
    """An OVSDB datum holding 0 or 1 uuid -> that uuid or None."""
    if isinstance(v, list) and v and v[0] == "uuid":
        return v[1]
    if isinstance(v, list) and v and v[0] == "set" and v[1]:
        return v[1][0][1]
    return None


class IfaceWatch:
    """Watches a hypervisor's Open vSwitch database for interface IFACE: the
    moment its Interface row is inserted (t_insert: the plugging tool's
    commit, as ovsdb-server reports it), and the moment it gets an OpenFlow
    port number in the database (t_ofport: vswitchd has added it; its
    OpenFlow port status message, which the agent learns it from, may come
    earlier).  When ovsdb-server reports both in one update, as it
    may on a busy machine, they are the same."""

    def __init__(self, rundir, iface):
        self.iface = iface
        self.t_insert = None
        self.t_ofport = None
        self.cv = threading.Condition()
        self.db = Ovsdb("unix:%s/db.sock" % rundir)
        self.rows = {}

        def cb(updates, t):
            with self.cv:
                for _, row, inserted in apply_updates(self.rows, updates,
                                                      "Interface"):
                    if row.get("name") != self.iface:
                        continue
                    if inserted and self.t_insert is None:
                        self.t_insert = t
                    of = row.get("ofport")
                    if isinstance(of, int) and of > 0 and self.t_ofport is None:
                        self.t_ofport = t
                self.cv.notify_all()
        self.db.monitor("Open_vSwitch", ["ifw"], {"Interface": {
            "columns": ["name", "ofport"]}}, cb)

    def reset(self):
        with self.cv:
            self.t_insert = None
            self.t_ofport = None

    def wait(self, timeout):
        deadline = now() + timeout
        with self.cv:
            while self.t_ofport is None and now() < deadline:
                self.cv.wait(0.1)
            return self.t_ofport


def iface_watch(a):
    """Prints "T_INSERT T_PORT T_FLOW": when IFACE's Interface row was
    inserted, when vswitchd had added it to the bridge (the earlier of its
    OpenFlow port status message and its ofport in the database) and when
    the first table 0 flow for that in_port appeared (the agent's flows for
    the VIF); "timeout" for what did not happen within TIMEOUT s.  Writes
    READY once both monitors are in place (IFACE must not exist yet), and
    waits for SIGTERM after printing."""
    w = IfaceWatch(a.rundir, a.iface)
    mon = FlowMon("hv", a.rundir, ["65535", "watch:!initial,table=0"])
    t_start = now()
    open(a.ready, "w").close()
    t = w.wait(a.timeout)
    t_flow = None
    if t is not None:
        ofport = int(w.db.select("Open_vSwitch", "Interface",
                                 [["name", "==", a.iface]], ["ofport"])[0]["ofport"])
        t_status, _ = mon.port_added(t_start, a.iface)
        if t_status is not None:
            t = min(t, t_status)
        rx = re.compile(r"in_port=%d\b" % ofport)
        deadline = t_start + a.timeout
        while t_flow is None and now() < deadline:
            for te, line in flow_events(mon.since(t_start)):
                if rx.search(line) and "DELETED" not in line:
                    t_flow = te
                    break
            else:
                time.sleep(0.001)
    mon.stop()
    print(" ".join("timeout" if x is None else "%.6f" % x
                   for x in (w.t_insert, t, t_flow)), flush=True)
    # The first packet may still be on its way: no exit (the interpreter's
    # teardown takes 10-20 ms of CPU, at real-time priority) until SIGTERM.
    while True:
        signal.pause()


def plug_db(a):
    """Plugs IFACE into br-int the way an orchestrator with a persistent
    OVSDB connection does (OpenStack's os-vif with its native interface,
    through ovsdbapp): connected to the hypervisor's database, with br-int's
    uuid looked up and the Open_vSwitch row's cur_cfg monitored, it writes
    READY and waits for SIGUSR1; then it sends one transaction that does
    what "ovs-vsctl add-port br-int IFACE -- set Interface IFACE
    external_ids:iface-id=PORT" does, next_cfg increment included (as
    ovs-vsctl and ovsdbapp do, to wait for vswitchd).  Prints "T0 T_COMMIT
    T_APPLIED": when it sent the transaction, when the reply arrived, and
    when vswitchd had applied it (cur_cfg caught up with next_cfg: where
    ovs-vsctl and ovsdbapp return), "timeout" for the last if not within
    TIMEOUT s.  Then it stays connected, as an orchestrator does, until
    SIGTERM."""
    # Blocked before the client's reader thread starts, which inherits the
    # mask: SIGUSR1 is then only ever taken by sigtimedwait().
    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    db = Ovsdb("unix:%s/db.sock" % a.rundir)
    bridge = db.uuid("Open_vSwitch", "Bridge", "br-int")
    cfg = []                # (time, cur_cfg) of every update
    cv = threading.Condition()
    rows = {}

    def cb(updates, t):
        with cv:
            for _, row, _ in apply_updates(rows, updates, "Open_vSwitch"):
                cfg.append((t, row.get("cur_cfg", 0)))
            cv.notify_all()
    db.monitor("Open_vSwitch", ["plug-db"],
               {"Open_vSwitch": {"columns": ["cur_cfg"]}}, cb)
    ops = [
        {"op": "insert", "table": "Interface", "uuid-name": "iface", "row": {
            "name": a.iface,
            "external_ids": ["map", [["iface-id", a.port]]]}},
        {"op": "insert", "table": "Port", "uuid-name": "port", "row": {
            "name": a.iface, "interfaces": ["named-uuid", "iface"]}},
        {"op": "mutate", "table": "Bridge",
         "where": [["_uuid", "==", ["uuid", bridge]]],
         "mutations": [["ports", "insert", ["set", [["named-uuid", "port"]]]]]},
        {"op": "mutate", "table": "Open_vSwitch", "where": [],
         "mutations": [["next_cfg", "+=", 1]]},
        {"op": "select", "table": "Open_vSwitch", "where": [],
         "columns": ["next_cfg"]}]
    open(a.ready, "w").close()
    if signal.sigtimedwait({signal.SIGUSR1}, a.timeout) is None:
        raise SystemExit("bench.py: plug-db: no SIGUSR1 within %.0f s" % a.timeout)
    t0 = now()
    t_commit, r = db.transact("Open_vSwitch", ops)
    if r[2].get("count") != 1:
        raise SystemExit("bench.py: plug-db: br-int is gone")
    target = r[-1]["rows"][0]["next_cfg"]
    deadline = t0 + a.timeout
    t_applied = None
    with cv:
        while t_applied is None and now() < deadline:
            t_applied = next((t for t, c in cfg if c >= target), None)
            if t_applied is None:
                cv.wait(0.1)
    print("%.6f %.6f %s" % (t0, t_commit, "timeout" if t_applied is None
                            else "%.6f" % t_applied), flush=True)
    while True:
        signal.pause()


def flow_events(lines):
    """Monitor lines that are flow changes (not headers)."""
    return [(t, l) for t, l in lines if "event=" in l]


def ofctl(rundir, *args, bridge="br-int"):
    env = dict(os.environ, OVS_RUNDIR=rundir)
    return subprocess.run(["ovs-ofctl"] + list(args[:1]) + [bridge] + list(args[1:]),
                          env=env, capture_output=True, text=True, check=True).stdout


def flow_count(rundir):
    out = ofctl(rundir, "dump-aggregate")
    m = re.search(r"flow_count=(\d+)", out)
    return int(m.group(1)) if m else -1


def vsctl(rundir, *args):
    env = dict(os.environ, OVS_RUNDIR=rundir)
    return subprocess.run(["ovs-vsctl", "--db=unix:%s/db.sock" % rundir,
                           "--timeout=30"] + list(args),
                          env=env, capture_output=True, text=True,
                          check=True).stdout.strip()


def pid_of(pidfile):
    with open(pidfile) as f:
        return int(f.read().strip())


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def cpu_ms(pid):
    """CPU time used by PID so far, in ms: from /proc/PID/schedstat (ns)
    when the kernel has it, else utime + stime (clock ticks)."""
    try:
        with open("/proc/%d/schedstat" % pid) as f:
            return int(f.read().split()[0]) / 1e6
    except (OSError, ValueError, IndexError):
        with open("/proc/%d/stat" % pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) * 1000.0 / os.sysconf("SC_CLK_TCK")


# ---------------------------------------------------------------------------
# Hypervisors as given on the command line: NAME:RUNDIR:PIDFILE (the agent's,
# or ovn-controller's, pidfile).

class Hv:
    def __init__(self, spec):
        self.name, self.rundir, self.pidfile = spec.split(":")

    def agent_pid(self):
        return pid_of(self.pidfile)


# ---------------------------------------------------------------------------
# Results: "KEY VALUE" lines appended to a file that the summary reads
# (read_results).

class Results:
    def __init__(self, path):
        self.path = path

    def add(self, key, value):
        with open(self.path, "a") as f:
            f.write("%s %s\n" % (key, value))


# ---------------------------------------------------------------------------
# Scenario 2: a binding change written to the central database, timed until
# every hypervisor's flow for the port leads to the new chassis.

def wait_flows(mons, want, match, t0, timeout):
    """Waits until, on each hypervisor NAME of 'want', a flow change after t0
    matches 'match' and contains want[NAME]; returns {NAME: time}."""
    got = {}
    deadline = t0 + timeout
    while len(got) < len(want) and now() < deadline:
        for h, w in want.items():
            if h in got:
                continue
            for t, line in flow_events(mons[h].since(t0)):
                if match.search(line) and w in line and "DELETED" not in line:
                    got[h] = t
                    break
        time.sleep(0.001)
    return got


def bind_change(a):
    """Binding changes: with --move, the VIF (interface --iface, the same
    name on each hypervisor) is unplugged from one target hypervisor and
    plugged into the other, timed from the plug; otherwise the binding
    column is written directly, alternating between the target chassis
    (fake chassis: no agent runs for them).  Timed until every other
    hypervisor has the flow to the new chassis."""
    a.encap_ip = dict(x.split("=", 1) for x in a.encap_ip)
    hvs = [Hv(s) for s in a.hv]
    by_name = {hv.name: hv for hv in hvs}
    db = Ovsdb(a.db)
    res = Results(a.results)
    rows = db.select(a.dbname, a.chassis_table, [], ["_uuid", "name"])
    chassis_uuid = {r["name"]: r["_uuid"][1] for r in rows}
    targets = a.targets.split(",")
    for c in targets:
        if c not in chassis_uuid:
            raise SystemExit("bench.py: no chassis %s" % c)
    ofport = {}
    for hv in hvs:
        for c in targets:
            if hv.name != c:
                ofport[hv.name, c] = tunnel_ofport(hv, a, c)
    mons = {hv.name: FlowMon(hv.name, hv.rundir, a.watch) for hv in hvs}
    match = re.compile(a.match)
    where = [[a.key_column, "==", a.key]]

    def bound_to():
        r = db.select(a.dbname, a.table, where, [a.column])
        return uuid_of(r[0][a.column]) if r else None

    ifw = {}
    pmon = {}
    try:
        if a.move:
            for hv in hvs:
                vsctl(hv.rundir, "--if-exists", "del-port", a.iface)
            for c in targets:
                ifw[c] = IfaceWatch(by_name[c].rundir, a.iface)
                pmon[c] = FlowMon(c, by_name[c].rundir,
                                  ["65535", "watch:!initial,table=0"])
        for run in range(a.runs + 1):  # run 0 is a warm-up, not counted
            target = targets[run % len(targets)]
            others = [hv for hv in hvs if hv.name != target]
            want = {hv.name: "output:%d" % ofport[hv.name, target] for hv in others}
            extra = ""
            if a.move:
                prev = targets[(run + 1) % len(targets)]
                if run > 0:
                    vsctl(by_name[prev].rundir, "del-port", a.iface)
                deadline = now() + a.timeout
                while bound_to() is not None:
                    if now() > deadline:
                        raise SystemExit("bench.py: %s still bound after the unplug"
                                         % a.key)
                    time.sleep(0.002)
                time.sleep(a.pause)
                ifw[target].reset()
                t0 = now()
                vsctl(by_name[target].rundir, "add-port", "br-int", a.iface, "--",
                      "set", "Interface", a.iface,
                      "external_ids:iface-id=%s" % a.key)
                extra = "add-port returned after %.1f ms" % ms(now() - t0)
            else:
                t0 = now()
                tc, _ = db.transact(a.dbname, [{
                    "op": "update", "table": a.table, "where": where,
                    "row": {a.column: ["uuid", chassis_uuid[target]]}}])
                extra = "commit %.1f ms" % ms(tc - t0)
            got = wait_flows(mons, want, match, t0, a.timeout)
            if len(got) < len(want):
                missing = [h for h in want if h not in got]
                log("    run %d: TIMEOUT after %.0f s waiting for %s (want %s)"
                    % (run, a.timeout, " ".join(missing), want))
                for h in missing:
                    log("      %s monitor: %s" % (h, mons[h].text()))
                res.add(a.key_prefix + ".timeouts", 1)
                continue
            per = " ".join("%s %.1f" % (h, ms(got[h] - t0)) for h in sorted(got))
            last = ms(max(got.values()) - t0)
            t_of = ifw[target].wait(1) if a.move else None
            if t_of is not None:
                # Added to the bridge: the earlier of its port status
                # message and its ofport in the database.
                t_status, _ = pmon[target].port_added(t0, a.iface)
                if t_status is not None:
                    t_of = min(t_of, t_status)
                extra += ", port added after %.1f ms" % ms(t_of - t0)
                if run > 0:
                    res.add(a.key_prefix + ".ofport", "%.3f" % ms(max(got.values()) - t_of))
            log("    %s: -> %s: last hv %.1f ms (%s; %s)"
                % ("warm-up" if run == 0 else "run %d" % run, target, last, per, extra))
            if run > 0:
                res.add(a.key_prefix, "%.3f" % last)
            if not a.move:
                time.sleep(a.pause)
    finally:
        for m in list(mons.values()) + list(pmon.values()):
            m.stop()
        if a.move:
            for hv in hvs:
                try:
                    vsctl(hv.rundir, "--if-exists", "del-port", a.iface)
                except subprocess.CalledProcessError:
                    pass


def tunnel_ofport(hv, a, chassis):
    """The ofport of the tunnel to 'chassis' on 'hv': the Interface named
    a.tunnel_fmt % chassis, or (OVN) the one whose remote_ip is the
    chassis's encap address."""
    deadline = now() + 10
    while True:
        if a.tunnel_by == "name":
            name = a.tunnel_fmt % chassis
        else:
            ip = a.encap_ip[chassis]
            out = vsctl(hv.rundir, "--bare", "--columns=name", "find",
                        "Interface", "options:remote_ip=%s" % ip)
            name = out.split("\n")[0].strip() if out else ""
        if name:
            try:
                p = int(vsctl(hv.rundir, "get", "Interface", name, "ofport"))
                if p > 0:
                    return p
            except (subprocess.CalledProcessError, ValueError):
                pass
        if now() > deadline:
            raise SystemExit("bench.py: %s: no tunnel to %s" % (hv.name, chassis))
        time.sleep(0.1)


# ---------------------------------------------------------------------------
# Scenario 3: N remote ports bound to a fake chassis in one transaction.
#
# Roam: one transaction on the central database inserts N Port rows with
# chassis set (and increments Global nb_cfg).  OVN: one transaction on the
# northbound database inserts N Logical_Switch_Ports (and increments
# NB_Global nb_cfg); as soon as ovn-northd has created their Port_Bindings,
# one southbound transaction sets their chassis to the fake chassis, as the
# fake chassis's ovn-controller would.  Converged = the last flow change on
# any hypervisor (flow monitors); the agents' nb_cfg acknowledgement is the
# end condition, after which the flows must stay quiet for a moment.

class NbCfgWatch:
    """Watches nb_cfg of the given chassis in TABLE (Chassis_Private)."""

    def __init__(self, db, dbname, table, names):
        self.names = set(names)
        self.cfg = {}
        self.ack_time = {}
        self.cv = threading.Condition()
        self.rows = {}

        def cb(updates, t):
            with self.cv:
                for _, row, _ in apply_updates(self.rows, updates, table):
                    name = row.get("name")
                    if name in self.names:
                        self.cfg[name] = row.get("nb_cfg", 0)
                        self.ack_time[name] = t
                self.cv.notify_all()
        db.monitor(dbname, ["nbcfg", table], {table: {"columns": ["name", "nb_cfg"]}}, cb)

    def wait(self, target, timeout):
        """Waits until every chassis acknowledged 'target'; returns the time of
        the last acknowledgement, or None on timeout."""
        deadline = now() + timeout
        with self.cv:
            while True:
                if all(self.cfg.get(n, -1) >= target for n in self.names):
                    return max(self.ack_time[n] for n in self.names)
                left = deadline - now()
                if left <= 0:
                    return None
                self.cv.wait(min(left, 0.5))


def bump_nb_cfg_ops(table):
    return [{"op": "mutate", "table": table, "where": [],
             "mutations": [["nb_cfg", "+=", 1]]},
            {"op": "select", "table": table, "where": [], "columns": ["nb_cfg"]}]


def scale_bind_probe(a, n, hvs, bdb, res):
    """With n remote ports in the network: binding changes of one of them
    (the first) between the fake chassis of scenario 2a, timed as there."""
    port = "scale1000"
    if a.backend == "roam":
        dbname, table, keycol = "Roam", "Port", "name"
        watch = "watch:table=20,!initial,dl_dst=%s" % remote_mac(1000)
        match = "dl_dst=%s" % remote_mac(1000)
        tfmt = "roam-%s"
    else:
        dbname, table, keycol = "OVN_Southbound", "Port_Binding", "logical_port"
        pb = bdb.select(dbname, table, [[keycol, "==", port]], ["tunnel_key", "datapath"])
        pk = pb[0]["tunnel_key"]
        dk = bdb.select(dbname, "Datapath_Binding",
                        [["_uuid", "==", pb[0]["datapath"]]], ["tunnel_key"])[0]["tunnel_key"]
        watch = "watch:!initial,reg15=0x%x,metadata=0x%x" % (pk, dk)
        match = "reg15=0x%x,metadata=0x%x[ ,]" % (pk, dk)
        tfmt = "ovn-%s-0"
    rows = bdb.select(dbname, "Chassis", [], ["_uuid", "name"])
    chassis_uuid = {r["name"]: r["_uuid"][1] for r in rows}
    targets = a.probe_targets.split(",")
    t = argparse.Namespace(tunnel_by="name", tunnel_fmt=tfmt)
    ofport = {(hv.name, c): tunnel_ofport(hv, t, c) for hv in hvs for c in targets}
    mons = {hv.name: FlowMon(hv.name, hv.rundir, watch) for hv in hvs}
    rx = re.compile(match)
    values = []
    try:
        for run in range(a.probe_runs + 1):
            target = targets[run % len(targets)]
            want = {hv.name: "output:%d" % ofport[hv.name, target] for hv in hvs}
            t0 = now()
            bdb.transact(dbname, [{"op": "update", "table": table,
                                   "where": [[keycol, "==", port]],
                                   "row": {"chassis": ["uuid", chassis_uuid[target]]}}])
            got = wait_flows(mons, want, rx, t0, a.timeout)
            if len(got) < len(want):
                log("    binding change with %d ports: TIMEOUT" % n)
                res.add("bind.db.%d.timeouts" % n, 1)
                break
            if run > 0:
                values.append(ms(max(got.values()) - t0))
                res.add("bind.db.%d" % n, "%.3f" % values[-1])
            time.sleep(0.1)
    finally:
        for m in mons.values():
            m.stop()
    if values:
        log("    binding change of one port with %d remote ports in the network"
            " -> flows on every hv: %s" % (n, fmt_stats(values)))


def scale(a):
    hvs = [Hv(s) for s in a.hv]
    res = Results(a.results)
    db = Ovsdb(a.db)
    sb = Ovsdb(a.sb) if a.backend == "ovn" else None
    if a.backend == "roam":
        network = db.uuid("Roam", "Network", a.network)
        chassis = db.uuid("Roam", "Chassis", a.fake)
        watch = NbCfgWatch(db, "Roam", "Chassis_Private", [h.name for h in hvs])
        dbname, global_table = "Roam", "Global"
    else:
        network = db.uuid("OVN_Northbound", "Logical_Switch", a.network)
        chassis = sb.uuid("OVN_Southbound", "Chassis", a.fake)
        watch = NbCfgWatch(sb, "OVN_Southbound", "Chassis_Private",
                           [h.name for h in hvs])
        pbw = PortBindingWatch(sb, "scale")
        dbname, global_table = "OVN_Northbound", "NB_Global"
    mons = {hv.name: FlowMon(hv.name, hv.rundir, "watch:!initial,!actions")
            for hv in hvs}
    sizes = [int(s) for s in a.sizes.split(",")]
    runs = {n: (a.runs_big if n > 1000 and a.runs_big else a.runs) for n in sizes}

    def converge(t0, target, what, timeout, bind=None):
        """Waits for the acknowledgement of nb_cfg 'target' and for quiet
        flow tables; returns (converged ms, ack ms) or None."""
        t_bind = None
        if bind is not None:
            out = bind()
            if out is None:
                return None
            t_bind, target = out
        t_ack = watch.wait(target, timeout - (now() - t0))
        if t_ack is None:
            log("    %s: TIMEOUT after %.0f s (nb_cfg %d not acknowledged by all: %s)"
                % (what, timeout, target, watch.cfg))
            return None
        wait_quiet(a, mons, t0, t_ack)
        conv = {}
        for hv in hvs:
            ev = flow_events(mons[hv.name].since(t0))
            conv[hv.name] = ev[-1][0] if ev else None
        valid = [t for t in conv.values() if t is not None]
        t_conv = max(valid) if valid else t_ack
        late = ["%s +%.1f ms" % (h, ms(t - t_ack)) for h, t in sorted(conv.items())
                if t is not None and t > t_ack + 0.0005]
        if late:
            log("    note: %s: last flow change seen after the nb_cfg acknowledgement: %s"
                % (what, ", ".join(late)))
        return ms(t_conv - t0), ms(t_ack - t0), t_bind

    base_counts = {hv.name: flow_count(hv.rundir) for hv in hvs}
    base_rss = {hv.name: rss_kb(hv.agent_pid()) for hv in hvs}
    log("    before: flows %s; agent RSS %s"
        % (" ".join("%s %d" % (h, c) for h, c in base_counts.items()),
           " ".join("%s %.1f MB" % (h, r / 1024) for h, r in base_rss.items())))
    res.add("scale.base_flows", max(base_counts.values()))
    try:
        for n in sizes:
            for run in range(1, runs[n] + 1):
                # --- add n ports in one transaction ---
                if a.backend == "roam":
                    ops = roam_remote_port_ops("scale", network, chassis,
                                               range(1000, 1000 + n)) \
                        + bump_nb_cfg_ops(global_table)
                    t0 = now()
                    tc, r = db.transact(dbname, ops, timeout=a.timeout)
                    bind = None
                else:
                    ops = ovn_remote_lsp_ops("scale", network, range(1000, 1000 + n)) \
                        + bump_nb_cfg_ops(global_table)
                    t0 = now()
                    tc, r = db.transact(dbname, ops, timeout=a.timeout)

                    def bind(n=n, t0=t0):
                        t_all, uuids = pbw.wait_count(n, a.timeout - (now() - t0))
                        if t_all is None:
                            log("    TIMEOUT: ovn-northd created %d of %d Port_Bindings"
                                % (len(uuids), n))
                            return None
                        # What the fake chassis's ovn-controller would do:
                        # claim them all in one transaction.
                        sb.transact("OVN_Southbound", ovn_bind_ops(uuids, chassis),
                                    timeout=a.timeout)
                        # The controllers may have acknowledged the first
                        # nb_cfg before they saw the bindings: wait for a
                        # later one.
                        _, r2 = db.transact(dbname, bump_nb_cfg_ops(global_table))
                        return t_all, r2[-1]["rows"][0]["nb_cfg"]
                target = r[-1]["rows"][0]["nb_cfg"]
                out = converge(t0, target, "%d ports, run %d" % (n, run), a.timeout, bind)
                if out is None:
                    res.add("scale.%d.timeouts" % n, 1)
                    res.add("scale.%d.add.timeout" % n, "%.3f" % (a.timeout * 1000))
                    t = now()
                    if cleanup_scale(a, db, network, watch, mons, global_table,
                                     dbname) is None:
                        log("    the agents did not even acknowledge the removal of the"
                            " ports within %.0f s" % a.timeout)
                    else:
                        log("    removed the ports again (%.0f s, the agents were busy)"
                            % (now() - t))
                    break
                conv, ack, t_bind = out
                counts = {hv.name: flow_count(hv.rundir) for hv in hvs}
                rss = {hv.name: rss_kb(hv.agent_pid()) for hv in hvs}
                extra = ""
                if t_bind is not None:
                    extra = "; northd created the bindings after %.0f ms" % ms(t_bind - t0)
                log("    %d ports, run %d: converged %.1f ms (commit %.1f ms, all acked %.1f ms%s); "
                    "flows %s; RSS %s"
                    % (n, run, conv, ms(tc - t0), ack, extra,
                       " ".join("%s %d" % (h, c) for h, c in counts.items()),
                       " ".join("%s %.1f MB" % (h, v / 1024) for h, v in rss.items())))
                res.add("scale.%d.add" % n, "%.3f" % conv)
                res.add("scale.%d.flows" % n, max(counts.values()))
                res.add("scale.%d.flows_added" % n,
                        max(counts[h] - base_counts[h] for h in counts))
                res.add("scale.%d.rss_mb" % n, "%.2f" % (max(rss.values()) / 1024))
                if run == runs[n] and a.idle > 0:
                    idle_cpu(a, hvs, res, n,
                             a.unbound_to.split(",")[sizes.index(n)], db,
                             dbname)
                if run == runs[n] and a.probe_runs > 0:
                    scale_bind_probe(a, n, hvs, db if a.backend == "roam" else sb, res)
                # --- delete them in one transaction ---
                out = cleanup_scale(a, db, network, watch, mons, global_table, dbname)
                if out is None:
                    res.add("scale.%d.timeouts" % n, 1)
                    break
                conv, ack, _ = out
                counts = {hv.name: flow_count(hv.rundir) for hv in hvs}
                log("    %d ports, run %d: removal converged %.1f ms (all acked %.1f ms); flows %s"
                    % (n, run, conv, ack, " ".join("%s %d" % (h, c) for h, c in counts.items())))
                res.add("scale.%d.del" % n, "%.3f" % conv)
    finally:
        for m in mons.values():
            m.stop()


def cleanup_scale(a, db, network, watch, mons, global_table, dbname):
    """Deletes the scale ports in one transaction (with an nb_cfg increment)
    and times it from the moment it is sent: (converged ms, acked ms, None),
    or None on timeout."""
    if a.backend == "roam":
        rows = db.select("Roam", "Port", [["network", "==", ["uuid", network]]],
                         ["_uuid", "name"])
        ops = [{"op": "delete", "table": "Port",
                "where": [["_uuid", "==", r["_uuid"]]]}
               for r in rows if r["name"].startswith("scale")]
    else:
        rows = db.select("OVN_Northbound", "Logical_Switch_Port", [], ["_uuid", "name"])
        uuids = [r["_uuid"] for r in rows if r["name"].startswith("scale")]
        ops = [{"op": "mutate", "table": "Logical_Switch",
                "where": [["_uuid", "==", ["uuid", network]]],
                "mutations": [["ports", "delete", ["set", uuids]]]}]
    t0 = now()
    _, r = db.transact(dbname, ops + bump_nb_cfg_ops(global_table), timeout=a.timeout)
    target = r[-1]["rows"][0]["nb_cfg"]
    t_ack = watch.wait(target, a.timeout)
    if t_ack is None:
        log("    removal: TIMEOUT after %.0f s" % a.timeout)
        return None
    last = wait_quiet(a, mons, t0, t_ack)
    return ms(last - t0), ms(t_ack - t0), None


def wait_quiet(a, mons, t0, t_ack):
    """Waits until no flow changed for a.quiet seconds on any hypervisor;
    returns the time of the last change since t0 (at least t_ack)."""
    while True:
        last = t_ack
        for m in mons.values():
            ev = flow_events(m.since(t0))
            if ev:
                last = max(last, ev[-1][0])
        if now() - last >= a.quiet:
            return last
        time.sleep(0.05)


def idle_cpu(a, hvs, res, n, unbound_to, db, dbname):
    def measure(what, key, check=None, secs=None):
        secs = secs or a.idle
        pids = {hv.name: hv.agent_pid() for hv in hvs}
        before = {h: cpu_ms(p) for h, p in pids.items()}
        time.sleep(secs)
        after = {h: cpu_ms(p) for h, p in pids.items()}
        if check:
            check()
        used = {h: after[h] - before[h] for h in pids}
        log("    idle %g s with %d remote ports%s: agent CPU %s"
            % (secs, n, what,
               " ".join("%s %.1f ms" % (h, v) for h, v in used.items())))
        res.add(key % n, "%.1f" % max(used.values()))

    def measure_while_sending(to, what, windows):
        """Measures while a VM sends 1,000 datagrams/s to 'to', in
        'windows': (start, secs, label, key), 'start' seconds after the
        sender started, one after the other."""
        end = windows[-1][0] + (windows[-1][1] or a.idle)
        sender = subprocess.Popen(
            ["ip", "netns", "exec", a.unknown_from, a.stream, "send",
             "--to", to, "--interval-us", "1000",
             "--duration", "%g" % (end + 1), "--wait-ms", "0",
             "--summary", "/dev/null"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        def sender_is_running():
            if sender.poll() is not None:
                raise RuntimeError("the sender to %s ended early (exit %d)"
                                   % (to, sender.returncode))
        try:
            t0 = time.monotonic()
            for start, secs, label, key in windows:
                time.sleep(max(0, t0 + start - time.monotonic()))
                measure(", 1,000 datagrams/s to " + what + label, key,
                        sender_is_running, secs)
        except BaseException:
            sender.terminate()
            raise
        finally:
            _, err = sender.communicate()
        if sender.returncode:
            raise RuntimeError("the sender to %s failed (exit %d): %s"
                               % (to, sender.returncode,
                                  err.decode(errors="replace")))

    measure("", "idle.%d.cpu_ms")
    # The same while a VM sends 1,000 datagrams/s to a MAC that no port
    # has: Roam's hypervisor floods them, the other switches send the first
    # ones to their agent (a moved VM's first packets could be among them),
    # which then floods the rest without itself (agent/unknown-macs.h); OVN
    # drops them where they are sent.
    measure_while_sending(a.unknown_to, "an unknown MAC",
                          [(0.5, None, "", "unknown.%d.cpu_ms")])
    # And to the MAC of a port bound nowhere: its VIF may be plugged on any
    # hypervisor next (a cold move), so Roam's agents read every such
    # packet (at meter 4's rate) for 5 s, and then flood the rest without
    # themselves (agent/unknown-macs.h): measured over the first 5 s, and
    # over 10 s from the 6th second on.
    measure_while_sending(unbound_to, "a port bound nowhere",
                          [(0.2, 4.8, " (0.2 to 5 s)",
                            "unbound_first.%d.cpu_ms"),
                           (6, None, " (from 6 s on)",
                            "unbound_steady.%d.cpu_ms")])
    if a.backend != "roam":
        return
    # The same while every agent is watched, as roam-ctl or the destination
    # of a live migration watches a chassis (Chassis_Private watched_since
    # and watched_until): then each beats every 2 s.  Unwatched, as above,
    # an agent has no reason to wake up at all.
    def watch(since, until):
        db.transact(dbname, [
            {"op": "update", "table": "Chassis_Private",
             "where": [["name", "==", hv.name]],
             "row": {"watched_since": since, "watched_until": until}}
            for hv in hvs])
    now_ms = int(time.time() * 1000)
    watch(now_ms, now_ms + 600000)
    time.sleep(1)
    try:
        measure(", watched (heartbeat every 2 s)", "idle.%d.cpu_watched_ms")
    finally:
        watch(now_ms, 0)


# ---------------------------------------------------------------------------
# Small tools for the bash half.

def udp_recv(a):
    """Prints "ARRIVAL SEQ SENT" of the first datagram that carries TOKEN."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((a.addr, a.port))
    open(a.ready, "w").close()
    deadline = now() + a.timeout
    while True:
        left = deadline - now()
        if left <= 0:
            print("timeout", flush=True)
            return
        s.settimeout(left)
        try:
            data, _ = s.recvfrom(2048)
        except socket.timeout:
            continue
        t = now()
        f = data.decode(errors="replace").split()
        if len(f) == 3 and f[0] == a.token:
            print("%.6f %s %s" % (t, f[1], f[2]), flush=True)
            return


def udp_send(a):
    """Sends "TOKEN SEQ TIME" every INTERVAL s for DURATION s; creates READY
    after the first."""
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    end = now() + a.duration
    seq = 0
    while True:
        t = now()
        if t >= end:
            break
        seq += 1
        try:
            s.sendto(("%s %d %.6f" % (a.token, seq, t)).encode(), (a.dst, a.port))
        except OSError:
            pass
        if seq == 1 and a.ready:
            open(a.ready, "w").close()
        time.sleep(a.interval)


def stamp(a):
    p = subprocess.Popen(a.cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)

    def term(signum, frame):
        p.terminate()
        p.wait()
        os._exit(0)
    signal.signal(signal.SIGTERM, term)
    for line in p.stdout:
        print("%.6f %s" % (now(), line.decode(errors="replace").rstrip()), flush=True)


def ping_stats(a):
    """Reads "ping -D" output: prints SENT RECEIVED LOST MAX_GAP_MS
    GAP_START GAP_END FIRST_AFTER_MS (first reply at or after T_UP, in ms
    after T_UP; -1 if none or no T_UP)."""
    replies = []
    sent = received = 0
    for line in open(a.file):
        m = re.match(r"\[(\d+\.\d+)\] .*icmp_seq=(\d+)", line)
        if m:
            replies.append((float(m.group(1)), int(m.group(2))))
        m = re.match(r"(\d+) packets transmitted, (\d+) received", line)
        if m:
            sent, received = int(m.group(1)), int(m.group(2))
    gap, gs, ge = 0.0, 0.0, 0.0
    for (t1, _), (t2, _) in zip(replies, replies[1:]):
        if t2 - t1 > gap:
            gap, gs, ge = t2 - t1, t1, t2
    first_after = -1.0
    if a.t_up:
        later = [t for t, _ in replies if t >= a.t_up]
        if later:
            first_after = ms(min(later) - a.t_up)
    print("%d %d %d %.1f %.6f %.6f %.1f" % (sent, received, sent - received,
                                            ms(gap), gs, ge, first_after))


def proc_start(a):
    """The start time of process PID, in epoch seconds (10 ms resolution)."""
    with open("/proc/%d/stat" % a.pid) as f:
        start_ticks = int(f.read().rsplit(")", 1)[1].split()[19])
    boot = time.time() - time.clock_gettime(time.CLOCK_BOOTTIME)
    print("%.6f" % (boot + start_ticks / os.sysconf("SC_CLK_TCK")))


def stats(a):
    v = [float(x) for x in a.values]
    print(fmt_stats(v, unit=a.unit, digits=a.digits))


# ---------------------------------------------------------------------------
# The summary table.

def plug_rows(method, tool, variant, network):
    """The rows of scenario 1's variant plugged with 'method': the plug, and
    its three steps."""
    key = "plug.%s.%s" % (method, variant)
    return [
        (key, "VIF plug (%s) -> first packet, network %s" % (tool, network), "ms",
         "< 10 ms median", 1),
        (key + ".row", "  plug -> Interface row committed (the plugging tool)", "ms", "", 1),
        (key + ".ofport", "  row committed -> port added (vswitchd)", "ms", "", 1),
        (key + ".agent", "  port added -> VIF's flows on hv2 (agent)", "ms", "", 1),
    ]


ROWS = [r for variant, network in (("cold", "new on the hv"), ("warm", "already on the hv"))
        for method, tool in (("db", "pre-connected client"), ("vsctl", "ovs-vsctl"))
        for r in plug_rows(method, tool, variant, network)] + [
    # key, label, unit, target, digits; "SCALE" expands into the rows of
    # every size measured.
    ("bind.db", "binding change (DB write) -> flows on every hv", "ms", "< 10 ms median", 1),
    ("bind.move", "VIF moved hv2 <-> hv3: plug -> flows on other hvs", "ms", "< 10 ms median", 1),
    ("bind.move.ofport", "  port added -> flows on the other hvs", "ms", "", 1),
    "SCALE",
    ("agent.lost", "agent restart: packets lost (1 ms stream)", "pkts", "0", 0),
    ("agent.gap", "agent restart: longest gap in replies", "ms", "", 1),
    ("ovs.back", "vswitchd restart: traffic back after br-phy up", "ms", "< 200 ms", 1),
    ("ovs.back_start", "vswitchd restart: back after vswitchd started", "ms", "", 1),
    ("ovs.gap", "vswitchd restart: longest gap in replies", "ms", "", 1),
    ("ovs.lost", "vswitchd restart: packets lost", "pkts", "", 0),
]
SCALE_TARGETS = {1000: ("< 300 ms", "< 15 MB"), 5000: ("< 1000 ms", "< 30 MB")}


def scale_rows(sizes):
    rows = []
    for n in sizes:
        conv, rss = SCALE_TARGETS.get(n, ("", ""))
        rows += [
            ("scale.%d.add" % n, "%s remote ports in one txn -> converged" % format(n, ","),
             "ms", conv, 0),
            ("scale.%d.del" % n, "%s remote ports deleted -> converged" % format(n, ","),
             "ms", "", 0),
            ("scale.%d.rss_mb" % n, "agent RSS at %s remote ports (max hv)" % format(n, ","),
             "MB", rss, 1),
            ("scale.%d.flows" % n, "flows per hv at %s remote ports (max hv)" % format(n, ","),
             "", "", 0),
            ("idle.%d.cpu_ms" % n, "agent CPU idle 10 s at %s remote ports (max hv)"
             % format(n, ","), "ms", "0 ms", 1),
            ("idle.%d.cpu_watched_ms" % n, "  the same, watched (a heartbeat every 2 s)",
             "ms", "", 1),
            ("unknown.%d.cpu_ms" % n, "  the same, 1,000 datagrams/s to an unknown MAC",
             "ms", "", 1),
            ("unbound_first.%d.cpu_ms" % n,
             "  ... to a port bound nowhere, 0.2 to 5 s only", "ms", "", 1),
            ("unbound_steady.%d.cpu_ms" % n,
             "  the same, to a port bound nowhere, from 6 s on", "ms", "", 1),
            ("bind.db.%d" % n, "binding change with %s remote ports in the net"
             % format(n, ","), "ms", "< 10 ms median", 1),
        ]
    return rows


def cell(src, key, unit, digits):
    """min / median / max of key, or "> T (timed out)" for a scale size that
    never converged; the median (or the lower bound) for ratios."""
    v = src.get(key, [])
    if v:
        return fmt_stats(v, unit, digits), statistics.median(v), False
    t = src.get(key + ".timeout")
    if t:
        return "> %.0f %s (timed out)" % (max(t), unit), max(t), True
    return "-", None, False


def summary(a):
    roam = read_results(a.roam)
    ovn = read_results(a.ovn) if a.ovn else None
    sizes = sorted({int(k.split(".")[1]) for src in (roam, ovn or {}) for k in src
                    if re.match(r"(scale|idle)\.\d+\.", k)})
    rows = []
    for r in ROWS:
        rows += scale_rows(sizes) if r == "SCALE" else [r]
    w = max(52, max(len(r[1]) for r in rows))
    print("%-*s %-28s %-16s" % (w, "scenario (min / median / max)", "Roam", "target")
          + ("  %-28s %s" % ("OVN", "Roam/OVN (median)") if ovn is not None else ""))
    for key, label, unit, target, digits in rows:
        rtext, rmed, rlow = cell(roam, key, unit, digits)
        line = "%-*s %-28s %-16s" % (w, label, rtext, target)
        if ovn is not None:
            otext, omed, olow = cell(ovn, key, unit, digits)
            ratio = "-"
            if rmed is not None and omed is not None and not rlow and omed > 0:
                ratio = "%s%.3g" % ("< " if olow else "", rmed / omed)
            line += "  %-28s %s" % (otext, ratio)
        print(line)
    for src, name in ((roam, "Roam"), (ovn or {}, "OVN")):
        for k, v in sorted(src.items()):
            if k.endswith(".timeouts"):
                print("%s: %s: %d run(s) timed out" % (name, k[:-9], len(v)))


def main():
    p = argparse.ArgumentParser(prog="bench.py")
    sub = p.add_subparsers(dest="cmd", required=True)

    s = sub.add_parser("udp-recv")
    s.add_argument("addr"); s.add_argument("port", type=int)
    s.add_argument("ready"); s.add_argument("timeout", type=float)
    s.add_argument("token")
    s.set_defaults(fn=udp_recv)

    s = sub.add_parser("udp-send")
    s.add_argument("dst"); s.add_argument("port", type=int)
    s.add_argument("interval", type=float); s.add_argument("duration", type=float)
    s.add_argument("token"); s.add_argument("ready", nargs="?")
    s.set_defaults(fn=udp_send)

    s = sub.add_parser("iface-watch")
    s.add_argument("rundir"); s.add_argument("iface"); s.add_argument("ready")
    s.add_argument("timeout", type=float)
    s.set_defaults(fn=iface_watch)

    s = sub.add_parser("plug-db")
    s.add_argument("rundir"); s.add_argument("iface"); s.add_argument("port")
    s.add_argument("ready"); s.add_argument("timeout", type=float)
    s.set_defaults(fn=plug_db)

    s = sub.add_parser("stamp")
    s.add_argument("cmd", nargs=argparse.REMAINDER)
    s.set_defaults(fn=stamp)

    s = sub.add_parser("ping-stats")
    s.add_argument("file"); s.add_argument("t_up", type=float, nargs="?", default=0.0)
    s.set_defaults(fn=ping_stats)

    s = sub.add_parser("proc-start")
    s.add_argument("pid", type=int)
    s.set_defaults(fn=proc_start)

    s = sub.add_parser("stats")
    s.add_argument("--unit", default="ms"); s.add_argument("--digits", type=int, default=1)
    s.add_argument("values", nargs="*")
    s.set_defaults(fn=stats)

    s = sub.add_parser("summary")
    s.add_argument("roam"); s.add_argument("ovn", nargs="?")
    s.set_defaults(fn=summary)

    s = sub.add_parser("bind-change")
    s.add_argument("--db", required=True)
    s.add_argument("--dbname", default="Roam")
    s.add_argument("--table", default="Port")
    s.add_argument("--key-column", default="name")
    s.add_argument("--key", required=True)
    s.add_argument("--column", default="chassis")
    s.add_argument("--chassis-table", default="Chassis")
    s.add_argument("--targets", required=True, help="chassis names, alternated")
    s.add_argument("--tunnel-by", choices=["name", "ip"], default="name")
    s.add_argument("--tunnel-fmt", default="roam-%s")
    s.add_argument("--encap-ip", action="append", default=[],
                   help="CHASSIS=IP (with --tunnel-by ip)")
    s.add_argument("--watch", required=True, help="ovs-ofctl monitor spec")
    s.add_argument("--match", required=True, help="regex a flow event must match")
    s.add_argument("--hv", action="append", required=True)
    s.add_argument("--runs", type=int, default=5)
    s.add_argument("--pause", type=float, default=0.2)
    s.add_argument("--timeout", type=float, default=30)
    s.add_argument("--results", required=True)
    s.add_argument("--key-prefix", default="bind.db")
    s.add_argument("--move", action="store_true",
                   help="targets are hypervisors; unplug/plug --iface")
    s.add_argument("--iface", default="mvvif")
    s.set_defaults(fn=bind_change)

    s = sub.add_parser("scale")
    s.add_argument("--backend", choices=["roam", "ovn"], default="roam")
    s.add_argument("--db", required=True, help="Roam central DB, or OVN NB")
    s.add_argument("--sb", help="OVN SB")
    s.add_argument("--network", required=True)
    s.add_argument("--fake", required=True, help="the fake chassis's name")
    s.add_argument("--hv", action="append", required=True)
    s.add_argument("--sizes", default="1000,5000")
    s.add_argument("--runs", type=int, default=5)
    s.add_argument("--runs-big", type=int, default=0,
                   help="runs for sizes over 1,000 (default: --runs)")
    s.add_argument("--quiet", type=float, default=0.3)
    s.add_argument("--timeout", type=float, default=60)
    s.add_argument("--idle", type=float, default=10)
    s.add_argument("--unknown-from", required=True,
                   help="namespace of a VM of the network")
    s.add_argument("--unknown-to", required=True,
                   help="an address of the network with a static neighbour "
                   "entry there for a MAC that no port has")
    s.add_argument("--unbound-to", required=True,
                   help="addresses of the network, one per size, with a "
                   "static neighbour entry there for the MAC of a port "
                   "bound nowhere")
    s.add_argument("--stream", required=True, help="tests/roam-stream")
    s.add_argument("--probe-runs", type=int, default=5,
                   help="binding changes timed with the ports in place")
    s.add_argument("--probe-targets", default="fakeA,fakeB")
    s.add_argument("--results", required=True)
    s.set_defaults(fn=scale)

    run_main(p)


if __name__ == "__main__":
    main()
BENCH_PY
    } > "$1"
}

# --------------------------------------------------------------------------
# Main.

bench_main "bench-datapath: $HVS hypervisors, $RUNS runs, scenarios $SCENARIOS, backends $BACKENDS; dir $BENCH_DIR"

heading "Summary (min / median / max over the runs)"
if [[ " $BACKENDS " == *" ovn "* ]]; then
    bench summary "$BENCH_DIR/results-roam.txt" "$BENCH_DIR/results-ovn.txt"
else
    bench summary "$BENCH_DIR/results-roam.txt"
fi
say "total time $(since "$T0")"
exit 0
