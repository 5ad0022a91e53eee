/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

/* Unit tests for agent/pipeline: the core flows of one network, computed
 * from hand-built rows.
 *
 * Network blue (VNI 1001) as seen from chassis hv1:
 *   a  bound here, VIF ofport 5
 *   b  bound to hv2 (tunnel ofport 7)
 *   c  bound to hv3 (tunnel ofport 8)
 *   d  bound nowhere
 *   e  bound to hv2, with a MAC that is no MAC
 *   f  bound to hv4, which has no tunnel (yet) */

#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "agent/first-packets.h"
#include "agent/flow-explain.h"
#include "agent/flow-set.h"
#include "agent/flow-tables.h"
#include "agent/ofctrl.h"
#include "agent/pipeline.h"
#include "agent/plugin.h"
#include "agent/tunnels.h"
#include "agent/unknown-macs.h"
#include "byte-order.h"
#include "dp-packet.h"
#include "flow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/shash.h"
#include "ovsdb/roam-idl.h"
#include "packets.h"

static struct roamrec_chassis hv1, hv2, hv3, hv4;
static struct roamrec_network blue;
static struct roamrec_port ports[6];
static struct pipeline_port view[6];
static struct tunnel tunnel_hv2, tunnel_hv3;
static struct shash tunnels;
static struct flow_set flows;

static void
init_port(int i, const char *name, const char *mac,
          struct roamrec_chassis *chassis, ofp_port_t local_ofport)
{
    memset(&ports[i], 0, sizeof ports[i]);
    ports[i].header_.uuid.parts[0] = 0x100 + i;
    ports[i].name = CONST_CAST(char *, name);
    ports[i].mac = CONST_CAST(char *, mac);
    ports[i].tunnel_key = i + 1;
    ports[i].network = &blue;
    ports[i].chassis = chassis;
    view[i].row = &ports[i];
    view[i].role = (local_ofport != OFPP_NONE ? BINDING_ROLE_ACTIVE
                    : BINDING_ROLE_REMOTE);
    view[i].ofport = local_ofport;
}

static int
setup(void **state OVS_UNUSED)
{
    hv1.name = "hv1";
    hv2.name = "hv2";
    hv3.name = "hv3";
    hv4.name = "hv4";
    memset(&blue, 0, sizeof blue);
    blue.header_.uuid.parts[0] = 0xb1;
    blue.name = "blue";
    blue.tunnel_key = 1001;

    init_port(0, "a", "00:00:5e:00:53:0a", &hv1, u16_to_ofp(5));
    init_port(1, "b", "00:00:5e:00:53:0b", &hv2, OFPP_NONE);
    init_port(2, "c", "00:00:5e:00:53:0c", &hv3, OFPP_NONE);
    init_port(3, "d", "00:00:5e:00:53:0d", NULL, OFPP_NONE);
    init_port(4, "e", "not-a-mac", &hv2, OFPP_NONE);
    init_port(5, "f", "00:00:5e:00:53:0f", &hv4, OFPP_NONE);

    tunnel_hv2 = (struct tunnel) { .chassis = &hv2, .type = "geneve",
                                   .remote_ip = "192.0.2.12",
                                   .ofport = u16_to_ofp(7) };
    tunnel_hv3 = (struct tunnel) { .chassis = &hv3, .type = "geneve",
                                   .remote_ip = "192.0.2.13",
                                   .ofport = u16_to_ofp(8) };
    shash_init(&tunnels);
    shash_add(&tunnels, "hv2", &tunnel_hv2);
    shash_add(&tunnels, "hv3", &tunnel_hv3);

    flow_set_init(&flows);
    pipeline_add_network_flows(&blue, view, ARRAY_SIZE(view), &hv1,
                               &tunnels, &flows);
    return 0;
}

static int
teardown(void **state OVS_UNUSED)
{
    flow_set_destroy(&flows);
    shash_destroy(&tunnels);
    return 0;
}

/* Returns the actions of the flow with 'table', 'priority' and 'match' as
 * ovs-ofctl would print them, or NULL if there is no such flow.  The caller
 * frees the string. */
static char *
actions_in(const struct flow_set *set, uint8_t table, uint16_t priority,
           const struct match *match, uint64_t *cookie)
{
    const struct flow_set_entry *e = flow_set_find(set, table, priority,
                                                   match);
    if (!e) {
        return NULL;
    }
    struct ds s = DS_EMPTY_INITIALIZER;
    struct ofpact_format_params fp = { .s = &s };
    ofpacts_format(e->ofpacts, e->ofpacts_len, &fp);
    if (cookie) {
        *cookie = e->cookie;
    }
    return ds_steal_cstr(&s);
}

/* actions_in() the flows of the fixture. */
static char *
actions_of(uint8_t table, uint16_t priority, const struct match *match,
           uint64_t *cookie)
{
    return actions_in(&flows, table, priority, match, cookie);
}

static void
assert_actions_in(const struct flow_set *set, uint8_t table,
                  uint16_t priority, const struct match *match,
                  const char *expected, uint64_t expected_cookie)
{
    uint64_t cookie = 0;
    char *actions = actions_in(set, table, priority, match, &cookie);

    if (!actions) {
        fail_msg("table %d priority %d: expected a flow with actions %s, "
                 "found none", table, priority, expected);
    }
    if (strcmp(actions, expected)) {
        fail_msg("table %d priority %d: expected actions \"%s\", got \"%s\"",
                 table, priority, expected, actions);
    }
    assert_int_equal(cookie, expected_cookie);
    free(actions);
}

static void
assert_actions(uint8_t table, uint16_t priority, const struct match *match,
               const char *expected, uint64_t expected_cookie)
{
    assert_actions_in(&flows, table, priority, match, expected,
                      expected_cookie);
}

static void
l2_match(struct match *match, const char *mac)
{
    struct eth_addr ea;

    assert_true(eth_addr_from_string(mac, &ea));
    match_init_catchall(match);
    match_set_metadata(match, htonll(1001));
    match_set_dl_dst(match, ea);
}

