/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "plugin.h"

#include <string.h>

#include "dp-packet.h"
#include "flow-tables.h"
#include "pipeline.h"
#include "plugins/announce.h"
#include "sset.h"
#include "util.h"

/* Every plugin the agent knows, the core first.  A plugin in plugins/ adds
 * its class here. */
static const struct plugin_class *const plugin_classes[] = {
    &pipeline_core_plugin,
    &announce_plugin,
};

const struct plugin_class *const *
plugin_get_all(size_t *n)
{
    *n = ARRAY_SIZE(plugin_classes);
    return plugin_classes;
}

const struct plugin_class *
plugin_find(const char *name)
{
    for (size_t i = 0; i < ARRAY_SIZE(plugin_classes); i++) {
        if (!strcmp(plugin_classes[i]->name, name)) {
            return plugin_classes[i];
        }
    }
    return NULL;
}

void
plugin_register_roam_idl(struct ovsdb_idl *roam_idl)
{
    for (size_t i = 0; i < ARRAY_SIZE(plugin_classes); i++) {
        if (plugin_classes[i]->register_roam_idl) {
            plugin_classes[i]->register_roam_idl(roam_idl);
        }
    }
}

const struct plugin_class *
plugin_find_by_table(const struct plugin_class *const *classes, size_t n,
                     uint8_t table_id, const struct flow_table **tablep)
{
    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < classes[i]->n_tables; j++) {
            if (classes[i]->tables[j].id == table_id) {
                if (tablep) {
                    *tablep = &classes[i]->tables[j];
                }
                return classes[i];
            }
        }
    }
    if (tablep) {
        *tablep = NULL;
    }
    return NULL;
}

bool
plugin_is_enabled(const struct plugin_class *class,
                  const struct sset *disabled)
{
    return !class->optional || !disabled
           || !sset_contains(disabled, class->name);
}

void
plugin_ctx_out_init(struct plugin_ctx_out *ctx_out)
{
    ovs_list_init(&ctx_out->packets);
}

void
plugin_ctx_out_destroy(struct plugin_ctx_out *ctx_out)
{
    struct plugin_packet_out *po;

    LIST_FOR_EACH_POP (po, list_node, &ctx_out->packets) {
        dp_packet_delete(po->packet);
        free(po);
    }
}

void
plugin_queue_packet(struct plugin_ctx_out *ctx_out, struct dp_packet *packet,
                    ofp_port_t in_port, uint8_t table_id)
{
    struct plugin_packet_out *po = xmalloc(sizeof *po);

    po->packet = packet;
    po->in_port = in_port;
    po->table_id = table_id;
    ovs_list_push_back(&ctx_out->packets, &po->list_node);
}
