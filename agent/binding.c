/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "binding.h"

#include <string.h>

#include "chassis.h"
#include "claim.h"
#include "ofctrl.h"
#include "port-monitor.h"
#include "ovsdb/chassis-liveness.h"

#include "dp-packet.h"
#include "lib/vswitch-idl.h"
#include "flow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "openvswitch/poll-loop.h"
#include "ovsdb/roam-idl.h"
#include "smap.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(binding);

/* Interface external_ids key that records an answered plug event. */
#define BINDING_PLUG_KEY "roam-claimed"

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

    /* Migration rows are written, never read: monitor none of them. */
    ovsdb_idl_add_table(roam_idl, &roamrec_table_migration);
    ovsdb_idl_add_column(roam_idl, &roamrec_migration_col_port);
    ovsdb_idl_add_column(roam_idl, &roamrec_migration_col_from_chassis);
    ovsdb_idl_add_column(roam_idl, &roamrec_migration_col_to_chassis);
    ovsdb_idl_add_column(roam_idl, &roamrec_migration_col_kind);
    ovsdb_idl_add_column(roam_idl, &roamrec_migration_col_detected);
    ovsdb_idl_add_column(roam_idl, &roamrec_migration_col_claimed);
    ovsdb_idl_add_column(roam_idl, &roamrec_migration_col_activated);
    struct ovsdb_idl_condition none = OVSDB_IDL_CONDITION_INIT(&none);
    roamrec_migration_set_condition(roam_idl, &none);
    ovsdb_idl_condition_destroy(&none);
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
    shash_init(&state->last_chassis);
    sset_init(&state->watch);
    sset_init(&state->interfaces);
    shash_init(&state->releasing);
    shash_init(&state->unnumbered);
    shash_init(&state->duplicates);
    state->checked_orphans = false;
    ovs_list_init(&state->held);
    state->n_held = 0;
    state->n_held_dropped = 0;
    state->n_held_refused = 0;
}

static void
local_vif_destroy(struct local_vif *vif)
{
    if (vif) {
        free(vif->iface_id);
        free(vif->logged_problem);
        free(vif->move_from);
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
    shash_destroy_free_data(&state->last_chassis);
    sset_destroy(&state->watch);
    sset_destroy(&state->interfaces);
    shash_destroy(&state->releasing);
    shash_destroy_free_data(&state->unnumbered);
    shash_destroy_free_data(&state->duplicates);
    struct binding_held_packet *hp;
    LIST_FOR_EACH_POP (hp, list_node, &state->held) {
        binding_held_packet_destroy(hp);
    }
}

void
binding_held_packet_destroy(struct binding_held_packet *hp)
{
    if (hp) {
        free(hp->iface_id);
        dp_packet_delete(hp->packet);
        free(hp);
    }
}

static struct local_vif *
find_vif_by_ofport(const struct binding_state *state, ofp_port_t ofport)
{
    struct shash_node *node;

    SHASH_FOR_EACH (node, &state->vifs) {
        struct local_vif *vif = node->data;
        if (vif->ofport == ofport) {
            return vif;
        }
    }
    return NULL;
}

static const char *vif_state_to_string(enum vif_state);

bool
binding_hold_packet(struct binding_state *state, ofp_port_t ofport,
                    struct dp_packet *packet)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
    const struct local_vif *vif = find_vif_by_ofport(state, ofport);

    if (!vif || (vif->state != VIF_STANDBY && vif->state != VIF_BOUND
                 && !vif->activated)) {
        /* A VIF whose live migration was called off, or a flow of a VIF
         * that is gone. */
        state->n_held_refused++;
        if (vif) {
            VLOG_INFO_RL(&rl, "port %s: dropping a packet its VM sent from "
                         "a VIF in state %s", vif->iface_id,
                         vif_state_to_string(vif->state));
        } else {
            VLOG_INFO_RL(&rl, "dropping a packet-in from OpenFlow port %d, "
                         "which is no VIF", ofp_to_u16(ofport));
        }
        return false;
    }
    if (state->n_held >= BINDING_MAX_HELD) {
        state->n_held_dropped++;
        VLOG_WARN_RL(&rl, "port %s: %zu packets from standby VIFs are "
                     "waiting for activation already: dropping more",
                     vif->iface_id, state->n_held);
        return false;
    }

    struct binding_held_packet *hp = xmalloc(sizeof *hp);
    hp->iface_id = xstrdup(vif->iface_id);
    hp->ofport = ofport;
    hp->packet = packet;
    ovs_list_push_back(&state->held, &hp->list_node);
    state->n_held++;
    return true;
}

void
binding_take_held_packets(struct binding_state *state,
                          struct ovs_list *packets)
{
    struct binding_held_packet *hp;

    LIST_FOR_EACH_SAFE (hp, list_node, &state->held) {
        const struct local_vif *vif = shash_find_data(&state->vifs,
                                                      hp->iface_id);
        bool usable = vif && vif->ofport == hp->ofport;
        if (usable && vif->state == VIF_STANDBY && !vif->activated) {
            continue;           /* Not active yet: keep waiting. */
        }
        ovs_list_remove(&hp->list_node);
        state->n_held--;
        if (usable && (vif->activated || vif->state == VIF_BOUND)) {
            ovs_list_push_back(packets, &hp->list_node);
        } else {
            binding_held_packet_destroy(hp);
        }
    }
}

static const char *
vif_state_to_string(enum vif_state state)
{
    switch (state) {
    case VIF_PENDING_CLAIM:
        return "PENDING_CLAIM";
    case VIF_BOUND:
        return "BOUND";
    case VIF_STANDBY:
        return "STANDBY";
    case VIF_BOUND_ELSEWHERE:
        return "BOUND_ELSEWHERE";
    }
    return "?";
}

