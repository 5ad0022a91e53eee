/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef CHASSIS_LIVENESS_H
#define CHASSIS_LIVENESS_H 1

/* Whether a chassis is alive, judged from its Chassis_Private row.
 *
 * Each roam-agent writes Chassis_Private 'heartbeat' (wall-clock time in
 * milliseconds) every 'heartbeat_interval' milliseconds.  Other agents do not
 * monitor Chassis_Private, so heartbeats do not fan out to every hypervisor;
 * only readers such as roam-ctl look at them. */

#include <stdbool.h>

struct roamrec_chassis_private;

/* A chassis is dead after this many heartbeat intervals without one. */
#define CHASSIS_LIVENESS_MISSED_BEATS 3

/* Returns true if 'cp' has written a heartbeat within
 * CHASSIS_LIVENESS_MISSED_BEATS of its own heartbeat intervals before
 * 'now_ms' (wall-clock milliseconds, as time_wall_msec() returns). */
bool chassis_is_alive(const struct roamrec_chassis_private *cp,
                      long long int now_ms);

/* Returns how many milliseconds ago 'cp' wrote its last heartbeat, relative
 * to 'now_ms', or -1 if it never wrote one. */
long long int chassis_heartbeat_age(const struct roamrec_chassis_private *cp,
                                    long long int now_ms);

#endif /* ovsdb/chassis-liveness.h */
