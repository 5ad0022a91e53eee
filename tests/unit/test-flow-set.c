/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

/* Unit tests for agent/flow-set: the flow table the agent wants, the one the
 * switch has, and the flow mods between them. */

#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "agent/flow-set.h"
#include "flow.h"
#include "nx-match.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/match.h"
#include "openvswitch/meta-flow.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/util.h"
#include "packets.h"
#include "uuid.h"

/* The two sets of a test and the changes between them. */
struct fixture {
    struct flow_set desired;
    struct flow_set installed;
    struct ovs_list changes;
};

static int
setup(void **state)
{
    struct fixture *f = xzalloc(sizeof *f);

    flow_set_init(&f->desired);
    flow_set_init(&f->installed);
    ovs_list_init(&f->changes);
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    flow_set_changes_destroy(&f->changes);
    flow_set_destroy(&f->desired);
    flow_set_destroy(&f->installed);
    free(f);
    return 0;
}

/* A MAC address whose last byte is 'n'. */
static struct eth_addr
mac(uint8_t n)
{
    return (struct eth_addr) { .ea = { 0x02, 0, 0, 0, 0, n } };
}

/* The match "in_port=IN_PORT", plus "dl_dst=02:00:00:00:00:DST" if 'dst'
 * is nonzero. */
static void
make_match(struct match *match, uint16_t in_port, uint8_t dst)
{
    match_init_catchall(match);
    match_set_in_port(match, u16_to_ofp(in_port));
    if (dst) {
        match_set_dl_dst(match, mac(dst));
    }
}

/* Adds to 'set' the flow "table=TABLE, priority=PRIORITY, cookie=COOKIE,
 * in_port=IN_PORT[,dl_dst=...DST] actions=output:OUT_PORT", or with no
 * actions (drop) if 'out_port' is 0.  Returns what flow_set_add() returned. */
static bool
add_flow(struct flow_set *set, uint8_t table, uint16_t priority,
         uint64_t cookie, uint16_t in_port, uint8_t dst, uint16_t out_port)
{
    struct match match;
    uint64_t stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(stub);

    make_match(&match, in_port, dst);
    if (out_port) {
        ofpact_put_OUTPUT(&ofpacts)->port = u16_to_ofp(out_port);
    }
    bool added = flow_set_add(set, table, priority, cookie, &match,
                              ofpacts.data, ofpacts.size);
    ofpbuf_uninit(&ofpacts);
    return added;
}

/* Adds to 'set' the flow "priority=100,MATCH actions=drop". */
static void
add_flow_with_match(struct flow_set *set, const struct match *match)
{
    flow_set_add(set, 0, 100, 0x1, match, NULL, 0);
}

static const struct flow_set_entry *
find_flow(const struct flow_set *set, uint8_t table, uint16_t priority,
          uint16_t in_port, uint8_t dst)
{
    struct match match;

    make_match(&match, in_port, dst);
    return flow_set_find(set, table, priority, &match);
}

static const char *
change_type_name(enum flow_set_change_type type)
{
    return (type == FLOW_SET_DELETE ? "delete"
            : type == FLOW_SET_MODIFY ? "modify"
            : type == FLOW_SET_ADD ? "add"
            : "<bad type>");
}

/* Asserts that 'changes' holds, in this order, the types given in
 * 'expected' as a string of 'd', 'm' and 'a'. */
static void
assert_change_types(const struct ovs_list *changes, const char *expected)
{
    struct ds got = DS_EMPTY_INITIALIZER;
    const struct flow_set_change *change;

    LIST_FOR_EACH (change, list_node, changes) {
        ds_put_char(&got, change_type_name(change->type)[0]);
    }
    if (strcmp(ds_cstr(&got), expected)) {
        fail_msg("expected changes \"%s\" (d=delete, m=modify, a=add), "
                 "got \"%s\"", expected, ds_cstr(&got));
    }
    ds_destroy(&got);
}

/* Returns the change in 'changes' for 'flow', failing if there is none. */
static const struct flow_set_change *
change_for(const struct ovs_list *changes, const struct flow_set_entry *flow)
{
    const struct flow_set_change *change;

    assert_non_null(flow);
    LIST_FOR_EACH (change, list_node, changes) {
        if (change->flow == flow) {
            return change;
        }
    }
    struct ds s = DS_EMPTY_INITIALIZER;
    flow_set_entry_format(flow, &s);
    fail_msg("expected a change for \"%s\", found none", ds_cstr(&s));
    ds_destroy(&s);
    return NULL;
}

static void
diff(struct fixture *f)
{
    flow_set_changes_destroy(&f->changes);
    flow_set_diff(&f->desired, &f->installed, &f->changes);
}