static uint64_t
cookie_of_port(int i)
{
    return flow_set_cookie_from_uuid(&ports[i].header_.uuid);
}

static void
local_vif_is_classified_into_its_network(void **state OVS_UNUSED)
{
    struct match match;

    match_init_catchall(&match);
    match_set_in_port(&match, u16_to_ofp(5));
    assert_actions(FLOW_TABLE_CLASSIFY, 100, &match,
                   "set_field:0x3e9->metadata,set_field:0x1->reg14,"
                   "set_field:0->reg10,goto_table:20", cookie_of_port(0));
}

static void
tunnel_key_is_classified_into_its_network(void **state OVS_UNUSED)
{
    struct match match;

    match_init_catchall(&match);
    match_set_tun_id(&match, htonll(1001));
    assert_actions(FLOW_TABLE_CLASSIFY, 100, &match,
                   "set_field:0x3e9->metadata,set_field:0->reg14,"
                   "set_field:0x1->reg10,goto_table:20",
                   flow_set_cookie_from_uuid(&blue.header_.uuid));
}

static void
remote_vifs_get_no_classify_flow(void **state OVS_UNUSED)
{
    struct match match;

    for (int ofport = 6; ofport <= 8; ofport++) {
        match_init_catchall(&match);
        match_set_in_port(&match, u16_to_ofp(ofport));
        assert_null(actions_of(FLOW_TABLE_CLASSIFY, 100, &match, NULL));
    }
}

static void
local_mac_goes_to_its_vif(void **state OVS_UNUSED)
{
    struct match match;

    /* From a VIF and from a tunnel alike. */
    for (int from_tunnel = 0; from_tunnel < 2; from_tunnel++) {
        l2_match(&match, "00:00:5e:00:53:0a");
        match_set_reg(&match, 10, from_tunnel);
        assert_actions(FLOW_TABLE_L2_LOOKUP, 100, &match, "output:5",
                       cookie_of_port(0));
    }
}

static void
remote_mac_goes_into_its_chassis_tunnel_with_the_vni(void **state OVS_UNUSED)
{
    struct match match;

    l2_match(&match, "00:00:5e:00:53:0b");
    match_set_reg(&match, 10, 0);
    assert_actions(FLOW_TABLE_L2_LOOKUP, 100, &match,
                   "set_field:0x3e9->tun_id,output:7", cookie_of_port(1));

    l2_match(&match, "00:00:5e:00:53:0c");
    match_set_reg(&match, 10, 0);
    assert_actions(FLOW_TABLE_L2_LOOKUP, 100, &match,
                   "set_field:0x3e9->tun_id,output:8", cookie_of_port(2));
}

static void
unbound_bad_or_tunnelless_ports_get_no_l2_flow(void **state OVS_UNUSED)
{
    struct match match;

    l2_match(&match, "00:00:5e:00:53:0d");
    assert_null(actions_of(FLOW_TABLE_L2_LOOKUP, 100, &match, NULL));
    match_set_reg(&match, 10, 0);
    assert_null(actions_of(FLOW_TABLE_L2_LOOKUP, 100, &match, NULL));

    l2_match(&match, "00:00:5e:00:53:0f");
    match_set_reg(&match, 10, 0);
    assert_null(actions_of(FLOW_TABLE_L2_LOOKUP, 100, &match, NULL));

    /* Port e's MAC is invalid: only the other ports' l2 flows exist. */
    size_t n_l2 = 0;
    const struct flow_set_entry *e;
    HMAP_FOR_EACH (e, node, &flows.flows) {
        n_l2 += e->table_id == FLOW_TABLE_L2_LOOKUP;
    }
    assert_int_equal(n_l2, 4);
}

static void
flood_from_vif_reaches_local_vifs_and_each_chassis(void **s OVS_UNUSED)
{
    struct match match;

    match_init_catchall(&match);
    match_set_metadata(&match, htonll(1001));
    match_set_reg(&match, 10, 0);
    /* hv2 has two ports (b, e) but gets one copy; hv4 has no tunnel. */
    assert_actions(FLOW_TABLE_FLOOD, 100, &match,
                   "output:5,set_field:0x3e9->tun_id,output:7,output:8",
                   flow_set_cookie_from_uuid(&blue.header_.uuid));
}

static void
flood_from_tunnel_never_goes_back_into_one(void **state OVS_UNUSED)
{
    struct match match;

    match_init_catchall(&match);
    match_set_metadata(&match, htonll(1001));
    match_set_reg(&match, 10, 1);
    assert_actions(FLOW_TABLE_FLOOD, 100, &match, "output:5",
                   flow_set_cookie_from_uuid(&blue.header_.uuid));
}

static void
unknown_mac_is_flooded_without_the_agent(void **state OVS_UNUSED)
{
    struct flow_set set;
    struct eth_addr mac;
    struct match match;

    assert_true(eth_addr_from_string("00:00:5e:00:53:99", &mac));
    flow_set_init(&set);
    flow_set_copy(&set, &flows);
    size_t n = flow_set_count(&set);
    uint64_t cookie = flow_set_cookie_from_uuid(&blue.header_.uuid);

    assert_false(pipeline_has_unknown_mac_flow(1001, mac, &set));
    pipeline_add_unknown_mac_flow(1001, mac, cookie, &set);
    assert_int_equal(flow_set_count(&set), n + 1);
    assert_true(pipeline_has_unknown_mac_flow(1001, mac, &set));
    assert_false(pipeline_has_unknown_mac_flow(1002, mac, &set));

    /* Above the punt (110), for packets from a tunnel that the agent did
     * not send on; marked, the packet goes through flood again and takes
     * the network's flooding (100), not the punt. */
    match_init_catchall(&match);
    match_set_metadata(&match, htonll(1001));
    match_set_reg(&match, 10, 1);
    match_set_reg(&match, 13, 0);
    match_set_dl_dst(&match, mac);
    const struct flow_set_entry *e = flow_set_find(&set, FLOW_TABLE_FLOOD,
                                                   120, &match);
    assert_non_null(e);
    assert_int_equal(e->cookie, cookie);
    struct ds s = DS_EMPTY_INITIALIZER;
    struct ofpact_format_params fp = { .s = &s };
    ofpacts_format(e->ofpacts, e->ofpacts_len, &fp);
    assert_string_equal(ds_cstr(&s), "set_field:0x1->reg13,resubmit(,30)");
    ds_destroy(&s);

    assert_true(pipeline_remove_unknown_mac_flow(1001, mac, &set));
    assert_false(pipeline_remove_unknown_mac_flow(1001, mac, &set));
    assert_int_equal(flow_set_count(&set), n);
    flow_set_destroy(&set);
}

