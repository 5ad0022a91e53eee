/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "first-packets.h"

#include <limits.h>

#include "binding.h"
#include "dp-packet.h"
#include "ofctrl.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovsdb/roam-idl.h"
#include "ovsdb/roam-validate.h"
#include "packets.h"
#include "pipeline.h"
#include "flow-tables.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(first_packets);

void
first_packets_init(struct first_packets *fp)
{
    ovs_list_init(&fp->pending);
    fp->n_pending = 0;
    fp->n_from_tunnel = 0;
    fp->n_sent = 0;
    fp->n_dropped = 0;
}

void
first_packet_destroy(struct first_packet *p)
{
    if (p) {
        ofctrl_packet_in_destroy(p->pin);
        free(p);
    }
}

/* Returns true if 'pin', one of a new VIF's first packets, came from a
 * tunnel (flood), false if from a VIF's port (classify). */
static bool
is_from_tunnel(const struct ofctrl_packet_in *pin)
{
    return pin->table_id != FLOW_TABLE_CLASSIFY;
}

/* Takes the kept packet 'p' out of 'fp'. */
static void
unlink_packet(struct first_packets *fp, struct first_packet *p)
{
    ovs_list_remove(&p->list_node);
    fp->n_pending--;
    fp->n_from_tunnel -= is_from_tunnel(p->pin);
}

/* Drops the kept packet 'p'. */
static void
drop_packet(struct first_packets *fp, struct first_packet *p)
{
    unlink_packet(fp, p);
    fp->n_dropped++;
    first_packet_destroy(p);
}

void
first_packets_clear(struct first_packets *fp)
{
    struct first_packet *p;

    LIST_FOR_EACH_SAFE (p, list_node, &fp->pending) {
        drop_packet(fp, p);
    }
}

void
first_packets_destroy(struct first_packets *fp)
{
    first_packets_clear(fp);
}

bool
first_packets_take(struct first_packets *fp, struct ofctrl_packet_in *pin,
                   long long int now)
{
    if (!pipeline_is_new_vif_punt(pin->table_id, pin->reason)) {
        return false;
    }
    bool from_tunnel = is_from_tunnel(pin);
    size_t n_kind = (from_tunnel ? fp->n_from_tunnel
                     : fp->n_pending - fp->n_from_tunnel);
    if (n_kind >= FIRST_PACKETS_MAX) {
        /* The oldest of its kind is the likeliest to be too late. */
        struct first_packet *p;
        LIST_FOR_EACH (p, list_node, &fp->pending) {
            if (is_from_tunnel(p->pin) == from_tunnel) {
                drop_packet(fp, p);
                break;
            }
        }
    }
    struct first_packet *p = xmalloc(sizeof *p);
    p->pin = pin;
    p->received = now;
    ovs_list_push_back(&fp->pending, &p->list_node);
    fp->n_pending++;
    fp->n_from_tunnel += from_tunnel;
    return true;
}

bool
first_packets_is_for(const struct ofctrl_packet_in *pin,
                     const struct roamrec_port *port, ofp_port_t ofport)
{
    if (pin->table_id == FLOW_TABLE_CLASSIFY) {
        return pin->in_port == ofport;
    }

    const struct dp_packet *packet = pin->packet;
    if (!port->network || port->network->tunnel_key != pin->tun_id
        || dp_packet_size(packet) < ETH_HEADER_LEN) {
        return false;
    }
    const struct eth_header *eth = dp_packet_data(packet);
    struct eth_addr mac;
    char *error = roam_validate_mac(port->mac, &mac);
    if (error) {
        free(error);
        return false;
    }
    return eth_addr_equals(eth->eth_dst, mac);
}

/* A VIF that a kept packet may be for. */
struct candidate {
    const struct local_vif *vif;
    const struct roamrec_port *port;
    ofp_port_t ofport;          /* The VIF's OpenFlow port. */
    bool served;                /* BINDING_ROLE_ACTIVE. */
};

