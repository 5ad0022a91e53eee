/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

/* Unit tests for plugins/announce-packets.c (the RARP, gratuitous ARPs and
 * unsolicited neighbor advertisements that announce a moved port).
 *
 * The expected frames are written out here byte by byte, from the RFCs and
 * from what qemu and Linux send, not derived from the code under test; the
 * ICMPv6 checksum is computed here by hand.  Each packet is also parsed with
 * flow_extract(), which is what the switch sees. */

#include <config.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "dp-packet.h"
#include "flow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/util.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "plugins/announce-packets.h"
#include "util.h"

/* The port: a MAC from the documentation range (RFC 7042) and two addresses
 * of each family, interleaved so that the order of the announcements is
 * visible. */
#define PORT_NAME "vm1"
static const uint8_t port_mac[6] = { 0x00, 0x00, 0x5e, 0x00, 0x53, 0x01 };
static const char *const port_ips[] = {
    "198.51.100.10/24",
    "2001:db8::10/64",
    "203.0.113.20/24",
    "2001:db8:1::20/64",
};

/* The same addresses, in network byte order. */
static const uint8_t ip4_a[4] = { 198, 51, 100, 10 };
static const uint8_t ip4_b[4] = { 203, 0, 113, 20 };
static const uint8_t ip6_a[16] = {
    0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x10,
};
static const uint8_t ip6_b[16] = {
    0x20, 0x01, 0x0d, 0xb8, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0, 0x00, 0x20,
};

static const uint8_t broadcast_mac[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
static const uint8_t zero_mac[6] = { 0, 0, 0, 0, 0, 0 };
static const uint8_t zero_ip4[4] = { 0, 0, 0, 0 };

/* ff02::1, the all-nodes address, and its Ethernet multicast address. */
static const uint8_t all_nodes_mac[6] = { 0x33, 0x33, 0, 0, 0, 0x01 };
static const uint8_t all_nodes_ip6[16] = {
    0xff, 0x02, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01,
};

/* Frame sizes: the RARP and ARPs padded to the 60-byte Ethernet minimum;
 * the NA is 14 (Ethernet) + 40 (IPv6) + 24 (NA) + 8 (option) bytes. */
#define ARP_FRAME_LEN 60
#define ARP_UNPADDED_LEN 42
#define NA_FRAME_LEN 86
#define NA_ICMP6_LEN 32

/* Byte offsets in an Ethernet + ARP/RARP frame. */
#define OFS_ETH_DST 0
#define OFS_ETH_SRC 6
#define OFS_ETH_TYPE 12
#define OFS_ARP_HRD 14
#define OFS_ARP_PRO 16
#define OFS_ARP_HLN 18
#define OFS_ARP_PLN 19
#define OFS_ARP_OP 20
#define OFS_ARP_SHA 22
#define OFS_ARP_SPA 28
#define OFS_ARP_THA 32
#define OFS_ARP_TPA 38

/* Byte offsets in an Ethernet + IPv6 + NA frame. */
#define OFS_IP6_VFC 14
#define OFS_IP6_PLEN 18
#define OFS_IP6_NXT 20
#define OFS_IP6_HLIM 21
#define OFS_IP6_SRC 22
#define OFS_IP6_DST 38
#define OFS_ICMP6 54
#define OFS_ICMP6_TYPE 54
#define OFS_ICMP6_CODE 55
#define OFS_ICMP6_CKSUM 56
#define OFS_NA_FLAGS 58
#define OFS_NA_TARGET 62
#define OFS_OPT_TYPE 78
#define OFS_OPT_LEN 79
#define OFS_OPT_MAC 80

static struct eth_addr
port_eth_addr(void)
{
    struct eth_addr ea;

    memcpy(ea.ea, port_mac, sizeof ea.ea);
    return ea;
}

static void
put_hex(struct ds *s, const uint8_t *bytes, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        ds_put_format(s, "%s%02x", i ? " " : "", bytes[i]);
    }
}

