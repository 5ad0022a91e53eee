/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "ovsdb/chassis-liveness.h"

#include <inttypes.h>
#include <limits.h>

#include "openvswitch/vlog.h"
#include "ovsdb/roam-idl.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(chassis_liveness);

/* The schema bounds Chassis_Private 'heartbeat_interval' to this range and
 * ovsdb-server enforces it, but a client whose IDL does not replicate the
 * column reads 0, so the interval is clamped rather than trusted: a chassis
 * whose interval is unknown is judged by the shortest one, and so declared
 * dead soonest. */
#define HEARTBEAT_INTERVAL_MIN 100
#define HEARTBEAT_INTERVAL_MAX 3600000

const char *
chassis_liveness_to_string(enum chassis_liveness liveness)
{
    switch (liveness) {
    case CHASSIS_ALIVE:
        return "alive";
    case CHASSIS_DEAD:
        return "dead";
    case CHASSIS_UNKNOWN:
        return "unknown";
    }
    OVS_NOT_REACHED();
}

long long int
chassis_heartbeat_age(const struct roamrec_chassis_private *cp,
                      long long int now_ms)
{
    if (cp->heartbeat <= 0) {
        return -1;
    }

    /* A heartbeat from the future comes from a chassis whose clock runs
     * ahead of ours: it beat just now as far as we can tell. */
    return now_ms > cp->heartbeat ? now_ms - cp->heartbeat : 0;
}

/* A watch that began more than a liveness window after 'now_ms' is no
 * watcher's: each writes its own clock, and the clocks must agree that well
 * for heartbeats to mean anything.  Nothing in the schema bounds the column,
 * and such a watch would hold the chassis "unknown" until then. */
static bool
watch_is_bogus(const struct roamrec_chassis_private *cp, long long int now_ms)
{
    return cp->watched_since > now_ms + chassis_liveness_window(cp);
}

bool
chassis_liveness_is_watched(const struct roamrec_chassis_private *cp,
                            long long int now_ms)
{
    return cp->watched_until > now_ms && !watch_is_bogus(cp, now_ms);
}

long long int
chassis_liveness_window(const struct roamrec_chassis_private *cp)
{
    long long int interval = MIN(MAX(cp->heartbeat_interval,
                                     HEARTBEAT_INTERVAL_MIN),
                                 HEARTBEAT_INTERVAL_MAX);
    return CHASSIS_LIVENESS_MISSED_BEATS * interval;
}

bool
chassis_liveness_wants_beats(const struct roamrec_chassis_private *cp,
                             long long int now_ms)
{
    return cp->watched_until > now_ms - chassis_liveness_window(cp);
}

enum chassis_liveness
chassis_liveness_get(const struct roamrec_chassis_private *cp,
                     long long int now_ms, long long int *next_change)
{
    long long int window = chassis_liveness_window(cp);
    long long int age = chassis_heartbeat_age(cp, now_ms);
    long long int change = LLONG_MAX;
    enum chassis_liveness liveness;

    if (age >= 0 && age <= window) {
        /* Fresh: whether or not anybody watches it now. */
        liveness = CHASSIS_ALIVE;
        change = now_ms + (window - age) + 1;
    } else if (!chassis_liveness_is_watched(cp, now_ms)) {
        /* Nobody asked it to beat, so silence says nothing. */
        liveness = CHASSIS_UNKNOWN;
    } else if (now_ms - window > cp->watched_since) {
        /* Asked to beat since 'watched_since', it missed every beat
         * since. */
        liveness = CHASSIS_DEAD;
        change = cp->watched_until;
    } else {
        /* Asked recently: its first beat may still be on its way.  (The
         * schema bounds neither column: a 'watched_since' from the far
         * future must not overflow.) */
        liveness = CHASSIS_UNKNOWN;
        change = (cp->watched_since < cp->watched_until - window - 1
                  ? cp->watched_since + window + 1
                  : cp->watched_until);
    }

    if (next_change) {
        *next_change = change;
    }
    return liveness;
}

bool
chassis_liveness_watch(const struct roamrec_chassis_private *cp,
                       long long int now_ms, long long int lease_ms)
{
    if (chassis_liveness_is_watched(cp, now_ms)) {
        if (now_ms < chassis_liveness_watch_renewal(cp, lease_ms)) {
            return false;
        }
    } else {
        if (watch_is_bogus(cp, now_ms)) {
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(1, 5);
            VLOG_WARN_RL(&rl, "Chassis_Private %s: watched_since %"PRId64
                         " lies %lld ms in the future: watching it from now "
                         "on", cp->name, cp->watched_since,
                         (long long int) (cp->watched_since - now_ms));
        }
        roamrec_chassis_private_set_watched_since(cp, now_ms);
    }
    roamrec_chassis_private_set_watched_until(cp, now_ms + lease_ms);
    return true;
}

long long int
chassis_liveness_watch_renewal(const struct roamrec_chassis_private *cp,
                               long long int lease_ms)
{
    return cp->watched_until - lease_ms / 2;
}
