#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# bench-scale.sh: the agents at the scale of DESIGN section 7, "agent CPU
# and RSS with 1,000 chassis and 100,000 ports in the central database".
# Prints numbers; asserts nothing.  Exits non-zero only if the benchmark
# itself could not run.  Roam only: OVN 23.03 already takes 89 s for 5,000
# ports (bench-datapath.sh scenario 3).
#
# On the netns testbed (3 hypervisors, a VM on each in network "blue"):
#   1. chassis   --chassis fake chassis (no agent; each with a Geneve encap
#                at 2001:db8:ff::N, which nothing ever sends to) in
#                transactions of 250: every agent makes a tunnel to each.
#                Time until every hypervisor has them all, each agent's
#                CPU and RSS, each ovs-vswitchd's RSS.
#   2. ports     --ports ports in --networks networks of their own (none
#                with a VIF here), bound round-robin to the fake chassis,
#                one transaction per network.  Time until every agent
#                acknowledged them (roam-ctl --wait=hv sync), each agent's
#                CPU and RSS, and its "memory/show".
#   3. idle      each agent's CPU over --idle seconds, with all of that in
#                the database.
#   4. plug      --runs times: a VM plugged on hv2 or hv3 into one of those
#                networks (its 1,000 ports on 1,000 chassis by default):
#                time from the start of "roam-testbed vm-add" (a new
#                namespace, a veth, ovs-vsctl add-port) to the Port's "up"
#                (the agent's claim, after the switch confirmed its flows),
#                the agent's CPU for it, and the flows it added.
#   5. restart   hv1's agent stopped and started: time until its OpenFlow
#                state is SYNCED again, until it acknowledged nb_cfg, its CPU
#                and RSS after it (the whole database comes in one monitor
#                reply), its longest main loop pass (its log), the flow
#                changes on the switch ("ovs-ofctl monitor") from the stop
#                until the acknowledgement, and whether the flows are the
#                same after as before.
#
# CPU is the agent's (/proc/PID/schedstat: all its threads), RSS its VmRSS.
# --monitor-all false sets roam-monitor-all=false on every hypervisor: each
# agent then replicates only the Ports it needs (agent/port-monitor.h), so
# scenario 2 adds nothing to its view and scenario 4's VM waits for its
# network's ports to be downloaded.
#
# Usage: run as root with ROAM_SRCDIR and ROAM_BUILDDIR set (or from a
# built tree), e.g.
#     ROAM_SRCDIR=/work/main ROAM_BUILDDIR=/tmp/build sudo -E \
#         scripts/bench-scale.sh [--chassis N] [--ports N]
# The rows are written by a Python 3 program (write_bench_py, at the end),
# written to the benchmark's directory at start-up.  The parts it shares
# with the other benchmarks are in bench-lib.sh, next to it.

set -u
set -o pipefail

PROG=bench-scale
PREFIX=bs$$
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$(readlink -f "$0")")/bench-lib.sh"

RUNS=5
HVS=3
BENCH_DIR=${ROAM_BENCH_DIR:-/tmp/roam-bench-scale}
SCENARIOS="chassis ports idle plug restart"
CHASSIS=1000
PORTS=100000
NETWORKS=100
IDLE=10
MONITOR_ALL=true

usage() {
    cat <<EOF
usage: $PROG [OPTION...]

The agents with many chassis and ports in the central database (DESIGN
section 7), on the netns testbed: CPU, RSS, convergence, a plug, a restart.

  --chassis N         fake chassis (default $CHASSIS; at most 65535)
  --ports N           ports, bound to them round-robin (default $PORTS)
  --networks N        networks the ports are spread over (default $NETWORKS;
                      at most 65535 ports each)
  --idle SECS         how long the idle CPU is measured (default $IDLE)
  --monitor-all BOOL  roam-monitor-all on every hypervisor: true (default,
                      every Port replicated) or false (only those needed)
  --runs N            plugs in scenario plug (default $RUNS)
  --hold SECS         keep the testbed up SECS s after the scenarios
  --dir DIR           working directory (default $BENCH_DIR, or
                      \$ROAM_BENCH_DIR); testbed logs stay there
  -h, --help          this help

The scenarios (chassis, ports, idle, plug, restart) always all run, in
that order.  Needs root, Open vSwitch 3.1, python3, and a built Roam.
EOF
}

