/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "ofctrl.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>
#include <sys/stat.h>

#include "byte-order.h"
#include "dirs.h"
#include "dp-packet.h"
#include "flow-set.h"
#include "openflow/openflow.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/list.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-actions.h"
#include "openvswitch/ofp-bundle.h"
#include "openvswitch/ofp-connection.h"
#include "openvswitch/ofp-errors.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/ofp-meter.h"
#include "openvswitch/ofp-msgs.h"
#include "openvswitch/ofp-packet.h"
#include "openvswitch/ofp-port.h"
#include "openvswitch/ofp-print.h"
#include "openvswitch/ofp-protocol.h"
#include "openvswitch/ofp-switch.h"
#include "openvswitch/ofp-util.h"
#include "openvswitch/ofpbuf.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/rconn.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "socket-util.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(ofctrl);

/* The connection's state machine (see also ofctrl.h):
 *
 *                   rconn connects
 *   DISCONNECTED ------------------> DUMPING <-------------------------+
 *        ^                             |  sends a flow stats request    |
 *        |                             |  for all tables and reads      |
 *        |                             |  every reply into 'installed'  |
 *        |                             v  (the last one has no "more")  |
 *        |                          SYNCED                              |
 *        |                             |  ofctrl_put() sends the diff   |
 *        |                             |  as one bundle, then a barrier |
 *        |                             |                                |
 *        |  rconn loses the            +--- the switch rejects a -------+
 *        +--connection (from                bundle
 *           any state)
 *
 * The agent never deletes flows it has not read: after a restart of the
 * agent or of ovs-vswitchd, the dump tells it what the switch has, and the
 * next put sends only the difference.
 *
 * Every message of one bundle (open, adds, commit) carries the same xid, so
 * that an error for any of them names the bundle, and so the req_cfg that it
 * was for.  The barrier that follows the commit has its own xid; its reply
 * confirms every flow mod sent before it.
 *
 * A flow whose actions or cookie changed is sent as an OFPFC_ADD, not as an
 * OFPFC_MODIFY_STRICT: from OpenFlow 1.2 on a modify cannot change a flow's
 * cookie (ovs-vswitchd takes a new cookie from a modify only in the NXM flow
 * mod of OpenFlow 1.0), while an add over a flow with the same table,
 * priority and match replaces its actions and cookie in place, keeps its
 * packet counters, and also works if the flow is unexpectedly missing.
 *
 * A bundle is atomic, so one flow that the switch refuses (an action that
 * names a group that does not exist, say, computed from a malformed row)
 * would hold back every other change.  When the switch rejects a bundle,
 * ofctrl therefore reads the refused flow mod out of the error, sets that
 * flow aside as "refused" (shown in the status, tried again if it changes
 * or after a reconnection), reads the switch's flows again and sends the
 * rest.  If it cannot tell which flow was refused, it waits before it sends
 * again, from OFCTRL_RETRY_MIN_MSEC doubling up to OFCTRL_RETRY_MAX_MSEC,
 * so that the agent does not spin.
 *
 * Once the connection is up, ofctrl asks for packet-ins and for the
 * bridge's ports.  ovs-vswitchd sends a service connection such as the
 * management socket no asynchronous message at all until it sets a nonzero
 * "miss_send_len" (OFPT_SET_CONFIG, see ofconn_receives_async_msg() in
 * ofproto/connmgr.c).  That message also sets the bridge's fragment
 * handling, so ofctrl first reads the switch's configuration
 * (OFPT_GET_CONFIG) and sends it back unchanged but for "miss_send_len".
 * Before that it narrows the asynchronous messages (OFPT_SET_ASYNC) to
 * packet-ins from actions and to the addition and deletion of ports
 * (OFPT_PORT_STATUS; not their modification, which the default for
 * OpenFlow 1.5 would add for every change of a link's state).  A port
 * description request (OFPMP_PORT_DESC), sent after the OFPT_SET_CONFIG,
 * gives the ports there are; the status messages that follow keep the table
 * current.  ovs-vswitchd sends a port's status as soon as it has added the
 * port, a database round trip (1 to 2 ms) before the Interface's "ofport"
 * column reaches the agent, which is why the binding of a VIF starts from
 * it (ofctrl_get_ports()).
 * Packet-ins wait in a queue of at most OFCTRL_MAX_PACKET_INS until the
 * caller takes them; beyond that they are dropped and counted.  A table miss
 * sends none: from OpenFlow 1.3 on that takes an explicit flow.
 *
 * rconn's reconnection back-off never goes below one second.  So that
 * traffic comes back quickly after ovs-vswitchd restarts, ofctrl also looks
 * at the bridge's management socket every OFCTRL_SOCKET_POLL_MSEC for a
 * while after the connection is lost, and asks rconn to connect at once when
 * a new socket appears. */

#define OFCTRL_STATES                           \
    OFCTRL_STATE(DISCONNECTED)                  \
    OFCTRL_STATE(DUMPING)                       \
    OFCTRL_STATE(SYNCED)

/* State of the connection, see the drawing above. */
enum ofctrl_state {
#define OFCTRL_STATE(NAME) OFCTRL_##NAME,
    OFCTRL_STATES
#undef OFCTRL_STATE
};

/* The only OpenFlow version ofctrl speaks: it needs bundles (1.4+) and uses
 * the 1.5 flow stats. */
#define OFCTRL_OFP_VERSION OFP15_VERSION
#define OFCTRL_PROTOCOL OFPUTIL_P_OF15_OXM

/* rconn's longest back-off between connection attempts, in seconds.  One
 * second is also rconn's shortest. */
#define OFCTRL_MAX_BACKOFF 1

/* While disconnected, how often ofctrl looks for a new management socket,
 * and for how long after the connection was lost or configured.  Past that,
 * rconn's own attempts every OFCTRL_MAX_BACKOFF seconds remain. */
#define OFCTRL_SOCKET_POLL_MSEC 50
#define OFCTRL_SOCKET_WATCH_MSEC (60 * 1000)

/* After the switch rejected a bundle without ofctrl finding out which flow
 * it refused, how long ofctrl_put() waits before it sends again: the first
 * time, and at most after repeated rejections. */
#define OFCTRL_RETRY_MIN_MSEC 1000
#define OFCTRL_RETRY_MAX_MSEC (32 * 1000)

/* The most messages ofctrl_run() reads in one call. */
#define OFCTRL_MAX_RECV 50

/* The most packet-ins waiting for ofctrl_take_packet_ins(). */
#define OFCTRL_MAX_PACKET_INS 100

/* A bundle that was sent and whose barrier has not been answered yet. */
struct ofctrl_barrier {
    struct ovs_list list_node;  /* In struct ofctrl's 'barriers'. */
    ovs_be32 bundle_xid;        /* Xid of every message in the bundle. */
    ovs_be32 barrier_xid;       /* Xid of the barrier request that follows. */
    uint64_t req_cfg;           /* Confirmed by the barrier reply. */
};

/* Identity of the file at a path, to notice that it was created anew. */
struct ofctrl_file_id {
    bool exists;                /* False if there is no such file. */
    dev_t dev;                  /* Device. */
    ino_t ino;                  /* Inode number. */
    struct timespec ctime;      /* Time of the last status change. */
};

