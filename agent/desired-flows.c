/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "desired-flows.h"

#include <stdint.h>

#include "binding.h"
#include "bitmap.h"
#include "flow.h"
#include "lib/vswitch-idl.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovsdb/roam-idl.h"
#include "pipeline.h"
#include "plugin.h"
#include "smap.h"
#include "timeval.h"
#include "tunnels.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(desired_flows);

/* A set of row UUIDs, optionally with a row for each. */
struct df_row {
    struct hmap_node node;      /* By uuid_hash(&uuid). */
    struct uuid uuid;
    const void *row;            /* The row, or NULL if it is gone. */
};

/* A local network whose flows are in the desired flows. */
struct df_network {
    struct df_row row;          /* 'uuid' is the network's. */
    struct shash chassis_refs;  /* Other chassis with ports in it: name to
                                 * number of ports (as uintptr_t). */
};

/* A port whose flows are in the desired flows. */
struct df_port {
    struct df_row row;          /* 'uuid' is the port's. */
    struct uuid network;
    struct sset chassis;        /* What it adds to its network's
                                 * 'chassis_refs'. */
};

/* A local VIF as the flows last saw it. */
struct df_vif {
    struct uuid port;
    struct uuid network;
    enum binding_role role;
    ofp_port_t ofport;
};

/* An interface of the integration bridge whose traffic is dropped. */
struct df_dropped_port {
    struct uuid iface;          /* Its Interface row: the flow's cookie. */
    ofp_port_t ofport;
    bool is_vif;                /* A VIF not served here, else an interface
                                 * that is no VIF. */
};

static struct df_row *
df_row_find(const struct hmap *set, const struct uuid *uuid)
{
    struct df_row *r;

    HMAP_FOR_EACH_WITH_HASH (r, node, uuid_hash(uuid), set) {
        if (uuid_equals(&r->uuid, uuid)) {
            return r;
        }
    }
    return NULL;
}

/* Adds 'uuid' to 'set' unless it is there; records 'row' if not NULL. */
static void
df_row_add(struct hmap *set, const struct uuid *uuid, const void *row)
{
    struct df_row *r = df_row_find(set, uuid);
    if (!r) {
        r = xzalloc(sizeof *r);
        r->uuid = *uuid;
        hmap_insert(set, &r->node, uuid_hash(uuid));
    }
    if (row) {
        r->row = row;
    }
}

static void
df_row_set_clear(struct hmap *set)
{
    struct df_row *r;

    HMAP_FOR_EACH_POP (r, node, set) {
        free(r);
    }
}

static void forget_everything(struct desired_flows *);

void
desired_flows_init(struct desired_flows *df)
{
    memset(df, 0, sizeof *df);
    flow_set_init(&df->flows);
    hmap_init(&df->local_networks);
    hmap_init(&df->port_networks);
    shash_init(&df->vifs);
    shash_init(&df->dropped_ports);
    shash_init(&df->tunnel_ports);
    sset_init(&df->enabled);
    sset_init(&df->dead);
}

void
desired_flows_destroy(struct desired_flows *df)
{
    if (df) {
        flow_set_destroy(&df->flows);
        forget_everything(df);
        hmap_destroy(&df->local_networks);
        hmap_destroy(&df->port_networks);
        shash_clear_free_data(&df->vifs);
        shash_destroy(&df->vifs);
        shash_clear_free_data(&df->dropped_ports);
        shash_destroy(&df->dropped_ports);
        shash_destroy(&df->tunnel_ports);
        sset_destroy(&df->enabled);
        sset_destroy(&df->dead);
    }
}

void
desired_flows_invalidate(struct desired_flows *df)
{
    df->valid = false;
}

/* The views of the inputs that force a full computation when they change. */

static void
collect_vifs(const struct pipeline_ctx_in *p, struct shash *vifs)
{
    struct shash_node *node;

    SHASH_FOR_EACH (node, &p->binding->vifs) {
        const struct roamrec_port *row
            = binding_lookup_port(p->port_by_name, node->name);
        if (!row || !row->network) {
            continue;
        }
        ofp_port_t ofport;
        enum binding_role role = binding_get_role(p->binding, row,
                                                  p->chassis, &ofport);
        if (role == BINDING_ROLE_REMOTE) {
            continue;
        }
        struct df_vif *vif = xmalloc(sizeof *vif);
        vif->port = row->header_.uuid;
        vif->network = row->network->header_.uuid;
        vif->role = role;
        vif->ofport = ofport;
        shash_add(vifs, node->name, vif);
    }
}

