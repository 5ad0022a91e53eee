#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# System test for roam-ctl.  Needs no hypervisor: it runs its own
# ovsdb-server with the Roam schema, on a unix socket in a temporary
# directory, and plays a fake agent by writing Chassis_Private rows.
#
# Environment: ROAM_SRCDIR (source tree), ROAM_BUILDDIR (build tree).
# Exit status: 0 pass, 77 skip, anything else fail.

set -u

: "${ROAM_SRCDIR:?ROAM_SRCDIR must name the source tree}"
: "${ROAM_BUILDDIR:?ROAM_BUILDDIR must name the build tree}"

CTL_BIN=$ROAM_BUILDDIR/ctl/roam-ctl
SCHEMA=$ROAM_SRCDIR/ovsdb/roam.ovsschema

for tool in ovsdb-server ovsdb-tool; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "SKIP: $tool is not installed"
        exit 77
    fi
done
if [ ! -x "$CTL_BIN" ]; then
    echo "FAIL: $CTL_BIN is not built"
    exit 1
fi

dir=$(mktemp -d "${TMPDIR:-/tmp}/roam-test-ctl.XXXXXX") || exit 1
agent_pid=
waiter_pid=

stop_agent() {
    if [ -n "$agent_pid" ]; then
        kill "$agent_pid" 2>/dev/null
        wait "$agent_pid" 2>/dev/null
        agent_pid=
    fi
}

cleanup() {
    stop_agent
    if [ -n "$waiter_pid" ]; then
        kill "$waiter_pid" 2>/dev/null
        wait "$waiter_pid" 2>/dev/null
    fi
    if [ -f "$dir/db.pid" ]; then
        pid=$(cat "$dir/db.pid")
        kill "$pid" 2>/dev/null
        for _ in $(seq 50); do
            kill -0 "$pid" 2>/dev/null || break
            sleep 0.1
        done
    fi
    rm -rf "$dir"
}
trap cleanup EXIT

# Keep every Open vSwitch file of this test in its directory.
export OVS_RUNDIR=$dir OVS_LOGDIR=$dir OVS_DBDIR=$dir

ovsdb-tool create "$dir/roam.db" "$SCHEMA" || exit 1
if ! ovsdb-server --detach --no-chdir --pidfile="$dir/db.pid" \
        --unixctl="$dir/db.ctl" --remote=punix:"$dir/roam.sock" \
        --log-file="$dir/db.log" "$dir/roam.db" >"$dir/db.out" 2>&1; then
    echo "FAIL: ovsdb-server did not start; its output and log:"
    cat "$dir/db.out" "$dir/db.log"
    exit 1
fi
export ROAM_DB=unix:$dir/roam.sock

# --- Helpers --------------------------------------------------------------

n_checks=0
n_failed=0

fail() {
    echo "FAIL: $*"
    n_failed=$((n_failed + 1))
}

# Runs roam-ctl with a safety timeout; output in $out, errors in $err, exit
# status in $rc.
ctl() {
    "$CTL_BIN" --timeout=20 "$@" >"$dir/out" 2>"$dir/err"
    rc=$?
    out=$(cat "$dir/out")
    err=$(cat "$dir/err")
    return $rc
}

# ok DESCRIPTION ARG...: roam-ctl ARG... must succeed.
ok() {
    local desc=$1
    shift
    n_checks=$((n_checks + 1))
    if ! ctl "$@"; then
        fail "$desc: expected exit status 0, got $rc (roam-ctl $*: $err)"
        return 1
    fi
    return 0
}

# expect_eq DESCRIPTION EXPECTED ACTUAL
expect_eq() {
    n_checks=$((n_checks + 1))
    if [ "$2" != "$3" ]; then
        fail "$1: expected \"$2\", got \"$3\""
    fi
}

# expect_contains DESCRIPTION NEEDLE HAYSTACK
expect_contains() {
    n_checks=$((n_checks + 1))
    case $3 in
        *"$2"*) ;;
        *) fail "$1: expected output containing \"$2\", got \"$3\"" ;;
    esac
}

# Prints the whole database, one sorted line per column value, so that two
# snapshots compare equal exactly when no row changed.
snapshot() {
    "$CTL_BIN" --timeout=20 list Global -- list Network -- list Port \
        -- list Chassis -- list Chassis_Private -- list Encap \
        -- list Migration | sort
}

