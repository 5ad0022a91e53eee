/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "chassis.h"

#include <limits.h>
#include <string.h>

#include "local-config.h"
#include "ovsdb/chassis-liveness.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovsdb/roam-idl.h"
#include "smap.h"
#include "sset.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(chassis);

void
chassis_register_roam_idl(struct ovsdb_idl *idl)
{
    ovsdb_idl_add_table(idl, &roamrec_table_chassis);
    ovsdb_idl_add_column(idl, &roamrec_chassis_col_name);
    ovsdb_idl_add_column(idl, &roamrec_chassis_col_hostname);
    ovsdb_idl_add_column(idl, &roamrec_chassis_col_zone);
    ovsdb_idl_add_column(idl, &roamrec_chassis_col_encaps);
    ovsdb_idl_add_column(idl, &roamrec_chassis_col_other_config);
    ovsdb_idl_add_column(idl, &roamrec_chassis_col_external_ids);

    ovsdb_idl_add_table(idl, &roamrec_table_encap);
    ovsdb_idl_add_column(idl, &roamrec_encap_col_type);
    ovsdb_idl_add_column(idl, &roamrec_encap_col_ip);
    ovsdb_idl_add_column(idl, &roamrec_encap_col_chassis_name);
    ovsdb_idl_add_column(idl, &roamrec_encap_col_options);

    ovsdb_idl_add_table(idl, &roamrec_table_chassis_private);
    ovsdb_idl_add_column(idl, &roamrec_chassis_private_col_name);
    ovsdb_idl_add_column(idl, &roamrec_chassis_private_col_chassis);
    ovsdb_idl_add_column(idl, &roamrec_chassis_private_col_nb_cfg);
    ovsdb_idl_add_column(idl, &roamrec_chassis_private_col_nb_cfg_timestamp);
    ovsdb_idl_add_column(idl, &roamrec_chassis_private_col_heartbeat);
    ovsdb_idl_add_column(idl,
                         &roamrec_chassis_private_col_heartbeat_interval);
    ovsdb_idl_add_column(idl, &roamrec_chassis_private_col_watched_since);
    ovsdb_idl_add_column(idl, &roamrec_chassis_private_col_watched_until);
    /* The agent's own heartbeats need not wake it up. */
    ovsdb_idl_omit_alert(idl, &roamrec_chassis_private_col_heartbeat);
    ovsdb_idl_omit_alert(idl, &roamrec_chassis_private_col_nb_cfg_timestamp);
    /* Nor do watches, which change what chassis_private_run() writes but no
     * input of the data path: the update wakes the agent all the same. */
    ovsdb_idl_omit_alert(idl, &roamrec_chassis_private_col_watched_since);
    ovsdb_idl_omit_alert(idl, &roamrec_chassis_private_col_watched_until);

    /* Replicate no Chassis_Private row until the chassis name is known. */
    chassis_private_set_monitor_condition(idl, NULL, NULL, NULL);
}

void
chassis_indexes_init(struct chassis_indexes *indexes, struct ovsdb_idl *idl)
{
    indexes->chassis_by_name
        = ovsdb_idl_index_create1(idl, &roamrec_chassis_col_name);
    indexes->chassis_private_by_name
        = ovsdb_idl_index_create1(idl, &roamrec_chassis_private_col_name);
    indexes->encap_by_type_ip
        = ovsdb_idl_index_create2(idl, &roamrec_encap_col_type,
                                  &roamrec_encap_col_ip);
}

unsigned int
chassis_private_set_monitor_condition(struct ovsdb_idl *idl, const char *name,
                                      const char *stale_name,
                                      const struct sset *watch)
{
    struct ovsdb_idl_condition cond = OVSDB_IDL_CONDITION_INIT(&cond);

    /* A condition without clauses matches no row. */
    if (name) {
        roamrec_chassis_private_add_clause_name(&cond, OVSDB_F_EQ, name);
    }
    if (stale_name) {
        roamrec_chassis_private_add_clause_name(&cond, OVSDB_F_EQ,
                                                stale_name);
    }
    if (watch) {
        const char *watched;
        SSET_FOR_EACH (watched, watch) {
            roamrec_chassis_private_add_clause_name(&cond, OVSDB_F_EQ,
                                                    watched);
        }
    }
    unsigned int seqno = roamrec_chassis_private_set_condition(idl, &cond);
    ovsdb_idl_condition_destroy(&cond);
    return seqno;
}

