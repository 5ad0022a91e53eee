/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef FLOW_SET_H
#define FLOW_SET_H 1

/* A set of OpenFlow flows, keyed as the switch keys them: by table,
 * priority and match.
 *
 * The agent keeps two: the flows it wants on the integration bridge (built
 * from the databases) and the flows the switch has (read back from it after
 * every connection, then kept up to date with what the agent sent).
 * flow_set_diff() turns the difference into flow mods, so that the agent
 * never flushes: after a restart of the agent or of ovs-vswitchd it sends only
 * what differs.
 *
 * Every flow carries a cookie that names the database row it came from (the
 * first 64 bits of the row's UUID), so that the flows of one row can be
 * replaced together and an operator can go from a flow to its row.
 *
 * Two rows may ask for the same flow (table, priority and match): two ports
 * of one network with one MAC, say, which is bad input.  The switch can hold
 * only one of them.  The set keeps the flow with the smallest cookie, so that
 * the winner depends neither on the order of the additions nor on the
 * chassis, and keeps the others aside: when the winner's row goes, the next
 * one takes its place, as a computation from scratch would have it.
 *
 * A set also keeps a change log: the keys (table, priority, match) of the
 * flows added, replaced or removed since flow_set_clear_changes(), so that
 * when one binding changes one flow out of thousands,
 * flow_set_diff_changed() looks at that flow alone instead of at all of
 * them.  Where a log of keys would not be cheaper than a full diff (after
 * flow_set_clear() or flow_set_copy(), or when the log grows past the
 * number of flows) the set drops it and marks that everything changed. */

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "openvswitch/hmap.h"
#include "openvswitch/list.h"

struct ds;
struct match;
struct ofpact;
struct uuid;

/* A set of flows. */
struct flow_set {
    struct hmap flows;          /* Contains "struct flow_set_entry"s, hashed
                                 * on table, priority and match. */
    struct hmap by_cookie;      /* The same entries, and the shadowed
                                 * ones, hashed on cookie. */
    struct hmap shadowed;       /* Contains the "struct flow_set_entry"s
                                 * that have the key of a flow in 'flows'
                                 * with a smaller cookie, hashed as in
                                 * 'flows'.  Invisible to users of the set
                                 * until that flow goes. */
    uint64_t version;           /* Takes a new value, never used before by
                                 * any set, whenever the set changes, so that
                                 * ofctrl can tell cheaply that neither of two
                                 * sets changed since their last diff. */

    /* Change log, see flow_set_diff_changed(). */
    struct hmap changed_keys;   /* Contains "struct flow_set_entry"s that
                                 * hold only a key (no cookie, no actions):
                                 * one per key changed since the log was
                                 * cleared, hashed as in 'flows'. */
    bool all_changed;           /* The log was given up: anything may have
                                 * changed.  Then 'changed_keys' is empty.
                                 * True from flow_set_init() until the first
                                 * flow_set_clear_changes(), so that sets
                                 * nobody diffs this way log nothing. */
    uint64_t log_version;       /* 'version' when the log was last cleared
                                 * (0 before that). */
};

/* One flow.  Read-only for users of the set: change it only through the
 * flow_set_*() functions, which keep both maps and 'version' right. */
struct flow_set_entry {
    struct hmap_node node;      /* In flow_set's 'flows' or, if
                                 * 'shadowed', in its 'shadowed'. */
    bool shadowed;              /* Another row's flow with the same key
                                 * wins over this one. */
    struct hmap_node cookie_node; /* In flow_set's 'by_cookie'. */
    uint8_t table_id;           /* OpenFlow table. */
    uint16_t priority;          /* OpenFlow priority. */
    uint64_t cookie;            /* Names the row the flow came from. */
    struct minimatch *match;    /* Owned. */
    struct ofpact *ofpacts;     /* Owned, in the form the switch reports
                                 * them back (see flow_set_add()).  NULL if
                                 * 'ofpacts_len' is 0 (drop). */
    size_t ofpacts_len;         /* Length of 'ofpacts' in bytes. */
};

void flow_set_init(struct flow_set *);
void flow_set_destroy(struct flow_set *);

/* Removes every flow.  Marks the change log "everything changed". */
void flow_set_clear(struct flow_set *);
size_t flow_set_count(const struct flow_set *);

/* Returns the cookie that names the row with 'uuid'. */
uint64_t flow_set_cookie_from_uuid(const struct uuid *);

