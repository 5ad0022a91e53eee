/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef BINDING_H
#define BINDING_H 1

/* Port binding: which Ports live on this chassis (DESIGN section 5).
 *
 * A VIF is an interface on the integration bridge with
 * external_ids:iface-id=P and a valid ofport.  Its appearance (a new
 * interface, or a new ofport for it) is a plug event.  Each VIF moves
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
#include "openvswitch/shash.h"
#include "openvswitch/types.h"
#include "uuid.h"

struct ds;
struct ovsdb_idl;
struct ovsdb_idl_index;
struct ovsdb_idl_txn;
struct ovsrec_bridge;
struct roamrec_chassis;
struct roamrec_port;

void binding_register_ovs_idl(struct ovsdb_idl *);
void binding_register_roam_idl(struct ovsdb_idl *);

/* What a VIF is doing. */
enum vif_state {
    VIF_PENDING_CLAIM,          /* Plugged, not claimed yet. */
    VIF_BOUND,                  /* Its Port is bound to this chassis. */
    VIF_BOUND_ELSEWHERE,        /* Its Port is bound to another chassis. */
};

/* A VIF on the integration bridge, kept across main loop iterations. */
struct local_vif {
    char *iface_id;             /* Port name. */
    struct uuid iface_uuid;     /* Interface row; a new one is a new plug. */
    ofp_port_t ofport;          /* Its OpenFlow port. */
    enum vif_state state;
    bool claim_sent;            /* PENDING_CLAIM: a claim was written. */
    struct uuid claimed_from;   /* Port.chassis when it was written (all
                                 * zeros for none): while the row still
                                 * shows it, the claim has not arrived. */
    char *logged_problem;       /* Why it waits, as last logged, or NULL. */
    uint64_t flows_cfg;         /* ofctrl put sequence number with which
                                 * the port's flows were first sent, 0 if
                                 * not yet. */
};

/* The VIFs of this chassis, by iface-id. */
struct binding_state {
    struct shash vifs;          /* Contains "struct local_vif"s. */
};

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
};

/* Returns what this chassis, 'me', does for 'port' according to 'state',
 * and stores the VIF's OpenFlow port in '*ofport' (OFPP_NONE for
 * BINDING_ROLE_REMOTE). */
enum binding_role binding_get_role(const struct binding_state *state,
                                   const struct roamrec_port *port,
                                   const struct roamrec_chassis *me,
                                   ofp_port_t *ofport);

/* Inputs of binding_run(). */
struct binding_ctx_in {
    struct ovsdb_idl_txn *roam_idl_txn;     /* NULL if no writes possible. */
    const struct ovsrec_bridge *br_int;     /* NULL if there is none yet. */
    const struct roamrec_chassis *chassis;  /* This chassis, or NULL. */
    struct ovsdb_idl_index *port_by_name;
    uint64_t flows_cur_cfg;                 /* ofctrl_get_cur_cfg(). */
};

/* Tracks plugs and unplugs, claims and releases Ports, sets Port.up.
 * Returns true if it wrote anything. */
bool binding_run(const struct binding_ctx_in *, struct binding_state *);

/* Returns the Port row named 'name', or NULL. */
const struct roamrec_port *binding_lookup_port(struct ovsdb_idl_index *,
                                               const char *name);

/* Creates the index binding_ctx_in's 'port_by_name' needs. */
struct ovsdb_idl_index *binding_port_index_create(struct ovsdb_idl *);

/* Appends the VIFs and their states to 's', for status. */
void binding_format(const struct binding_state *, struct ds *s);

#endif /* agent/binding.h */