static const struct roamrec_chassis *
chassis_lookup(struct ovsdb_idl_index *chassis_by_name, const char *name)
{
    struct roamrec_chassis *target
        = roamrec_chassis_index_init_row(chassis_by_name);
    roamrec_chassis_index_set_name(target, name);
    const struct roamrec_chassis *chassis
        = roamrec_chassis_index_find(chassis_by_name, target);
    roamrec_chassis_index_destroy_row(target);
    return chassis;
}

const struct roamrec_chassis_private *
chassis_private_lookup(struct ovsdb_idl_index *by_name, const char *name)
{
    struct roamrec_chassis_private *target
        = roamrec_chassis_private_index_init_row(by_name);
    roamrec_chassis_private_index_set_name(target, name);
    const struct roamrec_chassis_private *row
        = roamrec_chassis_private_index_find(by_name, target);
    roamrec_chassis_private_index_destroy_row(target);
    return row;
}

long long int
chassis_private_get_liveness(struct ovsdb_idl *idl, long long int now,
                             const char *skip, struct sset *alive,
                             struct sset *dead)
{
    const struct roamrec_chassis_private *cp;
    long long int next_change = LLONG_MAX;

    ROAMREC_CHASSIS_PRIVATE_FOR_EACH (cp, idl) {
        if (skip && !strcmp(cp->name, skip)) {
            continue;
        }

        long long int change;
        switch (chassis_liveness_get(cp, now, &change)) {
        case CHASSIS_ALIVE:
            sset_add(alive, cp->name);
            break;
        case CHASSIS_DEAD:
            sset_add(dead, cp->name);
            break;
        case CHASSIS_UNKNOWN:
            break;
        }
        next_change = MIN(next_change, change);
    }
    return next_change;
}

static const struct roamrec_encap *
encap_lookup(struct ovsdb_idl_index *by_type_ip, const char *type,
             const char *ip)
{
    struct roamrec_encap *target = roamrec_encap_index_init_row(by_type_ip);
    roamrec_encap_index_set_type(target, type);
    roamrec_encap_index_set_ip(target, ip);
    const struct roamrec_encap *encap
        = roamrec_encap_index_find(by_type_ip, target);
    roamrec_encap_index_destroy_row(target);
    return encap;
}

/* Makes 'encap' describe tunnel 'type' at 'ip' of chassis 'name'.  Returns
 * true if it changed anything. */
static bool
encap_update(const struct roamrec_encap *encap, const char *type,
             const char *ip, const char *name)
{
    bool changed = false;

    if (strcmp(encap->type, type)) {
        roamrec_encap_set_type(encap, type);
        changed = true;
    }
    if (strcmp(encap->ip, ip)) {
        roamrec_encap_set_ip(encap, ip);
        changed = true;
    }
    if (strcmp(encap->chassis_name, name)) {
        roamrec_encap_set_chassis_name(encap, name);
        changed = true;
    }
    return changed;
}

/* Makes the Encap rows of 'chassis' equal to one per type in 'types' at
 * 'ip'.  Existing rows are updated in place, so that a change of address is
 * one update rather than a delete and an insert.  Returns true if it changed
 * anything. */
static bool
chassis_update_encaps(struct ovsdb_idl_txn *txn,
                      const struct roamrec_chassis *chassis,
                      const struct sset *types, const char *ip)
{
    size_t n = sset_count(types);
    const struct roamrec_encap **encaps = xmalloc(n * sizeof *encaps);
    const struct roamrec_encap **unused = xmalloc(chassis->n_encaps
                                                  * sizeof *unused);
    size_t n_unused = 0;
    bool changed = false;

    /* First keep the rows whose type is still configured... */
    memset(encaps, 0, n * sizeof *encaps);
    for (size_t i = 0; i < chassis->n_encaps; i++) {
        const struct roamrec_encap *encap = chassis->encaps[i];
        size_t idx = 0;
        const char *type;
        bool kept = false;

        if (strcmp(encap->chassis_name, chassis->name)) {
            /* Not this chassis's row: drop the reference, never rewrite
             * another chassis's endpoint. */
            changed = true;
            continue;
        }

        SSET_FOR_EACH (type, types) {
            if (!encaps[idx] && !strcmp(encap->type, type)) {
                encaps[idx] = encap;
                kept = true;
                break;
            }
            idx++;
        }
        if (!kept) {
            unused[n_unused++] = encap;
        }
    }

    /* ...then give each new type a row, reusing those of removed types. */
    size_t idx = 0;
    const char *type;
    SSET_FOR_EACH (type, types) {
        if (!encaps[idx]) {
            encaps[idx] = (n_unused ? unused[--n_unused]
                           : roamrec_encap_insert(txn));
            changed = true;
        }
        changed |= encap_update(encaps[idx], type, ip, chassis->name);
        idx++;
    }

    if (changed || n_unused || chassis->n_encaps != n) {
        roamrec_chassis_set_encaps(chassis, (struct roamrec_encap **) encaps,
                                   n);
        changed = true;
    }

    free(encaps);
    free(unused);
    return changed;
}