/* Asserts that unknown_macs_format() prints "unknown MACs flooded from
 * tunnels without the agent: " 'counts' for 'um'. */
static void
assert_unknown_macs_status(const struct unknown_macs *um, const char *counts)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    char *expected = xasprintf("unknown MACs flooded from tunnels without "
                               "the agent: %s\n", counts);

    unknown_macs_format(um, &s);
    assert_string_equal(ds_cstr(&s), expected);
    free(expected);
    ds_destroy(&s);
}

static void
unknown_macs_are_bounded_and_expire_together(void **state OVS_UNUSED)
{
    struct unknown_macs um;
    struct flow_set set;
    struct eth_addr mac = ETH_ADDR_C(00,00,5e,00,53,99);

    unknown_macs_init(&um);
    flow_set_init(&set);
    assert_true(unknown_macs_next_expiry(&um, 5000) == LLONG_MAX);

    /* Learned once, with its flow, under the network's cookie. */
    assert_true(unknown_macs_add(&um, 1001, mac, &blue.header_.uuid, false,
                                 100, &set));
    assert_false(unknown_macs_add(&um, 1001, mac, &blue.header_.uuid, false,
                                  200, &set));
    assert_true(pipeline_has_unknown_mac_flow(1001, mac, &set));
    assert_int_equal(flow_set_count(&set), 1);
    const struct flow_set_entry *e;
    HMAP_FOR_EACH (e, node, &set.flows) {
        assert_int_equal(e->cookie,
                         flow_set_cookie_from_uuid(&blue.header_.uuid));
    }

    /* The same MAC in another network is another entry. */
    assert_true(unknown_macs_add(&um, 1002, mac, &blue.header_.uuid, false,
                                 900, &set));

    /* Both are due within the same second of the clock (at 5100 and
     * 5900): one wake-up, at 6000, forgets both. */
    assert_int_equal(unknown_macs_next_expiry(&um, 5000), 6000);
    assert_false(unknown_macs_expire(&um, 5000, 5099, &set));
    assert_int_equal(hmap_count(&um.entries), 2);
    assert_true(unknown_macs_expire(&um, 5000, 6000, &set));
    assert_int_equal(hmap_count(&um.entries), 0);
    assert_int_equal(flow_set_count(&set), 0);
    assert_true(unknown_macs_next_expiry(&um, 5000) == LLONG_MAX);

    /* Due at 5100 and 6100: the wake-up at 6000 forgets the first, and the
     * next one is later than it, so that the agent never spins. */
    assert_true(unknown_macs_add(&um, 1001, mac, &blue.header_.uuid, false,
                                 100, &set));
    assert_true(unknown_macs_add(&um, 1002, mac, &blue.header_.uuid, false,
                                 1100, &set));
    assert_true(unknown_macs_expire(&um, 5000, 6000, &set));
    assert_false(pipeline_has_unknown_mac_flow(1001, mac, &set));
    assert_true(pipeline_has_unknown_mac_flow(1002, mac, &set));
    assert_int_equal(unknown_macs_next_expiry(&um, 5000), 7000);
    /* A timeout of 0 forgets everything. */
    assert_true(unknown_macs_expire(&um, 0, 6000, &set));
    assert_int_equal(flow_set_count(&set), 0);
    assert_true(unknown_macs_next_expiry(&um, 5000) == LLONG_MAX);

    /* At most UNKNOWN_MACS_MAX; the packets of the rest are counted. */
    for (int i = 0; i < UNKNOWN_MACS_MAX + 3; i++) {
        struct eth_addr m = ETH_ADDR_C(02,00,00,00,00,00);
        m.ea[4] = i >> 8;
        m.ea[5] = i;
        bool added = unknown_macs_add(&um, 1001, m, &blue.header_.uuid,
                                      false, 10000, &set);
        assert_int_equal(added, i < UNKNOWN_MACS_MAX);
    }
    assert_int_equal(hmap_count(&um.entries), UNKNOWN_MACS_MAX);
    assert_int_equal(flow_set_count(&set), UNKNOWN_MACS_MAX);
    assert_int_equal(um.n_full, 3);
    assert_int_equal(um.n_learned, 4 + UNKNOWN_MACS_MAX);

    assert_unknown_macs_status(&um, "1024 (1028 learned, 0 Ports' MACs "
                               "waiting, 3 packets to further MACs)");

    unknown_macs_destroy(&um);
    flow_set_destroy(&set);
}

/* The MAC of a Port bound nowhere is learned only once its traffic has
 * come for UNKNOWN_MACS_PORT_WAIT without a pause as long (a cold move's
 * VIF comes sooner); after it expires, its next packet learns it again. */