/* Logs 'problem' for 'vif' once, until it changes; NULL clears it. */
static void
vif_log_problem(struct local_vif *vif, const char *problem)
{
    if (!nullable_string_is_equal(vif->logged_problem, problem)) {
        if (problem) {
            VLOG_INFO("VIF for port %s (ofport %d): %s", vif->iface_id,
                      ofp_to_u16(vif->ofport), problem);
        }
        free(vif->logged_problem);
        vif->logged_problem = nullable_xstrdup(problem);
    }
}

/* requested_chassis is a set: with two chassis, the one that holds the
 * port is the live migration's source and the other its destination. */
static enum claim_request
classify_request(const struct roamrec_port *port,
                 const struct roamrec_chassis *me)
{
    bool named = false;

    if (!port->n_requested_chassis) {
        return CLAIM_REQUEST_ANY;
    }
    for (size_t i = 0; i < port->n_requested_chassis; i++) {
        named |= !strcmp(port->requested_chassis[i], me->name);
    }
    if (!named) {
        return CLAIM_REQUEST_OTHERS;
    } else if (port->n_requested_chassis > 1 && port->chassis
               && port->chassis != me) {
        for (size_t i = 0; i < port->n_requested_chassis; i++) {
            if (!strcmp(port->requested_chassis[i], port->chassis->name)) {
                return CLAIM_REQUEST_SECOND;
            }
        }
    }
    return CLAIM_REQUEST_FIRST;
}

/* Whether 'name' is alive, as far as this chassis can tell. */
static enum claim_holder
holder_liveness(const struct binding_ctx_in *ctx_in,
                const struct binding_state *state, const char *name)
{
    if (!sset_contains(&state->watch, name) || !ctx_in->watch_synced
        || !ctx_in->chassis_private_by_name) {
        return CLAIM_HOLDER_UNKNOWN;
    }
    const struct roamrec_chassis_private *cp
        = chassis_private_lookup(ctx_in->chassis_private_by_name, name);
    if (!cp) {
        return CLAIM_HOLDER_DEAD;  /* It never registered, or left. */
    }
    switch (chassis_liveness_get(cp, ctx_in->now, NULL)) {
    case CHASSIS_ALIVE:
        return CLAIM_HOLDER_ALIVE;
    case CHASSIS_DEAD:
        return CLAIM_HOLDER_DEAD;
    case CHASSIS_UNKNOWN:
        /* Until its answer to the watch (chassis.h) arrives. */
        return CLAIM_HOLDER_UNKNOWN;
    }
    OVS_NOT_REACHED();
}

static enum claim_holder
classify_holder(const struct binding_ctx_in *ctx_in,
                const struct binding_state *state,
                const struct roamrec_port *port)
{
    if (!port->chassis) {
        return CLAIM_HOLDER_NONE;
    } else if (port->chassis == ctx_in->chassis) {
        return CLAIM_HOLDER_ME;
    }
    return holder_liveness(ctx_in, state, port->chassis->name);
}

/* Ranks 'iface', one of several interfaces with iface-id 'iface_id', as the
 * VIF of that port: highest if it is the VIF already (in 'vifs', "struct
 * local_vif"s by iface-id) and was matched to its Port, then if this
 * chassis answered its plug before (roam-claimed) for 'port' (the Port of
 * that name) or, before the central database's rows were first replicated,
 * for any Port: that is how a restarted agent finds the running VM's
 * interface again.  Then if it has an OpenFlow port. */
static int
vif_rank(const struct binding_ctx_in *ctx_in,
         const struct ovsrec_interface *iface, const char *iface_id,
         const struct shash *vifs, const struct roamrec_port *port)
{
    const struct local_vif *vif = shash_find_data(vifs, iface_id);
    if (vif && uuid_equals(&vif->iface_uuid, &iface->header_.uuid)
        && !uuid_is_zero(&vif->port_uuid)) {
        return 3;
    }

    const char *recorded = smap_get(&iface->external_ids, BINDING_PLUG_KEY);
    struct uuid uuid;
    if (recorded && uuid_from_string(&uuid, recorded)
        && (port ? uuid_equals(&uuid, &port->header_.uuid)
            : !ctx_in->roam_synced)) {
        return 2;
    }
    return iface->n_ofport && *iface->ofport > 0;
}

/* Logs the iface-ids in 'duplicates' (iface-id to the name of the interface
 * kept as its VIF) that are new or whose VIF changed since
 * 'state->duplicates', and those that are no longer duplicated; then makes
 * 'duplicates' the state's. */
static void
log_duplicates(struct binding_state *state, struct shash *duplicates)
{
    struct shash_node *node;

    SHASH_FOR_EACH (node, duplicates) {
        const char *old = shash_find_data(&state->duplicates, node->name);
        if (!old || strcmp(old, node->data)) {
            VLOG_WARN("several interfaces have iface-id %s: only %s is its "
                      "VIF, the others get no traffic", node->name,
                      (const char *) node->data);
        }
    }
    SHASH_FOR_EACH (node, &state->duplicates) {
        if (!shash_find(duplicates, node->name)) {
            VLOG_INFO("iface-id %s is on one interface again", node->name);
        }
    }
    shash_clear_free_data(&state->duplicates);
    shash_swap(&state->duplicates, duplicates);
}

/* Reads the VIFs of 'br_int' into 'current', an shash from iface-id to
 * "struct ovsrec_interface".  An interface without a valid ofport is a VIF
 * too (ovs-vswitchd may be restarting): it stays plugged.  Of several
 * interfaces with the same iface-id, the one vif_rank() ranks highest is the
 * VIF, the first in the database's order among equals: a second interface
 * never takes the port from a running VM's, also not across a restart of
 * the agent. */
