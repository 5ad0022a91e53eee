/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "tunnels.h"

#include <string.h>

#include "chassis.h"
#include "hash.h"
#include "lib/vswitch-idl.h"
#include "flow.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovsdb/roam-idl.h"
#include "ovsdb/roam-validate.h"
#include "smap.h"
#include "sset.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(tunnels);

/* The key in Port external_ids that marks a tunnel port as the agent's and
 * names its remote chassis. */
#define TUNNELS_CHASSIS_KEY "roam-chassis"

/* Encapsulation types in order of preference. */
static const char *const preferred_types[] = { "geneve", "vxlan", "gre" };

void
tunnels_register_ovs_idl(struct ovsdb_idl *ovs_idl)
{
    ovsdb_idl_add_column(ovs_idl, &ovsrec_port_col_external_ids);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_interface_col_options);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_interface_col_ofport);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_interface_col_bfd);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_interface_col_bfd_status);
}

/* How many names a chassis's tunnel port may have: its usual one and, for
 * when another chassis's port or another port of the switch has that,
 * TUNNEL_NAMES - 1 more. */
#define TUNNEL_NAMES 8

/* Returns the name number 'i' (0 <= i < TUNNEL_NAMES) of the tunnel port to
 * 'chassis_name'.  Interface names have at most 15 characters: the usual
 * name is "roam-" and the chassis name, or, for a chassis name longer than
 * 10 characters, 8 hexadecimal digits of its hash; the others are hashes
 * with other bases. */
static char *
tunnel_port_name(const char *chassis_name, int i)
{
    if (!i && strlen(chassis_name) <= 10) {
        return xasprintf("roam-%s", chassis_name);
    }
    return xasprintf("roam-%08"PRIx32, hash_string(chassis_name, i));
}

/* Returns which name (see tunnel_port_name()) 'name' is for 'chassis_name',
 * or -1 if none. */
static int
tunnel_port_name_index(const char *chassis_name, const char *name)
{
    for (int i = 0; i < TUNNEL_NAMES; i++) {
        char *candidate = tunnel_port_name(chassis_name, i);
        bool match = !strcmp(candidate, name);
        free(candidate);
        if (match) {
            return i;
        }
    }
    return -1;
}

/* Returns the Encap of 'remote' to use from a chassis with 'own_types', or
 * NULL if they have no usable type in common.  An Encap whose ip is no
 * tunnel endpoint (roam_validate_encap_ip()) is skipped, with a
 * rate-limited warning that names it, and '*skipped' is set to true. */
static const struct roamrec_encap *
choose_encap(const struct roamrec_chassis *remote,
             const struct sset *own_types, bool *skipped)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

    *skipped = false;
    for (size_t i = 0; i < ARRAY_SIZE(preferred_types); i++) {
        if (!sset_contains(own_types, preferred_types[i])) {
            continue;
        }
        for (size_t j = 0; j < remote->n_encaps; j++) {
            const struct roamrec_encap *encap = remote->encaps[j];
            if (strcmp(encap->type, preferred_types[i])) {
                continue;
            }
            char *error = roam_validate_encap_ip(encap->ip);
            if (!error) {
                return encap;
            }
            VLOG_WARN_RL(&rl, "chassis %s: %s Encap: ip: %s; not using it",
                         remote->name, encap->type, error);
            free(error);
            *skipped = true;
        }
    }
    return NULL;
}

/* The keys of the Interface "bfd" column that the agent owns. */
static const char *const bfd_keys[] = { "enable", "min_rx", "min_tx" };

/* Fills 'bfd' with the agent's keys of the Interface "bfd" column for
 * 'interval' (ms, 0 for no BFD). */
static void
tunnel_bfd_config(int interval, struct smap *bfd)
{
    if (interval) {
        smap_add(bfd, "enable", "true");
        smap_add_format(bfd, "min_rx", "%d", interval);
        smap_add_format(bfd, "min_tx", "%d", interval);
    }
}

/* What the Interface "bfd_status" column 'status' says.  A session starts
 * not forwarding, with no flap; so one that does not forward and has
 * flapped was up and went down. */
