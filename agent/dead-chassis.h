/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef DEAD_CHASSIS_H
#define DEAD_CHASSIS_H 1

/* Which of the chassis this agent deals with are dead.
 *
 * A chassis is dead once its agent stopped writing heartbeats to its
 * Chassis_Private row (ovsdb/chassis-liveness.h).  The agent replicates
 * the Chassis_Private rows only of the chassis it watches (those it floods
 * to and those bound to its VIFs' ports), so following their liveness costs
 * nothing per chassis elsewhere in the cloud.
 *
 * A watched chassis whose row is not replicated (not yet, after a change of
 * the monitor condition, or because no agent ever registered it) counts as
 * alive: only a heartbeat that stopped makes a chassis dead.  Liveness
 * changes with time alone, so the caller wakes up at the moment the next
 * watched chassis would turn dead. */

#include <stdbool.h>

struct ovsdb_idl_index;
struct sset;

struct dead_chassis_ctx_in {
    struct ovsdb_idl_index *chassis_private_by_name; /* chassis.h */
    const struct sset *watch;       /* Names of the chassis to judge. */
    long long int now;              /* Wall clock, in ms. */
};

struct dead_chassis_ctx_out {
    long long int next_change;      /* Wall-clock time (ms) at which a
                                     * watched chassis that is alive now
                                     * turns dead without a new heartbeat,
                                     * LLONG_MAX if none can. */
};

/* Updates 'dead' (names) to the watched chassis that are dead now, logging
 * each change.  Returns true if 'dead' changed. */
bool dead_chassis_run(const struct dead_chassis_ctx_in *, struct sset *dead,
                      struct dead_chassis_ctx_out *);

#endif /* agent/dead-chassis.h */
