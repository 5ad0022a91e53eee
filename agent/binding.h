/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef BINDING_H
#define BINDING_H 1

/* Port binding: which Ports live on this chassis (DESIGN section 5).
 *
 * A VIF is an interface on the integration bridge with
 * external_ids:iface-id=P and an OpenFlow port: a valid Interface.ofport,
 * or, before ovs-vswitchd's write of that column arrived, the port the
 * switch announced under the interface's name on the OpenFlow connection
 * (see binding_iface_ofport()).  Its appearance (a new
 * interface, or a new port for it) is a plug event.  Each VIF moves
 * through these states, which status shows:
 *
 *             plug                 Port.chassis shows the claim
 *   (none) --------> PENDING_CLAIM ----------------------> BOUND
 *                      |   ^                                 |
 *     no Port row, or  |   |    another chassis claimed    | Port bound to
 *     requested_chassis+---+    after this one               | another chassis
 *     names others: wait, log once  \                        v
 *                                    +-----------------> BOUND_ELSEWHERE
 *
 * The agent claims a Port (writes Port.chassis) only for a pending plug
 * event, and only when requested_chassis is empty or names this chassis, so
 * that two chassis never flap over one port: once another chassis took it,
 * this one waits for a new plug.  Unplugging a VIF releases the Port only if
 * it is still bound here.  Port.up becomes true only when the switch has
 * confirmed the flows of the port (an OpenFlow barrier after the bundle). */

#include <stdbool.h>
#include <stdint.h>
#include "openvswitch/list.h"
#include "openvswitch/shash.h"
#include "sset.h"
#include "openvswitch/types.h"
#include "uuid.h"

struct dp_packet;
struct ds;
struct ovsdb_idl;
struct ovsdb_idl_index;
struct ovsdb_idl_txn;
struct ovsrec_bridge;
struct ovsrec_interface;
struct port_monitor;
struct roamrec_chassis;
struct roamrec_port;

void binding_register_ovs_idl(struct ovsdb_idl *);
void binding_register_roam_idl(struct ovsdb_idl *);

/* What a VIF is doing. */
enum vif_state {
    VIF_PENDING_CLAIM,          /* Plugged, not claimed yet (or waiting). */
    VIF_BOUND,                  /* Its Port is bound to this chassis. */
    VIF_STANDBY,                /* Its Port's additional_chassis is this
                                 * one: a live migration's destination. */
    VIF_BOUND_ELSEWHERE,        /* Its Port is bound to another chassis. */
};

/* A VIF on the integration bridge, kept across main loop iterations. */
struct local_vif {
    char *iface_id;             /* Port name. */
    struct uuid iface_uuid;     /* Interface row; a new one is a new plug. */
    struct uuid port_uuid;      /* Port row the VIF was last matched to. */
    ofp_port_t ofport;          /* Its OpenFlow port, OFPP_NONE while it
                                 * has none (vswitchd restarting). */
    enum vif_state state;
    bool plug;                  /* A plug event that no claim answered
                                 * yet.  Answered plugs are recorded in the
                                 * Interface's external_ids:roam-claimed (the
                                 * Port's UUID), so that a restarted agent, or
                                 * a chassis back from the dead with its old
                                 * VIF, does not claim again. */
    bool plug_recorded;         /* roam-claimed is written. */
    bool claim_sent;            /* A claim (chassis or additional) is on its
                                 * way. */
    bool claim_standby;         /* That claim is for additional_chassis. */
    bool claim_out;             /* That claim left with the transaction of
                                 * an earlier iteration. */
    bool claim_unsent;          /* The claim decision gave the port to this
                                 * chassis, but no transaction could carry
                                 * the claim yet (the central database is
                                 * unreachable, or busy with the previous
                                 * one): the VIF is served meanwhile, and
                                 * the decision runs again until it can be
                                 * sent. */
    struct uuid claimed_from;   /* Port.chassis when it was written (all
                                 * zeros for none): while the row still
                                 * shows it, the claim has not arrived. */
    bool activated;             /* STANDBY: the VM announced itself here
                                 * (RARP); its flows are active already. */
    struct uuid standby_peer;   /* BOUND: the port's additional_chassis
                                 * (all zeros for none), last seen. */
    bool draining;              /* BOUND_ELSEWHERE because the standby peer
                                 * activated: see BINDING_ROLE_DRAINING. */
    char *logged_problem;       /* Why it waits, as last logged, or NULL. */
    uint64_t flows_cfg;         /* ofctrl put sequence number with which
                                 * the port's flows were first sent, 0 if
                                 * not yet. */
    struct uuid served_by;      /* The Chassis row of this chassis that
                                 * last held the port for this VIF (all
                                 * zeros if none, or if another chassis
                                 * took it since): if that row is replaced,
                                 * and with it the binding, the VIF claims
                                 * its port again. */
    bool served_standby;        /* It held it as additional_chassis. */
    unsigned int bound_seq;     /* Counts the times this chassis took the
                                 * port for the VIF (claim or activation):
                                 * each one is announced. */