/* Adds the same three flows to 'set'. */
static void
add_three_flows(struct flow_set *set)
{
    add_flow(set, 0, 100, 0x1, 1, 0, 0);
    add_flow(set, 20, 50, 0x2, 1, 0xa, 2);
    add_flow(set, 20, 50, 0x2, 1, 0xb, 3);
}

static void
identical_sets_give_no_change(void **state)
{
    struct fixture *f = *state;

    add_three_flows(&f->desired);
    add_three_flows(&f->installed);
    diff(f);
    assert_change_types(&f->changes, "");
}

static void
empty_sets_give_no_change(void **state)
{
    struct fixture *f = *state;

    diff(f);
    assert_change_types(&f->changes, "");
}

static void
new_flows_are_added(void **state)
{
    struct fixture *f = *state;

    add_three_flows(&f->desired);
    diff(f);
    assert_change_types(&f->changes, "aaa");

    /* Additions point into the desired set. */
    change_for(&f->changes, find_flow(&f->desired, 0, 100, 1, 0));
    change_for(&f->changes, find_flow(&f->desired, 20, 50, 1, 0xa));
    change_for(&f->changes, find_flow(&f->desired, 20, 50, 1, 0xb));
}

static void
unwanted_flows_are_deleted(void **state)
{
    struct fixture *f = *state;

    add_three_flows(&f->installed);
    diff(f);
    assert_change_types(&f->changes, "ddd");

    /* Deletions point into the installed set. */
    change_for(&f->changes, find_flow(&f->installed, 0, 100, 1, 0));
    change_for(&f->changes, find_flow(&f->installed, 20, 50, 1, 0xa));
    change_for(&f->changes, find_flow(&f->installed, 20, 50, 1, 0xb));
}

static void
changed_actions_give_a_modify(void **state)
{
    struct fixture *f = *state;

    add_three_flows(&f->installed);
    add_three_flows(&f->desired);
    add_flow(&f->desired, 20, 50, 0x2, 1, 0xa, 7);
    diff(f);
    assert_change_types(&f->changes, "m");

    /* Modifications point into the desired set. */
    const struct flow_set_change *change
        = change_for(&f->changes, find_flow(&f->desired, 20, 50, 1, 0xa));
    assert_int_equal(change->type, FLOW_SET_MODIFY);
}

static void
changed_cookie_gives_a_modify(void **state)
{
    struct fixture *f = *state;

    add_three_flows(&f->installed);
    add_three_flows(&f->desired);
    /* Another row asks for the flow instead. */
    flow_set_remove(&f->desired,
                    CONST_CAST(struct flow_set_entry *,
                               find_flow(&f->desired, 0, 100, 1, 0)));
    add_flow(&f->desired, 0, 100, 0x99, 1, 0, 0);
    diff(f);
    assert_change_types(&f->changes, "m");
    change_for(&f->changes, find_flow(&f->desired, 0, 100, 1, 0));
}

static void
other_priority_or_table_is_another_flow(void **state)
{
    struct fixture *f = *state;

    add_flow(&f->installed, 0, 100, 0x1, 1, 0, 2);
    add_flow(&f->desired, 0, 101, 0x1, 1, 0, 2);
    add_flow(&f->desired, 1, 100, 0x1, 1, 0, 2);
    diff(f);
    assert_change_types(&f->changes, "daa");
}

static void
changes_come_deletes_then_modifies_then_adds(void **state)
{
    struct fixture *f = *state;

    /* Installed: five flows, two of them unwanted. */
    for (int i = 1; i <= 5; i++) {
        add_flow(&f->installed, 20, 50, 0x2, 1, i, i);
    }
    /* Desired: flows 1-3, two of them changed, and three new ones. */
    add_flow(&f->desired, 20, 50, 0x2, 1, 1, 1);
    add_flow(&f->desired, 20, 50, 0x2, 1, 2, 9);
    add_flow(&f->desired, 20, 50, 0x3, 1, 3, 3);
    for (int i = 6; i <= 8; i++) {
        add_flow(&f->desired, 20, 50, 0x2, 1, i, i);
    }

    diff(f);
    assert_change_types(&f->changes, "ddmmaaa");

    assert_int_equal(change_for(&f->changes,
                                find_flow(&f->installed, 20, 50, 1, 4))->type,
                     FLOW_SET_DELETE);
    assert_int_equal(change_for(&f->changes,
                                find_flow(&f->installed, 20, 50, 1, 5))->type,
                     FLOW_SET_DELETE);
    assert_int_equal(change_for(&f->changes,
                                find_flow(&f->desired, 20, 50, 1, 2))->type,
                     FLOW_SET_MODIFY);
    assert_int_equal(change_for(&f->changes,
                                find_flow(&f->desired, 20, 50, 1, 3))->type,
                     FLOW_SET_MODIFY);
    for (int i = 6; i <= 8; i++) {
        assert_int_equal(change_for(&f->changes,
                                    find_flow(&f->desired, 20, 50, 1,
                                              i))->type,
                         FLOW_SET_ADD);
    }
}

