/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "dead-chassis.h"

#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "sset.h"
#include "tunnels.h"

VLOG_DEFINE_THIS_MODULE(dead_chassis);

bool
dead_chassis_run(const struct shash *tunnels, struct sset *dead)
{
    struct sset now_dead = SSET_INITIALIZER(&now_dead);
    struct shash_node *node;

    SHASH_FOR_EACH (node, tunnels) {
        const struct tunnel *tunnel = node->data;
        bool was_dead = sset_contains(dead, node->name);
        if (tunnel->bfd == TUNNEL_BFD_DOWN
            || (tunnel->bfd == TUNNEL_BFD_UNKNOWN && was_dead)) {
            /* (A session that started anew, after the local ovs-vswitchd
             * restarted, says nothing until it comes up.) */
            sset_add(&now_dead, node->name);
            if (!was_dead) {
                VLOG_WARN("chassis %s is unreachable (BFD on its tunnel "
                          "went down): no more flooded traffic to it",
                          node->name);
            }
        } else if (was_dead) {
            VLOG_INFO("chassis %s is reachable again (BFD on its tunnel is "
                      "up): flooding to it", node->name);
        }
    }

    bool changed = !sset_equals(&now_dead, dead);
    sset_swap(&now_dead, dead);
    sset_destroy(&now_dead);
    return changed;
}