static void
collect_vifs(const struct binding_ctx_in *ctx_in, struct binding_state *state,
             struct shash *current)
{
    struct shash duplicates = SHASH_INITIALIZER(&duplicates);
    const struct ovsrec_bridge *br_int = ctx_in->br_int;

    for (size_t i = 0; br_int && i < br_int->n_ports; i++) {
        const struct ovsrec_port *port = br_int->ports[i];
        for (size_t j = 0; j < port->n_interfaces; j++) {
            const struct ovsrec_interface *iface = port->interfaces[j];
            const char *iface_id = smap_get(&iface->external_ids,
                                            "iface-id");
            if (!iface_id) {
                continue;
            }
            struct shash_node *node = shash_find(current, iface_id);
            if (!node) {
                shash_add(current, iface_id, iface);
                continue;
            }
            const struct roamrec_port *row
                = binding_lookup_port(ctx_in->port_by_name, iface_id);
            if (vif_rank(ctx_in, iface, iface_id, &state->vifs, row)
                > vif_rank(ctx_in, node->data, iface_id, &state->vifs, row)) {
                node->data = CONST_CAST(struct ovsrec_interface *, iface);
            }
            shash_add_once(&duplicates, iface_id, NULL);
        }
    }

    struct shash_node *node;
    SHASH_FOR_EACH (node, &duplicates) {
        const struct ovsrec_interface *kept = shash_find_data(current,
                                                              node->name);
        node->data = xstrdup(kept->name);
    }
    log_duplicates(state, &duplicates);
    shash_destroy(&duplicates);
}

ofp_port_t
binding_iface_ofport(const struct ovsrec_interface *iface,
                     const struct shash *switch_ports, uint64_t seen_seqno)
{
    if (iface->n_ofport) {
        return (*iface->ofport > 0 && *iface->ofport < ofp_to_u16(OFPP_MAX)
                ? u16_to_ofp(*iface->ofport)
                : OFPP_NONE);
    }

    const struct ofctrl_port *port = (switch_ports
                                      ? shash_find_data(switch_ports,
                                                        iface->name)
                                      : NULL);
    return port && port->seqno > seen_seqno ? port->port_no : OFPP_NONE;
}

/* Records, for each interface of 'current' (iface-id to Interface) whose
 * "ofport" column is still empty, the switch's port seqno when the agent
 * first saw it, and forgets the other interfaces. */
static void
update_unnumbered(const struct binding_ctx_in *ctx_in,
                  struct binding_state *state, const struct shash *current)
{
    struct shash unnumbered = SHASH_INITIALIZER(&unnumbered);
    struct shash_node *node;

    SHASH_FOR_EACH (node, current) {
        const struct ovsrec_interface *iface = node->data;
        if (iface->n_ofport) {
            continue;
        }
        char *key = xasprintf(UUID_FMT, UUID_ARGS(&iface->header_.uuid));
        uint64_t *seen = shash_find_and_delete(&state->unnumbered, key);
        if (!seen) {
            seen = xmalloc(sizeof *seen);
            *seen = ctx_in->switch_port_seqno;
        }
        shash_add_nocopy(&unnumbered, key, seen);
    }
    shash_swap(&state->unnumbered, &unnumbered);
    shash_destroy_free_data(&unnumbered);
}

/* Returns the OpenFlow port of VIF interface 'iface' (see
 * binding_iface_ofport()). */
static ofp_port_t
vif_ofport(const struct binding_ctx_in *ctx_in,
           const struct binding_state *state,
           const struct ovsrec_interface *iface)
{
    uint64_t seen_seqno = UINT64_MAX;
    if (!iface->n_ofport) {
        char *key = xasprintf(UUID_FMT, UUID_ARGS(&iface->header_.uuid));
        const uint64_t *seen = shash_find_data(&state->unnumbered, key);
        if (seen) {
            seen_seqno = *seen;
        }
        free(key);
    }
    return binding_iface_ofport(iface, ctx_in->switch_ports, seen_seqno);
}

/* Queues for release the ports that this chassis holds (as chassis or
 * additional_chassis) but has no interface for on 'current' (iface-id to
 * Interface): VIFs removed while the agent was not running.  Once, with
 * both databases replicated. */
static void
queue_orphans(const struct binding_ctx_in *ctx_in,
              struct binding_state *state, const struct shash *current)
{
    const struct roamrec_port *port;

    ROAMREC_PORT_FOR_EACH (port, ctx_in->roam_idl) {
        if ((port->chassis == ctx_in->chassis
             || port->additional_chassis == ctx_in->chassis)
            && !shash_find(current, port->name)
            && !shash_find(&state->releasing, port->name)) {
            VLOG_INFO("port %s is bound to this chassis, which has no VIF "
                      "for it", port->name);
            shash_add(&state->releasing, port->name, NULL);
        }
    }
    state->checked_orphans = true;
}

/* Writes the releases of the ports in 'state->releasing' that this chassis
 * still holds, and forgets those it no longer holds.  'current' maps
 * iface-ids to the Interfaces on the integration bridge.
 *
 * Each write verifies the column it clears: another chassis may have
 * claimed the port in the meantime (a cold move's destination, after both
 * lost the central database for a while), and its claim must stand.  The
 * transaction then fails and the next run sees who holds the port.
 *
 * A VIF that comes back before its release was written keeps the binding;
 * one that comes back after that waits for the release and then claims the
 * port anew (binding_run() holds it back).  Returns true if it wrote
 * anything. */