static void
applying_the_changes_makes_the_sets_equal(void **state)
{
    struct fixture *f = *state;

    for (int i = 1; i <= 5; i++) {
        add_flow(&f->installed, 20, 50, 0x2, 1, i, i);
    }
    add_flow(&f->desired, 20, 50, 0x2, 1, 1, 1);
    add_flow(&f->desired, 20, 50, 0x2, 1, 2, 9);
    add_flow(&f->desired, 20, 50, 0x3, 1, 3, 3);
    add_flow(&f->desired, 20, 50, 0x2, 1, 6, 6);

    diff(f);
    flow_set_apply(&f->installed, &f->changes);
    assert_int_equal(flow_set_count(&f->installed), 4);
    assert_int_equal(find_flow(&f->installed, 20, 50, 1, 3)->cookie, 0x3);

    diff(f);
    assert_change_types(&f->changes, "");
}

static void
same_key_and_cookie_replaces(void **state)
{
    struct fixture *f = *state;

    assert_true(add_flow(&f->desired, 20, 50, 0x2, 1, 0xa, 2));
    assert_true(add_flow(&f->desired, 20, 50, 0x2, 1, 0xa, 3));
    assert_int_equal(flow_set_count(&f->desired), 1);

    const struct flow_set_entry *flow = find_flow(&f->desired, 20, 50, 1,
                                                  0xa);
    assert_non_null(flow);
    assert_int_equal(ofp_to_u16(ofpact_get_OUTPUT(flow->ofpacts)->port), 3);
    assert_int_equal(flow_set_remove_cookie(&f->desired, 0x2), 1);
    assert_int_equal(flow_set_count(&f->desired), 0);
}

static size_t n_logged(const struct flow_set *);

/* The output port of the flow in effect for the key (20, 50, 1, 0xa). */
static uint16_t
conflict_winner_port(const struct flow_set *set)
{
    const struct flow_set_entry *flow = find_flow(set, 20, 50, 1, 0xa);
    assert_non_null(flow);
    assert_int_equal(flow->ofpacts->type, OFPACT_OUTPUT);
    return ofp_to_u16(ofpact_get_OUTPUT(flow->ofpacts)->port);
}

static void
same_key_other_row_smallest_cookie_wins_in_any_order(void **state)
{
    struct fixture *f = *state;
    static const uint64_t orders[][3] = {
        { 0x7, 0x2, 0x5 }, { 0x2, 0x5, 0x7 }, { 0x5, 0x7, 0x2 },
    };

    for (size_t i = 0; i < ARRAY_SIZE(orders); i++) {
        flow_set_clear(&f->desired);
        for (size_t j = 0; j < 3; j++) {
            /* Each row's flow outputs to the port its cookie names. */
            bool unique = add_flow(&f->desired, 20, 50, orders[i][j], 1, 0xa,
                                   orders[i][j]);
            assert_int_equal(unique, j == 0);
        }
        assert_int_equal(flow_set_count(&f->desired), 1);
        assert_int_equal(conflict_winner_port(&f->desired), 0x2);
    }
}

