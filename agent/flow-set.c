/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "flow-set.h"

#include <inttypes.h>
#include <string.h>

#include "hash.h"
#include "nx-match.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/vlog.h"
#include "util.h"
#include "uuid.h"

VLOG_DEFINE_THIS_MODULE(flow_set);

/* The change log of a set is given up once it holds more keys than the set
 * has flows, but not below this many keys: a log of a few keys costs next to
 * nothing even for a set of very few flows. */
#define FLOW_SET_MIN_LOG 64

/* Source of flow_set 'version's.  Shared by all sets, so that a version
 * names one state of one set. */
static uint64_t flow_set_last_version;

static void
flow_set_touch(struct flow_set *set)
{
    set->version = ++flow_set_last_version;
}

/* Initializes 'set' as an empty set of flows. */
void
flow_set_init(struct flow_set *set)
{
    hmap_init(&set->flows);
    hmap_init(&set->by_cookie);
    hmap_init(&set->shadowed);
    hmap_init(&set->changed_keys);
    set->all_changed = true;
    set->log_version = 0;
    flow_set_touch(set);
}

static void
flow_set_entry_destroy(struct flow_set_entry *entry)
{
    if (entry) {
        minimatch_destroy(entry->match);
        free(entry->match);
        free(entry->ofpacts);
        free(entry);
    }
}

/* Frees the keys in the change log of 'set'. */
static void
flow_set_free_log(struct flow_set *set)
{
    struct flow_set_entry *key;

    HMAP_FOR_EACH_POP (key, node, &set->changed_keys) {
        flow_set_entry_destroy(key);
    }
}

/* Gives up the change log of 'set': from now on, until the log is cleared,
 * anything may have changed. */
static void
flow_set_give_up_log(struct flow_set *set)
{
    flow_set_free_log(set);
    set->all_changed = true;
}

static struct flow_set_entry *flow_set_find_in(const struct hmap *,
                                               const struct flow_set_entry *);

/* Records in the change log of 'set' that the flow with the key of 'flow'
 * (whose 'node.hash' must be set) was added, replaced or removed. */
static void
flow_set_log_key(struct flow_set *set, const struct flow_set_entry *flow)
{
    if (set->all_changed) {
        return;
    }

    if (!flow_set_find_in(&set->changed_keys, flow)) {
        struct flow_set_entry *key = xzalloc(sizeof *key);

        key->table_id = flow->table_id;
        key->priority = flow->priority;
        key->match = xmalloc(sizeof *key->match);
        minimatch_clone(key->match, flow->match);
        hmap_insert(&set->changed_keys, &key->node, flow->node.hash);
    }

    if (hmap_count(&set->changed_keys) > MAX(hmap_count(&set->flows),
                                             FLOW_SET_MIN_LOG)) {
        /* Diffing the log would cost about as much as diffing every flow
         * (and the set may have shrunk: a removal calls here too). */
        flow_set_give_up_log(set);
    }
}

static void flow_set_insert(struct flow_set *, struct flow_set_entry *);
static bool flow_set_entry_same_key(const struct flow_set_entry *,
                                    const struct flow_set_entry *);

/* Returns the shadowed flow in 'set' with the key of 'key' and the smallest
 * cookie, or NULL if there is none. */
static struct flow_set_entry *
flow_set_find_next_shadowed(const struct flow_set *set,
                            const struct flow_set_entry *key)
{
    struct flow_set_entry *best = NULL;
    struct flow_set_entry *entry;

    HMAP_FOR_EACH_WITH_HASH (entry, node, key->node.hash, &set->shadowed) {
        if (flow_set_entry_same_key(entry, key)
            && (!best || entry->cookie < best->cookie)) {
            best = entry;
        }
    }
    return best;
}

/* Removes 'entry' from 'set' and frees it.  If it was in effect, logs its
 * key and puts the next shadowed flow with its key, if any, in effect. */
static void
flow_set_remove_entry(struct flow_set *set, struct flow_set_entry *entry)
{
    hmap_remove(&set->by_cookie, &entry->cookie_node);
    if (entry->shadowed) {
        hmap_remove(&set->shadowed, &entry->node);
    } else {
        hmap_remove(&set->flows, &entry->node);
        flow_set_log_key(set, entry);
        struct flow_set_entry *next = flow_set_find_next_shadowed(set, entry);
        if (next) {
            hmap_remove(&set->shadowed, &next->node);
            hmap_remove(&set->by_cookie, &next->cookie_node);
            flow_set_insert(set, next);
        }
    }
    flow_set_entry_destroy(entry);
}

