/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef ANNOUNCE_PACKETS_H
#define ANNOUNCE_PACKETS_H 1

/* The packets that announce a port's addresses after it moved to this
 * chassis (DESIGN section 5), so that every switch, host and router on its
 * network that learned its MAC or resolved its addresses updates at once.
 *
 * This module only builds the packets, as they would leave the virtual
 * machine's own interface; the announcement plugin sends them with OpenFlow
 * packet-out.  See announce-packets.c for the exact contents and what they
 * follow. */

#include <stddef.h>
#include "openvswitch/types.h"

struct dp_packet;

/* The announcements of one port, in the order in which to send them. */
struct announce_packets {
    struct dp_packet **packets; /* Ethernet frames, owned by this struct. */
    size_t n;                   /* Number of elements in 'packets'. */
};

/* Builds into '*ap' the announcements of a port with unicast Ethernet
 * address 'mac' and the addresses 'ips' (the Port's 'ips': "ADDR/PREFIX",
 * IPv4 or IPv6, as roam_validate_port_ip() accepts them): first one RARP
 * for the MAC, then one gratuitous ARP per IPv4 address, then one
 * unsolicited neighbor advertisement per IPv6 address, each family in the
 * order of 'ips'.  An entry that roam_validate_port_ip() refuses is skipped
 * with a rate-limited warning that names 'port_name' and the entry.
 *
 * The caller must eventually free '*ap' with announce_packets_destroy(). */
void announce_packets_compose(const char *port_name, struct eth_addr mac,
                              const char *const *ips, size_t n_ips,
                              struct announce_packets *ap);

/* Frees the packets in 'ap' (but not 'ap' itself).  Accepts NULL. */
void announce_packets_destroy(struct announce_packets *ap);

#endif /* plugins/announce-packets.h */