static bool
df_vif_equal(const struct df_vif *a, const struct df_vif *b)
{
    return (a && b
            && uuid_equals(&a->port, &b->port)
            && uuid_equals(&a->network, &b->network)
            && a->role == b->role && a->ofport == b->ofport);
}

/* Adds to 'dropped' ("struct df_dropped_port"s by Interface UUID) an
 * interface 'iface' with OpenFlow port 'ofport'. */
static void
add_dropped_port(struct shash *dropped, const struct uuid *iface,
                 ofp_port_t ofport, bool is_vif)
{
    struct df_dropped_port *port = xmalloc(sizeof *port);
    port->iface = *iface;
    port->ofport = ofport;
    port->is_vif = is_vif;

    char key[UUID_LEN + 1];
    snprintf(key, sizeof key, UUID_FMT, UUID_ARGS(iface));
    shash_add(dropped, key, port);
}

/* Adds to 'dropped' the local VIFs whose traffic is dropped: those with an
 * OpenFlow port that this chassis does not serve, and that await no claim,
 * or whose Port has no network.  Never one with the port of a VIF in
 * 'served' ("struct df_vif"s), whose flows have the same match. */
static void
collect_unserved_vifs(const struct pipeline_ctx_in *p,
                      const struct shash *served, struct shash *dropped)
{
    unsigned long *served_ports = bitmap_allocate(UINT16_MAX + 1);
    struct shash_node *node;

    SHASH_FOR_EACH (node, served) {
        const struct df_vif *vif = node->data;
        bitmap_set1(served_ports, ofp_to_u16(vif->ofport));
    }
    SHASH_FOR_EACH (node, &p->binding->vifs) {
        const struct local_vif *vif = node->data;
        if (vif->ofport == OFPP_NONE
            || bitmap_is_set(served_ports, ofp_to_u16(vif->ofport))) {
            continue;
        }
        const struct roamrec_port *row
            = binding_lookup_port(p->port_by_name, node->name);
        ofp_port_t ofport;
        if (row && row->network
            && (binding_get_role(p->binding, row, p->chassis, &ofport)
                != BINDING_ROLE_REMOTE
                || binding_vif_awaits_claim(vif, row, p->chassis))) {
            continue;
        }
        add_dropped_port(dropped, &vif->iface_uuid, vif->ofport, true);
    }
    bitmap_free(served_ports);
}

/* Adds to 'dropped' the interfaces of the integration bridge that are
 * neither a VIF (binding's, by external_ids:iface-id) nor one of the
 * agent's tunnels, once ovs-vswitchd gave them an OpenFlow port. */
static void
collect_non_vif_ifaces(const struct pipeline_ctx_in *p, struct shash *dropped)
{
    const struct ovsrec_bridge *br = p->br_int;

    for (size_t i = 0; br && i < br->n_ports; i++) {
        const struct ovsrec_port *port = br->ports[i];
        if (tunnels_is_tunnel_port(port)) {
            continue;
        }
        for (size_t j = 0; j < port->n_interfaces; j++) {
            const struct ovsrec_interface *iface = port->interfaces[j];
            if (!iface->n_ofport || *iface->ofport <= 0
                || *iface->ofport >= ofp_to_u16(OFPP_MAX)) {
                continue;
            }
            const char *iface_id = smap_get(&iface->external_ids,
                                            "iface-id");
            const struct local_vif *vif
                = iface_id ? shash_find_data(&p->binding->vifs, iface_id)
                  : NULL;
            if (!vif || !uuid_equals(&vif->iface_uuid, &iface->header_.uuid)) {
                add_dropped_port(dropped, &iface->header_.uuid,
                                 u16_to_ofp(*iface->ofport), false);
            }
        }
    }
}

static bool
df_dropped_port_equal(const struct df_dropped_port *a,
                      const struct df_dropped_port *b)
{
    return (a && b && uuid_equals(&a->iface, &b->iface)
            && a->ofport == b->ofport && a->is_vif == b->is_vif);
}

