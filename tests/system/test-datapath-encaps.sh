#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# Tunnels of every encapsulation type, chosen per pair of chassis: the first
# of geneve, vxlan, gre that both have.
#
#   hv1: geneve, vxlan, gre    v1
#   hv2: vxlan                 v2    hv1 <-> hv2: vxlan
#   hv3: gre                   v3    hv1 <-> hv3: gre
#                                    hv2 <-> hv3: nothing in common
#
# VMs ping across the VXLAN and the GRE tunnel (IPv4 and IPv6), v2 and v3
# cannot reach each other, and hv2's and hv3's logs say why.  Then hv3 adds vxlan: hv2 and hv3 get a tunnel and v2
# reaches v3, and hv1's tunnel to hv3 turns VXLAN (which comes before GRE)
# in place, keeping its OpenFlow port.  Last, an Encap whose ip is no
# tunnel endpoint is skipped, with a warning that names it, and so is a
# tunnel whose port name another port has.

. "$ROAM_SRCDIR/tests/system/lib.sh"
. "$ROAM_SRCDIR/tests/system/agent-lib.sh"

check tb start --hypervisors 3
wait_until chassis_names_are "hv1 hv2 hv3"
check ovs_set 1 roam-encap-type=geneve,vxlan,gre
check ovs_set 2 roam-encap-type=vxlan
check ovs_set 3 roam-encap-type=gre
wait_until expect_encaps hv1 "hv1,geneve,192.0.2.11
hv1,gre,192.0.2.11
hv1,vxlan,192.0.2.11"
wait_until expect_encaps hv2 "hv2,vxlan,192.0.2.12"
wait_until expect_encaps hv3 "hv3,gre,192.0.2.13"

# tunnel_is HV PEER TYPE: HV's tunnel port to PEER has TYPE ("" for none).
tunnel_is() {
    local type
    type=$(tb hv "$1" ovs-vsctl --if-exists get Interface "roam-$2" type 2>/dev/null)
    [ "$type" = "$3" ]
}
wait_until tunnel_is 1 hv2 vxlan
wait_until tunnel_is 2 hv1 vxlan
wait_until tunnel_is 1 hv3 gre
wait_until tunnel_is 3 hv1 gre
wait_until tunnel_is 2 hv3 ""
wait_until tunnel_is 3 hv2 ""
wait_until grep -q "chassis hv3 has no encapsulation type in common" \
    "$(agent_log 2)"
wait_until grep -q "chassis hv2 has no encapsulation type in common" \
    "$(agent_log 3)"

check ctl net-add blue 1001
add_vm v1 1 blue 00:00:5e:00:53:01 198.51.100.1/24 2001:db8:b::1/64
add_vm v2 2 blue 00:00:5e:00:53:02 198.51.100.2/24 2001:db8:b::2/64
add_vm v3 3 blue 00:00:5e:00:53:03 198.51.100.3/24 2001:db8:b::3/64
for vm in v1 v2 v3; do
    wait_until port_up $vm
done

ping_ok() {  # VM ADDR
    tb vm "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1
}
ping_fails() {  # VM ADDR
    ! tb vm "$1" ping -c 3 -i 0.2 -W 1 "$2" >/dev/null 2>&1
}
wait_until -t 15 ping_ok v1 198.51.100.2
wait_until -t 15 ping_ok v1 198.51.100.3
wait_until -t 15 ping_ok v2 198.51.100.1
wait_until -t 15 ping_ok v3 198.51.100.1
wait_until -t 15 ping_ok v1 2001:db8:b::2
wait_until -t 15 ping_ok v1 2001:db8:b::3
echo "ok: v1 reaches v2 over VXLAN and v3 over GRE, IPv4 and IPv6"

# The packets really took those tunnels: the OpenFlow port counters of
# hv1's tunnels grew.
tx_packets() {  # HV PORT
    tb hv "$1" ovs-ofctl dump-ports br-int "$2" \
        | sed -n 's/.*tx pkts=\([0-9]*\).*/\1/p' | head -1
}
vx0=$(tx_packets 1 roam-hv2)
gre0=$(tx_packets 1 roam-hv3)
check tb vm v1 ping -c 5 -i 0.2 -W 1 198.51.100.2
check tb vm v1 ping -c 5 -i 0.2 -W 1 198.51.100.3
[ "$(tx_packets 1 roam-hv2)" -ge $((vx0 + 5)) ] \
    || fail "hv1's VXLAN tunnel to hv2 sent fewer than 5 packets"
[ "$(tx_packets 1 roam-hv3)" -ge $((gre0 + 5)) ] \
    || fail "hv1's GRE tunnel to hv3 sent fewer than 5 packets"

# No tunnel between hv2 and hv3: their VMs cannot talk.
ping_fails v2 198.51.100.3 || fail "v2 reached v3 without a tunnel"
echo "ok: v2 and v3 have no encapsulation in common and do not reach each other"

# hv3 adds vxlan: hv2 and hv3 get a VXLAN tunnel.
gre_ofport=$(tb hv 1 ovs-vsctl get Interface roam-hv3 ofport)
check ovs_set 3 roam-encap-type=gre,vxlan
wait_until tunnel_is 2 hv3 vxlan
wait_until tunnel_is 3 hv2 vxlan
wait_until -t 15 ping_ok v2 198.51.100.3
echo "ok: once hv3 adds vxlan, v2 reaches v3 over VXLAN"
# hv1 and hv3 now share vxlan too, which comes before gre: that tunnel
# switches to VXLAN in place (same port, same OpenFlow port number).
wait_until tunnel_is 1 hv3 vxlan
assert_eq "$gre_ofport" "$(tb hv 1 ovs-vsctl get Interface roam-hv3 ofport)" \
    "hv1's OpenFlow port to hv3 after its type changed"
