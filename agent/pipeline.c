/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "pipeline.h"

#include <string.h>

#include "binding.h"
#include "byte-order.h"
#include "first-packets.h"
#include "flow.h"
#include "flow-set.h"
#include "flow-tables.h"
#include "openvswitch/match.h"
#include "openvswitch/meta-flow.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovsdb/roam-idl.h"
#include "ovsdb/roam-validate.h"
#include "packets.h"
#include "plugin.h"
#include "sset.h"
#include "tunnels.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(pipeline);

/* Registers, see pipeline.h. */
#define PIPELINE_REG_FROM_TUNNEL 10
#define PIPELINE_MFF_FROM_TUNNEL MFF_REG10
#define PIPELINE_MFF_INPORT_KEY  MFF_REG14
#define PIPELINE_REG_RESENT 13
#define PIPELINE_MFF_RESENT MFF_REG13

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

/* Classify's priorities: what comes from one VIF, or from a tunnel with one
 * network's key; what comes from a port that is known to be no VM's (the
 * bridge's own, an interface that is no VIF); and, below, what comes from
 * any other port that is no tunnel, which goes to the agent. */
#define CLASSIFY_PRIORITY_PORT 100
#define CLASSIFY_PRIORITY_NO_VM 2
#define CLASSIFY_PRIORITY_PUNT 1

/* Flood's priorities: a network's flooding; above it, its punt of unicast
 * from a tunnel (a new VIF's first packets); and above that, the MACs that
 * no Port of the network has, which skip the punt. */
#define FLOOD_PRIORITY_NETWORK 100
#define FLOOD_PRIORITY_PUNT 110
#define FLOOD_PRIORITY_UNKNOWN_MAC 120

/* The bit that sets multicast (and broadcast) Ethernet addresses apart. */
static const struct eth_addr eth_addr_multicast_bit
    = ETH_ADDR_C(01,00,00,00,00,00);

/* Appends to 'ofpacts' a controller action, through meter 'meter_id', that
 * sends what the switch's datapath flows send for want of a new VIF's flows
 * (pipeline.h). */
static void
put_new_vif_punt(struct ofpbuf *ofpacts, uint32_t meter_id)
{
    struct ofpact_controller *oc = ofpact_put_CONTROLLER(ofpacts);
    oc->max_len = UINT16_MAX;
    oc->reason = OFPR_NO_MATCH;
    oc->meter_id = meter_id;
}

/* Matches, in 'match', the packets that did not come back from the agent
 * (pipeline_put_resend()). */
static void
match_not_resent(struct match *match)
{
    match_set_reg(match, PIPELINE_REG_RESENT, 0);
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

    /* Except from a port that is no tunnel, which may be a VIF whose flows
     * are on their way: to the agent (pipeline.h).  Never the bridge's own
     * port, whose packets are no VM's. */
    match_set_in_port(&match, OFPP_LOCAL);
    add_flow(flows, FLOW_TABLE_CLASSIFY, CLASSIFY_PRIORITY_NO_VM, 0, &match,
             &ofpacts);
    match_init_catchall(&match);
    match_set_tun_src(&match, htonl(0));
    match_set_tun_ipv6_src(&match, &in6addr_any);
    match_not_resent(&match);
    put_new_vif_punt(&ofpacts, PIPELINE_METER_NEW_VIF);
    add_flow(flows, FLOW_TABLE_CLASSIFY, CLASSIFY_PRIORITY_PUNT, 0, &match,
             &ofpacts);
    ofpbuf_clear(&ofpacts);
    match_init_catchall(&match);

    /* Destinations not known to be elsewhere: flood. */
    put_goto(&ofpacts, FLOW_TABLE_FLOOD);
    add_flow(flows, FLOW_TABLE_L2_LOOKUP, 0, 0, &match, &ofpacts);

    ofpbuf_uninit(&ofpacts);
}

/* Appends to 'ofpacts' the output into the tunnel of each chassis among
 * 'port''s chassis and additional_chassis other than 'me', with the
 * network's key 'vni'.  Returns how many. */
