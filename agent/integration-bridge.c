/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "integration-bridge.h"

#include <string.h>

#include "flow-tables.h"
#include "plugin.h"
#include "lib/vswitch-idl.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "smap.h"

VLOG_DEFINE_THIS_MODULE(integration_bridge);

void
integration_bridge_register_ovs_idl(struct ovsdb_idl *ovs_idl)
{
    ovsdb_idl_add_table(ovs_idl, &ovsrec_table_open_vswitch);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_open_vswitch_col_bridges);

    ovsdb_idl_add_table(ovs_idl, &ovsrec_table_bridge);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_bridge_col_name);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_bridge_col_fail_mode);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_bridge_col_datapath_type);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_bridge_col_other_config);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_bridge_col_ports);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_bridge_col_flow_tables);

    ovsdb_idl_add_table(ovs_idl, &ovsrec_table_port);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_port_col_name);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_port_col_interfaces);

    ovsdb_idl_add_table(ovs_idl, &ovsrec_table_interface);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_interface_col_name);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_interface_col_type);

    ovsdb_idl_add_table(ovs_idl, &ovsrec_table_flow_table);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_flow_table_col_name);
}

static const struct ovsrec_bridge *
find_bridge(const struct ovsrec_bridge_table *bridge_table, const char *name)
{
    const struct ovsrec_bridge *br;

    OVSREC_BRIDGE_TABLE_FOR_EACH (br, bridge_table) {
        if (!strcmp(br->name, name)) {
            return br;
        }
    }
    return NULL;
}

static void
create_bridge(const struct integration_bridge_ctx_in *ctx_in)
{
    struct ovsdb_idl_txn *txn = ctx_in->ovs_idl_txn;

    ovsdb_idl_txn_add_comment(txn, "roam-agent: creating integration bridge "
                              "%s", ctx_in->bridge_name);

    struct ovsrec_interface *iface = ovsrec_interface_insert(txn);
    ovsrec_interface_set_name(iface, ctx_in->bridge_name);
    ovsrec_interface_set_type(iface, "internal");

    struct ovsrec_port *port = ovsrec_port_insert(txn);
    ovsrec_port_set_name(port, ctx_in->bridge_name);
    ovsrec_port_set_interfaces(port, &iface, 1);

    struct ovsrec_bridge *bridge = ovsrec_bridge_insert(txn);
    ovsrec_bridge_set_name(bridge, ctx_in->bridge_name);
    ovsrec_bridge_set_fail_mode(bridge, "secure");
    ovsrec_bridge_set_datapath_type(bridge, ctx_in->datapath_type);
    ovsrec_bridge_set_ports(bridge, &port, 1);

    /* The agent programs every flow itself; in-band control flows would only
     * get in the way of an overlay bridge that has no uplink. */
    const struct smap other_config = SMAP_CONST1(&other_config,
                                                 "disable-in-band", "true");
    ovsrec_bridge_set_other_config(bridge, &other_config);

    ovsrec_open_vswitch_update_bridges_addvalue(ctx_in->ovs_row, bridge);

    VLOG_INFO("creating integration bridge %s (datapath type %s)",
              ctx_in->bridge_name, ctx_in->datapath_type);
}

static bool name_tables(const struct integration_bridge_ctx_in *,
                        const struct ovsrec_bridge *,
                        const struct flow_table *, size_t n_tables);

/* Sets the settings of an existing 'bridge' that the agent owns.  Returns
 * true if it changed anything. */
static bool
update_bridge(const struct integration_bridge_ctx_in *ctx_in,
              const struct ovsrec_bridge *bridge)
{
    bool changed = false;

    if (!bridge->fail_mode || strcmp(bridge->fail_mode, "secure")) {
        VLOG_INFO("setting fail_mode=secure on %s (was %s)", bridge->name,
                  bridge->fail_mode ? bridge->fail_mode : "unset");
        ovsrec_bridge_set_fail_mode(bridge, "secure");
        changed = true;
    }

    /* An empty datapath_type means "system" to ovs-vswitchd. */
    const char *dp_type = bridge->datapath_type[0] ? bridge->datapath_type
                                                   : "system";
    if (strcmp(dp_type, ctx_in->datapath_type)) {
        VLOG_INFO("changing datapath type of %s from %s to %s",
                  bridge->name, dp_type, ctx_in->datapath_type);
        ovsrec_bridge_set_datapath_type(bridge, ctx_in->datapath_type);
        changed = true;
    }

    size_t n_classes;
    const struct plugin_class *const *classes = plugin_get_all(&n_classes);
    for (size_t c = 0; c < n_classes; c++) {
        changed |= name_tables(ctx_in, bridge, classes[c]->tables,
                               classes[c]->n_tables);
    }
    return changed;
}

/* Makes the Flow_Table rows of 'bridge' name the 'n_tables' 'tables'.
 * Returns true if it changed anything. */
static bool
name_tables(const struct integration_bridge_ctx_in *ctx_in,
            const struct ovsrec_bridge *bridge,
            const struct flow_table *tables, size_t n_tables)
{
    bool changed = false;

    for (size_t i = 0; i < n_tables; i++) {
        const struct ovsrec_flow_table *ft = NULL;
        for (size_t j = 0; j < bridge->n_flow_tables; j++) {
            if (bridge->key_flow_tables[j] == tables[i].id) {
                ft = bridge->value_flow_tables[j];
                break;
            }
        }

        if (!ft) {
            struct ovsrec_flow_table *new_ft
                = ovsrec_flow_table_insert(ctx_in->ovs_idl_txn);
            ovsrec_flow_table_set_name(new_ft, tables[i].name);
            ovsrec_bridge_update_flow_tables_setkey(bridge, tables[i].id,
                                                    new_ft);
            changed = true;
        } else if (!ft->name || strcmp(ft->name, tables[i].name)) {
            ovsrec_flow_table_set_name(ft, tables[i].name);
            changed = true;
        }
    }
    return changed;
}

void
integration_bridge_run(const struct integration_bridge_ctx_in *ctx_in,
                       struct integration_bridge_ctx_out *ctx_out)
{
    ctx_out->changed = false;
    ctx_out->bridge = find_bridge(ctx_in->bridge_table, ctx_in->bridge_name);

    if (!ctx_in->ovs_idl_txn || !ctx_in->ovs_row) {
        return;
    }

    if (!ctx_out->bridge) {
        create_bridge(ctx_in);
        ctx_out->changed = true;
    } else {
        ctx_out->changed = update_bridge(ctx_in, ctx_out->bridge);
    }
}