bench_option() {
    case $1 in
        --chassis) CHASSIS=$2 ;;
        --ports) PORTS=$2 ;;
        --networks) NETWORKS=$2 ;;
        --idle) IDLE=$2 ;;
        --monitor-all) MONITOR_ALL=$2 ;;
        *) return 1 ;;
    esac
}

bench_parse_options "$@"
bench_check_options 1
[ "$SCENARIOS" = "chassis ports idle plug restart" ] \
    || die "--scenarios: this benchmark always runs all of its scenarios"
[ "$BACKENDS" = roam ] || die "Roam only (OVN takes 89 s for 5,000 ports: see bench-datapath.sh)"
[[ $CHASSIS =~ ^[0-9]+$ ]] && ((CHASSIS >= 1 && CHASSIS <= 65535)) \
    || die "--chassis: a number from 1 to 65535"
[[ $NETWORKS =~ ^[0-9]+$ ]] && ((NETWORKS >= 1 && NETWORKS <= 10000)) \
    || die "--networks: a number from 1 to 10000"
[[ $PORTS =~ ^[0-9]+$ ]] && ((PORTS >= NETWORKS && PORTS <= NETWORKS * 65535)) \
    || die "--ports: a number from --networks to 65535 times --networks"
[[ $IDLE =~ ^[0-9]+$ ]] && ((IDLE >= 1)) || die "--idle: seconds, at least 1"
[[ $MONITOR_ALL =~ ^(true|false)$ ]] || die "--monitor-all: true or false"
((RUNS <= NETWORKS && RUNS <= 191)) \
    || die "--runs: at most --networks (one plug per network) and 191"
bench_check_host
bench_init

# --------------------------------------------------------------------------
# What the agents use.

agent_pid() { cat "$(hv_dir "$1")/roam-agent.pid"; }
vswitchd_pid() { cat "$(hv_dir "$1")/ovs-vswitchd.pid"; }
# cpu_ms PID: CPU time of all of PID's threads so far, in ms.
cpu_ms() {
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ ns += $1 } END { printf "%.0f", ns / 1e6 }'
}
rss_mb() { awk '/^VmRSS:/ { printf "%.1f", $2 / 1024 }' "/proc/$1/status"; }
agents_cpu() { local k; for ((k = 1; k <= HVS; k++)); do cpu_ms "$(agent_pid "$k")"; echo; done; }
# report_agents LABEL CPU_BEFORE...: each agent's CPU since CPU_BEFORE and
# its RSS, and its ovs-vswitchd's RSS; records them as LABEL.cpu, LABEL.rss.
report_agents() {
    local label=$1 k cpu rss vrss
    shift
    for ((k = 1; k <= HVS; k++)); do
        cpu=$(($(cpu_ms "$(agent_pid "$k")") - $1))
        shift
        rss=$(rss_mb "$(agent_pid "$k")")
        vrss=$(rss_mb "$(vswitchd_pid "$k")")
        say "    hv$k: agent CPU $cpu ms, RSS $rss MB; ovs-vswitchd RSS $vrss MB"
        result "$label.cpu" "$cpu"
        result "$label.rss" "$rss"
        result "$label.vswitchd_rss" "$vrss"
    done
}
memory_show() { tb hv "$1" ovs-appctl -t roam-agent memory/show; echo; }
tunnel_count() { hv_vsctl "$1" list-ports br-int | grep -c '^roam-'; }
flow_count() { tb hv "$1" ovs-ofctl -O OpenFlow15 dump-flows br-int | grep -c 'cookie='; }
all_tunnels() {
    local k
    for ((k = 1; k <= HVS; k++)); do
        [ "$(tunnel_count "$k")" -ge $((CHASSIS + HVS - 1)) ] || return 1
    done
}
# synced K: hv K's agent has a SYNCED OpenFlow connection.
synced() { roam_synced "$1"; }

