/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "local-config.h"

#include <errno.h>
#include <net/if.h>
#include <string.h>

#include "openvswitch/util.h"
#include "ovsdb/roam-validate.h"
#include "smap.h"
#include "stream.h"
#include "util.h"

void
local_config_init(struct local_config *cfg)
{
    memset(cfg, 0, sizeof *cfg);
    sset_init(&cfg->encap_types);
    sset_init(&cfg->plugins_disabled);
}

void
local_config_destroy(struct local_config *cfg)
{
    if (cfg) {
        free(cfg->system_id);
        free(cfg->hostname);
        free(cfg->zone);
        free(cfg->remote);
        sset_destroy(&cfg->encap_types);
        free(cfg->encap_ip);
        free(cfg->encap_iface);
        free(cfg->bridge);
        free(cfg->datapath_type);
        sset_destroy(&cfg->plugins_disabled);
        memset(cfg, 0, sizeof *cfg);
    }
}

void
local_config_clone(struct local_config *dst, const struct local_config *src)
{
    dst->system_id = nullable_xstrdup(src->system_id);
    dst->hostname = nullable_xstrdup(src->hostname);
    dst->zone = nullable_xstrdup(src->zone);
    dst->remote = nullable_xstrdup(src->remote);
    sset_clone(&dst->encap_types, &src->encap_types);
    dst->encap_ip = nullable_xstrdup(src->encap_ip);
    dst->encap_iface = nullable_xstrdup(src->encap_iface);
    dst->bridge = nullable_xstrdup(src->bridge);
    dst->datapath_type = nullable_xstrdup(src->datapath_type);
    dst->heartbeat_interval = src->heartbeat_interval;
    dst->bfd_interval = src->bfd_interval;
    dst->unknown_mac_timeout = src->unknown_mac_timeout;
    dst->monitor_all = src->monitor_all;
    sset_clone(&dst->plugins_disabled, &src->plugins_disabled);
}

bool
local_config_equals(const struct local_config *a,
                    const struct local_config *b)
{
    return (nullable_string_is_equal(a->system_id, b->system_id)
            && nullable_string_is_equal(a->hostname, b->hostname)
            && nullable_string_is_equal(a->zone, b->zone)
            && nullable_string_is_equal(a->remote, b->remote)
            && sset_equals(&a->encap_types, &b->encap_types)
            && nullable_string_is_equal(a->encap_ip, b->encap_ip)
            && nullable_string_is_equal(a->encap_iface, b->encap_iface)
            && nullable_string_is_equal(a->bridge, b->bridge)
            && nullable_string_is_equal(a->datapath_type, b->datapath_type)
            && a->heartbeat_interval == b->heartbeat_interval
            && a->bfd_interval == b->bfd_interval
            && a->unknown_mac_timeout == b->unknown_mac_timeout
            && a->monitor_all == b->monitor_all
            && sset_equals(&a->plugins_disabled, &b->plugins_disabled));
}

static void OVS_PRINTF_FORMAT(3, 4)
add_error(struct shash *errors, const char *key, const char *format, ...)
{
    va_list args;

    va_start(args, format);
    char *msg = xvasprintf(format, args);
    va_end(args);

    free(shash_replace(errors, key, msg));
}

/* Takes over 'msg', a roam_validate_*() result, as the error for 'key'. */
static void
add_validation_error(struct shash *errors, const char *key, char *msg)
{
    free(shash_replace(errors, key, msg));
}

/* Returns the value of 'key' in 'ids' with surrounding white space removed,
 * as a new string, or NULL if the key is absent.  An empty or all-blank value
 * counts as present, so that the caller can say it is empty. */
static char *
get_trimmed(const struct smap *ids, const char *key)
{
    const char *value = smap_get(ids, key);
    if (!value) {
        return NULL;
    }

    size_t start = strspn(value, " \t\r\n");
    size_t end = strlen(value);
    while (end > start && strchr(" \t\r\n", value[end - 1])) {
        end--;
    }
    return xmemdup0(value + start, end - start);
}

