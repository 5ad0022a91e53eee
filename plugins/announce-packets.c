/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "announce-packets.h"

#include <stdlib.h>
#include <string.h>

#include "dp-packet.h"
#include "openvswitch/vlog.h"
#include "ovsdb/roam-validate.h"
#include "packets.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(announce_packets);

/* What the announcements contain, and what each choice follows.
 *
 * RARP, for the MAC: what qemu sends when a virtual machine resumes after a
 * migration (net/announce.c, announce_self_create()): destination
 * ff:ff:ff:ff:ff:ff, source the MAC, ethertype 0x8035, hardware type
 * Ethernet, protocol IPv4, opcode 3 ("request reverse", RFC 903), sender
 * and target hardware address the MAC, sender and target protocol address
 * 0.0.0.0.  compose_rarp() builds exactly that.  It carries no IP address,
 * so it is sent for a port without one too; switches learn the MAC from
 * it.
 *
 * Gratuitous ARP, one per IPv4 address: an ARP Announcement (RFC 5227
 * section 2.3), as a Linux guest sends it after a migration (virtio-net's
 * announce raises NETDEV_NOTIFY_PEERS, and inetdev_send_gratuitous_arp()
 * calls arp_send() without target hardware address) and as
 * ovn-controller sends it for a VIF (pinctrl.c, send_garp_rarp()):
 * broadcast, opcode 1 (request, which every implementation processes),
 * sender hardware address the MAC, sender and target protocol address both
 * the announced address, target hardware address 00:00:00:00:00:00 (RFC
 * 5227: "SHOULD be set to all zeroes").  A receiver that has the address in
 * its cache replaces the entry's MAC (RFC 826's merge step) without
 * answering.  No VLAN tag: the overlay carries untagged frames.
 *
 * The RARP and the ARPs are zero-padded to the 60-byte Ethernet minimum,
 * as qemu pads its RARP: the frames are then valid on any link, even where
 * nothing on the way pads short frames (the kernel and ovn-controller
 * leave padding to the NIC and send 42 bytes).
 *
 * Unsolicited neighbor advertisement, one per IPv6 address (RFC 4861
 * section 7.2.6), as a Linux guest sends it after a migration or when an
 * address comes up (ndisc_send_unsol_na(), ndisc_send_na()): destination
 * 33:33:00:00:00:01 and ff02::1 (all-nodes), IPv6 source the announced
 * address itself (the guest's link-local address is not known here),
 * hop limit 255 (receivers drop ND with any other, 7.1.2), ICMPv6 type 136
 * code 0, flags Override only (Solicited MUST be zero in an unsolicited
 * advertisement; Router is for routers and a port is a host), target the
 * announced address, and a target link-layer address option with the MAC,
 * so that a receiver with a cache entry replaces its link-layer address.
 * compose_nd_na() builds this and computes the ICMPv6 checksum over the
 * pseudo-header.  ovn-controller sends no IPv6 announcement for a VIF;
 * Roam does, since IPv6 neighbours need one as much as IPv4 ones.
 *
 * Repeating the announcements (RFC 5227 sends two, RFC 4861 allows up to
 * MAX_NEIGHBOR_ADVERTISEMENT = 3, qemu sends several with backoff) is up
 * to the sender. */

/* Zero-pads 'packet' to the minimum Ethernet frame size without FCS. */
static void
pad_to_ethernet_minimum(struct dp_packet *packet)
{
    size_t size = dp_packet_size(packet);

    if (size < ETH_TOTAL_MIN) {
        dp_packet_put_zeros(packet, ETH_TOTAL_MIN - size);
    }
}

/* Returns a new RARP announcement of 'mac', padded. */
static struct dp_packet *
compose_rarp_announcement(struct eth_addr mac)
{
    struct dp_packet *packet = dp_packet_new(0);

    compose_rarp(packet, mac);
    pad_to_ethernet_minimum(packet);
    return packet;
}

/* Returns a new gratuitous ARP that announces IPv4 address 'ip' at 'mac',
 * padded. */
static struct dp_packet *
compose_garp_announcement(struct eth_addr mac, ovs_be32 ip)
{
    struct dp_packet *packet = dp_packet_new(0);

    compose_arp(packet, ARP_OP_REQUEST, mac, eth_addr_zero, true, ip, ip);
    pad_to_ethernet_minimum(packet);
    return packet;
}

/* Returns a new unsolicited neighbor advertisement that announces IPv6
 * address 'ip' at 'mac'. */
static struct dp_packet *
compose_na_announcement(struct eth_addr mac, const struct in6_addr *ip)
{
    struct dp_packet *packet = dp_packet_new(0);
    struct eth_addr eth_dst;

    ipv6_multicast_to_ethernet(&eth_dst, &in6addr_all_hosts);
    compose_nd_na(packet, mac, eth_dst, ip, &in6addr_all_hosts,
                  htonl(ND_RSO_OVERRIDE));
    return packet;
}

/* One of a port's addresses, parsed. */
struct port_address {
    bool is_ipv4;               /* Which of the two members is valid. */
    ovs_be32 ipv4;              /* The address, if 'is_ipv4'. */
    struct in6_addr ipv6;       /* The address, if not 'is_ipv4'. */
};

/* Parses 'value', one of port 'port_name''s 'ips', into '*addr'.  Returns
 * true if successful; otherwise logs why (rate-limited) and returns
 * false. */
static bool
parse_port_address(const char *port_name, const char *value,
                   struct port_address *addr)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    char *error = roam_validate_port_ip(value);
    unsigned int plen;

    if (!error) {
        /* An IPv6 address always contains a colon, an IPv4 one never. */
        addr->is_ipv4 = !strchr(value, ':');
        error = (addr->is_ipv4
                 ? ip_parse_cidr(value, &addr->ipv4, &plen)
                 : ipv6_parse_cidr(value, &addr->ipv6, &plen));
        if (!error) {
            return true;
        }
    }
    VLOG_WARN_RL(&rl, "port %s: not announcing address: %s",
                 port_name, error);
    free(error);
    return false;
}

void
announce_packets_compose(const char *port_name, struct eth_addr mac,
                         const char *const *ips, size_t n_ips,
                         struct announce_packets *ap)
{
    struct port_address *addrs = xmalloc(n_ips * sizeof *addrs);
    size_t n_addrs = 0;

    for (size_t i = 0; i < n_ips; i++) {
        if (parse_port_address(port_name, ips[i], &addrs[n_addrs])) {
            n_addrs++;
        }
    }

    ap->packets = xmalloc((1 + n_addrs) * sizeof *ap->packets);
    ap->n = 0;

    ap->packets[ap->n++] = compose_rarp_announcement(mac);

    for (size_t i = 0; i < n_addrs; i++) {
        if (addrs[i].is_ipv4) {
            ap->packets[ap->n++] = compose_garp_announcement(mac,
                                                             addrs[i].ipv4);
        }
    }
    for (size_t i = 0; i < n_addrs; i++) {
        if (!addrs[i].is_ipv4) {
            ap->packets[ap->n++] = compose_na_announcement(mac,
                                                           &addrs[i].ipv6);
        }
    }

    free(addrs);
}

void
announce_packets_destroy(struct announce_packets *ap)
{
    if (ap) {
        for (size_t i = 0; i < ap->n; i++) {
            dp_packet_delete(ap->packets[i]);
        }
        free(ap->packets);
        ap->packets = NULL;
        ap->n = 0;
    }
}