static void
ports_macs_wait_before_they_are_learned(void **state OVS_UNUSED)
{
    const long long int wait = UNKNOWN_MACS_PORT_WAIT;
    struct eth_addr mac = ETH_ADDR_C(00,00,5e,00,53,99);
    const struct uuid *net = &blue.header_.uuid;
    struct unknown_macs um;
    struct flow_set set;

    unknown_macs_init(&um);
    flow_set_init(&set);

    /* Traffic from 1000 on: due at 1000 + wait, not a millisecond
     * before; due it stays until it is learned, which ends its wait. */
    assert_false(unknown_macs_wait_port_mac(&um, 1001, mac, net, 1000));
    assert_int_equal(hmap_count(&um.waiting), 1);
    assert_false(unknown_macs_wait_port_mac(&um, 1001, mac, net, 3000));
    assert_false(unknown_macs_wait_port_mac(&um, 1001, mac, net,
                                            1000 + wait - 1));
    assert_true(unknown_macs_wait_port_mac(&um, 1001, mac, net,
                                           1000 + wait));
    assert_true(unknown_macs_wait_port_mac(&um, 1001, mac, net,
                                           1000 + wait + 1));
    assert_true(unknown_macs_add(&um, 1001, mac, net, true, 1000 + wait + 1,
                                 &set));
    assert_int_equal(hmap_count(&um.waiting), 0);
    assert_true(unknown_macs_expire(&um, 0, 1000 + wait + 1, &set));

    /* A pause shorter than the wait does not restart it; one as long
     * does. */
    long long int t = 100000;
    assert_false(unknown_macs_wait_port_mac(&um, 1001, mac, net, t));
    assert_false(unknown_macs_wait_port_mac(&um, 1001, mac, net,
                                            t + wait - 1));
    assert_false(unknown_macs_wait_port_mac(&um, 1001, mac, net,
                                            t + 2 * wait - 1));
    assert_false(unknown_macs_wait_port_mac(&um, 1001, mac, net,
                                            t + 3 * wait - 1));
    assert_false(unknown_macs_wait_port_mac(&um, 1001, mac, net,
                                            t + 4 * wait - 2));
    assert_true(unknown_macs_wait_port_mac(&um, 1001, mac, net,
                                           t + 4 * wait - 1));

    /* Waiting is per network: the same MAC in another one starts its
     * own. */
    assert_false(unknown_macs_wait_port_mac(&um, 1002, mac, net, t));
    assert_int_equal(hmap_count(&um.waiting), 2);

    /* Learned (which ends its wait), and expired: its next packet, within
     * the wait, learns it again at once.  A MAC of no Port waits for
     * nothing after it expires. */
    t = 200000;
    assert_true(unknown_macs_add(&um, 1001, mac, net, true, t, &set));
    assert_int_equal(hmap_count(&um.waiting), 1);   /* The one of 1002. */
    assert_true(unknown_macs_expire(&um, 60000, t + 60000, &set));
    assert_false(pipeline_has_unknown_mac_flow(1001, mac, &set));
    assert_int_equal(hmap_count(&um.waiting), 2);
    assert_true(unknown_macs_wait_port_mac(&um, 1001, mac, net,
                                           t + 60000 + wait - 1));
    assert_true(unknown_macs_add(&um, 1001, mac, net, true,
                                 t + 60000 + wait - 1, &set));
    assert_int_equal(hmap_count(&um.waiting), 1);
    /* After a pause, it waits again. */
    assert_true(unknown_macs_expire(&um, 60000, t + 200000, &set));
    assert_int_equal(hmap_count(&um.waiting), 2);
    assert_false(unknown_macs_wait_port_mac(&um, 1001, mac, net,
                                            t + 200000 + wait));
    struct eth_addr other = ETH_ADDR_C(00,00,5e,00,53,98);
    assert_true(unknown_macs_add(&um, 1001, other, net, false, t + 200000,
                                 &set));
    assert_true(unknown_macs_expire(&um, 60000, t + 300000, &set));
    assert_int_equal(hmap_count(&um.waiting), 2);

    /* At most UNKNOWN_MACS_MAX wait; the packets of the rest are counted,
     * until some pause (looked for at most once a second). */
    unknown_macs_destroy(&um);
    unknown_macs_init(&um);
    t = 300000;
    for (int i = 0; i < UNKNOWN_MACS_MAX + 2; i++) {
        struct eth_addr m = ETH_ADDR_C(02,00,00,00,00,00);
        m.ea[4] = i >> 8;
        m.ea[5] = i;
        unknown_macs_wait_port_mac(&um, 1001, m, net, t + (i == 0 ? 0 : 1));
    }
    assert_int_equal(hmap_count(&um.waiting), UNKNOWN_MACS_MAX);
    assert_int_equal(um.n_full, 2);
    assert_false(unknown_macs_wait_port_mac(&um, 1001, mac, net, t + wait));
    assert_int_equal(um.n_full, 2);
    assert_int_equal(hmap_count(&um.waiting), UNKNOWN_MACS_MAX);

    assert_unknown_macs_status(&um, "0 (0 learned, 1024 Ports' MACs "
                               "waiting, 2 packets to further MACs)");

    unknown_macs_destroy(&um);
    flow_set_destroy(&set);
}

static void
every_flow_after_classify_matches_the_network(void **state OVS_UNUSED)
{
    const struct flow_set_entry *e;

    HMAP_FOR_EACH (e, node, &flows.flows) {
        if (e->table_id != FLOW_TABLE_CLASSIFY) {
            struct match match;
            minimatch_expand(e->match, &match);
            assert_int_equal(match.wc.masks.metadata, OVS_BE64_MAX);
            assert_int_equal(ntohll(match.flow.metadata), 1001);
        }
    }
}

static void
duplicate_mac_yields_one_flow(void **state OVS_UNUSED)
{
    /* A second local port with a's MAC. */
    struct roamrec_port dup = ports[0];
    struct pipeline_port dup_view = {
        .row = &dup, .role = BINDING_ROLE_ACTIVE, .ofport = u16_to_ofp(9),
    };
    struct flow_set dup_flows;
    struct match match;

    dup.header_.uuid.parts[0] = 0x200;
    dup.name = "a-again";
    flow_set_init(&dup_flows);
    pipeline_add_network_flows(&blue, view, 1, &hv1, &tunnels, &dup_flows);
    pipeline_add_network_flows(&blue, &dup_view, 1, &hv1, &tunnels,
                               &dup_flows);
    l2_match(&match, "00:00:5e:00:53:0a");
    match_set_reg(&match, 10, 0);
    assert_non_null(flow_set_find(&dup_flows, FLOW_TABLE_L2_LOOKUP, 100,
                                  &match));
    size_t n_l2 = 0;
    const struct flow_set_entry *e;
    HMAP_FOR_EACH (e, node, &dup_flows.flows) {
        n_l2 += e->table_id == FLOW_TABLE_L2_LOOKUP;
    }
    assert_int_equal(n_l2, 2);
    flow_set_destroy(&dup_flows);
}

