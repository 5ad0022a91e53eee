#!/bin/bash
# Copyright (c) 2026 The Roam authors.
#
# Licensed under the Apache License, Version 2.0 (the "License").
#
# The overlay data path with real packets: 3 hypervisors, 2 networks, 7 VMs.
#
#   blue (VNI 1001): b1 (hv1), b2 (hv2), b3 (hv1)
#   red  (VNI 1002): r1 (hv1), r2 (hv2), r3 (hv3)
#
# hv3 has no blue port, so it must receive none of blue's broadcasts.  r1
# also holds 198.51.100.99, an address in blue's subnet, to show that not even
# ARP crosses between networks.

. "$ROAM_SRCDIR/tests/system/lib.sh"
. "$ROAM_SRCDIR/tests/system/agent-lib.sh"

check tb start --hypervisors 3
wait_until chassis_names_are "hv1 hv2 hv3"

check ctl net-add blue 1001
check ctl net-add red 1002
add_vm b1 1 blue 00:00:5e:00:53:b1 198.51.100.11/24 2001:db8:b::11/64
add_vm b2 2 blue 00:00:5e:00:53:b2 198.51.100.12/24 2001:db8:b::12/64
add_vm b3 1 blue 00:00:5e:00:53:b3 198.51.100.13/24 2001:db8:b::13/64
add_vm r1 1 red 00:00:5e:00:53:c1 203.0.113.11/24 198.51.100.99/24
add_vm r2 2 red 00:00:5e:00:53:c2 203.0.113.12/24
add_vm r3 3 red 00:00:5e:00:53:c3 203.0.113.13/24

for vm in b1:hv1 b2:hv2 b3:hv1 r1:hv1 r2:hv2 r3:hv3; do
    wait_until port_on "${vm%:*}" "${vm#*:}"
    wait_until port_up "${vm%:*}"
done

# Tunnels: one port per remote chassis, visible in ovs-vsctl show.
for k in 1 2 3; do
    show=$(tb hv $k ovs-vsctl show)
    for j in 1 2 3; do
        [ $j = $k ] && continue
        grep -q "Port roam-hv$j" <<<"$show" \
            || fail "hv$k: no tunnel port roam-hv$j in ovs-vsctl show"
        assert_eq "\"192.0.2.1$j\"" \
            "$(tb hv $k ovs-vsctl get Interface roam-hv$j options:remote_ip)" \
            "hv$k: remote_ip of roam-hv$j"
    done
done
# ... each with BFD, which comes up.
bfd_up() {  # HV PEER
    [ "$(tb hv "$1" ovs-vsctl get Interface "roam-hv$2" bfd_status:forwarding 2>/dev/null)" = '"true"' ]
}
for k in 1 2 3; do
    for j in 1 2 3; do
        [ $j = $k ] && continue
        assert_eq '{enable="true", min_rx="1000", min_tx="1000"}' \
            "$(tb hv $k ovs-vsctl get Interface roam-hv$j bfd)" \
            "hv$k: BFD configuration of roam-hv$j"
        wait_until bfd_up $k $j
    done
done
# roam-bfd-interval sets it, without touching anything else of the tunnel
# (an operator's own BFD keys stay).  With 0 the chassis says it runs no BFD
# (Chassis other_config:roam-bfd), and its peers switch BFD off on their
# tunnels to it too, rather than take it for unreachable.
tunnel_row() {  # HV PEER
    tb hv "$1" ovs-vsctl --columns=_uuid,ofport,options list Interface "roam-hv$2"
}
before=$(tunnel_row 1 2)
check tb hv 1 ovs-vsctl set Interface roam-hv2 bfd:mult=4
check tb hv 1 ovs-vsctl set Open_vSwitch . external_ids:roam-bfd-interval=300
bfd_is() {  # HV PEER VALUE
    [ "$(tb hv "$1" ovs-vsctl get Interface "roam-hv$2" bfd)" = "$3" ]
}
wait_until bfd_is 1 2 '{enable="true", min_rx="300", min_tx="300", mult="4"}'
check tb hv 1 ovs-vsctl set Open_vSwitch . external_ids:roam-bfd-interval=0
wait_until bfd_is 1 2 '{mult="4"}'
wait_until bfd_is 1 3 '{}'
wait_until bfd_is 2 1 '{}'
wait_until bfd_is 3 1 '{}'
sleep 4
for k in 2 3; do
    status_has $k "unreachable chassis" \
        && fail "hv$k takes hv1, which runs no BFD, for unreachable"
