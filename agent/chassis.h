/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef CHASSIS_H
#define CHASSIS_H 1

/* This hypervisor's own rows in the central Roam database.
 *
 * The agent registers a Chassis row named by its system-id, with one Encap
 * per configured tunnel type, and keeps them equal to the local
 * configuration.  After a restart it finds and reuses its rows (the unique
 * index on Chassis name makes the server refuse a duplicate anyway).  Of
 * another chassis's rows it writes only the watch columns of its
 * Chassis_Private row (ovsdb/chassis-liveness.h).
 *
 * What changes often lives in the chassis's Chassis_Private row: the
 * heartbeat (liveness, written only while somebody watches it) and the
 * acknowledged nb_cfg.  Agents monitor Chassis_Private only for their own
 * name and the chassis they watch (conditional monitoring), so these writes
 * reach the writer, its watchers and the orchestrator's tools, never every
 * other hypervisor (DESIGN section 8). */

#include <stdbool.h>
#include <stdint.h>

struct local_config;
struct ovsdb_idl;
struct sset;
struct ovsdb_idl_index;
struct ovsdb_idl_txn;
struct roamrec_chassis;
struct roamrec_chassis_private;

/* Adds the tables and columns this module reads or writes to 'roam_idl'. */
void chassis_register_roam_idl(struct ovsdb_idl *roam_idl);

/* Indexes this module looks rows up with, created once on the IDL by
 * chassis_indexes_init(). */
struct chassis_indexes {
    struct ovsdb_idl_index *chassis_by_name;
    struct ovsdb_idl_index *chassis_private_by_name;
    struct ovsdb_idl_index *encap_by_type_ip;
};
void chassis_indexes_init(struct chassis_indexes *, struct ovsdb_idl *);

/* Sets the condition under which 'roam_idl' replicates Chassis_Private:
 * only the rows named 'name' and 'stale_name' (either may be NULL) and, to
 * follow their liveness, those named in 'watch' (may be NULL).  Returns
 * the condition sequence number that ovsdb_idl_get_condition_seqno()
 * reaches once the server applied the condition; it equals the current one
 * if the condition is already in effect. */
unsigned int chassis_private_set_monitor_condition(struct ovsdb_idl *,
                                                   const char *name,
                                                   const char *stale_name,
                                                   const struct sset *watch);

/* Adds to 'alive' and 'dead' the names of the Chassis_Private rows that
 * 'idl' replicates (this chassis's own, and those of the chassis it
 * watches), other than 'skip' (may be NULL), that are alive or dead at 'now'
 * (wall clock, milliseconds; chassis-liveness.h): a chassis whose liveness
 * is unknown is in neither.  Returns the wall-clock time at which one of
 * them may change, or LLONG_MAX if none can without a write.
 *
 * Liveness changes as heartbeats arrive, which do not change the IDL's
 * sequence number (heartbeats do not alert), and as time passes, which
 * nothing signals.  A caller that skips work while its inputs stay the same
 * therefore compares these sets from one wake-up to the next, and wakes up
 * at the time returned. */
long long int chassis_private_get_liveness(struct ovsdb_idl *,
                                           long long int now,
                                           const char *skip,
                                           struct sset *alive,
                                           struct sset *dead);

/* Returns the Chassis_Private row named 'name' in the IDL of index
 * 'by_name' (chassis_indexes' chassis_private_by_name), or NULL if it is
 * not replicated. */
const struct roamrec_chassis_private *chassis_private_lookup(
    struct ovsdb_idl_index *by_name, const char *name);

/* The key in Chassis other_config that names the agent that owns the row:
 * the UUID of that hypervisor's Open_vSwitch row.  Two hypervisors
 * configured with one system-id thus do not fight over the row: the second
 * logs the conflict once, watches the owner's liveness and writes nothing
 * until the owner is dead. */
#define CHASSIS_OWNER_KEY "roam-agent-id"