/* Brings the flows of the dropped ports up to date, after the rest of the
 * flows: a VIF that became served has its port's flows by then, which take
 * effect when its dropping flow (the same match, another cookie) goes here
 * (flow-set.h: the smaller cookie is in effect meanwhile).  'all' adds
 * every flow again (after a full computation, which cleared them). */
static void
update_dropped_ports(const struct pipeline_ctx_in *p, bool all,
                     struct desired_flows *df)
{
    struct shash dropped = SHASH_INITIALIZER(&dropped);
    struct shash_node *node;

    collect_unserved_vifs(p, &df->vifs, &dropped);
    collect_non_vif_ifaces(p, &dropped);
    SHASH_FOR_EACH (node, &df->dropped_ports) {
        const struct df_dropped_port *old = node->data;
        if (!df_dropped_port_equal(old, shash_find_data(&dropped,
                                                        node->name))) {
            flow_set_remove_cookie(&df->flows,
                                   flow_set_cookie_from_uuid(&old->iface));
        }
    }
    SHASH_FOR_EACH (node, &dropped) {
        const struct df_dropped_port *new = node->data;
        const struct df_dropped_port *old
            = shash_find_data(&df->dropped_ports, node->name);
        if (all || !df_dropped_port_equal(old, new)) {
            uint64_t cookie = flow_set_cookie_from_uuid(&new->iface);
            if (new->is_vif) {
                pipeline_add_unserved_vif_flow(new->ofport, cookie,
                                               &df->flows);
            } else {
                pipeline_add_non_vif_drop_flow(new->ofport, cookie,
                                               &df->flows);
            }
        }
    }
    shash_clear_free_data(&df->dropped_ports);
    shash_swap(&dropped, &df->dropped_ports);
    shash_destroy(&dropped);
}

static void
collect_tunnel_ports(const struct shash *tunnels, struct shash *ports)
{
    struct shash_node *node;

    SHASH_FOR_EACH (node, tunnels) {
        const struct tunnel *tunnel = node->data;
        shash_add(ports, node->name,
                  (void *) (uintptr_t) ofp_to_u16(tunnel->ofport));
    }
}

static bool
tunnel_ports_equal(const struct shash *a, const struct shash *b)
{
    struct shash_node *node;

    if (shash_count(a) != shash_count(b)) {
        return false;
    }
    SHASH_FOR_EACH (node, a) {
        struct shash_node *other = shash_find(b, node->name);
        if (!other || other->data != node->data) {
            return false;
        }
    }
    return true;
}

static void
collect_enabled(const struct desired_flows_ctx_in *ctx_in, struct sset *out)
{
    for (size_t i = 0; i < ctx_in->n_classes; i++) {
        if (plugin_is_enabled(ctx_in->classes[i], ctx_in->disabled)) {
            sset_add(out, ctx_in->classes[i]->name);
        }
    }
}

/* Computing flows. */

static void
make_pipeline_port(const struct pipeline_ctx_in *p,
                   const struct roamrec_port *row,
                   struct pipeline_port *port)
{
    port->row = row;
    port->role = binding_get_role(p->binding, row, p->chassis,
                                  &port->ofport);
}

static struct df_network *
df_network_find(const struct desired_flows *df, const struct uuid *uuid)
{
    struct df_row *r = df_row_find(&df->local_networks, uuid);
    return r ? CONTAINER_OF(r, struct df_network, row) : NULL;
}

static void
df_network_destroy(struct desired_flows *df, struct df_network *net)
{
    hmap_remove(&df->local_networks, &net->row.node);
    shash_destroy(&net->chassis_refs);
    free(net);
}

/* Adds 'n' (1 or -1) to the count of 'name' in 'net'.  Returns true if the
 * set of names changed. */
static bool
df_network_ref(struct df_network *net, const char *name, int n)
{
    struct shash_node *node = shash_find(&net->chassis_refs, name);
    uintptr_t count = node ? (uintptr_t) node->data : 0;

    count += n;
    if (!count) {
        shash_delete(&net->chassis_refs, node);
        return true;
    } else if (!node) {
        shash_add(&net->chassis_refs, name, (void *) count);
        return true;
    }
    node->data = (void *) count;
    return false;
}

/* Removes the flows of port 'uuid' and what it added to its network.
 * Marks the network in 'dirty_networks' if its set of chassis changed. */