static void
same_key_other_row_takes_over_when_winner_goes(void **state)
{
    struct fixture *f = *state;

    add_flow(&f->desired, 20, 50, 0x7, 1, 0xa, 7);
    add_flow(&f->desired, 20, 50, 0x2, 1, 0xa, 2);
    add_flow(&f->desired, 20, 50, 0x5, 1, 0xa, 5);
    add_flow(&f->desired, 20, 50, 0x5, 1, 0xb, 5);
    assert_int_equal(flow_set_count(&f->desired), 2);

    /* A shadowed row's flows go without a trace in the flows in effect. */
    flow_set_clear_changes(&f->desired);
    assert_int_equal(flow_set_remove_cookie(&f->desired, 0x5), 2);
    assert_int_equal(flow_set_count(&f->desired), 1);
    assert_int_equal(conflict_winner_port(&f->desired), 2);

    /* The winner goes: the next row's flow is in effect, and logged. */
    add_flow(&f->desired, 20, 50, 0x5, 1, 0xa, 5);
    flow_set_clear_changes(&f->desired);
    assert_int_equal(flow_set_remove_cookie(&f->desired, 0x2), 1);
    assert_int_equal(flow_set_count(&f->desired), 1);
    assert_int_equal(conflict_winner_port(&f->desired), 5);
    assert_int_equal(n_logged(&f->desired), 1);

    /* A shadowed row's flow replaced by the same row stays shadowed. */
    assert_false(add_flow(&f->desired, 20, 50, 0x7, 1, 0xa, 8));
    assert_int_equal(conflict_winner_port(&f->desired), 5);
    flow_set_remove(&f->desired,
                    CONST_CAST(struct flow_set_entry *,
                               find_flow(&f->desired, 20, 50, 1, 0xa)));
    assert_int_equal(conflict_winner_port(&f->desired), 8);
    assert_int_equal(flow_set_remove_cookie(&f->desired, 0x7), 1);
    assert_int_equal(flow_set_count(&f->desired), 0);
    assert_int_equal(flow_set_remove_cookie(&f->desired, 0x5), 0);
}

static void
remove_cookie_removes_exactly_that_rows_flows(void **state)
{
    struct fixture *f = *state;

    add_flow(&f->desired, 0, 100, 0x1, 1, 0, 0);
    add_flow(&f->desired, 20, 50, 0x2, 1, 0xa, 2);
    add_flow(&f->desired, 20, 50, 0x2, 1, 0xb, 3);
    add_flow(&f->desired, 40, 50, 0x2, 2, 0, 3);
    add_flow(&f->desired, 20, 50, 0x3, 1, 0xc, 4);

    assert_int_equal(flow_set_remove_cookie(&f->desired, 0x2), 3);
    assert_int_equal(flow_set_count(&f->desired), 2);
    assert_non_null(find_flow(&f->desired, 0, 100, 1, 0));
    assert_non_null(find_flow(&f->desired, 20, 50, 1, 0xc));
    assert_null(find_flow(&f->desired, 20, 50, 1, 0xa));
    assert_null(find_flow(&f->desired, 40, 50, 2, 0));

    assert_int_equal(flow_set_remove_cookie(&f->desired, 0x2), 0);
    assert_int_equal(flow_set_remove_cookie(&f->desired, 0x42), 0);
}

static void
copy_makes_an_equal_set(void **state)
{
    struct fixture *f = *state;

    add_three_flows(&f->desired);
    add_flow(&f->installed, 7, 7, 0x7, 7, 7, 7);
    flow_set_copy(&f->installed, &f->desired);
    assert_int_equal(flow_set_count(&f->installed), 3);
    diff(f);
    assert_change_types(&f->changes, "");

    /* The copy is independent of its source. */
    flow_set_clear(&f->desired);
    assert_int_equal(flow_set_count(&f->installed), 3);
    assert_int_equal(flow_set_remove_cookie(&f->installed, 0x2), 2);
}

/* Replaces the actions in 'ofpacts' by what a decoder makes of their
 * OpenFlow 1.5 encoding, as happens to a flow on its way into the switch and
 * back out in a flow dump. */
static void
round_trip_actions(struct ofpbuf *ofpacts)
{
    struct ofpbuf wire;

    if (!ofpacts->size) {
        return;                 /* Drop is no instruction at all. */
    }
    ofpbuf_init(&wire, 0);
    ofpacts_put_openflow_instructions(ofpacts->data, ofpacts->size, &wire,
                                      OFP15_VERSION);
    ofpbuf_clear(ofpacts);
    assert_int_equal(ofpacts_pull_openflow_instructions(&wire, wire.size,
                                                        OFP15_VERSION, NULL,
                                                        NULL, ofpacts), 0);
    ofpbuf_uninit(&wire);
}

