/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "binding.h"

#include <string.h>

#include "lib/vswitch-idl.h"
#include "flow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovsdb/roam-idl.h"
#include "smap.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(binding);

void
binding_register_ovs_idl(struct ovsdb_idl *ovs_idl)
{
    ovsdb_idl_add_column(ovs_idl, &ovsrec_interface_col_external_ids);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_interface_col_ofport);
}

void
binding_register_roam_idl(struct ovsdb_idl *roam_idl)
{
    ovsdb_idl_add_table(roam_idl, &roamrec_table_network);
    ovsdb_idl_add_column(roam_idl, &roamrec_network_col_name);
    ovsdb_idl_add_column(roam_idl, &roamrec_network_col_tunnel_key);

    ovsdb_idl_add_table(roam_idl, &roamrec_table_port);
    ovsdb_idl_add_column(roam_idl, &roamrec_port_col_name);
    ovsdb_idl_add_column(roam_idl, &roamrec_port_col_network);
    ovsdb_idl_add_column(roam_idl, &roamrec_port_col_mac);
    ovsdb_idl_add_column(roam_idl, &roamrec_port_col_tunnel_key);
    ovsdb_idl_add_column(roam_idl, &roamrec_port_col_requested_chassis);
    ovsdb_idl_add_column(roam_idl, &roamrec_port_col_chassis);
    ovsdb_idl_add_column(roam_idl, &roamrec_port_col_additional_chassis);
    ovsdb_idl_add_column(roam_idl, &roamrec_port_col_up);
    /* Other chassis's ports going up and down need not wake this one. */
    ovsdb_idl_omit_alert(roam_idl, &roamrec_port_col_up);
}

struct ovsdb_idl_index *
binding_port_index_create(struct ovsdb_idl *roam_idl)
{
    return ovsdb_idl_index_create1(roam_idl, &roamrec_port_col_name);
}

const struct roamrec_port *
binding_lookup_port(struct ovsdb_idl_index *port_by_name, const char *name)
{
    struct roamrec_port *target = roamrec_port_index_init_row(port_by_name);
    roamrec_port_index_set_name(target, name);
    const struct roamrec_port *port
        = roamrec_port_index_find(port_by_name, target);
    roamrec_port_index_destroy_row(target);
    return port;
}

void
binding_state_init(struct binding_state *state)
{
    shash_init(&state->vifs);
}

static void
local_vif_destroy(struct local_vif *vif)
{
    if (vif) {
        free(vif->iface_id);
        free(vif->logged_problem);
        free(vif);
    }
}

void
binding_state_destroy(struct binding_state *state)
{
    struct shash_node *node;

    SHASH_FOR_EACH (node, &state->vifs) {
        local_vif_destroy(node->data);
    }
    shash_destroy(&state->vifs);
}

static const char *
vif_state_to_string(enum vif_state state)
{
    switch (state) {
    case VIF_PENDING_CLAIM:
        return "PENDING_CLAIM";
    case VIF_BOUND:
        return "BOUND";
    case VIF_BOUND_ELSEWHERE:
        return "BOUND_ELSEWHERE";
    }
    return "?";
}

/* Logs 'problem' for 'vif' once, until it changes. */
static void
vif_log_problem(struct local_vif *vif, const char *problem)
{
    if (!nullable_string_is_equal(vif->logged_problem, problem)) {
        VLOG_INFO("VIF for port %s (ofport %d): %s", vif->iface_id,
                  ofp_to_u16(vif->ofport), problem);
        free(vif->logged_problem);
        vif->logged_problem = xstrdup(problem);
    }
}

static bool
requested_chassis_allows(const struct roamrec_port *port, const char *name)
{
    if (!port->n_requested_chassis) {
        return true;
    }
    for (size_t i = 0; i < port->n_requested_chassis; i++) {
        if (!strcmp(port->requested_chassis[i], name)) {
            return true;
        }
    }
    return false;
}

/* Reads the VIFs of 'br_int' into 'current', an shash from iface-id to
 * "struct ovsrec_interface". */