# refused DESCRIPTION NAMED ARG...: roam-ctl ARG... must fail, print a
# message containing NAMED (the bad value), and leave the database as it was.
refused() {
    local desc=$1 named=$2 before after
    shift 2
    before=$(snapshot)
    if [ -z "$before" ]; then
        fail "$desc: could not list the database before the command"
    fi
    n_checks=$((n_checks + 1))
    if ctl "$@"; then
        fail "$desc: expected a non-zero exit status, got 0 (roam-ctl $*)"
    elif [ -z "$err" ]; then
        fail "$desc: expected an error message naming $named, got none"
    else
        case $err in
            *"$named"*) ;;
            *) fail "$desc: expected a message naming $named, got \"$err\"" ;;
        esac
    fi
    after=$(snapshot)
    if [ "$before" != "$after" ]; then
        fail "$desc: expected the database unchanged, got:"
        diff <(echo "$before") <(echo "$after")
    fi
}

# Prints the current time in milliseconds.
now_ms() {
    date +%s%3N
}

# count_rows TABLE [CONDITION...]: prints how many rows of TABLE match.
count_rows() {
    "$CTL_BIN" --timeout=20 --bare --columns=_uuid find "$@" | grep -c .
}

# --- Creating things -------------------------------------------------------

ok "init creates Global" init
expect_eq "Global rows after init" 1 "$(count_rows Global)"
ok "init again is a no-op" init
expect_eq "Global rows after a second init" 1 "$(count_rows Global)"

ok "net-add with trailing --mtu" net-add blue 100 --mtu=1442
ok "net-add with leading --mtu" --mtu=9000 net-add red 200
ok "net-add with --db" --db="unix:$dir/roam.sock" net-add green 300
expect_eq "blue's VNI" 100 "$("$CTL_BIN" get Network blue tunnel_key)"
expect_eq "blue's MTU" 1442 "$("$CTL_BIN" get Network blue mtu)"
expect_eq "red's MTU" 9000 "$("$CTL_BIN" get Network red mtu)"

ok "port-add with IPv4 and IPv6" \
    port-add blue vm1 00:00:5E:00:53:01 198.51.100.10/24 2001:db8::10/64
ok "port-add second port" port-add blue vm2 00:00:5e:00:53:02
ok "port-add same MAC in another network" \
    port-add red vm3 00:00:5e:00:53:01 203.0.113.3/24
expect_eq "vm1's tunnel key" 1 "$("$CTL_BIN" get Port vm1 tunnel_key)"
expect_eq "vm2's tunnel key" 2 "$("$CTL_BIN" get Port vm2 tunnel_key)"
expect_eq "vm3's tunnel key (first in red)" 1 \
    "$("$CTL_BIN" get Port vm3 tunnel_key)"
expect_eq "vm1's MAC, written in lowercase" '"00:00:5e:00:53:01"' \
    "$("$CTL_BIN" get Port vm1 mac)"
expect_eq "vm1's addresses" '["198.51.100.10/24", "2001:db8::10/64"]' \
    "$("$CTL_BIN" get Port vm1 ips)"

ok "port-del" port-del vm1
ok "port-add reuses the lowest free key" port-add blue vm4 00:00:5e:00:53:04
expect_eq "vm4's tunnel key" 1 "$("$CTL_BIN" get Port vm4 tunnel_key)"
ok "two port-adds in one transaction" \
    port-add blue vm5 00:00:5e:00:53:05 -- port-add blue vm6 00:00:5e:00:53:06
expect_eq "vm5's tunnel key" 3 "$("$CTL_BIN" get Port vm5 tunnel_key)"
expect_eq "vm6's tunnel key" 4 "$("$CTL_BIN" get Port vm6 tunnel_key)"

ok "port-set-mac" port-set-mac vm2 00:00:5e:00:53:22
expect_eq "vm2's new MAC" '"00:00:5e:00:53:22"' "$("$CTL_BIN" get Port vm2 mac)"
ok "port-set-addresses" port-set-addresses vm2 198.51.100.22/24
expect_eq "vm2's new addresses" '["198.51.100.22/24"]' \
    "$("$CTL_BIN" get Port vm2 ips)"
ok "port-set-requested-chassis with two chassis" \
    port-set-requested-chassis vm2 hv1 hv2
expect_eq "vm2's requested chassis" '[hv1, hv2]' \
    "$("$CTL_BIN" get Port vm2 requested_chassis)"
