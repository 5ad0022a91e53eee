/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "flow-explain.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "binding.h"
#include "desired-flows.h"
#include "flow-set.h"
#include "flow-tables.h"
#include "lib/vswitch-idl.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/ofp-parse.h"
#include "openvswitch/shash.h"
#include "ovsdb-idl.h"
#include "ovsdb/roam-idl.h"
#include "plugin.h"
#include "smap.h"
#include "util.h"
#include "uuid.h"

/* Parses 'text', up to 16 hexadecimal digits with or without "0x", into
 * '*value'.  Returns true if successful. */
static bool
parse_hex_u64(const char *text, uint64_t *value)
{
    if (!strncasecmp(text, "0x", 2)) {
        text += 2;
    }
    size_t n = strlen(text);
    bool ok = n && n <= 16;
    *value = ok ? hexits_value(text, n, &ok) : 0;
    return ok;
}

/* Parses 'text', the value of a "cookie=" field ("0x5" or "0x5/-1"), into
 * '*cookie'; a mask must be all ones.  Returns true if successful. */
static bool
parse_cookie_field(char *text, uint64_t *cookie)
{
    char *slash = strchr(text, '/');
    uint64_t mask = UINT64_MAX;

    if (slash) {
        *slash = '\0';
        if (strcmp(slash + 1, "-1") && !parse_hex_u64(slash + 1, &mask)) {
            return false;
        }
    }
    return parse_hex_u64(text, cookie) && mask == UINT64_MAX;
}

char *
flow_explain_parse_cookie(const char *arg, uint64_t *cookie)
{
    char *copy = xstrdup(arg);
    char *pos = copy, *key, *value;
    char *bare = NULL;          /* The first word, if it has no value. */
    size_t n_words = 0;
    bool flow = false, ok = true;

    /* The fields before the actions: a cookie inside them (learn()'s) is
     * not the flow's, and with --no-stats ovs-ofctl leaves out a cookie of
     * 0. */
    *cookie = 0;
    while (ofputil_parse_key_value(&pos, &key, &value)) {
        if (!strcmp(key, "actions")) {
            flow = true;
            break;
        } else if (!strcmp(key, "cookie")) {
            flow = true;
            ok = parse_cookie_field(value, cookie);
            break;
        }
        if (!n_words++ && !*value) {
            bare = key;
        }
    }
    if (!flow) {
        /* A cookie alone. */
        ok = n_words == 1 && bare && parse_hex_u64(bare, cookie);
    }
    free(copy);
    if (!ok) {
        *cookie = 0;
        return xasprintf("\"%s\" is neither a cookie (up to 16 hexadecimal "
                         "digits, its mask if any all ones) nor a flow with "
                         "\"cookie=\" or \"actions=\"", arg);
    }
    return NULL;
}

static bool
has_cookie(const struct uuid *uuid, uint64_t cookie)
{
    return flow_set_cookie_from_uuid(uuid) == cookie;
}

/* Appends to 's' the name of 'chassis', "none" if it is NULL, marked if it
 * is this chassis, 'me'. */
static void
put_chassis(struct ds *s, const struct roamrec_chassis *chassis,
            const struct roamrec_chassis *me)
{
    ds_put_format(s, "%s%s", chassis ? chassis->name : "none",
                  chassis && chassis == me ? " (this chassis)" : "");
}

/* What this chassis does for a port in 'role'. */
static const char *
role_text(enum binding_role role)
{
    switch (role) {
    case BINDING_ROLE_ACTIVE:
        return "this chassis serves it";
    case BINDING_ROLE_STANDBY:
        return "this chassis is its live migration's destination: it "
               "receives a copy of its traffic and waits for the VM's "
               "activation";
    case BINDING_ROLE_DRAINING:
        return "its live migration left this chassis: what its VIF here "
               "still sends is forwarded, nothing is delivered to it";
    case BINDING_ROLE_REMOTE:
        break;
    }
    return "this chassis does not serve it";
}

/* Appends to 's' the requested_chassis of 'port', if any. */
static void
put_requested_chassis(const struct roamrec_port *port, struct ds *s)
{
    if (port->n_requested_chassis) {
        ds_put_cstr(s, ", requested_chassis ");
        for (size_t i = 0; i < port->n_requested_chassis; i++) {
            ds_put_format(s, "%s%s", i ? "," : "",
                          port->requested_chassis[i]);
        }
    }
}