/* Frees every flow in 'set' and the set's own memory.  'set' may be NULL. */
void
flow_set_destroy(struct flow_set *set)
{
    if (set) {
        flow_set_clear(set);
        hmap_destroy(&set->flows);
        hmap_destroy(&set->by_cookie);
        hmap_destroy(&set->shadowed);
        hmap_destroy(&set->changed_keys);
    }
}

/* Removes every flow from 'set' and gives up its change log. */
void
flow_set_clear(struct flow_set *set)
{
    struct flow_set_entry *entry;

    HMAP_FOR_EACH_POP (entry, node, &set->flows) {
        flow_set_entry_destroy(entry);
    }
    HMAP_FOR_EACH_POP (entry, node, &set->shadowed) {
        flow_set_entry_destroy(entry);
    }
    hmap_clear(&set->by_cookie);
    flow_set_give_up_log(set);
    flow_set_touch(set);
}

/* Returns the number of flows in effect in 'set'. */
size_t
flow_set_count(const struct flow_set *set)
{
    return hmap_count(&set->flows);
}

/* Returns the first 64 bits of 'uuid', which is how a flow's cookie names
 * the row the flow came from ("ovs-ofctl dump-flows" prints them as the
 * first 16 hex digits of the row's UUID without the dash). */
uint64_t
flow_set_cookie_from_uuid(const struct uuid *uuid)
{
    return ((uint64_t) uuid->parts[0] << 32) | uuid->parts[1];
}

static uint32_t
flow_set_hash_key(uint8_t table_id, uint16_t priority,
                  const struct minimatch *match)
{
    return minimatch_hash(match, hash_int(((uint32_t) table_id << 16)
                                          | priority, 0));
}

static uint32_t
flow_set_hash_cookie(uint64_t cookie)
{
    return hash_uint64(cookie);
}

static bool
flow_set_entry_same_key(const struct flow_set_entry *a,
                        const struct flow_set_entry *b)
{
    return (a->table_id == b->table_id
            && a->priority == b->priority
            && minimatch_equal(a->match, b->match));
}

/* Returns the entry in 'map', a map of "struct flow_set_entry"s hashed on
 * their key, with the same key as 'key' (an entry of any set), or NULL. */
static struct flow_set_entry *
flow_set_find_in(const struct hmap *map, const struct flow_set_entry *key)
{
    struct flow_set_entry *entry;

    HMAP_FOR_EACH_WITH_HASH (entry, node, key->node.hash, map) {
        if (flow_set_entry_same_key(entry, key)) {
            return entry;
        }
    }
    return NULL;
}

/* Returns the flow in 'set' with the same key as 'key' (an entry of any
 * set), or NULL. */
static struct flow_set_entry *
flow_set_find_key(const struct flow_set *set,
                  const struct flow_set_entry *key)
{
    return flow_set_find_in(&set->flows, key);
}

struct flow_set_entry *
flow_set_find_entry(const struct flow_set *set,
                    const struct flow_set_entry *flow)
{
    return flow_set_find_key(set, flow);
}

/* Decodes the OpenFlow 1.5 instructions in 'wire' into zeroed memory.  On
 * success, returns 0 and stores the actions in '*ofpactsp' (a malloc()ed
 * block, NULL if empty) and their length in '*lenp'.
 *
 * Some decoders grow their output with ofpbuf_put_uninit() and leave
 * padding inside an action (after a set_field's value, for example)
 * uninitialized.  ofpacts_equal() compares bytes, so the output must start
 * out zeroed for two decodings of the same wire bytes to compare equal. */
static enum ofperr
flow_set_decode_zeroed(const struct ofpbuf *wire, struct ofpact **ofpactsp,
                       size_t *lenp)
{
    for (size_t size = 4 * wire->size + 256; ; size *= 2) {
        struct ofpbuf in = ofpbuf_const_initializer(wire->data, wire->size);
        void *zeroed = xzalloc(size);
        struct ofpbuf out;

        ofpbuf_use_stub(&out, zeroed, size);
        enum ofperr error = ofpacts_pull_openflow_instructions(
            &in, wire->size, OFP15_VERSION, NULL, NULL, &out);
        bool fit = out.base == zeroed;
        if (!error && fit) {
            *lenp = out.size;
            *ofpactsp = out.size ? xmemdup(out.data, out.size) : NULL;
        }
        ofpbuf_uninit(&out);
        free(zeroed);

        if (error || fit) {
            return error;
        }
        /* The actions outgrew the zeroed memory: try again with more. */
    }
}

