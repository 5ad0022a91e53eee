/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "port-monitor.h"

#include <stdlib.h>
#include <string.h>
#include "ovsdb-idl.h"
#include "ovsdb/roam-idl.h"

void
port_monitor_init(struct port_monitor *pm)
{
    pm->monitor_all = true;
    sset_init(&pm->names);
    uuidset_init(&pm->networks);
    pm->settled = false;
    pm->ever_settled = false;
}

void
port_monitor_destroy(struct port_monitor *pm)
{
    sset_destroy(&pm->names);
    uuidset_destroy(&pm->networks);
}

static bool
requests_chassis(const struct roamrec_port *port, const char *name)
{
    for (size_t i = 0; i < port->n_requested_chassis; i++) {
        if (!strcmp(port->requested_chassis[i], name)) {
            return true;
        }
    }
    return false;
}

/* Whether this chassis needs 'port' for itself, not only as a member of a
 * network it needs. */
static bool
port_is_needed(const struct port_monitor_ctx_in *ctx_in,
               const struct roamrec_port *port)
{
    const struct roamrec_chassis *me = ctx_in->chassis;

    return (sset_contains(ctx_in->iface_ids, port->name)
            || (me && (port->chassis == me
                       || port->additional_chassis == me))
            || requests_chassis(port, ctx_in->chassis_name));
}

/* The networks of the ports that this chassis needs, among those the IDL
 * holds. */
static void
collect_networks(const struct port_monitor_ctx_in *ctx_in,
                 struct uuidset *networks)
{
    const struct roamrec_port *port;

    ROAMREC_PORT_FOR_EACH (port, ctx_in->roam_idl) {
        if (port->network && port_is_needed(ctx_in, port)) {
            uuidset_insert(networks, &port->network->header_.uuid);
        }
    }
}

static int
compare_uuids(const void *a, const void *b)
{
    return uuid_compare_3way(a, b);
}

static void
build_condition(const struct port_monitor_ctx_in *ctx_in,
                const struct port_monitor *pm,
                struct ovsdb_idl_condition *cond)
{
    if (pm->monitor_all) {
        ovsdb_idl_condition_add_clause_true(cond);
        return;
    }

    /* In a fixed order: the IDL compares a condition with the last one as
     * JSON, so the same clauses in another order would be sent again. */
    const char **names = sset_sort(&pm->names);
    for (size_t i = 0; i < sset_count(&pm->names); i++) {
        roamrec_port_add_clause_name(cond, OVSDB_F_EQ, names[i]);
    }
    free(names);
    size_t n_networks = uuidset_count(&pm->networks);
    struct uuid *networks = uuidset_array(&pm->networks);
    qsort(networks, n_networks, sizeof *networks, compare_uuids);
    for (size_t i = 0; i < n_networks; i++) {
        roamrec_port_add_clause_network(cond, OVSDB_F_EQ, &networks[i]);
    }
    free(networks);
    if (ctx_in->chassis) {
        const struct uuid *me = &ctx_in->chassis->header_.uuid;
        roamrec_port_add_clause_chassis(cond, OVSDB_F_EQ, me);
        roamrec_port_add_clause_additional_chassis(cond, OVSDB_F_EQ, me);
    }
    const char *own_name = ctx_in->chassis_name;
    roamrec_port_add_clause_requested_chassis(cond, OVSDB_F_INCLUDES,
                                              &own_name, 1);
}

bool
port_monitor_run(const struct port_monitor_ctx_in *ctx_in,
                 struct port_monitor *pm)
{
    pm->monitor_all = ctx_in->monitor_all;
    sset_clear(&pm->names);
    uuidset_clear(&pm->networks);
    if (!pm->monitor_all) {
        const char *name;
        SSET_FOR_EACH (name, ctx_in->iface_ids) {
            sset_add(&pm->names, name);
        }
        collect_networks(ctx_in, &pm->networks);
    }

    struct ovsdb_idl_condition cond = OVSDB_IDL_CONDITION_INIT(&cond);
    build_condition(ctx_in, pm, &cond);
    unsigned int seqno = roamrec_port_set_condition(ctx_in->roam_idl,
                                                    &cond);
    ovsdb_idl_condition_destroy(&cond);

    /* The condition computed from the rows it selected is the one in
     * effect: nothing more will arrive for it. */
    bool was_settled = pm->settled;
    pm->settled = (ctx_in->inputs_complete
                   && seqno == ovsdb_idl_get_condition_seqno(
                                  ctx_in->roam_idl));
    pm->ever_settled |= pm->settled;
    return pm->settled != was_settled;
}

bool
port_monitor_has_row(const struct port_monitor *pm, const char *name)
{
    return pm->monitor_all || (pm->settled && sset_contains(&pm->names, name));
}
