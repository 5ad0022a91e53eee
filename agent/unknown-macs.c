/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "unknown-macs.h"

#include <limits.h>
#include <strings.h>

#include "binding.h"
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

/* A learned MAC, or a Port's MAC that waits to be learned. */
struct unknown_mac {
    struct hmap_node node;      /* In "struct unknown_macs"'s 'entries',
                                 * or 'waiting'. */
    struct ovs_list list_node;  /* In "struct unknown_macs"'s 'by_age', if
                                 * in 'entries'. */
    uint64_t vni;               /* The network's tunnel key. */
    struct eth_addr mac;
    struct uuid network;        /* The network's row. */
    long long int learned;      /* time_msec() when it was learned; while
                                 * waiting, when its traffic began. */
    long long int last_seen;    /* While waiting: time_msec() of its latest
                                 * packet. */
    bool of_port;               /* Learned as a Port's MAC. */
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
    hmap_init(&um->waiting);
    um->paused_removed = LLONG_MIN;
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
    HMAP_FOR_EACH_POP (e, node, &um->waiting) {
        free(e);
    }
    hmap_destroy(&um->waiting);
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

/* Who has a MAC in a network, in increasing order of precedence: with
 * several Ports that have the MAC, the highest counts. */
enum mac_owner {
    MAC_OF_NO_PORT,             /* No Port of the network. */
    MAC_OF_UNBOUND_PORT,        /* A Port bound nowhere (a stopped VM's, or
                                 * one between hypervisors), whose VIF is
                                 * not here. */
    MAC_OF_BOUND_PORT,          /* A Port bound to a chassis (as chassis or
                                 * additional_chassis), whose VIF is not
                                 * here: the senders do not flood to it. */
    MAC_OF_LOCAL_VIF,           /* A Port that an interface here names: its
                                 * VIF is here, or on its way. */
};

static enum mac_owner
find_mac_owner(const struct unknown_macs_ctx_in *ctx_in,
               const struct roamrec_network *network, struct eth_addr mac)
{
    char mac_s[ETH_ADDR_STRLEN + 1];
    snprintf(mac_s, sizeof mac_s, ETH_ADDR_FMT, ETH_ADDR_ARGS(mac));

    struct roamrec_port *target
        = roamrec_port_index_init_row(ctx_in->port_by_network_mac);
    roamrec_port_index_set_network(target, network);
    roamrec_port_index_set_mac(target, mac_s);
    const struct roamrec_port *port;
    enum mac_owner owner = MAC_OF_NO_PORT;
    ROAMREC_PORT_FOR_EACH_EQUAL (port, target, ctx_in->port_by_network_mac) {
        if (binding_has_interface(ctx_in->binding, port->name)) {
            owner = MAC_OF_LOCAL_VIF;
            break;
        }
        owner = MAX(owner, (port->chassis || port->additional_chassis
                            ? MAC_OF_BOUND_PORT : MAC_OF_UNBOUND_PORT));
    }
    roamrec_port_index_destroy_row(target);
    return owner;
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
find_entry(const struct hmap *map, uint64_t vni, struct eth_addr mac)
{
    struct unknown_mac *e;

    HMAP_FOR_EACH_WITH_HASH (e, node, hash_entry(vni, mac), map) {
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

    if (find_entry(&um->entries, pin->tun_id, mac)) {
        /* Its flow is on its way to the switch. */
        return false;
    }
    const struct roamrec_network *network = find_local_network(ctx_in,
                                                               pin->tun_id);
    if (!network) {
        return false;
    }
    /* Traffic to a bound Port's MAC comes from senders that did not see the
     * binding yet: it stops by itself. */
    enum mac_owner owner = find_mac_owner(ctx_in, network, mac);
    if (owner == MAC_OF_LOCAL_VIF || owner == MAC_OF_BOUND_PORT
        || (owner == MAC_OF_UNBOUND_PORT
            && !unknown_macs_wait_port_mac(um, pin->tun_id, mac,
                                           &network->header_.uuid,
                                           ctx_in->now))) {
        return false;
    }
    if (!unknown_macs_add(um, pin->tun_id, mac, &network->header_.uuid,
                          owner == MAC_OF_UNBOUND_PORT, ctx_in->now, flows)) {
        VLOG_WARN_RL(&rl, "network %s: traffic from tunnels to "ETH_ADDR_FMT
                     ", which no VIF here has, reaches the agent: %d such "
                     "MACs are flooded without it already, the most it "
                     "keeps", network->name, ETH_ADDR_ARGS(mac),
                     UNKNOWN_MACS_MAX);
        return false;
    }
    VLOG_DBG("network %s: no VIF here has "ETH_ADDR_FMT": flooded from "
             "tunnels without the agent", network->name, ETH_ADDR_ARGS(mac));
    return true;
}

/* Returns a new entry, in no map yet. */
static struct unknown_mac *
entry_create(uint64_t vni, struct eth_addr mac, const struct uuid *network,
             long long int now)
{
    struct unknown_mac *e = xmalloc(sizeof *e);
    e->vni = vni;
    e->mac = mac;
    e->network = *network;
    e->learned = now;
    e->last_seen = now;
    e->of_port = false;
    return e;
}

/* Removes 'w' from 'waiting' and frees it. */
static void
stop_waiting(struct unknown_macs *um, struct unknown_mac *w)
{
    hmap_remove(&um->waiting, &w->node);
    free(w);
}

/* Returns true if the traffic of waiting 'w' paused for
 * UNKNOWN_MACS_PORT_WAIT at time_msec() 'now'. */
static bool
waiting_paused(const struct unknown_mac *w, long long int now)
{
    return now - w->last_seen >= UNKNOWN_MACS_PORT_WAIT;
}

/* Frees the waiting entries whose traffic paused, at most once a second
 * (a full map is searched for them on a packet that finds no room). */
static void
remove_paused(struct unknown_macs *um, long long int now)
{
    if (now < um->paused_removed + 1000) {
        return;
    }
    um->paused_removed = now;

    struct unknown_mac *w;
    HMAP_FOR_EACH_SAFE (w, node, &um->waiting) {
        if (waiting_paused(w, now)) {
            stop_waiting(um, w);
        }
    }
}

bool
unknown_macs_wait_port_mac(struct unknown_macs *um, uint64_t vni,
                           struct eth_addr mac, const struct uuid *network,
                           long long int now)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 1);

    struct unknown_mac *w = find_entry(&um->waiting, vni, mac);
    if (w && waiting_paused(w, now)) {
        stop_waiting(um, w);
        w = NULL;
    }
    if (!w) {
        if (hmap_count(&um->waiting) >= UNKNOWN_MACS_MAX) {
            remove_paused(um, now);
        }
        if (hmap_count(&um->waiting) >= UNKNOWN_MACS_MAX) {
            um->n_full++;
            VLOG_WARN_RL(&rl, "traffic from tunnels to "ETH_ADDR_FMT", a "
                         "Port's in the network with tunnel key %"PRIu64" "
                         "and bound nowhere, reaches the agent: the MACs "
                         "of %d such Ports are waiting to be learned "
                         "already, the most it keeps", ETH_ADDR_ARGS(mac),
                         vni, UNKNOWN_MACS_MAX);
            return false;
        }
        w = entry_create(vni, mac, network, now);
        hmap_insert(&um->waiting, &w->node, hash_entry(vni, mac));
    }
    w->last_seen = now;
    return now - w->learned >= UNKNOWN_MACS_PORT_WAIT;
}

bool
unknown_macs_add(struct unknown_macs *um, uint64_t vni, struct eth_addr mac,
                 const struct uuid *network, bool of_port, long long int now,
                 struct flow_set *flows)
{
    if (find_entry(&um->entries, vni, mac)) {
        return false;
    }
    if (hmap_count(&um->entries) >= UNKNOWN_MACS_MAX) {
        um->n_full++;
        return false;
    }
    struct unknown_mac *w = find_entry(&um->waiting, vni, mac);
    if (w) {
        stop_waiting(um, w);
    }

