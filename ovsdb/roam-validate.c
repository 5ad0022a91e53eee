/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "ovsdb/roam-validate.h"

#include <ctype.h>
#include <stdarg.h>
#include <string.h>
#include <strings.h>

#include "openvswitch/dynamic-string.h"
#include "openvswitch/json.h"
#include "packets.h"
#include "unicode.h"
#include "util.h"

/* The parsers in lib/packets.h are built on ovs_scan(), which is lenient in
 * ways that are harmless on a command line but not in a database that many
 * agents compare byte for byte: it skips leading white space, accepts "0x"
 * prefixes and silently truncates out-of-range octets ("100:..." parses as
 * "00:...").  So each check below parses with the library and then insists
 * that the text is the plain form of what was parsed: two hexadecimal digits
 * per MAC octet, an address that inet_pton() accepts, and a prefix length
 * written in decimal without leading zeros. */

#define MAC_EXAMPLE "00:00:5e:00:53:01"
#define PORT_IP_EXAMPLES "198.51.100.10/24 or 2001:db8::10/64"

/* Longest name accepted by roam_validate_name(), in bytes. */
#define NAME_MAX_LEN 255

/* Returns a malloc()'d message made of 'value', quoted as a JSON string so
 * that white space and control characters are visible, followed by a space
 * and 'format'. */
static char * OVS_PRINTF_FORMAT(2, 3)
value_error(const char *value, const char *format, ...)
{
    struct ds s = DS_EMPTY_INITIALIZER;
    va_list args;

    json_string_escape(value, &s);
    ds_put_char(&s, ' ');
    va_start(args, format);
    ds_put_format_valist(&s, format, args);
    va_end(args);
    return ds_steal_cstr(&s);
}

/* Returns true if 'text' is 'n' written in decimal, without sign, white
 * space or leading zeros. */
static bool
is_plain_decimal(const char *text, unsigned int n)
{
    char buf[16];

    snprintf(buf, sizeof buf, "%u", n);
    return !strcmp(text, buf);
}

/* Returns true if 'text' is 'ea' written as six pairs of hexadecimal digits
 * separated by colons, in either case. */
static bool
is_plain_mac(const char *text, struct eth_addr ea)
{
    char plain[ETH_ADDR_STRLEN + 1];

    snprintf(plain, sizeof plain, ETH_ADDR_FMT, ETH_ADDR_ARGS(ea));
    return !strcasecmp(text, plain);
}

char *
roam_validate_mac(const char *value, struct eth_addr *mac)
{
    struct eth_addr ea;

    if (!eth_addr_from_string(value, &ea) || !is_plain_mac(value, ea)) {
        return value_error(value, "is not a MAC address (expected six "
                           "hexadecimal octets separated by colons, e.g. "
                           MAC_EXAMPLE ")");
    }
    if (eth_addr_is_zero(ea)) {
        return value_error(value, "is the all-zero MAC address, which no "
                           "port may use (expected a unicast address, e.g. "
                           MAC_EXAMPLE ")");
    }
    if (eth_addr_is_multicast(ea)) {
        return value_error(value, "is a multicast MAC address (the low bit "
                           "of the first octet is set; a port needs a "
                           "unicast address, e.g. " MAC_EXAMPLE ")");
    }

    if (mac) {
        *mac = ea;
    }
    return NULL;
}

/* Checks that IPv4 address 'ip' (network byte order), with prefix length
 * 'plen', may be a port's own address.  'value' is the text being checked,
 * for the message. */
static char *
check_port_ipv4(const char *value, ovs_be32 ip, unsigned int plen)
{
    uint32_t host = ntohl(ip);

    if (plen < 1 || plen > 32) {
        return value_error(value, "has an invalid prefix length (expected "
                           "/1 to /32 for IPv4, e.g. " PORT_IP_EXAMPLES ")");
    }
    if ((host >> 24) == 0 || (host >> 24) == 127) {
        return value_error(value, "is not a host address (0.0.0.0/8 and "
                           "127.0.0.0/8 are reserved)");
    }
    if (ip_is_multicast(ip) || (host >> 28) == 0xf) {
        return value_error(value, "is not a unicast address (224.0.0.0/4 "
                           "is multicast and 240.0.0.0/4 is reserved)");
    }
    if (plen <= 30) {
        uint32_t mask = ntohl(be32_prefix_mask(plen));

        if (!(host & ~mask)) {
            return value_error(value, "is a network address, not a host "
                               "address (the bits after the prefix are all "
                               "zero)");
        }
        if ((host & ~mask) == ~mask) {
            return value_error(value, "is a broadcast address, not a host "
                               "address (the bits after the prefix are all "
                               "one)");
        }
    }
    return NULL;
}

/* Checks that IPv6 address 'ip', with prefix length 'plen', may be a port's
 * own address.  'value' is the text being checked, for the message. */
static char *
check_port_ipv6(const char *value, const struct in6_addr *ip,
                unsigned int plen)
{
    if (plen < 1 || plen > 128) {
        return value_error(value, "has an invalid prefix length (expected "
                           "/1 to /128 for IPv6, e.g. " PORT_IP_EXAMPLES ")");
    }
    if (ipv6_addr_equals(ip, &in6addr_any)
        || ipv6_addr_equals(ip, &in6addr_loopback)) {
        return value_error(value, "is not a host address (:: and ::1 are "
                           "reserved)");
    }
    if (ipv6_addr_is_multicast(ip)) {
        return value_error(value, "is not a unicast address (ff00::/8 is "
                           "multicast)");
    }
    if (plen <= 126) {
        struct in6_addr mask = ipv6_create_mask(plen);
        struct in6_addr host_bits = ipv6_addr_bitand(ip, &mask);

        if (ipv6_addr_equals(&host_bits, ip)) {
            return value_error(value, "is a network address, not a host "
                               "address (the bits after the prefix are all "
                               "zero)");
        }
    }
    return NULL;
}

