/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "announce.h"

#include <stdint.h>

#include "agent/binding.h"
#include "agent/flow-tables.h"
#include "agent/pipeline.h"
#include "agent/plugin.h"
#include "announce-packets.h"
#include "flow.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovsdb/roam-idl.h"
#include "ovsdb/roam-validate.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(announce);

/* The plugin's state: for each local VIF's port name, the VIF's
 * 'bound_seq' last announced (as uintptr_t). */
struct announce_state {
    struct shash announced;
};

static void *
announce_init(void)
{
    struct announce_state *state = xmalloc(sizeof *state);
    shash_init(&state->announced);
    return state;
}

static void
announce_destroy(void *state_)
{
    struct announce_state *state = state_;

    if (state) {
        shash_destroy(&state->announced);
        free(state);
    }
}

static void
announce_register_roam_idl(struct ovsdb_idl *roam_idl)
{
    ovsdb_idl_add_column(roam_idl, &roamrec_port_col_ips);
}

/* Queues the announcements of the port of 'vif'. */
static void
announce_port(const struct pipeline_ctx_in *ctx_in,
              const struct local_vif *vif, struct plugin_ctx_out *ctx_out)
{
    const struct roamrec_port *port
        = binding_lookup_port(ctx_in->port_by_name, vif->iface_id);
    struct eth_addr mac;

    if (!port) {
        return;
    }
    char *error = roam_validate_mac(port->mac, &mac);
    if (error) {
        free(error);            /* The pipeline logs bad MACs. */
        return;
    }

    struct announce_packets ap;
    announce_packets_compose(port->name, mac,
                             (const char *const *) port->ips, port->n_ips,
                             &ap);
    for (size_t i = 0; i < ap.n; i++) {
        plugin_queue_packet(ctx_out, ap.packets[i], vif->ofport,
                            FLOW_TABLE_CLASSIFY);
        ap.packets[i] = NULL;
    }
    VLOG_INFO("port %s: announced its MAC and %"PRIuSIZE" addresses "
              "(%"PRIuSIZE" packets)", port->name, port->n_ips, ap.n);
    announce_packets_destroy(&ap);
}

static void
announce_run(void *state_, const struct pipeline_ctx_in *ctx_in,
             struct plugin_ctx_out *ctx_out)
{
    struct announce_state *state = state_;
    struct shash_node *node, *next;

    /* Announce a VIF once the switch has its flows (they went out with an
     * earlier or this iteration's put, which packet-outs follow). */
    SHASH_FOR_EACH (node, &ctx_in->binding->vifs) {
        const struct local_vif *vif = node->data;
        uintptr_t done = (uintptr_t) shash_find_data(&state->announced,
                                                     vif->iface_id);
        if (vif->state == VIF_BOUND && vif->flows_cfg
            && vif->ofport != OFPP_NONE && vif->bound_seq != done) {
            announce_port(ctx_in, vif, ctx_out);
            shash_replace(&state->announced, vif->iface_id,
                          (void *) (uintptr_t) vif->bound_seq);
        }
    }
    SHASH_FOR_EACH_SAFE (node, next, &state->announced) {
        if (!shash_find(&ctx_in->binding->vifs, node->name)) {
            shash_delete(&state->announced, node);
        }
    }
}

const struct plugin_class announce_plugin = {
    .name = "announce",
    .optional = true,
    .tables = NULL,
    .n_tables = 0,
    .register_roam_idl = announce_register_roam_idl,
    .init = announce_init,
    .destroy = announce_destroy,
    .run = announce_run,
};
