/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

/* Unit tests for agent/plugin: which features run, and the tables they
 * declare. */

#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "agent/flow-set.h"
#include "agent/flow-tables.h"
#include "agent/plugin.h"
#include "openvswitch/match.h"
#include "sset.h"

/* Each fake plugin adds one flow to its own table. */
static void
add_flow_in_table(struct flow_set *desired, uint8_t table_id)
{
    struct match match;

    match_init_catchall(&match);
    flow_set_add(desired, table_id, 1, 0, &match, NULL, 0);
}

static void
fake_optional_add_flows(struct flow_set *desired)
{
    add_flow_in_table(desired, 100);
}

static void
fake_required_add_flows(struct flow_set *desired)
{
    add_flow_in_table(desired, 101);
}

static const struct flow_table optional_tables[] = { { 100, "fake_opt" } };
static const struct flow_table required_tables[] = { { 101, "fake_req" } };

static const struct plugin_class fake_optional = {
    .name = "optional",
    .optional = true,
    .tables = optional_tables,
    .n_tables = 1,
    .add_static_flows = fake_optional_add_flows,
};

static const struct plugin_class fake_required = {
    .name = "required",
    .optional = false,
    .tables = required_tables,
    .n_tables = 1,
    .add_static_flows = fake_required_add_flows,
};

static const struct plugin_class *const fakes[] = {
    &fake_required, &fake_optional,
};

static size_t
run(const char *disabled_name)
{
    struct sset disabled = SSET_INITIALIZER(&disabled);
    struct flow_set desired;

    if (disabled_name) {
        sset_add(&disabled, disabled_name);
    }
    flow_set_init(&desired);
    /* What desired-flows does on a full computation. */
    for (size_t i = 0; i < ARRAY_SIZE(fakes); i++) {
        if (plugin_is_enabled(fakes[i], &disabled)) {
            fakes[i]->add_static_flows(&desired);
        }
    }

    size_t n = flow_set_count(&desired);
    flow_set_destroy(&desired);
    sset_destroy(&disabled);
    return n;
}

static void
every_plugin_runs_by_default(void **state OVS_UNUSED)
{
    assert_int_equal(run(NULL), 2);
}

static void
a_disabled_optional_plugin_adds_no_flows(void **state OVS_UNUSED)
{
    assert_int_equal(run("optional"), 1);
}

static void
a_required_plugin_cannot_be_disabled(void **state OVS_UNUSED)
{
    assert_int_equal(run("required"), 2);
}

static void
the_core_is_known_first_and_required(void **state OVS_UNUSED)
{
    size_t n;
    const struct plugin_class *const *classes = plugin_get_all(&n);

    assert_true(n >= 1);
    assert_string_equal(classes[0]->name, "core");
    assert_false(classes[0]->optional);
    assert_ptr_equal(plugin_find("core"), classes[0]);
    assert_null(plugin_find("no-such-plugin"));
}

static void
core_owns_the_core_tables(void **state OVS_UNUSED)
{
    const struct plugin_class *core = plugin_find("core");
    static const uint8_t ids[] = {
        FLOW_TABLE_CLASSIFY, FLOW_TABLE_L2_LOOKUP, FLOW_TABLE_FLOOD,
        FLOW_TABLE_OUTPUT,
    };

    assert_int_equal(core->n_tables, ARRAY_SIZE(ids));
    for (size_t i = 0; i < ARRAY_SIZE(ids); i++) {
        assert_int_equal(core->tables[i].id, ids[i]);
    }
}

static void
tables_lead_to_their_plugin(void **state OVS_UNUSED)
{
    const struct flow_table *table;

    assert_ptr_equal(plugin_find_by_table(fakes, ARRAY_SIZE(fakes), 100,
                                          &table), &fake_optional);
    assert_non_null(table);
    assert_int_equal(table->id, 100);
    assert_ptr_equal(plugin_find_by_table(fakes, ARRAY_SIZE(fakes), 101,
                                          NULL), &fake_required);
    assert_null(plugin_find_by_table(fakes, ARRAY_SIZE(fakes), 102,
                                     &table));
    assert_null(table);
}

static void
no_two_plugins_share_a_table_number_or_name(void **state OVS_UNUSED)
{
    size_t n;
    const struct plugin_class *const *classes = plugin_get_all(&n);
    struct sset names = SSET_INITIALIZER(&names);
    bool used[256] = { false };

    for (size_t i = 0; i < n; i++) {
        for (size_t j = 0; j < classes[i]->n_tables; j++) {
            const struct flow_table *t = &classes[i]->tables[j];
            if (used[t->id]) {
                fail_msg("table %d is declared twice (again by plugin %s)",
                         t->id, classes[i]->name);
            }
            used[t->id] = true;
            if (!sset_add(&names, t->name)) {
                fail_msg("table name %s is declared twice (again by plugin "
                         "%s)", t->name, classes[i]->name);
            }
        }
    }
    assert_int_equal(sset_count(&names), flow_tables_count());
    sset_destroy(&names);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(every_plugin_runs_by_default),
        cmocka_unit_test(a_disabled_optional_plugin_adds_no_flows),
        cmocka_unit_test(a_required_plugin_cannot_be_disabled),
        cmocka_unit_test(the_core_is_known_first_and_required),
        cmocka_unit_test(core_owns_the_core_tables),
        cmocka_unit_test(tables_lead_to_their_plugin),
        cmocka_unit_test(no_two_plugins_share_a_table_number_or_name),
    };
    return cmocka_run_group_tests_name("plugin", tests, NULL, NULL);
}
