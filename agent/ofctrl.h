/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef OFCTRL_H
#define OFCTRL_H 1

/* The OpenFlow connection to the integration bridge.
 *
 * The agent owns every flow table of the integration bridge.  It talks to
 * ovs-vswitchd over the bridge's management socket (unix:RUNDIR/BRIDGE.mgmt)
 * through rconn, never through ovs-ofctl.  State machine:
 *
 *   DISCONNECTED --connected--> DUMPING --all flow stats replies--> SYNCED
 *        ^                         ^                                  |
 *        |                         +--- the switch rejected a bundle --+
 *        |                                                            |
 *        +----------------------- connection lost ---------------------+
 *
 * In DUMPING it reads every flow the switch has into the installed flow set;
 * it never clears the switch.  In SYNCED, ofctrl_put() sends the difference
 * between the desired flows and the installed ones as one OpenFlow 1.5
 * bundle (atomic), followed by a barrier.  When the barrier reply comes, the
 * switch has applied everything up to that put: ofctrl_get_cur_cfg() then
 * returns the sequence number the caller gave to that put, which is how
 * Port.up and Chassis_Private.nb_cfg wait for flows that really exist.
 *
 * If the switch rejects a bundle, ofctrl sets the flow it refused aside
 * (logged, and listed by ofctrl_format_status()), reads the switch's flows
 * again and sends the rest: one bad flow does not hold back the others, and
 * the put's 'req_cfg' is confirmed without it.  A refused flow is tried
 * again when it changes and after every reconnection.
 *
 * The bridge must allow OpenFlow 1.5, the only version ofctrl speaks
 * (bundles need 1.4 or later).  ovs-vswitchd allows 1.0 to 1.5 when the
 * Bridge's "protocols" column is empty, as it is by default. */

#include <stdbool.h>
#include <stdint.h>

struct ds;
struct flow_set;
struct ofctrl;

/* Creates an OpenFlow connection that is not yet connected anywhere. */
struct ofctrl *ofctrl_create(void);

/* Closes the connection and frees it; the switch keeps its flows.  Accepts
 * NULL. */
void ofctrl_destroy(struct ofctrl *);

/* Connects to 'bridge' (through unix:RUNDIR/BRIDGE.mgmt), or disconnects if
 * 'bridge' is NULL.  Does nothing if already connected to 'bridge'. */
void ofctrl_set_bridge(struct ofctrl *, const char *bridge);

/* The poll loop's pair: ofctrl_run() connects, reads the switch's flows after
 * every (re)connection and handles replies; ofctrl_wait() arranges for
 * poll_block() to wake when ofctrl_run() has work. */
void ofctrl_run(struct ofctrl *);
void ofctrl_wait(struct ofctrl *);

/* Returns true if the connection is up and the installed flows are known,
 * that is, if ofctrl_put() would send something. */
bool ofctrl_is_synced(const struct ofctrl *);

/* If synced, sends the flow mods that make the switch's flows equal to
 * 'desired', as one bundle followed by a barrier, and remembers 'req_cfg'
 * for that barrier.  With nothing to change it sends nothing, and 'req_cfg'
 * counts as applied at once (once every earlier put is confirmed).  If not
 * synced, does nothing: the next put after synchronization sends the
 * difference.  'req_cfg' must not decrease from one call to the next.
 *
 * Call it on every iteration of the main loop, after ofctrl_run(): that is
 * how the flows come back after a reconnection or a rejected bundle.  It
 * costs next to nothing when neither 'desired' nor the switch's flows
 * changed since the last call (it compares the sets' versions); otherwise
 * the diff visits every flow of both sets. */
void ofctrl_put(struct ofctrl *, const struct flow_set *desired,
                uint64_t req_cfg);

/* Returns the highest 'req_cfg' of an ofctrl_put() whose flows the switch
 * has confirmed. */
uint64_t ofctrl_get_cur_cfg(const struct ofctrl *);

/* Returns the flows the switch has, as last read or sent (while DUMPING,
 * the part read so far). */
const struct flow_set *ofctrl_get_installed(const struct ofctrl *);

/* Appends a description of the connection's state to 's', for status. */
void ofctrl_format_status(const struct ofctrl *, struct ds *s);

#endif /* agent/ofctrl.h */
