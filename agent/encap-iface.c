/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "agent/encap-iface.h"

#include <ctype.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netlink/cache.h>
#include <netlink/errno.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <netlink/socket.h>

#include "openvswitch/poll-loop.h"
#include "openvswitch/vlog.h"
#include "packets.h"
#include "reconnect.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(encap_iface);

/* How the watcher works.
 *
 * A libnl cache manager keeps two caches, every link and every address in
 * the network namespace, current from rtnetlink notifications.  The
 * notification socket is polled from the agent's poll loop; a notification
 * that concerns the followed interface (by name or by ifindex) marks the
 * watcher dirty, and the next encap_iface_run() recomputes the address from
 * the caches.  Nothing is read from the kernel on a timer.
 *
 * The netlink side has three states, logged (at debug level) by these names:
 *
 *                    set_name(name)
 *     +--------+  -------------------->  +-----------+   dump failed
 *     |  idle  |                         |  backoff  | -------------+
 *     +--------+  <--------------------  +-----------+ <------------+
 *         ^          set_name(NULL)         |     ^
 *         |                       dump done |     | notifications lost,
 *         |                                 v     | other netlink error
 *         |       set_name(NULL)         +-----------+
 *         +----------------------------  |  synced   |
 *                                        +-----------+
 *
 * (A name that cannot be an interface name counts as NULL.)
 *
 * "idle": no interface is named, no socket is open, so an agent configured
 * with roam-encap-ip does not wake up for every link event on the host.
 *
 * "backoff": waiting to (re)open the socket and dump links and addresses.
 * The first attempt after an interface is named is immediate; after a
 * failure the wait is 1 s, doubling up to 8 s while failures go on (OVS's
 * reconnect FSM).  The last address found stays reported while
 * resynchronizing, so that a lost notification does not take down every
 * tunnel to this chassis; it is replaced once the new dump is in.
 *
 * "synced": the caches follow the kernel.
 *
 * The address reported is recomputed from the caches only (see
 * encap_iface_refresh()), so a resynchronization and a notification lead to
 * the same answer. */

/* Netlink states, as described above. */
enum encap_iface_state {
    ENCAP_IFACE_IDLE,           /* No interface named. */
    ENCAP_IFACE_BACKOFF,        /* Waiting to open netlink and dump. */
    ENCAP_IFACE_SYNCED,         /* Caches follow the kernel. */
};

/* Receive buffer asked for the notification socket.  libnl's default is
 * 32 kB, a few dozen link messages; a host that starts many VMs at once sends
 * more than that while the agent is busy elsewhere.  The kernel caps the
 * value at net.core.rmem_max.  Overflow is still handled, by resyncing. */
#define ENCAP_IFACE_RCVBUF (1024 * 1024)

/* Bounds of the back-off between attempts to (re)synchronize, in ms. */
#define ENCAP_IFACE_MIN_BACKOFF 1000
#define ENCAP_IFACE_MAX_BACKOFF 8000

/* Why there is no address; encap_iface_get_ip() hands these out. */
static const char WHY_NO_NAME[] = "no interface configured";
static const char WHY_BAD_NAME[] = "not a valid interface name";
static const char WHY_UNKNOWN[] =
    "interface state unknown (netlink unavailable, retrying)";
static const char WHY_NO_IFACE[] = "interface does not exist";
static const char WHY_NO_ADDR[] = "interface has no global address";
static const char WHY_TENTATIVE[] =
    "interface's global address is tentative (duplicate address detection "
    "in progress)";
static const char WHY_UNUSABLE[] =
    "interface's global addresses are deprecated or duplicates";

/* What the watcher reports: an address or the reason there is none. */
struct encap_iface_result {
    bool has_ip;                /* True if 'ip' is valid. */
    struct in6_addr ip;         /* The address, IPv4 as v4-mapped IPv6. */
    const char *why;            /* If !has_ip, one of the WHY_* strings. */
};

/* A watcher for the address of one interface. */
struct encap_iface {
    char *name;                 /* Interface to follow, NULL if none. */
    enum encap_iface_state state; /* See the diagram above. */