done
check tb hv 1 ovs-vsctl remove Open_vSwitch . external_ids roam-bfd-interval
check tb hv 1 ovs-vsctl remove Interface roam-hv2 bfd mult
wait_until bfd_is 1 2 '{enable="true", min_rx="1000", min_tx="1000"}'
for j in 2 3; do
    wait_until bfd_is $j 1 '{enable="true", min_rx="1000", min_tx="1000"}'
    wait_until bfd_up 1 $j
    wait_until bfd_up $j 1
done
assert_eq "$before" "$(tunnel_row 1 2)" \
    "hv1's tunnel to hv2 (row, OpenFlow port, options) after the BFD changes"

# ping_ok VM ADDR: ping succeeds (retrying while tunnels warm up).
ping_ok() {
    tb vm "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1
}
# ping_fails VM ADDR: 3 pings all fail.
ping_fails() {
    ! tb vm "$1" ping -c 3 -i 0.2 -W 1 "$2" >/dev/null 2>&1
}

# --- Within a network: across hypervisors and on one, IPv4 and IPv6 --------
wait_until -t 15 ping_ok b1 198.51.100.12
wait_until ping_ok b2 198.51.100.11
wait_until ping_ok b1 198.51.100.13
wait_until ping_ok r1 203.0.113.13
wait_until ping_ok r3 203.0.113.12
wait_until -t 15 ping_ok b1 2001:db8:b::12
wait_until ping_ok b3 2001:db8:b::11
tcp_exchange b2 198.51.100.12 b1
tcp_exchange r3 203.0.113.13 r1

# --- Networks are isolated, ARP included -----------------------------------
# bg_tb ARGS...: roam-testbed in the background; its pid ($!) is that of the
# command it runs, since roam-testbed execs it (tb, a function, would put a
# subshell in between that a kill would not get past).
bg_tb() {
    "$TB" --dir "$TB_DIR" --prefix "$TB_PREFIX" "$@" >/dev/null 2>&1 &
}
capture() {  # VM FILE FILTER...: tcpdump in VM's namespace; prints its pid
    local vm=$1 file=$2
    shift 2
    bg_tb vm "$vm" timeout 20 tcpdump -i eth0 -n -l -U -w "$file" "$@"
    echo $!
}
count_packets() {  # FILE [FILTER]
    tcpdump -n -r "$1" 2>/dev/null | wc -l
}
cap=$TB_DIR/r1-arp.pcap
pid=$(capture r1 "$cap" arp)
on_exit "kill $pid 2>/dev/null"
sleep 1
ping_fails b1 198.51.100.99 || fail "b1 (blue) reached r1's address in red"
ping_fails b1 203.0.113.11 || fail "b1 (blue) reached r1 (red)"
ping_fails r2 198.51.100.12 || fail "r2 (red) reached b2 (blue)"
sleep 0.5
kill $pid 2>/dev/null; wait $pid 2>/dev/null
assert_eq 0 "$(count_packets "$cap")" "ARP packets from blue seen by r1 (red)"

# --- Broadcast reaches exactly the VMs of its network ------------------------
# ... and a chassis without ports on the network receives none of it: hv3's
# uplink sees no Geneve packet with blue's VNI while hv2's does.
geneve_vni_filter="udp port 6081 and (udp[12:4] >> 8) = 1001"
declare -A pids
for vm in b2 b3 r1 r2 r3; do
    pids[$vm]=$(capture $vm "$TB_DIR/$vm-bcast.pcap" icmp and dst host 198.51.100.255)
    on_exit "kill ${pids[$vm]} 2>/dev/null"