/* Checks that 'packet' (described by 'what') has the 'n' bytes 'expected' at
 * offset 'ofs', the field 'field'. */
static void
expect_bytes__(const struct dp_packet *packet, const char *what,
               size_t ofs, const char *field, const uint8_t *expected,
               size_t n, const char *where, int line)
{
    const uint8_t *data = dp_packet_data(packet);
    size_t size = dp_packet_size(packet);

    if (size < ofs + n || memcmp(data + ofs, expected, n)) {
        struct ds s = DS_EMPTY_INITIALIZER;

        ds_put_format(&s, "%s:%d: %s: %s (offset %"PRIuSIZE"): expected ",
                      where, line, what, field, ofs);
        put_hex(&s, expected, n);
        if (size < ofs + n) {
            ds_put_format(&s, ", got a frame of only %"PRIuSIZE" bytes",
                          size);
        } else {
            ds_put_cstr(&s, ", got ");
            put_hex(&s, data + ofs, n);
        }
        print_error("%s\n", ds_cstr(&s));
        ds_destroy(&s);
        fail();
    }
}
#define EXPECT_BYTES(PACKET, WHAT, OFS, FIELD, EXPECTED, N) \
    expect_bytes__(PACKET, WHAT, OFS, FIELD, EXPECTED, N, __FILE__, __LINE__)

/* Like EXPECT_BYTES, with the expected bytes written out. */
#define EXPECT_LITERAL(PACKET, WHAT, OFS, FIELD, ...)                    \
    do {                                                                \
        static const uint8_t expected_[] = { __VA_ARGS__ };             \
        EXPECT_BYTES(PACKET, WHAT, OFS, FIELD, expected_,               \
                     sizeof expected_);                                 \
    } while (0)

static void
expect_size__(const struct dp_packet *packet, const char *what,
              size_t expected, const char *where, int line)
{
    if (dp_packet_size(packet) != expected) {
        print_error("%s:%d: %s: expected a frame of %"PRIuSIZE" bytes, "
                    "got %"PRIu32"\n", where, line, what, expected,
                    dp_packet_size(packet));
        fail();
    }
}
#define EXPECT_SIZE(PACKET, WHAT, EXPECTED) \
    expect_size__(PACKET, WHAT, EXPECTED, __FILE__, __LINE__)

/* Checks every byte of a RARP announcement of 'port_mac', as qemu's
 * announce_self_create() writes it. */
