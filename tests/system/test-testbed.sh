#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# The testbed itself, without agents: hypervisors, underlay, VMs, stop, and a
# clustered central database.

. "$ROAM_SRCDIR/tests/system/lib.sh"

# vsctl_get K ARGS...: "tb hv K ovs-vsctl get ARGS" without OVSDB quoting.
vsctl_get() {
    local k=$1; shift
    tb hv "$k" ovs-vsctl get "$@" | tr -d '"'
}

# instance_ns: this instance's namespaces.
instance_ns() {
    ip netns list | awk '{print $1}' | grep "^$TB_PREFIX-" || true
}

# --- 3 hypervisors, no agent ----------------------------------------------
check tb start --hypervisors 3 --no-agent

for k in 1 2 3; do
    alive "$TB_DIR/hv$k/ovs-vswitchd.pid" || fail "hv$k: ovs-vswitchd does not run"
    alive "$TB_DIR/hv$k/ovsdb-server.pid" || fail "hv$k: ovsdb-server does not run"
    check tb hv $k ovs-appctl -t ovs-vswitchd version
    check tb hv $k ovs-vsctl br-exists br-phy
    assert_eq netdev "$(vsctl_get $k Bridge br-phy datapath_type)" "hv$k br-phy datapath_type"
    assert_eq "hv$k" "$(vsctl_get $k Open_vSwitch . external_ids:system-id)" "hv$k system-id"
    assert_eq "192.0.2.1$k" "$(vsctl_get $k Open_vSwitch . external_ids:roam-encap-ip)" "hv$k encap ip"
    assert_eq geneve "$(vsctl_get $k Open_vSwitch . external_ids:roam-encap-type)" "hv$k encap type"
    assert_eq "unix:$TB_DIR/central/roam.sock" \
        "$(vsctl_get $k Open_vSwitch . external_ids:roam-remote)" "hv$k roam-remote"
    tb hv $k ip -br addr show br-phy | grep -q "192.0.2.1$k/24" \
        || fail "hv$k: br-phy lacks 192.0.2.1$k/24"
    tb hv $k ethtool -k uplink | grep -q '^tx-checksumming: off' \
        || fail "hv$k: uplink has TX checksum offload on"
    assert_eq 1 "$(tb hv $k sysctl -n net.ipv4.conf.all.arp_ignore)" "hv$k arp_ignore"
done
echo "3 hypervisors run"

for i in 1 2 3; do
    for j in 1 2 3; do
        [ $i = $j ] && continue
        check tb hv $i ping -c1 -W1 192.0.2.1$j
    done
done
echo "underlay: every hypervisor reaches every other"

out=$(tb hv 4 true 2>&1) && fail "hv 4 should not exist"
assert_eq "roam-testbed: hv 4 does not exist (testbed has 3)" "$out" "error for hv 4"

# A second start changes nothing.
pid1=$(cat "$TB_DIR/hv1/ovs-vswitchd.pid")
check tb start --no-agent
assert_eq "$pid1" "$(cat "$TB_DIR/hv1/ovs-vswitchd.pid")" "hv1 vswitchd pid after a second start"

# --- VMs ------------------------------------------------------------------
check tb vm-add vm1 1 port1 0a:00:00:00:01:01 198.51.100.11/24 2001:db8::11/64
check tb vm-add vm2 1 port2 0a:00:00:00:01:02 198.51.100.12/24
ip netns list | grep -q "^$TB_PREFIX-vm-vm1\b" || fail "no namespace $TB_PREFIX-vm-vm1"
tb hv 1 ovs-vsctl list-ports br-int | grep -qx vm-vm1 || fail "vm-vm1 not on br-int"
assert_eq port1 "$(vsctl_get 1 Interface vm-vm1 external_ids:iface-id)" "vm1 iface-id"
tb vm vm1 ip -br link show eth0 | grep -q '0a:00:00:00:01:01' || fail "vm1's eth0 lacks its MAC"
tb vm vm1 ip -br addr show eth0 | grep -q '198.51.100.11/24' || fail "vm1's eth0 lacks its address"
tb vm vm1 ethtool -k eth0 | grep -q '^tx-checksumming: off' || fail "vm1: eth0 TX offload on"
tb hv 1 ethtool -k vm-vm1 | grep -q '^tx-checksumming: off' || fail "hv1: vm-vm1 TX offload on"

