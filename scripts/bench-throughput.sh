#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# bench-throughput.sh: throughput and latency through Roam's pipeline
# against a plain OVS bridge (DESIGN section 7), on the same testbed shape.
# Prints numbers; asserts nothing.  Exits non-zero only if the benchmark
# itself could not run.
#
# Two deployments, each on a netns testbed of its own (userspace datapath,
# as everywhere on the testbed), both up at once and measured in turn, run
# by run, so that neither gets the quieter minutes of the machine:
#   roam    roam-testbed with its agents: VMs t1 and t2 on hv1, t3 on hv2,
#           ports of one network; the agents' pipeline and Geneve tunnels.
#   plain   "roam-testbed --no-agent": the same VMs on the same br-int, but
#           one flow, "actions=NORMAL" (MAC learning), and one Geneve port
#           between hv1 and hv2 with a fixed key: what OVS does with no
#           overlay agent at all.
# The VMs' MTU is 1400 in both, so that a full-sized frame fits into the
# underlay's 1500 with the Geneve headers (as a cloud's DHCP would set it).
#
# For each, --runs times: TCP throughput from t1 to t2 (same hypervisor)
# and from t1 to t3 (across the tunnel), iperf3 for --seconds s, one
# stream; and the round trip of 200 pings 5 ms apart, t1 to t2 and t1 to
# t3.  iperf3 is installed with apt-get if missing.  Then Roam/plain
# ratios.  The throughput of a 2-CPU machine running three hypervisors'
# switches, all in userspace, is not a data centre's: the ratio is the
# point.
#
# Usage: run as root with ROAM_SRCDIR and ROAM_BUILDDIR set (or from a
# built tree), e.g.
#     ROAM_SRCDIR=/work/main ROAM_BUILDDIR=/tmp/build sudo -E \
#         scripts/bench-throughput.sh [--runs N] [--seconds S]
# The parts it shares with the other benchmarks are in bench-lib.sh, next
# to it.

set -u
set -o pipefail

PROG=bench-throughput
PREFIX=bt$$
# shellcheck source=scripts/bench-lib.sh
. "$(dirname "$(readlink -f "$0")")/bench-lib.sh"

RUNS=5
HVS=2
BENCH_DIR=${ROAM_BENCH_DIR:-/tmp/roam-bench-throughput}
SCENARIOS="tcp ping"
SECONDS_PER_RUN=5
VM_MTU=1400
PLAIN_KEY=7

usage() {
    cat <<EOF
usage: $PROG [OPTION...]

Throughput and latency between VMs through Roam's pipeline and through a
plain OVS bridge (actions=NORMAL), on the netns testbed.

  --runs N            repetitions of each measurement (default $RUNS)
  --seconds S         length of each iperf3 run (default $SECONDS_PER_RUN)
  --hold SECS         keep each testbed up SECS s after its measurements
  --dir DIR           working directory (default $BENCH_DIR, or
                      \$ROAM_BENCH_DIR); testbed logs stay there
  -h, --help          this help

Needs root, Open vSwitch 3.1, python3, a built Roam, and iperf3 (installed
with apt-get if missing).
EOF
}

bench_option() {
    case $1 in
        --seconds) SECONDS_PER_RUN=$2 ;;
        *) return 1 ;;
    esac
}

bench_parse_options "$@"
[ "$VS_OVN" = 0 ] && [ -z "$BACKENDS" ] \
    || die "this benchmark always compares Roam with a plain OVS bridge (no --vs-ovn, no --backends)"
bench_check_options 1
# bench-lib.sh runs one backend at a time; "both" starts the two testbeds,
# and the measurements switch between them (use_backend).
BACKENDS=both
[ "$SCENARIOS" = "tcp ping" ] || die "--scenarios: this benchmark always measures tcp and ping"
[[ $SECONDS_PER_RUN =~ ^[0-9]+$ ]] && ((SECONDS_PER_RUN >= 1 && SECONDS_PER_RUN <= 60)) \
    || die "--seconds: 1 to 60"
bench_check_host
bench_init

if ! command -v iperf3 >/dev/null; then
    t=$(now_us)
    say "installing iperf3 (apt-get)"
    apt_install iperf3 || die "cannot install iperf3"
    say "installed $(iperf3 --version | head -n 1) ($(since "$t"))"