    /* Netlink.  'sock', 'mngr', 'links' and 'addrs' are nonnull exactly in
     * state ENCAP_IFACE_SYNCED. */
    struct reconnect *reconnect; /* Back-off between synchronizations. */
    struct nl_sock *sock;       /* Notification socket, owned here. */
    struct nl_cache_mngr *mngr; /* Keeps 'links' and 'addrs' current. */
    struct nl_cache *links;     /* All links; owned by 'mngr'. */
    struct nl_cache *addrs;     /* All addresses; owned by 'mngr'. */
    bool dirty;                 /* Recompute 'current' from the caches. */
    int ifindex;                /* Ifindex of 'name' when last seen, or 0. */

    struct encap_iface_result current;  /* What get_ip() returns. */
    struct encap_iface_result reported; /* As of the last run(). */
    char ip_string[INET6_ADDRSTRLEN];   /* 'current.ip' as a string. */
};

static void encap_iface_close(struct encap_iface *);
static void encap_iface_refresh(struct encap_iface *);

static const char *
encap_iface_state_name(enum encap_iface_state state)
{
    switch (state) {
    case ENCAP_IFACE_IDLE:
        return "idle";
    case ENCAP_IFACE_BACKOFF:
        return "backoff";
    case ENCAP_IFACE_SYNCED:
        return "synced";
    }
    OVS_NOT_REACHED();
}

static void
encap_iface_set_state(struct encap_iface *ei, enum encap_iface_state state)
{
    if (ei->state != state) {
        VLOG_DBG("%s: netlink state %s -> %s", ei->name ? ei->name : "(none)",
                 encap_iface_state_name(ei->state),
                 encap_iface_state_name(state));
        ei->state = state;
    }
}

static void
encap_iface_set_ip(struct encap_iface *ei, const struct in6_addr *ip)
{
    ei->current.has_ip = true;
    ei->current.ip = *ip;
    ei->current.why = NULL;
    ipv6_string_mapped(ei->ip_string, ip);
}

static void
encap_iface_set_none(struct encap_iface *ei, const char *why)
{
    ei->current.has_ip = false;
    ei->current.why = why;
}

static bool
encap_iface_result_equals(const struct encap_iface_result *a,
                          const struct encap_iface_result *b)
{
    return (a->has_ip == b->has_ip
            && (a->has_ip
                ? ipv6_addr_equals(&a->ip, &b->ip)
                : a->why == b->why));
}

/* Returns true if 'name' could name a Linux network device (the kernel's
 * dev_valid_name()), so that a typo in roam-encap-iface is reported as such
 * rather than as an interface that does not exist yet. */
static bool
encap_iface_name_is_valid(const char *name)
{
    if (!name[0] || strlen(name) >= IFNAMSIZ
        || !strcmp(name, ".") || !strcmp(name, "..")) {
        return false;
    }
    for (const char *p = name; *p; p++) {
        if (*p == '/' || *p == ':' || isspace((unsigned char) *p)) {
            return false;
        }
    }
    return true;
}

/* Creates a watcher that follows no interface yet.  Never returns NULL:
 * netlink is opened only when encap_iface_set_name() names an interface, and
 * failures are retried from encap_iface_run(). */
struct encap_iface *
encap_iface_create(void)
{
    struct encap_iface *ei = xzalloc(sizeof *ei);

    ei->state = ENCAP_IFACE_IDLE;
    ei->reconnect = reconnect_create(time_msec());
    reconnect_set_name(ei->reconnect, "encap iface netlink");
    reconnect_set_quiet(ei->reconnect, true);
    reconnect_set_backoff(ei->reconnect, ENCAP_IFACE_MIN_BACKOFF,
                          ENCAP_IFACE_MAX_BACKOFF);
    reconnect_set_probe_interval(ei->reconnect, 0);
    encap_iface_set_none(ei, WHY_NO_NAME);
    ei->reported = ei->current;
    return ei;
}

/* Closes the netlink socket and frees 'ei'.  Accepts NULL. */
void
encap_iface_destroy(struct encap_iface *ei)
{
    if (ei) {
        encap_iface_close(ei);
        reconnect_destroy(ei->reconnect);
        free(ei->name);
        free(ei);
    }
}

