/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef PORT_MONITOR_H
#define PORT_MONITOR_H 1

/* Which Port rows of the central database this chassis replicates.
 *
 * By default (roam-monitor-all=true) every Port, so that a VM arriving on
 * a network new to this hypervisor waits for no download (README, "What
 * the agent monitors").  With roam-monitor-all=false, only the Ports this
 * chassis needs, as ovn-controller's ovn-monitor-all=false does for its
 * datapaths:
 *
 *   - the Ports named by the iface-id of an interface on the integration
 *     bridge (a VIF, plugged or waiting for its row);
 *   - the Ports bound here (chassis or additional_chassis), and those whose
 *     requested_chassis names this chassis: a network is warm before the VM
 *     arrives when the orchestrator sets requested_chassis first (as Nova
 *     does for a migration);
 *   - every Port of the networks of all of the above.
 *
 * The rows selected decide the networks, and the networks the rows, so
 * the condition is set again after each update until it selects exactly
 * what it already selected and the server has applied it: the monitor is
 * then "settled".  The agent puts no flows before the first time it is
 * (a partial picture would delete flows that a previous run installed),
 * nor acknowledges Global nb_cfg or sets Port.up while it is not settled
 * (a new network's ports may still be on their way), and a VIF whose Port
 * has not arrived yet waits for its row without a warning while the
 * condition that names it is not in effect.
 *
 * On a reconnection to a server that cannot resume the monitor, the IDL
 * takes the pending condition as applied at once, so 'settled' may be true
 * for the round trip before the rows arrive; the agent's other checks
 * (flows only from a replicated database) cover that. */

#include <stdbool.h>
#include "sset.h"
#include "uuidset.h"

struct ovsdb_idl;
struct roamrec_chassis;

struct port_monitor_ctx_in {
    struct ovsdb_idl *roam_idl;
    bool inputs_complete;                  /* Both databases replicated and
                                            * this chassis registered: the
                                            * inputs below are whole. */
    bool monitor_all;                      /* roam-monitor-all. */
    const char *chassis_name;              /* This chassis's system-id. */
    const struct roamrec_chassis *chassis; /* Its row, NULL if none yet. */
    const struct sset *iface_ids;          /* The iface-ids of the
                                            * integration bridge's
                                            * interfaces. */
};

struct port_monitor {
    bool monitor_all;           /* The mode of the condition last set. */
    struct sset names;          /* Its Port names... */
    struct uuidset networks;    /* ...and networks. */
    bool settled;               /* It selects what it selected, and the
                                 * server applied it. */
    bool ever_settled;          /* 'settled' was true at least once. */
};

void port_monitor_init(struct port_monitor *);
void port_monitor_destroy(struct port_monitor *);

/* Sets the Port condition for what the IDL holds now.  Returns true if
 * whether the monitor is settled changed. */
bool port_monitor_run(const struct port_monitor_ctx_in *,
                      struct port_monitor *);

/* Whether the IDL holds the Port named 'name' if it exists: always with
 * every Port monitored, otherwise once a condition that selects it by name
 * is in effect. */
bool port_monitor_has_row(const struct port_monitor *, const char *name);

#endif /* agent/port-monitor.h */