static void
actions_read_back_from_the_wire_compare_equal(void **state)
{
    static const char *actions[] = {
        "output:3",
        "set_field:5->reg0,resubmit(,20)",
        "set_field:0x1234->tun_id,set_field:192.0.2.7->tun_dst,output:9",
        "load:0x7->NXM_NX_REG13[0..15],move:NXM_NX_REG0[]->NXM_NX_REG1[]",
        "ct(commit,zone=NXM_NX_REG13[0..15]),resubmit(,40)",
        "controller(userdata=01.02.03.04,pause)",
        "note:01.02.03,mod_dl_src:02:00:00:00:00:01,output:in_port",
        "drop",
    };
    struct fixture *f = *state;

    for (size_t i = 0; i < ARRAY_SIZE(actions); i++) {
        struct ofpbuf local, read_back;
        struct match match;

        /* Actions as the agent composes them (parsing is the easiest way to
         * build many kinds) ... */
        ofpbuf_init(&local, 0);
        struct ofpact_parse_params pp = {
            .ofpacts = &local,
            .usable_protocols = &(enum ofputil_protocol) { 0 },
        };
        char *error = ofpacts_parse_actions(actions[i], &pp);
        if (error) {
            fail_msg("could not parse \"%s\": %s", actions[i], error);
        }

        /* ... and as the switch returns them: decoded, encoded again by
         * ovs-vswitchd, decoded again by the agent. */
        ofpbuf_init(&read_back, 0);
        ofpbuf_put(&read_back, local.data, local.size);
        round_trip_actions(&read_back);
        round_trip_actions(&read_back);

        make_match(&match, 1, i + 1);
        flow_set_add(&f->desired, 0, 100, 0x1, &match, local.data,
                     local.size);
        flow_set_add(&f->installed, 0, 100, 0x1, &match, read_back.data,
                     read_back.size);
        ofpbuf_uninit(&local);
        ofpbuf_uninit(&read_back);

        diff(f);
        if (!ovs_list_is_empty(&f->changes)) {
            fail_msg("actions \"%s\" read back from the switch look "
                     "modified", actions[i]);
        }
    }
}

/* Replaces 'match' by what a decoder makes of its OpenFlow 1.5 encoding,
 * strictly as ovs-vswitchd decodes a flow mod or loosely as ofctrl decodes a
 * flow dump. */
static void
round_trip_match(struct match *match, bool loose)
{
    struct ofpbuf wire;

    ofpbuf_init(&wire, 0);
    oxm_put_match(&wire, match, OFP15_VERSION);
    assert_int_equal(loose
                     ? oxm_pull_match_loose(&wire, false, NULL, match)
                     : oxm_pull_match(&wire, false, NULL, NULL, match), 0);
    ofpbuf_uninit(&wire);
}

static void
matches_read_back_from_the_wire_compare_equal(void **state)
{
    struct fixture *f = *state;
    struct match matches[6];

    for (size_t i = 0; i < ARRAY_SIZE(matches); i++) {
        match_init_catchall(&matches[i]);
    }
    match_set_dl_dst(&matches[0], mac(0xa));
    match_set_in_port(&matches[1], u16_to_ofp(3));
    match_set_dl_src(&matches[1], mac(0xb));
    match_set_tun_id(&matches[2], htonll(0x1234));
    match_set_reg(&matches[2], 13, 7);
    match_set_dl_type(&matches[3], htons(ETH_TYPE_ARP));
    match_set_nw_dst(&matches[3], htonl(0xc0000207));
    match_set_metadata(&matches[4], htonll(42));
    match_set_dl_dst_masked(&matches[4], eth_addr_broadcast,
                            eth_addr_broadcast);
    match_set_dl_type(&matches[5], htons(ETH_TYPE_IPV6));
    match_set_nw_proto(&matches[5], IPPROTO_ICMPV6);

    for (size_t i = 0; i < ARRAY_SIZE(matches); i++) {
        struct match read_back = matches[i];

        round_trip_match(&read_back, false);
        round_trip_match(&read_back, true);
        add_flow_with_match(&f->desired, &matches[i]);
        add_flow_with_match(&f->installed, &read_back);

        diff(f);
        if (!ovs_list_is_empty(&f->changes)) {
            fail_msg("match \"%s\" read back from the switch looks "
                     "different", match_to_string(&matches[i], NULL, 0));
        }
        assert_non_null(flow_set_find(&f->installed, 0, 100, &matches[i]));
        assert_non_null(flow_set_find(&f->desired, 0, 100, &read_back));
    }
}

static void
every_change_gives_a_new_version(void **state)
{
    struct fixture *f = *state;
    uint64_t v0 = f->desired.version;

    assert_int_not_equal(f->desired.version, f->installed.version);
    add_flow(&f->desired, 0, 100, 0x1, 1, 0, 0);
    uint64_t v1 = f->desired.version;
    assert_int_not_equal(v1, v0);

    assert_int_equal(flow_set_remove_cookie(&f->desired, 0x5), 0);
    assert_int_equal(f->desired.version, v1);
    assert_int_equal(flow_set_remove_cookie(&f->desired, 0x1), 1);
    assert_int_not_equal(f->desired.version, v1);
}

static void
cookie_is_the_first_64_bits_of_the_uuid(void **state OVS_UNUSED)
{
    struct uuid uuid;

    assert_true(uuid_from_string(&uuid,
                                 "0123abcd-4567-89ef-0011-223344556677"));
    assert_true(flow_set_cookie_from_uuid(&uuid) == 0x0123abcd456789efULL);
}