static void
collect_vifs(const struct ovsrec_bridge *br_int, struct shash *current)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

    if (!br_int) {
        return;
    }
    for (size_t i = 0; i < br_int->n_ports; i++) {
        const struct ovsrec_port *port = br_int->ports[i];
        for (size_t j = 0; j < port->n_interfaces; j++) {
            const struct ovsrec_interface *iface = port->interfaces[j];
            const char *iface_id = smap_get(&iface->external_ids,
                                            "iface-id");
            if (!iface_id || !iface->n_ofport || *iface->ofport <= 0) {
                continue;
            }
            if (!shash_add_once(current, iface_id, iface)) {
                VLOG_WARN_RL(&rl, "interfaces %s and %s both have "
                             "iface-id %s: using the first",
                             ((const struct ovsrec_interface *)
                              shash_find_data(current, iface_id))->name,
                             iface->name, iface_id);
            }
        }
    }
}

/* Handles a VIF that went away.  Returns true if it wrote anything. */
static bool
handle_unplug(const struct binding_ctx_in *ctx_in, struct local_vif *vif)
{
    const struct roamrec_port *port
        = binding_lookup_port(ctx_in->port_by_name, vif->iface_id);

    VLOG_INFO("VIF for port %s unplugged", vif->iface_id);
    if (port && ctx_in->chassis && port->chassis == ctx_in->chassis) {
        roamrec_port_set_chassis(port, NULL);
        bool up = false;
        roamrec_port_set_up(port, &up, 1);
        VLOG_INFO("releasing port %s", vif->iface_id);
        return true;
    }
    return false;
}

static struct uuid
chassis_uuid(const struct roamrec_chassis *chassis)
{
    return chassis ? chassis->header_.uuid : UUID_ZERO;
}

/* Claims 'vif''s Port for a pending plug event if the rules allow, and moves
 * 'vif' to BOUND once the database shows the claim.  Returns true if it
 * wrote anything. */
static bool
try_claim(const struct binding_ctx_in *ctx_in, struct local_vif *vif,
          const struct roamrec_port *port)
{
    const struct roamrec_chassis *me = ctx_in->chassis;

    if (!port) {
        vif_log_problem(vif, "no Port row with this name: waiting for one");
        vif->claim_sent = false;
        return false;
    }
    if (port->chassis == me) {
        vif->state = VIF_BOUND;
        vif->claim_sent = false;
        free(vif->logged_problem);
        vif->logged_problem = NULL;
        return false;
    }
    if (vif->claim_sent) {
        struct uuid current = chassis_uuid(port->chassis);
        if (!uuid_equals(&current, &vif->claimed_from)) {
            /* Someone else wrote the binding after this chassis's claim. */
            VLOG_INFO("port %s: chassis %s claimed it after this chassis; "
                      "not claiming again until a new plug", port->name,
                      port->chassis ? port->chassis->name : "(none)");
            vif->state = VIF_BOUND_ELSEWHERE;
            vif->claim_sent = false;
            return false;
        }
        /* The claim is still on its way, or was lost with a failed
         * transaction: writing the same value again is harmless. */
    } else if (!requested_chassis_allows(port, me->name)) {
        vif_log_problem(vif, "requested_chassis names other chassis: "
                        "not claiming");
        return false;
    }
    if (!ctx_in->roam_idl_txn) {
        return false;
    }

    if (!vif->claim_sent) {
        if (port->chassis) {
            VLOG_INFO("claiming port %s from chassis %s", port->name,
                      port->chassis->name);
        } else {
            VLOG_INFO("claiming port %s", port->name);
        }
        vif->claim_sent = true;
        vif->claimed_from = chassis_uuid(port->chassis);
    }
    roamrec_port_set_chassis(port, me);
    bool up = false;
    roamrec_port_set_up(port, &up, 1);
    return true;
}