/* Returns the owner id recorded in 'chassis', or NULL. */
static const char *
chassis_owner(const struct roamrec_chassis *chassis)
{
    return smap_get(&chassis->other_config, CHASSIS_OWNER_KEY);
}

/* Deletes what is left of the rows of 'ctx_in->stale_name', a previous
 * system-id of this agent: its Chassis (if this agent owns it; its Encap
 * rows go with it) and its Chassis_Private.  Returns true if none is left. */
static bool
chassis_delete_stale(const struct chassis_ctx_in *ctx_in)
{
    const char *stale = ctx_in->stale_name;
    const struct roamrec_chassis *chassis
        = chassis_lookup(ctx_in->indexes->chassis_by_name, stale);
    const struct roamrec_chassis_private *cp
        = (ctx_in->condition_synced
           ? chassis_private_lookup(ctx_in->indexes->chassis_private_by_name,
                                    stale)
           : NULL);

    if (chassis) {
        const char *owner = chassis_owner(chassis);
        if (!owner || !strcmp(owner, ctx_in->agent_id)) {
            VLOG_INFO("system-id changed from %s to %s: deleting chassis %s",
                      stale, ctx_in->cfg->system_id, stale);
            roamrec_chassis_delete(chassis);
        } else {
            /* Another agent has taken that name: its rows are its own. */
            chassis = NULL;
            cp = NULL;
        }
    }
    if (cp) {
        roamrec_chassis_private_delete(cp);
    }
    return ctx_in->condition_synced && !chassis && !cp;
}

/* Returns NULL if this agent may write the Chassis row 'chassis', otherwise
 * a malloc()'d explanation why not. */
static char *
chassis_check_owner(const struct chassis_ctx_in *ctx_in,
                    const struct roamrec_chassis *chassis)
{
    const char *owner = chassis_owner(chassis);
    if (!owner || !strcmp(owner, ctx_in->agent_id)) {
        return NULL;
    }
    /* Until the owner is known to be dead, it counts as alive: the agent
     * watches it meanwhile (chassis_private_run()). */
    const struct roamrec_chassis_private *cp
        = (ctx_in->condition_synced
           ? chassis_private_lookup(ctx_in->indexes->chassis_private_by_name,
                                    chassis->name)
           : NULL);
    if (!ctx_in->condition_synced
        || (cp && chassis_liveness_get(cp, ctx_in->now, NULL)
                  != CHASSIS_DEAD)) {
        return xasprintf("chassis %s belongs to another live agent (%s): "
                         "is system-id %s configured on two hypervisors?  "
                         "Not touching its rows", chassis->name, owner,
                         chassis->name);
    }
    if (ctx_in->roam_idl_txn) {
        VLOG_INFO("taking over chassis %s from agent %s: it stopped "
                  "beating", chassis->name, owner);
    }
    return NULL;
}

/* Returns NULL if every configured endpoint is free or this chassis's,
 * otherwise a malloc()'d explanation naming the chassis that has it. */
static char *
chassis_check_encaps(const struct chassis_ctx_in *ctx_in)
{
    const char *type;

    SSET_FOR_EACH (type, &ctx_in->cfg->encap_types) {
        const struct roamrec_encap *encap
            = encap_lookup(ctx_in->indexes->encap_by_type_ip, type,
                           ctx_in->encap_ip);
        if (encap && strcmp(encap->chassis_name, ctx_in->cfg->system_id)) {
            return xasprintf("%s endpoint %s is already chassis %s's; "
                             "keeping the previous endpoint", type,
                             ctx_in->encap_ip, encap->chassis_name);
        }
    }
    return NULL;
}

