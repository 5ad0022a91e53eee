/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef UNKNOWN_MACS_H
#define UNKNOWN_MACS_H 1

/* Unicast from tunnels to MACs that no VIF here has.
 *
 * Flood sends unicast that came from a tunnel and that no local VIF's flow
 * took to the agent too, since it may be one of a new VIF's first packets
 * (pipeline.h).  Traffic to a MAC that no VIF of this chassis has takes
 * that way in steady state too, at up to the meter's rate, and the agent
 * can only drop it: traffic to a MAC that no Port of the network has (the
 * clients of a deleted VM, a scan), and traffic to a Port whose VM is
 * stopped (its Port is bound nowhere, so every sender floods to every
 * chassis of the network).  So the agent learns such networks and MACs
 * from the packets that it drops for want of a VIF (first_packets_run()),
 * and adds for each a flow that floods that traffic without sending it to
 * the agent (pipeline_add_unknown_mac_flow()), with the network's cookie.
 *
 * A MAC that no Port has is learned from its first such packet.  The MAC
 * of a Port bound nowhere is learned once its traffic has reached the
 * agent for UNKNOWN_MACS_PORT_WAIT ms, without a pause as long: a moved
 * VM's VIF comes to its new chassis well within that (a cold move, the
 * sender flooding while the Port is bound nowhere), and what the tunnels
 * bring for it must then still reach the agent as its first packets (see
 * below why a learned MAC would lose some); a stopped VM's Port gets
 * traffic for longer.  The MAC of a Port bound to a chassis is not
 * learned: its traffic comes from senders that did not see the binding
 * yet, and stops by itself.  Each MAC is learned:
 *
 *   - for a time (roam-unknown-mac-timeout, 60 s by default), until the
 *     first whole second of time_msec() after it, so that MACs learned
 *     within a second expire together; then the next such packet learns
 *     it again, a Port's too if it comes within UNKNOWN_MACS_PORT_WAIT;
 *
 *   - until an interface on the integration bridge names a Port of the
 *     network with that MAC (binding_has_interface()), with or without an
 *     ofport, a Port with that MAC is bound to a chassis (the VM runs
 *     again, and may move here next), or the network stops being local:
 *     the run of the modules that sees the change removes the flow.  The
 *     agent sees a new VIF's Interface row when ovs-vswitchd does, and
 *     ovs-vswitchd reads the flow's removal once it has added the port, in
 *     the same iteration as the VIF's flows, or before them: what a tunnel
 *     brings for the VIF from then on reaches the agent as its first
 *     packets.  What the switch floods while it adds the port misses the
 *     VIF, as it would without the punt;
 *
 *   - for at most UNKNOWN_MACS_MAX MACs, shared by all networks; traffic to
 *     further ones reaches the agent at the meter's rate, as without this
 *     module.
 *
 * A MAC that a VIF here has, whether or not this chassis serves it yet, is
 * never learned: the agent looks at the traffic to it as first packets. */

#include <stdbool.h>
#include <stdint.h>
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"
#include "openvswitch/types.h"

struct binding_state;
struct desired_flows;
struct ds;
struct flow_set;
struct ofctrl_packet_in;
struct ovsdb_idl;
struct ovsdb_idl_index;
struct uuid;

#define UNKNOWN_MACS_MAX 1024
#define UNKNOWN_MACS_PORT_WAIT 5000

struct unknown_macs {
    struct hmap entries;        /* "struct unknown_mac"s, by network key
                                 * and MAC. */
    struct ovs_list by_age;     /* The same, oldest first. */
    struct hmap waiting;        /* "struct unknown_mac"s of the MACs of
                                 * Ports bound nowhere whose traffic reached
                                 * the agent lately, with when it began (at
                                 * most UNKNOWN_MACS_MAX), by network key
                                 * and MAC; some may have paused since. */
    long long int paused_removed; /* time_msec() when 'waiting' was last
                                   * searched for paused ones. */
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
    const struct binding_state *binding;        /* The interfaces here. */
    int timeout;                /* Only for unknown_macs_learn(): 0 to
                                 * learn none. */
    long long int now;          /* time_msec(). */
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
 * that no VIF here has in its network, a local one, learns that MAC (a
 * Port's once unknown_macs_wait_port_mac() says so) and adds its flow to
 * 'flows', the desired flows.  Returns true if 'flows' changed. */
bool unknown_macs_learn(const struct unknown_macs_ctx_in *,
                        struct unknown_macs *,
                        const struct ofctrl_packet_in *pin,
                        struct flow_set *flows);

/* Learns 'mac' of the network with tunnel key 'vni' and row 'network' at
 * time_msec() 'now', a Port's MAC if 'of_port', adding its flow to
 * 'flows', unless it is learned already or UNKNOWN_MACS_MAX are.  Returns
 * true if it learned it.  For unknown_macs_learn(), which checks that no
 * VIF here has the MAC, and unit tests. */
bool unknown_macs_add(struct unknown_macs *, uint64_t vni,
                      struct eth_addr mac, const struct uuid *network,
                      bool of_port, long long int now,
                      struct flow_set *flows);

/* Records a packet to 'mac' of the network with tunnel key 'vni' and row
 * 'network' at time_msec() 'now', the MAC of a Port of the network that is
 * bound nowhere and has no VIF here.  Returns true if that MAC's traffic
 * has come for UNKNOWN_MACS_PORT_WAIT ms or more, without a pause as long,
 * so that it is to be learned now (unknown_macs_add() ends its wait);
 * false if it waits, or if UNKNOWN_MACS_MAX MACs wait already (logged).
 * For unknown_macs_learn(), and unit tests. */
bool unknown_macs_wait_port_mac(struct unknown_macs *, uint64_t vni,
                                struct eth_addr mac,
                                const struct uuid *network,
                                long long int now);

/* After a computation of the desired flows: forgets the MACs whose network
 * is gone or no longer local, or that a VIF here has now (an interface
 * names a Port of the network with that MAC), removing their flows from
 * 'flows'; and adds to 'flows' those of the others that are missing (the
 * computation of their network, or of every flow, removed them).  Stops
 * the waiting of Ports' MACs likewise, and of those whose traffic paused
 * for UNKNOWN_MACS_PORT_WAIT.  Returns true if 'flows' changed. */
bool unknown_macs_run(const struct unknown_macs_ctx_in *,
                      struct unknown_macs *, struct flow_set *flows);

/* Forgets the MACs learned 'timeout' ms or more before time_msec() 'now'
 * (all of them if 'timeout' is 0), removing their flows from 'flows'.  A
 * Port's MAC among them is learned again by its next packet if that comes
 * within UNKNOWN_MACS_PORT_WAIT: its traffic has waited already.  Needs
 * nothing else, so that it can run on every wake-up that
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