static void
forget_port(struct desired_flows *df, const struct uuid *uuid,
            struct hmap *dirty_networks)
{
    struct df_row *r = df_row_find(&df->port_networks, uuid);
    if (r) {
        struct df_port *dp = CONTAINER_OF(r, struct df_port, row);
        struct df_network *net = df_network_find(df, &dp->network);
        const char *name;

        SSET_FOR_EACH (name, &dp->chassis) {
            if (net && df_network_ref(net, name, -1) && dirty_networks) {
                df_row_add(dirty_networks, &dp->network, NULL);
            }
        }
        hmap_remove(&df->port_networks, &r->node);
        sset_destroy(&dp->chassis);
        free(dp);
    }
    flow_set_remove_cookie(&df->flows, flow_set_cookie_from_uuid(uuid));
}

/* Frees every record of what the flows were computed from. */
static void
forget_everything(struct desired_flows *df)
{
    struct df_row *r;

    HMAP_FOR_EACH_SAFE (r, node, &df->port_networks) {
        forget_port(df, &r->uuid, NULL);
    }
    HMAP_FOR_EACH_SAFE (r, node, &df->local_networks) {
        df_network_destroy(df, CONTAINER_OF(r, struct df_network, row));
    }
}

/* Adds the flows of 'row', a port of local network 'net', and records what
 * it adds to the network.  Marks the network in 'dirty_networks' if its set
 * of chassis changed. */
static void
add_port(const struct desired_flows_ctx_in *ctx_in,
         const struct roamrec_port *row, struct df_network *net,
         struct desired_flows *df, struct hmap *dirty_networks)
{
    const struct pipeline_ctx_in *p = ctx_in->pipeline;
    struct pipeline_network network = { .row = row->network };
    struct pipeline_port port;

    make_pipeline_port(p, row, &port);
    for (size_t i = 0; i < ctx_in->n_classes; i++) {
        const struct plugin_class *class = ctx_in->classes[i];
        if (class->add_port_flows
            && plugin_is_enabled(class, ctx_in->disabled)) {
            class->add_port_flows(p, &network, &port, &df->flows);
        }
    }

    struct df_port *dp = xzalloc(sizeof *dp);
    dp->row.uuid = row->header_.uuid;
    dp->network = net->row.uuid;
    sset_init(&dp->chassis);
    pipeline_port_add_remote_chassis(row, p->chassis, &dp->chassis);
    hmap_insert(&df->port_networks, &dp->row.node,
                uuid_hash(&dp->row.uuid));

    const char *name;
    SSET_FOR_EACH (name, &dp->chassis) {
        if (df_network_ref(net, name, 1) && dirty_networks) {
            df_row_add(dirty_networks, &net->row.uuid, NULL);
        }
    }
}

/* Replaces the network flows of local network 'net'. */
static void
add_network(const struct desired_flows_ctx_in *ctx_in,
            const struct df_network *net, struct desired_flows *df)
{
    const struct pipeline_ctx_in *p = ctx_in->pipeline;
    const struct roamrec_network *row
        = roamrec_network_get_for_uuid(p->roam_idl, &net->row.uuid);

    flow_set_remove_cookie(&df->flows,
                           flow_set_cookie_from_uuid(&net->row.uuid));
    if (!row) {
        return;
    }

    /* Its local ports, from the VIFs. */
    struct pipeline_port *locals = xmalloc(MAX(shash_count(&df->vifs), 1)
                                           * sizeof *locals);
    size_t n_locals = 0;
    struct shash_node *node;
    SHASH_FOR_EACH (node, &df->vifs) {
        const struct df_vif *vif = node->data;
        const struct roamrec_port *port;
        if (uuid_equals(&vif->network, &net->row.uuid)
            && (port = roamrec_port_get_for_uuid(p->roam_idl, &vif->port))) {
            locals[n_locals++] = (struct pipeline_port) {
                .row = port, .role = vif->role, .ofport = vif->ofport,
            };
        }
    }

    struct sset remote_chassis = SSET_INITIALIZER(&remote_chassis);
    SHASH_FOR_EACH (node, &net->chassis_refs) {
        if (!sset_contains(&df->dead, node->name)) {
            sset_add(&remote_chassis, node->name);
        }
    }

    struct pipeline_network network = {
        .row = row,
        .local_ports = locals,
        .n_local_ports = n_locals,
        .remote_chassis = &remote_chassis,
    };
    for (size_t i = 0; i < ctx_in->n_classes; i++) {
        const struct plugin_class *class = ctx_in->classes[i];
        if (class->add_network_flows
            && plugin_is_enabled(class, ctx_in->disabled)) {
            class->add_network_flows(p, &network, &df->flows);
        }
    }
    sset_destroy(&remote_chassis);
    free(locals);
}