static void
parse_system_id(const struct smap *ids, struct local_config *cfg,
                struct shash *errors)
{
    char *value = get_trimmed(ids, LOCAL_CONFIG_SYSTEM_ID);
    if (!value) {
        add_error(errors, LOCAL_CONFIG_SYSTEM_ID,
                  "missing: set it to this chassis's unique name");
        return;
    }

    char *error = roam_validate_name("chassis", value);
    if (error) {
        add_validation_error(errors, LOCAL_CONFIG_SYSTEM_ID, error);
        free(value);
    } else {
        cfg->system_id = value;
    }
}

static void
parse_hostname(const struct smap *ids, const char *default_hostname,
               struct local_config *cfg, struct shash *errors)
{
    char *value = get_trimmed(ids, LOCAL_CONFIG_HOSTNAME);
    if (!value) {
        cfg->hostname = xstrdup(default_hostname ? default_hostname : "");
    } else if (!value[0] || strlen(value) > 255) {
        add_error(errors, LOCAL_CONFIG_HOSTNAME,
                  "\"%s\" is not a host name (expected 1 to 255 bytes)",
                  value);
        free(value);
    } else {
        cfg->hostname = value;
    }
}

static void
parse_zone(const struct smap *ids, struct local_config *cfg,
           struct shash *errors)
{
    char *value = get_trimmed(ids, LOCAL_CONFIG_ZONE);
    if (!value) {
        cfg->zone = xstrdup("");
        return;
    }

    char *error = roam_validate_name("zone", value);
    if (error) {
        add_validation_error(errors, LOCAL_CONFIG_ZONE, error);
        free(value);
    } else {
        cfg->zone = value;
    }
}

/* Checks one member of roam-remote: an active OVSDB connection method. */
static char *
check_remote(const char *remote)
{
    static const char *const methods[] = { "unix:", "tcp:", "ssl:" };

    for (size_t i = 0; i < ARRAY_SIZE(methods); i++) {
        size_t n = strlen(methods[i]);
        if (!strncmp(remote, methods[i], n)) {
            if (!remote[n]) {
                return xasprintf("\"%s\" names no %s", remote,
                                 i == 0 ? "socket file" : "address");
            }
            int error = stream_verify_name(remote);
            if (error) {
                return xasprintf("\"%s\" is not a valid connection method "
                                 "(%s)", remote, ovs_strerror(error));
            }
            return NULL;
        }
    }
    return xasprintf("\"%s\" is not a connection method (expected "
                     "unix:FILE, tcp:IP:PORT or ssl:IP:PORT, or a "
                     "comma-separated list of them for a cluster)", remote);
}

static void
parse_remote(const struct smap *ids, struct local_config *cfg,
             struct shash *errors)
{
    char *value = get_trimmed(ids, LOCAL_CONFIG_REMOTE);
    if (!value) {
        add_error(errors, LOCAL_CONFIG_REMOTE,
                  "missing: set it to the central Roam database, "
                  "e.g. tcp:192.0.2.1:6641");
        return;
    }
    if (!value[0]) {
        add_error(errors, LOCAL_CONFIG_REMOTE, "is empty");
        free(value);
        return;
    }

    char *copy = xstrdup(value);
    char *save_ptr = NULL;
    char *error = NULL;
    for (char *remote = strtok_r(copy, ",", &save_ptr); remote && !error;
         remote = strtok_r(NULL, ",", &save_ptr)) {
        remote += strspn(remote, " ");
        error = check_remote(remote);
    }
    free(copy);

    if (error) {
        add_validation_error(errors, LOCAL_CONFIG_REMOTE, error);
        free(value);
    } else {
        cfg->remote = value;
    }
}

static void
parse_encap_types(const struct smap *ids, struct local_config *cfg,
                  struct shash *errors)
{
    char *value = get_trimmed(ids, LOCAL_CONFIG_ENCAP_TYPE);
    if (!value) {
        add_error(errors, LOCAL_CONFIG_ENCAP_TYPE,
                  "missing: set it to geneve, vxlan or gre");
        return;
    }