static bool
release_ports(const struct binding_ctx_in *ctx_in,
              struct binding_state *state, const struct shash *current)
{
    const struct roamrec_chassis *me = ctx_in->chassis;
    struct shash_node *node, *next;
    bool wrote = false;

    SHASH_FOR_EACH_SAFE (node, next, &state->releasing) {
        const char *name = node->name;
        const struct roamrec_port *port
            = binding_lookup_port(ctx_in->port_by_name, name);
        bool holds = port && me && port->chassis == me;
        bool standby = port && me && port->additional_chassis == me;
        if (!holds && !standby) {
            shash_delete(&state->releasing, node);
            continue;
        }
        if (!node->data) {
            const struct ovsrec_interface *iface = shash_find_data(current,
                                                                   name);
            if (shash_find(&state->vifs, name)) {
                /* Back before the release was written. */
                shash_delete(&state->releasing, node);
                continue;
            } else if (iface && !iface->n_ofport) {
                /* An interface with this iface-id that ovs-vswitchd has not
                 * added yet (a VIF re-plugged at once): wait for it. */
                continue;
            }
        }
        if (!ctx_in->roam_idl_txn) {
            continue;
        }
        if (holds) {
            roamrec_port_verify_chassis(port);
            roamrec_port_set_chassis(port, NULL);
            bool up = false;
            roamrec_port_set_up(port, &up, 1);
            VLOG_INFO("releasing port %s", name);
        }
        if (standby) {
            roamrec_port_verify_additional_chassis(port);
            roamrec_port_set_additional_chassis(port, NULL);
            VLOG_INFO("port %s: no longer a live migration's destination",
                      name);
        }
        node->data = (void *) 1;
        wrote = true;
    }
    return wrote;
}

static struct uuid
chassis_uuid(const struct roamrec_chassis *chassis)
{
    return chassis ? chassis->header_.uuid : UUID_ZERO;
}

/* Records in the Interface that 'vif''s plug event was answered. */
static void
record_plug(const struct binding_ctx_in *ctx_in, struct local_vif *vif,
            const struct ovsrec_interface *iface)
{
    if (!ctx_in->ovs_idl_txn || !iface) {
        return;
    }
    char value[UUID_LEN + 1];
    snprintf(value, sizeof value, UUID_FMT, UUID_ARGS(&vif->port_uuid));
    ovsrec_interface_update_external_ids_setkey(iface, BINDING_PLUG_KEY,
                                                value);
    vif->plug_recorded = true;
}

/* Whether the Chassis row named 'name' exists.  The server clears a
 * Port's 'chassis' when that row is deleted (a dead hypervisor removed):
 * only while it exists does an empty 'chassis' mean a release. */
static bool
chassis_exists(struct ovsdb_idl *roam_idl, const char *name)
{
    const struct roamrec_chassis *chassis;

    if (!roam_idl) {
        return false;
    }
    ROAMREC_CHASSIS_FOR_EACH (chassis, roam_idl) {
        if (!strcmp(chassis->name, name)) {
            return true;
        }
    }
    return false;
}

/* Starts a claim of 'port' (as chassis, or as additional chassis if
 * 'standby') for 'vif'. */
static void
send_claim(const struct binding_ctx_in *ctx_in, struct binding_state *state,
           struct local_vif *vif, const struct roamrec_port *port,
           bool standby)
{
    const struct roamrec_chassis *me = ctx_in->chassis;

    if (!vif->claim_sent || vif->claim_standby != standby) {
        const char *from = port->chassis ? port->chassis->name : NULL;
        if (standby) {
            VLOG_INFO("port %s: destination of a live migration from %s: "
                      "standing by", port->name, from ? from : "(none)");
        } else if (from) {
            VLOG_INFO("claiming port %s from chassis %s", port->name, from);
        } else {
            VLOG_INFO("claiming port %s", port->name);
        }
        vif->claim_sent = true;
        vif->claim_out = false;
        vif->claim_standby = standby;
        /* The VIF is served from the next iteration on (binding_get_role()):
         * it comes at once. */
        poll_immediate_wake();
        vif->claimed_from = chassis_uuid(port->chassis);
        if (!standby) {
            /* The previous holder, or the last one seen (a cold move's
             * source may have released the port already). */
            const char *prev = from ? from
                               : shash_find_data(&state->last_chassis,
                                                 port->name);
            free(vif->move_from);
            vif->move_from = (prev && strcmp(prev, me->name)
                              ? xstrdup(prev) : NULL);
            vif->move_live = vif->activated;
            vif->move_released = !from && prev
                                 && chassis_exists(ctx_in->roam_idl, prev);
            vif->claimed_ms = 0;
            vif->in_place_ms = 0;
        }
    }
    if (standby) {
        roamrec_port_set_additional_chassis(port, me);
    } else {
        roamrec_port_set_chassis(port, me);
        if (port->additional_chassis) {
            roamrec_port_set_additional_chassis(port, NULL);
        }
        bool up = false;
        roamrec_port_set_up(port, &up, 1);
    }
}

/* Writes the Migration row of 'vif''s move, once its flows are in and, for
 * a move that took the port from its source without a release (neither
 * live nor after a release), the source's liveness is known.  Returns true
 * if it wrote it. */
