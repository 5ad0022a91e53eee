/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef FLOW_EXPLAIN_H
#define FLOW_EXPLAIN_H 1

/* From a flow of the integration bridge back to its intent ("explain-flow").
 *
 * Every flow the agent installs carries the cookie of the row it comes from
 * (plugin.h): a Port or Network of the central database, the Interface of a
 * VIF that is not served here or of an interface that is no VIF in the
 * local one (desired-flows.h), or none,
 * cookie 0, for the flows that depend on no row.  Given a cookie, or a flow
 * as "ovs-ofctl dump-flows" prints it, this module tells which row that is,
 * what this chassis makes of it, and which of the agent's desired flows
 * carry the cookie, each with the name of its table and of the feature that
 * owns the table. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct binding_state;
struct desired_flows;
struct ds;
struct ovsdb_idl;
struct ovsdb_idl_index;
struct plugin_class;
struct roamrec_chassis;

/* Parses 'arg' into '*cookie': a cookie in hexadecimal, with or without
 * "0x", or a flow as ovs-ofctl prints it ("cookie=0x..., table=...,
 * actions=..."; a flow without a "cookie=" field before its actions has
 * cookie 0).  A cookie's mask, if any, must be all ones.  Returns NULL, or
 * an error message that the caller frees. */
char *flow_explain_parse_cookie(const char *arg, uint64_t *cookie);

/* Inputs of flow_explain(). */
struct flow_explain_ctx_in {
    const struct desired_flows *desired;    /* The agent's desired flows. */
    struct ovsdb_idl *roam_idl;             /* Ports and Networks. */
    struct ovsdb_idl *ovs_idl;              /* Interfaces. */
    struct ovsdb_idl_index *port_by_name;   /* binding_port_index_create() */
    const struct binding_state *binding;    /* Local VIFs. */
    const struct roamrec_chassis *chassis;  /* This chassis, or NULL. */
    const struct plugin_class *const *classes; /* Every feature. */
    size_t n_classes;
};

/* Appends to 's' what the row with 'cookie' is and the desired flows that
 * carry it.  Returns false if neither a row nor a desired flow has it. */
bool flow_explain(const struct flow_explain_ctx_in *, uint64_t cookie,
                  struct ds *s);

#endif /* agent/flow-explain.h */