static enum tunnel_bfd
tunnel_bfd_state(const struct smap *status)
{
    const char *forwarding = smap_get(status, "forwarding");
    unsigned int flaps;

    if (!forwarding) {
        return TUNNEL_BFD_UNKNOWN;
    } else if (!strcmp(forwarding, "true")) {
        return TUNNEL_BFD_UP;
    } else if (str_to_uint(smap_get_def(status, "flap_count", "0"), 10,
                           &flaps) && flaps > 0) {
        return TUNNEL_BFD_DOWN;
    }
    return TUNNEL_BFD_UNKNOWN;
}

/* Makes the agent's keys of 'iface''s "bfd" column those for 'interval',
 * leaving any other key alone.  Returns true if it changed anything. */
static bool
tunnel_bfd_update(const struct ovsrec_interface *iface, int interval)
{
    struct smap bfd = SMAP_INITIALIZER(&bfd);
    bool changed = false;

    tunnel_bfd_config(interval, &bfd);
    for (size_t i = 0; i < ARRAY_SIZE(bfd_keys); i++) {
        const char *want = smap_get(&bfd, bfd_keys[i]);
        const char *have = smap_get(&iface->bfd, bfd_keys[i]);
        if (!nullable_string_is_equal(want, have)) {
            if (want) {
                ovsrec_interface_update_bfd_setkey(iface, bfd_keys[i], want);
            } else {
                ovsrec_interface_update_bfd_delkey(iface, bfd_keys[i]);
            }
            changed = true;
        }
    }
    smap_destroy(&bfd);
    return changed;
}

/* The BFD interval of 'tunnel': this chassis's, if the remote chassis runs
 * BFD too, otherwise 0. */
static int
tunnel_bfd_interval(const struct tunnels_ctx_in *ctx_in,
                    const struct tunnel *tunnel)
{
    return (smap_get_bool(&tunnel->chassis->other_config, CHASSIS_BFD_KEY,
                          false)
            ? ctx_in->bfd_interval : 0);
}

static void
tunnel_port_create(struct ovsdb_idl_txn *txn,
                   const struct ovsrec_bridge *br_int,
                   const char *name, const struct tunnel *tunnel,
                   int bfd_interval)
{
    const struct smap options = SMAP_CONST2(&options,
                                            "remote_ip", tunnel->remote_ip,
                                            "key", "flow");
    const struct smap ids = SMAP_CONST1(&ids, TUNNELS_CHASSIS_KEY,
                                        tunnel->chassis->name);

    struct ovsrec_interface *iface = ovsrec_interface_insert(txn);
    ovsrec_interface_set_name(iface, name);
    ovsrec_interface_set_type(iface, tunnel->type);
    ovsrec_interface_set_options(iface, &options);
    struct smap bfd = SMAP_INITIALIZER(&bfd);
    tunnel_bfd_config(bfd_interval, &bfd);
    ovsrec_interface_set_bfd(iface, &bfd);
    smap_destroy(&bfd);

    struct ovsrec_port *port = ovsrec_port_insert(txn);
    ovsrec_port_set_name(port, name);
    ovsrec_port_set_interfaces(port, &iface, 1);
    ovsrec_port_set_external_ids(port, &ids);

    ovsrec_bridge_update_ports_addvalue(br_int, port);
    char *usual = tunnel_port_name(tunnel->chassis->name, 0);
    if (strcmp(name, usual)) {
        VLOG_INFO("adding tunnel %s to chassis %s (%s, remote_ip %s): its "
                  "usual name %s belongs to another port or interface of "
                  "this switch", name, tunnel->chassis->name, tunnel->type,
                  tunnel->remote_ip, usual);
    } else {
        VLOG_INFO("adding tunnel %s to chassis %s (%s, remote_ip %s)", name,
                  tunnel->chassis->name, tunnel->type, tunnel->remote_ip);
    }
    free(usual);
}

/* Makes the existing tunnel 'port' lead to 'tunnel', with BFD at
 * 'bfd_interval'.  Returns true if it changed anything. */