/* Port a (here, VIF ofport 5) and a port with a's MAC bound to hv2: one
 * conflict, which the port whose UUID sorts first wins, as it does on
 * hv2.  From a tunnel, only a local port is a candidate. */
static void
duplicate_mac_here_and_elsewhere_is_one_conflict(void **state OVS_UNUSED)
{
    static const struct {
        uint32_t dup_uuid;
        const char *from_vif;
    } cases[] = {
        { 0x200, "output:5" },                               /* a first */
        { 0x050, "set_field:0x3e9->tun_id,output:7" },       /* dup first */
    };

    for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
        struct roamrec_port dup = ports[1];
        struct pipeline_port dup_view = {
            .row = &dup, .role = BINDING_ROLE_REMOTE, .ofport = OFPP_NONE,
        };
        struct flow_set dup_flows;
        struct match match;

        dup.header_.uuid.parts[0] = cases[i].dup_uuid;
        dup.name = "a-elsewhere";
        dup.mac = ports[0].mac;
        flow_set_init(&dup_flows);
        pipeline_add_network_flows(&blue, &dup_view, 1, &hv1, &tunnels,
                                   &dup_flows);
        pipeline_add_network_flows(&blue, view, 1, &hv1, &tunnels,
                                   &dup_flows);

        l2_match(&match, "00:00:5e:00:53:0a");
        match_set_reg(&match, 10, 0);
        bool dup_wins = cases[i].dup_uuid < ports[0].header_.uuid.parts[0];
        assert_actions_in(&dup_flows, FLOW_TABLE_L2_LOOKUP, 100, &match,
                          cases[i].from_vif,
                          flow_set_cookie_from_uuid(dup_wins
                                                    ? &dup.header_.uuid
                                                    : &ports[0].header_.uuid));
        match_set_reg(&match, 10, 1);
        assert_actions_in(&dup_flows, FLOW_TABLE_L2_LOOKUP, 100, &match,
                          "output:5", cookie_of_port(0));
        flow_set_destroy(&dup_flows);
    }
}

static void
unicast_from_tunnel_also_goes_to_the_agent(void **state OVS_UNUSED)
{
    struct match match;

    match_init_catchall(&match);
    match_set_metadata(&match, htonll(1001));
    match_set_reg(&match, 10, 1);
    match_set_reg(&match, 13, 0);
    match_set_dl_dst_masked(&match, eth_addr_zero,
                            (struct eth_addr) ETH_ADDR_C(01,00,00,00,00,00));
    assert_actions(FLOW_TABLE_FLOOD, 110, &match,
                   "output:5,controller(reason=no_match,meter_id=4)",
                   flow_set_cookie_from_uuid(&blue.header_.uuid));

    /* Broadcast and multicast are flooded as before, without the agent. */
    match_set_dl_dst_masked(&match,
                            (struct eth_addr) ETH_ADDR_C(01,00,00,00,00,00),
                            (struct eth_addr) ETH_ADDR_C(01,00,00,00,00,00));
    assert_null(actions_of(FLOW_TABLE_FLOOD, 110, &match, NULL));
}

static void
unclassified_packets_of_no_tunnel_go_to_the_agent(void **state OVS_UNUSED)
{
    struct flow_set statics;
    struct match match;

    flow_set_init(&statics);
    pipeline_core_plugin.add_static_flows(&statics);

    match_init_catchall(&match);
    match_set_tun_src(&match, htonl(0));
    match_set_tun_ipv6_src(&match, &in6addr_any);
    match_set_reg(&match, 13, 0);
    const struct flow_set_entry *e = flow_set_find(&statics,
                                                   FLOW_TABLE_CLASSIFY, 1,
                                                   &match);
    assert_non_null(e);
    const struct ofpact_controller *oc = ofpact_get_CONTROLLER(e->ofpacts);
    assert_int_equal(oc->ofpact.type, OFPACT_CONTROLLER);
    assert_int_equal(oc->reason, OFPR_NO_MATCH);
    assert_int_equal(oc->meter_id, PIPELINE_METER_NEW_VIF);
    assert_true(pipeline_is_new_vif_punt(FLOW_TABLE_CLASSIFY,
                                         OFPR_NO_MATCH));
    assert_true(pipeline_is_new_vif_punt(FLOW_TABLE_FLOOD, OFPR_NO_MATCH));
    /* A standby VIF's packet-ins are not. */
    assert_false(pipeline_is_new_vif_punt(FLOW_TABLE_CLASSIFY,
                                          OFPR_ACTION));

    /* The bridge's own port is dropped, above. */
    match_init_catchall(&match);
    match_set_in_port(&match, OFPP_LOCAL);
    e = flow_set_find(&statics, FLOW_TABLE_CLASSIFY, 2, &match);
    assert_non_null(e);
    assert_int_equal(e->ofpacts_len, 0);

    /* The meters exist, one for each kind, so that the steady-state
     * unicast from tunnels to MACs of no VIF cannot crowd out what a new VM
     * sends. */
    bool found = false, found_tunnel = false;
    for (size_t i = 0; i < pipeline_n_meters; i++) {
        found |= pipeline_meters[i].id == PIPELINE_METER_NEW_VIF;
        found_tunnel |= (pipeline_meters[i].id
                         == PIPELINE_METER_NEW_VIF_FROM_TUNNEL);
    }
    assert_true(found);
    assert_true(found_tunnel);
    assert_int_not_equal(PIPELINE_METER_NEW_VIF,
                         PIPELINE_METER_NEW_VIF_FROM_TUNNEL);
    flow_set_destroy(&statics);
}

/* Asserts that 'set' has one flow in classify that sends to the agent, and
 * that its priority is below 'priority'. */
