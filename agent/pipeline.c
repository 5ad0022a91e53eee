/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "pipeline.h"

#include <string.h>

#include "binding.h"
#include "byte-order.h"
#include "flow-set.h"
#include "flow-tables.h"
#include "openvswitch/hmap.h"
#include "openvswitch/match.h"
#include "openvswitch/meta-flow.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovsdb/roam-idl.h"
#include "ovsdb/roam-validate.h"
#include "packets.h"
#include "plugin.h"
#include "tunnels.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(pipeline);

/* Registers, see pipeline.h. */
#define PIPELINE_REG_FROM_TUNNEL 10
#define PIPELINE_MFF_FROM_TUNNEL MFF_REG10
#define PIPELINE_MFF_INPORT_KEY  MFF_REG14

/* A network with at least one port bound here. */
struct pipeline_network {
    struct hmap_node node;      /* In 'networks', by row pointer. */
    const struct roamrec_network *row;
    struct pipeline_port *ports; /* All its ports, local or not. */
    size_t n_ports, allocated_ports;
};

static struct pipeline_network *
network_find(struct hmap *networks, const struct roamrec_network *row)
{
    struct pipeline_network *net;

    HMAP_FOR_EACH_WITH_HASH (net, node, hash_pointer(row, 0), networks) {
        if (net->row == row) {
            return net;
        }
    }
    return NULL;
}

static struct pipeline_network *
network_get(struct hmap *networks, const struct roamrec_network *row)
{
    struct pipeline_network *net = network_find(networks, row);
    if (!net) {
        net = xzalloc(sizeof *net);
        net->row = row;
        hmap_insert(networks, &net->node, hash_pointer(row, 0));
    }
    return net;
}

static void
networks_destroy(struct hmap *networks)
{
    struct pipeline_network *net;

    HMAP_FOR_EACH_POP (net, node, networks) {
        free(net->ports);
        free(net);
    }
    hmap_destroy(networks);
}

static void
put_load(struct ofpbuf *ofpacts, enum mf_field_id id, uint64_t value)
{
    const struct mf_field *field = mf_from_id(id);
    union mf_value v;

    memset(&v, 0, sizeof v);
    switch (field->n_bytes) {
    case 4:
        v.be32 = htonl(value);
        break;
    case 8:
        v.be64 = htonll(value);
        break;
    default:
        OVS_NOT_REACHED();
    }
    ofpact_put_set_field(ofpacts, field, &v, NULL);
}

static void
put_output(struct ofpbuf *ofpacts, ofp_port_t port)
{
    ofpact_put_OUTPUT(ofpacts)->port = port;
}

static void
put_goto(struct ofpbuf *ofpacts, uint8_t table_id)
{
    ofpact_put_GOTO_TABLE(ofpacts)->table_id = table_id;
}

static void
add_flow(struct flow_set *flows, uint8_t table_id, uint16_t priority,
         uint64_t cookie, const struct match *match,
         const struct ofpbuf *ofpacts)
{
    flow_set_add(flows, table_id, priority, cookie, match, ofpacts->data,
                 ofpacts->size);
}

/* The flows that hold regardless of the database. */
static void
add_default_flows(struct flow_set *flows)
{
    struct ofpbuf ofpacts;
    struct match match;

    ofpbuf_init(&ofpacts, 0);
    match_init_catchall(&match);

    /* Unknown ports and tunnel keys: drop. */
    add_flow(flows, FLOW_TABLE_CLASSIFY, 0, 0, &match, &ofpacts);
    add_flow(flows, FLOW_TABLE_FLOOD, 0, 0, &match, &ofpacts);
    add_flow(flows, FLOW_TABLE_OUTPUT, 0, 0, &match, &ofpacts);

    /* Destinations not known to be elsewhere: flood. */
    put_goto(&ofpacts, FLOW_TABLE_FLOOD);
    add_flow(flows, FLOW_TABLE_L2_LOOKUP, 0, 0, &match, &ofpacts);

    ofpbuf_uninit(&ofpacts);
}