static bool
tunnel_port_update(const struct ovsrec_port *port, const struct tunnel *tunnel,
                   int bfd_interval)
{
    const struct ovsrec_interface *iface = port->interfaces[0];
    const char *remote_ip = smap_get_def(&iface->options, "remote_ip", "");
    const char *key = smap_get_def(&iface->options, "key", "");
    bool changed = tunnel_bfd_update(iface, bfd_interval);

    if (strcmp(iface->type, tunnel->type) || strcmp(remote_ip,
                                                    tunnel->remote_ip)
        || strcmp(key, "flow")) {
        const struct smap options = SMAP_CONST2(&options,
                                                "remote_ip",
                                                tunnel->remote_ip,
                                                "key", "flow");
        ovsrec_interface_set_type(iface, tunnel->type);
        ovsrec_interface_set_options(iface, &options);
        VLOG_INFO("tunnel %s to chassis %s now %s, remote_ip %s",
                  port->name, tunnel->chassis->name, tunnel->type,
                  tunnel->remote_ip);
        changed = true;
    }
    return changed;
}

/* Gives each tunnel in 'tunnels' a port name that no other port or interface
 * of the switch has: the name its existing port has, if that is one of its
 * names and still free, and otherwise the first free one of its names, the
 * chassis taken in the order of their names.  So a tunnel keeps its port
 * when a new chassis's usual name clashes with it; chassis that come
 * together get the same names whatever the order of their rows.  (Names
 * are local: two hypervisors may name one chassis's tunnel differently.)
 * A tunnel left without a name (every one of its names taken: the switch
 * would have to hold hundreds of ports named like tunnels) is dropped. */
static void
assign_port_names(const struct tunnels_ctx_in *ctx_in, struct shash *tunnels)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
    struct sset taken = SSET_INITIALIZER(&taken);

    const struct ovsrec_bridge *br;
    OVSREC_BRIDGE_TABLE_FOR_EACH (br, ctx_in->bridge_table) {
        for (size_t i = 0; i < br->n_ports; i++) {
            const struct ovsrec_port *port = br->ports[i];
            if (!tunnels_is_tunnel_port(port)) {
                sset_add(&taken, port->name);
                for (size_t j = 0; j < port->n_interfaces; j++) {
                    sset_add(&taken, port->interfaces[j]->name);
                }
            }
        }
    }

    /* The tunnels that have a port already keep its name. */
    for (size_t i = 0; ctx_in->br_int && i < ctx_in->br_int->n_ports; i++) {
        const struct ovsrec_port *port = ctx_in->br_int->ports[i];
        const char *remote = smap_get(&port->external_ids,
                                      TUNNELS_CHASSIS_KEY);
        struct tunnel *tunnel = remote ? shash_find_data(tunnels, remote)
                                       : NULL;
        if (tunnel && !tunnel->port_name
            && !sset_contains(&taken, port->name)
            && tunnel_port_name_index(remote, port->name) >= 0) {
            tunnel->port_name = xstrdup(port->name);
            sset_add(&taken, port->name);
        }
    }

    /* The others take their first free name. */
    const struct shash_node **nodes = shash_sort(tunnels);
    size_t n = shash_count(tunnels);
    for (size_t i = 0; i < n; i++) {
        struct tunnel *tunnel = nodes[i]->data;
        const char *chassis_name = nodes[i]->name;
        for (int j = 0; !tunnel->port_name && j < TUNNEL_NAMES; j++) {
            char *name = tunnel_port_name(chassis_name, j);
            if (!sset_contains(&taken, name)) {
                tunnel->port_name = name;
                sset_add(&taken, name);
            } else {
                free(name);
            }
        }
        if (!tunnel->port_name) {
            VLOG_WARN_RL(&rl, "every name for the tunnel port to chassis %s "
                         "is taken by another port or interface of this "
                         "switch: no tunnel to it", chassis_name);
            shash_delete(tunnels, CONST_CAST(struct shash_node *, nodes[i]));
            free(tunnel);
        }
    }
    free(nodes);
    sset_destroy(&taken);
}