bench_setup() {
    local k
    roam_monitor_all "$MONITOR_ALL"
    be net_add blue 101 >/dev/null || die "net blue"
    for ((k = 1; k <= HVS; k++)); do
        vm_add "v$k" "$k" blue "$(printf '00:00:5e:00:53:%02x' "$k")" "198.51.100.$k"
    done
    for ((k = 1; k <= HVS; k++)); do
        poll 20 be port_up "v$k" || die "port v$k did not come up"
    done
    poll 20 ping_ok v1 198.51.100.2 || die "v1 cannot ping v2"
    say "network blue: v1..v$HVS, one VM per hypervisor; every agent synced; roam-monitor-all=$MONITOR_ALL"
}

# --------------------------------------------------------------------------
# Scenarios.

scenario_chassis() {
    local t before
    heading "1. $CHASSIS fake chassis, each with a Geneve encap (transactions of 250)"
    mapfile -t before < <(agents_cpu)
    t=$(now_us)
    bench_long load-chassis --db "$(roam_db)" --count "$CHASSIS" || die "adding chassis failed"
    say "    written ($(since "$t"))"
    poll 600 all_tunnels || die "not every hypervisor has $((CHASSIS + HVS - 1)) tunnels after 600 s"
    result chassis.tunnels_s "$(($(now_us) - t))"
    say "    every hypervisor has $((CHASSIS + HVS - 1)) tunnels ($(since "$t") after the first write)"
    sleep 2     # The last tunnels' rows settle.
    report_agents chassis "${before[@]}"
}

scenario_ports() {
    local t before k
    heading "2. $PORTS ports in $NETWORKS networks (no VIF here), bound round-robin to the fake chassis"
    mapfile -t before < <(agents_cpu)
    t=$(now_us)
    bench_long load-ports --db "$(roam_db)" --networks "$NETWORKS" --ports "$PORTS" \
        --chassis "$CHASSIS" || die "adding ports failed"
    say "    written ($(since "$t"))"
    run_long "$TESTBED" --dir "$TB_DIR" --prefix "$TB_PREFIX" ctl --wait=hv --timeout=600 sync \
        >/dev/null || die "the agents did not acknowledge in 600 s"
    result ports.ack_s "$(($(now_us) - t))"
    say "    every agent acknowledged ($(since "$t") after the first write)"
    report_agents ports "${before[@]}"
    for ((k = 1; k <= HVS; k++)); do
        say "    hv$k memory/show: $(memory_show "$k")"
    done
}

scenario_idle() {
    local before
    heading "3. idle for $IDLE s with all of it in the database"
    mapfile -t before < <(agents_cpu)
    sleep "$IDLE"
    report_agents idle "${before[@]}"
}