    /* The move that brought the port here, until its Migration row is
     * written (wall-clock milliseconds). */
    char *move_from;            /* Previous chassis, NULL if none known. */
    bool move_live;             /* Activated from standby. */
    bool move_released;         /* The source had released the port when
                                 * this chassis claimed it (and its Chassis
                                 * row still existed): alive then, so the
                                 * move is cold, with no watch. */
    long long int detected_ms;  /* Plug event, or activation. */
    long long int claimed_ms;   /* The database showed the binding. */
    long long int in_place_ms;  /* Its flows were in the switch, 0 if not
                                 * yet: the row may have to wait for the
                                 * source's liveness. */
};

/* The VIFs of this chassis, by iface-id. */
struct binding_state {
    struct shash vifs;          /* Contains "struct local_vif"s. */
    struct shash last_chassis;  /* Port name to the name of the last
                                 * chassis seen holding it (a cold move's
                                 * source may release the port before the
                                 * destination claims it). */
    struct sset watch;          /* Chassis whose liveness is needed: the
                                 * holders of the ports of which this
                                 * chassis may become the live migration's
                                 * destination (claim.h), and the sources
                                 * of moves whose flows are in place but
                                 * whose Migration row is not written
                                 * yet. */
    struct shash releasing;     /* Port name to nonnull once written: the
                                 * ports whose VIF left this chassis while
                                 * it may still hold them (as chassis or
                                 * additional_chassis).  The release is
                                 * written, and written again, until the
                                 * database shows it, or shows that another
                                 * chassis took the port.  A VIF for such a
                                 * port waits until then, and then claims it
                                 * as a new plug. */
    struct sset interfaces;     /* The iface-ids of all interfaces on the
                                 * integration bridge at the last
                                 * binding_run(): those of the VIFs, and
                                 * those of interfaces that have no valid
                                 * ofport (yet), such as a VIF that
                                 * ovs-vswitchd is still adding. */
    struct shash unnumbered;    /* Interfaces (by UUID string) with
                                 * external_ids:iface-id whose "ofport"
                                 * column is still empty, to the switch's
                                 * port seqno when the agent first saw
                                 * them ("uint64_t"s). */
    struct shash duplicates;    /* The iface-ids that several interfaces
                                 * have, to the name of the one that is
                                 * the VIF (the others get no traffic):
                                 * logged when it changes. */
    bool checked_orphans;       /* Ports held here without a VIF (removed
                                 * while the agent was not running) were
                                 * queued for release. */
    struct ovs_list held;       /* "struct binding_held_packet"s, oldest
                                 * first: what VMs sent on standby VIFs
                                 * before their activation reached the
                                 * switch. */
    size_t n_held;
    unsigned long long int n_held_dropped;  /* The queue was full. */
    unsigned long long int n_held_refused;  /* Not from a standby,
                                             * activated or bound VIF. */
};

/* A packet that a VM sent from a standby VIF, kept until the VIF is active
 * in the switch's flows. */
struct binding_held_packet {
    struct ovs_list list_node;  /* In struct binding_state's 'held'. */
    char *iface_id;             /* The VIF's port name. */
    ofp_port_t ofport;          /* Where it came in. */
    struct dp_packet *packet;   /* The packet (owned). */
};

/* The most packets binding_hold_packet() keeps, for all VIFs together. */
#define BINDING_MAX_HELD 256

/* Keeps 'packet' (taking it over), which the VM of the standby VIF on
 * 'ofport' sent before its activation took effect in the switch: a live
 * migration's destination forwards nothing from the VM until then, but
 * delays rather than drops what it sends at once on resuming.  A VIF that
 * is bound here already counts too: the switch sent the packet before the
 * activation's flows were in, and the database confirmed the activation
 * before the packet-in was read.  Returns false, leaving 'packet' to the
 * caller, if no standby, activated or bound VIF has that port (a live
 * migration called off) or too many packets are held already. */
bool binding_hold_packet(struct binding_state *, ofp_port_t ofport,
                         struct dp_packet *packet);

/* Moves into 'packets' the held packets of the VIFs that are active now, in
 * the order they came, and frees those of VIFs that are no longer standby
 * or active.  The caller sends them after the flows that activate the VIFs
 * and frees them with binding_held_packet_destroy(). */
void binding_take_held_packets(struct binding_state *,
                               struct ovs_list *packets);
void binding_held_packet_destroy(struct binding_held_packet *);

void binding_state_init(struct binding_state *);
void binding_state_destroy(struct binding_state *);

/* What this chassis does for a Port, as the pipeline sees it. */
enum binding_role {
    BINDING_ROLE_REMOTE,        /* No VIF here serves it. */
    BINDING_ROLE_ACTIVE,        /* Its VIF here sends and receives. */
    BINDING_ROLE_STANDBY,       /* Its VIF here is the destination of a live
                                 * migration that has not activated yet: it
                                 * receives a copy of the port's traffic and
                                 * may send only the activation (RARP). */
    BINDING_ROLE_DRAINING,      /* Its VIF here is a live migration's source
                                 * after the destination activated: it gets
                                 * nothing, but what it still sends (the
                                 * last packets before the VM paused) is
                                 * forwarded, until it is unplugged. */
};

