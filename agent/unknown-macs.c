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
    struct ovs_list list_node;  /* In "struct unknown_macs"'s 'by_age'. */
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
    ovs_list_init(&um->by_age);
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

void
unknown_macs_indexes_create(struct ovsdb_idl *roam_idl,
                            struct ovsdb_idl_index **port_by_network_mac,
                            struct ovsdb_idl_index **network_by_key)
{
    const struct ovsdb_idl_index_column columns[] = {
        { .column = &roamrec_port_col_network },
        { .column = &roamrec_port_col_mac, .comparer = compare_port_macs },
    };
    *port_by_network_mac = ovsdb_idl_index_create(roam_idl, columns,
                                                  ARRAY_SIZE(columns));
    *network_by_key = ovsdb_idl_index_create1(roam_idl,
                                              &roamrec_network_col_tunnel_key);
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
    struct roamrec_network *target
        = roamrec_network_index_init_row(ctx_in->network_by_key);
    roamrec_network_index_set_tunnel_key(target, vni);
    const struct roamrec_network *network
        = roamrec_network_index_find(ctx_in->network_by_key, target);
    roamrec_network_index_destroy_row(target);
    return (network && desired_flows_has_network(ctx_in->desired,
                                                 &network->header_.uuid)
            ? network : NULL);
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

    if (find_entry(um, pin->tun_id, mac)) {
        /* Its flow is on its way to the switch. */
        return false;
    }
    const struct roamrec_network *network = find_local_network(ctx_in,
                                                               pin->tun_id);
    if (!network || is_port_mac(ctx_in->port_by_network_mac, network, mac)) {
        return false;
    }
    if (!unknown_macs_add(um, pin->tun_id, mac, &network->header_.uuid,
                          ctx_in->now, flows)) {
        VLOG_WARN_RL(&rl, "network %s: traffic from tunnels to "ETH_ADDR_FMT
                     ", which no Port has, reaches the agent: %d such MACs "
                     "are flooded without it already, the most it keeps",
                     network->name, ETH_ADDR_ARGS(mac), UNKNOWN_MACS_MAX);
        return false;
    }
    VLOG_DBG("network %s: "ETH_ADDR_FMT" is no Port's: flooded from "
             "tunnels without the agent", network->name, ETH_ADDR_ARGS(mac));
    return true;
}

bool
unknown_macs_add(struct unknown_macs *um, uint64_t vni, struct eth_addr mac,
                 const struct uuid *network, long long int now,
                 struct flow_set *flows)
{
    if (find_entry(um, vni, mac)) {
        return false;
    }
    if (hmap_count(&um->entries) >= UNKNOWN_MACS_MAX) {
        um->n_full++;
        return false;
    }

    struct unknown_mac *e = xmalloc(sizeof *e);
    e->vni = vni;
    e->mac = mac;
    e->network = *network;
    e->learned = now;
    hmap_insert(&um->entries, &e->node, hash_entry(e->vni, e->mac));
    ovs_list_push_back(&um->by_age, &e->list_node);
    um->n_learned++;
    add_entry_flow(e, flows);
    return true;
}

/* Forgets 'e', removing its flow from 'flows'.  Returns true if 'flows'
 * changed. */
static bool
forget_entry(struct unknown_macs *um, struct unknown_mac *e,
             struct flow_set *flows)
{
    bool changed = pipeline_remove_unknown_mac_flow(e->vni, e->mac, flows);
    hmap_remove(&um->entries, &e->node);
    ovs_list_remove(&e->list_node);
    free(e);
    return changed;
}

/* Returns true if 'e' is to be forgotten: its network is gone or not
 * local, or a Port of it has its MAC. */
static bool
is_stale(const struct unknown_macs_ctx_in *ctx_in, const struct unknown_mac *e)
{
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
            changed |= forget_entry(um, e, flows);
        } else if (!pipeline_has_unknown_mac_flow(e->vni, e->mac, flows)) {
            add_entry_flow(e, flows);
            changed = true;
        }
    }
    return changed;
}

bool
unknown_macs_expire(struct unknown_macs *um, int timeout, long long int now,
                    struct flow_set *flows)
{
    bool changed = false;
    struct unknown_mac *e;

    /* Oldest first: time_msec() never goes back. */
    LIST_FOR_EACH_SAFE (e, list_node, &um->by_age) {
        if (now < e->learned + timeout) {
            break;
        }
        changed |= forget_entry(um, e, flows);
    }
    return changed;
}

long long int
unknown_macs_next_expiry(const struct unknown_macs *um, int timeout)
{
    if (ovs_list_is_empty(&um->by_age)) {
        return LLONG_MAX;
    }
    const struct unknown_mac *oldest
        = CONTAINER_OF(ovs_list_front(&um->by_age), struct unknown_mac,
                       list_node);
    /* Those due within the same second of the clock expire together. */
    return ROUND_UP(oldest->learned + timeout, 1000);
}

void
unknown_macs_format(const struct unknown_macs *um, struct ds *s)
{
    ds_put_format(s, "unknown MACs flooded from tunnels without the agent: "
                  "%"PRIuSIZE" (%llu learned, %llu packets to further "
                  "MACs)\n", hmap_count(&um->entries), um->n_learned,
                  um->n_full);
}