/* A meter that the switch must have (ofctrl_set_meter()). */
struct ofctrl_meter {
    uint32_t id;
    uint32_t pktps;             /* Rate, in packets per second. */
    uint32_t burst;             /* Burst size, in packets. */

    /* The last OFPMC13_ADD and OFPMC13_MODIFY sent for it, and what became
     * of them (their errors come before the reply to the flow dump that
     * follows them). */
    ovs_be32 add_xid;
    ovs_be32 modify_xid;
    ovs_be32 prev_add_xid;      /* The same of the round before, whose */
    ovs_be32 prev_modify_xid;   /* errors may still be on their way. */
    bool existed;               /* The ADD found the meter in place. */
    bool refused;               /* The switch refused it. */
    bool check_flows;           /* Not yet looked at after the dump. */
    bool overlapped;            /* A round was sent before the previous
                                 * one was looked at: whether the meter
                                 * existed before is unknown. */
    char *error;                /* Why the switch refused it, or NULL; kept
                                 * over reconnections, so that the same
                                 * refusal is logged once. */
};

/* An OpenFlow connection to the integration bridge. */
struct ofctrl {
    /* Connection. */
    struct rconn *swconn;       /* To ovs-vswitchd. */
    char *bridge;               /* Bridge name, NULL if none. */
    char *sock_path;            /* RUNDIR/BRIDGE.mgmt. */
    char *target;               /* "unix:" + 'sock_path'. */
    unsigned int conn_seqno;    /* rconn's connection seqno, last seen. */
    enum ofctrl_state state;    /* See the drawing above. */

    /* Fast reconnection. */
    struct ofctrl_file_id sock_id; /* 'sock_path' as last seen. */
    long long int watch_until;  /* Look at 'sock_path' until then. */

    /* Flows. */
    struct flow_set installed;  /* What the switch has. */
    ovs_be32 dump_xid;          /* Xid of the flow stats request. */
    uint64_t put_desired_version;  /* Versions of the desired and installed */
    uint64_t put_installed_version; /* sets after the last put. */
    long long int retry_after;  /* No put until ofctrl_run() finds this
                                 * time due and clears it (0). */
    int retry_msec;             /* Next wait after a rejection, 0 if the
                                 * last bundle was not rejected. */
    struct flow_set refused;    /* Flows the switch refused. */
    ovs_be32 rejected_xid;      /* Xid of the last rejected bundle, whose */
    bool has_rejected_xid;      /* later errors are only echoes. */

    /* Meters, set again after every (re)connection. */
    struct ofctrl_meter *meters;
    size_t n_meters;

    /* Ports. */
    struct shash ports;         /* The bridge's ports: "struct ofctrl_port"s
                                 * by name, empty while disconnected. */
    uint64_t port_seqno;        /* Announcements of ports so far. */

    /* Packets. */
    struct ovs_list packet_ins; /* Contains "struct ofctrl_packet_in"s,
                                 * oldest first. */
    size_t n_queued_packet_ins; /* Length of 'packet_ins'. */

    /* Confirmation of puts. */
    struct ovs_list barriers;   /* Contains "struct ofctrl_barrier"s, oldest
                                 * first. */
    uint64_t cur_cfg;           /* Highest req_cfg the switch confirmed. */
    uint32_t next_bundle_id;    /* For the next bundle. */

    /* Statistics, for ofctrl_format_status(). */
    uint64_t n_dumps;           /* Flow dumps started. */
    uint64_t n_bundles;         /* Bundles sent. */
    uint64_t n_flow_mods;       /* Flow mods sent in bundles. */
    uint64_t n_rejected;        /* Bundles the switch rejected. */
    uint64_t n_full_diffs;      /* Puts that diffed every flow. */
    uint64_t n_log_diffs;       /* Puts that diffed the change log only. */
    uint64_t n_packet_ins;      /* Packet-ins received and queued. */
    uint64_t n_dropped_packet_ins; /* Packet-ins dropped: queue full. */
    uint64_t n_packet_outs;     /* Packet-outs sent. */
};

static void ofctrl_send_bundle(struct ofctrl *, const struct ovs_list *changes,
                               uint64_t req_cfg);
static void ofctrl_recv(struct ofctrl *, const struct ofp_header *,
                        enum ofptype);

static const char *
ofctrl_state_name(enum ofctrl_state state)
{
    switch (state) {
#define OFCTRL_STATE(NAME) case OFCTRL_##NAME: return #NAME;
        OFCTRL_STATES
#undef OFCTRL_STATE
    }
    return "<unknown>";
}

static void
ofctrl_set_state(struct ofctrl *of, enum ofctrl_state state)
{
    if (of->state != state) {
        VLOG_INFO("%s: %s -> %s", of->bridge ? of->bridge : "(no bridge)",
                  ofctrl_state_name(of->state), ofctrl_state_name(state));
        of->state = state;
    }
}

static void
ofctrl_file_id_get(const char *path, struct ofctrl_file_id *id)
{
    struct stat st;

    memset(id, 0, sizeof *id);
    if (path && !stat(path, &st)) {
        id->exists = true;
        id->dev = st.st_dev;
        id->ino = st.st_ino;
        id->ctime = st.st_ctim;
    }
}

static bool
ofctrl_file_id_equal(const struct ofctrl_file_id *a,
                     const struct ofctrl_file_id *b)
{
    return (a->exists == b->exists
            && a->dev == b->dev
            && a->ino == b->ino
            && a->ctime.tv_sec == b->ctime.tv_sec
            && a->ctime.tv_nsec == b->ctime.tv_nsec);
}

/* Forgets every bundle that awaits its barrier reply: their req_cfgs will
 * not be confirmed. */
static void
ofctrl_forget_barriers(struct ofctrl *of)
{
    struct ofctrl_barrier *barrier;

    LIST_FOR_EACH_POP (barrier, list_node, &of->barriers) {
        free(barrier);
    }
}

static ovs_be32
ofctrl_msg_xid(const struct ofpbuf *msg)
{
    const struct ofp_header *oh = msg->data;
    return oh->xid;
}

static void
ofctrl_msg_set_xid(struct ofpbuf *msg, ovs_be32 xid)
{
    struct ofp_header *oh = msg->data;
    oh->xid = xid;
}

static void
ofctrl_send(struct ofctrl *of, struct ofpbuf *msg)
{
    rconn_send(of->swconn, msg, NULL);
}

/* Creates a new OpenFlow connection, not connected anywhere until
 * ofctrl_set_bridge() names a bridge. */
struct ofctrl *
ofctrl_create(void)
{
    struct ofctrl *of = xzalloc(sizeof *of);

    /* No inactivity probes: over a Unix socket the death of ovs-vswitchd
     * shows as the end of the stream, and ovs-vswitchd probes the agent
     * itself every 60 s of silence. */
    of->swconn = rconn_create(0, OFCTRL_MAX_BACKOFF, DSCP_DEFAULT,
                              1u << OFCTRL_OFP_VERSION);
    of->conn_seqno = rconn_get_connection_seqno(of->swconn);
    of->state = OFCTRL_DISCONNECTED;
    flow_set_init(&of->installed);
    flow_set_init(&of->refused);
    shash_init(&of->ports);
    ovs_list_init(&of->barriers);
    ovs_list_init(&of->packet_ins);
    return of;
}