static void
format_is_like_ovs_ofctl(void **state)
{
    struct fixture *f = *state;
    struct ds s = DS_EMPTY_INITIALIZER;

    add_flow(&f->desired, 20, 50, 0x2, 1, 0xa, 2);
    flow_set_entry_format(find_flow(&f->desired, 20, 50, 1, 0xa), &s);
    assert_string_equal(ds_cstr(&s), "cookie=0x2, table=20, priority=50,"
                        "in_port=1,dl_dst=02:00:00:00:00:0a actions=output:2");

    ds_clear(&s);
    add_flow(&f->desired, 0, 100, 0, 1, 0, 0);
    flow_set_entry_format(find_flow(&f->desired, 0, 100, 1, 0), &s);
    assert_string_equal(ds_cstr(&s), "priority=100,in_port=1 actions=drop");
    ds_destroy(&s);
}

/* The change log. */

/* Returns the number of keys in the change log of 'set'. */
static size_t
n_logged(const struct flow_set *set)
{
    return hmap_count(&set->changed_keys);
}

/* Fails unless 'a' and 'b' hold the same changes (the same type for the
 * same flow), whatever their order inside each type. */
static void
assert_same_changes(const struct ovs_list *a, const struct ovs_list *b,
                    const char *what)
{
    size_t n_a = ovs_list_size(a);
    size_t n_b = ovs_list_size(b);
    const struct flow_set_change *ca, *cb;

    if (n_a != n_b) {
        fail_msg("%s: the full diff has %"PRIuSIZE" changes, the change log "
                 "diff %"PRIuSIZE, what, n_a, n_b);
    }
    LIST_FOR_EACH (ca, list_node, a) {
        bool found = false;

        LIST_FOR_EACH (cb, list_node, b) {
            if (cb->flow == ca->flow && cb->type == ca->type) {
                found = true;
                break;
            }
        }
        if (!found) {
            struct ds s = DS_EMPTY_INITIALIZER;
            flow_set_entry_format(ca->flow, &s);
            fail_msg("%s: the full diff has \"%s %s\", the change log diff "
                     "does not", what, change_type_name(ca->type),
                     ds_cstr(&s));
            ds_destroy(&s);
        }
    }
}

/* Fails unless 'changes' comes as deletions, then modifications, then
 * additions. */
static void
assert_change_order(const struct ovs_list *changes, const char *what)
{
    const struct flow_set_change *change;
    enum flow_set_change_type last = FLOW_SET_DELETE;

    LIST_FOR_EACH (change, list_node, changes) {
        if (change->type < last) {
            fail_msg("%s: a %s after a %s", what,
                     change_type_name(change->type), change_type_name(last));
        }
        last = change->type;
    }
}

/* Computes the full diff and the change log diff of 'f', checks that they
 * are the same, and returns what flow_set_diff_changed() returned. */
static bool
assert_log_diff_is_full_diff(struct fixture *f, const char *what)
{
    struct ovs_list logged = OVS_LIST_INITIALIZER(&logged);

    diff(f);
    bool used_log = flow_set_diff_changed(&f->desired, &f->installed,
                                          &logged);
    assert_same_changes(&f->changes, &logged, what);
    assert_change_order(&logged, what);
    flow_set_changes_destroy(&logged);
    return used_log;
}

/* Brings 'installed' up to 'desired' as ofctrl does after a put, and clears
 * the change log of 'desired'. */
static void
put(struct fixture *f)
{
    diff(f);
    flow_set_apply(&f->installed, &f->changes);
    flow_set_changes_destroy(&f->changes);
    flow_set_clear_changes(&f->desired);
}

static void
change_log_is_cleared(void **state)
{
    struct fixture *f = *state;

    /* A new set has no log yet: everything changed. */
    assert_true(f->desired.all_changed);
    assert_false(flow_set_log_covers(&f->desired, f->desired.version));

    flow_set_clear_changes(&f->desired);
    uint64_t version = f->desired.version;
    assert_false(f->desired.all_changed);
    assert_true(flow_set_log_covers(&f->desired, version));

    /* Added, replaced (the same key: logged once) and removed flows. */
    add_flow(&f->desired, 0, 100, 0x1, 1, 0, 0);
    add_flow(&f->desired, 0, 100, 0x2, 1, 0, 3);
    add_flow(&f->desired, 20, 50, 0x2, 1, 0xa, 2);
    add_flow(&f->desired, 20, 50, 0x3, 1, 0xb, 2);
    assert_int_equal(flow_set_remove_cookie(&f->desired, 0x3), 1);
    assert_int_equal(n_logged(&f->desired), 3);
    assert_true(flow_set_log_covers(&f->desired, version));
    assert_false(flow_set_log_covers(&f->desired, f->desired.version));

    flow_set_clear_changes(&f->desired);
    assert_int_equal(n_logged(&f->desired), 0);
    assert_false(f->desired.all_changed);
    assert_false(flow_set_log_covers(&f->desired, version));
    assert_true(flow_set_log_covers(&f->desired, f->desired.version));
}