/* Returns what this chassis, 'me', does for 'port' according to 'state',
 * and stores the VIF's OpenFlow port in '*ofport' (OFPP_NONE for
 * BINDING_ROLE_REMOTE). */
enum binding_role binding_get_role(const struct binding_state *state,
                                   const struct roamrec_port *port,
                                   const struct roamrec_chassis *me,
                                   ofp_port_t *ofport);

/* Returns true if an interface on the integration bridge has iface-id
 * 'iface_id', with or without an ofport, as of the last binding_run(): the
 * VIF of Port 'iface_id' is here, or on its way. */
bool binding_has_interface(const struct binding_state *,
                           const char *iface_id);

/* Returns true if a claim of 'port' for 'vif', its VIF here, is on its way
 * or may still be sent for the VIF's pending plug event (or for the plug
 * that its first sight of 'port' will be), on chassis 'me', whether or not
 * the VIF is served meanwhile (binding_get_role()): one that is not may be
 * at any moment.  A VIF that is
 * neither served nor awaiting a claim (its plug was answered and its port
 * is bound elsewhere or to no chassis, requested_chassis names other
 * chassis, or there is no such Port) has no traffic of its own until the
 * database or a new plug says otherwise.  'port' may be NULL. */
bool binding_vif_awaits_claim(const struct local_vif *vif,
                              const struct roamrec_port *port,
                              const struct roamrec_chassis *me);

/* Inputs of binding_run(). */
struct binding_ctx_in {
    struct ovsdb_idl_txn *roam_idl_txn;     /* NULL if no writes possible. */
    struct ovsdb_idl_txn *ovs_idl_txn;      /* NULL if no writes possible. */
    struct ovsdb_idl *roam_idl;             /* For tracked Port changes. */
    const struct ovsrec_bridge *br_int;     /* NULL if there is none yet. */
    const struct roamrec_chassis *chassis;  /* This chassis, or NULL. */
    struct ovsdb_idl_index *port_by_name;
    struct ovsdb_idl_index *chassis_private_by_name;
    bool roam_synced;                       /* The central database's rows
                                             * have been replicated (once
                                             * connected). */
    bool watch_synced;                      /* The IDL holds the
                                             * Chassis_Private rows of the
                                             * state's 'watch' set. */
    const struct port_monitor *port_monitor;
                                            /* Which Ports the IDL holds
                                             * (NULL: every one). */
    const struct shash *switch_ports;       /* ofctrl_get_ports(), or
                                             * NULL. */
    uint64_t switch_port_seqno;             /* ofctrl_get_port_seqno()
                                             * before this wake-up read
                                             * the OpenFlow connection. */
    uint64_t flows_cur_cfg;                 /* ofctrl_get_cur_cfg(). */
    long long int now;                      /* time_wall_msec(). */
};

/* Tracks plugs and unplugs, claims and releases Ports, sets Port.up, writes
 * Migration rows.  Returns true if it wrote anything, or if a VIF appeared,
 * left or changed its OpenFlow port, its role (binding_get_role()) or
 * whether it awaits a claim (binding_vif_awaits_claim()). */
bool binding_run(const struct binding_ctx_in *, struct binding_state *);

/* Takes a RARP that came in on 'ofport' as the activation of a live
 * migration's destination, at wall-clock time 'now'.  Returns true if a
 * standby VIF is there (its flows must then be computed again). */
bool binding_activate(struct binding_state *, ofp_port_t ofport,
                      long long int now);

/* Returns the OpenFlow port of 'iface': its "ofport" column, if that is a
 * valid port; else, while the column is empty, the port that the switch
 * announced under the interface's name in 'switch_ports' (from
 * ofctrl_get_ports(); NULL for none) after port seqno 'seen_seqno', the
 * one when the agent first saw this Interface row; else OFPP_NONE.
 *
 * ovs-vswitchd announces a port on the OpenFlow connection as soon as it has
 * added it, 1 to 2 ms before its write of "ofport" has travelled through the
 * database.  An announcement older than the row may be that of a previous
 * interface of the same name, whose deletion is still on its way. */
ofp_port_t binding_iface_ofport(const struct ovsrec_interface *,
                                const struct shash *switch_ports,
                                uint64_t seen_seqno);

/* Returns the Port row named 'name', or NULL. */
const struct roamrec_port *binding_lookup_port(struct ovsdb_idl_index *,
                                               const char *name);

/* Creates the index binding_ctx_in's 'port_by_name' needs. */
struct ovsdb_idl_index *binding_port_index_create(struct ovsdb_idl *);

/* Appends the VIFs and their states to 's', for status. */
void binding_format(const struct binding_state *, struct ds *s);

/* Appends to 's' the OpenFlow port and state of 'vif', and why it waits if
 * it does, as status shows them. */
void binding_format_vif(const struct local_vif *vif, struct ds *s);

#endif /* agent/binding.h */
