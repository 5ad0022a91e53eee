/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

/* Unit tests for ovsdb/roam-validate.c (the rules for database values) and
 * ovsdb/chassis-liveness.c (whether a chassis is alive). */

#include <config.h>

#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "openvswitch/util.h"
#include "ovsdb/chassis-liveness.h"
#include "ovsdb/roam-idl.h"
#include "ovsdb/roam-validate.h"
#include "packets.h"

/* Checks that 'error', the result of validating 'value', is NULL.  Frees
 * 'error'. */
static void
expect_valid__(char *error, const char *value, const char *where, int line)
{
    if (error) {
        print_error("%s:%d: expected \"%s\" to be accepted, got: %s\n",
                    where, line, value, error);
        free(error);
        fail();
    }
}
#define EXPECT_VALID(ERROR, VALUE) \
    expect_valid__(ERROR, VALUE, __FILE__, __LINE__)

/* Checks that 'error', the result of validating 'value', is a message that
 * contains both 'named' (how the message names the value) and 'rule' (the
 * rule it breaks).  Frees 'error'. */
static void
expect_invalid__(char *error, const char *value, const char *named,
                 const char *rule, const char *where, int line)
{
    if (!error) {
        print_error("%s:%d: expected \"%s\" to be refused (%s), "
                    "got: accepted\n", where, line, value, rule);
        fail();
    }
    if (!strstr(error, named) || !strstr(error, rule)) {
        print_error("%s:%d: expected a message naming %s and saying \"%s\", "
                    "got: %s\n", where, line, named, rule, error);
        free(error);
        fail();
    }
    free(error);
}
#define EXPECT_INVALID(ERROR, VALUE, NAMED, RULE) \
    expect_invalid__(ERROR, VALUE, NAMED, RULE, __FILE__, __LINE__)

/* Like EXPECT_INVALID for a string value, which the message names in double
 * quotes. */
#define EXPECT_INVALID_STR(FUNC, VALUE, RULE)                           \
    EXPECT_INVALID(FUNC(VALUE), VALUE, "\"" VALUE "\"", RULE)

/* MAC addresses. */

#define MAC_RULE "is not a MAC address (expected six hexadecimal octets " \
                 "separated by colons, e.g. 00:00:5e:00:53:01)"

static char *
validate_mac(const char *value)
{
    return roam_validate_mac(value, NULL);
}

static void
test_mac_accepts_unicast_and_stores_it(void **state OVS_UNUSED)
{
    struct eth_addr mac = eth_addr_zero;
    const struct eth_addr expected = ETH_ADDR_C(00, 00, 5e, 00, 53, 01);

    EXPECT_VALID(roam_validate_mac("00:00:5e:00:53:01", &mac),
                 "00:00:5e:00:53:01");
    assert_true(eth_addr_equals(mac, expected));
}

static void
test_mac_accepts_either_case_and_local_bit(void **state OVS_UNUSED)
{
    EXPECT_VALID(validate_mac("00:00:5E:00:53:AB"), "00:00:5E:00:53:AB");
    EXPECT_VALID(validate_mac("02:00:5e:00:53:01"), "02:00:5e:00:53:01");
    EXPECT_VALID(validate_mac("fe:ff:ff:ff:ff:ff"), "fe:ff:ff:ff:ff:ff");
}

static void
test_mac_rejects_malformed_text_naming_value_and_rule(
    void **state OVS_UNUSED)
{
    EXPECT_INVALID_STR(validate_mac, "zz:11", MAC_RULE);
    EXPECT_INVALID_STR(validate_mac, "", MAC_RULE);
    EXPECT_INVALID_STR(validate_mac, "00:11:22:33:44", MAC_RULE);
    EXPECT_INVALID_STR(validate_mac, "00:11:22:33:44:55:66", MAC_RULE);
    EXPECT_INVALID_STR(validate_mac, "00-00-5e-00-53-01", MAC_RULE);
    EXPECT_INVALID_STR(validate_mac, "00005e005301", MAC_RULE);
    EXPECT_INVALID_STR(validate_mac, "00:00:5e:00:53:01 ", MAC_RULE);
}