/* The classify and l2_lookup flows of one port of a local network. */
static void
add_port_flows(const struct roamrec_network *network,
               const struct pipeline_port *port, const struct shash *tunnels,
               struct flow_set *flows)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    const struct roamrec_port *row = port->row;
    uint64_t vni = network->tunnel_key;
    uint64_t cookie = flow_set_cookie_from_uuid(&row->header_.uuid);
    struct ofpbuf ofpacts;
    struct match match;

    ofpbuf_init(&ofpacts, 0);
    if (port->local_ofport != OFPP_NONE) {
        match_init_catchall(&match);
        match_set_in_port(&match, port->local_ofport);
        put_load(&ofpacts, MFF_METADATA, vni);
        put_load(&ofpacts, PIPELINE_MFF_INPORT_KEY, row->tunnel_key);
        put_load(&ofpacts, PIPELINE_MFF_FROM_TUNNEL, 0);
        put_goto(&ofpacts, FLOW_TABLE_L2_LOOKUP);
        add_flow(flows, FLOW_TABLE_CLASSIFY, 100, cookie, &match, &ofpacts);
    }

    struct eth_addr mac;
    char *error = roam_validate_mac(row->mac, &mac);
    if (error) {
        VLOG_WARN_RL(&rl, "Port %s: mac: %s; no traffic is sent to it by "
                     "MAC", row->name, error);
        free(error);
        ofpbuf_uninit(&ofpacts);
        return;
    }

    match_init_catchall(&match);
    match_set_metadata(&match, htonll(vni));
    match_set_dl_dst(&match, mac);
    ofpbuf_clear(&ofpacts);
    if (port->local_ofport != OFPP_NONE) {
        put_output(&ofpacts, port->local_ofport);
    } else {
        const struct tunnel *tunnel
            = row->chassis ? shash_find_data(tunnels, row->chassis->name)
                           : NULL;
        if (!tunnel || tunnel->ofport == OFPP_NONE) {
            /* Bound nowhere, or no tunnel yet: unknown unicast floods. */
            ofpbuf_uninit(&ofpacts);
            return;
        }
        match_set_reg(&match, PIPELINE_REG_FROM_TUNNEL, 0);
        put_load(&ofpacts, MFF_TUN_ID, vni);
        put_output(&ofpacts, tunnel->ofport);
    }
    if (!flow_set_add(flows, FLOW_TABLE_L2_LOOKUP, 100, cookie, &match,
                      ofpacts.data, ofpacts.size)) {
        VLOG_WARN_RL(&rl, "Port %s: mac: %s is also the MAC of another port "
                     "of network %s; only one of them receives its "
                     "traffic", row->name, row->mac, network->name);
    }
    ofpbuf_uninit(&ofpacts);
}

/* The classify-from-tunnel and flood flows of a local network. */
static void
add_network_flows(const struct roamrec_network *network,
                  const struct pipeline_port *ports, size_t n_ports,
                  const struct roamrec_chassis *me,
                  const struct shash *tunnels, struct flow_set *flows)
{
    uint64_t vni = network->tunnel_key;
    uint64_t cookie = flow_set_cookie_from_uuid(&network->header_.uuid);
    struct ofpbuf local, remote;
    struct match match;

    /* From a tunnel with this network's key. */
    ofpbuf_init(&local, 0);
    match_init_catchall(&match);
    match_set_tun_id(&match, htonll(vni));
    put_load(&local, MFF_METADATA, vni);
    put_load(&local, PIPELINE_MFF_INPORT_KEY, 0);
    put_load(&local, PIPELINE_MFF_FROM_TUNNEL, 1);
    put_goto(&local, FLOW_TABLE_L2_LOOKUP);
    add_flow(flows, FLOW_TABLE_CLASSIFY, 100, cookie, &match, &local);

    /* Flooding: every local VIF (OpenFlow drops the copy for the input
     * port), and one copy per remote chassis with a port in the network. */
    ofpbuf_clear(&local);
    ofpbuf_init(&remote, 0);
    struct shash remote_chassis = SHASH_INITIALIZER(&remote_chassis);
    for (size_t i = 0; i < n_ports; i++) {
        const struct pipeline_port *port = &ports[i];
        if (port->local_ofport != OFPP_NONE) {
            put_output(&local, port->local_ofport);
        } else if (port->row->chassis && port->row->chassis != me) {
            shash_add_once(&remote_chassis, port->row->chassis->name,
                           NULL);
        }
    }
    const struct shash_node **sorted = shash_sort(&remote_chassis);
    bool key_set = false;
    for (size_t i = 0; i < shash_count(&remote_chassis); i++) {
        const struct tunnel *tunnel = shash_find_data(tunnels,
                                                      sorted[i]->name);
        if (tunnel && tunnel->ofport != OFPP_NONE) {
            if (!key_set) {
                put_load(&remote, MFF_TUN_ID, vni);
                key_set = true;
            }
            put_output(&remote, tunnel->ofport);
        }
    }
    free(sorted);
    shash_destroy(&remote_chassis);

    match_init_catchall(&match);
    match_set_metadata(&match, htonll(vni));
    match_set_reg(&match, PIPELINE_REG_FROM_TUNNEL, 1);
    add_flow(flows, FLOW_TABLE_FLOOD, 100, cookie, &match, &local);

    match_set_reg(&match, PIPELINE_REG_FROM_TUNNEL, 0);
    ofpbuf_put(&local, remote.data, remote.size);
    add_flow(flows, FLOW_TABLE_FLOOD, 100, cookie, &match, &local);

    ofpbuf_uninit(&local);
    ofpbuf_uninit(&remote);
}

