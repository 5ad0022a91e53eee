/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef ENCAP_IFACE_H
#define ENCAP_IFACE_H 1

/* Follows the address of the interface named by roam-encap-iface.
 *
 * Uses libnl-route's cache manager on a netlink socket in the agent's network
 * namespace, so that an address added to or removed from the interface is seen
 * at once, from the poll loop, without polling.  The tunnel endpoint is the
 * interface's first IPv4 address of global scope in the order the kernel
 * lists them, or, if it has none, its first global IPv6 address. */

#include <stdbool.h>

struct encap_iface;

/* Creates a watcher.  Returns NULL, after logging why, only if netlink is
 * unavailable; a missing interface is not an error. */
struct encap_iface *encap_iface_create(void);
void encap_iface_destroy(struct encap_iface *);

/* Sets the name of the interface to follow; NULL stops following. */
void encap_iface_set_name(struct encap_iface *, const char *name);

/* Processes netlink notifications.  Returns true if the address reported by
 * encap_iface_get_ip() changed since the previous call. */
bool encap_iface_run(struct encap_iface *);

/* Arranges for poll_block() to wake when a notification arrives. */
void encap_iface_wait(struct encap_iface *);

/* Returns the current address as a string ("192.0.2.11", "2001:db8::11"), or
 * NULL if the interface does not exist or has no usable address.  When it
 * returns NULL, '*why' (if nonnull) points to a static explanation such as
 * "interface does not exist" or "interface has no global address". */
const char *encap_iface_get_ip(const struct encap_iface *, const char **why);

#endif /* agent/encap-iface.h */