static void
test_mac_rejects_what_lenient_parsers_accept(void **state OVS_UNUSED)
{
    /* eth_addr_from_string() alone would take all of these. */
    EXPECT_INVALID_STR(validate_mac, " 00:00:5e:00:53:01", MAC_RULE);
    EXPECT_INVALID_STR(validate_mac, "0:0:5e:0:53:1", MAC_RULE);
    EXPECT_INVALID_STR(validate_mac, "100:00:5e:00:53:01", MAC_RULE);
    EXPECT_INVALID_STR(validate_mac, "0x0:00:5e:00:53:01", MAC_RULE);
    EXPECT_INVALID_STR(validate_mac, "+0:00:5e:00:53:01", MAC_RULE);
}

static void
test_mac_rejects_multicast_and_broadcast(void **state OVS_UNUSED)
{
    EXPECT_INVALID_STR(validate_mac, "01:00:5e:00:00:01", "multicast");
    EXPECT_INVALID_STR(validate_mac, "33:33:00:00:00:01", "multicast");
    EXPECT_INVALID_STR(validate_mac, "ff:ff:ff:ff:ff:ff", "multicast");
}

static void
test_mac_rejects_all_zero(void **state OVS_UNUSED)
{
    EXPECT_INVALID_STR(validate_mac, "00:00:00:00:00:00", "all-zero");
}

/* Port addresses. */

static void
test_port_ip_accepts_ipv4_host_with_prefix(void **state OVS_UNUSED)
{
    EXPECT_VALID(roam_validate_port_ip("198.51.100.10/24"),
                 "198.51.100.10/24");
    EXPECT_VALID(roam_validate_port_ip("203.0.113.1/1"), "203.0.113.1/1");
    EXPECT_VALID(roam_validate_port_ip("203.0.113.7/32"), "203.0.113.7/32");
    EXPECT_VALID(roam_validate_port_ip("10.0.0.1/8"), "10.0.0.1/8");
}

static void
test_port_ip_accepts_any_address_of_31_and_32_bit_prefixes(
    void **state OVS_UNUSED)
{
    /* RFC 3021: a /31 has no network or broadcast address. */
    EXPECT_VALID(roam_validate_port_ip("198.51.100.0/31"), "198.51.100.0/31");
    EXPECT_VALID(roam_validate_port_ip("198.51.100.1/31"), "198.51.100.1/31");
    EXPECT_VALID(roam_validate_port_ip("198.51.100.0/32"), "198.51.100.0/32");
}

static void
test_port_ip_accepts_ipv6_host_with_prefix(void **state OVS_UNUSED)
{
    EXPECT_VALID(roam_validate_port_ip("2001:db8::10/64"), "2001:db8::10/64");
    EXPECT_VALID(roam_validate_port_ip("2001:DB8::10/64"), "2001:DB8::10/64");
    EXPECT_VALID(roam_validate_port_ip("2001:db8::/128"), "2001:db8::/128");
    EXPECT_VALID(roam_validate_port_ip("fe80::1/64"), "fe80::1/64");
    EXPECT_VALID(roam_validate_port_ip("::ffff:198.51.100.1/96"),
                 "::ffff:198.51.100.1/96");
}

static void
test_port_ip_rejects_address_without_prefix(void **state OVS_UNUSED)
{
    EXPECT_INVALID_STR(roam_validate_port_ip, "198.51.100.10",
                       "has no prefix length");
    EXPECT_INVALID_STR(roam_validate_port_ip, "2001:db8::10",
                       "has no prefix length");
    EXPECT_INVALID_STR(roam_validate_port_ip, "", "has no prefix length");
}