# No agent programs br-int here: a NORMAL flow shows the VMs' links carry
# ping and TCP.
check tb hv 1 ovs-ofctl add-flow br-int actions=NORMAL
check tb vm vm1 ping -c1 -W2 198.51.100.12
if command -v python3 >/dev/null; then
    tcp_exchange vm2 198.51.100.12 vm1
    echo "VMs on hv1 exchange TCP"
fi

# A VM name too long for an interface name still works.
check tb vm-add a-rather-long-vm-name 2 port3 0a:00:00:00:01:03 198.51.100.13/24
tb hv 2 ovs-vsctl --bare --columns=name find Interface external_ids:iface-id=port3 \
    | grep -Eq '^vm-.{1,12}$' || fail "no valid interface for port3 on hv2"

check tb vm-del vm2
ip netns list | grep -q "^$TB_PREFIX-vm-vm2\b" && fail "vm2's namespace survives vm-del"
tb hv 1 ovs-vsctl list-ports br-int | grep -qx vm-vm2 && fail "vm-vm2 survives vm-del"
out=$(tb vm-add vm1 2 port9 0a:00:00:00:01:09 198.51.100.19/24 2>&1) && fail "duplicate vm-add succeeded"

# --- stop -----------------------------------------------------------------
pidfiles=("$TB_DIR"/central/*.pid "$TB_DIR"/hv*/*.pid)
assert_eq 7 "${#pidfiles[@]}" "number of pidfiles (central + 3 x 2)"
pids=$(cat "${pidfiles[@]}")
check tb stop
for p in $pids; do
    stat=$(cat "/proc/$p/stat" 2>/dev/null) && [ "$(echo "${stat##*) }" | cut -c1)" != Z ] \
        && fail "process $p survives stop: $(tr '\0' ' ' < "/proc/$p/cmdline")"
done
assert_eq "" "$(instance_ns)" "namespaces left after stop"
check tb stop
echo "stop removed every process and namespace"

# --- clustered central database -------------------------------------------
check tb start --cluster --hypervisors 1 --no-agent
leaders=0
for k in 1 2 3; do
    alive "$TB_DIR/central/roam$k.pid" || fail "cluster member $k does not run"
    st=$(check ovs-appctl -t "$TB_DIR/central/roam$k.ctl" cluster/status Roam)
    echo "$st" | grep -q '^Status: cluster member' || fail "member $k: $st"
    echo "$st" | grep -q '^Role: leader' && leaders=$((leaders + 1))
done
assert_eq 1 "$leaders" "number of leaders"
leader=$(check tb cluster-leader)
[[ $leader =~ ^[123]$ ]] || fail "cluster-leader printed \"$leader\""
check tb ctl init
remote=$(vsctl_get 1 Open_vSwitch . external_ids:roam-remote)
assert_eq "unix:$TB_DIR/central/roam1.sock,unix:$TB_DIR/central/roam2.sock,unix:$TB_DIR/central/roam3.sock" \
    "$remote" "hv1 roam-remote"

# The leader dies: another takes over; it comes back as a follower.
check tb cluster-kill "$leader"
wait_until -t 15 tb cluster-leader
new=$(tb cluster-leader)
[ "$new" != "$leader" ] || fail "killed member $leader is still leader"
check tb cluster-start "$leader"
wait_until -t 15 sh -c "ovs-appctl -t '$TB_DIR/central/roam$leader.ctl' cluster/status Roam | grep -q '^Status: cluster member'"
echo "cluster: leader $leader killed, member $new took over, $leader rejoined"

pids=$(cat "$TB_DIR"/central/*.pid "$TB_DIR"/hv*/*.pid)
check tb stop
for p in $pids; do
    stat=$(cat "/proc/$p/stat" 2>/dev/null) && [ "$(echo "${stat##*) }" | cut -c1)" != Z ] \
        && fail "process $p survives stop"
done
assert_eq "" "$(instance_ns)" "namespaces left after stop"
echo "PASS"