/* Closes the connection and frees 'of'.  The switch keeps its flows.  'of'
 * may be NULL. */
void
ofctrl_destroy(struct ofctrl *of)
{
    if (of) {
        rconn_destroy(of->swconn);
        flow_set_destroy(&of->installed);
        flow_set_destroy(&of->refused);
        for (size_t i = 0; i < of->n_meters; i++) {
            free(of->meters[i].error);
        }
        free(of->meters);
        shash_destroy_free_data(&of->ports);
        ofctrl_forget_barriers(of);

        struct ofctrl_packet_in *pin;
        LIST_FOR_EACH_POP (pin, list_node, &of->packet_ins) {
            ofctrl_packet_in_destroy(pin);
        }
        free(of->bridge);
        free(of->sock_path);
        free(of->target);
        free(of);
    }
}

void
ofctrl_set_bridge(struct ofctrl *of, const char *bridge)
{
    if (bridge && of->bridge && !strcmp(bridge, of->bridge)) {
        return;
    }

    ofctrl_forget_barriers(of);
    shash_clear_free_data(&of->ports);
    ofctrl_set_state(of, OFCTRL_DISCONNECTED);
    free(of->bridge);
    free(of->sock_path);
    free(of->target);

    if (bridge) {
        of->bridge = xstrdup(bridge);
        of->sock_path = xasprintf("%s/%s.mgmt", ovs_rundir(), bridge);
        of->target = xasprintf("unix:%s", of->sock_path);
        VLOG_INFO("%s: connecting to %s", bridge, of->target);
        ofctrl_file_id_get(of->sock_path, &of->sock_id);
        of->watch_until = time_msec() + OFCTRL_SOCKET_WATCH_MSEC;
        rconn_connect(of->swconn, of->target, of->target);
    } else {
        of->bridge = of->sock_path = of->target = NULL;
        rconn_disconnect(of->swconn);
    }
    of->conn_seqno = rconn_get_connection_seqno(of->swconn);
}

/* Clears 'installed' and asks the switch for every flow it has. */
static void
ofctrl_start_dump(struct ofctrl *of)
{
    struct ofputil_flow_stats_request fsr = {
        .aggregate = false,
        .table_id = OFPTT_ALL,
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
    };
    match_init_catchall(&fsr.match);

    struct ofpbuf *msg = ofputil_encode_flow_stats_request(&fsr,
                                                           OFCTRL_PROTOCOL);
    of->dump_xid = ofctrl_msg_xid(msg);
    ofctrl_send(of, msg);

    flow_set_clear(&of->installed);
    of->n_dumps++;
    ofctrl_set_state(of, OFCTRL_DUMPING);
}

/* Asks the switch for packet-ins from "controller" actions (whatever
 * reason they give), for the addition and deletion of ports, and for no
 * other asynchronous message.
 * See the comment at the top. */
static void
ofctrl_ask_for_async_msgs(struct ofctrl *of)
{
    struct ofputil_async_cfg ac = OFPUTIL_ASYNC_CFG_INIT;

    ac.primary[OAM_PACKET_IN] = ((1u << OFPR_ACTION) | OFPR14_ACTION_BITS
                                 | (1u << OFPR_NO_MATCH));
    ac.primary[OAM_PORT_STATUS] = (1u << OFPPR_ADD) | (1u << OFPPR_DELETE);
    ofctrl_send(of, ofputil_encode_set_async_config(&ac,
                                                    (1u << OAM_N_TYPES) - 1,
                                                    OFCTRL_OFP_VERSION));
    ofctrl_send(of, ofpraw_alloc(OFPRAW_OFPT_GET_CONFIG_REQUEST,
                                 OFCTRL_OFP_VERSION, 0));
}

/* Adds 'pp' to the known ports, or changes its number; 'announced' is true
 * for a port status message (a port added now), false for the description
 * of a port that was there (its 'seqno' is then 0: older than any
 * Interface row).  A name of the longest length OpenFlow carries may be the
 * truncation of a longer one: it is left out. */
static void
ofctrl_add_port(struct ofctrl *of, const struct ofputil_phy_port *pp,
                bool announced)
{
    uint16_t port_no = ofp_to_u16(pp->port_no);
    if (!port_no || port_no >= ofp_to_u16(OFPP_MAX)
        || strlen(pp->name) >= OFP_MAX_PORT_NAME_LEN - 1) {
        return;
    }

    struct ofctrl_port *port = shash_find_data(&of->ports, pp->name);
    if (!port) {
        port = xmalloc(sizeof *port);
        shash_add(&of->ports, pp->name, port);
    }
    port->port_no = pp->port_no;
    port->seqno = announced ? ++of->port_seqno : 0;
}

/* Reads one part of the reply to the port description request.  The
 * request follows the OFPT_SET_CONFIG that lets asynchronous messages
 * through, so the reply describes the ports as they were before every port
 * status message that comes after it. */
static void
ofctrl_recv_port_desc_reply(struct ofctrl *of, const struct ofp_header *oh)
{
    struct ofpbuf b = ofpbuf_const_initializer(oh, ntohs(oh->length));
    struct ofputil_phy_port pp;

    ofpraw_pull_assert(&b);
    while (!ofputil_pull_phy_port(oh->version, &b, &pp)) {
        ofctrl_add_port(of, &pp, false);
    }
}

/* Follows the addition or deletion of a port in 'oh', an
 * OFPT_PORT_STATUS. */
static void
ofctrl_recv_port_status(struct ofctrl *of, const struct ofp_header *oh)
{
    struct ofputil_port_status ps;

    if (ofputil_decode_port_status(oh, &ps)) {
        return;
    }
    if (ps.reason == OFPPR_DELETE) {
        free(shash_find_and_delete(&of->ports, ps.desc.name));
    } else {
        ofctrl_add_port(of, &ps.desc, true);
    }
}

/* Sends back the switch configuration in 'oh', an OFPT_GET_CONFIG_REPLY,
 * with a "miss_send_len" that lets packet-ins and port status messages
 * through (packet-ins whole), then asks for the ports. */
static void
ofctrl_recv_get_config_reply(struct ofctrl *of, const struct ofp_header *oh)
{
    struct ofputil_switch_config config;

    ofputil_decode_get_config_reply(oh, &config);
    config.miss_send_len = OFPCML12_NO_BUFFER;
    ofctrl_send(of, ofputil_encode_set_config(&config, OFCTRL_OFP_VERSION));
    ofctrl_send(of, ofputil_encode_port_desc_stats_request(OFCTRL_OFP_VERSION,
                                                           OFPP_ANY));
}

/* Sends meter 'm' to the switch: an OFPMC13_ADD, which fails if the
 * switch has it already (ovs-vswitchd keeps its meters while the agent
 * restarts), then an OFPMC13_MODIFY, which gives it 'm''s configuration in
 * either case.  Flows sent later find it in place. */
