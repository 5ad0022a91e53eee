/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License").
 *
 * Unit tests for binding.c: the role a local VIF plays for its Port, the
 * held packets (what a VM sends on a live migration's destination before its
 * activation reached the switch), and where a VIF's OpenFlow port comes
 * from. */

#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "agent/binding.h"
#include "agent/ofctrl.h"
#include "ovsdb/roam-idl.h"
#include "dp-packet.h"
#include "lib/vswitch-idl.h"
#include "openvswitch/list.h"
#include "util.h"

static struct local_vif *
add_vif(struct binding_state *state, const char *name, uint16_t ofport,
        enum vif_state vif_state)
{
    struct local_vif *vif = xzalloc(sizeof *vif);
    vif->iface_id = xstrdup(name);
    vif->ofport = u16_to_ofp(ofport);
    vif->state = vif_state;
    shash_add(&state->vifs, name, vif);
    return vif;
}

static struct dp_packet *
packet(uint8_t tag)
{
    struct dp_packet *p = dp_packet_new(64);
    dp_packet_put_zeros(p, 60);
    ((uint8_t *) dp_packet_data(p))[59] = tag;
    return p;
}

static uint8_t
tag_of(const struct binding_held_packet *hp)
{
    return ((const uint8_t *) dp_packet_data(hp->packet))[59];
}

static size_t
take(struct binding_state *state, struct ovs_list *out)
{
    ovs_list_init(out);
    binding_take_held_packets(state, out);
    return ovs_list_size(out);
}

static void
free_list(struct ovs_list *list)
{
    struct binding_held_packet *hp;
    LIST_FOR_EACH_POP (hp, list_node, list) {
        binding_held_packet_destroy(hp);
    }
}

static void
standby_packets_wait_for_activation_in_order(void **state_ OVS_UNUSED)
{
    struct binding_state state;
    binding_state_init(&state);
    struct local_vif *vif = add_vif(&state, "v2", 5, VIF_STANDBY);
    struct ovs_list out;

    for (uint8_t i = 1; i <= 3; i++) {
        assert_true(binding_hold_packet(&state, u16_to_ofp(5), packet(i)));
    }
    /* Not active yet: nothing goes. */
    assert_int_equal(take(&state, &out), 0);

    vif->activated = true;
    assert_int_equal(take(&state, &out), 3);
    uint8_t expected = 1;
    const struct binding_held_packet *hp;
    LIST_FOR_EACH (hp, list_node, &out) {
        assert_int_equal(tag_of(hp), expected++);
        assert_int_equal(ofp_to_u16(hp->ofport), 5);
        assert_string_equal(hp->iface_id, "v2");
    }
    free_list(&out);
    assert_int_equal(take(&state, &out), 0);
    binding_state_destroy(&state);
}

static void
only_standby_activated_or_bound_vifs_hold(void **state_ OVS_UNUSED)
{
    struct binding_state state;
    binding_state_init(&state);
    add_vif(&state, "bound", 6, VIF_BOUND);
    add_vif(&state, "elsewhere", 7, VIF_BOUND_ELSEWHERE);
    add_vif(&state, "pending", 8, VIF_PENDING_CLAIM);
    struct dp_packet *p = packet(9);
    struct ovs_list out;

    assert_false(binding_hold_packet(&state, u16_to_ofp(4), p));  /* None. */
    assert_false(binding_hold_packet(&state, u16_to_ofp(7), p));
    assert_false(binding_hold_packet(&state, u16_to_ofp(8), p));
    assert_int_equal(state.n_held_refused, 3);   /* Counted, for status. */
    assert_int_equal(state.n_held_dropped, 0);

    /* A standby punt read after the database confirmed the activation
     * (the VIF is bound already) goes out at once. */
    assert_true(binding_hold_packet(&state, u16_to_ofp(6), p));
    assert_int_equal(take(&state, &out), 1);
    const struct binding_held_packet *hp
        = CONTAINER_OF(ovs_list_front(&out), struct binding_held_packet,
                       list_node);
    assert_int_equal(tag_of(hp), 9);
    assert_string_equal(hp->iface_id, "bound");
    free_list(&out);
    binding_state_destroy(&state);
}