bool
binding_run(const struct binding_ctx_in *ctx_in, struct binding_state *state)
{
    struct shash current = SHASH_INITIALIZER(&current);
    struct ovsdb_idl_txn *txn = ctx_in->roam_idl_txn;
    bool wrote = false;

    collect_vifs(ctx_in->br_int, &current);

    /* Unplugs: VIFs that are gone, or whose interface was replaced. */
    struct shash_node *node, *next;
    SHASH_FOR_EACH_SAFE (node, next, &state->vifs) {
        struct local_vif *vif = node->data;
        const struct ovsrec_interface *iface = shash_find_data(&current,
                                                               node->name);
        if (!iface || !uuid_equals(&iface->header_.uuid, &vif->iface_uuid)
            || u16_to_ofp(*iface->ofport) != vif->ofport) {
            if (ctx_in->br_int && !txn) {
                /* The release must be written: try again later. */
                continue;
            }
            if (txn) {
                wrote |= handle_unplug(ctx_in, vif);
            }
            local_vif_destroy(vif);
            shash_delete(&state->vifs, node);
        }
    }

    /* Plugs: VIFs that are new. */
    SHASH_FOR_EACH (node, &current) {
        const struct ovsrec_interface *iface = node->data;
        if (!shash_find(&state->vifs, node->name)) {
            struct local_vif *vif = xzalloc(sizeof *vif);
            vif->iface_id = xstrdup(node->name);
            vif->iface_uuid = iface->header_.uuid;
            vif->ofport = u16_to_ofp(*iface->ofport);
            vif->state = VIF_PENDING_CLAIM;
            shash_add(&state->vifs, node->name, vif);
            VLOG_INFO("VIF for port %s plugged (interface %s, ofport %d)",
                      vif->iface_id, iface->name, ofp_to_u16(vif->ofport));
        }
    }
    shash_destroy(&current);

    if (!ctx_in->chassis) {
        return wrote;
    }

    /* Claims, states and Port.up. */
    SHASH_FOR_EACH (node, &state->vifs) {
        struct local_vif *vif = node->data;
        const struct roamrec_port *port
            = binding_lookup_port(ctx_in->port_by_name, vif->iface_id);

        if (!port && vif->state != VIF_PENDING_CLAIM) {
            /* The Port row is gone: a new row of that name is a new port,
             * which this VIF may claim. */
            vif->state = VIF_PENDING_CLAIM;
            vif->flows_cfg = 0;
        }
        if (vif->state == VIF_PENDING_CLAIM) {
            wrote |= try_claim(ctx_in, vif, port);
        } else if (vif->state == VIF_BOUND_ELSEWHERE
                   && port->chassis == ctx_in->chassis) {
            /* Someone (the orchestrator, say) gave the binding back. */
            VLOG_INFO("port %s is bound to this chassis again", port->name);
            vif->state = VIF_BOUND;
        } else if (port->chassis != ctx_in->chassis) {
            if (vif->state == VIF_BOUND) {
                VLOG_INFO("port %s is bound to %s now: this chassis stops "
                          "delivering to its VIF until it is plugged again",
                          vif->iface_id,
                          port->chassis ? port->chassis->name
                                        : "no chassis");
            }
            vif->state = VIF_BOUND_ELSEWHERE;
            vif->flows_cfg = 0;
        }

        if (txn && port && vif->state == VIF_BOUND
            && port->chassis == ctx_in->chassis
            && vif->flows_cfg && ctx_in->flows_cur_cfg >= vif->flows_cfg
            && !(port->n_up && port->up[0])) {
            bool up = true;
            roamrec_port_set_up(port, &up, 1);
            VLOG_INFO("port %s is up: its flows are in the switch",
                      vif->iface_id);
            wrote = true;
        }
    }
    return wrote;
}

enum binding_role
binding_get_role(const struct binding_state *state,
                 const struct roamrec_port *port,
                 const struct roamrec_chassis *me, ofp_port_t *ofport)
{
    const struct local_vif *vif = shash_find_data(&state->vifs, port->name);

    if (vif && me && vif->state == VIF_BOUND && port->chassis == me) {
        *ofport = vif->ofport;
        return BINDING_ROLE_ACTIVE;
    }
    *ofport = OFPP_NONE;
    return BINDING_ROLE_REMOTE;
}

void
binding_format(const struct binding_state *state, struct ds *s)
{
    const struct shash_node **nodes = shash_sort(&state->vifs);

    for (size_t i = 0; i < shash_count(&state->vifs); i++) {
        const struct local_vif *vif = nodes[i]->data;
        ds_put_format(s, "  %s: ofport %d, %s%s%s\n", vif->iface_id,
                      ofp_to_u16(vif->ofport), vif_state_to_string(vif->state),
                      vif->logged_problem ? ": " : "",
                      vif->logged_problem ? vif->logged_problem : "");
    }
    free(nodes);
}