static bool
write_migration(const struct binding_ctx_in *ctx_in,
                const struct binding_state *state, struct local_vif *vif)
{
    const char *kind = "cold";
    if (!vif->in_place_ms) {
        vif->in_place_ms = ctx_in->now;
    }
    if (vif->move_live) {
        kind = "live";
    } else if (!vif->move_released) {
        /* Taken without a release: a failover if the source is dead
         * (roam(5)). */
        enum claim_holder h = holder_liveness(ctx_in, state, vif->move_from);
        if (h == CLAIM_HOLDER_UNKNOWN) {
            return false;       /* Once the source's liveness is known. */
        } else if (h == CLAIM_HOLDER_DEAD) {
            kind = "failover";
        }
    }

    struct roamrec_migration *m
        = roamrec_migration_insert(ctx_in->roam_idl_txn);
    int64_t detected = vif->detected_ms;
    int64_t claimed = vif->claimed_ms;
    int64_t activated = vif->in_place_ms;
    roamrec_migration_set_port(m, vif->iface_id);
    roamrec_migration_set_from_chassis(m, vif->move_from);
    roamrec_migration_set_to_chassis(m, ctx_in->chassis->name);
    roamrec_migration_set_kind(m, kind);
    roamrec_migration_set_detected(m, &detected, 1);
    roamrec_migration_set_claimed(m, &claimed, 1);
    roamrec_migration_set_activated(m, &activated, 1);
    VLOG_INFO("port %s: %s migration from %s done (detected -> claimed "
              "%lld ms, -> flows in place %lld ms)", vif->iface_id, kind,
              vif->move_from, vif->claimed_ms - vif->detected_ms,
              vif->in_place_ms - vif->detected_ms);
    free(vif->move_from);
    vif->move_from = NULL;
    return true;
}

/* Moves 'vif' to BOUND. */
static void
enter_bound(const struct binding_ctx_in *ctx_in, struct local_vif *vif,
            bool claimed_here)
{
    if (vif->state != VIF_BOUND) {
        vif->state = VIF_BOUND;
        vif->flows_cfg = 0;
        if (claimed_here) {
            vif->bound_seq++;
        }
    }
    /* A VIF served before its claim could be written (the central database
     * was unreachable) is bound already when the database shows it. */
    if (claimed_here && !vif->claimed_ms) {
        vif->claimed_ms = ctx_in->now;
    }
    vif->claim_sent = false;
    vif->activated = false;
    vif_log_problem(vif, NULL);
}

/* Runs the claim decision for 'vif' and its Port 'port'.  Returns true if it
 * wrote anything. */