static size_t
put_port_tunnels(const struct roamrec_port *row,
                 const struct roamrec_chassis *me, const struct shash *tunnels,
                 uint64_t vni, struct ofpbuf *ofpacts)
{
    const struct roamrec_chassis *targets[2] = {
        row->chassis,
        row->additional_chassis,
    };
    size_t n = 0;

    for (size_t i = 0; i < ARRAY_SIZE(targets); i++) {
        const struct roamrec_chassis *ch = targets[i];
        if (!ch || ch == me || (i && ch == targets[0])) {
            continue;
        }
        const struct tunnel *tunnel = shash_find_data(tunnels, ch->name);
        if (tunnel && tunnel->ofport != OFPP_NONE) {
            if (!n) {
                put_load(ofpacts, MFF_TUN_ID, vni);
            }
            put_output(ofpacts, tunnel->ofport);
            n++;
        }
    }
    return n;
}

/* The classify and l2_lookup flows of one port of a local network. */
static void
add_port_flows(const struct roamrec_network *network,
               const struct pipeline_port *port,
               const struct roamrec_chassis *me, const struct shash *tunnels,
               struct flow_set *flows)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    const struct roamrec_port *row = port->row;
    uint64_t vni = network->tunnel_key;
    uint64_t cookie = flow_set_cookie_from_uuid(&row->header_.uuid);
    struct ofpbuf ofpacts;
    struct match match;

    ofpbuf_init(&ofpacts, 0);
    if (port->role == BINDING_ROLE_ACTIVE
        || port->role == BINDING_ROLE_DRAINING) {
        match_init_catchall(&match);
        match_set_in_port(&match, port->ofport);
        put_load(&ofpacts, MFF_METADATA, vni);
        put_load(&ofpacts, PIPELINE_MFF_INPORT_KEY, row->tunnel_key);
        put_load(&ofpacts, PIPELINE_MFF_FROM_TUNNEL, 0);
        put_goto(&ofpacts, FLOW_TABLE_L2_LOOKUP);
        add_flow(flows, FLOW_TABLE_CLASSIFY, CLASSIFY_PRIORITY_PORT, cookie,
                 &match, &ofpacts);
    } else if (port->role == BINDING_ROLE_STANDBY) {
        /* Nothing from the VM goes anywhere before it is activated here.
         * Its resumption announcement (RARP, as qemu sends it) activates
         * it, and the agent takes it as a packet-in; so is anything else
         * the VM sends, which the agent forwards once the activation is in
         * the switch (a paused VM sends nothing, a resumed one sends at
         * once, maybe before the activation arrived). */
        struct ofpact_controller *oc = ofpact_put_CONTROLLER(&ofpacts);
        oc->max_len = UINT16_MAX;
        oc->reason = OFPR_ACTION;
        oc->meter_id = PIPELINE_METER_STANDBY;
        match_init_catchall(&match);
        match_set_in_port(&match, port->ofport);
        add_flow(flows, FLOW_TABLE_CLASSIFY, CLASSIFY_PRIORITY_PORT, cookie,
                 &match, &ofpacts);

        oc->meter_id = PIPELINE_METER_ACTIVATION;
        match_set_dl_type(&match, htons(ETH_TYPE_RARP));
        add_flow(flows, FLOW_TABLE_CLASSIFY, CLASSIFY_PRIORITY_PORT + 10,
                 cookie, &match, &ofpacts);
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

    /* To the port's VIF here, if it has one, and, for packets that did not
     * come from a tunnel, into the tunnel of every other chassis that
     * serves it (two during a live migration).  A port with neither floods
     * as unknown unicast. */
    ofp_port_t local = (port->role == BINDING_ROLE_ACTIVE
                        || port->role == BINDING_ROLE_STANDBY
                        ? port->ofport : OFPP_NONE);
    ofpbuf_clear(&ofpacts);
    if (local != OFPP_NONE) {
        put_output(&ofpacts, local);
    }
    size_t n_local_actions = ofpacts.size;
    size_t n_tunnels = put_port_tunnels(row, me, tunnels, vni, &ofpacts);

    /* Split on where the packet came from even where both flows do the
     * same (a port with no other chassis), so that two ports with one MAC,
     * one here and one elsewhere, ask for the same flow: the flow set then
     * settles which one gets the MAC, the same on every chassis. */
    match_init_catchall(&match);
    match_set_metadata(&match, htonll(vni));
    match_set_dl_dst(&match, mac);
    bool unique = true;
    if (n_tunnels || local != OFPP_NONE) {
        match_set_reg(&match, PIPELINE_REG_FROM_TUNNEL, 0);
        unique = flow_set_add(flows, FLOW_TABLE_L2_LOOKUP, 100, cookie,
                              &match, ofpacts.data, ofpacts.size);
    }
    if (local != OFPP_NONE) {
        match_set_reg(&match, PIPELINE_REG_FROM_TUNNEL, 1);
        unique &= flow_set_add(flows, FLOW_TABLE_L2_LOOKUP, 100, cookie,
                               &match, ofpacts.data, n_local_actions);
    }
    if (!unique) {
        VLOG_WARN_RL(&rl, "Port %s: mac: %s is also the MAC of another port "
                     "of network %s; only one of them receives its "
                     "traffic", row->name, row->mac, network->name);
    }
    ofpbuf_uninit(&ofpacts);
}