static void
test_port_ip_rejects_out_of_range_prefix(void **state OVS_UNUSED)
{
    EXPECT_INVALID_STR(roam_validate_port_ip, "198.51.100.10/33",
                       "invalid prefix length (expected /1 to /32");
    EXPECT_INVALID_STR(roam_validate_port_ip, "198.51.100.10/0",
                       "invalid prefix length (expected /1 to /32");
    EXPECT_INVALID_STR(roam_validate_port_ip, "198.51.100.10/-1",
                       "invalid prefix length (expected /1 to /32");
    EXPECT_INVALID_STR(roam_validate_port_ip, "2001:db8::10/129",
                       "invalid prefix length (expected /1 to /128");
    EXPECT_INVALID_STR(roam_validate_port_ip, "2001:db8::10/0",
                       "invalid prefix length (expected /1 to /128");
}

static void
test_port_ip_rejects_prefix_not_in_plain_decimal(void **state OVS_UNUSED)
{
    EXPECT_INVALID_STR(roam_validate_port_ip, "198.51.100.10/",
                       "invalid prefix length");
    EXPECT_INVALID_STR(roam_validate_port_ip, "198.51.100.10/024",
                       "invalid prefix length");
    EXPECT_INVALID_STR(roam_validate_port_ip, "198.51.100.10/24 ",
                       "invalid prefix length");
    EXPECT_INVALID_STR(roam_validate_port_ip, "198.51.100.10/255.255.255.0",
                       "invalid prefix length");
    EXPECT_INVALID_STR(roam_validate_port_ip, "198.51.100.10/24/24",
                       "invalid prefix length");
    EXPECT_INVALID_STR(roam_validate_port_ip, "2001:db8::10/ffff::",
                       "invalid prefix length");
}

static void
test_port_ip_rejects_malformed_address(void **state OVS_UNUSED)
{
    static const char rule[] = "is not an IP address with a prefix length";

    EXPECT_INVALID_STR(roam_validate_port_ip, "hello/24", rule);
    EXPECT_INVALID_STR(roam_validate_port_ip, "198.51.100/24", rule);
    EXPECT_INVALID_STR(roam_validate_port_ip, "300.51.100.10/24", rule);
    EXPECT_INVALID_STR(roam_validate_port_ip, "198.051.100.10/24", rule);
    EXPECT_INVALID_STR(roam_validate_port_ip, " 198.51.100.10/24", rule);
    EXPECT_INVALID_STR(roam_validate_port_ip, "2001:db8::zz/64", rule);
    EXPECT_INVALID_STR(roam_validate_port_ip, "/24", rule);
}

static void
test_port_ip_rejects_network_and_broadcast_addresses(void **state OVS_UNUSED)
{
    EXPECT_INVALID_STR(roam_validate_port_ip, "198.51.100.0/24",
                       "is a network address, not a host address");
    EXPECT_INVALID_STR(roam_validate_port_ip, "198.51.100.255/24",
                       "is a broadcast address, not a host address");
    EXPECT_INVALID_STR(roam_validate_port_ip, "198.51.100.4/30",
                       "is a network address, not a host address");
    EXPECT_INVALID_STR(roam_validate_port_ip, "2001:db8::/64",
                       "is a network address, not a host address");
}

static void
test_port_ip_rejects_reserved_and_multicast(void **state OVS_UNUSED)
{
    EXPECT_INVALID_STR(roam_validate_port_ip, "0.0.0.1/8",
                       "is not a host address");
    EXPECT_INVALID_STR(roam_validate_port_ip, "127.0.0.1/8",
                       "is not a host address");
    EXPECT_INVALID_STR(roam_validate_port_ip, "224.0.0.1/4",
                       "is not a unicast address");
    EXPECT_INVALID_STR(roam_validate_port_ip, "255.255.255.255/32",
                       "is not a unicast address");
    EXPECT_INVALID_STR(roam_validate_port_ip, "::/128",
                       "is not a host address");
    EXPECT_INVALID_STR(roam_validate_port_ip, "::1/128",
                       "is not a host address");
    EXPECT_INVALID_STR(roam_validate_port_ip, "ff02::1/64",
                       "is not a unicast address");
}

/* Tunnel endpoint addresses. */

