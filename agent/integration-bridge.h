/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef INTEGRATION_BRIDGE_H
#define INTEGRATION_BRIDGE_H 1

/* The integration bridge (br-int by default) in the local Open vSwitch
 * database.
 *
 * Creates the bridge if it is missing, with fail_mode=secure so that
 * ovs-vswitchd forwards nothing the agent did not ask for, and with the
 * configured datapath type; keeps those two settings and the names of the
 * tables the agent owns (Flow_Table rows) as configured.  It never deletes a
 * bridge: when roam-bridge names another bridge, the old one is left to the
 * operator. */

#include <stdbool.h>

struct ovsdb_idl;
struct ovsdb_idl_txn;
struct ovsrec_bridge;
struct ovsrec_bridge_table;
struct ovsrec_open_vswitch;

/* Adds the tables and columns this module reads or writes to 'ovs_idl'. */
void integration_bridge_register_ovs_idl(struct ovsdb_idl *ovs_idl);

/* Inputs of integration_bridge_run(). */
struct integration_bridge_ctx_in {
    struct ovsdb_idl_txn *ovs_idl_txn;  /* NULL if no writes are possible. */
    const struct ovsrec_open_vswitch *ovs_row;  /* The Open_vSwitch row. */
    const struct ovsrec_bridge_table *bridge_table;
    const char *bridge_name;            /* Configured bridge name. */
    const char *datapath_type;          /* Configured datapath type. */
};

/* Outputs of integration_bridge_run(). */
struct integration_bridge_ctx_out {
    const struct ovsrec_bridge *bridge; /* The bridge, NULL until it exists in
                                         * the database. */
    bool changed;                       /* True if this run wrote anything. */
};

void integration_bridge_run(const struct integration_bridge_ctx_in *,
                            struct integration_bridge_ctx_out *);

#endif /* agent/integration-bridge.h */