ok "port-set-requested-chassis with none" port-set-requested-chassis vm2
expect_eq "vm2's requested chassis, cleared" '[]' \
    "$("$CTL_BIN" get Port vm2 requested_chassis)"

# --- Changing nothing succeeds ---------------------------------------------

before=$(snapshot)
ok "net-add --may-exist of an identical network" --may-exist net-add blue 100
ok "port-add --may-exist of an identical port" \
    port-add blue vm4 00:00:5e:00:53:04 --may-exist
ok "net-del --if-exists of a missing network" net-del nonet --if-exists
ok "port-del --if-exists of a missing port" --if-exists port-del noport
expect_eq "database after no-op commands" "$before" "$(snapshot)"

# --- Reading things ---------------------------------------------------------

# A chassis registered through the generic commands, as an agent would.
ok "create a Chassis with an Encap" \
    -- --id=@e create Encap type=geneve ip=192.0.2.11 chassis_name=hv1 \
    -- create Chassis name=hv1 hostname=node1 encaps=@e

ok "show" show
expect_contains "show" "network blue: tunnel_key 100, mtu 1442" "$out"
expect_contains "show" "    port vm4: tunnel_key 1" "$out"
expect_contains "show" "        mac: 00:00:5e:00:53:04" "$out"
expect_contains "show" "        ips: 203.0.113.3/24" "$out"
expect_contains "show" "chassis hv1: dead (no Chassis_Private row)" "$out"
expect_contains "show" "    encap geneve 192.0.2.11" "$out"
ok "show NETWORK" show red
expect_eq "show red" "network red: tunnel_key 200, mtu 9000
    port vm3: tunnel_key 1
        mac: 00:00:5e:00:53:01
        ips: 203.0.113.3/24" "$out"

ok "net-list" net-list
expect_eq "net-list" "blue tunnel_key=100 mtu=1442 ports=4
green tunnel_key=300 ports=0
red tunnel_key=200 mtu=9000 ports=1" "$out"

ok "port-list NETWORK" port-list red
expect_eq "port-list red" "vm3 network=red tunnel_key=1 mac=00:00:5e:00:53:01 \
ips=203.0.113.3/24 requested_chassis= chassis= up=false" "$out"
ok "port-list" port-list
expect_eq "port-list line count" 5 "$(echo "$out" | grep -c .)"

ok "chassis-list" chassis-list
expect_eq "chassis-list" \
    "hv1 hostname=node1 encaps=geneve:192.0.2.11 dead (no Chassis_Private \
row) nb_cfg=none" "$out"

# --- Invalid input is refused, and nothing is written ----------------------

refused "malformed MAC" '"zz:11"' port-add blue vm9 zz:11
refused "five-octet MAC" '"00:00:5e:00:53"' port-add blue vm9 00:00:5e:00:53
refused "multicast MAC" '"01:00:5e:00:00:01"' \
    port-add blue vm9 01:00:5e:00:00:01
refused "all-zero MAC" '"00:00:00:00:00:00"' \
    port-add blue vm9 00:00:00:00:00:00
refused "IP without prefix" '"198.51.100.9"' \
    port-add blue vm9 00:00:5e:00:53:09 198.51.100.9
refused "IP with prefix /33" '"198.51.100.9/33"' \
    port-add blue vm9 00:00:5e:00:53:09 198.51.100.9/33
refused "malformed IPv6" '"2001:db8::zz/64"' \
    port-add blue vm9 00:00:5e:00:53:09 2001:db8::zz/64
refused "IPv6 prefix /129" '"2001:db8::9/129"' \
    port-add blue vm9 00:00:5e:00:53:09 2001:db8::9/129
refused "network address as port IP" '"198.51.100.0/24"' \
    port-set-addresses vm2 198.51.100.0/24
refused "VNI 0" "VNI 0" net-add purple 0
refused "VNI 16777216" "VNI 16777216" net-add purple 16777216
refused "VNI not a number" '"abc"' net-add purple abc
refused "MTU out of range" "MTU 67" net-add purple 400 --mtu=67
refused "network name with a space" '"pur ple"' net-add "pur ple" 400
refused "duplicate network name" '"blue"' net-add blue 400
refused "duplicate network name, --may-exist, other VNI" '"blue"' \
    --may-exist net-add blue 400