static void
test_encap_ip_accepts_plain_unicast_address(void **state OVS_UNUSED)
{
    EXPECT_VALID(roam_validate_encap_ip("192.0.2.1"), "192.0.2.1");
    EXPECT_VALID(roam_validate_encap_ip("2001:db8::1"), "2001:db8::1");
}

static void
test_encap_ip_rejects_prefix_and_malformed_address(void **state OVS_UNUSED)
{
    EXPECT_INVALID_STR(roam_validate_encap_ip, "192.0.2.1/24",
                       "is not a plain IP address");
    EXPECT_INVALID_STR(roam_validate_encap_ip, "2001:db8::1/64",
                       "is not a plain IP address");
    EXPECT_INVALID_STR(roam_validate_encap_ip, "192.0.2",
                       "is not an IP address");
    EXPECT_INVALID_STR(roam_validate_encap_ip, "192.0.2.256",
                       "is not an IP address");
    EXPECT_INVALID_STR(roam_validate_encap_ip, "",
                       "is not an IP address");
    EXPECT_INVALID_STR(roam_validate_encap_ip, "hv1.example.org",
                       "is not an IP address");
}

static void
test_encap_ip_rejects_unreachable_addresses(void **state OVS_UNUSED)
{
    EXPECT_INVALID_STR(roam_validate_encap_ip, "0.0.0.0",
                       "cannot be a tunnel endpoint");
    EXPECT_INVALID_STR(roam_validate_encap_ip, "127.0.0.1",
                       "cannot be a tunnel endpoint");
    EXPECT_INVALID_STR(roam_validate_encap_ip, "::",
                       "cannot be a tunnel endpoint");
    EXPECT_INVALID_STR(roam_validate_encap_ip, "fe80::1",
                       "cannot be a tunnel endpoint");
    EXPECT_INVALID_STR(roam_validate_encap_ip, "239.1.1.1",
                       "is not a unicast address");
    EXPECT_INVALID_STR(roam_validate_encap_ip, "255.255.255.255",
                       "is not a unicast address");
    EXPECT_INVALID_STR(roam_validate_encap_ip, "ff02::1",
                       "is not a unicast address");
}

/* Tunnel types. */

static void
test_encap_type_accepts_geneve_vxlan_gre(void **state OVS_UNUSED)
{
    EXPECT_VALID(roam_validate_encap_type("geneve"), "geneve");
    EXPECT_VALID(roam_validate_encap_type("vxlan"), "vxlan");
    EXPECT_VALID(roam_validate_encap_type("gre"), "gre");
}

static void
test_encap_type_rejects_others(void **state OVS_UNUSED)
{
    static const char rule[] = "is not an encapsulation type (expected "
                               "geneve, vxlan or gre)";

    EXPECT_INVALID_STR(roam_validate_encap_type, "stt", rule);
    EXPECT_INVALID_STR(roam_validate_encap_type, "GENEVE", rule);
    EXPECT_INVALID_STR(roam_validate_encap_type, "", rule);
}

/* Integer ranges. */

static void
test_vni_accepts_1_to_16777215(void **state OVS_UNUSED)
{
    EXPECT_VALID(roam_validate_vni(1), "VNI 1");
    EXPECT_VALID(roam_validate_vni(4096), "VNI 4096");
    EXPECT_VALID(roam_validate_vni(16777215), "VNI 16777215");
}

static void
test_vni_rejects_0_negative_and_above_24_bits(void **state OVS_UNUSED)
{
    static const char rule[] = "is out of range (expected 1 to 16777215)";

    EXPECT_INVALID(roam_validate_vni(0), "VNI 0", "VNI 0", rule);
    EXPECT_INVALID(roam_validate_vni(-1), "VNI -1", "VNI -1", rule);
    EXPECT_INVALID(roam_validate_vni(16777216), "VNI 16777216",
                   "VNI 16777216", rule);
    EXPECT_INVALID(roam_validate_vni(INT64_MAX), "VNI INT64_MAX",
                   "VNI 9223372036854775807", rule);
}