void
first_packets_run(const struct first_packets_ctx_in *ctx_in,
                  struct first_packets *fp, struct ovs_list *to_send,
                  struct ovs_list *no_vif)
{
    if (!fp->n_pending) {
        return;
    }
    if (!ctx_in->chassis) {
        first_packets_clear(fp);
        return;
    }

    /* The VIFs that this chassis serves, or may serve soon: those awaiting
     * their claim. */
    const struct shash *vifs = &ctx_in->binding->vifs;
    struct candidate *candidates = xmalloc(MAX(shash_count(vifs), 1)
                                           * sizeof *candidates);
    size_t n_candidates = 0;
    struct shash_node *node;
    SHASH_FOR_EACH (node, vifs) {
        const struct local_vif *vif = node->data;
        if (vif->ofport == OFPP_NONE) {
            continue;
        }
        const struct roamrec_port *port
            = binding_lookup_port(ctx_in->port_by_name, vif->iface_id);
        if (!port) {
            continue;
        }
        ofp_port_t ofport;
        enum binding_role role = binding_get_role(ctx_in->binding, port,
                                                  ctx_in->chassis, &ofport);
        if (role == BINDING_ROLE_ACTIVE
            || binding_vif_awaits_claim(vif, port, ctx_in->chassis)) {
            candidates[n_candidates++] = (struct candidate) {
                .vif = vif,
                .port = port,
                .ofport = vif->ofport,
                .served = role == BINDING_ROLE_ACTIVE,
            };
        }
    }

    first_packets_expire(fp, ctx_in->now);
    struct first_packet *p;
    LIST_FOR_EACH_SAFE (p, list_node, &fp->pending) {
        const struct candidate *match = NULL;
        for (size_t i = 0; i < n_candidates; i++) {
            if (first_packets_is_for(p->pin, candidates[i].port,
                                     candidates[i].ofport)) {
                match = &candidates[i];
                break;
            }
        }
        if (match && match->served && ctx_in->flows_sent) {
            unlink_packet(fp, p);
            fp->n_sent++;
            ovs_list_push_back(to_send, &p->list_node);
            VLOG_DBG("port %s: sending on a packet that reached the agent "
                     "before the VIF's flows", match->vif->iface_id);
        } else if (!match) {
            VLOG_DBG("dropping a packet from port %d (table %"PRIu8"): no "
                     "VIF here may take it", ofp_to_u16(p->pin->in_port),
                     p->pin->table_id);
            if (is_from_tunnel(p->pin)) {
                unlink_packet(fp, p);
                fp->n_dropped++;
                ovs_list_push_back(no_vif, &p->list_node);
            } else {
                drop_packet(fp, p);
            }
        }
    }
    free(candidates);
}

void
first_packets_expire(struct first_packets *fp, long long int now)
{
    struct first_packet *p;

    /* Oldest first: time_msec() never goes back. */
    LIST_FOR_EACH_SAFE (p, list_node, &fp->pending) {
        if (now < p->received + FIRST_PACKETS_MAX_AGE) {
            break;
        }
        VLOG_DBG("dropping a packet from port %d (table %"PRIu8"): too old",
                 ofp_to_u16(p->pin->in_port), p->pin->table_id);
        drop_packet(fp, p);
    }
}

long long int
first_packets_next_expiry(const struct first_packets *fp)
{
    if (ovs_list_is_empty(&fp->pending)) {
        return LLONG_MAX;
    }
    const struct first_packet *oldest
        = CONTAINER_OF(ovs_list_front(&fp->pending), struct first_packet,
                       list_node);
    return oldest->received + FIRST_PACKETS_MAX_AGE;
}

void
first_packets_format(const struct first_packets *fp, struct ds *s)
{
    ds_put_format(s, "first packets of new VIFs: %llu sent on, %llu "
                  "dropped, %"PRIuSIZE" kept\n",
                  fp->n_sent, fp->n_dropped, fp->n_pending);
}