static void
packets_of_a_vif_that_left_standby_are_dropped(void **state_ OVS_UNUSED)
{
    struct binding_state state;
    binding_state_init(&state);
    struct local_vif *vif = add_vif(&state, "v2", 5, VIF_STANDBY);
    struct ovs_list out;

    assert_true(binding_hold_packet(&state, u16_to_ofp(5), packet(1)));
    vif->state = VIF_BOUND_ELSEWHERE;       /* The migration was called off. */
    assert_int_equal(take(&state, &out), 0);
    assert_int_equal(state.n_held, 0);

    /* A VIF that is gone, likewise. */
    vif->state = VIF_STANDBY;
    assert_true(binding_hold_packet(&state, u16_to_ofp(5), packet(2)));
    struct shash_node *node = shash_find(&state.vifs, "v2");
    free(vif->iface_id);
    free(vif);
    shash_delete(&state.vifs, node);
    assert_int_equal(take(&state, &out), 0);
    assert_int_equal(state.n_held, 0);
    binding_state_destroy(&state);
}

static void
held_packets_are_bounded(void **state_ OVS_UNUSED)
{
    struct binding_state state;
    binding_state_init(&state);
    add_vif(&state, "v2", 5, VIF_STANDBY);

    for (size_t i = 0; i < BINDING_MAX_HELD; i++) {
        assert_true(binding_hold_packet(&state, u16_to_ofp(5), packet(0)));
    }
    struct dp_packet *p = packet(1);
    assert_false(binding_hold_packet(&state, u16_to_ofp(5), p));
    assert_int_equal(state.n_held_dropped, 1);
    dp_packet_delete(p);
    binding_state_destroy(&state);   /* Frees the held packets. */
}

/* Asserts that binding_get_role() gives 'role' for 'port' as seen by chassis
 * 'me', with the VIF's OpenFlow port 'ofport' (0 for none). */
static void
assert_role(const struct binding_state *state,
            const struct roamrec_port *port,
            const struct roamrec_chassis *me,
            enum binding_role role, uint16_t ofport)
{
    ofp_port_t of;
    assert_int_equal(binding_get_role(state, port, me, &of), role);
    assert_int_equal(of == OFPP_NONE ? 0 : ofp_to_u16(of), ofport);
}

static void
a_vif_is_served_from_its_claim_on(void **state_ OVS_UNUSED)
{
    struct binding_state state;
    binding_state_init(&state);
    struct roamrec_chassis me, other;
    struct roamrec_port port;
    memset(&me, 0, sizeof me);
    memset(&other, 0, sizeof other);
    memset(&port, 0, sizeof port);
    uuid_generate(&port.header_.uuid);
    port.name = "v2";
    port.chassis = &other;          /* A cold move's destination. */

    struct local_vif *vif = add_vif(&state, "v2", 5, VIF_BOUND_ELSEWHERE);
    vif->port_uuid = port.header_.uuid;

    /* Bound elsewhere, no claim: nothing. */
    assert_role(&state, &port, &me, BINDING_ROLE_REMOTE, 0);

    /* The claim is being sent: not yet, so that the VIF's flows do not
     * hold it back... */
    vif->claim_sent = true;
    assert_role(&state, &port, &me, BINDING_ROLE_REMOTE, 0);

    /* ...then, with the claim on its way, served before the database
     * echoes it back. */
    vif->claim_out = true;
    assert_role(&state, &port, &me, BINDING_ROLE_ACTIVE, 5);

    /* A claim as additional_chassis is not: the live migration's source
     * still serves the VM until it activates here. */
    vif->claim_standby = true;
    assert_role(&state, &port, &me, BINDING_ROLE_REMOTE, 0);
    vif->activated = true;
    assert_role(&state, &port, &me, BINDING_ROLE_ACTIVE, 5);

    /* Decided, but no transaction could carry it yet (the central database
     * is unreachable): served too. */
    vif->claim_sent = vif->claim_standby = vif->activated = false;
    vif->claim_unsent = true;
    assert_role(&state, &port, &me, BINDING_ROLE_ACTIVE, 5);
    vif->claim_unsent = false;

    /* The claim lost (update_vif() clears it): nothing again. */
    assert_role(&state, &port, &me, BINDING_ROLE_REMOTE, 0);

    /* It arrived. */
    vif->state = VIF_BOUND;
    port.chassis = &me;
    assert_role(&state, &port, &me, BINDING_ROLE_ACTIVE, 5);

    /* A VIF matched to another row of that name, or without an OpenFlow
     * port, plays no part. */
    vif->claim_sent = true;
    uuid_generate(&vif->port_uuid);
    assert_role(&state, &port, &me, BINDING_ROLE_REMOTE, 0);
    vif->port_uuid = port.header_.uuid;
    vif->ofport = OFPP_NONE;
    assert_role(&state, &port, &me, BINDING_ROLE_REMOTE, 0);
    binding_state_destroy(&state);
}

