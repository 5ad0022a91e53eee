/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef ROAM_VALIDATE_H
#define ROAM_VALIDATE_H 1

/* Rules for the values an orchestrator writes into the Roam database.
 *
 * The schema lets ovsdb-server refuse what OVSDB can express (ranges, enums,
 * unique indexes).  These functions check the rest (the syntax of MACs and
 * IP addresses, for example) and are shared by roam-ctl, which refuses bad
 * input before writing, and roam-agent, which ignores bad rows.
 *
 * Each function returns NULL if 'value' is valid, otherwise a malloc()'d
 * message, for the caller to free(), that names the value and the rule it
 * breaks, e.g. "\"00:11:22:33:44\" is not a MAC address (expected six
 * hexadecimal octets separated by colons, e.g. 00:00:5e:00:53:01)". */

#include <stdint.h>
#include "openvswitch/compiler.h"

struct eth_addr;

/* A Port's 'mac': a unicast Ethernet address.  On success, if 'mac' is
 * nonnull, stores the parsed address in '*mac'. */
char *roam_validate_mac(const char *value, struct eth_addr *mac)
    OVS_WARN_UNUSED_RESULT;

/* One of a Port's 'ips': an IPv4 or IPv6 host address with its prefix length,
 * e.g. "198.51.100.10/24" or "2001:db8::10/64". */
char *roam_validate_port_ip(const char *value) OVS_WARN_UNUSED_RESULT;

/* An Encap's 'ip': a plain IPv4 or IPv6 unicast address, without prefix. */
char *roam_validate_encap_ip(const char *value) OVS_WARN_UNUSED_RESULT;

/* An Encap's 'type': "geneve", "vxlan" or "gre". */
char *roam_validate_encap_type(const char *value) OVS_WARN_UNUSED_RESULT;

/* A Network's 'tunnel_key' (its VNI): 1 to 16777215. */
char *roam_validate_vni(int64_t value) OVS_WARN_UNUSED_RESULT;

/* A Port's 'tunnel_key': 1 to 32767, unique within its network. */
char *roam_validate_port_key(int64_t value) OVS_WARN_UNUSED_RESULT;

/* A Network's 'mtu': 68 to 65535. */
char *roam_validate_mtu(int64_t value) OVS_WARN_UNUSED_RESULT;

/* The name of a Network, Port or Chassis ('what' says which, for the
 * message): nonempty, at most 255 bytes, printable, no white space. */
char *roam_validate_name(const char *what, const char *value)
    OVS_WARN_UNUSED_RESULT;

#endif /* ovsdb/roam-validate.h */
