# shellcheck shell=bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# agent-lib.sh: helpers for system tests of roam-agent, sourced after lib.sh.
#
#   encaps [CHASSIS]        "chassis,type,ip" lines of Encap rows, sorted
#   chassis_names           names of all Chassis rows, sorted, one a line
#   row_uuid TABLE NAME     _uuid of the row of TABLE whose name is NAME
#   count_rows TABLE        number of rows in TABLE
#   agent_pid K             pid of hv K's roam-agent (from its pidfile)
#   cpu_ticks PID           user + system CPU time of PID, in clock ticks
#   agent_alive K           true if hv K's roam-agent runs (not a zombie)
#   agent_status K          "ovs-appctl -t roam-agent status" on hv K
#   agent_log K             path of hv K's roam-agent log
#   ovs_set K KEY=VALUE...  set Open_vSwitch external_ids on hv K
#   ovs_remove K KEY...     remove Open_vSwitch external_ids keys on hv K
#   heartbeat NAME          Chassis_Private heartbeat of chassis NAME
#   now_ms                  wall-clock time in milliseconds
#   watch_chassis K [SECS]  make hv K's agent beat: watch it for SECS
#   unwatch_chassis K       end that watch

encaps() {
    ctl --format=csv --no-headings --columns=chassis_name,type,ip list Encap \
        | tr -d '"' | { if [ -n "${1:-}" ]; then grep "^$1,"; else cat; fi; } \
        | sort
}

chassis_names() {
    ctl --bare --columns=name list Chassis | sed '/^$/d' | sort
}

row_uuid() {
    ctl --bare --columns=_uuid find "$1" name="$2"
}

count_rows() {
    ctl --bare --columns=_uuid list "$1" | sed '/^$/d' | wc -l
}

agent_pid() {
    cat "$TB_DIR/hv$1/roam-agent.pid"
}