/* Stores in '*ofpactsp' and '*lenp' a copy of the 'ofpacts_len' bytes of
 * actions in 'ofpacts', in the form the switch reports them back: encoded
 * to OpenFlow 1.5 and decoded again.  A locally composed action differs
 * from the same action decoded from the wire in its 'raw' member and
 * sometimes in more, so without this every flow read back from the switch
 * would look modified.  Two spellings of one action also end up equal. */
static void
flow_set_normalize_ofpacts(const struct ofpact *ofpacts, size_t ofpacts_len,
                           struct ofpact **ofpactsp, size_t *lenp)
{
    if (!ofpacts_len) {
        /* Drop.  (The decoder refuses an empty set of instructions.) */
        *ofpactsp = NULL;
        *lenp = 0;
        return;
    }

    uint64_t wire_stub[1024 / 8];
    struct ofpbuf wire = OFPBUF_STUB_INITIALIZER(wire_stub);

    ofpacts_put_openflow_instructions(ofpacts, ofpacts_len, &wire,
                                      OFP15_VERSION);
    enum ofperr error = flow_set_decode_zeroed(&wire, ofpactsp, lenp);
    if (error) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

        /* Keep the actions as given: at worst the flow is rewritten after
         * every dump, and the switch gets to say what is wrong with it. */
        VLOG_WARN_RL(&rl, "actions do not survive OpenFlow 1.5 encoding "
                     "(%s)", ofperr_to_string(error));
        *ofpactsp = ofpacts_len ? xmemdup(ofpacts, ofpacts_len) : NULL;
        *lenp = ofpacts_len;
    }
    ofpbuf_uninit(&wire);
}

/* Stores in 'dst' the match 'src' as the switch reports it back: encoded
 * to OpenFlow 1.5 and decoded again.  The decoder adds prerequisites that
 * the agent need not spell out (a match on an Ethernet field gets
 * "packet_type=(0,0)"), so without this the flow read back from the switch
 * would not be found in the desired set: it would be deleted and added
 * again after every dump. */
static void
flow_set_normalize_match(const struct match *src, struct match *dst)
{
    uint64_t wire_stub[1024 / 8];
    struct ofpbuf wire = OFPBUF_STUB_INITIALIZER(wire_stub);

    oxm_put_match(&wire, src, OFP15_VERSION);
    enum ofperr error = oxm_pull_match_loose(&wire, false, NULL, dst);
    if (error) {
        static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);

        VLOG_WARN_RL(&rl, "match does not survive OpenFlow 1.5 encoding "
                     "(%s)", ofperr_to_string(error));
        *dst = *src;
    }
    ofpbuf_uninit(&wire);
}

/* Inserts 'entry' into 'set', in effect, and logs its key.  'set' must have
 * no flow in effect with its key. */
static void
flow_set_insert(struct flow_set *set, struct flow_set_entry *entry)
{
    entry->shadowed = false;
    hmap_insert(&set->flows, &entry->node,
                flow_set_hash_key(entry->table_id, entry->priority,
                                  entry->match));
    hmap_insert(&set->by_cookie, &entry->cookie_node,
                flow_set_hash_cookie(entry->cookie));
    flow_set_log_key(set, entry);
}

/* Inserts 'entry', whose 'node.hash' is set, into 'set' as shadowed. */
static void
flow_set_insert_shadowed(struct flow_set *set, struct flow_set_entry *entry)
{
    entry->shadowed = true;
    hmap_insert(&set->shadowed, &entry->node, entry->node.hash);
    hmap_insert(&set->by_cookie, &entry->cookie_node,
                flow_set_hash_cookie(entry->cookie));
}

bool
flow_set_add(struct flow_set *set, uint8_t table_id, uint16_t priority,
             uint64_t cookie, const struct match *match,
             const struct ofpact *ofpacts, size_t ofpacts_len)
{
    struct flow_set_entry *entry = xmalloc(sizeof *entry);

    entry->table_id = table_id;
    entry->priority = priority;
    entry->cookie = cookie;
    struct match normalized;
    flow_set_normalize_match(match, &normalized);
    entry->match = xmalloc(sizeof *entry->match);
    minimatch_init(entry->match, &normalized);

    flow_set_normalize_ofpacts(ofpacts, ofpacts_len, &entry->ofpacts,
                               &entry->ofpacts_len);

    entry->node.hash = flow_set_hash_key(table_id, priority, entry->match);

    /* This row's previous flow with this key goes; another row's stays. */
    struct flow_set_entry *shadow;
    HMAP_FOR_EACH_WITH_HASH (shadow, node, entry->node.hash, &set->shadowed) {
        if (shadow->cookie == cookie
            && flow_set_entry_same_key(shadow, entry)) {
            flow_set_remove_entry(set, shadow);
            break;
        }
    }
    struct flow_set_entry *old = flow_set_find_key(set, entry);
    if (old && old->cookie == cookie) {
        hmap_remove(&set->flows, &old->node);
        hmap_remove(&set->by_cookie, &old->cookie_node);
        flow_set_entry_destroy(old);
        flow_set_insert(set, entry);
        old = NULL;
    } else if (!old) {
        flow_set_insert(set, entry);
    } else if (cookie < old->cookie) {
        hmap_remove(&set->flows, &old->node);
        hmap_remove(&set->by_cookie, &old->cookie_node);
        flow_set_insert(set, entry);
        flow_set_insert_shadowed(set, old);
    } else {
        flow_set_insert_shadowed(set, entry);
    }
    flow_set_touch(set);
    return !old && !flow_set_find_next_shadowed(set, entry);
}