static int
compare_ofports(const void *a_, const void *b_)
{
    const struct pipeline_port *a = a_;
    const struct pipeline_port *b = b_;
    uint16_t pa = ofp_to_u16(a->ofport), pb = ofp_to_u16(b->ofport);

    return pa < pb ? -1 : pa > pb;
}

/* The classify-from-tunnel and flood flows of local network 'network'. */
static void
add_network_flows(const struct pipeline_network *network,
                  const struct shash *tunnels, struct flow_set *flows)
{
    uint64_t vni = network->row->tunnel_key;
    uint64_t cookie = flow_set_cookie_from_uuid(&network->row->header_.uuid);
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
    add_flow(flows, FLOW_TABLE_CLASSIFY, CLASSIFY_PRIORITY_PORT, cookie,
             &match, &local);

    /* Flooding: every local VIF (OpenFlow drops the copy for the input
     * port), in a fixed order, and one copy per remote chassis with a port
     * in the network. */
    ofpbuf_clear(&local);
    struct pipeline_port *locals = xmemdup(network->local_ports,
                                           network->n_local_ports
                                           * sizeof *locals);
    qsort(locals, network->n_local_ports, sizeof *locals, compare_ofports);
    for (size_t i = 0; i < network->n_local_ports; i++) {
        if (locals[i].role != BINDING_ROLE_DRAINING) {
            put_output(&local, locals[i].ofport);
        }
    }
    free(locals);

    ofpbuf_init(&remote, 0);
    const char **sorted = sset_sort(network->remote_chassis);
    bool key_set = false;
    for (size_t i = 0; i < sset_count(network->remote_chassis); i++) {
        const struct tunnel *tunnel = shash_find_data(tunnels, sorted[i]);
        if (tunnel && tunnel->ofport != OFPP_NONE) {
            if (!key_set) {
                put_load(&remote, MFF_TUN_ID, vni);
                key_set = true;
            }
            put_output(&remote, tunnel->ofport);
        }
    }
    free(sorted);

    match_init_catchall(&match);
    match_set_metadata(&match, htonll(vni));
    match_set_reg(&match, PIPELINE_REG_FROM_TUNNEL, 1);
    add_flow(flows, FLOW_TABLE_FLOOD, FLOOD_PRIORITY_NETWORK, cookie, &match,
             &local);

    /* Unicast from a tunnel that no local VIF's flow took may be for a VIF
     * whose flows are on their way: also to the agent (pipeline.h). */
    size_t n_local = local.size;
    match_not_resent(&match);
    match_set_dl_dst_masked(&match, eth_addr_zero, eth_addr_multicast_bit);
    put_new_vif_punt(&local, PIPELINE_METER_NEW_VIF_FROM_TUNNEL);
    add_flow(flows, FLOW_TABLE_FLOOD, FLOOD_PRIORITY_PUNT, cookie, &match,
             &local);
    local.size = n_local;

    match_init_catchall(&match);
    match_set_metadata(&match, htonll(vni));

    match_set_reg(&match, PIPELINE_REG_FROM_TUNNEL, 0);
    ofpbuf_put(&local, remote.data, remote.size);
    add_flow(flows, FLOW_TABLE_FLOOD, FLOOD_PRIORITY_NETWORK, cookie, &match,
             &local);

    ofpbuf_uninit(&local);
    ofpbuf_uninit(&remote);
}

