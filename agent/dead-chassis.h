/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef DEAD_CHASSIS_H
#define DEAD_CHASSIS_H 1

/* Which remote chassis get no flooded traffic: those whose tunnel's BFD
 * session went down (tunnels.h), because their ovs-vswitchd or the path to
 * it failed, until it is up again.  A session with no verdict (started anew
 * after the local ovs-vswitchd restarted) leaves a chassis as it was.
 *
 * This is the data path's view, kept by ovs-vswitchd at no cost to the
 * agent or the central database.  It is not the liveness that roam-ctl
 * shows, which comes from the agents' heartbeats (ovsdb/chassis-liveness.h):
 * a chassis whose agent stopped but whose ovs-vswitchd still forwards with
 * the flows it has keeps getting flooded traffic, which it still delivers. */

#include <stdbool.h>

struct shash;
struct sset;

/* Updates 'dead' (names) to the chassis of the 'tunnels' (struct tunnel by
 * chassis name) that are down, logging each change.  Returns true if
 * 'dead' changed. */
bool dead_chassis_run(const struct shash *tunnels, struct sset *dead);

#endif /* agent/dead-chassis.h */
