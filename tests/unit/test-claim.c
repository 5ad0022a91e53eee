/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

/* Unit tests for agent/claim: the claim decision of DESIGN section 5 for
 * every combination of plug event, requested_chassis, holder (and its
 * liveness) and standby. */

#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "agent/claim.h"
#include "util.h"

static const char *const request_names[] = {
    "requested_chassis empty", "requested first", "requested second",
    "requested elsewhere",
};
static const char *const holder_names[] = {
    "held by nobody", "held here", "held by a live chassis",
    "held by a dead chassis", "held by a chassis of unknown liveness",
};

/* The rules, written out case by case from DESIGN section 5 and the issue
 * (independently of claim.c's control flow). */
static enum claim_action
expected(bool plug, enum claim_request request, enum claim_holder holder,
         bool standby)
{
    if (holder == CLAIM_HOLDER_ME) {
        return CLAIM_SERVE;                 /* Ours already. */
    }
    if (request == CLAIM_REQUEST_OTHERS) {
        /* Never claim against requested_chassis; drop a standby role. */
        return standby ? CLAIM_LEAVE_STANDBY : CLAIM_WAIT;
    }
    if (!plug && !standby) {
        return CLAIM_WAIT;                  /* No re-claim without a plug. */
    }
    if (request == CLAIM_REQUEST_SECOND
        || (request == CLAIM_REQUEST_ANY && standby && !plug)) {
        /* A live migration, also once requested_chassis was emptied: the
         * source keeps the port while it runs the VM. */
        if (holder == CLAIM_HOLDER_ALIVE) {
            return standby ? CLAIM_KEEP_STANDBY : CLAIM_STANDBY;
        }
        if (holder == CLAIM_HOLDER_UNKNOWN) {
            return standby ? CLAIM_KEEP_STANDBY : CLAIM_WAIT;
        }
        return CLAIM_BIND;                  /* Nobody, or dead: failover. */
    }
    /* Empty or first: cold move or failover, whoever holds it. */
    return CLAIM_BIND;
}

static void
every_combination_follows_the_rules(void **state OVS_UNUSED)
{
    int n = 0;

    for (int plug = 0; plug < 2; plug++) {
        for (int r = CLAIM_REQUEST_ANY; r <= CLAIM_REQUEST_OTHERS; r++) {
            for (int h = CLAIM_HOLDER_NONE; h <= CLAIM_HOLDER_UNKNOWN; h++) {
                for (int standby = 0; standby < 2; standby++) {
                    struct claim_input in = {
                        .plug = plug, .request = r, .holder = h,
                        .standby = standby,
                    };
                    enum claim_action want = expected(plug, r, h, standby);
                    enum claim_action got = claim_decide(&in);
                    if (want != got) {
                        fail_msg("%s, %s, %s, %s: expected %s, got %s",
                                 plug ? "plug event" : "no plug event",
                                 request_names[r], holder_names[h],
                                 standby ? "standby here" : "not standby",
                                 claim_action_to_string(want),
                                 claim_action_to_string(got));
                    }
                    n++;
                }
            }
        }
    }
    assert_int_equal(n, 80);
}

static enum claim_action
decide(bool plug, enum claim_request request, enum claim_holder holder,
       bool standby)
{
    struct claim_input in = { plug, request, holder, standby };
    return claim_decide(&in);
}

static void
cold_move_claims_from_a_live_holder(void **state OVS_UNUSED)
{
    assert_int_equal(decide(true, CLAIM_REQUEST_ANY, CLAIM_HOLDER_ALIVE,
                            false), CLAIM_BIND);
}

static void
failover_claims_from_a_dead_holder(void **state OVS_UNUSED)
{
    assert_int_equal(decide(true, CLAIM_REQUEST_FIRST, CLAIM_HOLDER_DEAD,
                            false), CLAIM_BIND);
}

static void
stale_vif_never_claims_back(void **state OVS_UNUSED)
{
    /* B comes back with its old VIF: no new plug event. */
    for (int h = CLAIM_HOLDER_NONE; h <= CLAIM_HOLDER_UNKNOWN; h++) {
        if (h != CLAIM_HOLDER_ME) {
            assert_int_equal(decide(false, CLAIM_REQUEST_ANY, h, false),
                             CLAIM_WAIT);
        }
    }
}

static void
live_migration_destination_waits_as_standby(void **state OVS_UNUSED)
{
    assert_int_equal(decide(true, CLAIM_REQUEST_SECOND, CLAIM_HOLDER_ALIVE,
                            false), CLAIM_STANDBY);
    assert_int_equal(decide(false, CLAIM_REQUEST_SECOND, CLAIM_HOLDER_ALIVE,
                            true), CLAIM_KEEP_STANDBY);
}

static void
live_migration_from_a_dead_source_binds(void **state OVS_UNUSED)
{
    assert_int_equal(decide(false, CLAIM_REQUEST_SECOND, CLAIM_HOLDER_DEAD,
                            true), CLAIM_BIND);
}

static void
emptied_request_takes_nothing_from_a_live_source(void **state OVS_UNUSED)
{
    /* requested_chassis = {B, C} becomes empty while C stands by. */
    assert_int_equal(decide(false, CLAIM_REQUEST_ANY, CLAIM_HOLDER_ALIVE,
                            true), CLAIM_KEEP_STANDBY);
    assert_int_equal(decide(false, CLAIM_REQUEST_ANY, CLAIM_HOLDER_UNKNOWN,
                            true), CLAIM_KEEP_STANDBY);
    assert_int_equal(decide(false, CLAIM_REQUEST_ANY, CLAIM_HOLDER_DEAD,
                            true), CLAIM_BIND);
    assert_int_equal(decide(false, CLAIM_REQUEST_ANY, CLAIM_HOLDER_NONE,
                            true), CLAIM_BIND);
}

static void
aborted_migration_leaves_standby(void **state OVS_UNUSED)
{
    assert_int_equal(decide(false, CLAIM_REQUEST_OTHERS, CLAIM_HOLDER_ALIVE,
                            true), CLAIM_LEAVE_STANDBY);
}

static void
requested_elsewhere_is_never_claimed(void **state OVS_UNUSED)
{
    assert_int_equal(decide(true, CLAIM_REQUEST_OTHERS, CLAIM_HOLDER_NONE,
                            false), CLAIM_WAIT);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_combination_follows_the_rules),
        cmocka_unit_test(cold_move_claims_from_a_live_holder),
        cmocka_unit_test(failover_claims_from_a_dead_holder),
        cmocka_unit_test(stale_vif_never_claims_back),
        cmocka_unit_test(live_migration_destination_waits_as_standby),
        cmocka_unit_test(live_migration_from_a_dead_source_binds),
        cmocka_unit_test(emptied_request_takes_nothing_from_a_live_source),
        cmocka_unit_test(aborted_migration_leaves_standby),
        cmocka_unit_test(requested_elsewhere_is_never_claimed),
    };
    return cmocka_run_group_tests_name("claim", tests, NULL, NULL);
}
