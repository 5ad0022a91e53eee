/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef ANNOUNCE_H
#define ANNOUNCE_H 1

/* The "announce" plugin: after this chassis takes a port (a cold move, a
 * failover, a live migration's activation), it announces the port's
 * addresses through the overlay, so that anything that learns MACs
 * (physical switches behind a gateway, other VMs' caches) updates at once:
 * a RARP for the MAC, a gratuitous ARP for each IPv4 address, an
 * unsolicited neighbour advertisement for each IPv6 address
 * (announce-packets.h).  They enter the pipeline as if the VM had sent them,
 * with OpenFlow packet-out, after the port's flows: they are flooded in the
 * port's network like any broadcast from it.
 *
 * Switch it off with Open_vSwitch external_ids:roam-plugins-disabled=
 * announce.  It owns no table and adds no flow. */

struct plugin_class;

extern const struct plugin_class announce_plugin;

#endif /* plugins/announce.h */