static void
check_rarp(const struct dp_packet *p, const char *what)
{
    EXPECT_SIZE(p, what, ARP_FRAME_LEN);
    EXPECT_BYTES(p, what, OFS_ETH_DST, "Ethernet destination",
                 broadcast_mac, 6);
    EXPECT_BYTES(p, what, OFS_ETH_SRC, "Ethernet source", port_mac, 6);
    EXPECT_LITERAL(p, what, OFS_ETH_TYPE, "ethertype (RARP)", 0x80, 0x35);
    EXPECT_LITERAL(p, what, OFS_ARP_HRD, "hardware type (Ethernet)", 0, 1);
    EXPECT_LITERAL(p, what, OFS_ARP_PRO, "protocol type (IPv4)", 0x08, 0);
    EXPECT_LITERAL(p, what, OFS_ARP_HLN, "hardware address length", 6);
    EXPECT_LITERAL(p, what, OFS_ARP_PLN, "protocol address length", 4);
    EXPECT_LITERAL(p, what, OFS_ARP_OP, "opcode (request reverse)", 0, 3);
    EXPECT_BYTES(p, what, OFS_ARP_SHA, "sender hardware address",
                 port_mac, 6);
    EXPECT_BYTES(p, what, OFS_ARP_SPA, "sender protocol address",
                 zero_ip4, 4);
    EXPECT_BYTES(p, what, OFS_ARP_THA, "target hardware address",
                 port_mac, 6);
    EXPECT_BYTES(p, what, OFS_ARP_TPA, "target protocol address",
                 zero_ip4, 4);
    EXPECT_LITERAL(p, what, ARP_UNPADDED_LEN, "padding",
                   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

/* Checks every byte of a gratuitous ARP (an RFC 5227 ARP Announcement)
 * of 'ip' at 'port_mac'. */
static void
check_garp(const struct dp_packet *p, const char *what, const uint8_t ip[4])
{
    EXPECT_SIZE(p, what, ARP_FRAME_LEN);
    EXPECT_BYTES(p, what, OFS_ETH_DST, "Ethernet destination",
                 broadcast_mac, 6);
    EXPECT_BYTES(p, what, OFS_ETH_SRC, "Ethernet source", port_mac, 6);
    EXPECT_LITERAL(p, what, OFS_ETH_TYPE, "ethertype (ARP, no VLAN)",
                   0x08, 0x06);
    EXPECT_LITERAL(p, what, OFS_ARP_HRD, "hardware type (Ethernet)", 0, 1);
    EXPECT_LITERAL(p, what, OFS_ARP_PRO, "protocol type (IPv4)", 0x08, 0);
    EXPECT_LITERAL(p, what, OFS_ARP_HLN, "hardware address length", 6);
    EXPECT_LITERAL(p, what, OFS_ARP_PLN, "protocol address length", 4);
    EXPECT_LITERAL(p, what, OFS_ARP_OP, "opcode (request)", 0, 1);
    EXPECT_BYTES(p, what, OFS_ARP_SHA, "sender hardware address",
                 port_mac, 6);
    EXPECT_BYTES(p, what, OFS_ARP_SPA, "sender protocol address", ip, 4);
    EXPECT_BYTES(p, what, OFS_ARP_THA, "target hardware address",
                 zero_mac, 6);
    EXPECT_BYTES(p, what, OFS_ARP_TPA, "target protocol address", ip, 4);
    EXPECT_LITERAL(p, what, ARP_UNPADDED_LEN, "padding",
                   0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
}

/* Adds the 'n' bytes at 'p', as big-endian 16-bit words, to 'sum'. */
static uint32_t
sum16(uint32_t sum, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i += 2) {
        sum += (p[i] << 8) | (i + 1 < n ? p[i + 1] : 0);
    }
    return sum;
}

/* Folds 'sum' into 16 bits, with end-around carry. */
static uint16_t
fold16(uint32_t sum)
{
    while (sum >> 16) {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    return sum;
}

/* Checks the ICMPv6 checksum of NA 'p' (RFC 4443 section 2.3, over the
 * RFC 8200 section 8.1 pseudo-header of source 'ip', destination ff02::1,
 * upper-layer length and next header 58). */
static void
check_icmp6_checksum(const struct dp_packet *p, const char *what,
                     const uint8_t ip[16])
{
    const uint8_t *icmp6 = (const uint8_t *) dp_packet_data(p) + OFS_ICMP6;
    uint8_t message[NA_ICMP6_LEN];
    uint8_t length_and_next[8] = { 0, 0, 0, NA_ICMP6_LEN, 0, 0, 0, 58 };
    uint32_t pseudo = 0;

    pseudo = sum16(pseudo, ip, 16);
    pseudo = sum16(pseudo, all_nodes_ip6, 16);
    pseudo = sum16(pseudo, length_and_next, sizeof length_and_next);

    /* The value that the field must hold... */
    memcpy(message, icmp6, sizeof message);
    message[2] = message[3] = 0;
    uint16_t expected = ~fold16(sum16(pseudo, message, sizeof message));
    uint8_t expected_bytes[2] = { expected >> 8, expected & 0xff };
    EXPECT_BYTES(p, what, OFS_ICMP6_CKSUM, "ICMPv6 checksum",
                 expected_bytes, 2);

    /* ...and the check that a receiver does: the sum over everything,
     * checksum included, is all ones. */
    uint16_t verify = fold16(sum16(pseudo, icmp6, NA_ICMP6_LEN));
    if (verify != 0xffff) {
        print_error("%s: ICMPv6 checksum does not verify: the sum over "
                    "pseudo-header and message is 0x%04x, expected 0xffff\n",
                    what, verify);
        fail();
    }
}

/* Checks every byte of an unsolicited neighbor advertisement of 'ip' at
 * 'port_mac' (RFC 4861 section 7.2.6). */
static void
check_na(const struct dp_packet *p, const char *what, const uint8_t ip[16])
{
    EXPECT_SIZE(p, what, NA_FRAME_LEN);
    EXPECT_BYTES(p, what, OFS_ETH_DST, "Ethernet destination (all-nodes)",
                 all_nodes_mac, 6);
    EXPECT_BYTES(p, what, OFS_ETH_SRC, "Ethernet source", port_mac, 6);
    EXPECT_LITERAL(p, what, OFS_ETH_TYPE, "ethertype (IPv6)", 0x86, 0xdd);
    EXPECT_LITERAL(p, what, OFS_IP6_VFC,
                   "IPv6 version, traffic class and flow label",
                   0x60, 0, 0, 0);
    EXPECT_LITERAL(p, what, OFS_IP6_PLEN, "IPv6 payload length",
                   0, NA_ICMP6_LEN);
    EXPECT_LITERAL(p, what, OFS_IP6_NXT, "IPv6 next header (ICMPv6)", 58);
    EXPECT_LITERAL(p, what, OFS_IP6_HLIM, "IPv6 hop limit", 255);
    EXPECT_BYTES(p, what, OFS_IP6_SRC, "IPv6 source", ip, 16);
    EXPECT_BYTES(p, what, OFS_IP6_DST, "IPv6 destination (ff02::1)",
                 all_nodes_ip6, 16);
    EXPECT_LITERAL(p, what, OFS_ICMP6_TYPE,
                   "ICMPv6 type (neighbor advertisement)", 136);
    EXPECT_LITERAL(p, what, OFS_ICMP6_CODE, "ICMPv6 code", 0);
    EXPECT_LITERAL(p, what, OFS_NA_FLAGS,
                   "flags (Override only) and reserved", 0x20, 0, 0, 0);
    EXPECT_BYTES(p, what, OFS_NA_TARGET, "target address", ip, 16);
    EXPECT_LITERAL(p, what, OFS_OPT_TYPE,
                   "option type (target link-layer address)", 2);
    EXPECT_LITERAL(p, what, OFS_OPT_LEN, "option length (8 bytes)", 1);
    EXPECT_BYTES(p, what, OFS_OPT_MAC, "option link-layer address",
                 port_mac, 6);
    check_icmp6_checksum(p, what, ip);
}

/* Fixture: the announcements of the port above. */
static int
setup(void **state)
{
    struct announce_packets *ap = xmalloc(sizeof *ap);

    announce_packets_compose(PORT_NAME, port_eth_addr(), port_ips,
                             ARRAY_SIZE(port_ips), ap);
    *state = ap;
    return 0;
}

static int
teardown(void **state)
{
    announce_packets_destroy(*state);
    free(*state);
    return 0;
}

static void
expect_n_packets__(const struct announce_packets *ap, size_t expected,
                   const char *where, int line)
{
    if (ap->n != expected) {
        print_error("%s:%d: expected %"PRIuSIZE" announcements, got "
                    "%"PRIuSIZE"\n", where, line, expected, ap->n);
        fail();
    }
}
#define EXPECT_N_PACKETS(AP, EXPECTED) \
    expect_n_packets__(AP, EXPECTED, __FILE__, __LINE__)

static void
rarp_then_arps_then_nas_in_the_order_of_ips(void **state)
{
    struct announce_packets *ap = *state;

    EXPECT_N_PACKETS(ap, 5);
    check_rarp(ap->packets[0], "announcement 0 (RARP)");
    check_garp(ap->packets[1], "announcement 1 (ARP 198.51.100.10)", ip4_a);
    check_garp(ap->packets[2], "announcement 2 (ARP 203.0.113.20)", ip4_b);
    check_na(ap->packets[3], "announcement 3 (NA 2001:db8::10)", ip6_a);
    check_na(ap->packets[4], "announcement 4 (NA 2001:db8:1::20)", ip6_b);
}

/* Checks what the switch parses out of ARP or RARP 'p'. */
static void
check_arp_flow(struct dp_packet *p, const char *what, uint16_t dl_type,
               uint8_t op, const uint8_t ip[4], const uint8_t tha[6])
{
    struct eth_addr port = port_eth_addr(), target;
    struct flow flow;
    ovs_be32 nw;

    memcpy(target.ea, tha, sizeof target.ea);
    memcpy(&nw, ip, sizeof nw);
    flow_extract(p, &flow);

    if (!eth_addr_equals(flow.dl_dst, eth_addr_broadcast)
        || !eth_addr_equals(flow.dl_src, port)
        || flow.dl_type != htons(dl_type)
        || flow.vlans[0].tci != htons(0)
        || flow.nw_proto != op
        || flow.nw_src != nw || flow.nw_dst != nw
        || !eth_addr_equals(flow.arp_sha, port)
        || !eth_addr_equals(flow.arp_tha, target)) {
        struct ds s = DS_EMPTY_INITIALIZER;

        flow_format(&s, &flow, NULL);
        print_error("%s: flow_extract() gives unexpected fields: %s\n",
                    what, ds_cstr(&s));
        ds_destroy(&s);
        fail();
    }
}

/* Checks what the switch parses out of NA 'p'. */
static void
check_na_flow(struct dp_packet *p, const char *what, const uint8_t ip[16])
{
    struct eth_addr port = port_eth_addr(), all_nodes;
    struct in6_addr ip6, all_nodes6;
    struct flow flow;

    memcpy(all_nodes.ea, all_nodes_mac, sizeof all_nodes.ea);
    memcpy(&ip6, ip, sizeof ip6);
    memcpy(&all_nodes6, all_nodes_ip6, sizeof all_nodes6);
    flow_extract(p, &flow);

    if (!eth_addr_equals(flow.dl_dst, all_nodes)
        || !eth_addr_equals(flow.dl_src, port)
        || flow.dl_type != htons(ETH_TYPE_IPV6)
        || flow.vlans[0].tci != htons(0)
        || !ipv6_addr_equals(&flow.ipv6_src, &ip6)
        || !ipv6_addr_equals(&flow.ipv6_dst, &all_nodes6)
        || flow.nw_proto != IPPROTO_ICMPV6
        || flow.nw_ttl != 255
        || flow.nw_frag != 0
        || flow.tp_src != htons(136) || flow.tp_dst != htons(0)
        || !ipv6_addr_equals(&flow.nd_target, &ip6)
        || !eth_addr_equals(flow.arp_sha, eth_addr_zero)
        || !eth_addr_equals(flow.arp_tha, port)
        /* nd_reserved (the flags) and nd_options_type. */
        || flow.igmp_group_ip4 != htonl(0x20000000)
        || flow.tcp_flags != htons(2)) {
        struct ds s = DS_EMPTY_INITIALIZER;

        flow_format(&s, &flow, NULL);
        ds_put_format(&s, " (nd_reserved=0x%08"PRIx32", "
                      "nd_options_type=%"PRIu16")",
                      ntohl(flow.igmp_group_ip4), ntohs(flow.tcp_flags));
        print_error("%s: flow_extract() gives unexpected fields: %s\n",
                    what, ds_cstr(&s));
        ds_destroy(&s);
        fail();
    }
}

static void
switch_parses_the_announced_fields(void **state)
{
    struct announce_packets *ap = *state;

    EXPECT_N_PACKETS(ap, 5);
    check_arp_flow(ap->packets[0], "RARP", ETH_TYPE_RARP, 3, zero_ip4,
                   port_mac);
    check_arp_flow(ap->packets[1], "ARP 198.51.100.10", ETH_TYPE_ARP, 1,
                   ip4_a, zero_mac);
    check_arp_flow(ap->packets[2], "ARP 203.0.113.20", ETH_TYPE_ARP, 1,
                   ip4_b, zero_mac);
    check_na_flow(ap->packets[3], "NA 2001:db8::10", ip6_a);
    check_na_flow(ap->packets[4], "NA 2001:db8:1::20", ip6_b);
}

/* Returns the contents of file 'name', for the caller to free(). */
static char *
read_file(const char *name)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    FILE *stream = fopen(name, "r");

    int c;

    assert_non_null(stream);
    while ((c = getc(stream)) != EOF) {
        ds_put_char(&s, c);
    }
    fclose(stream);
    return ds_steal_cstr(&s);
}

static void
expect_log_contains__(const char *log, const char *text,
                      const char *where, int line)
{
    if (!strstr(log, text)) {
        print_error("%s:%d: expected the log to contain \"%s\", got: %s\n",
                    where, line, text, log);
        fail();
    }
}
#define EXPECT_LOG_CONTAINS(LOG, TEXT) \
    expect_log_contains__(LOG, TEXT, __FILE__, __LINE__)

static void
unparsable_entries_are_skipped_with_a_warning(void **state OVS_UNUSED)
{
    static const char *const ips[] = {
        "zz",
        "198.51.100.10/24",
        "198.51.100.300/24",
        "2001:db8::10/64",
    };
    char log_name[] = "/tmp/test-announce-packets-XXXXXX";
    struct announce_packets ap;

    int fd = mkstemp(log_name);
    assert_true(fd >= 0);
    close(fd);
    assert_int_equal(vlog_set_log_file(log_name), 0);
    vlog_set_levels(vlog_module_from_name("announce_packets"), VLF_FILE,
                    VLL_WARN);

    announce_packets_compose(PORT_NAME, port_eth_addr(), ips,
                             ARRAY_SIZE(ips), &ap);

    vlog_close_log_file();
    char *log = read_file(log_name);
    unlink(log_name);

    EXPECT_N_PACKETS(&ap, 3);
    check_rarp(ap.packets[0], "announcement 0 (RARP)");
    check_garp(ap.packets[1], "announcement 1 (ARP 198.51.100.10)", ip4_a);
    check_na(ap.packets[2], "announcement 2 (NA 2001:db8::10)", ip6_a);
    announce_packets_destroy(&ap);

    EXPECT_LOG_CONTAINS(log, "port vm1: not announcing address: \"zz\"");
    EXPECT_LOG_CONTAINS(log, "port vm1: not announcing address: "
                        "\"198.51.100.300/24\"");
    free(log);
}

static void
no_ips_gives_just_the_rarp(void **state OVS_UNUSED)
{
    struct announce_packets ap;

    announce_packets_compose(PORT_NAME, port_eth_addr(), NULL, 0, &ap);
    EXPECT_N_PACKETS(&ap, 1);
    check_rarp(ap.packets[0], "announcement 0 (RARP)");
    announce_packets_destroy(&ap);
}

static void
destroy_accepts_null(void **state OVS_UNUSED)
{
    announce_packets_destroy(NULL);
}

int
main(void)
{
    const struct CMUnitTest tests[] = {
#define TEST(NAME) cmocka_unit_test_setup_teardown(NAME, setup, teardown)
        TEST(rarp_then_arps_then_nas_in_the_order_of_ips),
        TEST(switch_parses_the_announced_fields),
#undef TEST
        cmocka_unit_test(unparsable_entries_are_skipped_with_a_warning),
        cmocka_unit_test(no_ips_gives_just_the_rarp),
        cmocka_unit_test(destroy_accepts_null),
    };
    return cmocka_run_group_tests_name("announce-packets", tests, NULL,
                                       NULL);
}