scenario_plug() {
    local run k net port mac ip t0 t1 t2 c0 f0 f1
    heading "4. plug: a VM into a network with $((PORTS / NETWORKS)) ports on as many chassis, $RUNS times"
    for ((run = 1; run <= RUNS; run++)); do
        k=$((2 + run % 2))
        net=s$((run - 1))
        port=p$run
        mac=$(printf '00:00:5e:00:53:%02x' $((0x40 + run)))
        ip=$(printf '2001:db8:%x::fff0/64' "$run")    # Network s(run-1)'s /64.
        # roam-ctl reads every Port to pick a tunnel key: at 100,000 ports
        # it warns of its own long poll interval; that goes to a log.
        tb ctl port-add "$net" "$port" "$mac" "$ip" \
            >/dev/null 2>> "$BENCH_DIR/roam-ctl.log" || die "port-add $port"
        rm -f "$BENCH_DIR/up.out" "$BENCH_DIR/up.ready"
        bg python3 "$BENCH_PY" wait-up --db "$(roam_db)" --port "$port" \
            --ready "$BENCH_DIR/up.ready" --timeout 60 > "$BENCH_DIR/up.out"
        poll 60 test -f "$BENCH_DIR/up.ready" || die "the watch of $port's up did not start"
        f0=$(flow_count "$k")
        c0=$(cpu_ms "$(agent_pid "$k")")
        t0=$EPOCHREALTIME
        tb vm-add "$port" "$k" "$port" "$mac" "$ip" >/dev/null 2>&1 \
            || die "vm-add $port"
        t1=$EPOCHREALTIME
        poll 60 proc_done "$BG_PID"
        reap "$BG_PID"
        read -r t2 < "$BENCH_DIR/up.out" || die "port $port did not come up in 60 s"
        sleep 0.5
        f1=$(flow_count "$k")
        say "    run $run: hv$k, network $net: vm-add took $(printf '%.0f' "$(ms_between "$t0" "$t1")") ms; up $(printf '%.0f' "$(ms_between "$t0" "$t2")") ms after its start; agent CPU $(($(cpu_ms "$(agent_pid "$k")") - c0)) ms; $((f1 - f0)) flows added"
        result plug.up "$(ms_between "$t0" "$t2")"
        result plug.vm_add "$(ms_between "$t0" "$t1")"
        result plug.cpu $(($(cpu_ms "$(agent_pid "$k")") - c0))
        result plug.flows $((f1 - f0))
    done
}

scenario_restart() {
    local t flows_before flows_after pid mon changes
    heading "5. restart: hv1's agent stopped (SIGTERM) and started"
    flows_before=$(tb hv 1 ovs-ofctl -O OpenFlow15 --no-names dump-flows --no-stats br-int | sort | md5sum)
    # Every flow change from the stop until the acknowledgement.
    bg env OVS_RUNDIR="$(hv_dir 1)" ovs-ofctl monitor br-int 'watch:!initial' \
        > "$BENCH_DIR/restart-monitor.txt" 2>&1
    mon=$BG_PID
    # It prints the reply to its flow monitor request once it is in place.
    poll 10 grep -q 'FLOW_MONITOR reply' "$BENCH_DIR/restart-monitor.txt" \
        || die "ovs-ofctl monitor on hv1 did not start"
    tb agent-stop 1 >/dev/null 2>&1 || die "agent-stop 1"
    t=$(now_us)
    tb agent-start 1 >/dev/null 2>&1 || die "agent-start 1"
    poll 600 synced 1 || die "hv1's agent not SYNCED 600 s after its start"
    result restart.synced_s "$(($(now_us) - t))"
    say "    SYNCED $(since "$t") after the start"
    run_long "$TESTBED" --dir "$TB_DIR" --prefix "$TB_PREFIX" ctl --wait=hv --timeout=600 sync \
        >/dev/null || die "no acknowledgement in 600 s"
    say "    nb_cfg acknowledged $(since "$t") after the start (the whole database read and computed)"
    result restart.ack_s "$(($(now_us) - t))"
    sleep 1
    stop_bg "$mon"
    # (An "event=ABBREVIATED" line stands for many changes: at least one.)
    changes=$(grep -c 'event=' "$BENCH_DIR/restart-monitor.txt")
    say "    flow changes on hv1's switch from the stop until the acknowledgement: $changes"
    grep -q 'event=ABBREVIATED' "$BENCH_DIR/restart-monitor.txt" \
        && say "    (the monitor abbreviated some of them: more than counted)"
    result restart.flow_changes "$changes"
    pid=$(agent_pid 1)
    flows_after=$(tb hv 1 ovs-ofctl -O OpenFlow15 --no-names dump-flows --no-stats br-int | sort | md5sum)
    say "    hv1: agent CPU $(cpu_ms "$pid") ms since its start, RSS $(rss_mb "$pid") MB (peak $(awk '/^VmHWM:/ { printf "%.1f", $2 / 1024 }' "/proc/$pid/status") MB)"
    grep -h 'Unreasonably long' "$(hv_dir 1)/roam-agent.log" | tail -n 1 | sed 's/^/    agent log: /'

    say "    hv1 memory/show: $(memory_show 1)"
    result restart.cpu "$(cpu_ms "$pid")"
    result restart.rss "$(rss_mb "$pid")"
    if [ "$flows_before" = "$flows_after" ]; then
        say "    the switch's flows are the same after the restart as before"
        result restart.flows_same 1
    else
        say "    warning: the switch's flows differ from those before the restart"
        result restart.flows_same 0
    fi
}