static struct df_network *
add_local_network(struct desired_flows *df, const struct uuid *uuid)
{
    struct df_network *net = xzalloc(sizeof *net);
    net->row.uuid = *uuid;
    shash_init(&net->chassis_refs);
    hmap_insert(&df->local_networks, &net->row.node, uuid_hash(uuid));
    return net;
}

/* Adds the flows of every port of local network 'net' to 'df'. */
static void
add_network_ports(const struct desired_flows_ctx_in *ctx_in,
                  struct df_network *net, struct desired_flows *df,
                  struct hmap *dirty_networks)
{
    const struct pipeline_ctx_in *p = ctx_in->pipeline;
    const struct roamrec_network *row
        = roamrec_network_get_for_uuid(p->roam_idl, &net->row.uuid);
    if (!row) {
        return;
    }

    struct roamrec_port *target
        = roamrec_port_index_init_row(p->port_by_network);
    const struct roamrec_port *port;
    roamrec_port_index_set_network(target, row);
    ROAMREC_PORT_FOR_EACH_EQUAL (port, target, p->port_by_network) {
        forget_port(df, &port->header_.uuid, dirty_networks);
        add_port(ctx_in, port, net, df, dirty_networks);
    }
    roamrec_port_index_destroy_row(target);
}

/* The UUIDs of the local networks: those of the local VIFs. */
static void
collect_local_networks(const struct shash *vifs, struct hmap *networks)
{
    struct shash_node *node;

    SHASH_FOR_EACH (node, vifs) {
        const struct df_vif *vif = node->data;
        df_row_add(networks, &vif->network, NULL);
    }
}

static void
run_full(const struct desired_flows_ctx_in *ctx_in,
         const struct hmap *local_networks, struct desired_flows *df)
{
    forget_everything(df);
    flow_set_clear(&df->flows);
    for (size_t i = 0; i < ctx_in->n_classes; i++) {
        const struct plugin_class *class = ctx_in->classes[i];
        if (class->add_static_flows
            && plugin_is_enabled(class, ctx_in->disabled)) {
            class->add_static_flows(&df->flows);
        }
    }

    struct df_row *r;
    HMAP_FOR_EACH (r, node, local_networks) {
        add_network_ports(ctx_in, add_local_network(df, &r->uuid), df,
                          NULL);
    }
    HMAP_FOR_EACH (r, node, &df->local_networks) {
        add_network(ctx_in, CONTAINER_OF(r, struct df_network, row), df);
    }
}