/* A VIF that is not served awaits a claim only for a plug event that a
 * claim may still answer, or with a claim on its way; otherwise its traffic
 * is dropped (desired-flows.h). */
static void
a_vif_awaits_a_claim_only_for_a_pending_plug(void **state_ OVS_UNUSED)
{
    struct roamrec_chassis me, other;
    struct roamrec_port port;
    struct local_vif vif;
    char *only_other[] = { "hv3" };
    char *me_and_other[] = { "hv2", "hv3" };

    memset(&me, 0, sizeof me);
    memset(&other, 0, sizeof other);
    memset(&port, 0, sizeof port);
    memset(&vif, 0, sizeof vif);
    me.name = "hv2";
    other.name = "hv3";
    uuid_generate(&port.header_.uuid);
    port.name = "v2";
    port.chassis = &other;
    vif.iface_id = "v2";
    vif.ofport = u16_to_ofp(5);
    vif.port_uuid = port.header_.uuid;
    vif.state = VIF_BOUND_ELSEWHERE;

    /* Bound elsewhere and not plugged since: nothing to wait for. */
    assert_false(binding_vif_awaits_claim(&vif, &port, &me));

    /* A plug event, with requested_chassis empty or naming this chassis
     * (alone, or as a live migration's destination). */
    vif.plug = true;
    vif.state = VIF_PENDING_CLAIM;
    assert_true(binding_vif_awaits_claim(&vif, &port, &me));
    port.requested_chassis = me_and_other;
    port.n_requested_chassis = 2;
    assert_true(binding_vif_awaits_claim(&vif, &port, &me));
    port.n_requested_chassis = 1;
    assert_true(binding_vif_awaits_claim(&vif, &port, &me));

    /* requested_chassis names only another chassis: no claim until it
     * changes. */
    port.requested_chassis = only_other;
    assert_false(binding_vif_awaits_claim(&vif, &port, &me));

    /* A claim on its way, or decided but not sent yet. */
    vif.plug = false;
    port.n_requested_chassis = 0;
    assert_false(binding_vif_awaits_claim(&vif, &port, &me));
    vif.claim_sent = true;
    assert_true(binding_vif_awaits_claim(&vif, &port, &me));
    vif.claim_sent = false;
    vif.claim_unsent = true;
    assert_true(binding_vif_awaits_claim(&vif, &port, &me));

    /* No Port row, or no chassis yet. */
    assert_false(binding_vif_awaits_claim(&vif, NULL, &me));
    assert_false(binding_vif_awaits_claim(&vif, &port, NULL));

    /* A VIF not matched to the row yet (plugged again while the release of
     * its previous VIF is on its way, as a new "struct local_vif"): its
     * first sight of the row will be a plug, unless requested_chassis rules
     * this chassis out. */
    vif.claim_unsent = false;
    vif.state = VIF_PENDING_CLAIM;
    memset(&vif.port_uuid, 0, sizeof vif.port_uuid);
    port.chassis = &me;
    assert_true(binding_vif_awaits_claim(&vif, &port, &me));
    port.n_requested_chassis = 1;
    assert_false(binding_vif_awaits_claim(&vif, &port, &me));
}

