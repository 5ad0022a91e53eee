/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef TUNNELS_H
#define TUNNELS_H 1

/* Tunnels from this chassis to every other chassis.
 *
 * One OVS port per remote chassis, rather than one flow-based port with
 * options:remote_ip=flow.  The per-chassis port costs one port per peer but
 * makes the overlay readable with the tools operators already use:
 * "ovs-vsctl show" lists "roam-hv2" with its remote_ip, "ovs-ofctl
 * dump-ports" counts packets per peer, and "in_port" tells the pipeline and
 * the operator which chassis a packet came from.  Each port carries
 * options:key=flow (the pipeline sets the VNI in tun_id) and
 * external_ids:roam-chassis=NAME, which is how the agent recognizes its own
 * tunnels: ports on the integration bridge without that key are never
 * touched.
 *
 * The tunnel type is the first of geneve, vxlan, gre that both chassis
 * have; a chassis with none in common gets no tunnel, and a log line.
 *
 * A tunnel runs BFD (bfd:enable, bfd:min_rx and bfd:min_tx set to
 * roam-bfd-interval) when both chassis do (Chassis other_config:roam-bfd),
 * so that ovs-vswitchd itself tells whether the path to the remote chassis
 * works, with no work for the agent and no load on the central database.
 * Only those three keys of the Interface's "bfd" column are the agent's;
 * an operator's other keys stay.  A session that was up and went down is
 * down; one that has not come up since it started (the remote, or the
 * local ovs-vswitchd, has just started) gives no verdict. */

#include <stdbool.h>
#include "openvswitch/shash.h"
#include "openvswitch/types.h"

struct ds;
struct ovsdb_idl;
struct ovsdb_idl_txn;
struct ovsrec_bridge;
struct ovsrec_bridge_table;
struct ovsrec_port;
struct roamrec_chassis;
struct sset;

/* Adds what this module reads and writes to the local database's IDL. */
void tunnels_register_ovs_idl(struct ovsdb_idl *);

/* Inputs of tunnels_run(). */
struct tunnels_ctx_in {
    struct ovsdb_idl_txn *ovs_idl_txn;      /* NULL if no writes possible. */
    const struct ovsrec_bridge *br_int;     /* Integration bridge. */
    const struct ovsrec_bridge_table *bridge_table; /* All bridges: the
                                             * agent's tunnels leave any
                                             * other (a previous
                                             * roam-bridge). */
    const char *own_name;                   /* This chassis's name. */
    int bfd_interval;                       /* BFD interval in ms, 0 for
                                             * no BFD. */
    const struct sset *own_types;           /* Its encapsulation types. */
    struct ovsdb_idl *roam_idl;             /* For the Chassis rows. */
};

/* What BFD says of the path to a remote chassis. */
enum tunnel_bfd {
    TUNNEL_BFD_OFF,             /* No BFD on this tunnel. */
    TUNNEL_BFD_UNKNOWN,         /* Not up since the session started. */
    TUNNEL_BFD_UP,              /* Forwarding. */
    TUNNEL_BFD_DOWN,            /* Was up, and went down. */
};

/* A tunnel to a remote chassis. */
struct tunnel {
    const struct roamrec_chassis *chassis;  /* The remote chassis. */
    const char *type;                       /* "geneve", "vxlan", "gre". */
    const char *remote_ip;                  /* Its endpoint address. */
    ofp_port_t ofport;                      /* OFPP_NONE until OVS assigned
                                             * one. */
    enum tunnel_bfd bfd;                    /* What BFD says of the path
                                             * to the remote chassis. */
    char *port_name;                        /* Its port's name (owned). */
};

/* Makes the tunnel ports on 'br_int' equal to one per remote chassis and
 * fills 'tunnels' (which must be empty) with a "struct tunnel" per remote
 * chassis, keyed by chassis name; free them with tunnels_clear().  Returns
 * true if it wrote to the local database. */
bool tunnels_run(const struct tunnels_ctx_in *, struct shash *tunnels);
void tunnels_clear(struct shash *tunnels);

/* Returns true if 'port' is one of the agent's tunnel ports (it has
 * external_ids:roam-chassis), current or stale. */
bool tunnels_is_tunnel_port(const struct ovsrec_port *port);

#endif /* agent/tunnels.h */