/* Removes every flow in 'set' whose cookie is 'cookie', and returns how many
 * it removed. */
size_t
flow_set_remove_cookie(struct flow_set *set, uint64_t cookie)
{
    uint32_t hash = flow_set_hash_cookie(cookie);
    struct hmap_node *node = hmap_first_with_hash(&set->by_cookie, hash);
    size_t n = 0;

    while (node) {
        struct hmap_node *next = hmap_next_with_hash(node);
        struct flow_set_entry *entry = CONTAINER_OF(node,
                                                    struct flow_set_entry,
                                                    cookie_node);
        if (entry->cookie == cookie) {
            flow_set_remove_entry(set, entry);
            n++;
        }
        node = next;
    }
    if (n) {
        flow_set_touch(set);
    }
    return n;
}

void
flow_set_remove(struct flow_set *set, struct flow_set_entry *entry)
{
    flow_set_remove_entry(set, entry);
    flow_set_touch(set);
}

/* Returns the flow in 'set' with 'table_id', 'priority' and 'match', or
 * NULL. */
struct flow_set_entry *
flow_set_find(const struct flow_set *set, uint8_t table_id,
              uint16_t priority, const struct match *match)
{
    struct flow_set_entry key = {
        .table_id = table_id,
        .priority = priority,
    };
    struct match normalized;
    struct minimatch minimatch;

    flow_set_normalize_match(match, &normalized);
    minimatch_init(&minimatch, &normalized);
    key.match = &minimatch;
    key.node.hash = flow_set_hash_key(table_id, priority, &minimatch);
    struct flow_set_entry *entry = flow_set_find_key(set, &key);
    minimatch_destroy(&minimatch);

    return entry;
}

static void
flow_set_add_change(struct ovs_list *changes,
                    enum flow_set_change_type type,
                    const struct flow_set_entry *flow)
{
    struct flow_set_change *change = xmalloc(sizeof *change);

    change->type = type;
    change->flow = flow;
    ovs_list_push_back(changes, &change->list_node);
}

/* Returns true if installed flow 'old' must be rewritten to become 'new',
 * which has the same key. */
static bool
flow_set_entry_differs(const struct flow_set_entry *new,
                       const struct flow_set_entry *old)
{
    return (new->cookie != old->cookie
            || !ofpacts_equal(new->ofpacts, new->ofpacts_len,
                              old->ofpacts, old->ofpacts_len));
}

bool
flow_set_entry_equal(const struct flow_set_entry *a,
                     const struct flow_set_entry *b)
{
    return (flow_set_entry_same_key(a, b)
            && !flow_set_entry_differs(a, b));
}

void
flow_set_diff(const struct flow_set *desired,
              const struct flow_set *installed,
              struct ovs_list *changes)
{
    struct ovs_list adds = OVS_LIST_INITIALIZER(&adds);
    const struct flow_set_entry *entry;

    HMAP_FOR_EACH (entry, node, &installed->flows) {
        if (!flow_set_find_key(desired, entry)) {
            flow_set_add_change(changes, FLOW_SET_DELETE, entry);
        }
    }

    HMAP_FOR_EACH (entry, node, &desired->flows) {
        const struct flow_set_entry *old = flow_set_find_key(installed,
                                                             entry);
        if (!old) {
            flow_set_add_change(&adds, FLOW_SET_ADD, entry);
        } else if (flow_set_entry_differs(entry, old)) {
            flow_set_add_change(changes, FLOW_SET_MODIFY, entry);
        }
    }

    ovs_list_push_back_all(changes, &adds);
}