refused "duplicate VNI" "VNI 200" net-add purple 200
refused "duplicate VNI within one transaction" "VNI 400" \
    net-add purple 400 -- net-add orange 400
refused "duplicate port name" '"vm2"' port-add red vm2 00:00:5e:00:53:09
refused "duplicate port name in another network, --may-exist" '"vm2"' \
    --may-exist port-add red vm2 00:00:5e:00:53:22
refused "duplicate MAC within a network" "00:00:5e:00:53:22" \
    port-add blue vm9 00:00:5e:00:53:22
refused "duplicate MAC within a network, other case" "00:00:5e:00:53:22" \
    port-add blue vm9 00:00:5E:00:53:22
refused "duplicate MAC within one transaction" "00:00:5e:00:53:09" \
    port-add blue vm9 00:00:5e:00:53:09 -- port-add blue vm10 00:00:5e:00:53:09
refused "port-set-mac to a MAC in use" "00:00:5e:00:53:04" \
    port-set-mac vm2 00:00:5e:00:53:04
refused "port-set-mac malformed" '"00:00:5e:00:53:0g"' \
    port-set-mac vm2 00:00:5e:00:53:0g
refused "network that does not exist" '"nonet"' \
    port-add nonet vm9 00:00:5e:00:53:09
refused "port-list of a network that does not exist" '"nonet"' \
    port-list nonet
refused "net-del of a network that does not exist" '"nonet"' net-del nonet
refused "port-del of a port that does not exist" '"noport"' port-del noport
refused "too many requested chassis" '"hv3"' \
    port-set-requested-chassis vm2 hv1 hv2 hv3
refused "the same requested chassis twice" '"hv1"' \
    port-set-requested-chassis vm2 hv1 hv1
refused "a good command with a bad one" '"zz:11"' \
    net-add purple 400 -- port-add purple vm9 zz:11
refused "unknown command" "frobnicate" frobnicate
refused "bad --wait" '"sometimes"' --wait=sometimes init

# --- Generic commands on Network and Port ----------------------------------

ok "set Network" set Network blue external_ids:owner=alice
ok "get Network" get Network blue external_ids:owner
expect_eq "blue's owner" "alice" "$out"
ok "find Network" --bare --columns=name find Network tunnel_key=200
expect_eq "network with VNI 200" "red" "$out"
ok "set Port" set Port vm2 external_ids:vm=guest2 up=true
ok "get Port" get Port vm2 external_ids:vm up
expect_eq "vm2's vm and up" "guest2
true" "$out"
ok "find Port" --bare --columns=name find Port 'mac="00:00:5e:00:53:22"'
expect_eq "port with MAC 00:00:5e:00:53:22" "vm2" "$out"
ok "add Port" add Port vm2 ips 198.51.100.23/24
ok "remove Port" remove Port vm2 ips 198.51.100.22/24
expect_eq "vm2's addresses after add and remove" '["198.51.100.23/24"]' \
    "$("$CTL_BIN" get Port vm2 ips)"
ok "clear Port" clear Port vm2 external_ids
expect_eq "vm2's external_ids after clear" "{}" \
    "$("$CTL_BIN" get Port vm2 external_ids)"
ok "create Network" create Network name=tmp tunnel_key=999
expect_eq "tmp networks after create" 1 "$(count_rows Network name=tmp)"
ok "create Port" -- create Port name=tmpport network="$("$CTL_BIN" \
    --bare --columns=_uuid find Network name=tmp)" mac='"00:00:5e:00:53:99"' \
    tunnel_key=7
ok "destroy Port" destroy Port tmpport
ok "destroy Network" destroy Network tmp
expect_eq "tmp networks after destroy" 0 "$(count_rows Network name=tmp)"
ok "list --if-exists of a missing row" --if-exists list Network tmp
ok "wait-until a true condition" wait-until Network blue tunnel_key=100
ok "comment" comment hello

# --- net-del deletes the network's ports -----------------------------------

ok "net-add for deletion" net-add doomed 500
ok "port-add for deletion" port-add doomed d1 00:00:5e:00:53:d1
ok "port-add for deletion" port-add doomed d2 00:00:5e:00:53:d2
ok "net-del" net-del doomed
expect_eq "networks named doomed" 0 "$(count_rows Network name=doomed)"
expect_eq "ports named d1 or d2" 0 \
    "$(( $(count_rows Port name=d1) + $(count_rows Port name=d2) ))"

# --- --wait=hv ---------------------------------------------------------------