/* Appends to 's' the state of 'vif', the local VIF of 'port' (NULL if there
 * is no such row), which plays 'role' for it. */
static void
put_vif(const struct flow_explain_ctx_in *ctx_in,
        const struct local_vif *vif, const struct roamrec_port *port,
        enum binding_role role, struct ds *s)
{
    ds_put_cstr(s, "  VIF here: ");
    binding_format_vif(vif, s);
    ds_put_char(s, '\n');
    if (desired_flows_drops_iface(ctx_in->desired, &vif->iface_uuid)) {
        ds_put_cstr(s, "  neither served here nor awaiting a claim: what it "
                    "sends is dropped\n");
    } else if (role == BINDING_ROLE_REMOTE && port
               && binding_vif_awaits_claim(vif, port, ctx_in->chassis)) {
        ds_put_cstr(s, "  its claim is pending: what it sends, and what is "
                    "sent to it, reaches the agent until it is served\n");
    }
}

static bool
explain_port(const struct flow_explain_ctx_in *ctx_in, uint64_t cookie,
             struct ds *s)
{
    const struct roamrec_port *port;

    ROAMREC_PORT_FOR_EACH (port, ctx_in->roam_idl) {
        if (!has_cookie(&port->header_.uuid, cookie)) {
            continue;
        }
        ds_put_format(s, "Port %s ("UUID_FMT") of the Roam database\n",
                      port->name, UUID_ARGS(&port->header_.uuid));
        if (port->network) {
            ds_put_format(s, "  network %s (VNI %"PRId64")",
                          port->network->name, port->network->tunnel_key);
        } else {
            ds_put_cstr(s, "  no network");
        }
        ds_put_format(s, ", MAC %s, tunnel_key %"PRId64"\n", port->mac,
                      port->tunnel_key);

        ds_put_cstr(s, "  chassis ");
        put_chassis(s, port->chassis, ctx_in->chassis);
        ds_put_cstr(s, ", additional_chassis ");
        put_chassis(s, port->additional_chassis, ctx_in->chassis);
        put_requested_chassis(port, s);
        ds_put_char(s, '\n');

        ofp_port_t ofport;
        enum binding_role role = binding_get_role(ctx_in->binding, port,
                                                  ctx_in->chassis, &ofport);
        ds_put_format(s, "  %s\n", role_text(role));
        const struct local_vif *vif = shash_find_data(&ctx_in->binding->vifs,
                                                      port->name);
        if (vif) {
            put_vif(ctx_in, vif, port, role, s);
        } else {
            ds_put_cstr(s, "  no VIF here\n");
        }
        return true;
    }
    return false;
}

static bool
explain_network(const struct flow_explain_ctx_in *ctx_in, uint64_t cookie,
                struct ds *s)
{
    const struct roamrec_network *network;

    ROAMREC_NETWORK_FOR_EACH (network, ctx_in->roam_idl) {
        if (has_cookie(&network->header_.uuid, cookie)) {
            ds_put_format(s, "Network %s ("UUID_FMT") of the Roam database\n"
                          "  VNI %"PRId64": its flows from tunnels and its "
                          "flooding\n", network->name,
                          UUID_ARGS(&network->header_.uuid),
                          network->tunnel_key);
            return true;
        }
    }
    return false;
}

/* Appends to 's' what becomes of the traffic of 'iface', an interface that
 * is no VIF. */
static void
put_non_vif(const struct flow_explain_ctx_in *ctx_in,
            const struct ovsrec_interface *iface, struct ds *s)
{
    if (desired_flows_drops_iface(ctx_in->desired, &iface->header_.uuid)) {
        ds_put_cstr(s, "  no VIF: what it sends is dropped\n");
    }
}

static bool
explain_interface(const struct flow_explain_ctx_in *ctx_in, uint64_t cookie,
                  struct ds *s)
{
    const struct ovsrec_interface *iface;