static void
change_log_diff_looks_only_at_logged_keys(void **state)
{
    struct fixture *f = *state;

    /* The installed set differs from the desired one, but not in a logged
     * key: the change log diff does not see it (which is why its caller
     * must know that the sets were equal when the log was cleared). */
    add_three_flows(&f->installed);
    flow_set_clear_changes(&f->desired);
    add_flow(&f->desired, 40, 10, 0x4, 2, 0, 5);

    struct ovs_list logged = OVS_LIST_INITIALIZER(&logged);
    assert_true(flow_set_diff_changed(&f->desired, &f->installed, &logged));
    assert_change_types(&logged, "a");
    change_for(&logged, find_flow(&f->desired, 40, 10, 2, 0));
    flow_set_changes_destroy(&logged);

    diff(f);
    assert_change_types(&f->changes, "ddda");
}

static void
change_log_diff_finds_each_kind_of_change(void **state)
{
    struct fixture *f = *state;

    add_three_flows(&f->desired);
    put(f);

    add_flow(&f->desired, 20, 50, 0x2, 1, 0xa, 7);  /* Modified. */
    add_flow(&f->desired, 20, 50, 0x2, 1, 0xb, 3);  /* The same again. */
    assert_int_equal(flow_set_remove_cookie(&f->desired, 0x1), 1);
    add_flow(&f->desired, 40, 10, 0x4, 2, 0, 5);    /* New. */
    add_flow(&f->desired, 40, 10, 0x4, 3, 0, 5);    /* New, then gone. */
    flow_set_remove(&f->desired,
                    CONST_CAST(struct flow_set_entry *,
                               find_flow(&f->desired, 40, 10, 3, 0)));

    assert_true(assert_log_diff_is_full_diff(f, "each kind"));
    assert_change_types(&f->changes, "dma");
}

static void
clear_falls_back_to_a_full_diff(void **state)
{
    struct fixture *f = *state;

    add_three_flows(&f->desired);
    put(f);
    assert_int_equal(n_logged(&f->desired), 0);

    /* After a clear the log cannot tell which flows went away. */
    flow_set_clear(&f->desired);
    assert_true(f->desired.all_changed);
    add_flow(&f->desired, 20, 50, 0x2, 1, 0xa, 2);
    add_flow(&f->desired, 40, 10, 0x4, 2, 0, 5);
    assert_int_equal(n_logged(&f->desired), 0);

    assert_false(assert_log_diff_is_full_diff(f, "after clear"));
    assert_change_types(&f->changes, "dda");

    /* Once cleared, the log works again. */
    put(f);
    add_flow(&f->desired, 0, 100, 0x1, 1, 0, 0);
    assert_true(assert_log_diff_is_full_diff(f, "after clear and put"));
    assert_change_types(&f->changes, "a");
}

static void
copy_marks_everything_changed(void **state)
{
    struct fixture *f = *state;

    flow_set_clear_changes(&f->desired);
    add_three_flows(&f->installed);
    flow_set_copy(&f->desired, &f->installed);
    assert_true(f->desired.all_changed);
    assert_false(flow_set_log_covers(&f->desired, f->desired.log_version));
}

static void
more_changes_than_flows_give_up_the_log(void **state)
{
    struct fixture *f = *state;

    add_flow(&f->desired, 0, 100, 0x1, 1, 0, 0);
    put(f);

    /* 200 keys changed, in a set that ends up with 1 flow. */
    for (int i = 1; i <= 200; i++) {
        add_flow(&f->desired, 20, 50, 0x2, 2, i, 2);
    }
    assert_int_equal(flow_set_remove_cookie(&f->desired, 0x2), 200);
    assert_true(f->desired.all_changed);
    assert_int_equal(n_logged(&f->desired), 0);
    add_flow(&f->desired, 20, 50, 0x3, 3, 1, 2);
    assert_false(assert_log_diff_is_full_diff(f, "given up"));
    assert_change_types(&f->changes, "a");
}

/* A small deterministic pseudo-random generator, so that a failure can be
 * reproduced. */
static uint32_t
next_random(uint32_t *seed)
{
    *seed = *seed * 1103515245 + 12345;
    return *seed >> 8;
}