cfg_before=$("$CTL_BIN" get Global . nb_cfg)
start=$(now_ms)
ok "--wait=hv without chassis" --wait=hv net-add wait0 600
elapsed=$(( $(now_ms) - start ))
[ "$elapsed" -lt 2000 ] ||
    fail "--wait=hv without chassis: expected to return at once, took ${elapsed} ms"
expect_eq "Global nb_cfg after --wait=hv" $((cfg_before + 1)) \
    "$("$CTL_BIN" get Global . nb_cfg)"

ok "--wait=hv with nothing to change" --wait=hv --may-exist net-add wait0 600
expect_eq "Global nb_cfg after an unchanged --wait=hv" $((cfg_before + 1)) \
    "$("$CTL_BIN" get Global . nb_cfg)"

# A fake agent: writes a heartbeat every 200 ms and, in "apply" mode, reports
# the latest Global nb_cfg as applied.
fake_agent() {
    local mode=$1 cfg
    while :; do
        if [ "$mode" = apply ]; then
            cfg=$("$CTL_BIN" --timeout=5 get Global . nb_cfg)
            "$CTL_BIN" --timeout=5 set Chassis_Private hvfake \
                heartbeat="$(now_ms)" nb_cfg="$cfg"
        else
            "$CTL_BIN" --timeout=5 set Chassis_Private hvfake \
                heartbeat="$(now_ms)"
        fi
        sleep 0.2
    done
}

# A complete fake chassis: --wait=hv waits only for Chassis_Private rows
# that belong to a registered Chassis.
ok "create a live fake chassis" \
    -- --id=@e create Encap type=geneve ip=192.0.2.77 chassis_name=hvfake \
    -- --id=@c create Chassis name=hvfake hostname=fake encaps=@e \
    -- create Chassis_Private name=hvfake chassis=@c \
    heartbeat="$(now_ms)" heartbeat_interval=1000 nb_cfg=0
ok "chassis-list with a live chassis" chassis-list
expect_contains "chassis-list" \
    "hvfake hostname=fake encaps=geneve:192.0.2.77 alive (heartbeat" "$out"
expect_contains "chassis-list" "nb_cfg=0" "$out"

fake_agent beat >/dev/null 2>&1 &
agent_pid=$!
start=$(now_ms)
n_checks=$((n_checks + 1))
if ctl --wait=hv --timeout=2 net-add wait1 601; then
    fail "--wait=hv with a live chassis behind: expected a timeout, got exit 0"
fi
elapsed=$(( $(now_ms) - start ))
stop_agent
[ "$elapsed" -ge 2000 ] && [ "$elapsed" -lt 6000 ] ||
    fail "--wait=hv --timeout=2: expected to give up after 2 s, took ${elapsed} ms"
expect_contains "--wait=hv timeout message" "timeout" "$err"
expect_contains "--wait=hv timeout message" "hvfake" "$err"
expect_eq "network committed before the wait timed out" 1 \
    "$(count_rows Network name=wait1)"

# The waiter must block while the chassis is behind, and return once the
# (fake) agent reports the new nb_cfg.
ok "refresh the fake chassis's heartbeat" \
    set Chassis_Private hvfake heartbeat="$(now_ms)"
start=$(now_ms)
"$CTL_BIN" --wait=hv --timeout=20 net-add wait2 602 \
    >"$dir/waiter.out" 2>"$dir/waiter.err" &
waiter_pid=$!
fake_agent beat >/dev/null 2>&1 &
agent_pid=$!
sleep 1
n_checks=$((n_checks + 1))
kill -0 "$waiter_pid" 2>/dev/null ||
    fail "--wait=hv: expected to block while the chassis is behind, got exit"
stop_agent
fake_agent apply >/dev/null 2>&1 &
agent_pid=$!
wait "$waiter_pid"
waiter_rc=$?
waiter_pid=
elapsed=$(( $(now_ms) - start ))
stop_agent
expect_eq "--wait=hv exit status once the chassis caught up" 0 "$waiter_rc"
[ "$waiter_rc" = 0 ] || cat "$dir/waiter.err"
[ "$elapsed" -lt 15000 ] ||
    fail "--wait=hv: expected to return soon after the agent caught up, took ${elapsed} ms"
expect_eq "fake chassis's nb_cfg" "$("$CTL_BIN" get Global . nb_cfg)" \
    "$("$CTL_BIN" get Chassis_Private hvfake nb_cfg)"