fi

# --------------------------------------------------------------------------
# The two deployments.

# use_backend B: the commands that follow act on B's testbed.
use_backend() { BE=$1 TB_DIR=$BENCH_DIR/$1 TB_PREFIX=$PREFIX${1:0:1}; }
both_start() {
    use_backend roam
    roam_start
    use_backend plain
    plain_start
}
both_stop_all() {
    use_backend roam
    tb_stop
    use_backend plain
    tb_stop
}

plain_start() {
    local t
    t=$(now_us)
    tb_start plain --no-agent || die "the plain testbed did not start"
    say "plain testbed up: $HVS hypervisors, no agent, prefix $TB_PREFIX, dir $TB_DIR ($(since "$t"))"
}
plain_stop_all() { tb_stop; }
plain_net_add() { :; }
plain_port_add() { :; }
# plain_switch K PEER: br-int of hv K forwards by MAC learning, with a
# Geneve port to hv PEER.
plain_switch() {
    tb hv "$1" ovs-ofctl del-flows br-int || return 1
    tb hv "$1" ovs-ofctl add-flow br-int priority=0,actions=NORMAL || return 1
    hv_vsctl "$1" add-port br-int plain-gnv -- set Interface plain-gnv type=geneve \
        options:remote_ip="$(hv_ip "$2")" options:key=$PLAIN_KEY
}

