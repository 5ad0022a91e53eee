/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef LOCAL_CONFIG_H
#define LOCAL_CONFIG_H 1

/* The hypervisor's configuration of roam-agent.
 *
 * As ovn-controller does with its ovn-* keys, roam-agent reads its settings
 * from external_ids of the local Open_vSwitch row (DESIGN section 3).  This
 * module turns those strings into a validated 'struct local_config'.  It is
 * pure: no database, no logging, so that it can be unit tested.  The caller
 * logs the errors it returns and keeps using its last complete configuration
 * until the operator fixes the keys. */

#include <stdbool.h>
#include "openvswitch/shash.h"
#include "sset.h"

struct smap;

/* Keys of Open_vSwitch external_ids that roam-agent reads. */
#define LOCAL_CONFIG_SYSTEM_ID          "system-id"
#define LOCAL_CONFIG_HOSTNAME           "hostname"
#define LOCAL_CONFIG_REMOTE             "roam-remote"
#define LOCAL_CONFIG_ENCAP_TYPE         "roam-encap-type"
#define LOCAL_CONFIG_ENCAP_IP           "roam-encap-ip"
#define LOCAL_CONFIG_ENCAP_IFACE        "roam-encap-iface"
#define LOCAL_CONFIG_BRIDGE             "roam-bridge"
#define LOCAL_CONFIG_DATAPATH_TYPE      "roam-bridge-datapath-type"
#define LOCAL_CONFIG_ZONE               "roam-zone"
#define LOCAL_CONFIG_HEARTBEAT_INTERVAL "roam-heartbeat-interval"
#define LOCAL_CONFIG_BFD_INTERVAL       "roam-bfd-interval"
#define LOCAL_CONFIG_PLUGINS_DISABLED   "roam-plugins-disabled"
#define LOCAL_CONFIG_UNKNOWN_MAC_TIMEOUT "roam-unknown-mac-timeout"
#define LOCAL_CONFIG_MONITOR_ALL        "roam-monitor-all"

/* Defaults for the optional keys. */
#define LOCAL_CONFIG_DEFAULT_BRIDGE             "br-int"
#define LOCAL_CONFIG_DEFAULT_DATAPATH_TYPE      "system"
#define LOCAL_CONFIG_DEFAULT_HEARTBEAT_INTERVAL 2000 /* ms */
#define LOCAL_CONFIG_DEFAULT_BFD_INTERVAL       1000 /* ms */
#define LOCAL_CONFIG_DEFAULT_UNKNOWN_MAC_TIMEOUT 60000 /* ms */

/* Limits of roam-heartbeat-interval, in milliseconds; the same as the
 * schema's for Chassis_Private heartbeat_interval. */
#define LOCAL_CONFIG_MIN_HEARTBEAT_INTERVAL 100
#define LOCAL_CONFIG_MAX_HEARTBEAT_INTERVAL 3600000

/* Limits of roam-bfd-interval, in milliseconds, besides 0 (no BFD). */
#define LOCAL_CONFIG_MIN_BFD_INTERVAL 100
#define LOCAL_CONFIG_MAX_BFD_INTERVAL 60000

#define LOCAL_CONFIG_MIN_UNKNOWN_MAC_TIMEOUT 1000
#define LOCAL_CONFIG_MAX_UNKNOWN_MAC_TIMEOUT 3600000

/* A parsed configuration.  Strings are owned by the structure. */
struct local_config {
    char *system_id;            /* Chassis name. */
    char *hostname;             /* Chassis hostname. */
    char *zone;                 /* Chassis zone, "" if unset. */
    char *remote;               /* Central database, e.g. "unix:/x.sock". */
    struct sset encap_types;    /* "geneve", "vxlan", "gre": one Encap each. */
    char *encap_ip;             /* roam-encap-ip, or NULL. */
    char *encap_iface;          /* roam-encap-iface if no roam-encap-ip. */
    char *bridge;               /* Integration bridge name. */
    char *datapath_type;        /* Integration bridge datapath type. */
    int heartbeat_interval;     /* Milliseconds between heartbeats. */
    int bfd_interval;           /* BFD on the tunnels: milliseconds between
                                 * control packets, 0 for no BFD. */
    struct sset plugins_disabled; /* Names of plugins switched off. */
    int unknown_mac_timeout;    /* How long, in ms, a MAC that no VIF here
                                 * has is flooded from tunnels without the
                                 * agent (unknown-macs.h), 0 for never. */
    bool monitor_all;           /* Replicate every Port (true, the default)
                                 * or only those this chassis needs
                                 * (port-monitor.h). */
};

void local_config_init(struct local_config *);
void local_config_destroy(struct local_config *);
void local_config_clone(struct local_config *dst,
                        const struct local_config *src);
bool local_config_equals(const struct local_config *,
                         const struct local_config *);

/* Parses 'external_ids' into 'cfg', which must have been initialized and is
 * overwritten.  'default_hostname' is used when the "hostname" key is absent.
 *
 * Returns true if every required key is present and every present key is
 * valid.  Otherwise returns false and adds one message per bad key to
 * 'errors', keyed by the name of the key, each saying what is wrong, e.g.
 * errors["roam-encap-type"] = "\"ipip\" is not a tunnel type (expected
 * geneve, vxlan or gre)".  The caller must free the messages with
 * shash_destroy_free_data(). */
bool local_config_parse(const struct smap *external_ids,
                        const char *default_hostname,
                        struct local_config *cfg, struct shash *errors);

#endif /* agent/local-config.h */