# A chassis that stopped beating is not waited for.  Nobody watches the
# fake chassis, so its silence says nothing yet: after half a second
# roam-ctl watches it, which would make an agent beat at once; it does not,
# and is dead one liveness window (3 of its 1 s intervals) later.  roam-ctl
# leaves the watch of a dead chassis to run out by itself (5 s later), so
# that the next command knows at once.
ok "age the fake chassis's heartbeat" \
    set Chassis_Private hvfake heartbeat=$(( $(now_ms) - 60000 ))
start=$(now_ms)
ok "--wait=hv with only a silent chassis" \
    --wait=hv --timeout=10 net-add wait3 603
elapsed=$(( $(now_ms) - start ))
[ "$elapsed" -ge 3000 ] && [ "$elapsed" -lt 6000 ] ||
    fail "--wait=hv with a silent chassis: expected to return once" \
         "it was watched for 3 s, took ${elapsed} ms"
until=$("$CTL_BIN" get Chassis_Private hvfake watched_until)
n_checks=$((n_checks + 1))
((until > $(now_ms))) ||
    fail "the dead fake chassis's watch after --wait=hv:" \
         "expected it to run on, got watched_until $until"
# So the next command finds it dead at once.
start=$(now_ms)
ok "--wait=hv with only a dead chassis" --wait=hv --timeout=10 sync
elapsed=$(( $(now_ms) - start ))
[ "$elapsed" -lt 2000 ] ||
    fail "--wait=hv with a dead chassis: expected to return at once," \
         "took ${elapsed} ms"
ok "chassis-list with a dead chassis" chassis-list
expect_contains "chassis-list" \
    "hvfake hostname=fake encaps=geneve:192.0.2.77 dead (heartbeat" "$out"
# A watch "from" the year 2100 (bad input: nothing bounds the columns)
# would hold the chassis unknown until then: roam-ctl logs it, watches
# anew, and finds it dead one window later.
ok "watch the fake chassis from the far future" set Chassis_Private hvfake \
    watched_since=4102444800000 watched_until=4102444800000
start=$(now_ms)
ok "--wait=hv with a silent chassis watched from the far future" \
    --wait=hv --timeout=10 net-add wait4 604
elapsed=$(( $(now_ms) - start ))
[ "$elapsed" -ge 3000 ] && [ "$elapsed" -lt 6000 ] ||
    fail "--wait=hv with a chassis watched from the far future: expected" \
         "to return once it was watched for 3 s, took ${elapsed} ms"
expect_contains "roam-ctl's warning about the far-future watch" \
    "Chassis_Private hvfake: watched_since 4102444800000 lies" "$err"
# The later checks need it dead for longer than that watch lasts.
ok "watch the fake chassis" set Chassis_Private hvfake \
    watched_since=$(( $(now_ms) - 60000 )) \
    watched_until=$(( $(now_ms) + 600000 ))

# "sync" waits even though it changes nothing.
ok "refresh the fake chassis's heartbeat" \
    set Chassis_Private hvfake heartbeat="$(now_ms)"
n_checks=$((n_checks + 1))
if ctl --wait=hv --timeout=1 sync; then
    fail "--wait=hv sync with a live chassis behind: expected a timeout, got exit 0"
fi

# --- Live migration: port-migrate -----------------------------------------

# expect_lacks DESCRIPTION NEEDLE HAYSTACK
expect_lacks() {
    n_checks=$((n_checks + 1))
    case $3 in
        *"$2"*) fail "$1: expected output without \"$2\", got \"$3\"" ;;
    esac
}

# Ports are bound by agents; here the test binds them itself.
hv1_uuid=$("$CTL_BIN" get Chassis hv1 _uuid)
hvfake_uuid=$("$CTL_BIN" get Chassis hvfake _uuid)
ok "bind vm2 to hv1" set Port vm2 chassis="$hv1_uuid"
expect_eq "vm2's requested chassis before port-migrate" '[]' \
    "$("$CTL_BIN" get Port vm2 requested_chassis)"

refused "port-migrate of a port that does not exist" '"noport"' \
    port-migrate noport hvfake
refused "port-migrate of an unbound port" \
    "use port-set-requested-chassis vm4 hvfake" port-migrate vm4 hvfake
expect_contains "port-migrate of an unbound port" \
    'port "vm4" is not bound to any chassis' "$err"