static void
test_port_key_accepts_1_to_32767(void **state OVS_UNUSED)
{
    EXPECT_VALID(roam_validate_port_key(1), "port key 1");
    EXPECT_VALID(roam_validate_port_key(32767), "port key 32767");
}

static void
test_port_key_rejects_0_and_32768(void **state OVS_UNUSED)
{
    static const char rule[] = "is out of range (expected 1 to 32767)";

    EXPECT_INVALID(roam_validate_port_key(0), "port key 0",
                   "port tunnel key 0", rule);
    EXPECT_INVALID(roam_validate_port_key(32768), "port key 32768",
                   "port tunnel key 32768", rule);
}

static void
test_mtu_accepts_68_to_65535(void **state OVS_UNUSED)
{
    EXPECT_VALID(roam_validate_mtu(68), "MTU 68");
    EXPECT_VALID(roam_validate_mtu(1500), "MTU 1500");
    EXPECT_VALID(roam_validate_mtu(65535), "MTU 65535");
}

static void
test_mtu_rejects_67_and_65536(void **state OVS_UNUSED)
{
    static const char rule[] = "is out of range (expected 68 to 65535)";

    EXPECT_INVALID(roam_validate_mtu(67), "MTU 67", "MTU 67", rule);
    EXPECT_INVALID(roam_validate_mtu(65536), "MTU 65536", "MTU 65536", rule);
}

/* Names. */

static void
test_name_accepts_printable_and_utf8(void **state OVS_UNUSED)
{
    char longest[256];

    memset(longest, 'n', 255);
    longest[255] = '\0';

    EXPECT_VALID(roam_validate_name("network", "blue"), "blue");
    EXPECT_VALID(roam_validate_name("port", "x"), "x");
    EXPECT_VALID(roam_validate_name("port",
                                    "6a2b5c10-8a77-4a43-9d7e-1c2a0f4e5d61"),
                 "a UUID");
    EXPECT_VALID(roam_validate_name("network", "r\xc3\xa9seau"),
                 "a UTF-8 name");
    EXPECT_VALID(roam_validate_name("chassis", longest), "255 bytes");
}

static void
test_name_rejects_empty_naming_what(void **state OVS_UNUSED)
{
    EXPECT_INVALID(roam_validate_name("network", ""), "",
                   "\"\"", "is not a valid network name (a name may not "
                   "be empty)");
}

static void
test_name_rejects_longer_than_255_bytes(void **state OVS_UNUSED)
{
    char too_long[257];

    memset(too_long, 'n', 256);
    too_long[256] = '\0';
    EXPECT_INVALID(roam_validate_name("port", too_long), "256 bytes",
                   "port name of 256 bytes", "at most 255 bytes");
}

static void
test_name_rejects_white_space_and_control(void **state OVS_UNUSED)
{
    static const char rule[] = "white space and control characters are not "
                               "allowed";

    EXPECT_INVALID(roam_validate_name("port", "a b"), "a b", "\"a b\"", rule);
    EXPECT_INVALID(roam_validate_name("port", "a\tb"), "a\\tb",
                   "\"a\\tb\"", rule);
    EXPECT_INVALID(roam_validate_name("chassis", "hv1\n"), "hv1\\n",
                   "\"hv1\\n\"", rule);
    EXPECT_INVALID(roam_validate_name("network", " blue"), " blue",
                   "is not a valid network name", rule);
}

static void
test_name_rejects_invalid_utf8(void **state OVS_UNUSED)
{
    EXPECT_INVALID(roam_validate_name("network", "bl\xff"), "bl\\xff",
                   "is not a valid network name", "not valid UTF-8");
}

/* Chassis liveness. */

#define NOW 1700000000000LL     /* An arbitrary wall-clock time in ms. */

static struct roamrec_chassis_private
make_chassis_private(int64_t heartbeat, int64_t interval)
{
    struct roamrec_chassis_private cp;

    memset(&cp, 0, sizeof cp);
    cp.heartbeat = heartbeat;
    cp.heartbeat_interval = interval;
    return cp;
}