static bool
update_vif(const struct binding_ctx_in *ctx_in, struct binding_state *state,
           struct local_vif *vif, const struct roamrec_port *port,
           const struct ovsrec_interface *iface)
{
    const struct roamrec_chassis *me = ctx_in->chassis;
    struct ovsdb_idl_txn *txn = ctx_in->roam_idl_txn;

    if (!port) {
        if (vif->state != VIF_PENDING_CLAIM) {
            /* The Port row is gone: a new row of that name is a new port,
             * which this VIF may claim. */
            vif->state = VIF_PENDING_CLAIM;
            vif->flows_cfg = 0;
        }
        vif->plug = true;
        vif->claim_sent = false;
        vif->claim_unsent = false;
        vif->activated = false;
        /* Not worth a warning while the row may only be on its way. */
        if (!ctx_in->port_monitor
            || port_monitor_has_row(ctx_in->port_monitor, vif->iface_id)) {
            vif_log_problem(vif, "no Port row with this name: waiting for "
                            "one");
        }
        return false;
    }
    if (!uuid_equals(&vif->port_uuid, &port->header_.uuid)) {
        /* First sight of this Port row: the plug is answered already if
         * the Interface says so. */
        const char *recorded = iface ? smap_get(&iface->external_ids,
                                                BINDING_PLUG_KEY) : NULL;
        struct uuid uuid;
        vif->port_uuid = port->header_.uuid;
        vif->plug_recorded = (recorded && uuid_from_string(&uuid, recorded)
                              && uuid_equals(&uuid, &port->header_.uuid));
        vif->plug = !vif->plug_recorded;
        if (!vif->plug && port->chassis != me) {
            VLOG_INFO("port %s: this VIF's plug was answered before (it is "
                      "bound to %s now): not claiming it again until it is "
                      "plugged again", port->name,
                      port->chassis ? port->chassis->name : "no chassis");
        }
    }

    /* A claim on its way: wait for it, or see that someone else won. */
    if (vif->claim_sent) {
        vif->claim_out = true;
        bool arrived = (port->chassis == me
                        || (vif->claim_standby
                            && port->additional_chassis == me));
        struct uuid current = chassis_uuid(port->chassis);
        /* No chassis at all is the previous holder's release, which
         * landed before the claim (a release never overwrites a claim: it
         * verifies the column), not another chassis's claim. */
        if (!arrived && port->chassis
            && !uuid_equals(&current, &vif->claimed_from)) {
            VLOG_INFO("port %s: chassis %s claimed it after this chassis; "
                      "not claiming again until a new plug", port->name,
                      port->chassis ? port->chassis->name : "(none)");
            vif->claim_sent = false;
            vif->plug = false;
            vif->activated = false;
            vif->state = VIF_BOUND_ELSEWHERE;
            vif->flows_cfg = 0;
            if (!vif->plug_recorded) {
                record_plug(ctx_in, vif, iface);
            }
            return false;
        } else if (!arrived) {
            /* Still on its way, or lost with a failed transaction: writing
             * the same values again is harmless. */
            if (txn) {
                send_claim(ctx_in, state, vif, port, vif->claim_standby);
                return true;
            }
            return false;
        }
    }

    bool was_unsent = vif->claim_unsent;
    vif->claim_unsent = false;
    struct claim_input in = {
        .plug = vif->plug,
        .request = classify_request(port, me),
        .holder = classify_holder(ctx_in, state, port),
        .standby = port->additional_chassis == me,
    };
    if (vif->activated && in.holder != CLAIM_HOLDER_ME) {
        /* The VM resumed here: take the port whatever the request says. */
        in.plug = true;
        in.request = CLAIM_REQUEST_FIRST;
    }
    enum claim_action action = claim_decide(&in);
    bool wrote = false;

    switch (action) {
    case CLAIM_SERVE:
        vif->standby_peer = chassis_uuid(port->additional_chassis);
        vif->draining = false;
        if (vif->state != VIF_BOUND && vif->state != VIF_PENDING_CLAIM
            && !vif->claim_sent) {
            VLOG_INFO("port %s is bound to this chassis again", port->name);
        }
        enter_bound(ctx_in, vif, vif->claim_sent);
        if (!vif->plug_recorded) {
            /* The plug is answered (the port is this chassis's already):
             * record it, in a later iteration if the local database takes
             * no write now. */
            record_plug(ctx_in, vif, iface);
        }
        vif->plug = false;
        break;

    case CLAIM_BIND:
    case CLAIM_STANDBY:
        if (txn) {
            if (!vif->claim_sent && vif->state != VIF_STANDBY) {
                vif->detected_ms = vif->detected_ms ? vif->detected_ms
                                                    : ctx_in->now;
            }
            send_claim(ctx_in, state, vif, port, action == CLAIM_STANDBY);
            /* A VIF served while its claim waited stays served. */
            vif->claim_out |= was_unsent;
            wrote = true;
            if (!vif->plug_recorded) {
                record_plug(ctx_in, vif, iface);
            }
            vif->plug = false;
        } else if (action == CLAIM_BIND) {
            vif->detected_ms = vif->detected_ms ? vif->detected_ms
                                                : ctx_in->now;
            vif->claim_unsent = true;
            vif_log_problem(vif, "claim waits for the central database: "
                            "serving the VIF meanwhile");
        }
        break;

    case CLAIM_KEEP_STANDBY:
        if (vif->state != VIF_STANDBY) {
            vif->state = VIF_STANDBY;
            vif->flows_cfg = 0;
            vif_log_problem(vif, NULL);
        }
        vif->claim_sent = false;
        break;

    case CLAIM_LEAVE_STANDBY:
        if (txn) {
            VLOG_INFO("port %s: requested_chassis no longer names this "
                      "chassis: leaving the live migration", port->name);
            roamrec_port_verify_additional_chassis(port);
            roamrec_port_set_additional_chassis(port, NULL);
            vif->state = VIF_BOUND_ELSEWHERE;
            vif->claim_sent = false;
            vif->activated = false;
            wrote = true;
        }
        break;

    case CLAIM_WAIT:
    default:
        if (vif->state == VIF_BOUND && port->chassis
            && uuid_equals(&vif->standby_peer, &port->chassis->header_.uuid)) {
            VLOG_INFO("port %s: live migration to %s activated: this chassis "
                      "stops delivering to its VIF", vif->iface_id,
                      port->chassis->name);
            vif->draining = true;
        } else if (vif->state == VIF_BOUND || vif->state == VIF_STANDBY) {
            VLOG_INFO("port %s is bound to %s now: this chassis stops "
                      "delivering to its VIF until it is plugged again",
                      vif->iface_id,
                      port->chassis ? port->chassis->name : "no chassis");
        }
        if (port->chassis && port->chassis != me) {
            vif->state = VIF_BOUND_ELSEWHERE;
        } else if (vif->state != VIF_BOUND_ELSEWHERE) {
            vif->state = VIF_PENDING_CLAIM;
        }
        vif->flows_cfg = vif->state == VIF_BOUND ? vif->flows_cfg : 0;
        if (in.request == CLAIM_REQUEST_OTHERS) {
            vif_log_problem(vif, "requested_chassis names other chassis: "
                            "not claiming");
        } else if (in.request == CLAIM_REQUEST_SECOND && vif->plug) {
            vif_log_problem(vif, "live migration: waiting to learn whether "
                            "the source chassis is alive");
        }
        break;
    }
    return wrote;
}

/* Returns what the flows of 'vif', the VIF of 'port' on chassis 'me', depend
 * on, as one number: its role and whether it awaits a claim. */
static int
vif_service(const struct binding_state *state, const struct local_vif *vif,
            const struct roamrec_port *port, const struct roamrec_chassis *me)
{
    ofp_port_t ofport;
    enum binding_role role = binding_get_role(state, port, me, &ofport);

    return role * 2 + binding_vif_awaits_claim(vif, port, me);
}

/* Keeps 'state->last_chassis' up to date from the tracked Port changes. */
static void
follow_holders(struct ovsdb_idl *roam_idl, struct binding_state *state)
{
    const struct roamrec_port *port;

    if (!roam_idl) {
        return;
    }
    ROAMREC_PORT_FOR_EACH_TRACKED (port, roam_idl) {
        if (roamrec_port_is_deleted(port)) {
            free(shash_find_and_delete(&state->last_chassis, port->name));
        } else if (port->chassis) {
            free(shash_replace(&state->last_chassis, port->name,
                               xstrdup(port->chassis->name)));
        }
    }
}

bool
binding_activate(struct binding_state *state, ofp_port_t ofport,
                 long long int now)
{
    struct local_vif *vif = find_vif_by_ofport(state, ofport);

    if (!vif || vif->state != VIF_STANDBY) {
        return false;
    }
    if (!vif->activated) {
        VLOG_INFO("port %s: the VM announced itself here (RARP): "
                  "activating", vif->iface_id);
        vif->activated = true;
        vif->detected_ms = now;
    }
    return true;
}