refused "port-migrate to the chassis the port is bound to" \
    'port "vm2" is already bound to chassis "hv1"' port-migrate vm2 hv1
refused "port-migrate to a chassis that does not exist" \
    'chassis "hv9" does not exist' port-migrate vm2 hv9
refused "port-migrate to a malformed chassis name" '"hv 9"' \
    port-migrate vm2 "hv 9"
refused "port-migrate without a chassis" "port-migrate" port-migrate vm2
ok "age the fake chassis's heartbeat" \
    set Chassis_Private hvfake heartbeat=$(( $(now_ms) - 60000 ))
refused "port-migrate --wait=hv to a dead chassis" \
    'chassis "hvfake" is dead (heartbeat' --wait=hv port-migrate vm2 hvfake

ok "port-migrate" port-migrate vm2 hvfake
expect_eq "vm2's requested chassis after port-migrate" '[hv1, hvfake]' \
    "$("$CTL_BIN" get Port vm2 requested_chassis)"
ok "show while the destination has not bound the port" show blue
expect_contains "show" "        requested_chassis: hv1 hvfake
        chassis: hv1
        migrating: hv1 -> hvfake, waiting for hvfake to bind the port" "$out"
ok "destination binds as additional chassis" \
    set Port vm2 additional_chassis="$hvfake_uuid"
ok "show while the destination is ready" show blue
expect_contains "show" "        additional_chassis: hvfake
        migrating: hv1 -> hvfake, hvfake ready, waiting for the VM to resume \
there" "$out"
ok "destination activates" \
    set Port vm2 chassis="$hvfake_uuid" additional_chassis=[]
ok "show once the destination is active" show blue
expect_contains "show" \
    "        migrating: hv1 -> hvfake, active on hvfake (port-migrate-finish \
ends it)" "$out"
ok "port-list during a migration" port-list blue
expect_contains "port-list during a migration" \
    "requested_chassis=hv1,hvfake chassis=hvfake up=" "$out"

# --- Live migration: port-migrate-finish ---------------------------------

ok "port-migrate-finish after a successful migration" port-migrate-finish vm2
expect_eq "vm2's requested chassis after port-migrate-finish" '[hvfake]' \
    "$("$CTL_BIN" get Port vm2 requested_chassis)"
ok "show after port-migrate-finish" show blue
expect_lacks "show after port-migrate-finish" "migrating:" "$out"
before=$(snapshot)
ok "port-migrate-finish again" port-migrate-finish vm2
expect_eq "database after a second port-migrate-finish" "$before" "$(snapshot)"

ok "bind vm2 to hv1 again" set Port vm2 chassis="$hv1_uuid"
ok "start a migration to hvfake" port-migrate vm2 hvfake
ok "port-migrate-finish after a failed migration" port-migrate-finish vm2
expect_eq "vm2's requested chassis after a failed migration" '[hv1]' \
    "$("$CTL_BIN" get Port vm2 requested_chassis)"

ok "two requested chassis for unbound vm4" \
    port-set-requested-chassis vm4 hv1 hvfake
ok "port-migrate-finish of an unbound port" port-migrate-finish vm4
expect_eq "unbound vm4's requested chassis after port-migrate-finish" '[]' \
    "$("$CTL_BIN" get Port vm4 requested_chassis)"

ok "one requested chassis for vm5" port-set-requested-chassis vm5 hv1
before=$(snapshot)
ok "port-migrate-finish of a port with one requested chassis" \
    port-migrate-finish vm5
ok "port-migrate-finish of a port with no requested chassis" \
    port-migrate-finish vm6
expect_eq "database after port-migrate-finish of ports not migrating" \
    "$before" "$(snapshot)"
refused "port-migrate-finish of a port that does not exist" '"noport"' \
    port-migrate-finish noport
ok "port-migrate-finish --if-exists of a port that does not exist" \
    port-migrate-finish noport --if-exists

ok "an additional chassis left after the migration ended" \
    set Port vm2 additional_chassis="$hvfake_uuid"
ok "show with an additional chassis left" show blue
expect_contains "show with an additional chassis left" \
    "        migrating: ended, hvfake not yet released" "$out"
ok "the destination releases the port" set Port vm2 additional_chassis=[]

# --- Live migration: port-migrate --wait=hv ---------------------------------

