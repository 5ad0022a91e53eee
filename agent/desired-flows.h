/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef DESIRED_FLOWS_H
#define DESIRED_FLOWS_H 1

/* The desired flow table, computed incrementally.
 *
 * Every feature (plugin.h) computes its flows per row: per local network and
 * per port of a local network, each flow carrying its row's cookie.  This
 * module decides which rows need their flows again and asks every enabled
 * feature for them:
 *
 *   - a Port that changed in the central database (IDL change tracking):
 *     its own flows, and the network flows of its old and new network;
 *   - a Network that changed: its flows and those of all its ports;
 *   - a local VIF whose role changed (binding.h: bound, standby, gone):
 *     its port's flows and its network's flows;
 *   - a network that became local: all its flows; one that stopped being
 *     local: its flows and its ports' flows go;
 *   - a chassis that became unreachable or reachable again
 *     (dead-chassis.h): the network flows of the local networks where it
 *     has ports, as flooding leaves out unreachable chassis;
 *   - a local VIF that this chassis neither serves nor may serve without a
 *     change (binding_vif_awaits_claim()): the flow that drops its traffic,
 *     with the cookie of its Interface row (in the Open vSwitch database),
 *     for as long as that holds.
 *
 * The work of one change is proportional to the rows it touches, plus one
 * walk over the ports of the networks whose network flows it changes (the
 * flooding flow names every chassis with a port there), plus one walk over
 * the local VIFs and the integration bridge's interfaces for the dropping
 * flows (a few dozen on a hypervisor, however large the networks).
 * Anything else that flows depend on (this chassis, the tunnels' OpenFlow
 * ports, the set of enabled plugins, a reconnection to the central
 * database, the "recompute" command) leads to a full computation, which
 * builds the same table from scratch. */

#include <stdbool.h>
#include <stddef.h>
#include "flow-set.h"
#include "openvswitch/hmap.h"
#include "openvswitch/shash.h"
#include "sset.h"
#include "uuid.h"

struct ds;
struct pipeline_ctx_in;
struct plugin_class;

/* The desired flows and what they were computed from. */
struct desired_flows {
    struct flow_set flows;      /* The desired flow table. */

    /* What the flows in 'flows' were computed from. */
    bool valid;                 /* False: the next run is a full one. */
    struct hmap local_networks; /* "struct df_network"s by network UUID. */
    struct hmap port_networks;  /* "struct df_port"s by port UUID: the
                                 * ports whose flows are in 'flows'. */
    struct shash vifs;          /* "struct df_vif"s by port name: the
                                 * roles of the local VIFs. */
    struct shash dropped_ports; /* "struct df_dropped_port"s by Interface
                                 * UUID (UUID_FMT): the interfaces of the
                                 * integration bridge whose traffic is
                                 * dropped, VIFs not served here
                                 * (pipeline_add_unserved_vif_flow()) and
                                 * interfaces that are no VIF
                                 * (pipeline_add_non_vif_drop_flow()). */
    struct shash tunnel_ports;  /* Chassis name to tunnel OpenFlow port
                                 * (as uintptr_t). */
    struct uuid chassis;        /* This chassis's row. */
    struct sset enabled;        /* Names of the enabled plugins. */
    struct sset dead;           /* Chassis left out of flooding. */

    /* Statistics, for status. */
    unsigned long long int n_full;
    unsigned long long int n_incremental;
    long long int last_msec;    /* Duration of the last run, in ms. */
    bool last_full;             /* Whether the last run was full. */
};

void desired_flows_init(struct desired_flows *);
void desired_flows_destroy(struct desired_flows *);

/* Makes the next run a full computation. */
void desired_flows_invalidate(struct desired_flows *);

/* Inputs of desired_flows_run() besides the pipeline's. */
struct desired_flows_ctx_in {
    const struct pipeline_ctx_in *pipeline;
    const struct plugin_class *const *classes; /* Every plugin. */
    size_t n_classes;
    const struct sset *disabled;    /* Plugins switched off, or NULL. */
};

/* Brings 'df->flows' up to date with 'ctx_in', from the changes the central
 * database's IDL tracked since the last run (the caller clears the tracked
 * changes afterwards).  Needs ctx_in->pipeline->chassis. */
void desired_flows_run(const struct desired_flows_ctx_in *ctx_in,
                       struct desired_flows *df);

/* Appends statistics to 's', for status. */
void desired_flows_format(const struct desired_flows *, struct ds *s);

/* Returns true if the network whose row has 'uuid' is a local network, one
 * whose flows are in the desired flows. */
bool desired_flows_has_network(const struct desired_flows *,
                               const struct uuid *network);

/* Returns true if the desired flows drop the traffic of the interface whose
 * row in the local database is 'iface': a VIF that this chassis neither
 * serves nor awaits a claim for, or an interface that is no VIF. */
bool desired_flows_drops_iface(const struct desired_flows *,
                               const struct uuid *iface);

#endif /* agent/desired-flows.h */
