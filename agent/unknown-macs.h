/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef UNKNOWN_MACS_H
#define UNKNOWN_MACS_H 1

/* Unicast from tunnels to MACs that no Port has.
 *
 * Flood sends unicast that came from a tunnel and that no local VIF's flow
 * took to the agent too, since it may be one of a new VIF's first packets
 * (pipeline.h).  Traffic to a MAC that no Port of the network has (the
 * clients of a deleted VM, a scan) takes that way in steady state too, at
 * up to the meter's rate, and the agent can only drop it.  So the agent
 * learns such networks and MACs from the packets that it drops for want of
 * a VIF (first_packets_run()), and adds for each a flow that floods that
 * traffic without sending it to the agent (pipeline_add_unknown_mac_flow()),
 * with the network's cookie:
 *
 *   - for a time (roam-unknown-mac-timeout, 60 s by default); then the
 *     next such packet learns it again;
 *
 *   - until a Port of the network gets that MAC, or the network stops being
 *     local: the next run of the modules then removes the flow, before
 *     that Port's VIF here could get its first packets;
 *
 *   - for at most UNKNOWN_MACS_MAX MACs; traffic to further ones reaches the
 *     agent at the meter's rate, as without this module.
 *
 * A MAC of a Port whose VIF is elsewhere is never learned: its VIF may be
 * plugged here next (a cold migration), and its first packets from tunnels
 * must reach the agent. */

#include <stdbool.h>
#include "openvswitch/hmap.h"

struct desired_flows;
struct ds;
struct flow_set;
struct ofctrl_packet_in;
struct ovsdb_idl;
struct ovsdb_idl_index;

#define UNKNOWN_MACS_MAX 1024

struct unknown_macs {
    struct hmap entries;        /* "struct unknown_mac"s, by network key
                                 * and MAC. */
    unsigned long long int n_learned;
    unsigned long long int n_full; /* Not learned: UNKNOWN_MACS_MAX
                                    * reached. */
};

/* Inputs of unknown_macs_learn() and unknown_macs_run(). */
struct unknown_macs_ctx_in {
    struct ovsdb_idl *roam_idl;                 /* Networks and Ports. */
    struct ovsdb_idl_index *port_by_network_mac;
                                        /* unknown_macs_port_index_create() */
    const struct desired_flows *desired;        /* Its local networks. */
    int timeout;                /* How long a MAC stays learned, in ms; 0
                                 * to learn none. */
    long long int now;                          /* time_msec(). */
};

void unknown_macs_init(struct unknown_macs *);
void unknown_macs_destroy(struct unknown_macs *);

/* Creates the index of Ports by network and MAC (in any case) that
 * unknown_macs_ctx_in needs. */
struct ovsdb_idl_index *unknown_macs_port_index_create(struct ovsdb_idl *);

/* 'pin' is a packet from a tunnel that no VIF here may take (one that
 * first_packets_run() dropped for that reason).  If it is unicast to a MAC
 * that no Port of its network, a local one, has, learns that MAC and adds
 * its flow to 'flows', the desired flows.  Returns true if 'flows'
 * changed. */
bool unknown_macs_learn(const struct unknown_macs_ctx_in *,
                        struct unknown_macs *,
                        const struct ofctrl_packet_in *pin,
                        struct flow_set *flows);

/* Forgets the MACs that expired, whose network is gone or no longer local,
 * or that a Port of the network has now, removing their flows from
 * 'flows'; and adds to 'flows' those of the others that are missing (a
 * computation of their network, or of every flow, removed them).  Returns
 * true if 'flows' changed. */
bool unknown_macs_run(const struct unknown_macs_ctx_in *,
                      struct unknown_macs *, struct flow_set *flows);

/* Returns the time_msec() when the first learned MAC expires after
 * 'timeout' ms, LLONG_MAX if none is learned. */
long long int unknown_macs_next_expiry(const struct unknown_macs *,
                                       int timeout);

/* Appends the counters to 's', for status. */
void unknown_macs_format(const struct unknown_macs *, struct ds *s);

#endif /* agent/unknown-macs.h */
