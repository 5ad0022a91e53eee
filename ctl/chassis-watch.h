/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef CHASSIS_WATCH_H
#define CHASSIS_WATCH_H 1

/* The watches that a short-lived client such as roam-ctl writes to learn
 * whether chassis are alive (ovsdb/chassis-liveness.h), and takes back when
 * it is done, so that agents stop beating for it at once.
 *
 * A watch lasts long enough for a verdict: the chassis's liveness window
 * and 5 seconds more.  Taking it back restores the row's previous
 * 'watched_until' (and leaves 'watched_since', which only matters while a
 * watch runs: an agent that renews the watch at the same moment, with an
 * older view, then keeps a watch that began recently, never one that looks
 * older than it is), unless somebody renewed the watch meanwhile (the
 * transaction verifies that).  The watch of a dead chassis stays until it
 * runs out, so that the next reader knows at once. */

#include <stdbool.h>

struct chassis_watches;
struct ovsdb_idl;
struct sset;

struct chassis_watches *chassis_watches_create(void);
void chassis_watches_destroy(struct chassis_watches *);

/* Watches, in the transaction open on 'idl', each Chassis_Private row of
 * 'idl' named in 'names' (or every row if 'names' is NULL) whose liveness
 * is unknown at 'now' (wall-clock milliseconds) and that nobody watches
 * yet.  Returns true if it wrote anything. */
bool chassis_watches_add(struct chassis_watches *, struct ovsdb_idl *,
                         const struct sset *names, long long int now);

/* Takes back, in the transaction open on 'idl', the watches that 'watches'
 * wrote, that nobody renewed since and whose chassis is not dead at 'now'.
 * Returns true if it wrote anything. */
bool chassis_watches_release(struct chassis_watches *, struct ovsdb_idl *,
                             long long int now);

#endif /* ctl/chassis-watch.h */