void
pipeline_port_add_remote_chassis(const struct roamrec_port *row,
                                 const struct roamrec_chassis *me,
                                 struct sset *names)
{
    if (row->chassis && row->chassis != me) {
        sset_add(names, row->chassis->name);
    }
    if (row->additional_chassis && row->additional_chassis != me) {
        sset_add(names, row->additional_chassis->name);
    }
}

void
pipeline_add_network_flows(const struct roamrec_network *row,
                           const struct pipeline_port *ports, size_t n_ports,
                           const struct roamrec_chassis *me,
                           const struct shash *tunnels,
                           struct flow_set *desired)
{
    struct sset remote_chassis = SSET_INITIALIZER(&remote_chassis);
    struct pipeline_port *locals = xmalloc(MAX(n_ports, 1) * sizeof *locals);
    struct pipeline_network network = {
        .row = row,
        .local_ports = locals,
        .remote_chassis = &remote_chassis,
    };

    for (size_t i = 0; i < n_ports; i++) {
        if (ports[i].role != BINDING_ROLE_REMOTE) {
            locals[network.n_local_ports++] = ports[i];
        }
        pipeline_port_add_remote_chassis(ports[i].row, me, &remote_chassis);
    }
    add_network_flows(&network, tunnels, desired);
    for (size_t i = 0; i < n_ports; i++) {
        add_port_flows(row, &ports[i], me, tunnels, desired);
    }
    free(locals);
    sset_destroy(&remote_chassis);
}

/* Adds to 'desired' the classify flow of 'priority' that drops what comes
 * in on 'ofport', with 'cookie'. */
static void
add_port_drop_flow(ofp_port_t ofport, uint16_t priority, uint64_t cookie,
                   struct flow_set *desired)
{
    struct match match;

    match_init_catchall(&match);
    match_set_in_port(&match, ofport);
    flow_set_add(desired, FLOW_TABLE_CLASSIFY, priority, cookie, &match,
                 NULL, 0);
}

void
pipeline_add_unserved_vif_flow(ofp_port_t ofport, uint64_t cookie,
                               struct flow_set *desired)
{
    add_port_drop_flow(ofport, CLASSIFY_PRIORITY_PORT, cookie, desired);
}

void
pipeline_add_non_vif_drop_flow(ofp_port_t ofport, uint64_t cookie,
                               struct flow_set *desired)
{
    add_port_drop_flow(ofport, CLASSIFY_PRIORITY_NO_VM, cookie, desired);
}

/* Initializes 'match' for the flow of pipeline_add_unknown_mac_flow(). */
static void
match_unknown_mac(uint64_t vni, struct eth_addr mac, struct match *match)
{
    match_init_catchall(match);
    match_set_metadata(match, htonll(vni));
    match_set_reg(match, PIPELINE_REG_FROM_TUNNEL, 1);
    match_not_resent(match);
    match_set_dl_dst(match, mac);
}

void
pipeline_add_unknown_mac_flow(uint64_t vni, struct eth_addr mac,
                              uint64_t cookie, struct flow_set *desired)
{
    uint64_t ofpacts_stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(ofpacts_stub);
    struct match match;

    /* Marked, the packet matches neither this flow nor the punt when it
     * goes through flood again: only the network's flooding. */
    match_unknown_mac(vni, mac, &match);
    put_load(&ofpacts, PIPELINE_MFF_RESENT, 1);
    struct ofpact_resubmit *resubmit = ofpact_put_RESUBMIT(&ofpacts);
    resubmit->in_port = OFPP_IN_PORT;
    resubmit->table_id = FLOW_TABLE_FLOOD;
    add_flow(desired, FLOW_TABLE_FLOOD, FLOOD_PRIORITY_UNKNOWN_MAC, cookie,
             &match, &ofpacts);
    ofpbuf_uninit(&ofpacts);
}

bool
pipeline_remove_unknown_mac_flow(uint64_t vni, struct eth_addr mac,
                                 struct flow_set *desired)
{
    struct match match;