/* Removes a random flow of 'set', if it has any. */
static void
remove_random_flow(struct flow_set *set, uint32_t *seed)
{
    size_t n = flow_set_count(set);

    if (n) {
        size_t i = next_random(seed) % n;
        struct flow_set_entry *entry;

        HMAP_FOR_EACH (entry, node, &set->flows) {
            if (!i--) {
                flow_set_remove(set, entry);
                return;
            }
        }
    }
}

static void
change_log_diff_equals_full_diff_for_random_changes(void **state)
{
    enum { N_BATCHES = 400 };
    struct fixture *f = *state;
    uint32_t seed = 0x5eed;
    int n_ops = 0, n_by_log = 0, n_full = 0, n_changes = 0;

    flow_set_clear_changes(&f->desired);
    for (int batch = 0; batch < N_BATCHES; batch++) {
        /* Mostly a few changes, sometimes many (which gives up the log). */
        int n = (batch % 50 == 49 ? 300 : 1 + next_random(&seed) % 16);

        for (int i = 0; i < n; i++) {
            uint32_t r = next_random(&seed) % 1000;
            /* Keys: 3 tables x 2 priorities x 2 ports x 24 MACs, so that
             * adds often replace, with an actual change or without. */
            uint8_t table = 20 * (next_random(&seed) % 3);
            uint16_t priority = 50 + 50 * (next_random(&seed) % 2);
            uint16_t in_port = 1 + next_random(&seed) % 2;
            uint8_t dst = next_random(&seed) % 24;
            uint64_t cookie = 1 + next_random(&seed) % 4;
            uint16_t out_port = next_random(&seed) % 3;

            if (r < 550) {
                add_flow(&f->desired, table, priority, cookie, in_port, dst,
                         out_port);
            } else if (r < 850) {
                remove_random_flow(&f->desired, &seed);
            } else if (r < 995) {
                flow_set_remove_cookie(&f->desired, cookie);
            } else {
                flow_set_clear(&f->desired);
            }
            n_ops++;
        }

        char what[64];
        snprintf(what, sizeof what, "batch %d", batch);
        if (assert_log_diff_is_full_diff(f, what)) {
            n_by_log++;
        } else {
            n_full++;
        }
        n_changes += ovs_list_size(&f->changes);

        /* The put: 'installed' takes the changes and the log is cleared. */
        flow_set_apply(&f->installed, &f->changes);
        flow_set_clear_changes(&f->desired);
        assert_int_equal(n_logged(&f->desired), 0);
        assert_false(f->desired.all_changed);
        diff(f);
        assert_change_types(&f->changes, "");
    }

    /* The sequence exercised both ways, and the sets did change. */
    assert_true(n_ops > 3000);
    assert_true(n_by_log > N_BATCHES / 2);
    assert_true(n_full >= 10);
    assert_true(n_changes > n_ops / 4);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define TEST(NAME) cmocka_unit_test_setup_teardown(NAME, setup, teardown)
        TEST(identical_sets_give_no_change),
        TEST(empty_sets_give_no_change),
        TEST(new_flows_are_added),
        TEST(unwanted_flows_are_deleted),
        TEST(changed_actions_give_a_modify),
        TEST(changed_cookie_gives_a_modify),
        TEST(other_priority_or_table_is_another_flow),
        TEST(changes_come_deletes_then_modifies_then_adds),
        TEST(applying_the_changes_makes_the_sets_equal),
        TEST(same_key_and_cookie_replaces),
        TEST(same_key_other_row_smallest_cookie_wins_in_any_order),
        TEST(same_key_other_row_takes_over_when_winner_goes),
        TEST(remove_cookie_removes_exactly_that_rows_flows),
        TEST(copy_makes_an_equal_set),
        TEST(actions_read_back_from_the_wire_compare_equal),
        TEST(matches_read_back_from_the_wire_compare_equal),
        TEST(every_change_gives_a_new_version),
        TEST(cookie_is_the_first_64_bits_of_the_uuid),
        TEST(format_is_like_ovs_ofctl),
        TEST(change_log_is_cleared),
        TEST(change_log_diff_looks_only_at_logged_keys),
        TEST(change_log_diff_finds_each_kind_of_change),
        TEST(clear_falls_back_to_a_full_diff),
        TEST(copy_marks_everything_changed),
        TEST(more_changes_than_flows_give_up_the_log),
        TEST(change_log_diff_equals_full_diff_for_random_changes),
#undef TEST
    };
    return cmocka_run_group_tests_name("flow-set", tests, NULL, NULL);
}