void
chassis_run(const struct chassis_ctx_in *ctx_in,
            struct chassis_ctx_out *ctx_out)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    const struct local_config *cfg = ctx_in->cfg;
    struct ovsdb_idl_txn *txn = ctx_in->roam_idl_txn;

    memset(ctx_out, 0, sizeof *ctx_out);
    if (txn && ctx_in->stale_name
        && strcmp(ctx_in->stale_name, cfg->system_id)) {
        ctx_out->stale_gone = chassis_delete_stale(ctx_in);
    }

    const struct roamrec_chassis *chassis
        = chassis_lookup(ctx_in->indexes->chassis_by_name, cfg->system_id);
    if (chassis) {
        ctx_out->conflict = chassis_check_owner(ctx_in, chassis);
        if (ctx_out->conflict) {
            ctx_out->standby = true;
            return;
        }
    }
    ctx_out->chassis = chassis;
    if (!txn) {
        return;
    }

    char *encap_conflict = (ctx_in->encap_ip
                            ? chassis_check_encaps(ctx_in) : NULL);
    if (!chassis) {
        if (!ctx_in->encap_ip || encap_conflict) {
            /* A chassis needs at least one Encap; wait for a usable one. */
            ctx_out->conflict = encap_conflict;
            return;
        }
        struct roamrec_chassis *new_chassis = roamrec_chassis_insert(txn);
        roamrec_chassis_set_name(new_chassis, cfg->system_id);
        chassis = new_chassis;
        ctx_out->changed = true;
        VLOG_INFO("registering chassis %s", cfg->system_id);
        ovsdb_idl_txn_add_comment(txn, "roam-agent: registering chassis %s",
                                  cfg->system_id);
    }

    if (!nullable_string_is_equal(chassis_owner(chassis), ctx_in->agent_id)) {
        roamrec_chassis_update_other_config_setkey(chassis, CHASSIS_OWNER_KEY,
                                                   ctx_in->agent_id);
        ctx_out->changed = true;
    }
    const char *bfd = cfg->bfd_interval > 0 ? "true" : NULL;
    if (!nullable_string_is_equal(bfd, smap_get(&chassis->other_config,
                                                 CHASSIS_BFD_KEY))) {
        if (bfd) {
            roamrec_chassis_update_other_config_setkey(chassis,
                                                       CHASSIS_BFD_KEY, bfd);
        } else {
            roamrec_chassis_update_other_config_delkey(chassis,
                                                       CHASSIS_BFD_KEY);
        }
        ctx_out->changed = true;
    }
    if (strcmp(chassis->hostname, cfg->hostname)) {
        roamrec_chassis_set_hostname(chassis, cfg->hostname);
        ctx_out->changed = true;
    }
    if (strcmp(chassis->zone, cfg->zone)) {
        roamrec_chassis_set_zone(chassis, cfg->zone);
        ctx_out->changed = true;
    }
    if (encap_conflict) {
        ctx_out->conflict = encap_conflict;
    } else if (ctx_in->encap_ip
               && chassis_update_encaps(txn, chassis, &cfg->encap_types,
                                        ctx_in->encap_ip)) {
        char *types = sset_join(&cfg->encap_types, ",", "");
        VLOG_INFO_RL(&rl, "chassis %s: encapsulation %s at %s",
                     cfg->system_id, types, ctx_in->encap_ip);
        free(types);
        ctx_out->changed = true;
    }
}

/* Watches the Chassis_Private row named 'name', if replicated, for another
 * CHASSIS_WATCH_LEASE when the watch is due for renewal.  Returns when it
 * will be due next, or LLONG_MAX if the row is not replicated. */
static long long int
chassis_private_watch_one(const struct chassis_private_ctx_in *ctx_in,
                          const char *name)
{
    const struct roamrec_chassis_private *cp
        = chassis_private_lookup(ctx_in->indexes->chassis_private_by_name,
                                 name);
    if (!cp) {
        return LLONG_MAX;
    }
    chassis_liveness_watch(cp, ctx_in->now, CHASSIS_WATCH_LEASE);
    return chassis_liveness_watch_renewal(cp, CHASSIS_WATCH_LEASE);
}

/* Watches, for as long as 'ctx_in' asks, the Chassis_Private rows of the
 * chassis whose liveness this agent needs.  Returns when to renew the
 * watches, or LLONG_MAX if there is none. */