static void
ofctrl_send_meter(struct ofctrl *of, struct ofctrl_meter *m)
{
    struct ofputil_meter_band band = {
        .type = OFPMBT13_DROP,
        .rate = m->pktps,
        .burst_size = m->burst,
    };
    struct ofputil_meter_mod mm = {
        .command = OFPMC13_ADD,
        .meter = {
            .meter_id = m->id,
            .flags = OFPMF13_PKTPS | OFPMF13_BURST | OFPMF13_STATS,
            .n_bands = 1,
            .bands = &band,
        },
    };

    /* A round whose results were not looked at yet may have created the
     * meter, which this round's ADD would then find in place. */
    m->overlapped = m->check_flows;
    m->prev_add_xid = m->add_xid;
    m->prev_modify_xid = m->modify_xid;

    struct ofpbuf *msg = ofputil_encode_meter_mod(OFCTRL_OFP_VERSION, &mm);
    m->add_xid = ofctrl_msg_xid(msg);
    ofctrl_send(of, msg);

    mm.command = OFPMC13_MODIFY;
    msg = ofputil_encode_meter_mod(OFCTRL_OFP_VERSION, &mm);
    m->modify_xid = ofctrl_msg_xid(msg);
    ofctrl_send(of, msg);

    m->existed = m->refused = false;
    m->check_flows = true;
}

/* Sends every meter to the switch, before the flow dump that follows. */
static void
ofctrl_send_meters(struct ofctrl *of)
{
    for (size_t i = 0; i < of->n_meters; i++) {
        ofctrl_send_meter(of, &of->meters[i]);
    }
}

/* Takes 'error' for meter 'm''s ADD (if 'add') or MODIFY. */
static void
ofctrl_meter_error(struct ofctrl *of, struct ofctrl_meter *m, bool add,
                   enum ofperr error)
{
    if (add && error == OFPERR_OFPMMFC_METER_EXISTS) {
        /* Kept from before a restart of the agent: the MODIFY sets it. */
        m->existed = true;
    } else if (!m->refused) {
        /* A refused ADD also fails the MODIFY: the first error says why. */
        const char *error_s = ofperr_to_string(error);
        m->refused = true;
        if (!m->error || strcmp(m->error, error_s)) {
            VLOG_WARN("%s: the switch refused meter %"PRIu32" (%s): flows "
                      "that use it send the agent packets without a limit",
                      of->bridge, m->id, error_s);
            free(m->error);
            m->error = xstrdup(error_s);
        }
    }
}

/* Returns true if 'flow' has a "controller" action with meter 'meter_id'. */
static bool
ofctrl_flow_uses_meter(const struct flow_set_entry *flow, uint32_t meter_id)
{
    const struct ofpact *a;

    OFPACT_FOR_EACH_FLATTENED (a, flow->ofpacts, flow->ofpacts_len) {
        if (a->type == OFPACT_CONTROLLER
            && ofpact_get_CONTROLLER(a)->meter_id == meter_id) {
            return true;
        }
    }
    return false;
}

/* Called once the switch's flows are read after meters were sent: forgets
 * refusals that did not happen again, and sends again, as one bundle, the
 * flows that use a meter the switch did not have before.  ovs-vswitchd
 * looks a "controller" action's meter up when it adds the flow, and one
 * that did not exist then leaves the flow without a limit for good: flows
 * restored before their meters (ovs-save, while ovs-vswitchd restarts) or
 * kept after "ovs-ofctl del-meters".  Adding such a flow again replaces it
 * with one that finds the meter. */
static void
ofctrl_refresh_metered_flows(struct ofctrl *of)
{
    struct ovs_list changes = OVS_LIST_INITIALIZER(&changes);

    for (size_t i = 0; i < of->n_meters; i++) {
        struct ofctrl_meter *m = &of->meters[i];
        if (!m->check_flows) {
            continue;
        }
        m->check_flows = false;
        if (!m->refused) {
            free(m->error);
            m->error = NULL;
        }
        if (m->refused || (m->existed && !m->overlapped)) {
            continue;
        }

        const struct flow_set_entry *flow;
        HMAP_FOR_EACH (flow, node, &of->installed.flows) {
            if (ofctrl_flow_uses_meter(flow, m->id)) {
                struct flow_set_change *change = xmalloc(sizeof *change);
                change->type = FLOW_SET_MODIFY;
                change->flow = flow;
                ovs_list_push_back(&changes, &change->list_node);
            }
        }
    }
    if (!ovs_list_is_empty(&changes)) {
        VLOG_INFO("%s: adding %"PRIuSIZE" flows again, so that they find "
                  "their meters", of->bridge, ovs_list_size(&changes));
        ofctrl_send_bundle(of, &changes, of->cur_cfg);
        flow_set_changes_destroy(&changes);
    }
}

/* Returns the meter whose last or previous OFPMC13_ADD (if 'add') or
 * OFPMC13_MODIFY has 'xid', or NULL.  (A meter mod never sent has xid 0,
 * which matches nothing.) */
static struct ofctrl_meter *
ofctrl_find_meter_mod(struct ofctrl *of, ovs_be32 xid, bool add)
{
    if (!xid) {
        return NULL;
    }
    for (size_t i = 0; i < of->n_meters; i++) {
        struct ofctrl_meter *m = &of->meters[i];
        if (add ? xid == m->add_xid || xid == m->prev_add_xid
                : xid == m->modify_xid || xid == m->prev_modify_xid) {
            return m;
        }
    }
    return NULL;
}

void
ofctrl_set_meter(struct ofctrl *of, uint32_t meter_id, uint32_t pktps,
                 uint32_t burst)
{
    struct ofctrl_meter *m = NULL;
    for (size_t i = 0; i < of->n_meters; i++) {
        if (of->meters[i].id == meter_id) {
            m = &of->meters[i];
            break;
        }
    }
    if (!m) {
        of->meters = xrealloc(of->meters,
                              (of->n_meters + 1) * sizeof *of->meters);
        m = &of->meters[of->n_meters++];
        memset(m, 0, sizeof *m);
        m->id = meter_id;
    } else if (m->pktps == pktps && m->burst == burst) {
        return;
    }
    m->pktps = pktps;
    m->burst = burst;
    if (of->bridge && rconn_is_connected(of->swconn)) {
        ofctrl_send_meter(of, m);
    }
}

/* Looks at the management socket while disconnected, and asks rconn to
 * connect at once if it was created anew (ovs-vswitchd restarted). */
static void
ofctrl_watch_socket(struct ofctrl *of)
{
    if (time_msec() >= of->watch_until) {
        return;
    }

    struct ofctrl_file_id id;
    ofctrl_file_id_get(of->sock_path, &id);
    if (id.exists && !ofctrl_file_id_equal(&id, &of->sock_id)) {
        VLOG_INFO("%s: %s appeared, connecting now", of->bridge,
                  of->sock_path);
        rconn_connect(of->swconn, of->target, of->target);
    }
    of->sock_id = id;
}

/* Notices a new connection or the loss of one, and acts on it. */
static void
ofctrl_check_connection(struct ofctrl *of)
{
    unsigned int seqno = rconn_get_connection_seqno(of->swconn);
    if (seqno != of->conn_seqno) {
        of->conn_seqno = seqno;
        ofctrl_forget_barriers(of);
        shash_clear_free_data(&of->ports);
        if (rconn_is_connected(of->swconn)) {
            /* Remember this socket, so that its stale file after a crash of
             * ovs-vswitchd does not look new. */
            ofctrl_file_id_get(of->sock_path, &of->sock_id);

            /* A new switch may take what the old one refused. */
            flow_set_clear(&of->refused);
            of->retry_after = 0;
            of->retry_msec = 0;
            of->has_rejected_xid = false;
            ofctrl_ask_for_async_msgs(of);
            ofctrl_send_meters(of);
            ofctrl_start_dump(of);
        } else {
            ofctrl_set_state(of, OFCTRL_DISCONNECTED);
            of->watch_until = time_msec() + OFCTRL_SOCKET_WATCH_MSEC;
        }
    }
}