/* When this chassis's Chassis row was deleted (by an operator, or by the
 * agent itself for a changed system-id) and registered anew, the database
 * clears every binding to the old row (weak references), maybe only after
 * the new row is in use.  No other chassis took those ports and no VM
 * moved: each VIF whose port an earlier row of this chassis held for it,
 * and that nobody holds in that role now, counts as plugged again, so that
 * it claims its port back (or stands by again) if requested_chassis still
 * allows it.  A port that another chassis took meanwhile stays its. */
static void
rebind_after_new_chassis_row(const struct binding_ctx_in *ctx_in,
                             struct binding_state *state)
{
    const struct roamrec_chassis *me = ctx_in->chassis;
    struct shash_node *node;

    SHASH_FOR_EACH (node, &state->vifs) {
        struct local_vif *vif = node->data;
        const struct roamrec_port *port
            = binding_lookup_port(ctx_in->port_by_name, vif->iface_id);
        if (!port) {
            continue;
        }
        const struct roamrec_chassis *holder
            = vif->served_standby ? port->additional_chassis : port->chassis;
        if (port->chassis == me || port->additional_chassis == me) {
            vif->served_by = me->header_.uuid;
            vif->served_standby = port->chassis != me;
        } else if (holder) {
            /* Someone else's now. */
            vif->served_by = UUID_ZERO;
        } else if (!uuid_is_zero(&vif->served_by)
                   && !uuid_equals(&vif->served_by, &me->header_.uuid)) {
            VLOG_INFO("port %s: its binding went with this chassis's "
                      "previous Chassis row: taking it again",
                      vif->iface_id);
            vif->plug = true;
            vif->served_by = UUID_ZERO;
            /* The previous holder was this chassis: no move to report. */
            free(shash_find_and_delete(&state->last_chassis, port->name));
        }
    }
}

bool
binding_run(const struct binding_ctx_in *ctx_in, struct binding_state *state)
{
    struct shash current = SHASH_INITIALIZER(&current);
    struct ovsdb_idl_txn *txn = ctx_in->roam_idl_txn;
    bool wrote = false;

    follow_holders(ctx_in->roam_idl, state);
    collect_vifs(ctx_in, state, &current);
    update_unnumbered(ctx_in, state, &current);
    sset_clear(&state->interfaces);
    struct shash_node *node, *next;
    SHASH_FOR_EACH (node, &current) {
        sset_add(&state->interfaces, node->name);
    }
    bool vifs_changed = false;

    /* Unplugs: VIFs that are gone, or whose interface was replaced. */
    SHASH_FOR_EACH_SAFE (node, next, &state->vifs) {
        struct local_vif *vif = node->data;
        const struct ovsrec_interface *iface = shash_find_data(&current,
                                                               node->name);
        ofp_port_t ofport = iface ? vif_ofport(ctx_in, state, iface)
                                  : OFPP_NONE;
        if (!iface || !uuid_equals(&iface->header_.uuid, &vif->iface_uuid)) {
            /* The release is written once the central database can be. */
            VLOG_INFO("VIF for port %s unplugged", vif->iface_id);
            if (!shash_find(&state->releasing, vif->iface_id)) {
                shash_add(&state->releasing, vif->iface_id, NULL);
            }
            local_vif_destroy(vif);
            shash_delete(&state->vifs, node);
            vifs_changed = true;
        } else if (ofport != vif->ofport) {
            /* The same interface with another OpenFlow port (ovs-vswitchd
             * restarted): the same VIF. */
            vif->ofport = ofport;
            vif->flows_cfg = 0;
            vifs_changed = true;
        }
    }

    /* Plugs: VIFs that are new. */
    SHASH_FOR_EACH (node, &current) {
        const struct ovsrec_interface *iface = node->data;
        ofp_port_t ofport = (shash_find(&state->vifs, node->name)
                             ? OFPP_NONE
                             : vif_ofport(ctx_in, state, iface));
        if (ofport != OFPP_NONE) {
            struct local_vif *vif = xzalloc(sizeof *vif);
            vif->iface_id = xstrdup(node->name);
            vif->iface_uuid = iface->header_.uuid;
            vif->ofport = ofport;
            vif->state = VIF_PENDING_CLAIM;
            vif->plug = true;
            vif->detected_ms = ctx_in->now;
            shash_add(&state->vifs, node->name, vif);
            VLOG_INFO("VIF for port %s plugged (interface %s, ofport %d)",
                      vif->iface_id, iface->name, ofp_to_u16(vif->ofport));
            vifs_changed = true;
        }
    }

    if (!ctx_in->chassis) {
        shash_destroy(&current);
        return vifs_changed;
    }

    rebind_after_new_chassis_row(ctx_in, state);

    /* Releases of VIFs that left. */
    if (!state->checked_orphans && txn && ctx_in->br_int
        && (!ctx_in->port_monitor || ctx_in->port_monitor->settled)) {
        queue_orphans(ctx_in, state, &current);
    }
    wrote |= release_ports(ctx_in, state, &current);

    /* Claims, states, Port.up and Migration rows. */
    struct sset watch = SSET_INITIALIZER(&watch);
    SHASH_FOR_EACH (node, &state->vifs) {
        struct local_vif *vif = node->data;
        const struct roamrec_port *port
            = binding_lookup_port(ctx_in->port_by_name, vif->iface_id);

        if (shash_find_data(&state->releasing, vif->iface_id)) {
            /* Plugged again after the release of its previous VIF was
             * written: a new plug once that is done. */
            vif_log_problem(vif, "waiting for the release of its previous "
                            "VIF");
            continue;
        }
        /* What the flows depend on may change without a write: a claim
         * that went out (served from now on), a claim decided while no
         * transaction can carry it (served too), a plug answered. */
        int service = port ? vif_service(state, vif, port, ctx_in->chassis)
                           : 0;
        wrote |= update_vif(ctx_in, state, vif, port,
                            shash_find_data(&current, vif->iface_id));
        if (port
            && vif_service(state, vif, port, ctx_in->chassis) != service) {
            vifs_changed = true;
        }
        /* The holder's liveness matters only to a live migration to here,
         * also one whose requested_chassis was emptied (claim.h). */
        if (port && port->chassis && ctx_in->chassis
            && port->chassis != ctx_in->chassis) {
            enum claim_request request = classify_request(port,
                                                          ctx_in->chassis);
            if (request == CLAIM_REQUEST_SECOND
                || (request == CLAIM_REQUEST_ANY
                    && port->additional_chassis == ctx_in->chassis)) {
                sset_add(&watch, port->chassis->name);
            }
        }

        if (txn && port && vif->state == VIF_BOUND
            && port->chassis == ctx_in->chassis
            && vif->flows_cfg && ctx_in->flows_cur_cfg >= vif->flows_cfg) {
            if (!(port->n_up && port->up[0])) {
                bool up = true;
                roamrec_port_set_up(port, &up, 1);
                VLOG_INFO("port %s is up: its flows are in the switch",
                          vif->iface_id);
                wrote = true;
            }
            if (vif->move_from) {
                wrote |= write_migration(ctx_in, state, vif);
            }
        }
        /* The kind of a move that took the port without a release
         * depends on whether its source is dead, which is asked only once
         * its flows are in place: not to load the move's critical path
         * with watching. */
        if (vif->move_from && !vif->move_released && vif->in_place_ms) {
            sset_add(&watch, vif->move_from);
        }
    }
    if (!sset_equals(&watch, &state->watch)) {
        /* The Chassis_Private condition must follow at once. */
        sset_swap(&watch, &state->watch);
        poll_immediate_wake();
    }
    sset_destroy(&watch);
    shash_destroy(&current);
    return wrote || vifs_changed;
}

