/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "ovsdb/chassis-liveness.h"

#include "ovsdb/roam-idl.h"
#include "util.h"

/* The schema bounds Chassis_Private 'heartbeat_interval' to this range and
 * ovsdb-server enforces it, but a client whose IDL does not replicate the
 * column reads 0, so the interval is clamped rather than trusted: a chassis
 * whose interval is unknown is judged by the shortest one, and so declared
 * dead soonest. */
#define HEARTBEAT_INTERVAL_MIN 100
#define HEARTBEAT_INTERVAL_MAX 3600000

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

bool
chassis_is_alive(const struct roamrec_chassis_private *cp,
                 long long int now_ms)
{
    long long int age = chassis_heartbeat_age(cp, now_ms);
    if (age < 0) {
        return false;
    }

    long long int interval = MIN(MAX(cp->heartbeat_interval,
                                     HEARTBEAT_INTERVAL_MIN),
                                 HEARTBEAT_INTERVAL_MAX);
    return age <= CHASSIS_LIVENESS_MISSED_BEATS * interval;
}