/* Like make_chassis_private(), watched from 'since' until 'until'. */
static struct roamrec_chassis_private
make_watched_chassis_private(int64_t heartbeat, int64_t interval,
                             int64_t since, int64_t until)
{
    struct roamrec_chassis_private cp = make_chassis_private(heartbeat,
                                                             interval);
    cp.watched_since = since;
    cp.watched_until = until;
    return cp;
}

static enum chassis_liveness
liveness(const struct roamrec_chassis_private *cp, long long int now)
{
    return chassis_liveness_get(cp, now, NULL);
}

static void
test_liveness_alive_right_after_heartbeat(void **state OVS_UNUSED)
{
    struct roamrec_chassis_private cp = make_chassis_private(NOW, 1000);

    assert_int_equal(liveness(&cp, NOW), CHASSIS_ALIVE);
    assert_int_equal(chassis_heartbeat_age(&cp, NOW), 0);
    assert_int_equal(liveness(&cp, NOW + 1500), CHASSIS_ALIVE);
    assert_int_equal(chassis_heartbeat_age(&cp, NOW + 1500), 1500);
}

static void
test_liveness_alive_until_3_intervals_pass(void **state OVS_UNUSED)
{
    struct roamrec_chassis_private cp = make_chassis_private(NOW, 1000);
    long long int next_change;

    assert_int_equal(CHASSIS_LIVENESS_MISSED_BEATS, 3);
    assert_int_equal(liveness(&cp, NOW + 2999), CHASSIS_ALIVE);
    assert_int_equal(chassis_liveness_get(&cp, NOW + 3000, &next_change),
                     CHASSIS_ALIVE);
    assert_int_equal(next_change, NOW + 3001);
}

static void
test_liveness_unwatched_silence_is_unknown(void **state OVS_UNUSED)
{
    /* Nobody asked it to beat: a stale heartbeat, or none, says nothing. */
    struct roamrec_chassis_private stale = make_chassis_private(NOW, 1000);
    struct roamrec_chassis_private never = make_chassis_private(0, 1000);
    long long int next_change;

    assert_int_equal(chassis_liveness_get(&stale, NOW + 3001, &next_change),
                     CHASSIS_UNKNOWN);
    assert_int_equal(next_change, LLONG_MAX);
    assert_int_equal(liveness(&stale, NOW + 600000), CHASSIS_UNKNOWN);
    assert_int_equal(liveness(&never, NOW), CHASSIS_UNKNOWN);
    assert_int_equal(chassis_heartbeat_age(&never, NOW), -1);

    /* A watch that has ended is no watch. */
    struct roamrec_chassis_private ended
        = make_watched_chassis_private(NOW, 1000, NOW - 60000, NOW + 10000);
    assert_false(chassis_liveness_is_watched(&ended, NOW + 10000));
    assert_int_equal(liveness(&ended, NOW + 10000), CHASSIS_UNKNOWN);
}

static void
test_liveness_watched_is_unknown_for_3_intervals(void **state OVS_UNUSED)
{
    /* Watched from NOW on, last heartbeat long before: its first beat may
     * still be on its way until 3 intervals have passed. */
    struct roamrec_chassis_private cp
        = make_watched_chassis_private(NOW - 60000, 1000, NOW, NOW + 30000);
    long long int next_change;

    assert_true(chassis_liveness_is_watched(&cp, NOW));
    assert_int_equal(chassis_liveness_get(&cp, NOW, &next_change),
                     CHASSIS_UNKNOWN);
    assert_int_equal(next_change, NOW + 3001);
    assert_int_equal(liveness(&cp, NOW + 3000), CHASSIS_UNKNOWN);
}

static void
test_liveness_watched_silence_is_dead(void **state OVS_UNUSED)
{
    struct roamrec_chassis_private cp
        = make_watched_chassis_private(NOW - 60000, 1000, NOW, NOW + 30000);
    long long int next_change;

    assert_int_equal(chassis_liveness_get(&cp, NOW + 3001, &next_change),
                     CHASSIS_DEAD);
    assert_int_equal(next_change, NOW + 30000);

    /* So is a chassis that beat once after the watch began, then
     * stopped. */
    cp.heartbeat = NOW + 100;
    assert_int_equal(liveness(&cp, NOW + 3100), CHASSIS_ALIVE);
    assert_int_equal(liveness(&cp, NOW + 3101), CHASSIS_DEAD);
}