/* The key in Chassis other_config that says "true" if the chassis runs BFD
 * on its tunnels (tunnels.h); absent otherwise. */
#define CHASSIS_BFD_KEY "roam-bfd"

/* Inputs of chassis_run(). */
struct chassis_ctx_in {
    struct ovsdb_idl_txn *roam_idl_txn;       /* NULL if no writes possible. */
    const struct chassis_indexes *indexes;
    const struct local_config *cfg;           /* Complete configuration. */
    const char *agent_id;                     /* This agent's owner id. */
    const char *encap_ip;                     /* Resolved tunnel endpoint, or
                                               * NULL if not known yet. */
    const char *stale_name;                   /* A previous system-id of this
                                               * agent whose rows to delete,
                                               * or NULL. */
    bool condition_synced;                    /* True if the IDL replicates
                                               * the Chassis_Private rows of
                                               * 'cfg->system_id' and
                                               * 'stale_name'. */
    long long int now;                        /* Wall clock, milliseconds. */
};

/* Outputs of chassis_run(). */
struct chassis_ctx_out {
    const struct roamrec_chassis *chassis;    /* The own row, NULL until it
                                               * exists and is this agent's. */
    bool changed;                             /* True if this run wrote. */
    bool stale_gone;                          /* True if no row of
                                               * 'stale_name' is left. */
    char *conflict;                           /* If nonnull, why the agent
                                               * cannot write its rows
                                               * (malloc()'d). */
    bool standby;                             /* True if another live agent
                                               * owns this chassis's name:
                                               * this one waits for its
                                               * death (see
                                               * CHASSIS_OWNER_KEY). */
};

/* Creates or corrects the own Chassis and Encap rows. */
void chassis_run(const struct chassis_ctx_in *, struct chassis_ctx_out *);

/* Inputs of chassis_private_run(). */
struct chassis_private_ctx_in {
    struct ovsdb_idl_txn *roam_idl_txn;       /* NULL if no writes possible. */
    const struct chassis_indexes *indexes;
    const char *name;                         /* This chassis's name. */
    const struct roamrec_chassis *chassis;    /* Its Chassis row, or NULL. */
    int heartbeat_interval;                   /* Milliseconds. */
    bool condition_synced;                    /* True if the IDL replicates
                                               * this chassis's
                                               * Chassis_Private row and
                                               * those in 'watch'. */
    const struct sset *watch;                 /* Names of other chassis
                                               * whose liveness to watch. */
    bool watch_owner;                         /* True to watch the agent
                                               * that owns this chassis's
                                               * name (a standby). */
    int64_t answered_since;                   /* 'watched_since' of the
                                               * last watch this agent beat
                                               * for, -1 if none. */
    int64_t nb_cfg;                           /* nb_cfg to acknowledge, or
                                               * -1 if none. */
    long long int now;                        /* Wall clock, milliseconds. */
};

/* Outputs of chassis_private_run(). */
struct chassis_private_ctx_out {
    const struct roamrec_chassis_private *row; /* The row, or NULL. */
    int64_t answered_since;                   /* The new 'answered_since'. */
    long long int next_run;                   /* Wall clock time at which to
                                               * run again, or LLONG_MAX if
                                               * there is nothing to write
                                               * then. */
};

/* How long, in milliseconds, a watch by chassis_private_run() lasts.  It is
 * renewed halfway through for as long as the agent needs it. */
#define CHASSIS_WATCH_LEASE 30000

/* Creates the own Chassis_Private row once 'chassis' exists, writes a
 * heartbeat every heartbeat_interval while somebody watches it
 * (chassis-liveness.h), acknowledges 'nb_cfg', and watches the chassis in
 * 'watch' (and the owner of this chassis's name if 'watch_owner'). */
void chassis_private_run(const struct chassis_private_ctx_in *,
                         struct chassis_private_ctx_out *);

#endif /* agent/chassis.h */
