/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef CHASSIS_LIVENESS_H
#define CHASSIS_LIVENESS_H 1

/* Whether a chassis is alive, judged from its Chassis_Private row.
 *
 * A roam-agent writes Chassis_Private 'heartbeat' (wall-clock time in
 * milliseconds) only while somebody watches it: from the moment a reader
 * sets 'watched_until' into the future (and 'watched_since' to when its
 * watch began), at once and then every 'heartbeat_interval' milliseconds,
 * until 'watched_until' passes.  An agent that nobody watches writes
 * nothing and wakes up for nothing: liveness costs the hypervisors and the
 * central database nothing until somebody needs it, which is when a port
 * moves away from a chassis (agent/binding.h), while a standby agent waits
 * to take a chassis over (agent/chassis.h), and while roam-ctl shows or
 * waits for chassis.
 *
 * Other agents do not monitor Chassis_Private except for the chassis they
 * watch, so heartbeats do not fan out to every hypervisor. */

#include <stdbool.h>

struct roamrec_chassis_private;

/* A chassis is dead after this many heartbeat intervals without one, while
 * watched. */
#define CHASSIS_LIVENESS_MISSED_BEATS 3

enum chassis_liveness {
    CHASSIS_ALIVE,              /* It beat within MISSED_BEATS intervals. */
    CHASSIS_DEAD,               /* It was watched for MISSED_BEATS intervals
                                 * and did not beat within them. */
    CHASSIS_UNKNOWN,            /* Its last heartbeat is older, and nobody
                                 * has watched it long enough to tell. */
};

const char *chassis_liveness_to_string(enum chassis_liveness);

/* Returns the liveness of 'cp' at 'now_ms' (wall-clock milliseconds, as
 * time_wall_msec() returns).  If 'next_change' is nonnull, stores in it the
 * wall-clock time at which the answer may change with no write to 'cp', or
 * LLONG_MAX if it cannot. */
enum chassis_liveness chassis_liveness_get(
    const struct roamrec_chassis_private *cp, long long int now_ms,
    long long int *next_change);

/* Returns how long, in milliseconds, 'cp''s chassis may stay silent while
 * watched before it counts as dead: CHASSIS_LIVENESS_MISSED_BEATS of its
 * heartbeat intervals. */
long long int chassis_liveness_window(
    const struct roamrec_chassis_private *cp);

/* Returns true if somebody watches 'cp' at 'now_ms', that is, wants its
 * agent to beat. */
bool chassis_liveness_is_watched(const struct roamrec_chassis_private *cp,
                                 long long int now_ms);

/* Returns true if the agent whose row is 'cp' should beat at 'now_ms' (its
 * own clock): while watched, and for a liveness window beyond, so that an
 * agent whose clock runs ahead of its watcher's by up to a window still
 * beats for the whole watch.  (Readers tolerate the opposite skew the same
 * way: a heartbeat is fresh for a window.) */
bool chassis_liveness_wants_beats(const struct roamrec_chassis_private *cp,
                                  long long int now_ms);

/* Watches 'cp' for 'lease_ms' from 'now_ms' on, in the transaction that
 * 'cp' belongs to, unless a watch already lasts for more than half of that.
 * Returns true if it wrote.  A watcher that needs liveness for longer calls
 * this again at chassis_liveness_watch_renewal(). */
bool chassis_liveness_watch(const struct roamrec_chassis_private *cp,
                            long long int now_ms, long long int lease_ms);

/* Returns the wall-clock time at which chassis_liveness_watch() with
 * 'lease_ms' will next write to 'cp'. */
long long int chassis_liveness_watch_renewal(
    const struct roamrec_chassis_private *cp, long long int lease_ms);

/* Returns how many milliseconds ago 'cp' wrote its last heartbeat, relative
 * to 'now_ms', or -1 if it never wrote one. */
long long int chassis_heartbeat_age(const struct roamrec_chassis_private *cp,
                                    long long int now_ms);

#endif /* ovsdb/chassis-liveness.h */