static void
run_incremental(const struct desired_flows_ctx_in *ctx_in,
                const struct shash *old_vifs,
                const struct hmap *local_networks,
                const struct sset *dead_changed, struct desired_flows *df)
{
    const struct pipeline_ctx_in *p = ctx_in->pipeline;
    struct hmap dirty_ports = HMAP_INITIALIZER(&dirty_ports);
    struct hmap dirty_networks = HMAP_INITIALIZER(&dirty_networks);
    struct hmap whole_networks = HMAP_INITIALIZER(&whole_networks);
    struct shash_node *node;
    struct df_row *r;

    /* Local VIFs whose role changed, or that came or went: their ports'
     * flows, and their networks' (which list the local VIFs). */
    SHASH_FOR_EACH (node, &df->vifs) {
        const struct df_vif *new = node->data;
        const struct df_vif *old = shash_find_data(old_vifs, node->name);
        if (!df_vif_equal(old, new)) {
            df_row_add(&dirty_ports, &new->port,
                       roamrec_port_get_for_uuid(p->roam_idl, &new->port));
            df_row_add(&dirty_networks, &new->network, NULL);
        }
    }
    SHASH_FOR_EACH (node, old_vifs) {
        const struct df_vif *old = node->data;
        const struct df_vif *new = shash_find_data(&df->vifs, node->name);
        if (!df_vif_equal(old, new)) {
            df_row_add(&dirty_ports, &old->port,
                       roamrec_port_get_for_uuid(p->roam_idl, &old->port));
            df_row_add(&dirty_networks, &old->network, NULL);
        }
    }

    /* Networks that are no longer local lose their flows; those that
     * became local get all of them. */
    HMAP_FOR_EACH_SAFE (r, node, &df->local_networks) {
        if (!df_row_find(local_networks, &r->uuid)) {
            struct df_row *pr;
            HMAP_FOR_EACH_SAFE (pr, node, &df->port_networks) {
                struct df_port *dp = CONTAINER_OF(pr, struct df_port, row);
                if (uuid_equals(&dp->network, &r->uuid)) {
                    forget_port(df, &pr->uuid, NULL);
                }
            }
            flow_set_remove_cookie(&df->flows,
                                   flow_set_cookie_from_uuid(&r->uuid));
            df_network_destroy(df, CONTAINER_OF(r, struct df_network, row));
        }
    }
    HMAP_FOR_EACH (r, node, local_networks) {
        if (!df_network_find(df, &r->uuid)) {
            add_local_network(df, &r->uuid);
            df_row_add(&whole_networks, &r->uuid, NULL);
        }
    }

    /* Chassis that died or came back: the flooding of the local networks
     * where they have ports. */
    if (!sset_is_empty(dead_changed)) {
        HMAP_FOR_EACH (r, node, &df->local_networks) {
            const struct df_network *net
                = CONTAINER_OF(r, struct df_network, row);
            const char *name;
            SSET_FOR_EACH (name, dead_changed) {
                if (shash_find(&net->chassis_refs, name)) {
                    df_row_add(&dirty_networks, &r->uuid, NULL);
                    break;
                }
            }
        }
    }

    /* What the central database changed.  (A Network's change also shows
     * up as a change of each of its Ports.) */
    const struct roamrec_network *network;
    ROAMREC_NETWORK_FOR_EACH_TRACKED (network, p->roam_idl) {
        if (!roamrec_network_is_deleted(network)
            && df_network_find(df, &network->header_.uuid)) {
            df_row_add(&whole_networks, &network->header_.uuid, NULL);
        }
    }
    const struct roamrec_port *port;
    ROAMREC_PORT_FOR_EACH_TRACKED (port, p->roam_idl) {
        df_row_add(&dirty_ports, &port->header_.uuid,
                   roamrec_port_is_deleted(port) ? NULL : port);
    }

    /* Whole networks: every port, and the network. */
    HMAP_FOR_EACH (r, node, &whole_networks) {
        add_network_ports(ctx_in, df_network_find(df, &r->uuid), df, NULL);
        df_row_add(&dirty_networks, &r->uuid, NULL);
    }

    /* The flows of each changed port, if its network is local. */
    HMAP_FOR_EACH (r, node, &dirty_ports) {
        port = r->row;
        forget_port(df, &r->uuid, &dirty_networks);
        struct df_network *net = (port && port->network
                                  ? df_network_find(
                                        df, &port->network->header_.uuid)
                                  : NULL);
        if (net) {
            add_port(ctx_in, port, net, df, &dirty_networks);
        }
    }

    /* The network flows of each network whose local ports or set of
     * chassis changed. */
    HMAP_FOR_EACH (r, node, &dirty_networks) {
        struct df_network *net = df_network_find(df, &r->uuid);
        if (net) {
            add_network(ctx_in, net, df);
        } else {
            flow_set_remove_cookie(&df->flows,
                                   flow_set_cookie_from_uuid(&r->uuid));
        }
    }

    df_row_set_clear(&dirty_ports);
    hmap_destroy(&dirty_ports);
    df_row_set_clear(&dirty_networks);
    hmap_destroy(&dirty_networks);
    df_row_set_clear(&whole_networks);
    hmap_destroy(&whole_networks);
}

/* Returns true if every Port row is new: the IDL reloaded the database
 * (after a reconnection that could not resume), and rows deleted meanwhile
 * left no trace in the tracked changes. */
static bool
ports_reloaded(struct ovsdb_idl *idl)
{
    size_t n_new = 0, n_tracked = 0;
    const struct roamrec_port *port;

    ROAMREC_PORT_FOR_EACH_TRACKED (port, idl) {
        n_tracked++;
        n_new += roamrec_port_is_new(port);
    }
    if (!n_tracked || n_new != n_tracked) {
        return false;
    }
    size_t n_rows = 0;
    ROAMREC_PORT_FOR_EACH (port, idl) {
        if (++n_rows > n_new) {
            return false;
        }
    }
    return true;
}