char *
roam_validate_port_ip(const char *value)
{
    const char *slash = strchr(value, '/');
    if (!slash) {
        return value_error(value, "has no prefix length (expected "
                           "ADDRESS/PREFIX, e.g. " PORT_IP_EXAMPLES ")");
    }

    char *address = xmemdup0(value, slash - value);
    const char *prefix = slash + 1;
    unsigned int plen = 0;
    struct in6_addr ip6;
    ovs_be32 ip4;
    char *error;

    if (ip_parse(address, &ip4)) {
        error = ip_parse_cidr(value, &ip4, &plen);
        if (error || !is_plain_decimal(prefix, plen)) {
            free(error);
            error = value_error(value, "has an invalid prefix length "
                                "(expected /1 to /32 for IPv4, e.g. "
                                PORT_IP_EXAMPLES ")");
        } else {
            error = check_port_ipv4(value, ip4, plen);
        }
    } else if (ipv6_parse(address, &ip6)) {
        error = ipv6_parse_cidr(value, &ip6, &plen);
        if (error || !is_plain_decimal(prefix, plen)) {
            free(error);
            error = value_error(value, "has an invalid prefix length "
                                "(expected /1 to /128 for IPv6, e.g. "
                                PORT_IP_EXAMPLES ")");
        } else {
            error = check_port_ipv6(value, &ip6, plen);
        }
    } else {
        error = value_error(value, "is not an IP address with a prefix "
                            "length (expected ADDRESS/PREFIX, e.g. "
                            PORT_IP_EXAMPLES ")");
    }
    free(address);
    return error;
}

char *
roam_validate_encap_ip(const char *value)
{
    struct in6_addr ip6;
    ovs_be32 ip4;

    if (strchr(value, '/')) {
        return value_error(value, "is not a plain IP address (a tunnel "
                           "endpoint has no prefix length, e.g. 192.0.2.1 "
                           "or 2001:db8::1)");
    }
    if (ip_parse(value, &ip4)) {
        uint32_t host = ntohl(ip4);

        if ((host >> 24) == 0 || (host >> 24) == 127) {
            return value_error(value, "cannot be a tunnel endpoint "
                               "(0.0.0.0/8 and 127.0.0.0/8 are not "
                               "reachable from other chassis)");
        }
        if (ip_is_multicast(ip4) || (host >> 28) == 0xf) {
            return value_error(value, "is not a unicast address (224.0.0.0/4 "
                               "is multicast and 240.0.0.0/4 is reserved)");
        }
    } else if (ipv6_parse(value, &ip6)) {
        if (ipv6_addr_equals(&ip6, &in6addr_any)
            || ipv6_addr_equals(&ip6, &in6addr_loopback)) {
            return value_error(value, "cannot be a tunnel endpoint (:: and "
                               "::1 are not reachable from other chassis)");
        }
        if (ipv6_addr_is_multicast(&ip6)) {
            return value_error(value, "is not a unicast address (ff00::/8 "
                               "is multicast)");
        }
        if (in6_is_lla(&ip6)) {
            return value_error(value, "cannot be a tunnel endpoint (a "
                               "link-local address needs an interface to "
                               "be reachable)");
        }
    } else {
        return value_error(value, "is not an IP address (expected an IPv4 "
                           "or IPv6 address without prefix, e.g. 192.0.2.1 "
                           "or 2001:db8::1)");
    }
    return NULL;
}

char *
roam_validate_encap_type(const char *value)
{
    if (!strcmp(value, "geneve") || !strcmp(value, "vxlan")
        || !strcmp(value, "gre")) {
        return NULL;
    }
    return value_error(value, "is not an encapsulation type (expected "
                       "geneve, vxlan or gre)");
}

/* Returns NULL if 'value' is in the range 'min'...'max', otherwise a
 * message that calls it 'what'. */
static char *
check_range(const char *what, int64_t value, int64_t min, int64_t max)
{
    if (value >= min && value <= max) {
        return NULL;
    }
    return xasprintf("%s %"PRId64" is out of range (expected %"PRId64" to "
                     "%"PRId64")", what, value, min, max);
}

char *
roam_validate_vni(int64_t value)
{
    return check_range("VNI", value, 1, 16777215);
}

char *
roam_validate_port_key(int64_t value)
{
    return check_range("port tunnel key", value, 1, 32767);
}

char *
roam_validate_mtu(int64_t value)
{
    return check_range("MTU", value, 68, 65535);
}

char *
roam_validate_name(const char *what, const char *value)
{
    size_t len = strlen(value);

    if (!len) {
        return value_error(value, "is not a valid %s name (a name may not "
                           "be empty)", what);
    }
    if (len > NAME_MAX_LEN) {
        return xasprintf("%s name of %"PRIuSIZE" bytes is too long (expected "
                         "at most %d bytes)", what, len, NAME_MAX_LEN);
    }

    char *utf8_error = utf8_validate(value, NULL);
    if (utf8_error) {
        free(utf8_error);
        return value_error(value, "is not a valid %s name (it is not valid "
                           "UTF-8)", what);
    }
    for (const unsigned char *p = (const unsigned char *) value; *p; p++) {
        if (*p < 0x80 && !isgraph(*p)) {
            return value_error(value, "is not a valid %s name (white space "
                               "and control characters are not allowed)",
                               what);
        }
    }
    return NULL;
}