    struct unknown_mac *e = entry_create(vni, mac, network, now);
    e->of_port = of_port;
    hmap_insert(&um->entries, &e->node, hash_entry(e->vni, e->mac));
    ovs_list_push_back(&um->by_age, &e->list_node);
    um->n_learned++;
    add_entry_flow(e, flows);
    return true;
}

/* Takes the learned 'e' out of 'um', removing its flow from 'flows',
 * without freeing it.  Returns true if 'flows' changed. */
static bool
unlearn_entry(struct unknown_macs *um, struct unknown_mac *e,
              struct flow_set *flows)
{
    bool changed = pipeline_remove_unknown_mac_flow(e->vni, e->mac, flows);
    hmap_remove(&um->entries, &e->node);
    ovs_list_remove(&e->list_node);
    return changed;
}

/* Returns true if 'e', learned or waiting, is to be forgotten: its network
 * is gone or not local, a VIF here has its MAC, or a Port with its MAC is
 * bound (its senders stop flooding to it, and it may move here next, to
 * get its first packets through the agent); a waiting one also if no Port
 * has its MAC any more (its next packet learns it at once). */
static bool
is_stale(const struct unknown_macs_ctx_in *ctx_in, const struct unknown_mac *e,
         bool waiting)
{
    const struct roamrec_network *network
        = roamrec_network_get_for_uuid(ctx_in->roam_idl, &e->network);
    if (!network || network->tunnel_key != e->vni
        || !desired_flows_has_network(ctx_in->desired, &e->network)) {
        return true;
    }
    enum mac_owner owner = find_mac_owner(ctx_in, network, e->mac);
    return (waiting
            ? owner != MAC_OF_UNBOUND_PORT
            : owner == MAC_OF_LOCAL_VIF || owner == MAC_OF_BOUND_PORT);
}

bool
unknown_macs_run(const struct unknown_macs_ctx_in *ctx_in,
                 struct unknown_macs *um, struct flow_set *flows)
{
    bool changed = false;
    struct unknown_mac *e;

    HMAP_FOR_EACH_SAFE (e, node, &um->waiting) {
        if (waiting_paused(e, ctx_in->now) || is_stale(ctx_in, e, true)) {
            stop_waiting(um, e);
        }
    }
    HMAP_FOR_EACH_SAFE (e, node, &um->entries) {
        if (is_stale(ctx_in, e, false)) {
            changed |= unlearn_entry(um, e, flows);
            free(e);
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
        changed |= unlearn_entry(um, e, flows);
        /* A Port's traffic waited already: its next packet learns it
         * again, if it comes before the wait counts as a pause. */
        if (e->of_port && hmap_count(&um->waiting) < UNKNOWN_MACS_MAX
            && !find_entry(&um->waiting, e->vni, e->mac)) {
            e->learned = now - UNKNOWN_MACS_PORT_WAIT;
            e->last_seen = now;
            hmap_insert(&um->waiting, &e->node, hash_entry(e->vni, e->mac));
        } else {
            free(e);
        }
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
                  "%"PRIuSIZE" (%llu learned, %"PRIuSIZE" Ports' MACs "
                  "waiting, %llu packets to further MACs)\n",
                  hmap_count(&um->entries), um->n_learned,
                  hmap_count(&um->waiting), um->n_full);
}