done
for k in 2 3; do
    bg_tb hv $k timeout 20 tcpdump -i uplink -n -U \
        -w "$TB_DIR/hv$k-geneve.pcap" "$geneve_vni_filter"
    pids[hv$k]=$!
    on_exit "kill ${pids[hv$k]} 2>/dev/null"
done
sleep 1.5
tb vm b1 ping -b -c 5 -i 0.2 198.51.100.255 >/dev/null 2>&1
sleep 1
for p in "${pids[@]}"; do
    kill "$p" 2>/dev/null
    wait "$p" 2>/dev/null
done
for vm in b2 b3; do
    assert_eq 5 "$(count_packets "$TB_DIR/$vm-bcast.pcap")" \
        "broadcast pings from b1 seen by $vm (blue)"
done
for vm in r1 r2 r3; do
    assert_eq 0 "$(count_packets "$TB_DIR/$vm-bcast.pcap")" \
        "broadcast pings from b1 seen by $vm (red)"
done
n=$(count_packets "$TB_DIR/hv2-geneve.pcap")
[ "$n" -ge 5 ] || fail "hv2's uplink: expected at least 5 Geneve packets with VNI 1001, got $n"
assert_eq 0 "$(count_packets "$TB_DIR/hv3-geneve.pcap")" \
    "Geneve packets with blue's VNI on hv3's uplink (hv3 has no blue port)"

# --- A VIF plugged before its Port row exists ---------------------------------
check tb vm-add b4 3 b4 00:00:5e:00:53:b4 198.51.100.14/24
sleep 1
ping_fails b4 198.51.100.11 || fail "b4 reached b1 before its Port row existed"
wait_until grep -q "VIF for port b4 .*no Port row" "$(agent_log 3)"
check ctl port-add blue b4 00:00:5e:00:53:b4 198.51.100.14/24
wait_until port_up b4
wait_until -t 15 ping_ok b4 198.51.100.11

# --- A VIF whose Port is requested elsewhere gets no traffic -----------------
check ctl port-add blue b5 00:00:5e:00:53:b5 198.51.100.15/24
check ctl port-set-requested-chassis b5 hv2
check tb vm-add b5 3 b5 00:00:5e:00:53:b5 198.51.100.15/24
wait_until grep -q "VIF for port b5 .*requested_chassis names other chassis" \
    "$(agent_log 3)"
ping_fails b5 198.51.100.11 || fail "b5 reached b1 while requested on hv2"
# ... until the orchestrator requests it here.
check ctl port-set-requested-chassis b5 hv3
wait_until port_on b5 hv3
wait_until port_up b5
wait_until -t 15 ping_ok b5 198.51.100.11
# Bound elsewhere by force, then handed back: delivery follows the binding.
check ctl set Port b5 chassis="$(row_uuid Chassis hv2)"
wait_until grep -q "port b5 is bound to hv2 now" "$(agent_log 3)"
ping_fails b5 198.51.100.11 || fail "b5 still reached b1 while bound to hv2"
check ctl set Port b5 chassis="$(row_uuid Chassis hv3)"
wait_until grep -q "port b5 is bound to this chassis again" "$(agent_log 3)"
wait_until -t 15 ping_ok b5 198.51.100.11

# --- Tunnels come and go with chassis ---------------------------------------
check ctl -- --id=@e create Encap type=geneve ip=192.0.2.99 chassis_name=hv9 \
    -- create Chassis name=hv9 hostname=hv9 encaps=@e
has_tunnel() {  # K NAME
    tb hv "$1" ovs-vsctl list-ports br-int | grep -qx "$2"
}
lacks_tunnel() {
    ! has_tunnel "$@"
}
wait_until has_tunnel 1 roam-hv9
wait_until has_tunnel 2 roam-hv9
check ctl destroy Chassis hv9
wait_until lacks_tunnel 1 roam-hv9
wait_until lacks_tunnel 2 roam-hv9
# The other tunnels were not touched.
has_tunnel 1 roam-hv2 && has_tunnel 1 roam-hv3 || fail "hv1 lost a tunnel"
ping_ok b1 198.51.100.12 || fail "b1 -> b2 broke while hv9 came and went"

echo "test-datapath: ok"