    match_unknown_mac(vni, mac, &match);
    struct flow_set_entry *flow
        = flow_set_find(desired, FLOW_TABLE_FLOOD, FLOOD_PRIORITY_UNKNOWN_MAC,
                        &match);
    if (flow) {
        flow_set_remove(desired, flow);
    }
    return flow != NULL;
}

bool
pipeline_has_unknown_mac_flow(uint64_t vni, struct eth_addr mac,
                              const struct flow_set *desired)
{
    struct match match;

    match_unknown_mac(vni, mac, &match);
    return flow_set_find(desired, FLOW_TABLE_FLOOD,
                         FLOOD_PRIORITY_UNKNOWN_MAC, &match) != NULL;
}

bool
pipeline_is_new_vif_punt(uint8_t table_id,
                         enum ofp_packet_in_reason reason)
{
    return (reason == OFPR_NO_MATCH
            && (table_id == FLOW_TABLE_CLASSIFY
                || table_id == FLOW_TABLE_FLOOD));
}

void
pipeline_put_resend(struct ofpbuf *ofpacts, uint64_t tun_id)
{
    if (tun_id) {
        put_load(ofpacts, MFF_TUN_ID, tun_id);
    }
    put_load(ofpacts, PIPELINE_MFF_RESENT, 1);
    struct ofpact_resubmit *resubmit = ofpact_put_RESUBMIT(ofpacts);
    resubmit->in_port = OFPP_IN_PORT;
    resubmit->table_id = FLOW_TABLE_CLASSIFY;
}

struct ovsdb_idl_index *
pipeline_port_index_create(struct ovsdb_idl *roam_idl)
{
    return ovsdb_idl_index_create1(roam_idl, &roamrec_port_col_network);
}

void
pipeline_register_roam_idl(struct ovsdb_idl *roam_idl)
{
    /* binding.c adds the columns; the pipeline follows their changes. */
    static const struct ovsdb_idl_column *const port_columns[] = {
        &roamrec_port_col_name,
        &roamrec_port_col_network,
        &roamrec_port_col_mac,
        &roamrec_port_col_tunnel_key,
        &roamrec_port_col_chassis,
        &roamrec_port_col_additional_chassis,
    };
    for (size_t i = 0; i < ARRAY_SIZE(port_columns); i++) {
        ovsdb_idl_track_add_column(roam_idl, port_columns[i]);
    }
    ovsdb_idl_track_add_column(roam_idl, &roamrec_network_col_name);
    ovsdb_idl_track_add_column(roam_idl, &roamrec_network_col_tunnel_key);
}

static void
core_add_network_flows(const struct pipeline_ctx_in *ctx_in,
                       const struct pipeline_network *network,
                       struct flow_set *desired)
{
    add_network_flows(network, ctx_in->tunnels, desired);
}

static void
core_add_port_flows(const struct pipeline_ctx_in *ctx_in,
                    const struct pipeline_network *network,
                    const struct pipeline_port *port,
                    struct flow_set *desired)
{
    add_port_flows(network->row, port, ctx_in->chassis, ctx_in->tunnels,
                   desired);
}

/* A VM resuming sends a few RARPs (qemu: 5, spread over 1 s); a VM that
 * resumed sends at its own rate until its activation reaches the switch,
 * a few ms later, so the burst matches what the agent holds.  Likewise for
 * a new VIF's first packets, of which the agent keeps FIRST_PACKETS_MAX of
 * each kind. */
const struct pipeline_meter pipeline_meters[] = {
    { PIPELINE_METER_ACTIVATION, 100, 16 },
    { PIPELINE_METER_STANDBY, 1000, BINDING_MAX_HELD },
    { PIPELINE_METER_NEW_VIF, 1000, FIRST_PACKETS_MAX },
    { PIPELINE_METER_NEW_VIF_FROM_TUNNEL, 1000, FIRST_PACKETS_MAX },
};
const size_t pipeline_n_meters = ARRAY_SIZE(pipeline_meters);

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
    .register_roam_idl = pipeline_register_roam_idl,
    .add_static_flows = add_default_flows,
    .add_network_flows = core_add_network_flows,
    .add_port_flows = core_add_port_flows,
};
