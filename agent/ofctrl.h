/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef OFCTRL_H
#define OFCTRL_H 1

/* The OpenFlow connection to the integration bridge.
 *
 * The agent owns every flow table of the integration bridge.  It talks to
 * ovs-vswitchd over the bridge's management socket (unix:RUNDIR/BRIDGE.mgmt)
 * through rconn, never through ovs-ofctl.  State machine:
 *
 *   DISCONNECTED --connected--> DUMPING --all flow stats replies--> SYNCED
 *        ^                         ^                                  |
 *        |                         +--- the switch rejected a bundle --+
 *        |                                                            |
 *        +----------------------- connection lost ---------------------+
 *
 * In DUMPING it reads every flow the switch has into the installed flow set;
 * it never clears the switch.  In SYNCED, ofctrl_put() sends the difference
 * between the desired flows and the installed ones as one OpenFlow 1.5
 * bundle (atomic), followed by a barrier.  When the barrier reply comes, the
 * switch has applied everything up to that put: ofctrl_get_cur_cfg() then
 * returns the sequence number the caller gave to that put, which is how
 * Port.up and Chassis_Private.nb_cfg wait for flows that really exist.
 *
 * If the switch rejects a bundle, ofctrl sets the flow it refused aside
 * (logged, and listed by ofctrl_format_status()), reads the switch's flows
 * again and sends the rest: one bad flow does not hold back the others, and
 * the put's 'req_cfg' is confirmed without it.  A refused flow is tried
 * again when it changes and after every reconnection.
 *
 * The same connection carries packet-ins (from flows with a "controller"
 * action) to the agent and its packet-outs to the switch.
 *
 * The bridge must allow OpenFlow 1.5, the only version ofctrl speaks
 * (bundles need 1.4 or later).  ovs-vswitchd allows 1.0 to 1.5 when the
 * Bridge's "protocols" column is empty, as it is by default. */

#include <stdbool.h>
#include <stdint.h>
#include "openflow/openflow-common.h"
#include "openvswitch/list.h"
#include "openvswitch/types.h"

struct dp_packet;
struct ds;
struct flow_set;
struct ofctrl;
struct ofpact;
struct shash;

/* Creates an OpenFlow connection that is not yet connected anywhere. */
struct ofctrl *ofctrl_create(void);

/* Closes the connection and frees it; the switch keeps its flows.  Accepts
 * NULL. */
void ofctrl_destroy(struct ofctrl *);

/* Connects to 'bridge' (through unix:RUNDIR/BRIDGE.mgmt), or disconnects if
 * 'bridge' is NULL.  Does nothing if already connected to 'bridge'. */
void ofctrl_set_bridge(struct ofctrl *, const char *bridge);

/* The poll loop's pair: ofctrl_run() connects, reads the switch's flows after
 * every (re)connection and handles replies; ofctrl_wait() arranges for
 * poll_block() to wake when ofctrl_run() has work.
 *
 * ofctrl_run() returns true if something happened that the caller may have
 * to act on: the connection or its state changed, the switch sent a reply,
 * an error or a port's addition or deletion (anything but its probes and
 * packet-ins), or a put held back after a rejected bundle is due.
 * Otherwise ofctrl_is_synced(), ofctrl_get_cur_cfg() and ofctrl_get_ports()
 * are as they were, and an ofctrl_put() of unchanged desired flows would do
 * nothing.  Packet-ins change none of that: the caller takes them with
 * ofctrl_take_packet_ins(). */
bool ofctrl_run(struct ofctrl *);
void ofctrl_wait(struct ofctrl *);

/* Returns true if the connection is up and the installed flows are known,
 * that is, if ofctrl_put() would send something. */
bool ofctrl_is_synced(const struct ofctrl *);

/* Returns true if ofctrl_put() holds puts back for now, after the switch
 * rejected a bundle: the switch's flows may then lag behind the desired
 * ones. */
bool ofctrl_is_holding_back(const struct ofctrl *);

/* A port of the bridge, as the switch announced it. */
struct ofctrl_port {
    ofp_port_t port_no;         /* Its OpenFlow port number. */
    uint64_t seqno;             /* ofctrl_get_port_seqno() right after its
                                 * addition was announced; 0 for a port
                                 * that was there when the connection came
                                 * up. */
};

/* Returns the bridge's ports, a map from port name to "struct
 * ofctrl_port": those the switch had when the connection came up, kept
 * current by its port status messages.  Empty while disconnected, and until
 * the switch's answer arrives.  ovs-vswitchd announces a new port here
 * before the Interface's "ofport" column reaches the agent through the
 * database.  Names of 15 characters, which may be truncations of longer
 * ones, are left out.  ofctrl_run() returns true after a change. */