# cpu_ticks PID: user + system time of PID, in clock ticks.
cpu_ticks() {
    local stat f
    stat=$(cat "/proc/$1/stat") || return 1
    stat=${stat##*) }
    # After the command name: field 3 is the state; utime and stime are
    # fields 14 and 15, i.e. indexes 11 and 12 from here.
    read -ra f <<<"$stat"
    echo $((f[11] + f[12]))
}

agent_alive() {
    alive "$TB_DIR/hv$1/roam-agent.pid"
}

agent_status() {
    tb hv "$1" ovs-appctl -t roam-agent status
}

agent_log() {
    echo "$TB_DIR/hv$1/roam-agent.log"
}

ovs_set() {
    local k=$1 kv args=()
    shift
    for kv in "$@"; do
        args+=("external_ids:$kv")
    done
    tb hv "$k" ovs-vsctl --no-wait set Open_vSwitch . "${args[@]}"
}

ovs_remove() {
    local k=$1 key
    shift
    for key in "$@"; do
        tb hv "$k" ovs-vsctl --no-wait remove Open_vSwitch . external_ids \
            "$key"
    done
}

# Predicates for wait_until, which runs its command again on each poll (so a
# "$(...)" in its arguments would be read only once: use these instead).
#
#   encaps_are CHASSIS EXPECTED     Encap rows of CHASSIS are EXPECTED
#   chassis_names_are "A B ..."     the Chassis rows are named A B ...
#   heartbeat_after K T             hv K's heartbeat is later than T
#   column_is TABLE NAME COL VALUE  COL of TABLE's row NAME is VALUE
#   status_has K REGEX              hv K's agent status matches REGEX
#   port_on PORT CHASSIS            PORT is bound to CHASSIS
#   port_standby_on PORT CHASSIS    CHASSIS is PORT's additional_chassis
encaps_are() {
    [ "$(encaps "$1")" = "$2" ]
}

chassis_names_are() {
    [ "$(chassis_names | tr '\n' ' ')" = "$1 " ]
}

heartbeat() {
    ctl --bare --columns=heartbeat find Chassis_Private name="$1"
}

heartbeat_after() {
    [ "$(heartbeat "hv$1")" -gt "$2" ]
}

# The wall-clock time in milliseconds, as Chassis_Private columns hold it.
now_ms() {
    local t=${EPOCHREALTIME//[!0-9]/}
    echo "${t:0:13}"
}

# Agents beat only while watched (ovsdb/chassis-liveness.h): watch_chassis
# makes hv K's agent beat for SECS seconds (default 600), as a watching
# agent or roam-ctl would; unwatch_chassis ends the watch.
watch_chassis() {  # K [SECS]
    local now
    now=$(now_ms)
    ctl set Chassis_Private "hv$1" watched_since="$now" \
        watched_until=$((now + ${2:-600} * 1000))
}

unwatch_chassis() {  # K
    ctl set Chassis_Private "hv$1" watched_until=0
}

status_has() {
    agent_status "$1" 2>/dev/null | grep -q -- "$2"
}

column_is() {
    [ "$(ctl --bare --columns="$3" find "$1" name="$2")" = "$4" ]
}

# expect_encaps CHASSIS EXPECTED: waits until CHASSIS's Encap rows are
# EXPECTED ("chassis,type,ip" lines, sorted, newline-separated).
expect_encaps() {
    local name=$1 expected=$2 t
    for ((t = 0; t < 100; t++)); do
        encaps_are "$name" "$expected" && return 0
        sleep 0.1
    done
    fail "encaps of $name: expected \"$expected\", got \"$(encaps "$name")\""
}

# signal_ours SIGNAL PID NAME: sends SIGNAL to PID if it still is a process
# of ours whose command line has NAME (not one that took its pid since).
signal_ours() {
    tr '\0' ' ' < "/proc/$2/cmdline" 2>/dev/null | grep -q -- "$3" || return 0
    kill -s "$1" "$2" 2>/dev/null
}

# frozen PID: the process is stopped (SIGSTOP).
frozen() {
    local stat
    stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
    stat=${stat##*) }
    [ "${stat:0:1}" = T ]
}

# add_vm NAME HV NETWORK MAC ADDR...: a Port NAME in NETWORK and a VM NAME
# on hypervisor HV plugged for it.
add_vm() {
    local name=$1 hv=$2 net=$3 mac=$4
    shift 4
    check ctl port-add "$net" "$name" "$mac" "$@"
    check tb vm-add "$name" "$hv" "$name" "$mac" "$@"
}

# port_up PORT: Port.up is true.
port_up() {
    [ "$(ctl get Port "$1" up)" = true ]
}

# port_on PORT CHASSIS: PORT is bound to CHASSIS; port_standby_on: CHASSIS
# is PORT's additional_chassis (a live migration's destination).
port_chassis_is() {  # PORT COLUMN CHASSIS
    [ "$(ctl --bare --columns="$2" list Port "$1")" \
      = "$(row_uuid Chassis "$3")" ]
}
port_on() {
    port_chassis_is "$1" chassis "$2"
}
port_standby_on() {
    port_chassis_is "$1" additional_chassis "$2"
}

# start_two_vms: a testbed of two hypervisors with network blue (VNI 1001),
# VM v1 (00:00:5e:00:53:01, 198.51.100.1/24) on hv1 and v2 (...:02,
# 198.51.100.2/24) on hv2, both ports up.
start_two_vms() {
    check tb start --hypervisors 2
    wait_until chassis_names_are "hv1 hv2"
    check ctl net-add blue 1001
    local k
    for k in 1 2; do
        check ctl port-add blue v$k 00:00:5e:00:53:0$k 198.51.100.$k/24
        check tb vm-add v$k $k v$k 00:00:5e:00:53:0$k 198.51.100.$k/24
    done
    wait_until port_up v1
    wait_until port_up v2
}