/* Runs the connection: connects, reads the switch's flows after every
 * (re)connection, and processes replies and errors.  Returns true if the
 * caller may have something to do (see ofctrl.h). */
bool
ofctrl_run(struct ofctrl *of)
{
    if (!of->bridge) {
        return false;
    }

    enum ofctrl_state old_state = of->state;
    unsigned int old_conn_seqno = of->conn_seqno;
    bool changed = false;

    rconn_run(of->swconn);

    ofctrl_check_connection(of);
    if (!rconn_is_connected(of->swconn)) {
        ofctrl_watch_socket(of);
        return of->state != old_state || of->conn_seqno != old_conn_seqno;
    }

    int i;
    for (i = 0; i < OFCTRL_MAX_RECV; i++) {
        struct ofpbuf *msg = rconn_recv(of->swconn);
        if (!msg) {
            break;
        }

        const struct ofp_header *oh = msg->data;
        enum ofptype type;
        enum ofperr error = ofptype_decode(&type, oh);
        if (!error) {
            ofctrl_recv(of, oh, type);
            /* ovs-vswitchd's probes concern the connection alone, and the
             * caller takes packet-ins with ofctrl_take_packet_ins(). */
            changed |= (type != OFPTYPE_ECHO_REQUEST
                        && type != OFPTYPE_PACKET_IN);
        } else {
            static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
            VLOG_WARN_RL(&rl, "%s: could not decode OpenFlow message (%s)",
                         of->bridge, ofperr_to_string(error));
        }
        ofpbuf_delete(msg);
    }
    /* Reading may have ended the connection: act on it now rather than
     * after the next wake-up. */
    ofctrl_check_connection(of);
    if (i >= OFCTRL_MAX_RECV) {
        /* More may be waiting: come back without blocking, after the rest
         * of the main loop had its turn. */
        poll_immediate_wake();
    }

    /* A put held back after a rejected bundle is due. */
    if (of->retry_after && time_msec() >= of->retry_after) {
        of->retry_after = 0;
        changed = true;
    }
    return changed || of->state != old_state
           || of->conn_seqno != old_conn_seqno;
}

/* Arranges for poll_block() to wake up when ofctrl_run() has work to do. */
void
ofctrl_wait(struct ofctrl *of)
{
    if (!of->bridge) {
        return;
    }

    rconn_run_wait(of->swconn);
    rconn_recv_wait(of->swconn);

    long long int now = time_msec();
    if (!rconn_is_connected(of->swconn) && now < of->watch_until) {
        poll_timer_wait_until(MIN(now + OFCTRL_SOCKET_POLL_MSEC,
                                  of->watch_until));
    }
    if (of->state == OFCTRL_SYNCED && of->retry_after) {
        /* At once if it is due already: ofctrl_run() clears it then. */
        poll_timer_wait_until(of->retry_after);
    }
}

/* Adds the flows of one flow stats reply to 'installed'. */
static void
ofctrl_recv_flow_stats(struct ofctrl *of, const struct ofp_header *oh)
{
    struct ofpbuf msg = ofpbuf_const_initializer(oh, ntohs(oh->length));
    uint64_t ofpacts_stub[1024 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(ofpacts_stub);

    for (;;) {
        struct ofputil_flow_stats fs;
        int retval = ofputil_decode_flow_stats_reply(&fs, &msg, false,
                                                     &ofpacts);
        if (retval) {
            if (retval != EOF) {
                static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
                VLOG_WARN_RL(&rl, "%s: could not decode flow stats reply "
                             "(%s), reconnecting", of->bridge,
                             ofperr_to_string(retval));
                ofpbuf_uninit(&ofpacts);
                rconn_reconnect(of->swconn);
                return;
            }
            break;
        }
        flow_set_add(&of->installed, fs.table_id, fs.priority,
                     ntohll(fs.cookie), &fs.match, fs.ofpacts,
                     fs.ofpacts_len);
    }
    ofpbuf_uninit(&ofpacts);

    if (!ofpmp_more(oh)) {
        VLOG_INFO("%s: the switch has %"PRIuSIZE" flows", of->bridge,
                  flow_set_count(&of->installed));
        ofctrl_set_state(of, OFCTRL_SYNCED);
        ofctrl_refresh_metered_flows(of);
    }
}

static void
ofctrl_recv_barrier_reply(struct ofctrl *of, const struct ofp_header *oh)
{
    struct ofctrl_barrier *barrier;

    LIST_FOR_EACH (barrier, list_node, &of->barriers) {
        if (barrier->barrier_xid == oh->xid) {
            break;
        }
    }
    if (!barrier) {
        return;
    }
    of->retry_msec = 0;

    /* A switch answers barriers in order, so this one also confirms every
     * older bundle. */
    struct ofctrl_barrier *oldest;
    LIST_FOR_EACH_POP (oldest, list_node, &of->barriers) {
        of->cur_cfg = MAX(of->cur_cfg, oldest->req_cfg);
        bool last = oldest == barrier;
        free(oldest);
        if (last) {
            break;
        }
    }
}

static struct ofctrl_barrier *
ofctrl_find_bundle(const struct ofctrl *of, ovs_be32 xid)
{
    struct ofctrl_barrier *barrier;

    LIST_FOR_EACH (barrier, list_node, &of->barriers) {
        if (barrier->bundle_xid == xid) {
            return barrier;
        }
    }
    return NULL;
}

/* Tries to find in 'payload', the request that an OFPT_ERROR names, a flow
 * mod inside a bundle, and if so adds its flow to 'of->refused' and returns
 * it. */
static const struct flow_set_entry *
ofctrl_refuse_flow(struct ofctrl *of, const struct ofpbuf *payload)
{
    const struct flow_set_entry *refused = NULL;
    struct ofputil_bundle_add_msg bam;
    enum ofptype type;

    if (payload->size < sizeof(struct ofp_header)
        || ntohs(((const struct ofp_header *) payload->data)->length)
           != payload->size
        || ofputil_decode_bundle_add(payload->data, &bam, &type)
        || type != OFPTYPE_FLOW_MOD) {
        return NULL;
    }

    uint64_t ofpacts_stub[1024 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(ofpacts_stub);
    struct ofputil_flow_mod fm;
    if (!ofputil_decode_flow_mod(&fm, bam.msg, OFCTRL_PROTOCOL, NULL, NULL,
                                 &ofpacts, OFPP_MAX, OFPTT_ALL - 1)) {
        if (fm.command == OFPFC_ADD) {
            struct match match;

            minimatch_expand(&fm.match, &match);
            /* The latest refusal of the key is the one that counts: not
             * one kept aside for another row's (flow-set.h). */
            struct flow_set_entry *old = flow_set_find(&of->refused,
                                                       fm.table_id,
                                                       fm.priority, &match);
            while (old) {
                flow_set_remove(&of->refused, old);
                old = flow_set_find(&of->refused, fm.table_id, fm.priority,
                                    &match);
            }
            flow_set_add(&of->refused, fm.table_id, fm.priority,
                         ntohll(fm.new_cookie), &match, fm.ofpacts,
                         fm.ofpacts_len);
            refused = flow_set_find(&of->refused, fm.table_id, fm.priority,
                                    &match);
        }
        minimatch_destroy(&fm.match);
    }
    ofpbuf_uninit(&ofpacts);
    return refused;
}

/* Handles the switch's rejection of the bundle 'bundle', for the reason in
 * the OFPT_ERROR 'oh' that carries 'error' and 'payload'. */
static void
ofctrl_bundle_rejected(struct ofctrl *of, const struct ofctrl_barrier *bundle,
                       enum ofperr error, const struct ofpbuf *payload)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 10);
    const char *error_s = error ? ofperr_to_string(error) : "undecodable";

    of->n_rejected++;
    of->rejected_xid = bundle->bundle_xid;
    of->has_rejected_xid = true;

    const struct flow_set_entry *refused = ofctrl_refuse_flow(of, payload);
    if (refused) {
        struct ds s = DS_EMPTY_INITIALIZER;

        flow_set_entry_format(refused, &s);
        VLOG_WARN_RL(&rl, "%s: the switch refused a flow (%s), leaving it "
                     "out: %s", of->bridge, error_s, ds_cstr(&s));
        ds_destroy(&s);
        of->retry_msec = 0;
    } else {
        of->retry_msec = (of->retry_msec
                          ? MIN(2 * of->retry_msec, OFCTRL_RETRY_MAX_MSEC)
                          : OFCTRL_RETRY_MIN_MSEC);
        of->retry_after = time_msec() + of->retry_msec;
        if (!VLOG_DROP_WARN(&rl)) {
            char *s = (payload->size
                       ? ofp_to_string(payload->data, payload->size,
                                       NULL, NULL, 1)
                       : xstrdup("(no request in the error)"));
            VLOG_WARN("%s: the switch rejected the flows for cfg %"PRIu64" "
                      "(%s), sending again in %d ms: %s", of->bridge,
                      bundle->req_cfg, error_s, of->retry_msec, s);
            free(s);
        }
    }

    /* The failed bundle changed nothing (it is atomic), but 'installed'
     * already took its changes for granted and every later put builds on
     * that: read what the switch really has, and let the next put send the
     * true difference. */
    ofctrl_forget_barriers(of);
    ofctrl_start_dump(of);
}