static void
assert_above_the_punt(const struct flow_set *set, uint16_t priority)
{
    const struct flow_set_entry *e;
    size_t n_punts = 0;

    HMAP_FOR_EACH (e, node, &set->flows) {
        const struct ofpact *a;
        OFPACT_FOR_EACH (a, e->ofpacts, e->ofpacts_len) {
            if (e->table_id == FLOW_TABLE_CLASSIFY
                && a->type == OFPACT_CONTROLLER) {
                assert_true(e->priority < priority);
                n_punts++;
            }
        }
    }
    assert_int_equal(n_punts, 1);
}

/* Adds, with 'add_drop', the flow that drops what comes in on port 9 to
 * 'set', with the static flows; checks that it is classify's one flow with
 * that match, a drop whose cookie is the Interface's, above the flow that
 * would send what comes from there to the agent.  Returns the flow. */
static const struct flow_set_entry *
check_port_drop_flow(void (*add_drop)(ofp_port_t, uint64_t,
                                      struct flow_set *),
                     struct flow_set *set)
{
    const struct flow_set_entry *drop = NULL, *e;
    struct match match;
    struct uuid iface;

    pipeline_core_plugin.add_static_flows(set);
    uuid_generate(&iface);
    add_drop(u16_to_ofp(9), flow_set_cookie_from_uuid(&iface), set);

    match_init_catchall(&match);
    match_set_in_port(&match, u16_to_ofp(9));
    HMAP_FOR_EACH (e, node, &set->flows) {
        struct match m;
        minimatch_expand(e->match, &m);
        if (e->table_id == FLOW_TABLE_CLASSIFY && match_equal(&m, &match)) {
            assert_null(drop);
            drop = e;
        }
    }
    assert_non_null(drop);
    assert_int_equal(drop->ofpacts_len, 0);
    assert_int_equal(drop->cookie, flow_set_cookie_from_uuid(&iface));
    assert_above_the_punt(set, drop->priority);
    return drop;
}

/* What a VIF that is not served here sends is dropped in the switch, above
 * the flow that would send it to the agent as a new VIF's first packets,
 * with the priority of a VIF's own flows, which replace it once the VIF is
 * served. */
static void
unserved_vif_is_dropped_before_reaching_the_agent(void **state OVS_UNUSED)
{
    struct flow_set set;

    flow_set_init(&set);
    const struct flow_set_entry *drop
        = check_port_drop_flow(pipeline_add_unserved_vif_flow, &set);
    assert_int_equal(drop->priority, 100);
    flow_set_destroy(&set);
}

/* What comes from a port of the integration bridge that is no VIF (no
 * iface-id) is dropped in the switch too, but below a VIF's flows on that
 * port, which take over as soon as the interface becomes a VIF. */
static void
non_vif_iface_is_dropped_below_vif_flows(void **state OVS_UNUSED)
{
    struct flow_set set;

    flow_set_init(&set);
    const struct flow_set_entry *drop
        = check_port_drop_flow(pipeline_add_non_vif_drop_flow, &set);
    uint16_t drop_priority = drop->priority;

    /* The drop flow of a VIF on that port (another Interface row): both
     * are in the table, the VIF's above. */
    struct uuid vif_iface;
    uuid_generate(&vif_iface);
    size_t n_before = flow_set_count(&set);
    pipeline_add_unserved_vif_flow(u16_to_ofp(9),
                                   flow_set_cookie_from_uuid(&vif_iface),
                                   &set);
    assert_int_equal(flow_set_count(&set), n_before + 1);
    struct match match;
    match_init_catchall(&match);
    match_set_in_port(&match, u16_to_ofp(9));
    const struct flow_set_entry *vif_flow = NULL, *e;
    HMAP_FOR_EACH (e, node, &set.flows) {
        if (e->cookie == flow_set_cookie_from_uuid(&vif_iface)) {
            vif_flow = e;
        }
    }
    assert_non_null(vif_flow);
    assert_true(drop_priority < vif_flow->priority);
    flow_set_destroy(&set);
}

/* explain-flow takes a cookie, or a flow as ovs-ofctl prints it. */
static void
explain_flow_reads_a_cookie_or_a_flow(void **state OVS_UNUSED)
{
    static const struct {
        const char *arg;
        uint64_t cookie;
    } good[] = {
        { "0x3416d78abb5240ff", UINT64_C(0x3416d78abb5240ff) },
        { "3416D78ABB5240FF", UINT64_C(0x3416d78abb5240ff) },
        { " 0x1f", 0x1f },
        { "cookie=0xa40ff, duration=3.2s, table=20, n_packets=0, "
          "priority=100,metadata=0x3e9,dl_dst=00:00:5e:00:53:02 "
          "actions=output:5", 0xa40ff },
        { "cookie=0x5/-1", 5 },
        { "cookie=0x5/0xffffffffffffffff, table=30", 5 },
        { " 0x1f \n", 0x1f },
        { "table=0, priority=0 actions=drop", 0 },
        /* A cookie in the actions is not the flow's. */
        { "priority=5 actions=learn(table=1,cookie=0x7)", 0 },
        { "cookie=0x2a, priority=100,ip,nw_dst=192.0.2.1 actions=drop",
          0x2a },
    };
    static const char *const bad[] = {
        "", "0x", "xyz", "0x12345678901234567", "12g", "table=0, priority=0",
        "0x1f junk", "0x1f 0x2f", "cookie=0x5/0xff", "cookie=0x5/",
        "cookie=, table=0", "cookie", "ip,priority=5",
    };

    for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
        uint64_t cookie = 42;
        char *error = flow_explain_parse_cookie(good[i].arg, &cookie);
        if (error) {
            fail_msg("\"%s\": %s", good[i].arg, error);
        }
        assert_true(cookie == good[i].cookie);
    }
    for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
        uint64_t cookie;
        char *error = flow_explain_parse_cookie(bad[i], &cookie);
        if (!error) {
            fail_msg("\"%s\" was taken as cookie %#"PRIx64, bad[i],
                     cookie);
        }
        assert_non_null(strstr(error, "neither a cookie"));
        free(error);
    }
}

