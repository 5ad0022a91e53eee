/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "flow-tables.h"

#include "util.h"

static const struct flow_table core_tables[] = {
    { FLOW_TABLE_CLASSIFY, "classify" },
    { FLOW_TABLE_L2_LOOKUP, "l2_lookup" },
    { FLOW_TABLE_FLOOD, "flood" },
    { FLOW_TABLE_OUTPUT, "output" },
};

const struct flow_table *
flow_tables_get(size_t *n)
{
    *n = ARRAY_SIZE(core_tables);
    return core_tables;
}