static void
ofctrl_recv_error(struct ofctrl *of, const struct ofp_header *oh)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 10);
    struct ofpbuf payload;
    enum ofperr error = ofperr_decode_msg(oh, &payload);
    const char *error_s = error ? ofperr_to_string(error) : "undecodable";
    struct ofctrl_barrier *bundle;
    struct ofctrl_meter *meter;

    if (of->state == OFCTRL_DUMPING && oh->xid == of->dump_xid) {
        VLOG_WARN_RL(&rl, "%s: the switch refused the flow dump (%s), "
                     "reconnecting", of->bridge, error_s);
        rconn_reconnect(of->swconn);
    } else if ((bundle = ofctrl_find_bundle(of, oh->xid)) != NULL) {
        /* Also while dumping: ofctrl_resync() dumps with bundles still
         * outstanding, and a rejected one must not be confirmed by its
         * barrier. */
        ofctrl_bundle_rejected(of, bundle, error, &payload);
    } else if ((meter = ofctrl_find_meter_mod(of, oh->xid, true)) != NULL) {
        ofctrl_meter_error(of, meter, true, error);
    } else if ((meter = ofctrl_find_meter_mod(of, oh->xid, false)) != NULL) {
        ofctrl_meter_error(of, meter, false, error);
    } else if (of->has_rejected_xid && oh->xid == of->rejected_xid) {
        /* The switch reports a failed commit twice: for the flow mod and
         * for the commit. */
        VLOG_DBG("%s: %s for a rejected bundle", of->bridge, error_s);
    } else if (!VLOG_DROP_WARN(&rl)) {
        char *s = (payload.size
                   ? ofp_to_string(payload.data, payload.size, NULL, NULL, 1)
                   : xstrdup("(no request in the error)"));
        VLOG_WARN("%s: OpenFlow error (%s): %s", of->bridge, error_s, s);
        free(s);
    }
    ofpbuf_uninit(&payload);
}

/* Queues the packet-in 'oh', or drops it if the queue is full. */
static void
ofctrl_recv_packet_in(struct ofctrl *of, const struct ofp_header *oh)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    struct ofputil_packet_in pin;
    size_t total_len;
    uint32_t buffer_id;

    enum ofperr error = ofputil_decode_packet_in(oh, true, NULL, NULL, &pin,
                                                 &total_len, &buffer_id,
                                                 NULL);
    if (error) {
        VLOG_WARN_RL(&rl, "%s: could not decode packet-in (%s)", of->bridge,
                     ofperr_to_string(error));
        return;
    }
    if (of->n_queued_packet_ins >= OFCTRL_MAX_PACKET_INS) {
        of->n_dropped_packet_ins++;
        VLOG_WARN_RL(&rl, "%s: %d packet-ins wait already, dropping one",
                     of->bridge, OFCTRL_MAX_PACKET_INS);
        return;
    }

    struct ofctrl_packet_in *opi = xmalloc(sizeof *opi);
    opi->table_id = pin.table_id;
    opi->cookie = ntohll(pin.cookie);
    opi->reason = pin.reason;
    opi->in_port = pin.flow_metadata.flow.in_port.ofp_port;
    opi->tun_id = ntohll(pin.flow_metadata.flow.tunnel.tun_id);
    opi->packet = dp_packet_clone_data(pin.packet, pin.packet_len);
    ovs_list_push_back(&of->packet_ins, &opi->list_node);
    of->n_queued_packet_ins++;
    of->n_packet_ins++;
}

static void
ofctrl_recv(struct ofctrl *of, const struct ofp_header *oh,
            enum ofptype type)
{
    if (type == OFPTYPE_ECHO_REQUEST) {
        /* rconn sends its own probes but does not answer the switch's. */
        ofctrl_send(of, ofputil_encode_echo_reply(oh));
    } else if (type == OFPTYPE_FLOW_STATS_REPLY) {
        if (of->state == OFCTRL_DUMPING && oh->xid == of->dump_xid) {
            ofctrl_recv_flow_stats(of, oh);
        }
    } else if (type == OFPTYPE_BARRIER_REPLY) {
        ofctrl_recv_barrier_reply(of, oh);
    } else if (type == OFPTYPE_PACKET_IN) {
        ofctrl_recv_packet_in(of, oh);
    } else if (type == OFPTYPE_GET_CONFIG_REPLY) {
        ofctrl_recv_get_config_reply(of, oh);
    } else if (type == OFPTYPE_PORT_DESC_STATS_REPLY) {
        ofctrl_recv_port_desc_reply(of, oh);
    } else if (type == OFPTYPE_PORT_STATUS) {
        ofctrl_recv_port_status(of, oh);
    } else if (type == OFPTYPE_ERROR) {
        ofctrl_recv_error(of, oh);
    } else if (VLOG_IS_DBG_ENABLED()) {
        /* Bundle replies and the like: nothing to do. */
        char *s = ofp_to_string(oh, ntohs(oh->length), NULL, NULL, 1);
        VLOG_DBG("%s: ignoring %s", of->bridge, s);
        free(s);
    }
}