/* The switch announces a port on the OpenFlow connection before
 * ovs-vswitchd's write of Interface.ofport reaches the agent: a VIF is
 * plugged from the announcement while the column is empty, but only from
 * one that came after the agent saw the Interface row, since an older one
 * may be that of a deleted interface of the same name.  The column, once
 * written, decides. */
static void
a_vif_takes_its_port_from_the_switch_first(void **state_ OVS_UNUSED)
{
    struct ovsrec_interface iface;
    struct shash switch_ports = SHASH_INITIALIZER(&switch_ports);
    struct ofctrl_port other = { .port_no = u16_to_ofp(3), .seqno = 4 };
    struct ofctrl_port announced = { .port_no = u16_to_ofp(7), .seqno = 6 };
    int64_t ofport;

    memset(&iface, 0, sizeof iface);
    iface.name = "vm-a";

    /* Neither knows it yet. */
    assert_int_equal(ofp_to_u16(binding_iface_ofport(&iface, NULL, 0)),
                     ofp_to_u16(OFPP_NONE));
    assert_int_equal(ofp_to_u16(binding_iface_ofport(&iface, &switch_ports,
                                                     0)),
                     ofp_to_u16(OFPP_NONE));

    /* Announced by the switch after the row was seen (seqno 5), not yet in
     * the database; another port's number does not count. */
    shash_add(&switch_ports, "other", &other);
    shash_add(&switch_ports, "vm-a", &announced);
    assert_int_equal(ofp_to_u16(binding_iface_ofport(&iface, &switch_ports,
                                                     5)),
                     7);

    /* Announced before the row was seen (seqno 6 or later): perhaps a
     * previous interface of that name, so not until the column says so. */
    assert_int_equal(ofp_to_u16(binding_iface_ofport(&iface, &switch_ports,
                                                     6)),
                     ofp_to_u16(OFPP_NONE));

    /* In the database: the column decides, whatever the switch said. */
    ofport = 9;
    iface.ofport = &ofport;
    iface.n_ofport = 1;
    assert_int_equal(ofp_to_u16(binding_iface_ofport(&iface, &switch_ports,
                                                     5)),
                     9);
    assert_int_equal(ofp_to_u16(binding_iface_ofport(&iface, NULL, 0)), 9);

    /* A column that is no port: -1 (ovs-vswitchd could not add it), 0, or
     * a reserved number; the announcement does not override it. */
    int64_t invalid[] = { -1, 0, 0xff00, 0xfffe };
    for (size_t i = 0; i < ARRAY_SIZE(invalid); i++) {
        ofport = invalid[i];
        assert_int_equal(ofp_to_u16(binding_iface_ofport(&iface,
                                                         &switch_ports, 5)),
                         ofp_to_u16(OFPP_NONE));
    }
    shash_destroy(&switch_ports);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(standby_packets_wait_for_activation_in_order),
        cmocka_unit_test(only_standby_activated_or_bound_vifs_hold),
        cmocka_unit_test(packets_of_a_vif_that_left_standby_are_dropped),
        cmocka_unit_test(held_packets_are_bounded),
        cmocka_unit_test(a_vif_is_served_from_its_claim_on),
        cmocka_unit_test(a_vif_awaits_a_claim_only_for_a_pending_plug),
        cmocka_unit_test(a_vif_takes_its_port_from_the_switch_first),
    };
    return cmocka_run_group_tests_name("binding", tests, NULL, NULL);
}
