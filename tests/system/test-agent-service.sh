#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# "make install" installs a systemd unit for roam-agent that works: its
# ExecStart is the installed roam-agent with --detach and the unit's
# PIDFile, Type=forking, Nice=-10 (as ovn-ctl starts ovn-controller),
# options from /etc/default/roam-agent's ROAM_AGENT_OPTS, and the man page
# it names is installed too.  systemd itself is not needed: the unit's
# command line, with the testbed's directories for /run and /var/log and
# ROAM_AGENT_OPTS set, replaces hv1's agent, which must then daemonize,
# write the pidfile, take the options and serve the chassis as before.
# (Skipped if configure was told --with-systemdsystemunitdir=no.)

. "$ROAM_SRCDIR/tests/system/lib.sh"
. "$ROAM_SRCDIR/tests/system/agent-lib.sh"

if [ "${ROAM_SYSTEMD_UNIT_DIR-unset}" = "" ]; then
    skip "configured with --with-systemdsystemunitdir=no: no unit to install"
fi
dest=$TB_DIR/destdir
check make -C "$ROAM_BUILDDIR" install DESTDIR="$dest" >/dev/null
if [ -n "${ROAM_SYSTEMD_UNIT_DIR:-}" ]; then
    unit=$dest$ROAM_SYSTEMD_UNIT_DIR/roam-agent.service
    [ -f "$unit" ] || fail "make install installed no $ROAM_SYSTEMD_UNIT_DIR/roam-agent.service"
else
    unit=$(find "$dest" -path '*/lib/systemd/system/roam-agent.service')
    [ -n "$unit" ] || fail "make install installed no lib/systemd/system/roam-agent.service"
fi
unit_key() {
    sed -n "s/^$1=//p" "$unit"
}
assert_eq forking "$(unit_key Type)" "the unit's Type"
assert_eq -10 "$(unit_key Nice)" "the unit's Nice"
assert_eq on-failure "$(unit_key Restart)" "the unit's Restart"
assert_eq multi-user.target "$(unit_key WantedBy)" "the unit's WantedBy"
assert_eq -/etc/default/roam-agent "$(unit_key EnvironmentFile)" \
    "the unit's EnvironmentFile"
exec_start=$(unit_key ExecStart)
pidfile=$(unit_key PIDFile)
binary=${exec_start%% *}
[ -x "$dest$binary" ] || fail "ExecStart's $binary is not the installed roam-agent"
for opt in --detach --no-chdir "--pidfile=$pidfile" --log-file=; do
    [[ " $exec_start " == *" $opt"* ]] || fail "ExecStart lacks $opt: $exec_start"
done
man=$(unit_key Documentation)
[ "$man" = "man:roam-agent(8)" ] || fail "the unit's Documentation: $man"
[ -n "$(find "$dest" -path '*/man8/roam-agent.8')" ] \
    || fail "the man page that the unit names was not installed"
echo "ok: the installed unit"

# --- Its command line runs hv1's agent ------------------------------------
check tb start --hypervisors 2
wait_until chassis_names_are "hv1 hv2"
check tb agent-stop 1
log_file=$(sed -n 's/.*--log-file=\([^ ]*\).*/\1/p' <<<"$exec_start")
# systemd splits an unbraced $ROAM_AGENT_OPTS at white space.
[[ " $exec_start " == *' $ROAM_AGENT_OPTS '* ]] \
    || fail "ExecStart does not end with \$ROAM_AGENT_OPTS: $exec_start"
cmd=${exec_start//\$ROAM_AGENT_OPTS/--verbose=tunnels:file:dbg}
cmd=${cmd/#$binary/$dest$binary}
cmd=${cmd//$pidfile/$TB_DIR/hv1/roam-agent.pid}
cmd=${cmd//$log_file/$TB_DIR/hv1/roam-agent.log}
: > "$TB_DIR/hv1/roam-agent.log"
# As systemd runs it: at the unit's niceness; it must return once detached.
# shellcheck disable=SC2086
check timeout 10 "$TB" --dir "$TB_DIR" --prefix "$TB_PREFIX" \
    hv 1 nice -n "$(unit_key Nice)" $cmd
alive "$TB_DIR/hv1/roam-agent.pid" || fail "no live roam-agent in the unit's pidfile"
pid=$(agent_pid 1)
assert_eq "$(readlink -f "$dest$binary")" "$(readlink -f "/proc/$pid/exe")" \
    "the daemon's executable"
tb hv 1 ovs-appctl -t roam-agent vlog/list | grep -Eq '^ *tunnels +[A-Z]+ +[A-Z]+ +DBG' \
    || fail "the daemon did not take ROAM_AGENT_OPTS (tunnels:file:dbg)"
grep -q "roam-agent .* started" "$TB_DIR/hv1/roam-agent.log" \
    || fail "the unit's log file has no start line"
synced() {
    agent_status 1 | grep -q "state: SYNCED"
}
wait_until synced
# It serves the chassis: a VM on hv1 reaches one on hv2.
check ctl net-add blue 101
check ctl port-add blue v1 00:00:5e:00:53:01 198.51.100.1/24
check ctl port-add blue v2 00:00:5e:00:53:02 198.51.100.2/24
check tb vm-add v1 1 v1 00:00:5e:00:53:01 198.51.100.1/24
check tb vm-add v2 2 v2 00:00:5e:00:53:02 198.51.100.2/24
port_up() {
    [ "$(ctl get Port "$1" up)" = true ]
}
wait_until port_up v1
wait_until port_up v2
pings() {
    tb vm v1 ping -c 1 -W 1 198.51.100.2
}
wait_until pings
echo "ok: the unit's command line runs the agent"

echo "test-agent-service: ok"