    char *save_ptr = NULL;
    char *error = NULL;
    for (char *type = strtok_r(value, ", ", &save_ptr); type && !error;
         type = strtok_r(NULL, ", ", &save_ptr)) {
        error = roam_validate_encap_type(type);
        if (!error) {
            sset_add(&cfg->encap_types, type);
        }
    }
    if (!error && sset_is_empty(&cfg->encap_types)) {
        error = xstrdup("is empty (expected geneve, vxlan or gre)");
    }
    if (error) {
        add_validation_error(errors, LOCAL_CONFIG_ENCAP_TYPE, error);
        sset_clear(&cfg->encap_types);
    }
    free(value);
}

static void
parse_encap_endpoint(const struct smap *ids, struct local_config *cfg,
                     struct shash *errors)
{
    char *ip = get_trimmed(ids, LOCAL_CONFIG_ENCAP_IP);
    char *iface = get_trimmed(ids, LOCAL_CONFIG_ENCAP_IFACE);

    if (ip) {
        /* An explicit address wins over an interface to follow. */
        char *error = roam_validate_encap_ip(ip);
        if (error) {
            add_validation_error(errors, LOCAL_CONFIG_ENCAP_IP, error);
            free(ip);
        } else {
            cfg->encap_ip = ip;
        }
    } else if (iface) {
        if (!iface[0] || strlen(iface) >= IFNAMSIZ
            || iface[strcspn(iface, "/: \t")]
            || !strcmp(iface, ".") || !strcmp(iface, "..")) {
            add_error(errors, LOCAL_CONFIG_ENCAP_IFACE,
                      "\"%s\" is not an interface name (expected 1 to %d "
                      "characters without '/', ':' or white space)",
                      iface, IFNAMSIZ - 1);
        } else {
            cfg->encap_iface = iface;
            iface = NULL;
        }
    } else {
        add_error(errors, LOCAL_CONFIG_ENCAP_IP,
                  "missing: set roam-encap-ip to this chassis's tunnel "
                  "endpoint address, or roam-encap-iface to the interface "
                  "that holds it");
    }
    free(iface);
}

static void
parse_bridge(const struct smap *ids, struct local_config *cfg,
             struct shash *errors)
{
    char *value = get_trimmed(ids, LOCAL_CONFIG_BRIDGE);
    if (!value) {
        cfg->bridge = xstrdup(LOCAL_CONFIG_DEFAULT_BRIDGE);
    } else if (!value[0] || strlen(value) >= IFNAMSIZ
               || value[strcspn(value, "/ \t")]) {
        add_error(errors, LOCAL_CONFIG_BRIDGE,
                  "\"%s\" is not a bridge name (expected 1 to %d "
                  "characters without '/' or white space)",
                  value, IFNAMSIZ - 1);
        free(value);
    } else {
        cfg->bridge = value;
    }
}

static void
parse_datapath_type(const struct smap *ids, struct local_config *cfg,
                    struct shash *errors)
{
    char *value = get_trimmed(ids, LOCAL_CONFIG_DATAPATH_TYPE);
    if (!value) {
        cfg->datapath_type = xstrdup(LOCAL_CONFIG_DEFAULT_DATAPATH_TYPE);
    } else if (strcmp(value, "system") && strcmp(value, "netdev")) {
        add_error(errors, LOCAL_CONFIG_DATAPATH_TYPE,
                  "\"%s\" is not a datapath type (expected system or "
                  "netdev)", value);
        free(value);
    } else {
        cfg->datapath_type = value;
    }
}

/* Parses the interval in milliseconds under 'key' into '*interval': 'def'
 * if the key is absent, otherwise a number from 'min' to 'max', or 0 if
 * 'zero_means' says what 0 means.  'what' names the interval in the error
 * message. */
static void
parse_interval(const struct smap *ids, const char *key, const char *what,
               int def, int min, int max, const char *zero_means,
               int *interval, struct shash *errors)
{
    char *value = get_trimmed(ids, key);
    int n;

    if (!value) {
        *interval = def;
    } else if (!str_to_int(value, 10, &n)
               || ((n < min || n > max) && (n || !zero_means))) {
        add_error(errors, key, "\"%s\" is not a %s (expected an integer "
                  "number of milliseconds from %d to %d%s%s)", value, what,
                  min, max, zero_means ? ", or 0 for " : "",
                  zero_means ? zero_means : "");
    } else {
        *interval = n;
    }
    free(value);
}