static void
first_packets_are_sent_on_marked(void **state OVS_UNUSED)
{
    struct ofpbuf ofpacts;
    struct ds s = DS_EMPTY_INITIALIZER;
    struct ofpact_format_params fp = { .s = &s };

    ofpbuf_init(&ofpacts, 0);
    pipeline_put_resend(&ofpacts, 1001);
    ofpacts_format(ofpacts.data, ofpacts.size, &fp);
    assert_string_equal(ds_cstr(&s), "set_field:0x3e9->tun_id,"
                        "set_field:0x1->reg13,resubmit(,0)");

    ds_clear(&s);
    ofpbuf_clear(&ofpacts);
    pipeline_put_resend(&ofpacts, 0);
    ofpacts_format(ofpacts.data, ofpacts.size, &fp);
    assert_string_equal(ds_cstr(&s), "set_field:0x1->reg13,resubmit(,0)");
    ds_destroy(&s);
    ofpbuf_uninit(&ofpacts);
}

/* A packet-in from 'table' on 'in_port' with tunnel key 'tun_id', to MAC
 * 'dst'. */
static struct ofctrl_packet_in *
make_punt(uint8_t table, ofp_port_t in_port, uint64_t tun_id,
          const char *dst)
{
    struct ofctrl_packet_in *pin = xzalloc(sizeof *pin);
    struct eth_addr ea;

    assert_true(eth_addr_from_string(dst, &ea));
    pin->table_id = table;
    pin->reason = OFPR_NO_MATCH;
    pin->in_port = in_port;
    pin->tun_id = tun_id;
    pin->packet = dp_packet_new(64);
    struct eth_header *eth = dp_packet_put_zeros(pin->packet, 64);
    eth->eth_dst = ea;
    eth->eth_type = htons(ETH_TYPE_IP);
    return pin;
}

static void
first_packet_belongs_to_the_vif_by_port_or_by_mac(void **s OVS_UNUSED)
{
    /* From port a's VIF (ofport 5) before its flows. */
    struct ofctrl_packet_in *pin = make_punt(FLOW_TABLE_CLASSIFY,
                                             u16_to_ofp(5), 0,
                                             "00:00:5e:00:53:0b");
    assert_true(first_packets_is_for(pin, &ports[0], u16_to_ofp(5)));
    assert_false(first_packets_is_for(pin, &ports[0], u16_to_ofp(6)));
    ofctrl_packet_in_destroy(pin);

    /* From a tunnel with blue's key to a's MAC. */
    pin = make_punt(FLOW_TABLE_FLOOD, u16_to_ofp(7), 1001,
                    "00:00:5e:00:53:0a");
    assert_true(first_packets_is_for(pin, &ports[0], u16_to_ofp(5)));
    assert_false(first_packets_is_for(pin, &ports[1], u16_to_ofp(5)));
    /* The MAC of port e is invalid: nothing is for it. */
    assert_false(first_packets_is_for(pin, &ports[4], u16_to_ofp(5)));
    ofctrl_packet_in_destroy(pin);

    /* Another network's key, with a's MAC. */
    pin = make_punt(FLOW_TABLE_FLOOD, u16_to_ofp(7), 1002,
                    "00:00:5e:00:53:0a");
    assert_false(first_packets_is_for(pin, &ports[0], u16_to_ofp(5)));
    ofctrl_packet_in_destroy(pin);
}

static void
first_packets_for_no_vif_from_tunnels_are_handed_out(void **s OVS_UNUSED)
{
    struct binding_state binding;
    struct first_packets fp;

    binding_state_init(&binding);
    first_packets_init(&fp);
    assert_true(first_packets_take(&fp, make_punt(FLOW_TABLE_CLASSIFY,
                                                  u16_to_ofp(5), 0,
                                                  "00:00:5e:00:53:0b"), 0));
    assert_true(first_packets_take(&fp, make_punt(FLOW_TABLE_FLOOD,
                                                  u16_to_ofp(1), 1001,
                                                  "00:00:5e:00:53:99"), 0));

    /* No VIF here: both are dropped, and the one from a tunnel is handed
     * out (for unknown-macs.h), the other freed. */
    struct first_packets_ctx_in in = {
        .binding = &binding, .chassis = &hv1, .flows_sent = true, .now = 1,
    };
    struct ovs_list out = OVS_LIST_INITIALIZER(&out);
    struct ovs_list no_vif = OVS_LIST_INITIALIZER(&no_vif);
    first_packets_run(&in, &fp, &out, &no_vif);
    assert_true(ovs_list_is_empty(&out));
    assert_int_equal(ovs_list_size(&no_vif), 1);
    struct first_packet *p = CONTAINER_OF(ovs_list_front(&no_vif),
                                          struct first_packet, list_node);
    assert_int_equal(p->pin->table_id, FLOW_TABLE_FLOOD);
    assert_int_equal(p->pin->tun_id, 1001);
    assert_int_equal(fp.n_pending, 0);
    assert_int_equal(fp.n_from_tunnel, 0);
    assert_int_equal(fp.n_dropped, 2);
    LIST_FOR_EACH_POP (p, list_node, &no_vif) {
        first_packet_destroy(p);
    }
    first_packets_destroy(&fp);
    binding_state_destroy(&binding);
}