const struct shash *ofctrl_get_ports(const struct ofctrl *);

/* Returns the number of port additions announced so far, over every
 * connection: a port added after a call has a greater 'seqno' than that
 * call returned. */
uint64_t ofctrl_get_port_seqno(const struct ofctrl *);

/* Sets the meters and reads the switch's flows again, as after a
 * reconnection, so that the next ofctrl_put() also repairs flows and meters
 * that someone else changed or deleted ("ovs-ofctl del-flows",
 * "del-meters").  Does nothing unless the connection is up. */
void ofctrl_resync(struct ofctrl *);

/* If synced, sends the flow mods that make the switch's flows equal to
 * 'desired', as one bundle followed by a barrier, remembers 'req_cfg' for
 * that barrier, and clears the change log of 'desired'.  With nothing to
 * change it sends nothing, and 'req_cfg' counts as applied at once (once
 * every earlier put is confirmed).  If not synced, does nothing: the next
 * put after synchronization sends the difference.  'req_cfg' must not
 * decrease from one call to the next.
 *
 * Call it after ofctrl_run() whenever that returned true or 'desired'
 * changed: that is how the flows come back after a reconnection or a
 * rejected bundle.  It costs next to nothing when neither 'desired' nor the
 * switch's flows changed since the last call (it compares the sets'
 * versions).  When only
 * 'desired' changed since the last put and its change log covers that time,
 * it looks only at the flows in the log (flow_set_diff_changed()).
 * Otherwise (after a flow dump, or when 'desired' gave up its log because
 * of a flow_set_clear(), say) the diff visits every flow of both sets. */
void ofctrl_put(struct ofctrl *, struct flow_set *desired,
                uint64_t req_cfg);

/* Makes the switch have meter 'meter_id', which drops what goes beyond
 * 'pktps' packets per second after a burst of 'burst' packets, so that a
 * "controller" action with that meter_id bounds what its flow sends the
 * agent.  Sends it now if connected, and again after every (re)connection,
 * before any flow.  A switch that refuses it (a datapath without meters) is
 * logged once and shown in status; flows that refer to the meter then work
 * without it. */
void ofctrl_set_meter(struct ofctrl *, uint32_t meter_id, uint32_t pktps,
                      uint32_t burst);

/* Returns the highest 'req_cfg' of an ofctrl_put() whose flows the switch
 * has confirmed. */
uint64_t ofctrl_get_cur_cfg(const struct ofctrl *);

/* Returns the flows the switch has, as last read or sent (while DUMPING,
 * the part read so far). */
const struct flow_set *ofctrl_get_installed(const struct ofctrl *);

/* A packet-in from the switch. */
struct ofctrl_packet_in {
    struct ovs_list list_node;  /* In the caller's list. */
    uint8_t table_id;           /* Table whose flow sent it. */
    uint64_t cookie;            /* That flow's cookie. */
    enum ofp_packet_in_reason reason; /* The controller action's. */
    ofp_port_t in_port;         /* Port it came in on. */
    uint64_t tun_id;            /* Its tunnel key, 0 if none. */
    struct dp_packet *packet;   /* The packet (owned). */
};

/* Moves the packet-ins received since the last call (at most 100 are
 * queued; more are dropped and counted in status) into 'packet_ins'. */
void ofctrl_take_packet_ins(struct ofctrl *, struct ovs_list *packet_ins);

/* Frees a packet-in and its packet.  Accepts NULL. */
void ofctrl_packet_in_destroy(struct ofctrl_packet_in *);

/* Sends 'packet' into the switch's pipeline at table 'table_id' as if it had
 * come in on 'in_port' (OpenFlow packet-out, actions resubmit(,table_id)).
 * It follows every bundle already sent, so it sees the flows of every
 * ofctrl_put() before it.  Returns 0, or ENOTCONN if not connected. */
int ofctrl_send_packet_out(struct ofctrl *, const struct dp_packet *packet,
                           ofp_port_t in_port, uint8_t table_id);

/* Sends 'packet' into the switch as if it had come in on 'in_port', with the
 * 'ofpacts_len' bytes of actions 'ofpacts', in the same order as
 * ofctrl_send_packet_out().  Returns 0, or ENOTCONN if not connected. */
int ofctrl_send_packet_out_actions(struct ofctrl *,
                                   const struct dp_packet *packet,
                                   ofp_port_t in_port,
                                   const struct ofpact *ofpacts,
                                   size_t ofpacts_len);

/* Appends a description of the connection's state to 's', for status. */
void ofctrl_format_status(const struct ofctrl *, struct ds *s);

#endif /* agent/ofctrl.h */
