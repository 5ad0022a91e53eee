/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef PIPELINE_H
#define PIPELINE_H 1

/* The core pipeline of the integration bridge (DESIGN section 4), and the
 * inputs that it and every plugin (plugin.h) compute their flows from.
 *
 * Computes, from the Roam database and the local VIFs and tunnels, the flows
 * of the core tables (flow-tables.h).  Registers hold what a packet is:
 *
 *   metadata  the VNI (Network tunnel_key) of its network
 *   reg14     the tunnel_key of the Port it came from (0 from a tunnel)
 *   reg10     1 if it came from a tunnel, else 0
 *   reg13     1 if it must not reach the agent as a new VIF's first
 *             packet: the agent sent it on, or it is for an unknown MAC
 *             (see "A new VIF's first packets")
 *
 *   classify:   in_port=VIF -> network, port; tun_id=VNI -> network, from
 *               tunnel; in_port=VIF neither served here nor awaiting a
 *               claim -> drop; from another port that is no tunnel (nor
 *               the bridge's own) -> the agent; anything else is dropped.
 *   l2_lookup:  network + destination MAC of a local port -> that VIF; of a
 *               port bound to another chassis -> tun_id=VNI, that chassis's
 *               tunnel (never for a packet that came from a tunnel); else
 *               flood.
 *   flood:      to every other local VIF of the network and, for packets
 *               from a local VIF only, one copy into the tunnel of each
 *               chassis that has a port bound in that network; unicast from
 *               a tunnel also to the agent, unless the agent learned that
 *               no VIF here has its MAC (unknown-macs.h).
 *
 * Only networks with a port bound to this chassis ("local networks") get
 * flows; so nothing crosses from one network into another: every match
 * after classify includes metadata.  Each flow's cookie names the Port or
 * Network row it comes from, or the Interface row of a VIF whose traffic
 * it drops; the flows that depend on no row have cookie 0. */

#include <stddef.h>
#include "binding.h"
#include "openflow/openflow-common.h"
#include "openvswitch/types.h"

struct plugin_class;
struct flow_set;
struct ofpbuf;
struct ovsdb_idl;
struct ovsdb_idl_index;
struct ovsrec_bridge;
struct roamrec_chassis;
struct roamrec_network;
struct roamrec_port;
struct shash;
struct sset;

/* The meters of the packets that the core pipeline sends the agent (see
 * ofctrl_set_meter()): from a live migration's destination VIF before its
 * activation, its resumption announcements (RARP) and everything else the VM
 * sends, which the agent holds (at most BINDING_MAX_HELD); and a new VIF's
 * first packets, from its port and from tunnels (see below).  Each kind has
 * a meter of its own, so that a VM that floods cannot crowd out its own
 * activation, nor traffic to MACs of no VIF a new VM's own packets.  The
 * limits are per hypervisor (the switch's), shared by its VIFs. */
struct pipeline_meter {
    uint32_t id;
    uint32_t pktps;
    uint32_t burst;
};
#define PIPELINE_METER_ACTIVATION 1
#define PIPELINE_METER_STANDBY 2
#define PIPELINE_METER_NEW_VIF 3
#define PIPELINE_METER_NEW_VIF_FROM_TUNNEL 4
extern const struct pipeline_meter pipeline_meters[];
extern const size_t pipeline_n_meters;

/* A new VIF's first packets.
 *
 * ovs-vswitchd forwards from a cache of datapath flows, which its
 * revalidators compute again after a change of the OpenFlow tables, but
 * never within 5 ms of their previous round; the addition of a port starts
 * one.  So a VIF's flows, which follow its port's addition by a few ms,
 * reach the cache some 5 ms after it, and until then the cache may send
 * what the VM sends nowhere (the VIF's port had no flow when a packet of it
 * was first seen), and deliver what is sent to it the old way (a unicast
 * from a tunnel flooded as unknown).  So the core pipeline sends both kinds
 * to the agent: from classify, through meter PIPELINE_METER_NEW_VIF,
 * packets from a port that is no tunnel and has no flow (a VIF whose flows
 * are on their way, or a port that ovs-vswitchd has just added); from
 * flood, through meter PIPELINE_METER_NEW_VIF_FROM_TUNNEL, unicast from a
 * tunnel that no local VIF's flow took (besides flooding it locally, as
 * before).  The meters are
 * separate because the second kind also comes in steady state, for MACs no
 * VIF has (the clients of a stopped VM), and must not crowd out the first.
 * The agent sends on those of VIFs that it serves by then (first-packets.h)
 * and drops the rest.  The packets it sends on are marked, so that they
 * never come back to it.  For a MAC that no VIF here has, it adds a flow
 * that floods without the punt (unknown-macs.h): at once for a MAC of no
 * Port, after 5 s of traffic for a Port's, so that such traffic does not
 * keep reaching it at the meter's rate. */

/* Adds to 'desired', with 'cookie', the classify flow that drops what comes
 * in on 'ofport', the port of a local VIF that this chassis neither serves
 * nor may serve without a change (binding_vif_awaits_claim()): its plug
 * was answered and its port is bound elsewhere or to no chassis,
 * requested_chassis names other chassis, or it names no Port.  What such a
 * VM sends (a host back from the dead with its VMs still running) would
 * otherwise reach the agent as a new VIF's first packets, for good. */
void pipeline_add_unserved_vif_flow(ofp_port_t ofport, uint64_t cookie,
                                    struct flow_set *desired);

