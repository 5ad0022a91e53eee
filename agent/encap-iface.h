/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef ENCAP_IFACE_H
#define ENCAP_IFACE_H 1

/* Follows the address of the interface named by roam-encap-iface.
 *
 * Uses libnl-route's cache manager on a netlink socket in the agent's network
 * namespace, so that an address added to or removed from the interface is seen
 * at once, from the poll loop, without polling.
 *
 * The tunnel endpoint is a global unicast address of the interface: IPv4 if
 * it has one, otherwise IPv6.  Link-local addresses (fe80::/10, and
 * 169.254.0.0/16 even if configured with global scope), tentative addresses
 * (IPv6 duplicate address detection not finished), deprecated ones and
 * duplicates are never chosen.  Within the chosen family, the address already
 * reported is kept as long as it stays usable, so adding a second address
 * does not move the endpoint; otherwise the first usable one in the order the
 * kernel lists them is taken.  Whether the link is up does not matter: a
 * flapping uplink must not change the endpoint that every other chassis
 * tunnels to.
 *
 * The interface is followed by name: if it is created later, the address
 * appears; if it is deleted or renamed, the address goes away; if another
 * interface takes the name, that interface is followed.
 *
 * Netlink failures at run time (including lost notifications when the socket
 * buffer overflows) are logged and answered by reopening the socket and
 * dumping again, with back-off; in the meantime the last address found stays
 * reported. */

#include <stdbool.h>

struct encap_iface;

/* Creates a watcher that follows no interface yet.  Never returns NULL:
 * netlink is opened only once an interface is named, and failures are retried
 * from encap_iface_run(); a missing interface is not an error either. */
struct encap_iface *encap_iface_create(void);

/* Closes the netlink socket and frees the watcher.  Accepts NULL. */
void encap_iface_destroy(struct encap_iface *);

/* Sets the name of the interface to follow; NULL stops following and closes
 * the netlink socket.  The result shows in the next encap_iface_run(). */
void encap_iface_set_name(struct encap_iface *, const char *name);

/* Processes netlink notifications and retries netlink after a failure.
 * Returns true if encap_iface_get_ip() answers differently than at the
 * previous call: another address, or no address for another reason.  Logs
 * each change, naming the interface. */
bool encap_iface_run(struct encap_iface *);

/* Arranges for poll_block() to wake when a notification arrives, when a
 * retry after a netlink failure is due, or at once if encap_iface_run() has
 * a change to report. */
void encap_iface_wait(struct encap_iface *);

/* Returns the current address as a string ("192.0.2.11", "2001:db8::11"), or
 * NULL if the interface does not exist or has no usable address.  When it
 * returns NULL, '*why' (if nonnull) points to a static explanation such as
 * "interface does not exist" or "interface has no global address". */
const char *encap_iface_get_ip(const struct encap_iface *, const char **why);

#endif /* agent/encap-iface.h */