enum binding_role
binding_get_role(const struct binding_state *state,
                 const struct roamrec_port *port,
                 const struct roamrec_chassis *me, ofp_port_t *ofport)
{
    const struct local_vif *vif = shash_find_data(&state->vifs, port->name);

    *ofport = OFPP_NONE;
    if (!vif || !me || vif->ofport == OFPP_NONE
        || !uuid_equals(&vif->port_uuid, &port->header_.uuid)) {
        return BINDING_ROLE_REMOTE;
    }
    /* A claim of 'chassis', on its way or waiting for a transaction, serves
     * the VIF: the claim decision gave the port to this chassis, and
     * waiting for the central database to echo the claim back would keep
     * a moved VM from sending, and its neighbours here from reaching it,
     * for a round trip (or for as long as the database is unreachable).
     * A claim that can be sent is served from the iteration after the one
     * that sent it, so that computing the VIF's flows (all of its network's
     * if the network is new here) never holds the claim back.  If another
     * chassis wins the race, update_vif() sees it and the VIF stops being
     * served; Port.up still waits for the binding and its flows. */
    if ((vif->state == VIF_BOUND && port->chassis == me)
        || (vif->state == VIF_STANDBY && vif->activated)
        || vif->claim_unsent
        || (vif->claim_sent && vif->activated)
        || (vif->claim_sent && vif->claim_out && !vif->claim_standby)) {
        *ofport = vif->ofport;
        return BINDING_ROLE_ACTIVE;
    }
    if (vif->state == VIF_STANDBY && port->additional_chassis == me) {
        *ofport = vif->ofport;
        return BINDING_ROLE_STANDBY;
    }
    if (vif->state == VIF_BOUND_ELSEWHERE && vif->draining) {
        *ofport = vif->ofport;
        return BINDING_ROLE_DRAINING;
    }
    return BINDING_ROLE_REMOTE;
}

bool
binding_has_interface(const struct binding_state *state,
                      const char *iface_id)
{
    return sset_contains(&state->interfaces, iface_id);
}

bool
binding_vif_awaits_claim(const struct local_vif *vif,
                         const struct roamrec_port *port,
                         const struct roamrec_chassis *me)
{
    if (!port || !me) {
        return false;
    }
    if (!uuid_equals(&vif->port_uuid, &port->header_.uuid)) {
        /* update_vif() has not seen this row for the VIF yet (it was
         * plugged again while the release of its previous VIF is on its
         * way): it will take the first sight as a plug. */
        return classify_request(port, me) != CLAIM_REQUEST_OTHERS;
    }
    return (vif->claim_sent || vif->claim_unsent
            || (vif->plug
                && classify_request(port, me) != CLAIM_REQUEST_OTHERS));
}

void
binding_format_vif(const struct local_vif *vif, struct ds *s)
{
    ds_put_format(s, "ofport %d, %s%s%s%s", ofp_to_u16(vif->ofport),
                  vif_state_to_string(vif->state),
                  vif->activated ? " (activated)" : "",
                  vif->logged_problem ? ": " : "",
                  vif->logged_problem ? vif->logged_problem : "");
}

void
binding_format(const struct binding_state *state, struct ds *s)
{
    const struct shash_node **nodes = shash_sort(&state->vifs);

    for (size_t i = 0; i < shash_count(&state->vifs); i++) {
        const struct local_vif *vif = nodes[i]->data;
        ds_put_format(s, "  %s: ", vif->iface_id);
        binding_format_vif(vif, s);
        ds_put_char(s, '\n');
    }
    free(nodes);
    ds_put_format(s, "held packets (sent on standby VIFs): %"PRIuSIZE" "
                  "waiting, %llu dropped (queue full), %llu dropped (VIF "
                  "not standby)\n", state->n_held, state->n_held_dropped,
                  state->n_held_refused);
}
