/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "dead-chassis.h"

#include <limits.h>

#include "chassis.h"
#include "openvswitch/vlog.h"
#include "ovsdb/chassis-liveness.h"
#include "ovsdb/roam-idl.h"
#include "sset.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(dead_chassis);

bool
dead_chassis_run(const struct dead_chassis_ctx_in *ctx_in, struct sset *dead,
                 struct dead_chassis_ctx_out *ctx_out)
{
    struct sset now_dead = SSET_INITIALIZER(&now_dead);
    const char *name;

    ctx_out->next_change = LLONG_MAX;
    SSET_FOR_EACH (name, ctx_in->watch) {
        const struct roamrec_chassis_private *cp
            = chassis_private_lookup(ctx_in->chassis_private_by_name, name);
        if (!cp) {
            continue;
        }
        if (!chassis_is_alive(cp, ctx_in->now)) {
            sset_add(&now_dead, name);
            if (!sset_contains(dead, name)) {
                long long int age = chassis_heartbeat_age(cp, ctx_in->now);
                if (age < 0) {
                    VLOG_WARN("chassis %s is dead (it never wrote a "
                              "heartbeat): no flooded traffic to it", name);
                } else {
                    VLOG_WARN("chassis %s is dead (last heartbeat %lld ms "
                              "ago): no more flooded traffic to it", name,
                              age);
                }
            }
        } else {
            ctx_out->next_change = MIN(ctx_out->next_change,
                                       chassis_dead_at(cp));
            if (sset_contains(dead, name)) {
                VLOG_INFO("chassis %s is alive again: flooding to it",
                          name);
            }
        }
    }

    bool changed = !sset_equals(&now_dead, dead);
    sset_swap(&now_dead, dead);
    sset_destroy(&now_dead);
    return changed;
}
