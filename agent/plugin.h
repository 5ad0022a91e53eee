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
 * A plugin writes flows only into its own tables; it hands packets on to
 * another feature with goto_table or resubmit.  Table numbers not used by
 * the core (flow-tables.h) are free for plugins. */

#include <stdbool.h>
#include <stddef.h>

struct flow_set;
struct flow_table;
struct ovsdb_idl;
struct pipeline_ctx_in;
struct sset;

/* A pipeline feature. */
struct plugin_class {
    const char *name;           /* For roam-plugins-disabled and logs. */
    bool optional;              /* False for the core: cannot be disabled. */
    const struct flow_table *tables; /* The tables it owns. */
    size_t n_tables;

    /* Adds the Roam database tables and columns the plugin reads to
     * 'roam_idl'.  May be NULL. */
    void (*register_roam_idl)(struct ovsdb_idl *roam_idl);

    /* Adds the plugin's flows to 'desired', from 'ctx_in'. */
    void (*add_flows)(const struct pipeline_ctx_in *ctx_in,
                      struct flow_set *desired);
};

/* Returns every known plugin, the core first, and stores their number in
 * '*n'. */
const struct plugin_class *const *plugin_get_all(size_t *n);

/* Returns the plugin named 'name', or NULL. */
const struct plugin_class *plugin_find(const char *name);

/* Calls every plugin's register_roam_idl(). */
void plugin_register_roam_idl(struct ovsdb_idl *roam_idl);

/* Replaces the contents of 'desired' by the flows of the 'n' plugins in
 * 'classes' that are not named in 'disabled' (a NULL 'disabled' disables
 * none; a plugin that is not optional always runs). */
void plugin_run(const struct plugin_class *const *classes, size_t n,
                const struct sset *disabled,
                const struct pipeline_ctx_in *ctx_in,
                struct flow_set *desired);

#endif /* agent/plugin.h */