wait_until -t 15 ping_ok v1 198.51.100.3

# An Encap whose ip is no tunnel endpoint (written by hand: roam-ctl's own
# commands refuse it) is skipped, naming it: chassis bad's geneve one, so
# hv1 uses bad's vxlan Encap; chassis worse has no other, so no tunnel.
check ctl -- --id=@g create Encap type=geneve ip=bogus chassis_name=bad \
    -- --id=@v create Encap type=vxlan ip=192.0.2.98 chassis_name=bad \
    -- create Chassis name=bad hostname=bad "encaps=[@g,@v]" \
    -- --id=@w create Encap type=geneve ip=127.0.0.1 chassis_name=worse \
    -- create Chassis name=worse hostname=worse encaps=@w
wait_until tunnel_is 1 bad vxlan
assert_eq '"192.0.2.98"' \
    "$(tb hv 1 ovs-vsctl get Interface roam-bad options:remote_ip)" \
    "hv1's tunnel to chassis bad: remote_ip"
wait_until grep -q 'chassis bad: geneve Encap: ip: "bogus" is not' "$(agent_log 1)"
wait_until grep -q 'chassis worse: geneve Encap: ip: "127.0.0.1" cannot be a tunnel endpoint' \
    "$(agent_log 1)"
wait_until grep -q 'chassis worse has no usable encapsulation type in common' \
    "$(agent_log 1)"
tunnel_is 1 worse "" || fail "hv1 has a tunnel to chassis worse (ip 127.0.0.1)"
check ping_ok v1 198.51.100.2
check ping_ok v1 198.51.100.3
for k in 1 2 3; do
    agent_alive $k || fail "hv$k's agent died"
done
echo "ok: Encaps with a bad ip are skipped and named"

# Tunnel port names are unique in hv1's database.  compute-142392 and
# compute-172240 both hash to roam-85c286cc.  compute-172240 comes first
# and gets it; compute-142392, which comes later, gets another of its names
# although its name sorts first: a tunnel keeps its port.  Chassis other
# would have roam-other, an operator's port on hv1: it gets another name
# too.  Each clash is named, every chassis has its tunnel, and the
# operator's port is left alone.
tunnel_name() {  # HV CHASSIS: the name of HV's tunnel port to CHASSIS
    tb hv "$1" ovs-vsctl --bare --columns=name find Port \
        "external_ids:roam-chassis=$2"
}
tunnel_name_is() {
    [ "$(tunnel_name "$1" "$2")" = "$3" ]
}
remote_ip_of() {  # HV CHASSIS
    tb hv "$1" ovs-vsctl get Interface "$(tunnel_name "$1" "$2")" \
        options:remote_ip
}
check tb hv 1 ovs-vsctl add-port br-int roam-other \
    -- set Interface roam-other type=internal
check ctl -- --id=@b create Encap type=geneve ip=192.0.2.95 chassis_name=compute-172240 \
    -- create Chassis name=compute-172240 hostname=b encaps=@b
wait_until tunnel_name_is 1 compute-172240 roam-85c286cc
check ctl -- --id=@a create Encap type=geneve ip=192.0.2.94 chassis_name=compute-142392 \
    -- create Chassis name=compute-142392 hostname=a encaps=@a \
    -- --id=@o create Encap type=geneve ip=192.0.2.96 chassis_name=other \
    -- create Chassis name=other hostname=o encaps=@o
wait_until grep -q 'adding tunnel roam-[0-9a-f]\{8\} to chassis compute-142392 (geneve, remote_ip 192.0.2.94): its usual name roam-85c286cc belongs to another port or interface of this switch' \
    "$(agent_log 1)"
wait_until grep -q 'adding tunnel roam-[0-9a-f]\{8\} to chassis other (geneve, remote_ip 192.0.2.96): its usual name roam-other belongs to another port or interface of this switch' \
    "$(agent_log 1)"
assert_eq roam-85c286cc "$(tunnel_name 1 compute-172240)" \
    "hv1's tunnel port to compute-172240, which came first"
for ch in compute-142392 other; do
    wait_until eval '[ -n "$(tunnel_name 1 '$ch')" ]'
    case $(tunnel_name 1 $ch) in
        roam-85c286cc|roam-other) fail "hv1's tunnel to $ch took a name that was taken" ;;
    esac
done
assert_eq '"192.0.2.95"' "$(remote_ip_of 1 compute-172240)" \
    "remote_ip of hv1's tunnel to compute-172240"
assert_eq '"192.0.2.94"' "$(remote_ip_of 1 compute-142392)" \
    "remote_ip of hv1's tunnel to compute-142392"
assert_eq '"192.0.2.96"' "$(remote_ip_of 1 other)" \
    "remote_ip of hv1's tunnel to other"
check ctl -- --id=@l create Encap type=geneve ip=192.0.2.97 chassis_name=late \
    -- create Chassis name=late hostname=l encaps=@l
wait_until tunnel_is 1 late geneve
assert_eq roam-85c286cc "$(tunnel_name 1 compute-172240)" \
    "hv1's tunnel port to compute-172240 after more chassis came"
assert_eq internal "$(tb hv 1 ovs-vsctl get Interface roam-other type)" \
    "type of hv1's port roam-other"
echo "ok: tunnel port name clashes are named, and every chassis has a tunnel"

echo "test-datapath-encaps: ok"
