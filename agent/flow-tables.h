/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef FLOW_TABLES_H
#define FLOW_TABLES_H 1

/* The OpenFlow tables of the integration bridge.
 *
 * Each table has a number and a name, and belongs to one pipeline feature
 * (plugin.h), which declares it.  The agent writes the names into the
 * bridge's Flow_Table rows, so that operators can say
 * "ovs-ofctl --names dump-flows br-int table=l2_lookup".  The core pipeline
 * (DESIGN section 4) uses the tables below; the numbers in between are left
 * free for plugins. */

#include <stddef.h>
#include <stdint.h>

/* Core table numbers. */
enum flow_table_id {
    FLOW_TABLE_CLASSIFY = 0,    /* Network and port a packet comes from. */
    FLOW_TABLE_L2_LOOKUP = 20,  /* Destination MAC to local port or tunnel. */
    FLOW_TABLE_FLOOD = 30,      /* Broadcast, multicast, unknown unicast. */
    FLOW_TABLE_OUTPUT = 40,     /* Delivery to a VIF or into a tunnel. */
};

/* A named table. */
struct flow_table {
    uint8_t id;                 /* OpenFlow table number. */
    const char *name;           /* Name written to Flow_Table. */
};

/* Returns the number of tables that the known plugins declare. */
size_t flow_tables_count(void);

#endif /* agent/flow-tables.h */