/* Starts following the interface called 'name', or, if 'name' is NULL,
 * stops following any interface and closes the netlink socket.  The new
 * address is reported by the next encap_iface_run(). */
void
encap_iface_set_name(struct encap_iface *ei, const char *name)
{
    if (nullable_string_is_equal(ei->name, name)) {
        return;
    }

    free(ei->name);
    ei->name = nullable_xstrdup(name);
    ei->ifindex = 0;

    if (!name || !encap_iface_name_is_valid(name)) {
        encap_iface_close(ei);
        reconnect_disable(ei->reconnect, time_msec());
        encap_iface_set_state(ei, ENCAP_IFACE_IDLE);
        encap_iface_set_none(ei, name ? WHY_BAD_NAME : WHY_NO_NAME);
        return;
    }

    if (ei->state == ENCAP_IFACE_SYNCED) {
        /* The caches hold every interface: no need to ask the kernel. */
        encap_iface_refresh(ei);
    } else {
        /* Whatever was found for the previous name is not this one's. */
        encap_iface_set_none(ei, WHY_UNKNOWN);
        encap_iface_set_state(ei, ENCAP_IFACE_BACKOFF);
        reconnect_enable(ei->reconnect, time_msec());
    }
}

/* Change callback of both caches, called from nl_cache_mngr_data_ready()
 * for every notification.  Marks 'ei' dirty if the notification may change
 * the answer: a link named 'ei->name' (one may have been created or renamed
 * to it), the link 'ei->ifindex' (it may have been deleted or renamed away),
 * or an address on that link. */
static void
encap_iface_change_cb(struct nl_cache *cache, struct nl_object *obj,
                      int action OVS_UNUSED, void *ei_)
{
    struct encap_iface *ei = ei_;

    if (cache == ei->links) {
        struct rtnl_link *link = (struct rtnl_link *) obj;
        const char *name = rtnl_link_get_name(link);

        /* The kernel also sends per-family link messages (AF_INET6, and
         * AF_BRIDGE for bridge ports), which libnl keeps as separate
         * objects.  Only the AF_UNSPEC one describes the device. */
        if (rtnl_link_get_family(link) == AF_UNSPEC
            && ((ei->ifindex && rtnl_link_get_ifindex(link) == ei->ifindex)
                || (name && !strcmp(name, ei->name)))) {
            ei->dirty = true;
        }
    } else if (cache == ei->addrs) {
        struct rtnl_addr *addr = (struct rtnl_addr *) obj;

        if (ei->ifindex && rtnl_addr_get_ifindex(addr) == ei->ifindex) {
            ei->dirty = true;
        }
    }
}

/* Opens the notification socket and fills both caches with a dump.  Returns
 * 0 if successful, otherwise a negative libnl error code. */
static int
encap_iface_open(struct encap_iface *ei)
{
    struct nl_cache *links = NULL;
    struct nl_cache *addrs = NULL;
    struct nl_cache_mngr *mngr;
    struct nl_sock *sock;
    int error;

    sock = nl_socket_alloc();
    if (!sock) {
        return -NLE_NOMEM;
    }

    error = nl_cache_mngr_alloc(sock, NETLINK_ROUTE, 0, &mngr);
    if (error) {
        nl_socket_free(sock);
        return error;
    }

    /* Best effort: if it fails, overflow comes sooner and is handled. */
    nl_socket_set_buffer_size(sock, ENCAP_IFACE_RCVBUF, 0);

    /* Empty caches (no socket given), filled by nl_cache_mngr_add_cache()
     * after it subscribed to their notifications, so nothing that happens
     * during the dump is missed.  Not nl_cache_mngr_add(): looking the cache
     * type up by name fails if the linker dropped libnl-route. */
    error = rtnl_link_alloc_cache(NULL, AF_UNSPEC, &links);
    if (!error) {
        error = nl_cache_mngr_add_cache(mngr, links, encap_iface_change_cb,
                                        ei);
        if (error) {
            nl_cache_free(links);
        }
    }
    if (!error) {
        error = rtnl_addr_alloc_cache(NULL, &addrs);
        if (!error) {
            error = nl_cache_mngr_add_cache(mngr, addrs,
                                            encap_iface_change_cb, ei);
            if (error) {
                nl_cache_free(addrs);
            }
        }
    }
    if (error) {
        /* Frees the caches it manages, and closes 'sock'. */
        nl_cache_mngr_free(mngr);
        nl_socket_free(sock);
        return error;
    }

    ei->sock = sock;
    ei->mngr = mngr;
    ei->links = links;
    ei->addrs = addrs;
    return 0;
}

