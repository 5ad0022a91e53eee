/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "unknown-macs.h"

#include <limits.h>
#include <strings.h>

#include "desired-flows.h"
#include "dp-packet.h"
#include "flow-set.h"
#include "hash.h"
#include "ofctrl.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovsdb/roam-idl.h"
#include "packets.h"
#include "pipeline.h"
#include "util.h"
#include "uuid.h"

VLOG_DEFINE_THIS_MODULE(unknown_macs);

/* A learned MAC. */
struct unknown_mac {
    struct hmap_node node;      /* In "struct unknown_macs"'s 'entries'. */
    uint64_t vni;               /* The network's tunnel key. */
    struct eth_addr mac;
    struct uuid network;        /* The network's row. */
    long long int learned;      /* time_msec() when it was learned. */
};

static uint32_t
hash_entry(uint64_t vni, struct eth_addr mac)
{
    return hash_uint64_basis(vni, hash_bytes(&mac, sizeof mac, 0));
}

void
unknown_macs_init(struct unknown_macs *um)
{
    hmap_init(&um->entries);
    um->n_learned = 0;
    um->n_full = 0;
}

void
unknown_macs_destroy(struct unknown_macs *um)
{
    struct unknown_mac *e;

    HMAP_FOR_EACH_POP (e, node, &um->entries) {
        free(e);
    }
    hmap_destroy(&um->entries);
}

/* Compares the MACs of two Ports: valid ones are six octets of two
 * hexadecimal digits each (roam_validate_mac()), so a comparison of the
 * strings that ignores case compares the addresses. */
static int
compare_port_macs(const void *a_, const void *b_)
{
    const struct roamrec_port *a = a_;
    const struct roamrec_port *b = b_;

    return strcasecmp(a->mac, b->mac);
}

struct ovsdb_idl_index *
unknown_macs_port_index_create(struct ovsdb_idl *roam_idl)
{
    const struct ovsdb_idl_index_column columns[] = {
        { .column = &roamrec_port_col_network },
        { .column = &roamrec_port_col_mac, .comparer = compare_port_macs },
    };
    return ovsdb_idl_index_create(roam_idl, columns, ARRAY_SIZE(columns));
}

/* Returns true if a Port of 'network' has 'mac'. */
static bool
is_port_mac(struct ovsdb_idl_index *port_by_network_mac,
            const struct roamrec_network *network, struct eth_addr mac)
{
    char mac_s[ETH_ADDR_STRLEN + 1];
    snprintf(mac_s, sizeof mac_s, ETH_ADDR_FMT, ETH_ADDR_ARGS(mac));

    struct roamrec_port *target
        = roamrec_port_index_init_row(port_by_network_mac);
    roamrec_port_index_set_network(target, network);
    roamrec_port_index_set_mac(target, mac_s);
    const struct roamrec_port *port
        = roamrec_port_index_find(port_by_network_mac, target);
    roamrec_port_index_destroy_row(target);
    return port != NULL;
}

/* Returns the local network with tunnel key 'vni', or NULL. */
static const struct roamrec_network *
find_local_network(const struct unknown_macs_ctx_in *ctx_in, uint64_t vni)
{
    const struct roamrec_network *network;

    ROAMREC_NETWORK_FOR_EACH (network, ctx_in->roam_idl) {
        if (network->tunnel_key == vni
            && desired_flows_has_network(ctx_in->desired,
                                         &network->header_.uuid)) {
            return network;
        }
    }
    return NULL;
}

static struct unknown_mac *
find_entry(const struct unknown_macs *um, uint64_t vni, struct eth_addr mac)
{
    struct unknown_mac *e;

    HMAP_FOR_EACH_WITH_HASH (e, node, hash_entry(vni, mac), &um->entries) {
        if (e->vni == vni && eth_addr_equals(e->mac, mac)) {
            return e;
        }
    }
    return NULL;
}

static void
add_entry_flow(const struct unknown_mac *e, struct flow_set *flows)
{
    pipeline_add_unknown_mac_flow(e->vni, e->mac,
                                  flow_set_cookie_from_uuid(&e->network),
                                  flows);
}

