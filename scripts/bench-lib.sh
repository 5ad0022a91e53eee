# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# bench-lib.sh: what the benchmarks (bench-datapath.sh, bench-migration.sh,
# bench-scale.sh, bench-throughput.sh) share; they source it from the
# directory they are in.  It provides the options every benchmark has, output with time stamps, background
# processes and the cleanup at exit, the testbed instance of the backend
# being measured, the two backends' common half (Roam on the testbed; OVN's
# databases, ovn-northd and ovn-controllers on a testbed without agents),
# the run of one backend, and the common half of the Python measuring
# program (bench_py_common).
#
# The script sets PROG (its name, for messages) and PREFIX (the prefix of
# its testbeds' namespaces) and its defaults of RUNS, SCENARIOS, BENCH_DIR
# and HVS, and defines:
#   usage                   its --help
#   bench_option OPT VALUE  its own options that take a value; returns 1
#                           for one it does not know
#   bench_setup             the networks and VMs of a backend just started
#   bench_scenarios         its scenarios, on the backend $BE
#   write_bench_py FILE     its measuring half, with bench_py_common in it
# and then calls, in this order: bench_parse_options "$@",
# bench_check_options MIN_RUNS, bench_check_host TOOL..., bench_init,
# bench_main HEADLINE, and prints its summary.

# shellcheck shell=bash
# The scripts read the variables set here, which shellcheck cannot see.
# shellcheck disable=SC2034

top=$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd)
export ROAM_SRCDIR=${ROAM_SRCDIR:-$top}
export ROAM_BUILDDIR=${ROAM_BUILDDIR:-$ROAM_SRCDIR}
TESTBED=$ROAM_SRCDIR/scripts/roam-testbed

VS_OVN=0
BACKENDS=
HOLD=0

die() { printf '%s: %s\n' "$PROG" "$*" >&2; exit 1; }

# --------------------------------------------------------------------------
# Options.

# bench_parse_options ARGS...: parses the command line.  The options every
# benchmark has are handled here, the script's own ones (all of them take
# a value, as "--opt VALUE" or "--opt=VALUE") by its bench_option.
bench_parse_options() {
    local arg opt val
    while [ $# -gt 0 ]; do
        arg=$1
        shift
        case $arg in
            -h | --help) usage; exit 0 ;;
            --vs-ovn) VS_OVN=1; continue ;;
            --*=*) opt=${arg%%=*} val=${arg#*=} ;;
            --*) opt=$arg val=${1:-}; [ $# -gt 0 ] && shift ;;
            *) die "unknown option \"$arg\" (see --help)" ;;
        esac
        case $opt in
            --runs) RUNS=$val ;;
            --backends) BACKENDS=$val ;;
            --scenarios) SCENARIOS=$val ;;
            --hold) HOLD=$val ;;
            --dir) BENCH_DIR=$val ;;
            *) bench_option "$opt" "$val" || die "unknown option \"$arg\" (see --help)" ;;
        esac
    done
}