VMS=(t1:1:198.51.100.11 t2:1:198.51.100.12 t3:2:198.51.100.13)
vm_mac() { printf '00:00:5e:00:53:%02x' $((0x20 + ${1#t})); }

bench_setup() {
    use_backend roam
    backend_setup
    use_backend plain
    backend_setup
    BE=both             # For run_backend's messages and stop_all.
}

# backend_setup: the VMs of $BE, and its switches.
backend_setup() {
    local spec name hv ip
    be net_add blue 101 >/dev/null || die "net blue"
    for spec in "${VMS[@]}"; do
        IFS=: read -r name hv ip <<<"$spec"
        vm_add "$name" "$hv" blue "$(vm_mac "$name")" "$ip"
        tb vm "$name" ip link set eth0 mtu $VM_MTU || die "$name: MTU"
    done
    if [ "$BE" = plain ]; then
        plain_switch 1 2 || die "hv1's plain switch"
        plain_switch 2 1 || die "hv2's plain switch"
    else
        for spec in "${VMS[@]}"; do
            poll 20 be port_up "${spec%%:*}" || die "port ${spec%%:*} did not come up"
        done
    fi
    poll 20 ping_ok t1 198.51.100.12 || die "t1 cannot ping t2"
    poll 20 ping_ok t1 198.51.100.13 || die "t1 cannot ping t3"
    # A full-sized frame gets through, across the tunnel too.
    tb vm t1 ping -c 1 -W 2 -M "do" -s $((VM_MTU - 28)) 198.51.100.13 >/dev/null \
        || die "t1 cannot reach t3 with $VM_MTU-byte packets"
    say "$BE: t1, t2 on hv1, t3 on hv2, MTU $VM_MTU; both paths work"
}

# --------------------------------------------------------------------------
# Measurements.

# server_listening VM: something listens on TCP port 5201 in VM.
server_listening() {
    ip netns exec "$(vm_ns "$1")" ss -Hltn 'sport = :5201' | grep -q .
}
# tcp_run FROM TO TO_IP LABEL: one iperf3 run; records Gbit/s as LABEL.
tcp_run() {
    local out=$BENCH_DIR/iperf3.json err=$BENCH_DIR/iperf3-client.err srv gbps
    bg ip netns exec "$(vm_ns "$2")" iperf3 -s -1 -p 5201 > "$BENCH_DIR/iperf3-server.log" 2>&1
    srv=$BG_PID
    poll 10 server_listening "$2" || { stop_bg "$srv"; die "$BE: iperf3 -s in $2 did not start"; }
    if ! run_long ip netns exec "$(vm_ns "$1")" iperf3 -c "$3" -p 5201 \
            -t "$SECONDS_PER_RUN" -J > "$out" 2> "$err"; then
        stop_bg "$srv"
        say "    warning: $BE: iperf3 $1 -> $2 failed: $(head -c 300 "$err") $(head -c 300 "$out")"
        return 0
    fi
    poll 5 proc_done "$srv"
    stop_bg "$srv"
    gbps=$(python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print("%.3f" % (r["end"]["sum_received"]["bits_per_second"] / 1e9))' "$out") \
        || { say "    warning: $BE: no result in $out"; return 0; }
    say "    $BE $4: $1 -> $2: $gbps Gbit/s"
    result "$BE.$4" "$gbps"
}

# ping_run FROM TO_IP LABEL: 200 pings 5 ms apart; records the average
# round trip (ms) as LABEL and the loss as LABEL.lost.
ping_run() {
    local out avg lost
    out=$(tb vm "$1" ping -q -c 200 -i 0.005 "$2" 2>&1)
    avg=$(sed -n 's|^rtt .* = [0-9.]*/\([0-9.]*\)/.*|\1|p' <<<"$out")
    lost=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
    [ -n "$avg" ] || { say "    warning: $BE: ping $1 -> $2: $out"; return 0; }
    say "    $BE $3: $1 -> $2: average round trip $avg ms, $((200 - ${lost:-0})) of 200 lost"
    result "$BE.$3" "$avg"
    result "$BE.$3.lost" $((200 - ${lost:-0}))
}

bench_scenarios() {
    local run b
    heading "TCP, one stream, $SECONDS_PER_RUN s, $RUNS runs, Roam and plain in turn"
    for ((run = 1; run <= RUNS; run++)); do
        for b in roam plain; do
            use_backend "$b"
            tcp_run t1 t2 198.51.100.12 tcp.same
            tcp_run t1 t3 198.51.100.13 tcp.tunnel
        done
    done
    heading "ping, 200 at 5 ms, $RUNS runs, Roam and plain in turn"
    for ((run = 1; run <= RUNS; run++)); do
        for b in roam plain; do
            use_backend "$b"
            ping_run t1 198.51.100.12 ping.same
            ping_run t1 198.51.100.13 ping.tunnel
        done
    done
    BE=both
}

# --------------------------------------------------------------------------
# The summary.

write_bench_py() {
    {
        cat <<'BENCH_PY'
#!/usr/bin/env python3
# The summary of bench-throughput.sh (which writes this file and runs it):
#   summary RESULTS
BENCH_PY
        bench_py_common
        cat <<'BENCH_PY'


def summary(a):
    r = read_results(a.results)
    rows = [("TCP, same hypervisor", "tcp.same", "Gbit/s", 2),
            ("TCP, across a Geneve tunnel", "tcp.tunnel", "Gbit/s", 2),
            ("ping round trip, same hypervisor", "ping.same", "ms", 3),
            ("ping round trip, across a Geneve tunnel", "ping.tunnel", "ms", 3)]
    log("%-42s %-34s %-34s %s" % ("(min / median / max, runs)", "Roam",
                                   "plain OVS (NORMAL)", "Roam/plain (medians)"))
    for label, key, unit, digits in rows:
        ro, pl = r.get("roam." + key, []), r.get("plain." + key, [])
        ratio = ("%.2f" % (statistics.median(ro) / statistics.median(pl))
                 if ro and pl and statistics.median(pl) else "-")
        log("%-42s %-34s %-34s %s" % (
            label, "%s, %d" % (fmt_stats(ro, unit, digits), len(ro)),
            "%s, %d" % (fmt_stats(pl, unit, digits), len(pl)), ratio))
    for key in ("ping.same.lost", "ping.tunnel.lost"):
        for b in ("roam", "plain"):
            lost = int(sum(r.get(b + "." + key, [])))
            if lost:
                log("warning: %s: %d pings lost (%s)" % (b, lost, key))


def main():
    p = argparse.ArgumentParser(prog="bench.py")
    sub = p.add_subparsers(required=True)
    s = sub.add_parser("summary")
    s.add_argument("results")
    s.set_defaults(fn=summary)
    run_main(p)


if __name__ == "__main__":
    main()
BENCH_PY
    } > "$1"
}

bench_main "bench-throughput: $RUNS runs of $SECONDS_PER_RUN s, Roam and a plain OVS bridge; dir $BENCH_DIR"
heading "Summary"
bench summary "$BENCH_DIR/results-both.txt"
say "total time $(elapsed) s"