bool
ofctrl_is_synced(const struct ofctrl *of)
{
    return of->state == OFCTRL_SYNCED;
}

bool
ofctrl_is_holding_back(const struct ofctrl *of)
{
    /* ofctrl_run() clears 'retry_after' once it is due, which the put
     * after it then sends: until then, the put is held back. */
    return of->retry_after != 0;
}

const struct shash *
ofctrl_get_ports(const struct ofctrl *of)
{
    return &of->ports;
}

uint64_t
ofctrl_get_port_seqno(const struct ofctrl *of)
{
    return of->port_seqno;
}

void
ofctrl_resync(struct ofctrl *of)
{
    /* The switch answers messages in order, so the dump shows the effect of
     * every bundle sent before it; their barriers still confirm them. */
    if (of->bridge && rconn_is_connected(of->swconn)
        && of->state != OFCTRL_DISCONNECTED) {
        VLOG_INFO("%s: setting the meters and reading the switch's flows "
                  "again", of->bridge);
        ofctrl_send_meters(of);
        ofctrl_start_dump(of);
    }
}

/* Encodes the flow mod for 'change' as a message of the bundle with 'xid'
 * and 'bc'. */
static struct ofpbuf *
ofctrl_encode_change(const struct flow_set_change *change, ovs_be32 xid,
                     const struct ofputil_bundle_ctrl_msg *bc)
{
    const struct flow_set_entry *flow = change->flow;
    struct ofputil_flow_mod fm = {
        .match = *flow->match,
        .priority = flow->priority,
        .table_id = flow->table_id,
        .buffer_id = UINT32_MAX,
        .out_port = OFPP_ANY,
        .out_group = OFPG_ANY,
    };

    if (change->type == FLOW_SET_DELETE) {
        /* Matches the flow whatever its cookie. */
        fm.command = OFPFC_DELETE_STRICT;
        fm.new_cookie = OVS_BE64_MAX;
    } else {
        /* FLOW_SET_MODIFY as well: see the comment at the top. */
        fm.command = OFPFC_ADD;
        fm.new_cookie = htonll(flow->cookie);
        fm.ofpacts = flow->ofpacts;
        fm.ofpacts_len = flow->ofpacts_len;
    }

    struct ofpbuf *inner = ofputil_encode_flow_mod(&fm, OFCTRL_PROTOCOL);
    ofctrl_msg_set_xid(inner, xid);
    struct ofputil_bundle_add_msg bam = {
        .bundle_id = bc->bundle_id,
        .flags = bc->flags,
        .msg = inner->data,
    };
    struct ofpbuf *msg = ofputil_encode_bundle_add(OFCTRL_OFP_VERSION, &bam);
    ofpbuf_delete(inner);
    return msg;
}

/* Sends 'changes' as one atomic bundle followed by a barrier, whose reply
 * will confirm 'req_cfg'. */
static void
ofctrl_send_bundle(struct ofctrl *of, const struct ovs_list *changes,
                   uint64_t req_cfg)
{
    struct ofputil_bundle_ctrl_msg bc = {
        .bundle_id = of->next_bundle_id++,
        .type = OFPBCT_OPEN_REQUEST,
        .flags = OFPBF_ATOMIC | OFPBF_ORDERED,
    };
    struct ofpbuf *msg = ofputil_encode_bundle_ctrl_request(OFCTRL_OFP_VERSION,
                                                            &bc);
    ovs_be32 xid = ofctrl_msg_xid(msg);
    ofctrl_send(of, msg);

    size_t n[3] = { 0, 0, 0 };
    const struct flow_set_change *change;
    LIST_FOR_EACH (change, list_node, changes) {
        if (VLOG_IS_DBG_ENABLED()) {
            static const char *names[] = { "delete", "modify", "add" };
            struct ds s = DS_EMPTY_INITIALIZER;
            flow_set_entry_format(change->flow, &s);
            VLOG_DBG("%s: %s %s", of->bridge, names[change->type],
                     ds_cstr(&s));
            ds_destroy(&s);
        }
        ofctrl_send(of, ofctrl_encode_change(change, xid, &bc));
        n[change->type]++;
    }

    bc.type = OFPBCT_COMMIT_REQUEST;
    msg = ofputil_encode_bundle_ctrl_request(OFCTRL_OFP_VERSION, &bc);
    ofctrl_msg_set_xid(msg, xid);
    ofctrl_send(of, msg);

    msg = ofputil_encode_barrier_request(OFCTRL_OFP_VERSION);
    struct ofctrl_barrier *barrier = xmalloc(sizeof *barrier);
    barrier->bundle_xid = xid;
    barrier->barrier_xid = ofctrl_msg_xid(msg);
    barrier->req_cfg = req_cfg;
    ovs_list_push_back(&of->barriers, &barrier->list_node);
    ofctrl_send(of, msg);

    of->n_bundles++;
    of->n_flow_mods += n[FLOW_SET_DELETE] + n[FLOW_SET_MODIFY]
                       + n[FLOW_SET_ADD];
    VLOG_DBG("%s: bundle for cfg %"PRIu64": %"PRIuSIZE" deletions, "
             "%"PRIuSIZE" modifications, %"PRIuSIZE" additions",
             of->bridge, req_cfg, n[FLOW_SET_DELETE], n[FLOW_SET_MODIFY],
             n[FLOW_SET_ADD]);
}

/* Records that 'req_cfg' needs no flow mod: it is confirmed as soon as
 * everything sent before is. */
static void
ofctrl_confirm_unchanged(struct ofctrl *of, uint64_t req_cfg)
{
    if (ovs_list_is_empty(&of->barriers)) {
        of->cur_cfg = MAX(of->cur_cfg, req_cfg);
    } else {
        struct ofctrl_barrier *newest = CONTAINER_OF(
            ovs_list_back(&of->barriers), struct ofctrl_barrier, list_node);
        newest->req_cfg = MAX(newest->req_cfg, req_cfg);
    }
}

/* Removes from 'changes' the additions and modifications that the switch
 * refused before, and forgets refused flows that 'desired' no longer has
 * (or has changed), so that they are tried again if they come back. */
static void
ofctrl_leave_out_refused(struct ofctrl *of, const struct flow_set *desired,
                         struct ovs_list *changes)
{
    struct flow_set_change *change;

    LIST_FOR_EACH_SAFE (change, list_node, changes) {
        if (change->type != FLOW_SET_DELETE) {
            const struct flow_set_entry *refused
                = flow_set_find_entry(&of->refused, change->flow);
            if (refused && flow_set_entry_equal(refused, change->flow)) {
                ovs_list_remove(&change->list_node);
                free(change);
            }
        }
    }

    struct flow_set_entry *refused;
    HMAP_FOR_EACH_SAFE (refused, node, &of->refused.flows) {
        const struct flow_set_entry *wanted
            = flow_set_find_entry(desired, refused);
        if (!wanted || !flow_set_entry_equal(wanted, refused)) {
            flow_set_remove(&of->refused, refused);
        }
    }
}