bool
unknown_macs_learn(const struct unknown_macs_ctx_in *ctx_in,
                   struct unknown_macs *um,
                   const struct ofctrl_packet_in *pin, struct flow_set *flows)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 1);

    if (!ctx_in->timeout || !pin->tun_id
        || dp_packet_size(pin->packet) < ETH_HEADER_LEN) {
        return false;
    }
    const struct eth_header *eth = dp_packet_data(pin->packet);
    struct eth_addr mac = eth->eth_dst;
    if (eth_addr_is_multicast(mac) || eth_addr_is_zero(mac)) {
        return false;
    }

    struct unknown_mac *e = find_entry(um, pin->tun_id, mac);
    if (e) {
        /* Its flow is on its way to the switch, or was removed by a
         * computation since: unknown_macs_run() puts it back. */
        return false;
    }
    const struct roamrec_network *network = find_local_network(ctx_in,
                                                               pin->tun_id);
    if (!network || is_port_mac(ctx_in->port_by_network_mac, network, mac)) {
        return false;
    }
    if (hmap_count(&um->entries) >= UNKNOWN_MACS_MAX) {
        um->n_full++;
        VLOG_WARN_RL(&rl, "network %s: traffic from tunnels to "ETH_ADDR_FMT
                     ", which no Port has, reaches the agent: %d such MACs "
                     "are flooded without it already, the most it keeps",
                     network->name, ETH_ADDR_ARGS(mac), UNKNOWN_MACS_MAX);
        return false;
    }

    e = xmalloc(sizeof *e);
    e->vni = pin->tun_id;
    e->mac = mac;
    e->network = network->header_.uuid;
    e->learned = ctx_in->now;
    hmap_insert(&um->entries, &e->node, hash_entry(e->vni, e->mac));
    um->n_learned++;
    add_entry_flow(e, flows);
    VLOG_DBG("network %s: "ETH_ADDR_FMT" is no Port's: flooded from "
             "tunnels without the agent", network->name, ETH_ADDR_ARGS(mac));
    return true;
}

/* Returns true if 'e' is to be forgotten at 'ctx_in->now'. */
static bool
is_stale(const struct unknown_macs_ctx_in *ctx_in, const struct unknown_mac *e)
{
    if (ctx_in->now >= e->learned + ctx_in->timeout) {
        return true;
    }
    const struct roamrec_network *network
        = roamrec_network_get_for_uuid(ctx_in->roam_idl, &e->network);
    return (!network || network->tunnel_key != e->vni
            || !desired_flows_has_network(ctx_in->desired, &e->network)
            || is_port_mac(ctx_in->port_by_network_mac, network, e->mac));
}

bool
unknown_macs_run(const struct unknown_macs_ctx_in *ctx_in,
                 struct unknown_macs *um, struct flow_set *flows)
{
    bool changed = false;
    struct unknown_mac *e;

    HMAP_FOR_EACH_SAFE (e, node, &um->entries) {
        if (is_stale(ctx_in, e)) {
            changed |= pipeline_remove_unknown_mac_flow(e->vni, e->mac,
                                                        flows);
            hmap_remove(&um->entries, &e->node);
            free(e);
        } else if (!pipeline_has_unknown_mac_flow(e->vni, e->mac, flows)) {
            add_entry_flow(e, flows);
            changed = true;
        }
    }
    return changed;
}

long long int
unknown_macs_next_expiry(const struct unknown_macs *um, int timeout)
{
    long long int expiry = LLONG_MAX;
    const struct unknown_mac *e;

    HMAP_FOR_EACH (e, node, &um->entries) {
        expiry = MIN(expiry, e->learned + timeout);
    }
    return expiry;
}

void
unknown_macs_format(const struct unknown_macs *um, struct ds *s)
{
    ds_put_format(s, "unknown MACs flooded from tunnels without the agent: "
                  "%"PRIuSIZE" (%llu learned, %llu not learned: too many)\n",
                  hmap_count(&um->entries), um->n_learned, um->n_full);
}