bench_scenarios() {
    scenario_chassis
    scenario_ports
    scenario_idle
    scenario_plug
    scenario_restart
}

# --------------------------------------------------------------------------
# The measuring half.

write_bench_py() {
    {
        cat <<'BENCH_PY'
#!/usr/bin/env python3
# The measuring half of bench-scale.sh (which writes this file and runs
# it).  Subcommands:
#   load-chassis ...   N fake chassis with a Geneve encap each
#   load-ports ...     ports in networks of their own, bound round-robin
#   wait-up ...        prints when a Port's "up" became true
#   summary RESULTS    the final table
BENCH_PY
        bench_py_common
        cat <<'BENCH_PY'


def load_chassis(a):
    db = Ovsdb(a.db)
    for first in range(0, a.count, 250):
        ops = []
        for i in range(first, min(a.count, first + 250)):
            ops.append({"op": "insert", "table": "Encap", "uuid-name": "e%d" % i,
                        "row": {"type": "geneve", "ip": "2001:db8:ff::%x" % (i + 1),
                                "chassis_name": "fake%d" % i}})
            ops.append({"op": "insert", "table": "Chassis",
                        "row": {"name": "fake%d" % i, "hostname": "fake%d" % i,
                                "encaps": ["named-uuid", "e%d" % i]}})
        db.transact("Roam", ops)


def load_ports(a):
    """Network sN (VNI 100000 + N) gets ports sN-J, MAC 02:00:NN:NN:JJ:JJ,
    address 2001:db8:N+1::J+1/64 (documentation range), bound to fake chassis
    in turn."""
    db = Ovsdb(a.db)
    rows = db.select("Roam", "Chassis", [],
                     ["_uuid", "name"])
    fake = {r["name"]: r["_uuid"] for r in rows}
    k = 0
    for n in range(a.networks):
        per = a.ports // a.networks + (1 if n < a.ports % a.networks else 0)
        ops = [{"op": "insert", "table": "Network", "uuid-name": "net",
                "row": {"name": "s%d" % n, "tunnel_key": 100000 + n}}]
        for j in range(per):
            ops.append({"op": "insert", "table": "Port", "row": {
                "name": "s%d-%d" % (n, j), "network": ["named-uuid", "net"],
                "mac": "02:00:%02x:%02x:%02x:%02x" % (n >> 8, n & 255, j >> 8, j & 255),
                "ips": "2001:db8:%x::%x/64" % (n + 1, j + 1), "tunnel_key": j + 1,
                "chassis": fake["fake%d" % (k % a.chassis)]}})
            k += 1
        db.transact("Roam", ops)


def wait_up(a):
    """Prints when PORT's "up" became true, as the monitor update that says
    so was read.  Writes READY once the monitor is in place: its initial
    contents (every Port's name and up) are read before, not during, the
    measured interval."""
    seen = {}
    cv = threading.Condition()

    def cb(updates, t):
        with cv:
            for _, row, _ in apply_updates(rows, updates, "Port"):
                if row.get("name") == a.port and row.get("up") is True:
                    seen.setdefault("t", t)
            cv.notify_all()
    rows = {}
    db = Ovsdb(a.db)
    db.monitor("Roam", ["up"], {"Port": {"columns": ["name", "up"]}}, cb,
               initial=False)
    open(a.ready, "w").close()
    deadline = now() + a.timeout
    with cv:
        while "t" not in seen and now() < deadline:
            cv.wait(0.1)
    if "t" not in seen:
        raise SystemExit("bench.py: %s not up after %d s" % (a.port, a.timeout))
    print("%.6f" % seen["t"], flush=True)


def summary(a):
    r = read_results(a.results)

    def row(label, key, unit="ms", digits=1, scale=1.0):
        v = [x * scale for x in r.get(key, [])]
        log("%-58s %s" % (label, fmt_stats(v, unit, digits)))
    log("%-58s %s" % ("(min / median / max; per agent unless said otherwise)", ""))
    row("chassis: every hv has every tunnel (once)", "chassis.tunnels_s", "s", 2, 1e-6)
    row("chassis: agent CPU", "chassis.cpu", "ms", 0)
    row("chassis: agent RSS", "chassis.rss", "MB", 1)
    row("chassis: ovs-vswitchd RSS", "chassis.vswitchd_rss", "MB", 1)
    row("ports: every agent acknowledged (once)", "ports.ack_s", "s", 2, 1e-6)
    row("ports: agent CPU", "ports.cpu", "ms", 0)
    row("ports: agent RSS", "ports.rss", "MB", 1)
    row("idle: agent CPU", "idle.cpu", "ms", 0)
    row("plug: vm-add started -> Port up (see the note)", "plug.up", "ms", 0)
    row("plug: vm-add's own duration", "plug.vm_add", "ms", 0)
    row("plug: agent CPU", "plug.cpu", "ms", 0)
    row("plug: flows added", "plug.flows", "", 0)
    row("restart: SYNCED after the start (once)", "restart.synced_s", "s", 2, 1e-6)
    row("restart: nb_cfg acknowledged after the start (once)", "restart.ack_s", "s", 2, 1e-6)
    row("restart: agent CPU from its start", "restart.cpu", "ms", 0)
    row("restart: agent RSS after it", "restart.rss", "MB", 1)
    row("restart: flow changes from the stop to the acknowledgement",
        "restart.flow_changes", "", 0)
    same = r.get("restart.flows_same", [])
    log("%-58s %s" % ("restart: switch flows the same after as before",
                      "-" if not same else ("yes" if same[0] else "NO")))
    log("note: vm-add makes the VM's namespace and veth before it plugs the "
        "veth into br-int,\nand goes on after; the time to \"up\" is "
        "an upper bound of the plug's.")


def main():
    p = argparse.ArgumentParser(prog="bench.py")
    sub = p.add_subparsers(required=True)
    s = sub.add_parser("load-chassis")
    s.add_argument("--db", required=True)
    s.add_argument("--count", type=int, required=True)
    s.set_defaults(fn=load_chassis)
    s = sub.add_parser("load-ports")
    s.add_argument("--db", required=True)
    s.add_argument("--networks", type=int, required=True)
    s.add_argument("--ports", type=int, required=True)
    s.add_argument("--chassis", type=int, required=True)
    s.set_defaults(fn=load_ports)
    s = sub.add_parser("wait-up")
    s.add_argument("--db", required=True)
    s.add_argument("--port", required=True)
    s.add_argument("--ready", required=True)
    s.add_argument("--timeout", type=int, default=60)
    s.set_defaults(fn=wait_up)
    s = sub.add_parser("summary")
    s.add_argument("results")
    s.set_defaults(fn=summary)
    run_main(p)


if __name__ == "__main__":
    main()
BENCH_PY
    } > "$1"
}

bench_main "bench-scale: $CHASSIS chassis, $PORTS ports in $NETWORKS networks, $HVS hypervisors; dir $BENCH_DIR"
heading "Summary"
bench summary "$BENCH_DIR/results-roam.txt"
say "total time $(elapsed) s"
