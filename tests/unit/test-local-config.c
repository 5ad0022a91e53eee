/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

/* Unit tests for agent/local-config: parsing the Open_vSwitch external_ids
 * that configure roam-agent. */

#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "agent/local-config.h"
#include "openvswitch/shash.h"
#include "smap.h"
#include "sset.h"

/* A test's configuration, errors and external_ids. */
struct fixture {
    struct smap ids;
    struct local_config cfg;
    struct shash errors;
};

static int
setup(void **state)
{
    struct fixture *f = xzalloc(sizeof *f);

    smap_init(&f->ids);
    local_config_init(&f->cfg);
    shash_init(&f->errors);

    /* A complete, valid configuration that each test then breaks. */
    smap_add(&f->ids, "system-id", "hv1");
    smap_add(&f->ids, "roam-remote", "unix:/run/roam/roam.sock");
    smap_add(&f->ids, "roam-encap-type", "geneve");
    smap_add(&f->ids, "roam-encap-ip", "192.0.2.11");
    *state = f;
    return 0;
}

static int
teardown(void **state)
{
    struct fixture *f = *state;

    smap_destroy(&f->ids);
    local_config_destroy(&f->cfg);
    shash_destroy_free_data(&f->errors);
    free(f);
    return 0;
}

static bool
parse(struct fixture *f)
{
    shash_destroy_free_data(&f->errors);
    shash_init(&f->errors);
    return local_config_parse(&f->ids, "host-a", &f->cfg, &f->errors);
}

/* Asserts that parsing fails with exactly one error, for 'key', whose message
 * contains 'fragment'. */
static void
assert_only_error(struct fixture *f, const char *key, const char *fragment)
{
    assert_false(parse(f));
    assert_int_equal(shash_count(&f->errors), 1);

    const char *msg = shash_find_data(&f->errors, key);
    if (!msg) {
        struct shash_node *node = shash_first(&f->errors);
        fail_msg("expected an error for key %s, got one for %s", key,
                 node->name);
    }
    if (!strstr(msg, fragment)) {
        fail_msg("expected the error for %s to mention \"%s\", got \"%s\"",
                 key, fragment, msg);
    }
}

static void
complete_config_parses_with_defaults(void **state)
{
    struct fixture *f = *state;

    assert_true(parse(f));
    assert_int_equal(shash_count(&f->errors), 0);
    assert_string_equal(f->cfg.system_id, "hv1");
    assert_string_equal(f->cfg.hostname, "host-a");
    assert_string_equal(f->cfg.zone, "");
    assert_string_equal(f->cfg.remote, "unix:/run/roam/roam.sock");
    assert_int_equal(sset_count(&f->cfg.encap_types), 1);
    assert_true(sset_contains(&f->cfg.encap_types, "geneve"));
    assert_string_equal(f->cfg.encap_ip, "192.0.2.11");
    assert_null(f->cfg.encap_iface);
    assert_string_equal(f->cfg.bridge, "br-int");
    assert_string_equal(f->cfg.datapath_type, "system");
    assert_int_equal(f->cfg.heartbeat_interval, 2000);
    assert_int_equal(f->cfg.bfd_interval, 1000);
    assert_int_equal(f->cfg.unknown_mac_timeout, 60000);
    assert_true(f->cfg.monitor_all);
}

static void
optional_keys_override_defaults(void **state)
{
    struct fixture *f = *state;

    smap_replace(&f->ids, "hostname", "compute-7");
    smap_replace(&f->ids, "roam-zone", "rack2");
    smap_replace(&f->ids, "roam-bridge", "br-roam");
    smap_replace(&f->ids, "roam-bridge-datapath-type", "netdev");
    smap_replace(&f->ids, "roam-heartbeat-interval", "500");
    smap_replace(&f->ids, "roam-bfd-interval", "300");
    smap_replace(&f->ids, "roam-unknown-mac-timeout", "5000");
    assert_true(parse(f));
    assert_string_equal(f->cfg.hostname, "compute-7");
    assert_string_equal(f->cfg.zone, "rack2");
    assert_string_equal(f->cfg.bridge, "br-roam");
    assert_string_equal(f->cfg.datapath_type, "netdev");
    assert_int_equal(f->cfg.heartbeat_interval, 500);
    assert_int_equal(f->cfg.bfd_interval, 300);
    assert_int_equal(f->cfg.unknown_mac_timeout, 5000);
}