# bench_check_options MIN_RUNS: checks the common options; settles BACKENDS
# and makes BENCH_DIR absolute.
bench_check_options() {
    local b
    [[ $RUNS =~ ^[0-9]+$ ]] && ((RUNS >= $1)) || die "--runs: a number, at least $1"
    [[ $HOLD =~ ^[0-9]+$ ]] || die "--hold: seconds"
    if [ -z "$BACKENDS" ]; then
        BACKENDS=roam
        [ "$VS_OVN" = 1 ] && BACKENDS="roam ovn"
    fi
    for b in $BACKENDS; do
        case $b in roam | ovn) ;; *) die "--backends: roam and/or ovn, not \"$b\"" ;; esac
    done
    case $BENCH_DIR in /* ) ;; *) BENCH_DIR=$PWD/$BENCH_DIR ;; esac
    [ "$BENCH_DIR" != / ] || die "refusing to use / as the working directory"
}

# bench_check_host TOOL...: root, the tools every benchmark needs and TOOL...,
# the testbed, and a built Roam.
bench_check_host() {
    local t
    [ "$(id -u)" = 0 ] || die "must run as root (the testbed creates network namespaces)"
    for t in ovsdb-server ovs-vswitchd ovs-vsctl ip ethtool python3 ping "$@"; do
        command -v "$t" >/dev/null || die "$t not found"
    done
    [ -x "$TESTBED" ] || die "$TESTBED not found (set ROAM_SRCDIR)"
    [ -x "$ROAM_BUILDDIR/agent/roam-agent" ] \
        || die "$ROAM_BUILDDIR/agent/roam-agent not found (set ROAM_BUILDDIR to a built tree)"
    [ -x "$ROAM_BUILDDIR/ctl/roam-ctl" ] || die "$ROAM_BUILDDIR/ctl/roam-ctl not found"
}

# --------------------------------------------------------------------------
# Output and time.

now_us() { local t=${EPOCHREALTIME//[!0-9]/}; echo "$((10#$t))"; }
T0=$(now_us)
# elapsed: seconds since the start, "123.4".
elapsed() { local d=$(($(now_us) - T0)); printf '%d.%d' $((d / 1000000)) $((d % 1000000 / 100000)); }
since() { local d=$(($(now_us) - $1)); printf '%d.%02d s' $((d / 1000000)) $((d % 1000000 / 10000)); }
say() { printf '[%6ss] %s\n' "$(elapsed)" "$*"; }
heading() { printf '\n[%6ss] === %s\n' "$(elapsed)" "$*"; }
indent() { sed 's/^/    /'; }
# ms_between T1 T2: T2 - T1 (epoch seconds with decimals) in ms, "12.345".
ms_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", (b - a) * 1000 }'; }

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

BE=                     # backend being measured: roam or ovn
TB_DIR=
TB_PREFIX=
RESULTS=
bg_pids=()              # background processes to stop at exit
tb_dirs=()              # testbed instances to stop at exit
ovn_dirs=()             # OVN control planes to stop at exit
made_policy_rc=         # apt_install's policy-rc.d, to remove at exit
extra_ns=()             # namespaces created by hand (VMs being plugged)

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

# proc_done PID: PID has exited (a zombie counts).
proc_done() {
    ! kill -0 "$1" 2>/dev/null || grep -q '^State:.*Z' "/proc/$1/status" 2>/dev/null
}

# proc_stop PID SIG TRIES: sends SIG to PID, waits up to TRIES times
# 0.05 s for it to exit, then sends SIGKILL.
proc_stop() {
    local pid=$1 i
    kill -s "$2" "$pid" 2>/dev/null
    for ((i = 0; i < $3; i++)); do
        proc_done "$pid" && return 0
        sleep 0.05
    done
    proc_done "$pid" || kill -9 "$pid" 2>/dev/null
}

# stop_bg PID [SIG]: sends SIG (default TERM) to our background process PID,
# waits up to 3 s, then SIGKILL; forgets it.
stop_bg() {
    proc_stop "$1" "${2:-TERM}" 60
    reap "$1"
}

# stop_pidfile FILE NAME: stops the process in FILE if its command line
# names NAME.
stop_pidfile() {
    local pid
    [ -f "$1" ] || return 0
    read -r pid < "$1" 2>/dev/null || return 0
    [[ $pid =~ ^[0-9]+$ ]] || return 0
    tr '\0' ' ' < "/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2" || { rm -f "$1"; return 0; }
    proc_stop "$pid" TERM 100
    rm -f "$1"
}

cleanup() {
    local rc=$? pid d ns
    trap - EXIT INT TERM
    for pid in "${bg_pids[@]}"; do
        kill "$pid" 2>/dev/null
    done
    for pid in "${bg_pids[@]}"; do
        wait "$pid" 2>/dev/null
    done
    for ns in "${extra_ns[@]}"; do
        [ -e "/run/netns/$ns" ] && ip netns del "$ns" 2>/dev/null
    done
    for d in "${ovn_dirs[@]}"; do
        ovn_stop "$d"
    done
    [ -n "$made_policy_rc" ] && rm -f "$made_policy_rc"
    for d in "${tb_dirs[@]}"; do
        if [ -f "$d/testbed.conf" ]; then
            say "stopping the testbed in $d"
            "$TESTBED" --dir "$d" stop 2>&1 | tail -n 1 | indent
        fi
    done
    [ "$rc" = 0 ] || say "exiting with status $rc"
    exit "$rc"
}

# bench_init: from now on an exit stops what the benchmark started; makes
# the working directory.
bench_init() {
    trap cleanup EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    mkdir -p "$BENCH_DIR" || die "cannot create $BENCH_DIR"
    BENCH_PY=$BENCH_DIR/bench.py
}

bench() { python3 "$BENCH_PY" "$@"; }
# run_long CMD...: CMD in the background and waited for, so that a signal
# to this script interrupts the wait and its cleanup stops CMD.
run_long() {
    local pid rc
    "$@" &
    pid=$!
    bg_pids+=("$pid")
    wait "$pid"
    rc=$?
    reap "$pid"
    return "$rc"
}
# bench_long ARGS...: bench, as run_long.
bench_long() { run_long python3 "$BENCH_PY" "$@"; }
# result KEY VALUE: one measurement, for the summary.
result() { echo "$1 $2" >> "$RESULTS"; }

# --------------------------------------------------------------------------
# The testbed instance of the backend being measured.

tb() { "$TESTBED" --dir "$TB_DIR" --prefix "$TB_PREFIX" "$@"; }
hv_dir() { echo "$TB_DIR/hv$1"; }
hv_ns() { echo "$TB_PREFIX-hv$1"; }
hv_ip() { echo "192.0.2.$((10 + $1))"; }
vm_ns() { echo "$TB_PREFIX-vm-$1"; }
hv_vsctl() {
    local k=$1; shift
    OVS_RUNDIR=$(hv_dir "$k") ovs-vsctl --db="unix:$(hv_dir "$k")/db.sock" --timeout=30 "$@"
}

# tb_start NAME [ARG...]: a fresh testbed instance for backend NAME in
# DIR/NAME, its namespaces named PREFIX + NAME's first letter ("roam-testbed
# start --hypervisors HVS ARG..."), stopped at exit.
tb_start() {
    local name=$1
    shift
    TB_DIR=$BENCH_DIR/$name TB_PREFIX=$PREFIX${name:0:1}
    [ -f "$TB_DIR/testbed.conf" ] && "$TESTBED" --dir "$TB_DIR" stop >/dev/null 2>&1
    rm -rf "$TB_DIR"
    tb_dirs+=("$TB_DIR")
    tb start --hypervisors "$HVS" "$@" > "$BENCH_DIR/$name-start.log" 2>&1 \
        || { indent < "$BENCH_DIR/$name-start.log"; return 1; }
}

# tb_stop: stops the current testbed instance (no longer the trap's job).
tb_stop() {
    local d keep=()
    "$TESTBED" --dir "$TB_DIR" stop > "$BENCH_DIR/$BE-stop.log" 2>&1 \
        || say "warning: stopping the testbed in $TB_DIR failed (see $BENCH_DIR/$BE-stop.log)"
    for d in "${tb_dirs[@]}"; do
        [ "$d" = "$TB_DIR" ] || keep+=("$d")
    done
    tb_dirs=("${keep[@]}")
}

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

# --------------------------------------------------------------------------
# Backends: "be FUNC ARG..." calls the backend's FUNC.  Both provide here:
# start, stop_all, net_add NET KEY, port_add NET PORT MAC IP/PLEN, port_up
# PORT, fake_chassis NAME IP, synced K; the scripts add what their
# scenarios need.

be() { local f=$1; shift; "${BE}_$f" "$@"; }

roam_start() {
    local t
    t=$(now_us)
    tb_start roam || die "the Roam testbed did not start"
    roam_chassis_up() {
        [ "$(tb ctl --bare --columns=name list Chassis | grep -c .)" -ge "$HVS" ]
    }
    poll 20 roam_chassis_up || die "the $HVS chassis did not register"
    say "Roam testbed up: $HVS hypervisors, prefix $TB_PREFIX, dir $TB_DIR ($(since "$t"))"
}
# roam_monitor_all true|false: roam-monitor-all on every hypervisor, once
# each agent has it in effect.
roam_monitor_all() {
    local k want='(every Port)'
    [ "$1" = false ] && want='roam-monitor-all=false: .*in effect'
    for ((k = 1; k <= HVS; k++)); do
        hv_vsctl "$k" set Open_vSwitch . external_ids:roam-monitor-all="$1" \
            || die "hv$k: roam-monitor-all"
        # shellcheck disable=SC2016
        poll 10 eval 'tb hv "$k" ovs-appctl -t roam-agent status 2>/dev/null \
            | grep -q "^ports replicated: .*$want"' \
            || die "hv$k: roam-monitor-all=$1 not in effect"
    done
}
roam_stop_all() { tb_stop; }
roam_db() { echo "unix:$TB_DIR/central/roam.sock"; }
roam_net_add() { tb ctl net-add "$1" "$2"; }
roam_port_add() { tb ctl port-add "$1" "$2" "$3" "$4"; }
roam_port_up() { [ "$(tb ctl get Port "$1" up 2>/dev/null)" = true ]; }
roam_fake_chassis() {
    tb ctl -- --id=@e create Encap type=geneve ip="$2" chassis_name="$1" \
        -- create Chassis name="$1" hostname="$1" encaps=@e >/dev/null
}
roam_synced() {
    tb hv "$1" ovs-appctl -t roam-agent status 2>/dev/null | grep -q "state: SYNCED"
}

# OVN: the same testbed shape with "roam-testbed start --no-agent", plus
# OVN's northbound and southbound ovsdb-servers and ovn-northd in the root
# namespace (unix sockets in DIR/ovn) and an ovn-controller in every
# hypervisor namespace.  OVN runs with its defaults (conditional
# monitoring, no wait before clearing flows).

OVN_NB_SCHEMA=/usr/share/ovn/ovn-nb.ovsschema
OVN_SB_SCHEMA=/usr/share/ovn/ovn-sb.ovsschema

# apt_install PACKAGE...: installs the Debian packages with apt-get (an
# "apt-get update" first if that fails), without starting their services
# (the benchmarks run their own daemons) or asking questions.
apt_install() {
    local policy=/usr/sbin/policy-rc.d rc
    if [ ! -e "$policy" ]; then
        made_policy_rc=$policy
        printf '#!/bin/sh\nexit 101\n' > "$policy" && chmod +x "$policy"
    fi
    if ! DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            "$@" > "$BENCH_DIR/apt.log" 2>&1; then
        apt-get update > "$BENCH_DIR/apt-update.log" 2>&1
        DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
            "$@" > "$BENCH_DIR/apt.log" 2>&1
    fi
    rc=$?
    [ -n "$made_policy_rc" ] && rm -f "$made_policy_rc" && made_policy_rc=
    [ "$rc" = 0 ] || { tail -n 5 "$BENCH_DIR/apt.log" | indent; return 1; }
}

ovn_install() {
    local t missing=0 c
    for c in ovn-northd ovn-controller ovn-nbctl ovn-sbctl; do
        command -v "$c" >/dev/null || missing=1
    done
    [ -f "$OVN_NB_SCHEMA" ] && [ -f "$OVN_SB_SCHEMA" ] || missing=1
    [ "$missing" = 0 ] && return 0
    t=$(now_us)
    say "installing ovn-central and ovn-host (apt-get)"
    apt_install ovn-central ovn-host || return 1
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
    # Its control socket is ovn-controller.PID.ctl in OVS_RUNDIR.
    OVS_RUNDIR=$(hv_dir "$k") ovs-appctl --timeout=10 -t ovn-controller "$@"
}

ovn_start() {
    local t k d
    ovn_install || die "could not install OVN"
    t=$(now_us)
    tb_start ovn --no-agent || die "the OVN testbed did not start"
    ovn_dirs+=("$TB_DIR")
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
ovn_port_add() {  # NET PORT MAC IP/PLEN
    nbctl lsp-add "$1" "$2" -- lsp-set-addresses "$2" "$3 ${4%/*}"
}
ovn_port_up() { [ "$(nbctl get Logical_Switch_Port "$1" up 2>/dev/null)" = true ]; }
ovn_fake_chassis() { sbctl chassis-add "$1" geneve "$2"; }
ovn_synced() {
    [ "$(ovn_controller_ctl "$1" connection-status 2>/dev/null)" = connected ]
}

# --------------------------------------------------------------------------
# One backend, and the whole run.

# run_backend BE: starts BE's testbed, runs the script's bench_setup and
# bench_scenarios on it, holds it if asked to, and stops it.
run_backend() {
    local t pid d
    BE=$1
    RESULTS=$BENCH_DIR/results-$BE.txt
    rm -f "$RESULTS"
    t=$(now_us)
    heading "$BE: starting"
    be start
    bench_setup
    bench_scenarios
    if [ "$HOLD" -gt 0 ]; then
        # Every testbed of the run (bench-throughput.sh has two at once).
        for d in "${tb_dirs[@]}"; do
            say "holding the testbed for $HOLD s: $TESTBED --dir $d status"
        done
        sleep "$HOLD" & wait $!
    fi
    heading "$BE: done ($(since "$t")); stopping"
    for pid in "${bg_pids[@]}"; do
        stop_bg "$pid"
    done
    be stop_all
}

# bench_main HEADLINE: writes the measuring half, prints HEADLINE and what
# is measured on what, and runs every backend.
bench_main() {
    local b
    write_bench_py "$BENCH_PY" || die "cannot write $BENCH_PY"
    say "$1"
    say "roam-agent: $("$ROAM_BUILDDIR/agent/roam-agent" --version 2>/dev/null | head -n 1) ($ROAM_BUILDDIR); source $(git -C "$ROAM_SRCDIR" describe --always --dirty 2>/dev/null || echo "?")"
    say "host: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    rm -f "$BENCH_DIR"/results-*.txt
    for b in $BACKENDS; do
        run_backend "$b"
    done
}

# --------------------------------------------------------------------------
# The common half of the measuring program, in Python 3.

# bench_py_common [MODULE...]: the imports (the common half's and MODULE...)
# and the common half, which the scripts' write_bench_py put after their
# program's header comment.
bench_py_common() {
    printf '%s\n' argparse codecs json os re signal socket statistics subprocess sys \
        threading time "$@" | sort -u | sed 's/^/import /'
    cat <<'BENCH_PY'


def now():
    return time.time()


def ms(seconds):
    return seconds * 1000.0


def log(*args):
    print(*args, flush=True)


# ---------------------------------------------------------------------------
# A minimal OVSDB JSON-RPC client: transact and monitor over one connection,
# so that a measured interval starts when the transaction is sent, not when
# a command-line tool has started up and fetched the schema.  Replies and
# updates are stamped with the time the read that completed them returned.

class Ovsdb:
    def __init__(self, remote):
        if not remote.startswith("unix:"):
            raise SystemExit("bench.py: only unix: remotes (%s)" % remote)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.connect(remote[5:])
        self.wlock = threading.Lock()
        self.cv = threading.Condition()
        self.replies = {}
        self.next_id = 1
        self.update_cbs = {}
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
            mon_id, updates = obj["params"]
            cb = self.update_cbs.get(json.dumps(mon_id))
            if cb:
                cb(updates, t)
        elif method is None:
            with self.cv:
                self.replies[obj["id"]] = (t, obj)
                self.cv.notify_all()

    def call(self, method, params, timeout=120):
        """Returns (time the reply arrived, result)."""
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
            t, reply = self.replies.pop(rid)
        if reply.get("error"):
            raise SystemExit("bench.py: OVSDB %s failed: %s" % (method, reply["error"]))
        return t, reply["result"]

    def transact(self, db, ops, timeout=120):
        """Returns (time the reply arrived, results)."""
        t, result = self.call("transact", [db] + ops, timeout)
        for i, r in enumerate(result):
            if r is not None and "error" in r:
                raise SystemExit("bench.py: transaction failed at op %d: %s"
                                 % (i, json.dumps(r)[:500]))
        return t, result

    def select(self, db, table, where, columns):
        _, r = self.transact(db, [{"op": "select", "table": table,
                                   "where": where, "columns": columns}])
        return r[0]["rows"]

    def uuid(self, db, table, name, column="name"):
        """The uuid of the row of 'table' whose 'column' is 'name'."""
        return self.select(db, table, [[column, "==", name]], ["_uuid"])[0]["_uuid"][1]

    def monitor(self, db, mon_id, requests, cb, initial=True):
        """Calls cb(table_updates, time) with the initial contents (unless
        'initial' is false), then with each update."""
        self.update_cbs[json.dumps(mon_id)] = cb
        t, contents = self.call("monitor", [db, mon_id, requests])
        if initial:
            cb(contents, t)


def apply_updates(rows, updates, table):
    """Applies a monitor's updates of 'table' to 'rows' (uuid -> the columns
    seen so far); returns (uuid, row, inserted) for every row inserted or
    modified."""
    changed = []
    for uuid, u in updates.get(table, {}).items():
        new = u.get("new")
        if new is None:
            rows.pop(uuid, None)
            continue
        row = rows.setdefault(uuid, {})
        row.update(new)
        changed.append((uuid, row, "old" not in u))
    return changed


# ---------------------------------------------------------------------------
# OpenFlow flow monitors: "ovs-ofctl monitor BRIDGE watch:..." in the
# background, every output line stamped with the time it was read.  vswitchd
# sends an update as soon as a flow table change (e.g. a committed bundle)
# is in place, so this times changes without polling.

class FlowMon:
    """ovs-ofctl monitor BRIDGE SPEC... in the background: every line it
    prints, with the time it was read.  'spec' is one argument or a list;
    with a miss length first (e.g. ["65535", "watch:..."]) the monitor also
    gets the switch's port status messages (see port_added())."""
    def __init__(self, name, rundir, spec, bridge="br-int"):
        self.name = name
        self.events = []
        self.lock = threading.Lock()
        env = dict(os.environ, OVS_RUNDIR=rundir)
        self.proc = subprocess.Popen(
            ["ovs-ofctl", "monitor", bridge]
            + (spec if isinstance(spec, list) else [spec]),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=env)
        self.thread = threading.Thread(target=self._reader, daemon=True)
        self.thread.start()
        deadline = now() + 10
        while not self.events:
            if self.proc.poll() is not None or now() > deadline:
                raise SystemExit("bench.py: ovs-ofctl monitor on %s failed: %s"
                                 % (name, self.text()))
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
                for line in lines:
                    self.events.append((t, line.decode(errors="replace")))

    def since(self, t0):
        with self.lock:
            return [(t, l) for t, l in self.events if t >= t0]

    def first(self, t0, needle):
        """The time of the first flow added or modified after t0 whose text
        contains needle, or None."""
        for t, line in self.since(t0):
            if needle in line and ("event=ADDED" in line or "event=MODIFIED" in line):
                return t
        return None

    def port_added(self, t0, iface):
        """(time, OpenFlow port number) of the first port status message
        after t0 that announces IFACE's addition to the bridge, or (None,
        None).  Needs a monitor with a miss length."""
        rx = re.compile(r"OFPT_PORT_STATUS .*ADD: (\d+)\(%s\)" % re.escape(iface))
        for t, line in self.since(t0):
            m = rx.search(line)
            if m:
                return t, int(m.group(1))
        return None, None

    def text(self):
        with self.lock:
            return "\n".join(l for _, l in self.events[-20:])

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


# ---------------------------------------------------------------------------
# Remote ports: many ports in one transaction, bound to a fake chassis (no
# agent runs for it).  Port K is named PREFIX + K, with MAC remote_mac(K)
# and address 2001:db8:5ca1::K.

def remote_mac(k):
    return "02:5c:%02x:%02x:%02x:%02x" % (k >> 24 & 255, k >> 16 & 255, k >> 8 & 255, k & 255)


def roam_remote_port_ops(prefix, network, chassis, keys):
    """Roam: Port rows on 'network' with their chassis set."""
    return [{"op": "insert", "table": "Port", "row": {
                "name": "%s%d" % (prefix, k),
                "network": ["uuid", network],
                "mac": remote_mac(k),
                "ips": "2001:db8:5ca1::%x/64" % k,
                "tunnel_key": k,
                "chassis": ["uuid", chassis]}}
            for k in keys]


def ovn_remote_lsp_ops(prefix, switch, keys):
    """OVN: Logical_Switch_Ports on the logical switch 'switch' (northbound);
    ovn-northd then makes their Port_Bindings, for ovn_bind_ops."""
    ops = []
    names = []
    for k in keys:
        names.append(["named-uuid", "lsp%d" % k])
        ops.append({"op": "insert", "table": "Logical_Switch_Port",
                    "uuid-name": "lsp%d" % k, "row": {
                        "name": "%s%d" % (prefix, k),
                        "addresses": "%s 2001:db8:5ca1::%x" % (remote_mac(k), k)}})
    ops.append({"op": "mutate", "table": "Logical_Switch",
                "where": [["_uuid", "==", ["uuid", switch]]],
                "mutations": [["ports", "insert", ["set", names]]]})
    return ops


def ovn_bind_ops(uuids, chassis):
    """OVN: what the fake chassis's ovn-controller would do: claim the
    Port_Bindings 'uuids' (southbound), in one transaction."""
    return [{"op": "update", "table": "Port_Binding",
             "where": [["_uuid", "==", ["uuid", u]]],
             "row": {"chassis": ["uuid", chassis]}} for u in uuids]


class PortBindingWatch:
    """OVN: the southbound Port_Bindings whose logical port starts with
    'prefix', to bind them as soon as ovn-northd has created them all."""

    def __init__(self, db, prefix):
        self.cv = threading.Condition()
        self.rows = {}
        self.prefix = prefix

        def cb(updates, t):
            with self.cv:
                apply_updates(self.rows, updates, "Port_Binding")
                self.cv.notify_all()
        db.monitor("OVN_Southbound", ["pb"], {"Port_Binding": {
            "columns": ["logical_port"]}}, cb)

    def wait_count(self, n, timeout):
        """Returns (time, uuids) once there are n, (None, uuids) on timeout."""
        deadline = now() + timeout
        with self.cv:
            while True:
                uuids = [u for u, row in self.rows.items()
                         if row.get("logical_port", "").startswith(self.prefix)]
                if len(uuids) >= n:
                    return now(), uuids
                left = deadline - now()
                if left <= 0:
                    return None, uuids
                self.cv.wait(min(left, 0.5))


# ---------------------------------------------------------------------------
# Results: "KEY VALUE" lines in a file, for the summary table.

def read_results(path):
    r = {}
    if path and os.path.exists(path):
        for line in open(path):
            f = line.split()
            if len(f) == 2:
                r.setdefault(f[0], []).append(float(f[1]))
    return r


def fmt_stats(values, unit="ms", digits=1):
    """"min / median / max UNIT", or "-" for no values."""
    if not values:
        return "-"
    return ("%.*f / %.*f / %.*f %s" % (digits, min(values), digits,
                                         statistics.median(values), digits,
                                         max(values), unit))


def run_main(parser):
    """Parses the command line with 'parser' and runs the subcommand's
    function (its "fn" default)."""
    a = parser.parse_args()
    # SIGTERM (the shell's cleanup) unwinds like an exception, so that the
    # "finally" clauses stop what this process started (ovs-ofctl monitors).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))
    a.fn(a)
BENCH_PY
}
