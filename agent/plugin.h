/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef PLUGIN_H
#define PLUGIN_H 1

/* Pipeline features: the core pipeline and the optional plugins.
 *
 * The flows of the integration bridge come from features (DESIGN section
 * 4).  Each is a "struct plugin_class": it names the OpenFlow tables it
 * owns, adds the database columns it reads to the IDL, and adds its flows to
 * the desired flow set from the same inputs the core uses.  The core
 * pipeline (agent/pipeline.c: classify, l2_lookup, flood, output) is one of
 * them, declared and run exactly like the optional ones in plugins/, except
 * that it cannot be switched off.  An operator switches optional plugins off
 * with Open_vSwitch external_ids:roam-plugins-disabled=NAME[,NAME...].
 *
 * Flows are computed per row, which is what makes the computation
 * incremental (desired-flows.h): a feature adds the flows of one local
 * network, or of one port of a local network, and every such flow carries
 * the cookie of that row (flow_set_cookie_from_uuid()).  When a row changes,
 * desired-flows removes every flow with its cookie, whichever feature added
 * it, and asks every feature for the row's flows again.  Flows that depend
 * on no row have cookie 0 and are computed only by a full computation.
 *
 * A feature may also send packets (OpenFlow packet-out) and take the
 * packet-ins of its tables: it then keeps private state, created by init().
 *
 * A plugin writes flows only into its own tables; it hands packets on to
 * another feature with goto_table or resubmit.  Table numbers not used by
 * the core (flow-tables.h) are free for plugins. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/list.h"
#include "openvswitch/types.h"

struct dp_packet;
struct flow_set;
struct flow_table;
struct ofctrl_packet_in;
struct ovsdb_idl;
struct pipeline_ctx_in;
struct pipeline_network;
struct pipeline_port;
struct sset;

/* A packet a feature wants sent: 'packet' enters the pipeline at table
 * 'table_id' as if it had come in on 'in_port'. */
struct plugin_packet_out {
    struct ovs_list list_node;  /* In "struct plugin_ctx_out"'s list. */
    struct dp_packet *packet;   /* Owned. */
    ofp_port_t in_port;
    uint8_t table_id;
};

/* What a feature's run() and handle_packet_in() may produce. */
struct plugin_ctx_out {
    struct ovs_list packets;    /* "struct plugin_packet_out"s to send. */
};

/* A pipeline feature. */
struct plugin_class {
    const char *name;           /* For roam-plugins-disabled and logs. */
    bool optional;              /* False for the core: cannot be disabled. */
    const struct flow_table *tables; /* The tables it owns. */
    size_t n_tables;

    /* Adds the Roam database tables and columns the plugin reads to
     * 'roam_idl'.  May be NULL. */
    void (*register_roam_idl)(struct ovsdb_idl *roam_idl);

    /* Adds the flows that depend on no database row, with cookie 0.  May be
     * NULL. */
    void (*add_static_flows)(struct flow_set *desired);

    /* Adds the flows of local network 'network', with the network's
     * cookie.  They may depend on the network's row, its local ports and
     * the set of remote chassis with ports in it (a feature that needs
     * every port walks ctx_in's port_by_network index).  May be NULL. */
    void (*add_network_flows)(const struct pipeline_ctx_in *ctx_in,
                              const struct pipeline_network *network,
                              struct flow_set *desired);

    /* Adds the flows of 'port', a port of local network 'network' (only
     * whose 'row' is set), with the port's cookie.  May be NULL. */
    void (*add_port_flows)(const struct pipeline_ctx_in *ctx_in,
                           const struct pipeline_network *network,
                           const struct pipeline_port *port,
                           struct flow_set *desired);

    /* Private state: init() returns it (NULL if there is none), destroy()
     * frees it.  Both may be NULL. */
    void *(*init)(void);
    void (*destroy)(void *state);

    /* Called once the flows are computed, on every iteration of the main
     * loop that runs the modules of the data path (one whose inputs, the
     * databases, OpenFlow or time-based liveness, changed: an idle agent's
     * heartbeat does not run them), while OpenFlow is connected: may queue
     * packets in
     * 'ctx_out'.  Packets queued here go out after the flows that
     * ofctrl_put() sent in the same iteration.  May be NULL. */
    void (*run)(void *state, const struct pipeline_ctx_in *ctx_in,
                struct plugin_ctx_out *ctx_out);

    /* Handles 'pin', a packet-in from one of the plugin's tables.  May be
     * NULL. */
    void (*handle_packet_in)(void *state,
                             const struct pipeline_ctx_in *ctx_in,
                             const struct ofctrl_packet_in *pin,
                             struct plugin_ctx_out *ctx_out);
};

/* Returns every known plugin, the core first, and stores their number in
 * '*n'. */
const struct plugin_class *const *plugin_get_all(size_t *n);

/* Returns the plugin named 'name', or NULL. */
const struct plugin_class *plugin_find(const char *name);

/* Returns the plugin among the 'n' 'classes' that owns table 'table_id', or
 * NULL, and, if 'tablep' is nonnull, stores that table's entry (or NULL)
 * there. */
const struct plugin_class *plugin_find_by_table(
    const struct plugin_class *const *classes, size_t n, uint8_t table_id,
    const struct flow_table **tablep);

/* Returns true unless 'class' is optional and named in 'disabled' (NULL
 * disables none). */
bool plugin_is_enabled(const struct plugin_class *class,
                       const struct sset *disabled);

/* Calls every plugin's register_roam_idl(). */
void plugin_register_roam_idl(struct ovsdb_idl *roam_idl);

void plugin_ctx_out_init(struct plugin_ctx_out *);
void plugin_ctx_out_destroy(struct plugin_ctx_out *);

/* Appends to 'ctx_out' a packet-out of 'packet', which it takes over. */
void plugin_queue_packet(struct plugin_ctx_out *ctx_out,
                         struct dp_packet *packet, ofp_port_t in_port,
                         uint8_t table_id);

#endif /* agent/plugin.h */