static void
test_liveness_beat_while_watched_is_alive(void **state OVS_UNUSED)
{
    struct roamrec_chassis_private cp
        = make_watched_chassis_private(NOW + 2, 1000, NOW, NOW + 30000);

    assert_int_equal(liveness(&cp, NOW + 5), CHASSIS_ALIVE);
    assert_int_equal(liveness(&cp, NOW + 3002), CHASSIS_ALIVE);
    assert_int_equal(liveness(&cp, NOW + 3003), CHASSIS_DEAD);
}

static void
test_liveness_follows_each_chassis_interval(void **state OVS_UNUSED)
{
    struct roamrec_chassis_private fast
        = make_watched_chassis_private(NOW, 100, NOW, NOW + 60000);
    struct roamrec_chassis_private slow
        = make_watched_chassis_private(NOW, 10000, NOW, NOW + 60000);

    assert_int_equal(liveness(&fast, NOW + 301), CHASSIS_DEAD);
    assert_int_equal(liveness(&slow, NOW + 29000), CHASSIS_ALIVE);
}

static void
test_liveness_future_heartbeat_counts_as_now(void **state OVS_UNUSED)
{
    /* The chassis's clock runs 5 s ahead of ours. */
    struct roamrec_chassis_private cp = make_chassis_private(NOW + 5000,
                                                             1000);

    assert_int_equal(liveness(&cp, NOW), CHASSIS_ALIVE);
    assert_int_equal(chassis_heartbeat_age(&cp, NOW), 0);
}

static void
test_liveness_missing_interval_uses_shortest(void **state OVS_UNUSED)
{
    /* An IDL that does not replicate 'heartbeat_interval' reads 0. */
    struct roamrec_chassis_private cp
        = make_watched_chassis_private(NOW, 0, NOW, NOW + 60000);

    assert_int_equal(liveness(&cp, NOW + 300), CHASSIS_ALIVE);
    assert_int_equal(liveness(&cp, NOW + 301), CHASSIS_DEAD);
}

static void
test_liveness_agent_beats_a_window_past_the_watch(void **state OVS_UNUSED)
{
    /* An agent whose clock runs up to a window (3 s) ahead of its
     * watcher's still beats for the whole watch. */
    struct roamrec_chassis_private cp
        = make_watched_chassis_private(NOW, 1000, NOW, NOW + 1000);

    assert_true(chassis_liveness_wants_beats(&cp, NOW + 3999));
    assert_false(chassis_liveness_wants_beats(&cp, NOW + 4000));

    /* A watch taken back to 0 stops the beats at once. */
    cp.watched_until = 0;
    assert_false(chassis_liveness_wants_beats(&cp, NOW));
}

static void
test_liveness_far_future_watch(void **state OVS_UNUSED)
{
    /* Nothing in the schema bounds the watch columns. */
    struct roamrec_chassis_private cp
        = make_watched_chassis_private(0, 1000, LLONG_MAX - 5, LLONG_MAX);
    long long int next_change;

    assert_int_equal(chassis_liveness_get(&cp, NOW, &next_change),
                     CHASSIS_UNKNOWN);
    assert_int_equal(next_change, LLONG_MAX);

    /* A watch that begins more than a liveness window (3 s here) from now
     * is nobody's: not a running watch, so a watcher starts its own.  A
     * watcher whose clock is ahead by up to a window is believed. */
    assert_false(chassis_liveness_is_watched(&cp, NOW));
    struct roamrec_chassis_private ahead
        = make_watched_chassis_private(0, 1000, NOW + 3000, NOW + 30000);
    assert_true(chassis_liveness_is_watched(&ahead, NOW));
    ahead.watched_since++;
    assert_false(chassis_liveness_is_watched(&ahead, NOW));
}

