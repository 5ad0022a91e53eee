/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "ctl/chassis-watch.h"

#include "openvswitch/hmap.h"
#include "ovsdb-idl.h"
#include "ovsdb/chassis-liveness.h"
#include "ovsdb/roam-idl.h"
#include "sset.h"
#include "util.h"
#include "uuid.h"

/* How much longer than a chassis's liveness window a watch lasts, in
 * milliseconds: the time to see the verdict, and for the next command to
 * find a dead chassis's watch still running. */
#define CHASSIS_WATCH_MARGIN 5000

/* A watch that this client wrote. */
struct chassis_watch {
    struct hmap_node node;      /* In struct chassis_watches, by 'row'. */
    struct uuid row;            /* The Chassis_Private row. */
    int64_t previous_until;     /* Its 'watched_until' before. */
    int64_t until;              /* The one written. */
};

struct chassis_watches {
    struct hmap watches;
};

struct chassis_watches *
chassis_watches_create(void)
{
    struct chassis_watches *watches = xmalloc(sizeof *watches);
    hmap_init(&watches->watches);
    return watches;
}

void
chassis_watches_destroy(struct chassis_watches *watches)
{
    if (watches) {
        struct chassis_watch *w;
        HMAP_FOR_EACH_POP (w, node, &watches->watches) {
            free(w);
        }
        hmap_destroy(&watches->watches);
        free(watches);
    }
}

static struct chassis_watch *
chassis_watches_find(const struct chassis_watches *watches,
                     const struct uuid *row)
{
    struct chassis_watch *w;
    HMAP_FOR_EACH_WITH_HASH (w, node, uuid_hash(row), &watches->watches) {
        if (uuid_equals(&w->row, row)) {
            return w;
        }
    }
    return NULL;
}

bool
chassis_watches_add(struct chassis_watches *watches, struct ovsdb_idl *idl,
                    const struct sset *names, long long int now)
{
    const struct roamrec_chassis_private *cp;
    bool wrote = false;

    ROAMREC_CHASSIS_PRIVATE_FOR_EACH (cp, idl) {
        if ((names && !sset_contains(names, cp->name))
            || chassis_liveness_is_watched(cp, now)
            || chassis_liveness_get(cp, now, NULL) != CHASSIS_UNKNOWN) {
            continue;
        }

        long long int lease = (chassis_liveness_window(cp)
                               + CHASSIS_WATCH_MARGIN);
        struct chassis_watch *w = chassis_watches_find(watches,
                                                       &cp->header_.uuid);
        if (!w) {
            w = xmalloc(sizeof *w);
            w->row = cp->header_.uuid;
            w->previous_until = cp->watched_until;
            hmap_insert(&watches->watches, &w->node, uuid_hash(&w->row));
        }
        chassis_liveness_watch(cp, now, lease);
        w->until = now + lease;
        wrote = true;
    }
    return wrote;
}

bool
chassis_watches_release(struct chassis_watches *watches,
                        struct ovsdb_idl *idl, long long int now)
{
    struct chassis_watch *w;
    bool wrote = false;

    HMAP_FOR_EACH (w, node, &watches->watches) {
        const struct roamrec_chassis_private *cp
            = roamrec_chassis_private_get_for_uuid(idl, &w->row);
        if (cp && cp->watched_until == w->until
            && chassis_liveness_get(cp, now, NULL) != CHASSIS_DEAD) {
            roamrec_chassis_private_verify_watched_until(cp);
            roamrec_chassis_private_set_watched_until(cp, w->previous_until);
            wrote = true;
        }
    }
    return wrote;
}