ok "refresh the fake chassis's heartbeat" \
    set Chassis_Private hvfake heartbeat="$(now_ms)"
fake_agent apply >/dev/null 2>&1 &
agent_pid=$!
cfg_before=$("$CTL_BIN" get Global . nb_cfg)
ok "port-migrate --wait=hv with a chassis that applies it" \
    --wait=hv --timeout=20 port-migrate vm2 hvfake
expect_eq "vm2's requested chassis after port-migrate --wait=hv" \
    '[hv1, hvfake]' "$("$CTL_BIN" get Port vm2 requested_chassis)"
expect_eq "Global nb_cfg after port-migrate --wait=hv" $((cfg_before + 1)) \
    "$("$CTL_BIN" get Global . nb_cfg)"
n_checks=$((n_checks + 1))
[ "$("$CTL_BIN" get Chassis_Private hvfake nb_cfg)" -ge $((cfg_before + 1)) ] \
    || fail "port-migrate --wait=hv returned before hvfake applied nb_cfg $((cfg_before + 1))"
stop_agent

# Even when requested_chassis already names both, --wait=hv waits: the
# caller wants to know that the destination is ready.
fake_agent beat >/dev/null 2>&1 &
agent_pid=$!
start=$(now_ms)
n_checks=$((n_checks + 1))
if ctl --wait=hv --timeout=2 port-migrate vm2 hvfake; then
    fail "port-migrate --wait=hv, unchanged, with hvfake behind: expected a timeout, got exit 0"
fi
elapsed=$(( $(now_ms) - start ))
stop_agent
expect_contains "port-migrate --wait=hv, unchanged, timeout message" \
    "hvfake" "$err"
[ "$elapsed" -ge 2000 ] ||
    fail "port-migrate --wait=hv, unchanged: expected to wait 2 s, took ${elapsed} ms"
expect_eq "Global nb_cfg after an unchanged port-migrate --wait=hv" \
    $((cfg_before + 2)) "$("$CTL_BIN" get Global . nb_cfg)"

# --- Live migration: migration-list -----------------------------------------

ok "migration-list without rows" migration-list
expect_eq "migration-list without rows" "\
time port kind from to detect->claim ms claim->activate ms total ms
---- ---- ---- ---- -- ---------------- ------------------ --------" "$out"

# 1767323045678 ms is 2026-01-02T03:04:05.678Z.
ok "create a live Migration row" create Migration port=vm2 kind=live \
    from_chassis=hv1 to_chassis=hvfake detected=1767323045678 \
    claimed=1767323045681 activated=1767323045700
ok "create a cold Migration row with one time stamp" create Migration \
    port=vm4 kind=cold to_chassis=hv1 claimed=1767323040000
ok "create a failover Migration row without time stamps" create Migration \
    port=vm2 kind=failover from_chassis=hvfake to_chassis=hv1
ok "create a cold Migration row without detected" create Migration \
    port=vm5 kind=cold from_chassis=hv1 to_chassis=hvfake \
    claimed=1767323050000 activated=1767323050012

ok "migration-list" migration-list
expect_eq "migration-list" "\
time                     port kind     from   to     detect->claim ms \
claim->activate ms total ms
------------------------ ---- -------- ------ ------ ---------------- \
------------------ --------
2026-01-02T03:04:00.000Z vm4  cold     -      hv1    -                \
-                  -
2026-01-02T03:04:05.678Z vm2  live     hv1    hvfake 3                \
19                 22
2026-01-02T03:04:10.000Z vm5  cold     hv1    hvfake -                \
12                 12
-                        vm2  failover hvfake hv1    -                \
-                  -" "$out"
ok "migration-list PORT" --format=csv migration-list vm2
expect_eq "migration-list vm2" "\
time,port,kind,from,to,detect->claim ms,claim->activate ms,total ms
2026-01-02T03:04:05.678Z,vm2,live,hv1,hvfake,3,19,22
-,vm2,failover,hvfake,hv1,-,-,-" "$out"
ok "migration-list of a port without moves" --bare migration-list vm9
expect_eq "migration-list vm9" "" "$out"
refused "migration-list with two ports" "migration-list" \
    migration-list vm2 vm4

# --- Summary ----------------------------------------------------------------

if [ "$n_failed" -ne 0 ]; then
    echo "test-ctl: $n_failed of $n_checks checks failed"
    exit 1
fi
echo "test-ctl: all $n_checks checks passed"
exit 0