void
ofctrl_put(struct ofctrl *of, struct flow_set *desired, uint64_t req_cfg)
{
    if (of->state != OFCTRL_SYNCED || ofctrl_is_holding_back(of)) {
        return;
    }

    if (desired->version == of->put_desired_version
        && of->installed.version == of->put_installed_version) {
        /* Neither set changed since the last put, after which they were
         * equal: skip the diff, which costs time with every flow. */
        ofctrl_confirm_unchanged(of, req_cfg);
        flow_set_clear_changes(desired);
        return;
    }

    /* After the last put, 'installed' was 'desired' as it was then, less
     * the refused flows.  If 'installed' has not changed since (no dump
     * after a reconnection or a rejected bundle) and the log of 'desired'
     * holds every change since, the flows outside the log are the same in
     * both sets, or refused (which ofctrl_leave_out_refused() would drop
     * from a full diff): the log gives exactly the full diff's changes. */
    struct ovs_list changes = OVS_LIST_INITIALIZER(&changes);
    if (of->installed.version == of->put_installed_version
        && flow_set_log_covers(desired, of->put_desired_version)) {
        flow_set_diff_changed(desired, &of->installed, &changes);
        of->n_log_diffs++;
    } else {
        flow_set_diff(desired, &of->installed, &changes);
        of->n_full_diffs++;
    }
    if (flow_set_count(&of->refused)) {
        ofctrl_leave_out_refused(of, desired, &changes);
    }
    if (ovs_list_is_empty(&changes)) {
        ofctrl_confirm_unchanged(of, req_cfg);
    } else {
        ofctrl_send_bundle(of, &changes, req_cfg);
        flow_set_apply(&of->installed, &changes);
    }
    flow_set_changes_destroy(&changes);

    flow_set_clear_changes(desired);
    of->put_desired_version = desired->version;
    of->put_installed_version = of->installed.version;
}

uint64_t
ofctrl_get_cur_cfg(const struct ofctrl *of)
{
    return of->cur_cfg;
}

const struct flow_set *
ofctrl_get_installed(const struct ofctrl *of)
{
    return &of->installed;
}

void
ofctrl_take_packet_ins(struct ofctrl *of, struct ovs_list *packet_ins)
{
    ovs_list_push_back_all(packet_ins, &of->packet_ins);
    of->n_queued_packet_ins = 0;
}

void
ofctrl_packet_in_destroy(struct ofctrl_packet_in *pin)
{
    if (pin) {
        dp_packet_delete(pin->packet);
        free(pin);
    }
}

int
ofctrl_send_packet_out(struct ofctrl *of, const struct dp_packet *packet,
                       ofp_port_t in_port, uint8_t table_id)
{
    uint64_t ofpacts_stub[64 / 8];
    struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(ofpacts_stub);
    struct ofpact_resubmit *resubmit = ofpact_put_RESUBMIT(&ofpacts);
    resubmit->in_port = OFPP_IN_PORT;
    resubmit->table_id = table_id;

    int error = ofctrl_send_packet_out_actions(of, packet, in_port,
                                               ofpacts.data, ofpacts.size);
    ofpbuf_uninit(&ofpacts);
    return error;
}

int
ofctrl_send_packet_out_actions(struct ofctrl *of,
                               const struct dp_packet *packet,
                               ofp_port_t in_port,
                               const struct ofpact *ofpacts,
                               size_t ofpacts_len)
{
    if (!rconn_is_connected(of->swconn)) {
        return ENOTCONN;
    }

    struct ofputil_packet_out po = {
        .packet = dp_packet_data(packet),
        .packet_len = dp_packet_size(packet),
        .buffer_id = UINT32_MAX,
        .ofpacts = CONST_CAST(struct ofpact *, ofpacts),
        .ofpacts_len = ofpacts_len,
    };
    match_init_catchall(&po.flow_metadata);
    match_set_in_port(&po.flow_metadata, in_port);

    /* Messages on one connection take effect in order, and a bundle's
     * flows take effect at its commit: no barrier is needed for the
     * packet to meet the flows of every bundle sent before it. */
    int error = rconn_send(of->swconn,
                           ofputil_encode_packet_out(&po, OFCTRL_PROTOCOL),
                           NULL);
    if (!error) {
        of->n_packet_outs++;
    }
    return error;
}

void
ofctrl_format_status(const struct ofctrl *of, struct ds *s)
{
    ds_put_format(s, "state: %s\n", ofctrl_state_name(of->state));
    if (of->bridge) {
        ds_put_format(s, "bridge: %s (%s, connection %s)\n", of->bridge,
                      of->target, rconn_get_state(of->swconn));
    } else {
        ds_put_cstr(s, "bridge: none\n");
    }
    ds_put_format(s, "installed flows: %"PRIuSIZE"\n",
                  flow_set_count(&of->installed));
    ds_put_format(s, "switch ports: %"PRIuSIZE"\n", shash_count(&of->ports));
    for (size_t i = 0; i < of->n_meters; i++) {
        const struct ofctrl_meter *m = &of->meters[i];
        ds_put_format(s, "meter %"PRIu32": %"PRIu32" packets/s, bursts of "
                      "%"PRIu32"%s%s\n", m->id, m->pktps, m->burst,
                      m->error ? ", refused: " : "",
                      m->error ? m->error : "");
    }
    ds_put_format(s, "cur_cfg: %"PRIu64"\n", of->cur_cfg);

    ds_put_format(s, "outstanding barriers: %"PRIuSIZE,
                  ovs_list_size(&of->barriers));
    if (!ovs_list_is_empty(&of->barriers)) {
        const struct ofctrl_barrier *newest = CONTAINER_OF(
            ovs_list_back(&of->barriers), struct ofctrl_barrier, list_node);
        ds_put_format(s, " (up to cfg %"PRIu64")", newest->req_cfg);
    }
    ds_put_char(s, '\n');

    if (of->retry_after) {
        ds_put_format(s, "next put in %lld ms (the switch rejected the "
                      "last bundle)\n",
                      MAX(0, of->retry_after - time_msec()));
    }
    if (flow_set_count(&of->refused)) {
        const struct flow_set_entry *refused;

        ds_put_format(s, "refused flows (left out): %"PRIuSIZE"\n",
                      flow_set_count(&of->refused));
        HMAP_FOR_EACH (refused, node, &of->refused.flows) {
            ds_put_cstr(s, "  ");
            flow_set_entry_format(refused, s);
            ds_put_char(s, '\n');
        }
    }
    ds_put_format(s, "flow dumps: %"PRIu64", bundles: %"PRIu64", "
                  "flow mods: %"PRIu64", rejected bundles: %"PRIu64"\n",
                  of->n_dumps, of->n_bundles, of->n_flow_mods,
                  of->n_rejected);
    ds_put_format(s, "diffs: %"PRIu64" of every flow, %"PRIu64" of changed "
                  "flows only\n", of->n_full_diffs, of->n_log_diffs);
    ds_put_format(s, "packet-ins: %"PRIu64" (waiting %"PRIuSIZE", dropped "
                  "%"PRIu64"), packet-outs: %"PRIu64"\n", of->n_packet_ins,
                  of->n_queued_packet_ins, of->n_dropped_packet_ins,
                  of->n_packet_outs);
}