/* Closes the notification socket and frees the caches, if open. */
static void
encap_iface_close(struct encap_iface *ei)
{
    if (ei->mngr) {
        nl_cache_mngr_free(ei->mngr);
        nl_socket_free(ei->sock);
        ei->mngr = NULL;
        ei->sock = NULL;
        ei->links = NULL;
        ei->addrs = NULL;
    }
    ei->dirty = false;
}

/* Drops the netlink state after 'error' (a negative libnl error code) and
 * backs off before the next synchronization.  'what' says what failed. */
static void
encap_iface_fail(struct encap_iface *ei, long long int now,
                 const char *what, int error)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 60);
    bool was_synced = ei->state == ENCAP_IFACE_SYNCED;

    encap_iface_close(ei);
    if (was_synced) {
        reconnect_disconnected(ei->reconnect, now, 0);
    } else {
        reconnect_connect_failed(ei->reconnect, now, 0);
    }
    encap_iface_set_state(ei, ENCAP_IFACE_BACKOFF);

    /* libnl reports the kernel's ENOBUFS (notifications dropped because the
     * receive buffer was full) as -NLE_NOMEM, whose text is misleading. */
    VLOG_WARN_RL(&rl, "%s: %s (%s); %s in %.1f s", ei->name, what,
                 (error == -NLE_NOMEM
                  ? "receive buffer overflow or out of memory"
                  : nl_geterror(error)),
                 ei->current.has_ip
                 ? "keeping the last address and resynchronizing"
                 : "retrying",
                 reconnect_timeout(ei->reconnect, now) / 1000.0);
}

/* Opens netlink and dumps links and addresses, as the back-off allows. */
static void
encap_iface_connect(struct encap_iface *ei, long long int now)
{
    int error;

    reconnect_connecting(ei->reconnect, now);
    error = encap_iface_open(ei);
    if (!error) {
        reconnect_connected(ei->reconnect, now);
        encap_iface_set_state(ei, ENCAP_IFACE_SYNCED);
        VLOG_DBG("%s: netlink synchronized: %d links, %d addresses",
                 ei->name, nl_cache_nitems(ei->links),
                 nl_cache_nitems(ei->addrs));
        encap_iface_refresh(ei);
    } else {
        encap_iface_fail(ei, now, "cannot read links and addresses "
                         "through netlink", error);
    }
}

/* Returns the ifindex of the link called 'name' in 'links', or 0. */
static int
encap_iface_find_ifindex(struct nl_cache *links, const char *name)
{
    for (struct nl_object *obj = nl_cache_get_first(links); obj;
         obj = nl_cache_get_next(obj)) {
        struct rtnl_link *link = (struct rtnl_link *) obj;
        const char *link_name = rtnl_link_get_name(link);

        if (rtnl_link_get_family(link) == AF_UNSPEC
            && link_name && !strcmp(link_name, name)) {
            return rtnl_link_get_ifindex(link);
        }
    }
    return 0;
}

/* How an address of the followed interface may serve as tunnel endpoint. */
enum encap_iface_addr_class {
    ADDR_IGNORED,               /* Not global, or not unicast. */
    ADDR_TENTATIVE,             /* Global, but DAD is not done yet. */
    ADDR_UNUSABLE,              /* Global, but deprecated or a duplicate. */
    ADDR_USABLE,                /* Global, unicast, ready: a candidate. */
};

/* Classifies 'addr'.  If it is a global unicast address, stores it in
 * '*ip' (IPv4 as v4-mapped). */