static void
missing_system_id_is_named(void **state)
{
    struct fixture *f = *state;

    smap_remove(&f->ids, "system-id");
    assert_only_error(f, "system-id", "missing");
}

static void
missing_remote_is_named(void **state)
{
    struct fixture *f = *state;

    smap_remove(&f->ids, "roam-remote");
    assert_only_error(f, "roam-remote", "missing");
}

static void
remote_with_bad_method_is_refused(void **state)
{
    struct fixture *f = *state;

    smap_replace(&f->ids, "roam-remote", "http:192.0.2.1");
    assert_only_error(f, "roam-remote", "http:192.0.2.1");
}

static void
remote_list_for_a_cluster_is_accepted(void **state)
{
    struct fixture *f = *state;

    smap_replace(&f->ids, "roam-remote",
                 "unix:/a/1.sock,unix:/a/2.sock,tcp:192.0.2.3:6641");
    assert_true(parse(f));
    assert_string_equal(f->cfg.remote,
                        "unix:/a/1.sock,unix:/a/2.sock,tcp:192.0.2.3:6641");
}

static void
remote_list_with_one_bad_member_is_refused(void **state)
{
    struct fixture *f = *state;

    smap_replace(&f->ids, "roam-remote", "unix:/a/1.sock,bogus:x");
    assert_only_error(f, "roam-remote", "bogus:x");
}

static void
unknown_encap_type_is_refused(void **state)
{
    struct fixture *f = *state;

    smap_replace(&f->ids, "roam-encap-type", "ipip");
    assert_only_error(f, "roam-encap-type", "ipip");
    assert_true(sset_is_empty(&f->cfg.encap_types));
}

static void
several_encap_types_give_one_each(void **state)
{
    struct fixture *f = *state;

    smap_replace(&f->ids, "roam-encap-type", "vxlan, geneve,vxlan");
    assert_true(parse(f));
    assert_int_equal(sset_count(&f->cfg.encap_types), 2);
    assert_true(sset_contains(&f->cfg.encap_types, "geneve"));
    assert_true(sset_contains(&f->cfg.encap_types, "vxlan"));
}

static void
empty_encap_type_is_refused(void **state)
{
    struct fixture *f = *state;

    smap_replace(&f->ids, "roam-encap-type", " , ");
    assert_only_error(f, "roam-encap-type", "empty");
}

static void
bad_encap_ip_is_refused(void **state)
{
    struct fixture *f = *state;

    smap_replace(&f->ids, "roam-encap-ip", "192.0.2.300");
    assert_only_error(f, "roam-encap-ip", "192.0.2.300");
    assert_null(f->cfg.encap_ip);
}

static void
ipv6_encap_ip_is_accepted(void **state)
{
    struct fixture *f = *state;

    smap_replace(&f->ids, "roam-encap-ip", "2001:db8::11");
    assert_true(parse(f));
    assert_string_equal(f->cfg.encap_ip, "2001:db8::11");
}

static void
encap_iface_is_used_without_encap_ip(void **state)
{
    struct fixture *f = *state;

    smap_remove(&f->ids, "roam-encap-ip");
    smap_replace(&f->ids, "roam-encap-iface", "eth1");
    assert_true(parse(f));
    assert_null(f->cfg.encap_ip);
    assert_string_equal(f->cfg.encap_iface, "eth1");
}

static void
encap_ip_wins_over_encap_iface(void **state)
{
    struct fixture *f = *state;

    smap_replace(&f->ids, "roam-encap-iface", "eth1");
    assert_true(parse(f));
    assert_string_equal(f->cfg.encap_ip, "192.0.2.11");
    assert_null(f->cfg.encap_iface);
}

static void
overlong_encap_iface_is_refused(void **state)
{
    struct fixture *f = *state;

    smap_remove(&f->ids, "roam-encap-ip");
    smap_replace(&f->ids, "roam-encap-iface", "an-interface-name-too-long");
    assert_only_error(f, "roam-encap-iface", "an-interface-name-too-long");
}

static void
alias_or_dot_encap_iface_is_refused(void **state)
{
    struct fixture *f = *state;

    smap_remove(&f->ids, "roam-encap-ip");
    smap_replace(&f->ids, "roam-encap-iface", "eth0:1");
    assert_only_error(f, "roam-encap-iface", "eth0:1");
    smap_replace(&f->ids, "roam-encap-iface", "..");
    assert_only_error(f, "roam-encap-iface", "..");
}