    OVSREC_INTERFACE_FOR_EACH (iface, ctx_in->ovs_idl) {
        if (!has_cookie(&iface->header_.uuid, cookie)) {
            continue;
        }
        const char *iface_id = smap_get(&iface->external_ids, "iface-id");
        ds_put_format(s, "Interface %s ("UUID_FMT") of the Open vSwitch "
                      "database\n  external_ids:iface-id %s\n", iface->name,
                      UUID_ARGS(&iface->header_.uuid),
                      iface_id ? iface_id : "(none)");
        if (!iface_id) {
            put_non_vif(ctx_in, iface, s);
            return true;
        }
        const struct roamrec_port *port
            = binding_lookup_port(ctx_in->port_by_name, iface_id);
        if (port) {
            ds_put_format(s, "  Port %s: chassis ", iface_id);
            put_chassis(s, port->chassis, ctx_in->chassis);
            put_requested_chassis(port, s);
            ds_put_char(s, '\n');
        } else {
            ds_put_format(s, "  no Port %s in the Roam database\n",
                          iface_id);
        }
        const struct local_vif *vif = shash_find_data(&ctx_in->binding->vifs,
                                                      iface_id);
        if (vif && uuid_equals(&vif->iface_uuid, &iface->header_.uuid)) {
            ofp_port_t ofport;
            enum binding_role role
                = (port ? binding_get_role(ctx_in->binding, port,
                                           ctx_in->chassis, &ofport)
                   : BINDING_ROLE_REMOTE);
            put_vif(ctx_in, vif, port, role, s);
        } else {
            ds_put_format(s, "  not the VIF of %s here%s\n", iface_id,
                          vif ? " (another interface with that iface-id is)"
                          : "");
            put_non_vif(ctx_in, iface, s);
        }
        return true;
    }
    return false;
}

/* A desired flow, as explain-flow lists it. */
struct flow_line {
    const struct flow_set_entry *entry;
    char *text;
};

/* Orders as dump-flows does: by table, then by priority, highest first. */
static int
compare_flow_lines(const void *a_, const void *b_)
{
    const struct flow_line *a = a_;
    const struct flow_line *b = b_;

    if (a->entry->table_id != b->entry->table_id) {
        return a->entry->table_id < b->entry->table_id ? -1 : 1;
    }
    if (a->entry->priority != b->entry->priority) {
        return a->entry->priority > b->entry->priority ? -1 : 1;
    }
    return strcmp(a->text, b->text);
}

/* Appends to 's' the desired flows with 'cookie', each after the name of
 * its table and of the feature that owns it.  Returns how many. */
static size_t
put_flows(const struct flow_explain_ctx_in *ctx_in, uint64_t cookie,
          struct ds *s)
{
    const struct flow_set *flows = &ctx_in->desired->flows;
    struct flow_line *lines = NULL;
    size_t n = 0, allocated = 0;
    const struct flow_set_entry *entry;

    HMAP_FOR_EACH (entry, node, &flows->flows) {
        if (entry->cookie != cookie) {
            continue;
        }
        const struct flow_table *table;
        const struct plugin_class *class = plugin_find_by_table(
            ctx_in->classes, ctx_in->n_classes, entry->table_id, &table);
        struct ds line = DS_EMPTY_INITIALIZER;
        ds_put_format(&line, "  %s (%s): ", table ? table->name : "?",
                      class ? class->name : "no feature");
        flow_set_entry_format(entry, &line);
        if (n >= allocated) {
            lines = x2nrealloc(lines, &allocated, sizeof *lines);
        }
        lines[n++] = (struct flow_line) {
            .entry = entry,
            .text = ds_steal_cstr(&line),
        };
    }
    if (n) {
        qsort(lines, n, sizeof *lines, compare_flow_lines);
    }

    ds_put_format(s, "desired flows with cookie %#"PRIx64": %"PRIuSIZE"\n",
                  cookie, n);
    for (size_t i = 0; i < n; i++) {
        ds_put_format(s, "%s\n", lines[i].text);
        free(lines[i].text);
    }
    free(lines);
    return n;
}

bool
flow_explain(const struct flow_explain_ctx_in *ctx_in, uint64_t cookie,
             struct ds *s)
{
    bool found;

    if (!cookie) {
        ds_put_cstr(s, "cookie 0: the flows that depend on no row: each "
                    "table's default, what comes from the bridge's own "
                    "port, and what sends a VIF's first packets from its "
                    "port to the agent\n");
        found = true;
    } else {
        found = (explain_port(ctx_in, cookie, s)
                 || explain_network(ctx_in, cookie, s)
                 || explain_interface(ctx_in, cookie, s));
        if (!found) {
            ds_put_format(s, "cookie %#"PRIx64" names no Port or Network of "
                          "the Roam database and no Interface of the Open "
                          "vSwitch database\n", cookie);
        }
    }
    return put_flows(ctx_in, cookie, s) || found;
}