static void
test_liveness_watch_renewed_at_half_lease(void **state OVS_UNUSED)
{
    struct roamrec_chassis_private cp
        = make_watched_chassis_private(NOW, 1000, NOW, NOW + 30000);

    assert_int_equal(chassis_liveness_watch_renewal(&cp, 30000),
                     NOW + 15000);

    /* Never watched: renew (that is, watch) at once. */
    struct roamrec_chassis_private never = make_chassis_private(NOW, 1000);
    assert_true(chassis_liveness_watch_renewal(&never, 30000) <= NOW);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_mac_accepts_unicast_and_stores_it),
        cmocka_unit_test(test_mac_accepts_either_case_and_local_bit),
        cmocka_unit_test(
            test_mac_rejects_malformed_text_naming_value_and_rule),
        cmocka_unit_test(test_mac_rejects_what_lenient_parsers_accept),
        cmocka_unit_test(test_mac_rejects_multicast_and_broadcast),
        cmocka_unit_test(test_mac_rejects_all_zero),
        cmocka_unit_test(test_port_ip_accepts_ipv4_host_with_prefix),
        cmocka_unit_test(
            test_port_ip_accepts_any_address_of_31_and_32_bit_prefixes),
        cmocka_unit_test(test_port_ip_accepts_ipv6_host_with_prefix),
        cmocka_unit_test(test_port_ip_rejects_address_without_prefix),
        cmocka_unit_test(test_port_ip_rejects_out_of_range_prefix),
        cmocka_unit_test(test_port_ip_rejects_prefix_not_in_plain_decimal),
        cmocka_unit_test(test_port_ip_rejects_malformed_address),
        cmocka_unit_test(test_port_ip_rejects_network_and_broadcast_addresses),
        cmocka_unit_test(test_port_ip_rejects_reserved_and_multicast),
        cmocka_unit_test(test_encap_ip_accepts_plain_unicast_address),
        cmocka_unit_test(test_encap_ip_rejects_prefix_and_malformed_address),
        cmocka_unit_test(test_encap_ip_rejects_unreachable_addresses),
        cmocka_unit_test(test_encap_type_accepts_geneve_vxlan_gre),
        cmocka_unit_test(test_encap_type_rejects_others),
        cmocka_unit_test(test_vni_accepts_1_to_16777215),
        cmocka_unit_test(test_vni_rejects_0_negative_and_above_24_bits),
        cmocka_unit_test(test_port_key_accepts_1_to_32767),
        cmocka_unit_test(test_port_key_rejects_0_and_32768),
        cmocka_unit_test(test_mtu_accepts_68_to_65535),
        cmocka_unit_test(test_mtu_rejects_67_and_65536),
        cmocka_unit_test(test_name_accepts_printable_and_utf8),
        cmocka_unit_test(test_name_rejects_empty_naming_what),
        cmocka_unit_test(test_name_rejects_longer_than_255_bytes),
        cmocka_unit_test(test_name_rejects_white_space_and_control),
        cmocka_unit_test(test_name_rejects_invalid_utf8),
        cmocka_unit_test(test_liveness_alive_right_after_heartbeat),
        cmocka_unit_test(test_liveness_alive_until_3_intervals_pass),
        cmocka_unit_test(test_liveness_unwatched_silence_is_unknown),
        cmocka_unit_test(test_liveness_watched_is_unknown_for_3_intervals),
        cmocka_unit_test(test_liveness_watched_silence_is_dead),
        cmocka_unit_test(test_liveness_beat_while_watched_is_alive),
        cmocka_unit_test(test_liveness_follows_each_chassis_interval),
        cmocka_unit_test(test_liveness_future_heartbeat_counts_as_now),
        cmocka_unit_test(test_liveness_missing_interval_uses_shortest),
        cmocka_unit_test(test_liveness_agent_beats_a_window_past_the_watch),
        cmocka_unit_test(test_liveness_far_future_watch),
        cmocka_unit_test(test_liveness_watch_renewed_at_half_lease),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