void
desired_flows_run(const struct desired_flows_ctx_in *ctx_in,
                  struct desired_flows *df)
{
    const struct pipeline_ctx_in *p = ctx_in->pipeline;
    long long int start = time_msec();

    /* The inputs other than the tracked changes. */
    struct shash old_vifs = SHASH_INITIALIZER(&old_vifs);
    shash_swap(&old_vifs, &df->vifs);
    collect_vifs(p, &df->vifs);

    struct hmap local_networks = HMAP_INITIALIZER(&local_networks);
    collect_local_networks(&df->vifs, &local_networks);

    struct shash tunnel_ports = SHASH_INITIALIZER(&tunnel_ports);
    collect_tunnel_ports(p->tunnels, &tunnel_ports);

    struct sset enabled = SSET_INITIALIZER(&enabled);
    collect_enabled(ctx_in, &enabled);

    /* The chassis whose liveness changed; from here on, the flooding leaves
     * out the new set of dead ones. */
    struct sset dead_changed = SSET_INITIALIZER(&dead_changed);
    const struct sset *dead = p->dead_chassis;
    const char *name;
    if (dead) {
        SSET_FOR_EACH (name, dead) {
            if (!sset_contains(&df->dead, name)) {
                sset_add(&dead_changed, name);
            }
        }
    }
    SSET_FOR_EACH (name, &df->dead) {
        if (!dead || !sset_contains(dead, name)) {
            sset_add(&dead_changed, name);
        }
    }
    sset_destroy(&df->dead);
    if (dead) {
        sset_clone(&df->dead, dead);
    } else {
        sset_init(&df->dead);
    }

    bool full = (!df->valid
                 || !uuid_equals(&df->chassis, &p->chassis->header_.uuid)
                 || !tunnel_ports_equal(&tunnel_ports, &df->tunnel_ports)
                 || !sset_equals(&enabled, &df->enabled)
                 || ports_reloaded(p->roam_idl));
    if (full) {
        run_full(ctx_in, &local_networks, df);
        df->n_full++;
    } else {
        run_incremental(ctx_in, &old_vifs, &local_networks, &dead_changed,
                        df);
        df->n_incremental++;
    }
    update_dropped_ports(p, full, df);
    df->valid = true;
    df->chassis = p->chassis->header_.uuid;
    shash_swap(&tunnel_ports, &df->tunnel_ports);
    shash_destroy(&tunnel_ports);
    sset_swap(&enabled, &df->enabled);
    sset_destroy(&enabled);
    shash_clear_free_data(&old_vifs);
    shash_destroy(&old_vifs);
    sset_destroy(&dead_changed);
    df_row_set_clear(&local_networks);
    hmap_destroy(&local_networks);

    df->last_full = full;
    df->last_msec = time_msec() - start;
}

void
desired_flows_format(const struct desired_flows *df, struct ds *s)
{
    ds_put_format(s, "%"PRIuSIZE" flows for %"PRIuSIZE" local "
                  "networks (%llu full computations, %llu incremental; "
                  "last %s, %lld ms)\n",
                  flow_set_count(&df->flows),
                  hmap_count(&df->local_networks), df->n_full,
                  df->n_incremental,
                  df->last_full ? "full" : "incremental", df->last_msec);
    size_t n_vifs = 0;
    struct shash_node *node;
    SHASH_FOR_EACH (node, &df->dropped_ports) {
        const struct df_dropped_port *port = node->data;
        n_vifs += port->is_vif;
    }
    ds_put_format(s, "VIFs not served here, their traffic dropped: %"PRIuSIZE
                  "\n", n_vifs);
    ds_put_format(s, "interfaces that are no VIF, their traffic dropped: "
                  "%"PRIuSIZE
                  "\n", shash_count(&df->dropped_ports) - n_vifs);
}

bool
desired_flows_drops_iface(const struct desired_flows *df,
                          const struct uuid *iface)
{
    char key[UUID_LEN + 1];
    snprintf(key, sizeof key, UUID_FMT, UUID_ARGS(iface));
    return shash_find(&df->dropped_ports, key) != NULL;
}

bool
desired_flows_has_network(const struct desired_flows *df,
                          const struct uuid *network)
{
    return df_row_find(&df->local_networks, network) != NULL;
}