/* Parses the boolean under 'key' into '*flag': 'def' if the key is absent,
 * otherwise "true" or "false". */
static void
parse_bool(const struct smap *ids, const char *key, bool def, bool *flag,
           struct shash *errors)
{
    char *value = get_trimmed(ids, key);

    if (!value) {
        *flag = def;
    } else if (!strcmp(value, "true") || !strcmp(value, "false")) {
        *flag = !strcmp(value, "true");
    } else {
        add_error(errors, key, "\"%s\" is not a boolean (expected true or "
                  "false)", value);
    }
    free(value);
}

/* Plugin names are checked against the known plugins by the agent, which
 * knows them; here only their syntax. */
static void
parse_plugins_disabled(const struct smap *ids, struct local_config *cfg,
                       struct shash *errors)
{
    char *value = get_trimmed(ids, LOCAL_CONFIG_PLUGINS_DISABLED);
    if (!value) {
        return;
    }

    char *save_ptr = NULL;
    char *error = NULL;
    for (char *name = strtok_r(value, ", ", &save_ptr); name && !error;
         name = strtok_r(NULL, ", ", &save_ptr)) {
        error = roam_validate_name("plugin", name);
        if (!error) {
            sset_add(&cfg->plugins_disabled, name);
        }
    }
    if (error) {
        add_validation_error(errors, LOCAL_CONFIG_PLUGINS_DISABLED, error);
        sset_clear(&cfg->plugins_disabled);
    }
    free(value);
}

bool
local_config_parse(const struct smap *ids, const char *default_hostname,
                   struct local_config *cfg, struct shash *errors)
{
    size_t n_errors = shash_count(errors);

    local_config_destroy(cfg);
    local_config_init(cfg);

    parse_system_id(ids, cfg, errors);
    parse_hostname(ids, default_hostname, cfg, errors);
    parse_zone(ids, cfg, errors);
    parse_remote(ids, cfg, errors);
    parse_encap_types(ids, cfg, errors);
    parse_encap_endpoint(ids, cfg, errors);
    parse_bridge(ids, cfg, errors);
    parse_datapath_type(ids, cfg, errors);
    parse_interval(ids, LOCAL_CONFIG_HEARTBEAT_INTERVAL, "heartbeat interval",
                   LOCAL_CONFIG_DEFAULT_HEARTBEAT_INTERVAL,
                   LOCAL_CONFIG_MIN_HEARTBEAT_INTERVAL,
                   LOCAL_CONFIG_MAX_HEARTBEAT_INTERVAL, NULL,
                   &cfg->heartbeat_interval, errors);
    parse_interval(ids, LOCAL_CONFIG_BFD_INTERVAL, "BFD interval",
                   LOCAL_CONFIG_DEFAULT_BFD_INTERVAL,
                   LOCAL_CONFIG_MIN_BFD_INTERVAL,
                   LOCAL_CONFIG_MAX_BFD_INTERVAL, "no BFD",
                   &cfg->bfd_interval, errors);
    parse_plugins_disabled(ids, cfg, errors);
    parse_interval(ids, LOCAL_CONFIG_UNKNOWN_MAC_TIMEOUT,
                   "timeout for unknown MACs",
                   LOCAL_CONFIG_DEFAULT_UNKNOWN_MAC_TIMEOUT,
                   LOCAL_CONFIG_MIN_UNKNOWN_MAC_TIMEOUT,
                   LOCAL_CONFIG_MAX_UNKNOWN_MAC_TIMEOUT,
                   "every such packet to the agent",
                   &cfg->unknown_mac_timeout, errors);
    parse_bool(ids, LOCAL_CONFIG_MONITOR_ALL, true, &cfg->monitor_all,
               errors);

    return shash_count(errors) == n_errors;
}