static enum encap_iface_addr_class
encap_iface_classify(struct rtnl_addr *addr, struct in6_addr *ip)
{
    struct nl_addr *local = rtnl_addr_get_local(addr);
    int family = rtnl_addr_get_family(addr);
    unsigned int flags = rtnl_addr_get_flags(addr);

    if (!local || rtnl_addr_get_scope(addr) != RT_SCOPE_UNIVERSE) {
        return ADDR_IGNORED;
    }

    if (family == AF_INET && nl_addr_get_len(local) == sizeof(ovs_be32)) {
        ovs_be32 ip4;
        uint32_t host;

        memcpy(&ip4, nl_addr_get_binary_addr(local), sizeof ip4);
        host = ntohl(ip4);
        /* A global scope is what the kernel was told, and "ip addr add"
         * gives it to 169.254.0.0/16 too unless asked otherwise. */
        if (!host || ip_is_multicast(ip4) || host == UINT32_MAX
            || (host & 0xffff0000) == 0xa9fe0000     /* 169.254.0.0/16 */
            || (host & 0xff000000) == 0x7f000000) {  /* 127.0.0.0/8 */
            return ADDR_IGNORED;
        }
        in6_addr_set_mapped_ipv4(ip, ip4);
    } else if (family == AF_INET6
               && nl_addr_get_len(local) == sizeof(struct in6_addr)) {
        memcpy(ip, nl_addr_get_binary_addr(local), sizeof *ip);
        if (ipv6_addr_is_multicast(ip) || IN6_IS_ADDR_LINKLOCAL(ip)
            || IN6_IS_ADDR_LOOPBACK(ip) || IN6_IS_ADDR_UNSPECIFIED(ip)
            || IN6_IS_ADDR_V4MAPPED(ip)) {
            return ADDR_IGNORED;
        }
    } else {
        return ADDR_IGNORED;
    }

    if (flags & IFA_F_TENTATIVE) {
        return ADDR_TENTATIVE;
    } else if (flags & (IFA_F_DEPRECATED | IFA_F_DADFAILED)) {
        return ADDR_UNUSABLE;
    }
    return ADDR_USABLE;
}

/* The best candidate of one address family seen so far. */
struct encap_iface_pick {
    bool found;                 /* True if 'first' is valid. */
    struct in6_addr first;      /* First usable address, in cache order. */
    bool has_current;           /* The address reported now is usable. */
};

/* Recomputes the address from the caches.
 *
 * Chooses IPv4 if the interface has a usable global IPv4 address, otherwise
 * IPv6.  Within the chosen family, keeps the address already reported if it
 * is still usable, otherwise takes the first usable one in the cache, which
 * starts out in the order the kernel lists addresses.  Keeping the current
 * address matters because libnl moves an address to the end of its cache
 * whenever the kernel re-announces it (a refreshed IPv6 lifetime does), and
 * a tunnel endpoint must not flip between two addresses on every router
 * advertisement. */
static void
encap_iface_refresh(struct encap_iface *ei)
{
    struct encap_iface_pick v4 = { .found = false };
    struct encap_iface_pick v6 = { .found = false };
    int n_tentative = 0;
    int n_unusable = 0;

    ei->dirty = false;
    ei->ifindex = encap_iface_find_ifindex(ei->links, ei->name);
    if (!ei->ifindex) {
        encap_iface_set_none(ei, WHY_NO_IFACE);
        return;
    }

    for (struct nl_object *obj = nl_cache_get_first(ei->addrs); obj;
         obj = nl_cache_get_next(obj)) {
        struct rtnl_addr *addr = (struct rtnl_addr *) obj;
        struct encap_iface_pick *pick;
        struct in6_addr ip;

        if (rtnl_addr_get_ifindex(addr) != ei->ifindex) {
            continue;
        }

        switch (encap_iface_classify(addr, &ip)) {
        case ADDR_IGNORED:
            continue;
        case ADDR_TENTATIVE:
            n_tentative++;
            continue;
        case ADDR_UNUSABLE:
            n_unusable++;
            continue;
        case ADDR_USABLE:
            break;
        }

        pick = IN6_IS_ADDR_V4MAPPED(&ip) ? &v4 : &v6;
        if (!pick->found) {
            pick->found = true;
            pick->first = ip;
        }
        if (ei->current.has_ip && ipv6_addr_equals(&ip, &ei->current.ip)) {
            pick->has_current = true;
        }
    }

    const struct encap_iface_pick *best = (v4.found ? &v4
                                           : v6.found ? &v6
                                           : NULL);
    if (best) {
        if (!best->has_current) {
            encap_iface_set_ip(ei, &best->first);
        }
    } else {
        encap_iface_set_none(ei, (n_tentative ? WHY_TENTATIVE
                                  : n_unusable ? WHY_UNUSABLE
                                  : WHY_NO_ADDR));
    }
}

