#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# scripts/roam-libvirt-hook without libvirt: the hook is run the way
# libvirt runs it (arguments, domain XML on standard input) inside the
# hypervisor namespaces of a real testbed, with the real roam-ctl and
# agents.  It proves the argument handling, which interfaces of a domain XML
# it takes, and the roam-ctl calls it makes: "migrate begin" on the
# destination starts a live migration of each port and returns once every
# live chassis is ready, and refuses (cancelling the migration and undoing
# what it wrote) when going ahead would lose traffic; "release end" ends the
# migration on either host, on the source only once the port is bound to
# the destination.

. "$ROAM_SRCDIR/tests/system/lib.sh"

HOOK=$ROAM_SRCDIR/scripts/roam-libvirt-hook
CTL_BIN=$ROAM_BUILDDIR/ctl/roam-ctl
HOOK_LOG=$TB_DIR/hook.log
[ -x "$HOOK" ] || fail "$HOOK is not executable"
[ -x "$CTL_BIN" ] || fail "$CTL_BIN is not built"
command -v python3 >/dev/null || skip "python3 is not installed"

MAC1=00:00:5e:00:53:01
MAC2=00:00:5e:00:53:02
IP1=198.51.100.11/24
IP2=198.51.100.12/24

# --- Helpers -------------------------------------------------------------

# Extra environment for the next hook runs: VAR=VALUE words, which win over
# the defaults below, and "-u VAR" to remove VAR.
hook_env=()