/* Adds to 'desired', with 'cookie', the classify flow that drops what comes
 * in on 'ofport', the port of an interface of the integration bridge that is
 * neither a VIF nor one of the agent's tunnels: one without
 * external_ids:iface-id (an operator's port), or one whose iface-id another
 * interface's VIF holds (binding keeps one, and logs it).  Nothing a VM
 * sends comes from there, so it goes neither to the agent nor anywhere
 * else.  Its priority is below any VIF's flows on the same port, so that
 * none has to be removed for them; but an interface that gets its iface-id
 * only after it was added keeps this flow until the agent computed the
 * change, so a VM's first packets from there may be lost: VIFs get their
 * iface-id in the transaction that adds them, as libvirt does. */
void pipeline_add_non_vif_drop_flow(ofp_port_t ofport, uint64_t cookie,
                                    struct flow_set *desired);

/* Adds to 'desired', with 'cookie', the flood flow for unicast that came
 * from a tunnel with key 'vni' to 'mac', a MAC that no Port of that network
 * has: it floods it locally, as every unknown unicast, but never sends it to
 * the agent.  Its priority is above the punt's. */
void pipeline_add_unknown_mac_flow(uint64_t vni, struct eth_addr mac,
                                   uint64_t cookie, struct flow_set *desired);

/* Removes from 'desired' the flow that pipeline_add_unknown_mac_flow() adds
 * for 'vni' and 'mac', if it is there.  Returns true if it was. */
bool pipeline_remove_unknown_mac_flow(uint64_t vni, struct eth_addr mac,
                                      struct flow_set *desired);

/* Returns true if 'desired' has the flow that
 * pipeline_add_unknown_mac_flow() adds for 'vni' and 'mac'. */
bool pipeline_has_unknown_mac_flow(uint64_t vni, struct eth_addr mac,
                                   const struct flow_set *desired);

/* Returns true if a packet-in from table 'table_id' for 'reason' is one of
 * a new VIF's first packets. */
bool pipeline_is_new_vif_punt(uint8_t table_id,
                              enum ofp_packet_in_reason reason);

/* Appends to 'ofpacts' the actions with which the agent sends on one of a
 * new VIF's first packets, in a packet-out with the port it came in on:
 * through the pipeline from classify as it came, with its tunnel key
 * 'tun_id' (0 if it came from no tunnel), marked as sent by the agent. */
void pipeline_put_resend(struct ofpbuf *ofpacts, uint64_t tun_id);

/* Inputs of the core pipeline and of every plugin. */
struct pipeline_ctx_in {
    struct ovsdb_idl *roam_idl;             /* Networks and Ports. */
    struct ovsdb_idl_index *port_by_name;   /* binding_port_index_create() */
    struct ovsdb_idl_index *port_by_network; /* pipeline_port_index_... */
    const struct roamrec_chassis *chassis;  /* This chassis, or NULL. */
    const struct binding_state *binding;    /* Local VIFs. */
    const struct ovsrec_bridge *br_int;     /* The integration bridge (its
                                             * interfaces that are no VIF),
                                             * or NULL: none yet, or, in a
                                             * plugin's packet-in handler,
                                             * not given. */
    const struct shash *tunnels;            /* "struct tunnel"s by chassis
                                             * name (tunnels.h). */
    const struct sset *dead_chassis;        /* Names of the chassis that
                                             * get no flooded traffic
                                             * (dead-chassis.h), or NULL. */
};

/* A Port of a local network, as the pipeline sees it. */
struct pipeline_port {
    const struct roamrec_port *row;
    enum binding_role role;     /* What this chassis does for it. */
    ofp_port_t ofport;          /* Its VIF here, OFPP_NONE for
                                 * BINDING_ROLE_REMOTE. */
};

/* A local network: one with a port whose VIF is here. */
struct pipeline_network {
    const struct roamrec_network *row;
    const struct pipeline_port *local_ports; /* Its ports with a VIF here
                                              * (any order). */
    size_t n_local_ports;
    const struct sset *remote_chassis; /* Names of the other chassis with a
                                        * port in it (as chassis or
                                        * additional_chassis), except dead
                                        * ones: where flooding goes. */
};

/* Adds to 'names' the chassis other than 'me' that serve 'port': its chassis
 * and additional_chassis. */
void pipeline_port_add_remote_chassis(const struct roamrec_port *port,
                                      const struct roamrec_chassis *me,
                                      struct sset *names);

/* Creates the index of Ports by network that pipeline_ctx_in needs. */
struct ovsdb_idl_index *pipeline_port_index_create(struct ovsdb_idl *);

/* Adds what the pipeline reads, with change tracking, to 'roam_idl'. */
void pipeline_register_roam_idl(struct ovsdb_idl *roam_idl);

/* Adds to 'desired' the core flows of the local network 'network' whose
 * ports, local or not, are the 'n_ports' 'ports', on chassis 'me' with
 * 'tunnels' ("struct tunnel"s by chassis name): what the core plugin does
 * for every local network.  It takes plain rows so that unit tests can call
 * it. */
void pipeline_add_network_flows(const struct roamrec_network *network,
                                const struct pipeline_port *ports,
                                size_t n_ports,
                                const struct roamrec_chassis *me,
                                const struct shash *tunnels,
                                struct flow_set *desired);

/* The core pipeline as a plugin (plugin.h): its tables and flows. */
extern const struct plugin_class pipeline_core_plugin;

#endif /* agent/pipeline.h */
