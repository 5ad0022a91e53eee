/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "flow-tables.h"

#include "plugin.h"

size_t
flow_tables_count(void)
{
    const struct plugin_class *const *classes;
    size_t n_classes, n_tables = 0;

    classes = plugin_get_all(&n_classes);
    for (size_t i = 0; i < n_classes; i++) {
        n_tables += classes[i]->n_tables;
    }
    return n_tables;
}