# hook K XML ARG...: runs the hook in hv K's namespace (its OVS_RUNDIR, and
# ROAM_DB naming the central database, as "tb hv" sets them) with the file
# XML on standard input.  Sets $hook_rc, $hook_out, $hook_err and
# $hook_ms (how long it took).
hook() {
    local k=$1 xml=$2 t0 t1 i unset=() set=()
    shift 2
    for ((i = 0; i < ${#hook_env[@]}; i++)); do
        if [ "${hook_env[i]}" = -u ]; then
            unset+=(-u "${hook_env[i + 1]}")
            i=$((i + 1))
        else
            set+=("${hook_env[i]}")
        fi
    done
    t0=${EPOCHREALTIME//[!0-9]/}
    tb hv "$k" env "${unset[@]}" ROAM_CTL="$CTL_BIN" ROAM_HOOK_CONF= \
        ROAM_HOOK_LOG="$HOOK_LOG" "${set[@]}" "$HOOK" "$@" \
        <"$xml" >"$TB_DIR/hook.out" 2>"$TB_DIR/hook.err"
    hook_rc=$?
    t1=${EPOCHREALTIME//[!0-9]/}
    hook_ms=$(((10#$t1 - 10#$t0) / 1000))
    hook_out=$(cat "$TB_DIR/hook.out")
    hook_err=$(cat "$TB_DIR/hook.err")
    echo "hook on hv$k $* <$(basename "$xml"): exit $hook_rc in $hook_ms ms${hook_err:+, stderr: $hook_err}"
}

# expect_hook RC WHAT: the last hook run exited with RC and wrote nothing on
# standard output (libvirt reads it as a new domain XML on "migrate begin").
expect_hook() {
    assert_eq "$1" "$hook_rc" "$2: exit status (stderr: $hook_err)"
    assert_eq "" "$hook_out" "$2: standard output"
}

# expect_err TEXT WHAT: the last hook run's standard error contains TEXT.
expect_err() {
    case $hook_err in
        *"$1"*) ;;
        *) fail "$2: expected standard error containing \"$1\", got \"$hook_err\"" ;;
    esac
}

# expect_log TEXT WHAT: the hook's log contains TEXT.
expect_log() {
    grep -qF -- "$1" "$HOOK_LOG" \
        || fail "$2: expected the hook's log to contain \"$1\", got: $(tail -n 5 "$HOOK_LOG" 2>/dev/null)"
}

requested() { ctl get Port "$1" requested_chassis; }
chassis_uuid() { ctl get Chassis "$1" _uuid; }

# bound PORT HV: PORT's chassis is HV.
bound() {
    local got want
    got=$(ctl get Port "$1" chassis) || return 1
    want=$(chassis_uuid "$2") || return 1
    [ "$got" = "$want" ] || { echo "port $1 bound to $got, not $2 ($want)"; return 1; }
}

# ready K: hv K is alive and has applied the latest Global nb_cfg.
ready() {
    local cfg got
    ctl chassis-list | grep -Eq "^hv$1 .* alive \(" || return 1
    cfg=$(ctl get Global . nb_cfg) || return 1
    got=$(ctl get Chassis_Private "hv$1" nb_cfg) || return 1
    [ "$got" -ge "$cfg" ] || { echo "hv$1 nb_cfg $got < $cfg"; return 1; }
}
dead() { ctl chassis-list | grep -Eq "^hv$1 .* dead \("; }

# state: what the hook may change, for before/after comparisons.
state() {
    ctl --bare --columns=name,requested_chassis list Port | sort
    ctl get Global . nb_cfg
}

# expect_unchanged BEFORE WHAT
expect_unchanged() {
    local after
    after=$(state)
    [ "$1" = "$after" ] || fail "$2: expected the database unchanged, got:
$(diff <(echo "$1") <(echo "$after"))"
}

# domain_xml NAME PORT...: a libvirt domain XML, as "virsh dumpxml" writes
# it, with one Open vSwitch interface per PORT, and what must not count as
# one: an interface on a Linux bridge, a virtualport of another type, and
# interfaceids in a comment and in namespaced metadata.
domain_xml() {
    local name=$1 port i=0
    shift
    cat <<EOF
<domain type='kvm' id='7'>
  <name>$name</name>
  <uuid>6f1f1b3e-3b0a-4c39-9d1e-0a4ad3e0c0de</uuid>
  <metadata>
    <app:vm xmlns:app="http://example.org/app/1">
      <app:interface><virtualport type='openvswitch'><parameters interfaceid='in-metadata'/></virtualport></app:interface>
    </app:vm>
  </metadata>
  <memory unit='KiB'>1048576</memory>
  <devices>
    <!-- <interface type='bridge'><virtualport type='openvswitch'><parameters interfaceid='in-comment'/></virtualport></interface> -->
    <interface type='bridge'>
      <mac address='52:54:00:00:00:99'/>
      <source bridge='virbr0'/>
      <model type='virtio'/>
    </interface>
    <interface type='direct'>
      <source dev='eth9' mode='vepa'/>
      <virtualport type='802.1Qbh'>
        <parameters profileid='finance' interfaceid='other-type'/>
      </virtualport>
    </interface>
EOF
    for port in "$@"; do
        i=$((i + 1))
        cat <<EOF
    <interface type='bridge'>
      <mac address='52:54:00:00:00:0$i'/>
      <source bridge='br-int'/>
      <virtualport type='openvswitch'>
        <parameters interfaceid='$port'/>
      </virtualport>
      <target dev='vnet$i'/>
      <model type='virtio'/>
      <alias name='net$i'/>
    </interface>
EOF
    done
    cat <<EOF
  </devices>
</domain>
EOF
}

# send_rarp VM MAC: the VM sends what qemu sends when it resumes after a
# migration: RARP requests for its own MAC.
send_rarp() {
    tb vm "$1" python3 -c '
import socket, sys
mac = bytes.fromhex(sys.argv[1].replace(":", ""))
rarp = bytes([0, 1, 8, 0, 6, 4, 0, 3]) + mac + bytes(4) + mac + bytes(4)
frame = b"\xff" * 6 + mac + b"\x80\x35" + rarp
frame += bytes(60 - len(frame))
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind(("eth0", 0))
for _ in range(3):
    s.send(frame)
' "$2"
}

# --- The testbed: vm1 and vm2 on hv1 ---------------------------------------

check tb start --hypervisors 2
wait_until -t 20 ready 1
wait_until -t 20 ready 2
check ctl net-add blue 100
check ctl port-add blue vm1 "$MAC1" "$IP1"
check ctl port-add blue vm2 "$MAC2" "$IP2"
check ctl port-add blue vm3 00:00:5e:00:53:03
check tb vm-add vm1 1 vm1 "$MAC1" "$IP1"
check tb vm-add vm2 1 vm2 "$MAC2" "$IP2"
wait_until -t 10 bound vm1 hv1
wait_until -t 10 bound vm2 hv1

xml_dir=$TB_DIR/xml
mkdir -p "$xml_dir"
domain_xml guest vm1 vm2 vm3 not-roam vm1 >"$xml_dir/guest.xml"
domain_xml plain >"$xml_dir/plain.xml"
echo "this is not XML" >"$xml_dir/garbage.xml"
: >"$xml_dir/empty.xml"

# --- Arguments --------------------------------------------------------------

before=$(state)

hook 2 "$xml_dir/empty.xml"
assert_eq 2 "$hook_rc" "hook without arguments: exit status"
expect_err "expected DOMAIN OPERATION SUB-OPERATION" "hook without arguments"
hook 2 "$xml_dir/guest.xml" guest migrate
assert_eq 2 "$hook_rc" "hook with two arguments: exit status"
expect_err "got 2 argument(s)" "hook with two arguments"
hook 2 "$xml_dir/empty.xml" --help
assert_eq 0 "$hook_rc" "hook --help: exit status"
case $hook_out in
    *"usage: roam-libvirt-hook DOMAIN OPERATION"*) ;;
    *) fail "hook --help: expected the usage on standard output, got \"$hook_out\"" ;;
esac

# Every operation but "migrate begin" and "release end" is ignored at once:
# without even looking for roam-ctl or the database.
hook_env=(ROAM_CTL=/nonexistent/roam-ctl ROAM_DB=unix:/nonexistent.sock)
for args in "prepare begin -" "start begin -" "started begin -" \
            "stopped end -" "reconnect begin -" "attach begin -" \
            "restore begin -" "migrate end -" "release begin -" \
            "frobnicate now extra"; do
    # shellcheck disable=SC2086
    hook 2 "$xml_dir/guest.xml" guest $args
    expect_hook 0 "hook guest $args"
    assert_eq "" "$hook_err" "hook guest $args: standard error"
    ((hook_ms < 1000)) || fail "hook guest $args: expected to return at once, took $hook_ms ms"
done
hook_env=()
expect_unchanged "$before" "ignored operations"

hook 2 "$xml_dir/garbage.xml" guest migrate begin -
expect_hook 1 "migrate begin with no domain XML"
expect_err "no domain XML on standard input" "migrate begin with no domain XML"
hook 2 "$xml_dir/plain.xml" plain migrate begin -
expect_hook 0 "migrate begin of a domain without Open vSwitch interfaces"
expect_log "plain migrate begin -: no Open vSwitch interface" \
    "migrate begin of a domain without Open vSwitch interfaces"
hook 2 "$xml_dir/plain.xml" plain release end -
expect_hook 0 "release end of a domain without Open vSwitch interfaces"
hook_env=(ROAM_HOOK_TIMEOUT=soon)
hook 2 "$xml_dir/guest.xml" guest migrate begin -
hook_env=()
expect_hook 2 "migrate begin with ROAM_HOOK_TIMEOUT=soon"
expect_err '"soon"' "migrate begin with ROAM_HOOK_TIMEOUT=soon"
expect_unchanged "$before" "rejected arguments"
echo "arguments: usage errors exit 2, other operations are ignored at once"

# --- migrate begin: nothing to do, or refused ------------------------------

# On the chassis the ports are bound to: nothing to migrate.
hook 1 "$xml_dir/guest.xml" guest migrate begin -
expect_hook 0 "migrate begin on the chassis the ports are bound to"
expect_log "port vm1: already bound to hv1" "migrate begin on hv1"
expect_unchanged "$before" "migrate begin on hv1"

# A destination that is not a registered chassis would install nothing.
hook_env=(ROAM_CHASSIS=hv9)
hook 2 "$xml_dir/guest.xml" guest migrate begin -
hook_env=()
expect_hook 1 "migrate begin to an unregistered chassis"
expect_err 'chassis "hv9" does not exist' "migrate begin to an unregistered chassis"
expect_err "migration to hv9 cancelled" "migrate begin to an unregistered chassis"
expect_unchanged "$before" "migrate begin to an unregistered chassis"

# Without the database, the destination cannot get ready.
hook_env=(ROAM_DB="unix:$TB_DIR/no-such.sock")
hook 2 "$xml_dir/guest.xml" guest migrate begin -
hook_env=()
expect_hook 1 "migrate begin without the database"
expect_err "cannot read the Roam database (unix:$TB_DIR/no-such.sock)" \
    "migrate begin without the database"
expect_unchanged "$before" "migrate begin without the database"

# A destination whose agent is dead would install nothing.
check tb agent-stop 2
wait_until -t 15 dead 2
hook 2 "$xml_dir/guest.xml" guest migrate begin -
expect_hook 1 "migrate begin to a dead chassis"
expect_err 'chassis "hv2" is dead' "migrate begin to a dead chassis"
expect_unchanged "$before" "migrate begin to a dead chassis"
check tb agent-start 2
wait_until -t 20 ready 2
before=$(state)
echo "migrate begin refuses an unregistered or dead destination and a missing database"

# The configuration file is read, and the environment wins over it.
conf=$TB_DIR/hook.conf
printf '%s\n' '# roam-libvirt-hook configuration' 'ROAM_CHASSIS=hv9' \
    'ROAM_HOOK_TIMEOUT=5' >"$conf"
hook_env=(ROAM_HOOK_CONF="$conf")
hook 2 "$xml_dir/guest.xml" guest migrate begin -
expect_hook 1 "migrate begin with ROAM_CHASSIS=hv9 in the configuration file"
expect_err 'chassis "hv9" does not exist' \
    "migrate begin with ROAM_CHASSIS=hv9 in the configuration file"
hook_env=(ROAM_HOOK_CONF="$conf" ROAM_CHASSIS=hv1)
hook 2 "$xml_dir/guest.xml" guest migrate begin -
hook_env=()
expect_hook 0 "migrate begin with ROAM_CHASSIS=hv1 in the environment and hv9 in the file"
expect_log "port vm1: already bound to hv1" \
    "migrate begin with ROAM_CHASSIS=hv1 in the environment and hv9 in the file"
expect_unchanged "$before" "migrate begin with a configuration file"

# A chassis that does not get ready in time: hv1's agent is frozen but alive
# (a 10 s heartbeat interval keeps it so for 30 s).  The port-migrate of vm1
# and vm2 is committed and then times out; the hook must give both their
# requested_chassis back.
check tb hv 1 ovs-vsctl set Open_vSwitch . external_ids:roam-heartbeat-interval=10000
hb_interval_is() { [ "$(ctl get Chassis_Private hv1 heartbeat_interval)" = "$1" ]; }
wait_until -t 10 hb_interval_is 10000
wait_until -t 10 ready 1
pid1=$(cat "$TB_DIR/hv1/roam-agent.pid")
on_exit "kill -CONT $pid1 2>/dev/null"
kill -STOP "$pid1" || fail "SIGSTOP to hv1's roam-agent failed"
cfg0=$(ctl get Global . nb_cfg)
hook_env=(ROAM_HOOK_TIMEOUT=2)
hook 2 "$xml_dir/guest.xml" guest migrate begin -
hook_env=()
kill -CONT "$pid1" || fail "SIGCONT to hv1's roam-agent failed"
expect_hook 1 "migrate begin while hv1 does not get ready"
expect_err "timeout after 2 seconds waiting for 1 live chassis" \
    "migrate begin while hv1 does not get ready"
expect_err "hv1" "migrate begin while hv1 does not get ready"
expect_log "requested_chassis of vm1 vm2 restored" \
    "migrate begin while hv1 does not get ready"
((hook_ms >= 2000 && hook_ms < 10000)) \
    || fail "migrate begin while hv1 does not get ready: expected to give up after 2 s, took $hook_ms ms"
assert_eq $((cfg0 + 1)) "$(ctl get Global . nb_cfg)" \
    "Global nb_cfg after the timed-out port-migrate (it was committed)"
assert_eq "[]" "$(requested vm1)" "vm1's requested_chassis after the cancelled migration"
assert_eq "[]" "$(requested vm2)" "vm2's requested_chassis after the cancelled migration"
check tb hv 1 ovs-vsctl set Open_vSwitch . external_ids:roam-heartbeat-interval=2000
wait_until -t 20 hb_interval_is 2000
wait_until -t 20 ready 1
echo "migrate begin that times out cancels the migration and restores requested_chassis"

# --- migrate begin: the live migration starts ------------------------------

# Chassis and database from the local Open vSwitch, as on a real host.
hook_env=(-u ROAM_DB -u ROAM_CHASSIS)
hook 2 "$xml_dir/guest.xml" guest migrate begin -
hook_env=()
expect_hook 0 "migrate begin on hv2"
assert_eq "[hv1, hv2]" "$(requested vm1)" "vm1's requested_chassis after migrate begin on hv2"
assert_eq "[hv1, hv2]" "$(requested vm2)" "vm2's requested_chassis after migrate begin on hv2"
assert_eq "[]" "$(requested vm3)" "unbound vm3's requested_chassis after migrate begin"
cfg=$(ctl get Global . nb_cfg)
for k in 1 2; do
    got=$(ctl get Chassis_Private "hv$k" nb_cfg)
    ((got >= cfg)) || fail "hv$k had not applied nb_cfg $cfg when migrate begin returned (it had $got)"
done
expect_log "port vm1: migrating to hv2" "migrate begin on hv2"
expect_log "every live chassis ready after" "migrate begin on hv2"
expect_log "port vm3: not bound to any chassis" "migrate begin on hv2"
expect_log "port not-roam: not in the Roam database, left alone" "migrate begin on hv2"
if grep -E "port (in-metadata|in-comment|other-type)" "$HOOK_LOG"; then
    fail "migrate begin took an interface that is not an Open vSwitch one"
fi
[ "$(grep -c "port vm1: migrating to hv2" "$HOOK_LOG")" = 1 ] \
    || fail "migrate begin: vm1, twice in the domain XML, was migrated more than once"
show=$(ctl show blue)
case $show in
    *"migrating: hv1 -> hv2"*) ;;
    *) fail "roam-ctl show: expected a port \"migrating: hv1 -> hv2\", got: $show" ;;
esac
echo "migrate begin on hv2: vm1 and vm2 request hv1 and hv2, every chassis ready"

# Again: nothing changes, and it still succeeds.
hook 2 "$xml_dir/guest.xml" guest migrate begin -
expect_hook 0 "migrate begin on hv2, again"
assert_eq "[hv1, hv2]" "$(requested vm1)" "vm1's requested_chassis after a second migrate begin"

# --- release end -------------------------------------------------------------

# On the source, while the port is still bound there: the hook waits for
# the destination, then gives up and leaves the migration as it is.
before=$(state)
hook_env=(ROAM_HOOK_TIMEOUT=1)
hook 1 "$xml_dir/guest.xml" guest release end migrated
hook_env=()
expect_hook 1 "release end on the source before the destination took over"
expect_err "not bound to another chassis 1 s after the domain left" \
    "release end on the source before the destination took over"
((hook_ms >= 1000)) || fail "release end on the source: expected to wait 1 s, took $hook_ms ms"
expect_unchanged "$before" "release end on the source before the destination took over"

# On the source, after the domain was destroyed rather than migrated: the VM
# runs nowhere, so the migration ends where the ports are bound.
hook 1 "$xml_dir/guest.xml" guest release end destroyed
expect_hook 0 "release end destroyed on the source"
assert_eq "[hv1]" "$(requested vm1)" "vm1's requested_chassis after release end destroyed"
assert_eq "[hv1]" "$(requested vm2)" "vm2's requested_chassis after release end destroyed"

# On the destination after a failed migration: the VMs run on hv1.
hook 2 "$xml_dir/guest.xml" guest migrate begin -
expect_hook 0 "migrate begin on hv2 (second migration)"
assert_eq "[hv1, hv2]" "$(requested vm1)" "vm1's requested_chassis, second migration"
hook 2 "$xml_dir/guest.xml" guest release end failed
expect_hook 0 "release end on the destination after a failed migration"
assert_eq "[hv1]" "$(requested vm1)" "vm1's requested_chassis after the failed migration"
assert_eq "[hv1]" "$(requested vm2)" "vm2's requested_chassis after the failed migration"
echo "release end: a failed migration goes back to hv1"

# A successful migration: the source's release end (libvirt before 10.5
# passes "-") waits until the ports are bound to hv2, then ends it.
hook 2 "$xml_dir/guest.xml" guest migrate begin -
expect_hook 0 "migrate begin on hv2 (third migration)"
assert_eq "[hv1, hv2]" "$(requested vm1)" "vm1's requested_chassis, third migration"
rcfile=$TB_DIR/release.rc
(
    hook 1 "$xml_dir/guest.xml" guest release end -
    echo "$hook_rc" >"$rcfile"
    echo "$hook_err" >"$TB_DIR/release.err"
) &
release_pid=$!
on_exit "kill $release_pid 2>/dev/null"
sleep 1
[ -e "$rcfile" ] && fail "release end on the source: expected it to wait for hv2, it returned $(cat "$rcfile") ($(cat "$TB_DIR/release.err"))"
assert_eq "[hv1, hv2]" "$(requested vm1)" "vm1's requested_chassis while the source waits"

# The VMs move: their interfaces appear on hv2, disappear from hv1, and they
# announce themselves from hv2 as qemu does when they resume.
check tb vm-add vm1-on-hv2 2 vm1 "$MAC1" "$IP1"
check tb vm-add vm2-on-hv2 2 vm2 "$MAC2" "$IP2"
check tb vm-del vm1
check tb vm-del vm2
check send_rarp vm1-on-hv2 "$MAC1"
check send_rarp vm2-on-hv2 "$MAC2"
wait_until -t 20 bound vm1 hv2
wait_until -t 20 bound vm2 hv2
wait_until -t 20 test -e "$rcfile"
wait "$release_pid"
assert_eq 0 "$(cat "$rcfile")" "release end on the source after the move (stderr: $(cat "$TB_DIR/release.err"))"
assert_eq "[hv2]" "$(requested vm1)" "vm1's requested_chassis after the migration"
assert_eq "[hv2]" "$(requested vm2)" "vm2's requested_chassis after the migration"
expect_log "port vm1: bound elsewhere" "release end on the source after the move"
echo "release end on the source waited for hv2 and ended the migration there"

# A domain that stops without migrating: nothing to write.
before=$(state)
hook 2 "$xml_dir/guest.xml" guest release end shutdown
expect_hook 0 "release end of ports that are not migrating"
expect_log "port vm1: not migrating, nothing to do" "release end of ports that are not migrating"
expect_unchanged "$before" "release end of ports that are not migrating"

echo "PASS"