static void
missing_endpoint_names_encap_ip(void **state)
{
    struct fixture *f = *state;

    smap_remove(&f->ids, "roam-encap-ip");
    assert_only_error(f, "roam-encap-ip", "roam-encap-iface");
}

static void
bad_datapath_type_is_refused(void **state)
{
    struct fixture *f = *state;

    smap_replace(&f->ids, "roam-bridge-datapath-type", "dpdk-fast");
    assert_only_error(f, "roam-bridge-datapath-type", "dpdk-fast");
}

static void
bad_bridge_name_is_refused(void **state)
{
    struct fixture *f = *state;

    smap_replace(&f->ids, "roam-bridge", "br/int");
    assert_only_error(f, "roam-bridge", "br/int");
}

static void
heartbeat_interval_out_of_range_is_refused(void **state)
{
    struct fixture *f = *state;

    smap_replace(&f->ids, "roam-heartbeat-interval", "99");
    assert_only_error(f, "roam-heartbeat-interval", "99");
    smap_replace(&f->ids, "roam-heartbeat-interval", "3600001");
    assert_only_error(f, "roam-heartbeat-interval", "3600001");
    smap_replace(&f->ids, "roam-heartbeat-interval", "2s");
    assert_only_error(f, "roam-heartbeat-interval", "2s");
    smap_replace(&f->ids, "roam-heartbeat-interval", "100");
    assert_true(parse(f));
    assert_int_equal(f->cfg.heartbeat_interval, 100);
    /* Unlike BFD, heartbeats cannot be switched off. */
    smap_replace(&f->ids, "roam-heartbeat-interval", "0");
    assert_only_error(f, "roam-heartbeat-interval", "0");
}

static void
bfd_interval_zero_switches_bfd_off(void **state)
{
    struct fixture *f = *state;

    smap_replace(&f->ids, "roam-bfd-interval", "0");
    assert_true(parse(f));
    assert_int_equal(f->cfg.bfd_interval, 0);
    smap_replace(&f->ids, "roam-bfd-interval", " 60000 ");
    assert_true(parse(f));
    assert_int_equal(f->cfg.bfd_interval, 60000);
}

static void
unknown_mac_timeout_zero_learns_none_and_bounds_hold(void **state)
{
    struct fixture *f = *state;

    smap_replace(&f->ids, "roam-unknown-mac-timeout", "0");
    assert_true(parse(f));
    assert_int_equal(f->cfg.unknown_mac_timeout, 0);
    smap_replace(&f->ids, "roam-unknown-mac-timeout", "3600000");
    assert_true(parse(f));
    assert_int_equal(f->cfg.unknown_mac_timeout, 3600000);
    smap_replace(&f->ids, "roam-unknown-mac-timeout", "999");
    assert_only_error(f, "roam-unknown-mac-timeout",
                      "or 0 for every such packet to the agent");
    smap_replace(&f->ids, "roam-unknown-mac-timeout", "3600001");
    assert_only_error(f, "roam-unknown-mac-timeout", "3600001");
    smap_replace(&f->ids, "roam-unknown-mac-timeout", "1m");
    assert_only_error(f, "roam-unknown-mac-timeout", "1m");
}

static void
monitor_all_is_a_boolean(void **state)
{
    struct fixture *f = *state;

    smap_replace(&f->ids, "roam-monitor-all", "false");
    assert_true(parse(f));
    assert_false(f->cfg.monitor_all);
    smap_replace(&f->ids, "roam-monitor-all", " true ");
    assert_true(parse(f));
    assert_true(f->cfg.monitor_all);
    smap_replace(&f->ids, "roam-monitor-all", "no");
    assert_only_error(f, "roam-monitor-all", "\"no\" is not a boolean");
    smap_replace(&f->ids, "roam-monitor-all", "");
    assert_only_error(f, "roam-monitor-all", "expected true or false");
}

static void
bfd_interval_out_of_range_is_refused(void **state)
{
    struct fixture *f = *state;

    smap_replace(&f->ids, "roam-bfd-interval", "99");
    assert_only_error(f, "roam-bfd-interval", "or 0 for no BFD");
    smap_replace(&f->ids, "roam-bfd-interval", "60001");
    assert_only_error(f, "roam-bfd-interval", "60001");
    smap_replace(&f->ids, "roam-bfd-interval", "-1");
    assert_only_error(f, "roam-bfd-interval", "-1");
    smap_replace(&f->ids, "roam-bfd-interval", "1s");
    assert_only_error(f, "roam-bfd-interval", "1s");
}