bool
tunnels_run(const struct tunnels_ctx_in *ctx_in, struct shash *tunnels)
{
    bool changed = false;

    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);

    /* The tunnels there should be. */
    const struct roamrec_chassis *chassis;
    ROAMREC_CHASSIS_FOR_EACH (chassis, ctx_in->roam_idl) {
        if (!strcmp(chassis->name, ctx_in->own_name)) {
            continue;
        }
        bool skipped;
        const struct roamrec_encap *encap
            = choose_encap(chassis, ctx_in->own_types, &skipped);
        if (!encap) {
            VLOG_WARN_RL(&rl, "chassis %s has no %sencapsulation type in "
                         "common with this chassis: no tunnel to it",
                         chassis->name, skipped ? "usable " : "");
            continue;
        }

        struct tunnel *tunnel = xmalloc(sizeof *tunnel);
        tunnel->chassis = chassis;
        tunnel->type = encap->type;
        tunnel->remote_ip = encap->ip;
        tunnel->ofport = OFPP_NONE;
        tunnel->bfd = TUNNEL_BFD_OFF;
        tunnel->port_name = NULL;
        if (!shash_add_once(tunnels, chassis->name, tunnel)) {
            free(tunnel);
        }
    }

    assign_port_names(ctx_in, tunnels);

    if (!ctx_in->br_int) {
        return false;
    }

    /* Tunnels on another bridge were left by a previous roam-bridge; their
     * names must be free for the integration bridge's. */
    const struct ovsrec_bridge *br;
    OVSREC_BRIDGE_TABLE_FOR_EACH (br, ctx_in->bridge_table) {
        if (br == ctx_in->br_int || !ctx_in->ovs_idl_txn) {
            continue;
        }
        for (size_t i = 0; i < br->n_ports; i++) {
            const struct ovsrec_port *port = br->ports[i];
            if (tunnels_is_tunnel_port(port)) {
                VLOG_INFO("removing tunnel %s from %s, which is no longer "
                          "the integration bridge", port->name, br->name);
                ovsrec_bridge_update_ports_delvalue(br, port);
                changed = true;
            }
        }
    }

    /* The tunnel ports there are: keep, fix or remove each. */
    struct sset present = SSET_INITIALIZER(&present);
    for (size_t i = 0; i < ctx_in->br_int->n_ports; i++) {
        const struct ovsrec_port *port = ctx_in->br_int->ports[i];
        const char *remote = smap_get(&port->external_ids,
                                      TUNNELS_CHASSIS_KEY);
        if (!remote) {
            continue;
        }

        struct tunnel *tunnel = shash_find_data(tunnels, remote);
        if (tunnel && port->n_interfaces == 1
            && !strcmp(port->name, tunnel->port_name)
            && !sset_contains(&present, remote)) {
            sset_add(&present, remote);
            const struct ovsrec_interface *iface = port->interfaces[0];
            if (iface->n_ofport && *iface->ofport > 0) {
                tunnel->ofport = u16_to_ofp(*iface->ofport);
            }
            int bfd_interval = tunnel_bfd_interval(ctx_in, tunnel);
            tunnel->bfd = (bfd_interval && smap_get_bool(&iface->bfd,
                                                         "enable", false)
                           ? tunnel_bfd_state(&iface->bfd_status)
                           : TUNNEL_BFD_OFF);
            if (ctx_in->ovs_idl_txn) {
                changed |= tunnel_port_update(port, tunnel, bfd_interval);
            }
        } else if (ctx_in->ovs_idl_txn) {
            VLOG_INFO("removing tunnel %s to chassis %s", port->name,
                      remote);
            ovsrec_bridge_update_ports_delvalue(ctx_in->br_int, port);
            changed = true;
        }
    }

    if (ctx_in->ovs_idl_txn) {
        struct shash_node *node;
        SHASH_FOR_EACH (node, tunnels) {
            if (!sset_contains(&present, node->name)) {
                struct tunnel *tunnel = node->data;
                tunnel_port_create(ctx_in->ovs_idl_txn, ctx_in->br_int,
                                   tunnel->port_name, tunnel,
                                   tunnel_bfd_interval(ctx_in, tunnel));
                changed = true;
            }
        }
    }
    sset_destroy(&present);
    return changed;
}

void
tunnels_clear(struct shash *tunnels)
{
    struct shash_node *node;

    SHASH_FOR_EACH (node, tunnels) {
        struct tunnel *tunnel = node->data;
        free(tunnel->port_name);
    }
    shash_clear_free_data(tunnels);
}

bool
tunnels_is_tunnel_port(const struct ovsrec_port *port)
{
    return smap_get(&port->external_ids, TUNNELS_CHASSIS_KEY) != NULL;
}
