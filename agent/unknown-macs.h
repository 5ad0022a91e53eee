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
 *   - for a time (roam-unknown-mac-timeout, 60 s by default), until the
 *     first whole second of time_msec() after it, so that MACs learned
 *     within a second expire together; then the next such packet learns
 *     it again;
 *
 *   - until a Port of the network gets that MAC, or the network stops being
 *     local: the run of the modules that sees the change removes the flow,
 *     in the bundle that brings that Port's flows (a VIF of the Port
 *     already here loses what the switch floods it meanwhile, as it would
 *     without the punt);
 *
 *   - for at most UNKNOWN_MACS_MAX MACs, shared by all networks; traffic to
 *     further ones reaches the agent at the meter's rate, as without this
 *     module.
 *
 * A MAC of a Port whose VIF is elsewhere is never learned: its VIF may be
 * plugged here next (a cold migration), and its first packets from tunnels
 * must reach the agent. */

#include <stdbool.h>
#include <stdint.h>
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "openvswitch/types.h"

struct desired_flows;
struct ds;
struct flow_set;
struct ofctrl_packet_in;
struct ovsdb_idl;
struct ovsdb_idl_index;
struct uuid;

#define UNKNOWN_MACS_MAX 1024

struct unknown_macs {
    struct hmap entries;        /* "struct unknown_mac"s, by network key
                                 * and MAC. */
    struct ovs_list by_age;     /* The same, oldest first. */
    unsigned long long int n_learned;
    unsigned long long int n_full; /* Packets whose MAC was not learned:
                                    * UNKNOWN_MACS_MAX reached. */
};

/* Inputs of unknown_macs_learn() and unknown_macs_run(). */
struct unknown_macs_ctx_in {
    struct ovsdb_idl *roam_idl;                 /* Networks and Ports. */
    struct ovsdb_idl_index *port_by_network_mac; /* unknown_macs_indexes... */
    struct ovsdb_idl_index *network_by_key;      /* ...create() */
    const struct desired_flows *desired;        /* Its local networks. */
    int timeout;                /* Only for unknown_macs_learn(): 0 to
                                 * learn none. */
    long long int now;          /* time_msec(), for unknown_macs_learn(). */
};

void unknown_macs_init(struct unknown_macs *);
void unknown_macs_destroy(struct unknown_macs *);

/* Creates the indexes that unknown_macs_ctx_in needs: of Ports by network
 * and MAC (in any case), and of Networks by tunnel key. */
void unknown_macs_indexes_create(struct ovsdb_idl *,
                                 struct ovsdb_idl_index **port_by_network_mac,
                                 struct ovsdb_idl_index **network_by_key);

/* 'pin' is a packet from a tunnel that no VIF here may take (one that
 * first_packets_run() dropped for that reason).  If it is unicast to a MAC
 * that no Port of its network, a local one, has, learns that MAC and adds
 * its flow to 'flows', the desired flows.  Returns true if 'flows'
 * changed. */
bool unknown_macs_learn(const struct unknown_macs_ctx_in *,
                        struct unknown_macs *,
                        const struct ofctrl_packet_in *pin,
                        struct flow_set *flows);

/* Learns 'mac' of the network with tunnel key 'vni' and row 'network' at
 * time_msec() 'now', adding its flow to 'flows', unless it is learned
 * already or UNKNOWN_MACS_MAX are.  Returns true if it learned it.  For
 * unknown_macs_learn(), which checks that no Port has the MAC, and unit
 * tests. */
bool unknown_macs_add(struct unknown_macs *, uint64_t vni,
                      struct eth_addr mac, const struct uuid *network,
                      long long int now, struct flow_set *flows);

/* After a computation of the desired flows: forgets the MACs whose network
 * is gone or no longer local, or that a Port of the network has now,
 * removing their flows from 'flows'; and adds to 'flows' those of the
 * others that are missing (the computation of their network, or of every
 * flow, removed them).  Returns true if 'flows' changed. */
bool unknown_macs_run(const struct unknown_macs_ctx_in *,
                      struct unknown_macs *, struct flow_set *flows);

/* Forgets the MACs learned 'timeout' ms or more before time_msec() 'now'
 * (all of them if 'timeout' is 0), removing their flows from 'flows'.
 * Needs nothing else, so that it can run on every wake-up that
 * unknown_macs_next_expiry() asks for.  Returns true if 'flows' changed. */
bool unknown_macs_expire(struct unknown_macs *, int timeout,
                         long long int now, struct flow_set *flows);

/* Returns the time_msec() when unknown_macs_expire() with 'timeout' has
 * work: the first whole second at or after the oldest MAC's due time;
 * LLONG_MAX if no MAC is learned. */
long long int unknown_macs_next_expiry(const struct unknown_macs *,
                                       int timeout);

/* Appends the counters to 's', for status. */
void unknown_macs_format(const struct unknown_macs *, struct ds *s);

#endif /* agent/unknown-macs.h */
