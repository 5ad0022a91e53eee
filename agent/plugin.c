/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "plugin.h"

#include <string.h>

#include "flow-set.h"
#include "pipeline.h"
#include "sset.h"
#include "util.h"

/* Every plugin the agent knows, the core first.  A plugin in plugins/ adds
 * its class here. */
static const struct plugin_class *const plugin_classes[] = {
    &pipeline_core_plugin,
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

void
plugin_run(const struct plugin_class *const *classes, size_t n,
           const struct sset *disabled, const struct pipeline_ctx_in *ctx_in,
           struct flow_set *desired)
{
    flow_set_clear(desired);
    for (size_t i = 0; i < n; i++) {
        const struct plugin_class *class = classes[i];
        if (class->optional && disabled
            && sset_contains(disabled, class->name)) {
            continue;
        }
        class->add_flows(ctx_in, desired);
    }
}