static void
every_bad_key_is_reported_at_once(void **state)
{
    struct fixture *f = *state;

    smap_remove(&f->ids, "system-id");
    smap_replace(&f->ids, "roam-encap-type", "ipip");
    smap_replace(&f->ids, "roam-encap-ip", "not-an-ip");
    assert_false(parse(f));
    assert_int_equal(shash_count(&f->errors), 3);
    assert_non_null(shash_find(&f->errors, "system-id"));
    assert_non_null(shash_find(&f->errors, "roam-encap-type"));
    assert_non_null(shash_find(&f->errors, "roam-encap-ip"));
}

static void
white_space_around_values_is_ignored(void **state)
{
    struct fixture *f = *state;

    smap_replace(&f->ids, "system-id", "  hv1 ");
    smap_replace(&f->ids, "roam-encap-ip", "192.0.2.11\n");
    assert_true(parse(f));
    assert_string_equal(f->cfg.system_id, "hv1");
    assert_string_equal(f->cfg.encap_ip, "192.0.2.11");
}

static void
plugins_disabled_is_a_list_of_names(void **state)
{
    struct fixture *f = *state;

    assert_true(parse(f));
    assert_true(sset_is_empty(&f->cfg.plugins_disabled));
    smap_replace(&f->ids, "roam-plugins-disabled", "arp-responder, acl");
    assert_true(parse(f));
    assert_int_equal(sset_count(&f->cfg.plugins_disabled), 2);
    assert_true(sset_contains(&f->cfg.plugins_disabled, "acl"));
    smap_replace(&f->ids, "roam-plugins-disabled", "acl,\x01" "bad");
    assert_only_error(f, "roam-plugins-disabled", "plugin");
}

static void
clone_and_equals_agree(void **state)
{
    struct fixture *f = *state;
    struct local_config copy;

    assert_true(parse(f));
    local_config_init(&copy);
    local_config_clone(&copy, &f->cfg);
    assert_true(local_config_equals(&copy, &f->cfg));

    smap_replace(&f->ids, "roam-encap-type", "geneve,gre");
    assert_true(parse(f));
    assert_false(local_config_equals(&copy, &f->cfg));
    local_config_destroy(&copy);

    local_config_init(&copy);
    local_config_clone(&copy, &f->cfg);
    smap_replace(&f->ids, "roam-monitor-all", "false");
    assert_true(parse(f));
    assert_false(local_config_equals(&copy, &f->cfg));
    local_config_destroy(&copy);
    local_config_init(&copy);
    local_config_clone(&copy, &f->cfg);
    assert_true(local_config_equals(&copy, &f->cfg));
    local_config_destroy(&copy);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define TEST(NAME) cmocka_unit_test_setup_teardown(NAME, setup, teardown)
        TEST(complete_config_parses_with_defaults),
        TEST(optional_keys_override_defaults),
        TEST(missing_system_id_is_named),
        TEST(missing_remote_is_named),
        TEST(remote_with_bad_method_is_refused),
        TEST(remote_list_for_a_cluster_is_accepted),
        TEST(remote_list_with_one_bad_member_is_refused),
        TEST(unknown_encap_type_is_refused),
        TEST(several_encap_types_give_one_each),
        TEST(empty_encap_type_is_refused),
        TEST(bad_encap_ip_is_refused),
        TEST(ipv6_encap_ip_is_accepted),
        TEST(encap_iface_is_used_without_encap_ip),
        TEST(encap_ip_wins_over_encap_iface),
        TEST(overlong_encap_iface_is_refused),
        TEST(alias_or_dot_encap_iface_is_refused),
        TEST(missing_endpoint_names_encap_ip),
        TEST(bad_datapath_type_is_refused),
        TEST(bad_bridge_name_is_refused),
        TEST(heartbeat_interval_out_of_range_is_refused),
        TEST(bfd_interval_zero_switches_bfd_off),
        TEST(bfd_interval_out_of_range_is_refused),
        TEST(unknown_mac_timeout_zero_learns_none_and_bounds_hold),
        TEST(monitor_all_is_a_boolean),
        TEST(every_bad_key_is_reported_at_once),
        TEST(white_space_around_values_is_ignored),
        TEST(plugins_disabled_is_a_list_of_names),
        TEST(clone_and_equals_agree),
#undef TEST
    };
    return cmocka_run_group_tests_name("local-config", tests, NULL, NULL);
}