static void
first_packets_are_kept_bounded(void **state OVS_UNUSED)
{
    struct first_packets fp;

    first_packets_init(&fp);
    /* A standby VIF's packet-in is not taken. */
    struct ofctrl_packet_in *pin = make_punt(FLOW_TABLE_CLASSIFY,
                                             u16_to_ofp(5), 0,
                                             "00:00:5e:00:53:0b");
    pin->reason = OFPR_ACTION;
    assert_false(first_packets_take(&fp, pin, 0));
    ofctrl_packet_in_destroy(pin);

    for (int i = 0; i < FIRST_PACKETS_MAX + 10; i++) {
        pin = make_punt(FLOW_TABLE_CLASSIFY, u16_to_ofp(5), 0,
                        "00:00:5e:00:53:0b");
        assert_true(first_packets_take(&fp, pin, i));
    }
    assert_int_equal(fp.n_pending, FIRST_PACKETS_MAX);
    assert_int_equal(fp.n_dropped, 10);

    /* Packets from tunnels have a bound of their own: however many come,
     * the VM's own packets stay. */
    for (int i = 0; i < 3 * FIRST_PACKETS_MAX; i++) {
        pin = make_punt(FLOW_TABLE_FLOOD, u16_to_ofp(1), 1001,
                        "00:00:5e:00:53:99");
        assert_true(first_packets_take(&fp, pin, i));
    }
    assert_int_equal(fp.n_pending, 2 * FIRST_PACKETS_MAX);
    assert_int_equal(fp.n_from_tunnel, FIRST_PACKETS_MAX);
    assert_int_equal(fp.n_dropped, 10 + 2 * FIRST_PACKETS_MAX);
    size_t n_classify = 0;
    const struct first_packet *p;
    LIST_FOR_EACH (p, list_node, &fp.pending) {
        n_classify += p->pin->table_id == FLOW_TABLE_CLASSIFY;
    }
    assert_int_equal(n_classify, FIRST_PACKETS_MAX);

    /* And the VM's packets push out only their own kind: the oldest of
     * them, which arrived at 10. */
    pin = make_punt(FLOW_TABLE_CLASSIFY, u16_to_ofp(5), 0,
                    "00:00:5e:00:53:0b");
    assert_true(first_packets_take(&fp, pin, 1000));
    assert_int_equal(fp.n_from_tunnel, FIRST_PACKETS_MAX);
    assert_int_equal(fp.n_pending, 2 * FIRST_PACKETS_MAX);
    assert_int_equal(fp.n_dropped, 11 + 2 * FIRST_PACKETS_MAX);
    long long int oldest_classify = LLONG_MAX;
    LIST_FOR_EACH (p, list_node, &fp.pending) {
        if (p->pin->table_id == FLOW_TABLE_CLASSIFY) {
            oldest_classify = MIN(oldest_classify, p->received);
        }
    }
    assert_int_equal(oldest_classify, 11);

    /* On time, the old ones go, with nothing else to run; the timer is set
     * for the oldest of the rest. */
    long long int oldest = LLONG_MAX;
    LIST_FOR_EACH (p, list_node, &fp.pending) {
        oldest = MIN(oldest, p->received);
    }
    assert_int_equal(first_packets_next_expiry(&fp),
                     oldest + FIRST_PACKETS_MAX_AGE);
    long long int now = 150;
    size_t n_old = 0;
    LIST_FOR_EACH (p, list_node, &fp.pending) {
        n_old += now >= p->received + FIRST_PACKETS_MAX_AGE;
    }
    assert_true(n_old > 0 && n_old < fp.n_pending);
    size_t n_before = fp.n_pending;
    unsigned long long int n_dropped = fp.n_dropped;
    first_packets_expire(&fp, now);
    assert_int_equal(fp.n_pending, n_before - n_old);
    assert_int_equal(fp.n_dropped, n_dropped + n_old);
    oldest = LLONG_MAX;
    LIST_FOR_EACH (p, list_node, &fp.pending) {
        assert_true(now < p->received + FIRST_PACKETS_MAX_AGE);
        oldest = MIN(oldest, p->received);
    }
    assert_int_equal(first_packets_next_expiry(&fp),
                     oldest + FIRST_PACKETS_MAX_AGE);

    /* Without a chassis, nothing is served: everything goes. */
    struct binding_state binding;
    binding_state_init(&binding);
    struct first_packets_ctx_in in = { .binding = &binding, .now = 0 };
    struct ovs_list out = OVS_LIST_INITIALIZER(&out);
    struct ovs_list no_vif = OVS_LIST_INITIALIZER(&no_vif);
    first_packets_run(&in, &fp, &out, &no_vif);
    assert_true(ovs_list_is_empty(&no_vif));
    assert_true(ovs_list_is_empty(&out));
    assert_int_equal(fp.n_pending, 0);
    assert_true(first_packets_next_expiry(&fp) == LLONG_MAX);
    assert_int_equal(fp.n_from_tunnel, 0);
    assert_int_equal(fp.n_dropped, 4 * FIRST_PACKETS_MAX + 11);
    binding_state_destroy(&binding);
    first_packets_destroy(&fp);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(local_vif_is_classified_into_its_network),
        cmocka_unit_test(tunnel_key_is_classified_into_its_network),
        cmocka_unit_test(remote_vifs_get_no_classify_flow),
        cmocka_unit_test(local_mac_goes_to_its_vif),
        cmocka_unit_test(remote_mac_goes_into_its_chassis_tunnel_with_the_vni),
        cmocka_unit_test(unbound_bad_or_tunnelless_ports_get_no_l2_flow),
        cmocka_unit_test(flood_from_vif_reaches_local_vifs_and_each_chassis),
        cmocka_unit_test(flood_from_tunnel_never_goes_back_into_one),
        cmocka_unit_test(unknown_mac_is_flooded_without_the_agent),
        cmocka_unit_test(unknown_macs_are_bounded_and_expire_together),
        cmocka_unit_test(ports_macs_wait_before_they_are_learned),
        cmocka_unit_test(first_packets_for_no_vif_from_tunnels_are_handed_out),
        cmocka_unit_test(every_flow_after_classify_matches_the_network),
        cmocka_unit_test(duplicate_mac_yields_one_flow),
        cmocka_unit_test(duplicate_mac_here_and_elsewhere_is_one_conflict),
        cmocka_unit_test(unicast_from_tunnel_also_goes_to_the_agent),
        cmocka_unit_test(unclassified_packets_of_no_tunnel_go_to_the_agent),
        cmocka_unit_test(unserved_vif_is_dropped_before_reaching_the_agent),
        cmocka_unit_test(non_vif_iface_is_dropped_below_vif_flows),
        cmocka_unit_test(explain_flow_reads_a_cookie_or_a_flow),
        cmocka_unit_test(first_packets_are_sent_on_marked),
        cmocka_unit_test(first_packet_belongs_to_the_vif_by_port_or_by_mac),
        cmocka_unit_test(first_packets_are_kept_bounded),
    };
    return cmocka_run_group_tests_name("pipeline", tests, setup, teardown);
}