/* Logs the change from 'ei->reported' to 'ei->current'. */
static void
encap_iface_log_change(const struct encap_iface *ei)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(10, 60);
    const char *name = ei->name ? ei->name : "encap iface";
    char old[INET6_ADDRSTRLEN];

    if (ei->reported.has_ip) {
        ipv6_string_mapped(old, &ei->reported.ip);
    }

    if (ei->current.has_ip) {
        if (ei->reported.has_ip) {
            VLOG_INFO_RL(&rl, "%s: tunnel endpoint address changed from %s "
                         "to %s", name, old, ei->ip_string);
        } else {
            VLOG_INFO_RL(&rl, "%s: tunnel endpoint address is %s", name,
                         ei->ip_string);
        }
    } else if (ei->reported.has_ip) {
        VLOG_WARN_RL(&rl, "%s: no tunnel endpoint address any more "
                     "(was %s): %s", name, old, ei->current.why);
    } else {
        VLOG_INFO_RL(&rl, "%s: no tunnel endpoint address: %s", name,
                     ei->current.why);
    }
}

/* Processes netlink notifications and, as the back-off allows, opens
 * netlink again after an error.  Returns true if encap_iface_get_ip()
 * answers differently than at the previous call: another address, or no
 * address for another reason. */
bool
encap_iface_run(struct encap_iface *ei)
{
    long long int now = time_msec();

    if (ei->state != ENCAP_IFACE_IDLE) {
        enum reconnect_action action = reconnect_run(ei->reconnect, now);

        if (action == RECONNECT_CONNECT) {
            encap_iface_connect(ei, now);
        } else if (action == RECONNECT_DISCONNECT) {
            /* Not expected: connecting is synchronous and probes are off. */
            encap_iface_fail(ei, now, "netlink timed out", -NLE_FAILURE);
        }
    }

    if (ei->state == ENCAP_IFACE_SYNCED) {
        int n = nl_cache_mngr_data_ready(ei->mngr);

        if (n < 0) {
            encap_iface_fail(ei, now, "lost netlink notifications", n);
        } else {
            if (n > 0) {
                reconnect_activity(ei->reconnect, now);
            }
            if (ei->dirty) {
                encap_iface_refresh(ei);
            }
        }
    }

    if (encap_iface_result_equals(&ei->current, &ei->reported)) {
        return false;
    }
    encap_iface_log_change(ei);
    ei->reported = ei->current;
    return true;
}

/* Arranges for poll_block() to wake when a notification arrives, when the
 * back-off ends, or at once if encap_iface_run() has something to report. */
void
encap_iface_wait(struct encap_iface *ei)
{
    if (!encap_iface_result_equals(&ei->current, &ei->reported)) {
        poll_immediate_wake();
    }
    if (ei->state != ENCAP_IFACE_IDLE) {
        reconnect_wait(ei->reconnect, time_msec());
    }
    if (ei->state == ENCAP_IFACE_SYNCED) {
        poll_fd_wait(nl_cache_mngr_get_fd(ei->mngr), POLLIN);
    }
}

/* Returns the current address as a string ("192.0.2.11", "2001:db8::11"),
 * or NULL with the reason in '*why' (if 'why' is nonnull). */
const char *
encap_iface_get_ip(const struct encap_iface *ei, const char **why)
{
    if (ei->current.has_ip) {
        if (why) {
            *why = NULL;
        }
        return ei->ip_string;
    } else {
        if (why) {
            *why = ei->current.why;
        }
        return NULL;
    }
}