/* Adds a flow, copying 'match' and 'ofpacts'.  A flow with the same table,
 * priority, match and cookie is replaced.  If a flow with the same key but
 * another cookie is in the set, both are kept, the one with the smaller
 * cookie in effect (see above), and the function returns false: two rows
 * asking for the same flow is a conflict the caller may want to log.
 * Otherwise returns true.
 *
 * The actions are stored as the switch reports them in a flow dump (encoded
 * to OpenFlow 1.5 and decoded again), so that a flow the agent wants and the
 * same flow read back from the switch compare equal. */
bool flow_set_add(struct flow_set *, uint8_t table_id, uint16_t priority,
                  uint64_t cookie, const struct match *,
                  const struct ofpact *ofpacts, size_t ofpacts_len);

/* Removes every flow whose cookie is 'cookie', shadowed or not, and puts in
 * effect the shadowed flows that had a removed flow's key.  Returns how
 * many it removed. */
size_t flow_set_remove_cookie(struct flow_set *, uint64_t cookie);

/* Removes 'entry', a flow of the set, and frees it.  A shadowed flow with
 * its key, if any, takes its place. */
void flow_set_remove(struct flow_set *, struct flow_set_entry *entry);

/* Finds the flow with the given table, priority and match, or NULL. */
struct flow_set_entry *flow_set_find(const struct flow_set *,
                                     uint8_t table_id, uint16_t priority,
                                     const struct match *);

/* Finds the flow with the same table, priority and match as 'flow', which
 * may belong to another set, or NULL.  Cheaper than flow_set_find(). */
struct flow_set_entry *flow_set_find_entry(const struct flow_set *,
                                           const struct flow_set_entry *flow);

/* Returns true if 'a' and 'b' have the same table, priority, match, cookie
 * and actions. */
bool flow_set_entry_equal(const struct flow_set_entry *a,
                          const struct flow_set_entry *b);

/* A flow mod computed by flow_set_diff(). */
struct flow_set_change {
    struct ovs_list list_node;  /* In the caller's list of changes. */
    enum flow_set_change_type {
        FLOW_SET_DELETE,        /* Delete the flow (strict). */
        FLOW_SET_MODIFY,        /* Change its actions and/or cookie. */
        FLOW_SET_ADD,           /* Add it. */
    } type;
    const struct flow_set_entry *flow; /* For DELETE, in 'installed';
                                        * otherwise in 'desired'. */
};

/* Appends to 'changes' the flow mods that turn 'installed' into 'desired':
 * first all deletions, then modifications, then additions (so that inside
 * one bundle a deleted flow never shadows an added one).  The changes point
 * into the two sets, which must not change until the caller is done; free
 * them with flow_set_changes_destroy(). */
void flow_set_diff(const struct flow_set *desired,
                   const struct flow_set *installed,
                   struct ovs_list *changes);
void flow_set_changes_destroy(struct ovs_list *changes);

/* Appends to 'changes' the same flow mods as flow_set_diff(), in the same
 * classes and order of classes, but looks only at the keys in the change
 * log of 'desired', at a cost in proportion to their number.  That is
 * equivalent to the full diff only if 'installed' equals 'desired' as it was
 * when its log was last cleared: the caller must know that (see
 * flow_set_log_covers()).  If the log says that everything changed, does a
 * full flow_set_diff() and returns false; otherwise returns true. */
bool flow_set_diff_changed(const struct flow_set *desired,
                           const struct flow_set *installed,
                           struct ovs_list *changes);

/* Empties the change log of 'set' and starts a new one from the set's
 * current 'version'. */
void flow_set_clear_changes(struct flow_set *);

/* Returns true if the change log of 'set' holds every change since the set
 * had version 'version': that is, if the log was last cleared at that
 * version and not given up since. */
bool flow_set_log_covers(const struct flow_set *, uint64_t version);

/* Applies 'changes', computed by flow_set_diff(desired, installed) or
 * flow_set_diff_changed(desired, installed), to 'installed', which then
 * equals 'desired'.  Neither set may have changed since the diff.  Costs
 * time in proportion to the number of changes, where flow_set_copy() costs
 * time in proportion to the size of the set. */
void flow_set_apply(struct flow_set *installed,
                    const struct ovs_list *changes);

/* Makes 'dst' an independent copy of the flows in effect in 'src' (not its
 * shadowed flows).  The change log of 'dst' says that everything
 * changed. */
void flow_set_copy(struct flow_set *dst, const struct flow_set *src);

/* Appends 'entry' to 's' as ovs-ofctl would print it. */
void flow_set_entry_format(const struct flow_set_entry *, struct ds *s);

#endif /* agent/flow-set.h */