static long long int
chassis_private_watch(const struct chassis_private_ctx_in *ctx_in)
{
    long long int renewal = LLONG_MAX;
    const char *name;

    SSET_FOR_EACH (name, ctx_in->watch) {
        renewal = MIN(renewal, chassis_private_watch_one(ctx_in, name));
    }
    if (ctx_in->watch_owner) {
        /* The row of this chassis's name, which another agent owns. */
        renewal = MIN(renewal, chassis_private_watch_one(ctx_in,
                                                         ctx_in->name));
    }
    /* chassis_liveness_watch() renewed every watch that was due, so every
     * renewal lies ahead; should a write not show in its row, the loop
     * still must not spin. */
    return (renewal <= ctx_in->now
            ? ctx_in->now + CHASSIS_WATCH_LEASE / 2 : renewal);
}

/* Returns when this chassis, whose row is 'cp', beats next, or LLONG_MAX if
 * nobody watches it.  'answered_since' is the 'watched_since' of the last
 * watch it beat for. */
static long long int
chassis_private_next_heartbeat(const struct roamrec_chassis_private *cp,
                               int interval, int64_t answered_since,
                               long long int now)
{
    if (cp->heartbeat_interval != interval) {
        return now;             /* The new interval, with a beat. */
    } else if (!chassis_liveness_wants_beats(cp, now)) {
        return LLONG_MAX;
    } else if (cp->watched_since != answered_since
               || cp->heartbeat > now + interval) {
        /* A new watch wants a beat at once (whatever the watcher's clock
         * says, against which ours is not compared).  A heartbeat from the
         * future means that the clock went back. */
        return now;
    }

    long long int next = cp->heartbeat + interval;
    return chassis_liveness_wants_beats(cp, next) ? next : LLONG_MAX;
}

void
chassis_private_run(const struct chassis_private_ctx_in *ctx_in,
                    struct chassis_private_ctx_out *ctx_out)
{
    ctx_out->next_run = LLONG_MAX;
    ctx_out->answered_since = ctx_in->answered_since;
    ctx_out->row = (ctx_in->condition_synced
                    ? chassis_private_lookup(
                        ctx_in->indexes->chassis_private_by_name,
                        ctx_in->name)
                    : NULL);
    if (!ctx_in->condition_synced) {
        /* Without its own row replicated, the agent cannot tell whether the
         * row exists and would risk inserting a duplicate. */
        return;
    }

    /* Without a transaction (disconnected, or a commit still in flight)
     * nothing can be written: the IDL wakes the loop when it can be, so a
     * timer that has already expired would only make it spin. */
    struct ovsdb_idl_txn *txn = ctx_in->roam_idl_txn;
    if (!txn) {
        return;
    }
    ctx_out->next_run = chassis_private_watch(ctx_in);
    if (!ctx_in->chassis) {
        /* Nothing to write yet: no heartbeat for a chassis that is not
         * registered (or not this agent's). */
        return;
    }

    const struct roamrec_chassis_private *cp = ctx_out->row;
    long long int now = ctx_in->now;
    if (!cp) {
        /* A first heartbeat says that the chassis registered. */
        struct roamrec_chassis_private *new_cp
            = roamrec_chassis_private_insert(txn);
        roamrec_chassis_private_set_name(new_cp, ctx_in->name);
        roamrec_chassis_private_set_heartbeat(new_cp, now);
        roamrec_chassis_private_set_heartbeat_interval(
            new_cp, ctx_in->heartbeat_interval);
        cp = new_cp;
    }

    if (cp->chassis != ctx_in->chassis) {
        roamrec_chassis_private_set_chassis(cp, ctx_in->chassis);
    }
    long long int next_heartbeat
        = chassis_private_next_heartbeat(cp, ctx_in->heartbeat_interval,
                                         ctx_in->answered_since, now);
    if (cp->heartbeat_interval != ctx_in->heartbeat_interval) {
        roamrec_chassis_private_set_heartbeat_interval(
            cp, ctx_in->heartbeat_interval);
    }
    if (now >= next_heartbeat) {
        roamrec_chassis_private_set_heartbeat(cp, now);
        ctx_out->answered_since = cp->watched_since;
        next_heartbeat = now + ctx_in->heartbeat_interval;
        if (!chassis_liveness_wants_beats(cp, next_heartbeat)) {
            next_heartbeat = LLONG_MAX;
        }
    }
    ctx_out->next_run = MIN(ctx_out->next_run, next_heartbeat);
    if (ctx_in->nb_cfg >= 0 && cp->nb_cfg != ctx_in->nb_cfg) {
        roamrec_chassis_private_set_nb_cfg(cp, ctx_in->nb_cfg);
        roamrec_chassis_private_set_nb_cfg_timestamp(cp, now);
        VLOG_DBG("acknowledged nb_cfg %"PRId64, ctx_in->nb_cfg);
    }
}