static void
pipeline_add_flows(const struct pipeline_ctx_in *ctx_in,
                   struct flow_set *desired)
{
    struct hmap networks = HMAP_INITIALIZER(&networks);

    add_default_flows(desired);
    if (!ctx_in->chassis) {
        hmap_destroy(&networks);
        return;
    }

    /* The local networks: those of the VIFs bound here. */
    const struct roamrec_port *row;
    ROAMREC_PORT_FOR_EACH (row, ctx_in->roam_idl) {
        const struct local_vif *vif = shash_find_data(&ctx_in->binding->vifs,
                                                      row->name);
        if (vif && vif->state == VIF_BOUND
            && row->chassis == ctx_in->chassis && row->network) {
            network_get(&networks, row->network);
        }
    }

    /* Their ports, local or not. */
    ROAMREC_PORT_FOR_EACH (row, ctx_in->roam_idl) {
        struct pipeline_network *net = (row->network
                                        ? network_find(&networks,
                                                       row->network)
                                        : NULL);
        if (!net) {
            continue;
        }
        const struct local_vif *vif = shash_find_data(&ctx_in->binding->vifs,
                                                      row->name);
        if (net->n_ports >= net->allocated_ports) {
            net->ports = x2nrealloc(net->ports, &net->allocated_ports,
                                    sizeof *net->ports);
        }
        struct pipeline_port *port = &net->ports[net->n_ports++];
        port->row = row;
        port->local_ofport = (vif && vif->state == VIF_BOUND
                              && row->chassis == ctx_in->chassis
                              ? vif->ofport : OFPP_NONE);
    }

    struct pipeline_network *net;
    HMAP_FOR_EACH (net, node, &networks) {
        pipeline_add_network_flows(net->row, net->ports, net->n_ports,
                                   ctx_in->chassis, ctx_in->tunnels,
                                   desired);
    }
    networks_destroy(&networks);
}

void
pipeline_add_network_flows(const struct roamrec_network *network,
                           const struct pipeline_port *ports, size_t n_ports,
                           const struct roamrec_chassis *me,
                           const struct shash *tunnels,
                           struct flow_set *desired)
{
    add_network_flows(network, ports, n_ports, me, tunnels, desired);
    for (size_t i = 0; i < n_ports; i++) {
        add_port_flows(network, &ports[i], tunnels, desired);
    }
}

static const struct flow_table core_tables[] = {
    { FLOW_TABLE_CLASSIFY, "classify" },
    { FLOW_TABLE_L2_LOOKUP, "l2_lookup" },
    { FLOW_TABLE_FLOOD, "flood" },
    { FLOW_TABLE_OUTPUT, "output" },
};

const struct plugin_class pipeline_core_plugin = {
    .name = "core",
    .optional = false,
    .tables = core_tables,
    .n_tables = ARRAY_SIZE(core_tables),
    .register_roam_idl = NULL,  /* binding registers Network and Port. */
    .add_flows = pipeline_add_flows,
};