bool
flow_set_diff_changed(const struct flow_set *desired,
                      const struct flow_set *installed,
                      struct ovs_list *changes)
{
    if (desired->all_changed) {
        flow_set_diff(desired, installed, changes);
        return false;
    }

    struct ovs_list modifies = OVS_LIST_INITIALIZER(&modifies);
    struct ovs_list adds = OVS_LIST_INITIALIZER(&adds);
    const struct flow_set_entry *key;

    /* A key outside the log names the same flow, or no flow, in both sets:
     * only the logged keys can differ. */
    HMAP_FOR_EACH (key, node, &desired->changed_keys) {
        const struct flow_set_entry *new = flow_set_find_key(desired, key);
        const struct flow_set_entry *old = flow_set_find_key(installed, key);

        if (!new) {
            if (old) {
                flow_set_add_change(changes, FLOW_SET_DELETE, old);
            }
        } else if (!old) {
            flow_set_add_change(&adds, FLOW_SET_ADD, new);
        } else if (flow_set_entry_differs(new, old)) {
            flow_set_add_change(&modifies, FLOW_SET_MODIFY, new);
        }
    }

    ovs_list_push_back_all(changes, &modifies);
    ovs_list_push_back_all(changes, &adds);
    return true;
}

void
flow_set_clear_changes(struct flow_set *set)
{
    flow_set_free_log(set);
    set->all_changed = false;
    set->log_version = set->version;
}

bool
flow_set_log_covers(const struct flow_set *set, uint64_t version)
{
    return !set->all_changed && set->log_version == version;
}

/* Frees the changes in 'changes' (but not the flows they point to), leaving
 * the list empty. */
void
flow_set_changes_destroy(struct ovs_list *changes)
{
    struct flow_set_change *change;

    LIST_FOR_EACH_POP (change, list_node, changes) {
        free(change);
    }
}

static struct flow_set_entry *
flow_set_entry_clone(const struct flow_set_entry *src)
{
    struct flow_set_entry *entry = xmalloc(sizeof *entry);

    entry->table_id = src->table_id;
    entry->priority = src->priority;
    entry->cookie = src->cookie;
    entry->match = xmalloc(sizeof *entry->match);
    minimatch_clone(entry->match, src->match);
    entry->ofpacts = (src->ofpacts_len
                      ? xmemdup(src->ofpacts, src->ofpacts_len)
                      : NULL);
    entry->ofpacts_len = src->ofpacts_len;
    return entry;
}

void
flow_set_apply(struct flow_set *installed, const struct ovs_list *changes)
{
    const struct flow_set_change *change;

    LIST_FOR_EACH (change, list_node, changes) {
        struct flow_set_entry *old = flow_set_find_key(installed,
                                                       change->flow);
        switch (change->type) {
        case FLOW_SET_DELETE:
            ovs_assert(old);
            flow_set_remove_entry(installed, old);
            break;

        case FLOW_SET_MODIFY:
            ovs_assert(old);
            flow_set_remove_entry(installed, old);
            flow_set_insert(installed, flow_set_entry_clone(change->flow));
            break;

        case FLOW_SET_ADD:
            ovs_assert(!old);
            flow_set_insert(installed, flow_set_entry_clone(change->flow));
            break;

        default:
            OVS_NOT_REACHED();
        }
    }
    flow_set_touch(installed);
}

void
flow_set_copy(struct flow_set *dst, const struct flow_set *src)
{
    const struct flow_set_entry *entry;

    flow_set_clear(dst);
    hmap_reserve(&dst->flows, hmap_count(&src->flows));
    hmap_reserve(&dst->by_cookie, hmap_count(&src->flows));
    HMAP_FOR_EACH (entry, node, &src->flows) {
        flow_set_insert(dst, flow_set_entry_clone(entry));
    }
    flow_set_touch(dst);
}

/* Appends 'entry' to 's' in the form "ovs-ofctl --no-stats dump-flows"
 * prints it, so that the two can be compared line by line. */
void
flow_set_entry_format(const struct flow_set_entry *entry, struct ds *s)
{
    if (entry->cookie) {
        ds_put_format(s, "cookie=%#"PRIx64", ", entry->cookie);
    }
    if (entry->table_id) {
        ds_put_format(s, "table=%"PRIu8", ", entry->table_id);
    }

    size_t length = s->length;
    minimatch_format(entry->match, NULL, NULL, s, entry->priority);
    if (s->length != length) {
        ds_put_char(s, ' ');
    }

    ds_put_cstr(s, "actions=");
    struct ofpact_format_params fp = { .s = s };
    ofpacts_format(entry->ofpacts, entry->ofpacts_len, &fp);
}
