/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

/* roam-agent: the Roam overlay agent of one hypervisor.
 *
 * The main loop, like ovn-controller's, runs every module once per
 * iteration with what the two databases hold now:
 *
 *   local Open_vSwitch db --> local_config --> integration_bridge --> OVS db
 *                                   |
 *   netlink (encap_iface) ----------+
 *                                   v
 *   central Roam db <-------- chassis (Chassis, Encap, Chassis_Private)
 *
 * Nothing here keeps a copy of what a database already says; each module
 * compares the rows with the configuration and writes the difference.  An
 * iteration that changed none of the modules' inputs (a watched agent's
 * heartbeat, mostly) skips them and only writes the heartbeat: see
 * agent_run(). */

#include <config.h>

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "binding.h"
#include "chassis.h"
#include "command-line.h"
#include "coverage.h"
#include "daemon.h"
#include "dead-chassis.h"
#include "desired-flows.h"
#include "dirs.h"
#include "dp-packet.h"
#include "encap-iface.h"
#include "fatal-signal.h"
#include "first-packets.h"
#include "flow.h"
#include "flow-explain.h"
#include "flow-set.h"
#include "flow-tables.h"
#include "integration-bridge.h"
#include "lib/vswitch-idl.h"
#include "local-config.h"
#include "memory.h"
#include "ofctrl.h"
#include "port-monitor.h"
#include "byte-order.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/match.h"
#include "openvswitch/ofp-flow.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovsdb-idl.h"
#include "ovsdb/chassis-liveness.h"
#include "ovsdb/roam-idl.h"
#include "pipeline.h"
#include "plugin.h"
#include "openvswitch/poll-loop.h"
#include "simap.h"
#include "smap.h"
#include "socket-util.h"
#include "sset.h"
#include "svec.h"
#include "stream-ssl.h"
#include "stream.h"
#include "timeval.h"
#include "tunnels.h"
#include "unixctl.h"
#include "unknown-macs.h"
#include "uuid.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(roam_agent);

/* Wake-ups of the main loop, and those that ran the modules of the data
 * path (agent_run()). */
COVERAGE_DEFINE(agent_wakeup);
COVERAGE_DEFINE(agent_run_modules);

/* --unixctl: the control socket, NULL for the default. */
static char *unixctl_path;

/* What the modules of the data path read besides their own state and the
 * changes they announce themselves (agent_run()). */
struct agent_inputs {
    unsigned int ovs_seqno;             /* ovsdb_idl_get_seqno() of each */
    unsigned int roam_seqno;            /* database. */
    unsigned int roam_condition_seqno;  /* Chassis_Private condition. */
    bool ovs_connected;                 /* ovsdb_idl_is_connected() of each */
    bool roam_connected;                /* database. */
    char *encap_ip;                     /* Tunnel endpoint, or NULL (owned
                                         * only in struct agent). */
    struct sset alive;                  /* Replicated chassis known to be
                                         * alive, by name. */
    struct sset dead;                   /* Those known to be dead (neither
                                         * holds this agent's own). */
};

/* The agent's state between iterations of the main loop. */
struct agent {
    struct ovsdb_idl_loop ovs_loop;     /* Local Open_vSwitch database. */
    struct ovsdb_idl_loop roam_loop;    /* Central Roam database. */
    char *ovs_remote;                   /* Local database's remote. */
    struct chassis_indexes chassis_indexes;

    /* Configuration.  'cfg' is the last complete configuration, the one in
     * effect; 'cfg_errors' the problems of the current keys, as last
     * logged. */
    struct local_config cfg;
    bool have_cfg;
    struct shash cfg_errors;
    bool logged_no_ovs_row;
    char agent_id[UUID_LEN + 1];        /* The owner id of this agent's
                                         * chassis, "" until known. */
    unsigned int config_ovs_seqno;      /* Local database contents the
                                         * configuration was read from. */

    char *stale_system_id;              /* A previous system-id whose rows to
                                         * delete, or NULL. */
    bool standby;                       /* Another live agent owns the
                                         * chassis name (chassis.h). */
    int64_t answered_watch;             /* Chassis_Private watched_since of
                                         * the last watch answered. */
    char *chassis_conflict;             /* Why the agent cannot write its
                                         * rows, as last logged, or NULL. */
    bool central_txn_failed;            /* The last central transaction
                                         * failed (the IDL logged why). */

    struct binding_state binding;       /* Local VIFs. */
    struct first_packets first_packets; /* Of new VIFs, sent on once the
                                         * VIFs are served. */
    struct ovs_list packet_ins;         /* The other packet-ins ("struct
                                         * ofctrl_packet_in"s): they make
                                         * the wake-up that took them run
                                         * the modules, which empty it. */
    struct unknown_macs unknown_macs;   /* MACs that no VIF here has,
                                         * flooded from tunnels without
                                         * the agent. */
    struct ovsdb_idl_index *port_by_name;
    struct ovsdb_idl_index *port_by_network;
    struct ovsdb_idl_index *port_by_network_mac;
    struct ovsdb_idl_index *network_by_key;
    struct ofctrl *ofctrl;              /* OpenFlow connection to br-int. */
    struct desired_flows desired;       /* Flows the pipeline wants. */
    struct sset dead_chassis;           /* Chassis that get no flooded
                                         * traffic (dead-chassis.h). */
    uint64_t put_seqno;                 /* Sequence number of the last
                                         * ofctrl_put(). */

    /* What the desired flows were computed from, to skip the computation
     * when nothing changed; 'recompute' forces a full one ("recompute"
     * command, configuration changes). */
    unsigned int pipeline_roam_seqno;
    unsigned int pipeline_ovs_seqno;
    const struct roamrec_chassis *pipeline_chassis;
    bool recompute;

    /* Global nb_cfg: the last value seen with the databases settled, and
     * the ofctrl_put() after which the switch has everything it asks. */
    int64_t nb_cfg_seen;
    uint64_t nb_cfg_put_seqno;

    struct encap_iface *encap_iface;    /* Follows roam-encap-iface. */
    char *encap_ip_problem;             /* Last logged reason for having no
                                         * address on roam-encap-iface. */

    /* Results of the last iteration, for "status". */
    const struct ovsrec_bridge *bridge;
    const struct roamrec_chassis *chassis;
    const struct roamrec_chassis_private *chassis_private;
    const char *encap_ip;
    size_t n_tunnels;

    void **plugin_states;               /* Each plugin's init() result, in
                                         * plugin_get_all() order. */
    struct port_monitor port_monitor;   /* Which Port rows to replicate. */
    bool condition_ever_synced;         /* The Chassis_Private condition
                                         * was in effect at least once. */
    bool condition_synced;              /* It was in effect at the last run
                                         * of the modules. */
    bool flows_complete;                /* That run had a complete picture
                                         * (see agent_run_modules()), and
                                         * handed its flows to
                                         * ofctrl_put(). */
    uint64_t port_seqno_before_run;     /* ofctrl_get_port_seqno() before
                                         * this wake-up read the switch's
                                         * messages: ports it announced
                                         * now are newer than the rows of
                                         * the databases (binding). */

    /* Running the modules of the data path only when needed (agent_run()):
     * the inputs of their last run, whether the next wake-up must run them
     * whatever its inputs, whether this iteration ran them, and whether a
     * transaction they wrote is still being committed. */
    struct agent_inputs inputs;
    bool run_again;
    bool ran_modules;
    bool modules_commit_pending;

    bool exiting;
};

static char *parse_options(int argc, char *argv[]);
OVS_NO_RETURN static void usage(void);

static unixctl_cb_func agent_unixctl_exit;
static unixctl_cb_func agent_unixctl_status;
static unixctl_cb_func agent_unixctl_dump_desired_flows;
static unixctl_cb_func agent_unixctl_explain_flow;
static unixctl_cb_func agent_unixctl_recompute;

static void
register_ovs_idl(struct ovsdb_idl *ovs_idl)
{
    ovsdb_idl_add_table(ovs_idl, &ovsrec_table_open_vswitch);
    ovsdb_idl_add_column(ovs_idl, &ovsrec_open_vswitch_col_external_ids);
    integration_bridge_register_ovs_idl(ovs_idl);
    tunnels_register_ovs_idl(ovs_idl);
    binding_register_ovs_idl(ovs_idl);
}

static void
register_roam_idl(struct ovsdb_idl *roam_idl)
{
    ovsdb_idl_add_table(roam_idl, &roamrec_table_global);
    ovsdb_idl_add_column(roam_idl, &roamrec_global_col_nb_cfg);
    chassis_register_roam_idl(roam_idl);
    binding_register_roam_idl(roam_idl);
    plugin_register_roam_idl(roam_idl);
}

/* Logs what changed in the problems with the configuration: one line for
 * each key that became wrong or is wrong in a new way, one when a key is
 * fixed.  Swaps 'agent->cfg_errors' and 'errors': the caller frees the old
 * problems. */
static void
log_config_errors(struct agent *agent, struct shash *errors)
{
    struct shash_node *node;

    SHASH_FOR_EACH (node, errors) {
        const char *old = shash_find_data(&agent->cfg_errors, node->name);
        if (!old || strcmp(old, node->data)) {
            VLOG_WARN("Open_vSwitch external_ids:%s %s; %s", node->name,
                      (const char *) node->data,
                      agent->have_cfg ? "keeping the previous configuration"
                                      : "waiting for a valid value");
        }
    }
    SHASH_FOR_EACH (node, &agent->cfg_errors) {
        if (!shash_find(errors, node->name)) {
            VLOG_INFO("Open_vSwitch external_ids:%s is valid now",
                      node->name);
        }
    }

    shash_swap(&agent->cfg_errors, errors);
}

/* Makes 'new' the configuration in effect, applying what changed. */
static void
apply_config(struct agent *agent, const struct local_config *new)
{
    const struct local_config *old = agent->have_cfg ? &agent->cfg : NULL;
    struct ovsdb_idl *roam_idl = agent->roam_loop.idl;

    if (!old || strcmp(old->remote, new->remote)) {
        VLOG_INFO("connecting to the central database at %s", new->remote);
        ovsdb_idl_set_remote(roam_idl, new->remote, true);
    }
    if (old && strcmp(old->system_id, new->system_id)) {
        free(agent->stale_system_id);
        agent->stale_system_id = xstrdup(old->system_id);
    }
    if (agent->encap_iface
        && (!old || !nullable_string_is_equal(old->encap_iface,
                                              new->encap_iface))) {
        encap_iface_set_name(agent->encap_iface, new->encap_iface);
    }
    if (old && !local_config_equals(old, new)) {
        VLOG_INFO("configuration changed");
    }
    if (!old || !sset_equals(&old->plugins_disabled, &new->plugins_disabled)) {
        const char *name;
        SSET_FOR_EACH (name, &new->plugins_disabled) {
            const struct plugin_class *class = plugin_find(name);
            if (!class) {
                VLOG_WARN("Open_vSwitch external_ids:%s: there is no plugin "
                          "named \"%s\"", LOCAL_CONFIG_PLUGINS_DISABLED, name);
            } else if (!class->optional) {
                VLOG_WARN("Open_vSwitch external_ids:%s: plugin \"%s\" "
                          "cannot be disabled", LOCAL_CONFIG_PLUGINS_DISABLED,
                          name);
            } else {
                VLOG_INFO("plugin %s disabled", name);
            }
        }
        agent->recompute = true;
    }

    local_config_destroy(&agent->cfg);
    local_config_init(&agent->cfg);
    local_config_clone(&agent->cfg, new);
    agent->have_cfg = true;
}

/* Reads the Open_vSwitch row's external_ids and, if they form a complete
 * configuration, puts it into effect. */
static void
update_config(struct agent *agent, const struct ovsrec_open_vswitch *ovs_row)
{
    if (!ovs_row) {
        if (!agent->logged_no_ovs_row
            && ovsdb_idl_has_ever_connected(agent->ovs_loop.idl)) {
            VLOG_WARN("the local database has no Open_vSwitch row; "
                      "waiting for one (ovs-vsctl init)");
            agent->logged_no_ovs_row = true;
        }
        return;
    }
    agent->logged_no_ovs_row = false;

    char hostname[HOST_NAME_MAX + 1];
    if (gethostname(hostname, sizeof hostname)) {
        hostname[0] = '\0';
    }
    hostname[sizeof hostname - 1] = '\0';

    struct local_config new;
    struct shash errors = SHASH_INITIALIZER(&errors);
    local_config_init(&new);
    bool complete = local_config_parse(&ovs_row->external_ids, hostname,
                                       &new, &errors);
    log_config_errors(agent, &errors);
    shash_destroy_free_data(&errors);

    if (complete && (!agent->have_cfg
                     || !local_config_equals(&agent->cfg, &new))) {
        apply_config(agent, &new);
    }
    local_config_destroy(&new);
}

/* Returns the tunnel endpoint address in effect, or NULL if it is not known
 * (yet).  Logs once why an interface gives none. */
static const char *
resolve_encap_ip(struct agent *agent)
{
    if (agent->cfg.encap_ip) {
        return agent->cfg.encap_ip;
    }

    const char *why = "netlink is not available";
    const char *ip = (agent->encap_iface
                      ? encap_iface_get_ip(agent->encap_iface, &why)
                      : NULL);
    if (ip) {
        if (agent->encap_ip_problem) {
            VLOG_INFO("%s has address %s now", agent->cfg.encap_iface, ip);
            free(agent->encap_ip_problem);
            agent->encap_ip_problem = NULL;
        }
    } else if (!nullable_string_is_equal(agent->encap_ip_problem, why)) {
        VLOG_WARN("Open_vSwitch external_ids:roam-encap-iface: %s: %s; "
                  "keeping the previous tunnel endpoint",
                  agent->cfg.encap_iface, why);
        free(agent->encap_ip_problem);
        agent->encap_ip_problem = xstrdup(why);
    }
    return ip;
}

static void
agent_init(struct agent *agent, char *ovs_remote)
{
    memset(agent, 0, sizeof *agent);
    agent->ovs_remote = ovs_remote;
    shash_init(&agent->cfg_errors);
    local_config_init(&agent->cfg);

    agent->ovs_loop = (struct ovsdb_idl_loop) OVSDB_IDL_LOOP_INITIALIZER(
        ovsdb_idl_create(ovs_remote, &ovsrec_idl_class, false, true));
    register_ovs_idl(agent->ovs_loop.idl);

    /* The central database is reached once roam-remote is known.  In a
     * cluster, reads may come from any member: writes are forwarded to the
     * leader by the server itself. */
    agent->roam_loop = (struct ovsdb_idl_loop) OVSDB_IDL_LOOP_INITIALIZER(
        ovsdb_idl_create_unconnected(&roamrec_idl_class, false));
    ovsdb_idl_set_leader_only(agent->roam_loop.idl, false);
    register_roam_idl(agent->roam_loop.idl);
    chassis_indexes_init(&agent->chassis_indexes, agent->roam_loop.idl);
    agent->port_by_name = binding_port_index_create(agent->roam_loop.idl);

    binding_state_init(&agent->binding);
    port_monitor_init(&agent->port_monitor);
    first_packets_init(&agent->first_packets);
    ovs_list_init(&agent->packet_ins);
    agent->ofctrl = ofctrl_create();
    for (size_t i = 0; i < pipeline_n_meters; i++) {
        const struct pipeline_meter *m = &pipeline_meters[i];
        ofctrl_set_meter(agent->ofctrl, m->id, m->pktps, m->burst);
    }
    agent->port_by_network
        = pipeline_port_index_create(agent->roam_loop.idl);
    unknown_macs_indexes_create(agent->roam_loop.idl,
                                &agent->port_by_network_mac,
                                &agent->network_by_key);
    unknown_macs_init(&agent->unknown_macs);
    desired_flows_init(&agent->desired);
    sset_init(&agent->dead_chassis);
    size_t n_classes;
    const struct plugin_class *const *classes = plugin_get_all(&n_classes);
    agent->plugin_states = xcalloc(n_classes, sizeof *agent->plugin_states);
    for (size_t i = 0; i < n_classes; i++) {
        if (classes[i]->init) {
            agent->plugin_states[i] = classes[i]->init();
        }
    }
    agent->nb_cfg_seen = -1;
    agent->answered_watch = -1;
    agent->config_ovs_seqno = UINT_MAX;
    sset_init(&agent->inputs.alive);
    sset_init(&agent->inputs.dead);
    agent->run_again = true;

    agent->encap_iface = encap_iface_create();
}

static void
agent_destroy(struct agent *agent)
{
    ovsdb_idl_loop_destroy(&agent->ovs_loop);
    ovsdb_idl_loop_destroy(&agent->roam_loop);
    encap_iface_destroy(agent->encap_iface);
    binding_state_destroy(&agent->binding);
    port_monitor_destroy(&agent->port_monitor);
    first_packets_destroy(&agent->first_packets);
    struct ofctrl_packet_in *pin;
    LIST_FOR_EACH_POP (pin, list_node, &agent->packet_ins) {
        ofctrl_packet_in_destroy(pin);
    }
    ofctrl_destroy(agent->ofctrl);
    desired_flows_destroy(&agent->desired);
    unknown_macs_destroy(&agent->unknown_macs);
    sset_destroy(&agent->dead_chassis);
    size_t n_classes;
    const struct plugin_class *const *classes = plugin_get_all(&n_classes);
    for (size_t i = 0; i < n_classes; i++) {
        if (classes[i]->destroy) {
            classes[i]->destroy(agent->plugin_states[i]);
        }
    }
    free(agent->plugin_states);
    local_config_destroy(&agent->cfg);
    shash_destroy_free_data(&agent->cfg_errors);
    free(agent->stale_system_id);
    free(agent->chassis_conflict);
    free(agent->encap_ip_problem);
    free(agent->inputs.encap_ip);
    sset_destroy(&agent->inputs.alive);
    sset_destroy(&agent->inputs.dead);
    free(agent->ovs_remote);
}

/* Returns the private state of plugin 'class'. */
static void *
agent_plugin_state(const struct agent *agent,
                   const struct plugin_class *class)
{
    size_t n_classes;
    const struct plugin_class *const *classes = plugin_get_all(&n_classes);

    for (size_t i = 0; i < n_classes; i++) {
        if (classes[i] == class) {
            return agent->plugin_states[i];
        }
    }
    return NULL;
}

/* Sends the packets that plugins queued in 'out'. */
static void
agent_send_packets(struct agent *agent, const struct plugin_ctx_out *out)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    const struct plugin_packet_out *po;

    LIST_FOR_EACH (po, list_node, &out->packets) {
        int error = ofctrl_send_packet_out(agent->ofctrl, po->packet,
                                           po->in_port, po->table_id);
        if (error) {
            VLOG_WARN_RL(&rl, "packet-out from port %d failed: %s",
                         ofp_to_u16(po->in_port), ovs_strerror(error));
        }
    }
}

/* Sends what VMs sent on standby VIFs before their activation, now that the
 * flows that activate them went out, through the pipeline as if they came
 * in now. */
static void
agent_send_held_packets(struct agent *agent)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    struct ovs_list packets = OVS_LIST_INITIALIZER(&packets);
    struct binding_held_packet *hp;

    if (ofctrl_is_holding_back(agent->ofctrl)) {
        /* The switch rejected a bundle, perhaps the activation's: its VIFs
         * may still have their standby flows, which would send the packets
         * straight back here, again and again.  They wait for the put that
         * follows the back-off. */
        return;
    }
    binding_take_held_packets(&agent->binding, &packets);
    LIST_FOR_EACH_POP (hp, list_node, &packets) {
        int error = ofctrl_send_packet_out(agent->ofctrl, hp->packet,
                                           hp->ofport, FLOW_TABLE_CLASSIFY);
        if (error) {
            VLOG_WARN_RL(&rl, "port %s: sending a packet its VM sent "
                         "before the activation failed: %s", hp->iface_id,
                         ovs_strerror(error));
        } else {
            VLOG_DBG("port %s: forwarded a packet its VM sent before the "
                     "activation", hp->iface_id);
        }
        binding_held_packet_destroy(hp);
    }
}

/* Sends the desired flows to the switch, outside a run of the modules or
 * after its put: ofctrl_put() sends only what changed. */
static void
agent_put_flows(struct agent *agent)
{
    agent->put_seqno++;
    ofctrl_put(agent->ofctrl, &agent->desired.flows, agent->put_seqno);
}

static void
agent_unknown_macs_ctx_in(const struct agent *agent,
                          struct unknown_macs_ctx_in *um_in)
{
    *um_in = (struct unknown_macs_ctx_in) {
        .roam_idl = agent->roam_loop.idl,
        .port_by_network_mac = agent->port_by_network_mac,
        .network_by_key = agent->network_by_key,
        .desired = &agent->desired,
        .binding = &agent->binding,
        .timeout = agent->cfg.unknown_mac_timeout,
        .now = time_msec(),
    };
}

/* Returns the time_msec() when unknown MACs expire (whole seconds, see
 * unknown_macs_next_expiry()), LLONG_MAX if none is learned. */
static long long int
agent_unknown_macs_expiry(const struct agent *agent)
{
    return unknown_macs_next_expiry(&agent->unknown_macs,
                                    agent->cfg.unknown_mac_timeout);
}

/* Forgets the unknown MACs (unknown-macs.h) that expired, if any did, and
 * sends what that changed if the switch has the desired flows (otherwise
 * the next put after a run of the modules sends it).  On every wake-up:
 * agent_wait() wakes the agent for it, whatever else happens. */
static void
agent_expire_unknown_macs(struct agent *agent)
{
    long long int now = time_msec();

    if (now >= agent_unknown_macs_expiry(agent)
        && unknown_macs_expire(&agent->unknown_macs,
                               agent->cfg.unknown_mac_timeout, now,
                               &agent->desired.flows)
        && agent->flows_complete && ofctrl_is_synced(agent->ofctrl)) {
        agent_put_flows(agent);
    }
}

/* Sends on the first packets of new VIFs (first-packets.h) that this
 * chassis serves now, after the flows that serve them.  Those kept longer
 * expire in agent_run(), at the time agent_wait() wakes up for.  The MACs
 * of those from tunnels that no VIF here may take, if no interface here
 * names a Port with them, get flows that keep the next ones from the agent
 * (unknown-macs.h), which go to the switch at once. */
static void
agent_send_first_packets(struct agent *agent,
                         const struct roamrec_chassis *chassis)
{
    static struct vlog_rate_limit rl = VLOG_RATE_LIMIT_INIT(5, 5);
    struct ovs_list packets = OVS_LIST_INITIALIZER(&packets);
    struct ovs_list no_vif = OVS_LIST_INITIALIZER(&no_vif);
    struct first_packets_ctx_in fp_in = {
        .binding = &agent->binding,
        .port_by_name = agent->port_by_name,
        .chassis = chassis,
        .flows_sent = !ofctrl_is_holding_back(agent->ofctrl),
        .now = time_msec(),
    };
    first_packets_run(&fp_in, &agent->first_packets, &packets, &no_vif);

    struct first_packet *p;
    LIST_FOR_EACH_POP (p, list_node, &packets) {
        uint64_t ofpacts_stub[128 / 8];
        struct ofpbuf ofpacts = OFPBUF_STUB_INITIALIZER(ofpacts_stub);
        pipeline_put_resend(&ofpacts, p->pin->tun_id);
        int error = ofctrl_send_packet_out_actions(agent->ofctrl,
                                                   p->pin->packet,
                                                   p->pin->in_port,
                                                   ofpacts.data,
                                                   ofpacts.size);
        if (error) {
            VLOG_WARN_RL(&rl, "sending on a packet from port %d that came "
                         "before its VIF's flows failed: %s",
                         ofp_to_u16(p->pin->in_port), ovs_strerror(error));
        }
        ofpbuf_uninit(&ofpacts);
        first_packet_destroy(p);
    }

    if (!ovs_list_is_empty(&no_vif)) {
        struct unknown_macs_ctx_in um_in;
        agent_unknown_macs_ctx_in(agent, &um_in);
        bool learned = false;
        LIST_FOR_EACH_POP (p, list_node, &no_vif) {
            learned |= unknown_macs_learn(&um_in, &agent->unknown_macs,
                                          p->pin, &agent->desired.flows);
            first_packet_destroy(p);
        }
        if (learned) {
            agent_put_flows(agent);
        }
    }
}

/* Calls every enabled plugin's run(), and sends what they queue. */
static void
agent_run_plugins(struct agent *agent, const struct pipeline_ctx_in *p_in)
{
    size_t n_classes;
    const struct plugin_class *const *classes = plugin_get_all(&n_classes);

    for (size_t i = 0; i < n_classes; i++) {
        const struct plugin_class *class = classes[i];
        if (class->run
            && plugin_is_enabled(class, &agent->cfg.plugins_disabled)) {
            struct plugin_ctx_out out;
            plugin_ctx_out_init(&out);
            class->run(agent->plugin_states[i], p_in, &out);
            agent_send_packets(agent, &out);
            plugin_ctx_out_destroy(&out);
        }
    }
}

/* Takes the packet-ins received since the last wake-up: a new VIF's first
 * packets wait for it to be served (first-packets.h), the others for the
 * run of the modules that they cause in this wake-up
 * (agent_handle_packet_ins()).  Returns true if there are such others. */
static bool
agent_take_packet_ins(struct agent *agent)
{
    struct ovs_list packet_ins = OVS_LIST_INITIALIZER(&packet_ins);
    struct ofctrl_packet_in *pin;

    ofctrl_take_packet_ins(agent->ofctrl, &packet_ins);
    LIST_FOR_EACH_POP (pin, list_node, &packet_ins) {
        if (!first_packets_take(&agent->first_packets, pin, time_msec())) {
            ovs_list_push_back(&agent->packet_ins, &pin->list_node);
        }
    }
    return !ovs_list_is_empty(&agent->packet_ins);
}

/* Hands the packet-ins that are no first packets (agent_take_packet_ins())
 * to their owners: a RARP from a standby VIF in the core's classify table
 * activates a live migration's destination (binding.h); a packet-in from a
 * plugin's table goes to that plugin.  Returns true if a VIF was
 * activated. */
static bool
agent_handle_packet_ins(struct agent *agent, struct ovsdb_idl *roam_idl,
                        const struct chassis_ctx_out *ch_out,
                        const struct shash *tunnels)
{
    struct ofctrl_packet_in *pin;
    bool activated = false;

    LIST_FOR_EACH_POP (pin, list_node, &agent->packet_ins) {
        size_t n_classes;
        const struct plugin_class *const *classes = plugin_get_all(&n_classes);
        const struct plugin_class *owner
            = plugin_find_by_table(classes, n_classes, pin->table_id, NULL);

        if (owner == &pipeline_core_plugin) {
            /* From a standby VIF: the VM's resumption announcement (RARP)
             * activates it; what the VM sends besides waits until the
             * activation is in the switch. */
            const struct eth_header *eth = dp_packet_data(pin->packet);
            if (dp_packet_size(pin->packet) >= ETH_HEADER_LEN
                && eth->eth_type == htons(ETH_TYPE_RARP)) {
                activated |= binding_activate(&agent->binding, pin->in_port,
                                              time_wall_msec());
            } else if (binding_hold_packet(&agent->binding, pin->in_port,
                                           pin->packet)) {
                pin->packet = NULL;
            }
        } else if (owner && owner->handle_packet_in
                   && plugin_is_enabled(owner, &agent->cfg.plugins_disabled)) {
            struct pipeline_ctx_in p_in = {
                .roam_idl = roam_idl,
                .port_by_name = agent->port_by_name,
                .port_by_network = agent->port_by_network,
                .chassis = ch_out->chassis,
                .binding = &agent->binding,
                .tunnels = tunnels,
            };
            struct plugin_ctx_out out;
            plugin_ctx_out_init(&out);
            owner->handle_packet_in(agent_plugin_state(agent, owner), &p_in,
                                    pin, &out);
            agent_send_packets(agent, &out);
            plugin_ctx_out_destroy(&out);
        }
        ofctrl_packet_in_destroy(pin);
    }
    return activated;
}

/* Fills 'inputs' with what the modules of the data path read now besides
 * their own state, and arranges to wake up when the liveness of a chassis
 * changes. */
static void
agent_inputs_read(const struct agent *agent, struct agent_inputs *inputs)
{
    struct ovsdb_idl *ovs_idl = agent->ovs_loop.idl;
    struct ovsdb_idl *roam_idl = agent->roam_loop.idl;
    long long int now = time_wall_msec();

    inputs->ovs_seqno = ovsdb_idl_get_seqno(ovs_idl);
    inputs->roam_seqno = ovsdb_idl_get_seqno(roam_idl);
    inputs->roam_condition_seqno = ovsdb_idl_get_condition_seqno(roam_idl);
    inputs->ovs_connected = ovsdb_idl_is_connected(ovs_idl);
    inputs->roam_connected = ovsdb_idl_is_connected(roam_idl);
    inputs->encap_ip = CONST_CAST(char *, agent->encap_ip);
    sset_init(&inputs->alive);
    sset_init(&inputs->dead);
    /* The own row counts only while another agent owns it. */
    long long int next_change = chassis_private_get_liveness(
        roam_idl, now, agent->standby ? NULL : agent->cfg.system_id,
        &inputs->alive, &inputs->dead);
    if (next_change != LLONG_MAX) {
        poll_timer_wait(MAX(0, next_change - now));
    }
}

static bool
agent_inputs_equal(const struct agent_inputs *a, const struct agent_inputs *b)
{
    return (a->ovs_seqno == b->ovs_seqno
            && a->roam_seqno == b->roam_seqno
            && a->roam_condition_seqno == b->roam_condition_seqno
            && a->ovs_connected == b->ovs_connected
            && a->roam_connected == b->roam_connected
            && nullable_string_is_equal(a->encap_ip, b->encap_ip)
            && sset_equals(&a->alive, &b->alive)
            && sset_equals(&a->dead, &b->dead));
}

/* Makes 'new', as agent_inputs_read() filled it, the inputs of the last run
 * of the modules. */
static void
agent_inputs_keep(struct agent *agent, struct agent_inputs *new)
{
    struct agent_inputs *kept = &agent->inputs;

    kept->ovs_seqno = new->ovs_seqno;
    kept->roam_seqno = new->roam_seqno;
    kept->roam_condition_seqno = new->roam_condition_seqno;
    kept->ovs_connected = new->ovs_connected;
    kept->roam_connected = new->roam_connected;
    free(kept->encap_ip);
    kept->encap_ip = nullable_xstrdup(new->encap_ip);
    sset_swap(&kept->alive, &new->alive);
    sset_destroy(&new->alive);
    sset_swap(&kept->dead, &new->dead);
    sset_destroy(&new->dead);
}

/* Runs the modules of the data path: the integration bridge, the own
 * Chassis, tunnels, bindings, flows and plugins.  Sets 'agent->run_again'
 * if the next wake-up must run them again even if no input changes. */
static void
agent_run_modules(struct agent *agent, struct ovsdb_idl_txn *ovs_txn,
                  struct ovsdb_idl_txn *roam_txn)
{
    struct ovsdb_idl *ovs_idl = agent->ovs_loop.idl;
    struct ovsdb_idl *roam_idl = agent->roam_loop.idl;
    const struct ovsrec_open_vswitch *ovs_row
        = ovsrec_open_vswitch_first(ovs_idl);
    const struct local_config *cfg = &agent->cfg;
    bool had_stale = agent->stale_system_id != NULL;

    struct integration_bridge_ctx_in br_in = {
        .ovs_idl_txn = ovs_txn,
        .ovs_row = ovs_row,
        .bridge_table = ovsrec_bridge_table_get(ovs_idl),
        .bridge_name = cfg->bridge,
        .datapath_type = cfg->datapath_type,
    };
    struct integration_bridge_ctx_out br_out;
    integration_bridge_run(&br_in, &br_out);
    agent->bridge = br_out.bridge;

    /* Writing the central database is safe only once the IDL holds its
     * contents: otherwise a missing row may only not have arrived yet. */
    bool roam_synced = ovsdb_idl_has_ever_connected(roam_idl);

    /* Setting the condition again is cheap and returns the condition
     * sequence number at which the IDL holds exactly the rows it selects:
     * the current one once the server has applied it, also after a
     * reconnection. */
    bool condition_synced
        = roam_synced
          && (chassis_private_set_monitor_condition(roam_idl, cfg->system_id,
                                                    agent->stale_system_id,
                                                    &agent->binding.watch)
              == ovsdb_idl_get_condition_seqno(roam_idl));
    agent->condition_synced = condition_synced;

    /* The agent's id is its Open_vSwitch row's UUID as first seen: if the
     * row is deleted and created again, this agent still owns its chassis
     * (a restart takes it over as from a dead agent: chassis.h). */
    if (!agent->agent_id[0]) {
        snprintf(agent->agent_id, sizeof agent->agent_id, UUID_FMT,
                 UUID_ARGS(&ovs_row->header_.uuid));
    }
    const char *agent_id = agent->agent_id;
    struct chassis_ctx_in ch_in = {
        .roam_idl_txn = roam_synced ? roam_txn : NULL,
        .indexes = &agent->chassis_indexes,
        .cfg = cfg,
        .agent_id = agent_id,
        .encap_ip = agent->encap_ip,
        .stale_name = agent->stale_system_id,
        .condition_synced = condition_synced,
        .now = time_wall_msec(),
    };
    struct chassis_ctx_out ch_out;
    chassis_run(&ch_in, &ch_out);
    agent->chassis = ch_out.chassis;
    agent->standby = ch_out.standby;
    if (ch_out.stale_gone) {
        free(agent->stale_system_id);
        agent->stale_system_id = NULL;
    }
    if (!nullable_string_is_equal(ch_out.conflict, agent->chassis_conflict)) {
        if (ch_out.conflict) {
            VLOG_WARN("%s", ch_out.conflict);
        } else {
            VLOG_INFO("chassis %s: conflict resolved", cfg->system_id);
        }
        free(agent->chassis_conflict);
        agent->chassis_conflict = ch_out.conflict;
    } else {
        free(ch_out.conflict);
    }

    /* The data path: tunnels, bindings, flows. */
    struct shash tunnels = SHASH_INITIALIZER(&tunnels);
    struct tunnels_ctx_in tn_in = {
        /* Without the Chassis rows every tunnel would look stale. */
        .ovs_idl_txn = roam_synced ? ovs_txn : NULL,
        .br_int = br_out.bridge,
        .bridge_table = ovsrec_bridge_table_get(ovs_idl),
        .own_name = cfg->system_id,
        .own_types = &cfg->encap_types,
        .bfd_interval = cfg->bfd_interval,
        .roam_idl = roam_idl,
    };
    bool tunnels_changed = tunnels_run(&tn_in, &tunnels);
    agent->n_tunnels = shash_count(&tunnels);
    bool dead_changed = dead_chassis_run(&tunnels, &agent->dead_chassis);

    /* Packet-ins: a live migration's activation (a RARP from a standby
     * VIF, in the core's classify table), or a plugin's. */
    bool activated = agent_handle_packet_ins(agent, roam_idl, &ch_out,
                                             &tunnels);

    struct binding_ctx_in b_in = {
        .roam_idl_txn = roam_synced ? roam_txn : NULL,
        .ovs_idl_txn = ovs_txn,
        .roam_idl = roam_idl,
        .br_int = br_out.bridge,
        .chassis = ch_out.chassis,
        .port_by_name = agent->port_by_name,
        .chassis_private_by_name
            = agent->chassis_indexes.chassis_private_by_name,
        .roam_synced = roam_synced,
        .watch_synced = condition_synced,
        .port_monitor = &agent->port_monitor,
        .switch_ports = ofctrl_get_ports(agent->ofctrl),
        .switch_port_seqno = agent->port_seqno_before_run,
        .flows_cur_cfg = ofctrl_get_cur_cfg(agent->ofctrl),
        .now = time_wall_msec(),
    };
    struct sset old_watch;
    sset_clone(&old_watch, &agent->binding.watch);
    bool binding_changed = binding_run(&b_in, &agent->binding) || activated;
    bool watch_changed = !sset_equals(&old_watch, &agent->binding.watch);
    sset_destroy(&old_watch);

    /* The Ports to replicate follow the VIFs and the bindings. */
    struct port_monitor_ctx_in pm_in = {
        .roam_idl = roam_idl,
        .inputs_complete = (roam_synced && ch_out.chassis
                            && ovsdb_idl_has_ever_connected(ovs_idl)),
        .monitor_all = cfg->monitor_all,
        .chassis_name = cfg->system_id,
        .chassis = ch_out.chassis,
        .iface_ids = &agent->binding.interfaces,
    };
    bool ports_settled_changed = port_monitor_run(&pm_in,
                                                  &agent->port_monitor);
    if (ports_settled_changed) {
        /* Binding, which ran before, reads whether the Ports are settled
         * (to name a VIF whose Port does not exist, to look for orphaned
         * bindings), and no message from either database need follow the
         * reply that settled them: run again now, not on whatever wakes
         * the agent next. */
        poll_immediate_wake();
    }

    struct pipeline_ctx_in p_in = {
        .roam_idl = roam_idl,
        .port_by_name = agent->port_by_name,
        .port_by_network = agent->port_by_network,
        .chassis = ch_out.chassis,
        .binding = &agent->binding,
        .br_int = br_out.bridge,
        .tunnels = &tunnels,
        .dead_chassis = &agent->dead_chassis,
    };
    /* Every input of the pipeline comes from the two databases (the
     * tunnels' ofports follow from their contents) or from binding, which
     * reports a VIF that appeared, left, got another OpenFlow port from the
     * switch, or changed its role or whether it awaits a claim, so
     * unchanged sequence numbers and no change reported mean unchanged
     * flows.  A reconnection to
     * the central database may have lost deletions: compute everything
     * again after one. */
    if (!ovsdb_idl_is_connected(roam_idl)) {
        desired_flows_invalidate(&agent->desired);
    }
    unsigned int roam_seqno = ovsdb_idl_get_seqno(roam_idl);
    unsigned int ovs_seqno = ovsdb_idl_get_seqno(ovs_idl);
    bool flows_computed = false;
    if (agent->recompute || binding_changed || tunnels_changed
        || dead_changed
        || roam_seqno != agent->pipeline_roam_seqno
        || ovs_seqno != agent->pipeline_ovs_seqno
        || ch_out.chassis != agent->pipeline_chassis) {
        if (agent->recompute || !ch_out.chassis) {
            desired_flows_invalidate(&agent->desired);
        }
        if (ch_out.chassis) {
            size_t n_classes;
            struct desired_flows_ctx_in df_in = {
                .pipeline = &p_in,
                .classes = plugin_get_all(&n_classes),
                .disabled = &cfg->plugins_disabled,
            };
            df_in.n_classes = n_classes;
            desired_flows_run(&df_in, &agent->desired);
            /* The computation may have removed the flows of unknown MACs
             * with their network's, or made some stale. */
            struct unknown_macs_ctx_in um_in;
            agent_unknown_macs_ctx_in(agent, &um_in);
            unknown_macs_run(&um_in, &agent->unknown_macs,
                             &agent->desired.flows);
        }
        /* The changes are in the flows now (or, without a chassis, the next
         * computation is a full one). */
        ovsdb_idl_track_clear(roam_idl);
        agent->pipeline_roam_seqno = roam_seqno;
        agent->pipeline_ovs_seqno = ovs_seqno;
        agent->pipeline_chassis = ch_out.chassis;
        agent->recompute = false;
        flows_computed = true;
    }

    /* The switch gets flows only from a complete picture: both databases
     * replicated and this chassis registered.  A desired table computed
     * before that would be missing flows, and the diff would delete them
     * from the switch: after a restart, the flows installed by the previous
     * run simply stay until the picture is complete.  (Once this chassis's
     * own Chassis_Private row has been seen, a change of the condition for
     * the chassis whose liveness binding follows does not hold flows
     * back.) */
    if (condition_synced) {
        agent->condition_ever_synced = true;
    }
    bool complete = (roam_synced && agent->condition_ever_synced
                     && agent->port_monitor.ever_settled
                     && ch_out.chassis
                     && ovsdb_idl_has_ever_connected(ovs_idl));
    agent->flows_complete = complete;
    if (complete) {
        agent->put_seqno++;
        ofctrl_put(agent->ofctrl, &agent->desired.flows, agent->put_seqno);
    }
    bool flows_cfg_set = false;
    if (complete && ofctrl_is_synced(agent->ofctrl)
        && agent->port_monitor.settled) {
        /* The flows of newly bound ports went out with this put, and with
         * them those of every port of their networks. */
        struct shash_node *node;
        SHASH_FOR_EACH (node, &agent->binding.vifs) {
            struct local_vif *vif = node->data;
            if (vif->state == VIF_BOUND && !vif->flows_cfg
                && vif->ofport != OFPP_NONE) {
                vif->flows_cfg = agent->put_seqno;
                flows_cfg_set = true;
                /* A put with nothing to send is confirmed at once, without
                 * a barrier reply to wake the loop for Port.up. */
                poll_immediate_wake();
            }
        }
    }

    /* Plugins send their packets after the flows of this iteration, and so
     * do the VIFs activated by them. */
    if (complete && ofctrl_is_synced(agent->ofctrl)) {
        /* The first packets of a VIF came before what it held, if any. */
        agent_send_first_packets(agent, ch_out.chassis);
        agent_send_held_packets(agent);
        agent_run_plugins(agent, &p_in);
    } else {
        first_packets_clear(&agent->first_packets);
    }
    tunnels_clear(&tunnels);
    shash_destroy(&tunnels);

    /* Global nb_cfg is acknowledged once this iteration found nothing left
     * to write in either database, nothing is still being committed, and the
     * switch confirmed the flows computed from that state. */
    const struct roamrec_global *global = roamrec_global_first(roam_idl);
    bool settled = (roam_txn && ovs_txn
                    && !ch_out.changed && ch_out.chassis
                    && !br_out.changed && br_out.bridge
                    && !tunnels_changed && !binding_changed
                    && !agent->ovs_loop.committing_txn
                    && agent->port_monitor.settled
                    && complete && ofctrl_is_synced(agent->ofctrl));
    bool nb_cfg_seen = false;
    if (global && settled && global->nb_cfg != agent->nb_cfg_seen) {
        agent->nb_cfg_seen = global->nb_cfg;
        agent->nb_cfg_put_seqno = agent->put_seqno;
        nb_cfg_seen = true;
    }

    /* The next wake-up runs the modules again, whatever its inputs, if this
     * run could not write (no transaction), wrote, or changed what the next
     * run reads: so every change goes on as when every wake-up ran them,
     * until a run finds nothing to do. */
    agent->run_again = !(roam_synced && roam_txn && ovs_txn
                         && !br_out.changed && !ch_out.changed
                         && !tunnels_changed && !dead_changed
                         && !binding_changed && !watch_changed
                         && !ports_settled_changed
                         && !flows_computed && !flows_cfg_set
                         && !nb_cfg_seen && !had_stale);
}

/* Writes this chassis's heartbeat when it is due, renews the watches of the
 * chassis whose liveness bindings need, and acknowledges the nb_cfg whose
 * flows the switch confirmed: on every wake-up, with the rows the last run
 * of the modules found. */
static void
agent_run_chassis_private(struct agent *agent, struct ovsdb_idl_txn *roam_txn)
{
    struct ovsdb_idl *roam_idl = agent->roam_loop.idl;
    int64_t nb_cfg_ack = -1;

    if (agent->nb_cfg_seen >= 0
        && ofctrl_get_cur_cfg(agent->ofctrl) >= agent->nb_cfg_put_seqno) {
        nb_cfg_ack = agent->nb_cfg_seen;
    }

    struct chassis_private_ctx_in cp_in = {
        .roam_idl_txn = (ovsdb_idl_has_ever_connected(roam_idl)
                         ? roam_txn : NULL),
        .indexes = &agent->chassis_indexes,
        .name = agent->cfg.system_id,
        .chassis = agent->chassis,
        .heartbeat_interval = agent->cfg.heartbeat_interval,
        .condition_synced = agent->condition_synced,
        .watch = &agent->binding.watch,
        .watch_owner = agent->standby,
        .answered_since = agent->answered_watch,
        .nb_cfg = nb_cfg_ack,
        .now = time_wall_msec(),
    };
    struct chassis_private_ctx_out cp_out;
    chassis_private_run(&cp_in, &cp_out);
    agent->chassis_private = cp_out.row;
    agent->answered_watch = cp_out.answered_since;
    if (cp_out.next_run != LLONG_MAX) {
        poll_timer_wait(MAX(0, cp_out.next_run - time_wall_msec()));
    }
}

/* One iteration of the main loop, up to committing the transactions.
 *
 * An idle agent that nobody watches (ovsdb/chassis-liveness.h) does not
 * wake up at all.  A watched one wakes up for its heartbeat: for the timer,
 * for the reply to the transaction and for the write's echo in the monitor
 * (often a wake-up each: the server sends them one after the other).  None
 * of these changes what the modules of the data path read, so those run
 * only on a wake-up that did change something: the contents of a database
 * (its sequence number: heartbeats do not alert) or its connection, the
 * Chassis_Private condition in effect, the liveness of a replicated
 * chassis, the tunnel endpoint, the OpenFlow connection (ofctrl_run()), a
 * packet-in that is no new VIF's first packet, a "recompute", or the
 * outcome of transactions that the modules wrote; and on the wake-up after
 * a run that left work.  The heartbeat, the watches and the nb_cfg
 * acknowledgement are written on every wake-up. */
static void
agent_run(struct agent *agent)
{
    struct ovsdb_idl_txn *ovs_txn = ovsdb_idl_loop_run(&agent->ovs_loop);
    struct ovsdb_idl_txn *roam_txn = ovsdb_idl_loop_run(&agent->roam_loop);
    struct ovsdb_idl *ovs_idl = agent->ovs_loop.idl;

    COVERAGE_INC(agent_wakeup);
    agent->ran_modules = false;

    const struct ovsrec_open_vswitch *ovs_row
        = ovsrec_open_vswitch_first(ovs_idl);
    /* The keys can only have changed if the local database did. */
    unsigned int config_seqno = ovsdb_idl_get_seqno(ovs_idl);
    if (config_seqno != agent->config_ovs_seqno) {
        update_config(agent, ovs_row);
        agent->config_ovs_seqno = config_seqno;
    }
    agent_expire_unknown_macs(agent);

    if (agent->encap_iface) {
        encap_iface_run(agent->encap_iface);
    }

    if (!agent->have_cfg || !ovs_row) {
        /* Without the Open_vSwitch row (deleted: update_config() warned),
         * the agent keeps what it installed and waits for the row; the
         * switch's OpenFlow connection, which is not read meanwhile, is
         * closed (and synced again, without a flush, once it is back). */
        if (!ovs_row) {
            ofctrl_set_bridge(agent->ofctrl, NULL);
        }
        agent->bridge = NULL;
        agent->chassis = NULL;
        agent->chassis_private = NULL;
        agent->encap_ip = NULL;
        first_packets_clear(&agent->first_packets);
        return;
    }
    agent->encap_ip = resolve_encap_ip(agent);
    ofctrl_set_bridge(agent->ofctrl, agent->cfg.bridge);
    agent->port_seqno_before_run = ofctrl_get_port_seqno(agent->ofctrl);
    bool ofctrl_changed = ofctrl_run(agent->ofctrl);
    bool other_packet_ins = agent_take_packet_ins(agent);

    struct agent_inputs inputs;
    agent_inputs_read(agent, &inputs);
    /* Kept first packets expire on time, also when nothing else happens
     * (agent_wait() wakes the agent then). */
    first_packets_expire(&agent->first_packets, time_msec());

    bool commits_done = (agent->modules_commit_pending
                         && !agent->ovs_loop.committing_txn
                         && !agent->roam_loop.committing_txn);
    if (agent->run_again || agent->recompute || ofctrl_changed
        || other_packet_ins || commits_done
        || !agent_inputs_equal(&inputs, &agent->inputs)) {
        COVERAGE_INC(agent_run_modules);
        agent_inputs_keep(agent, &inputs);
        agent->ran_modules = true;
        agent->modules_commit_pending = false;
        agent_run_modules(agent, ovs_txn, roam_txn);
    } else {
        sset_destroy(&inputs.alive);
        sset_destroy(&inputs.dead);
        /* What the modules read is unchanged: first packets that came now
         * are sent on if their VIF is served already, or dropped if none
         * may take them, without running the modules.  So the first
         * packets of unicast from tunnels to a MAC that no VIF here has,
         * which the switch sends the agent (flood's punt) until the agent
         * has learned the MAC (unknown-macs.h), cost little. */
        if (agent->first_packets.n_pending && agent->flows_complete
            && ofctrl_is_synced(agent->ofctrl)) {
            agent_send_first_packets(agent, agent->chassis);
        }
    }
    agent_run_chassis_private(agent, roam_txn);
}

static void
agent_wait(struct agent *agent)
{
    ofctrl_wait(agent->ofctrl);
    long long int expiry
        = MIN(first_packets_next_expiry(&agent->first_packets),
              agent_unknown_macs_expiry(agent));
    if (expiry != LLONG_MAX) {
        poll_timer_wait_until(expiry);
    }
    if (agent->encap_iface) {
        encap_iface_wait(agent->encap_iface);
    }
    int ovs_retval = ovsdb_idl_loop_commit_and_wait(&agent->ovs_loop);
    int retval = ovsdb_idl_loop_commit_and_wait(&agent->roam_loop);
    if (retval >= 0) {
        agent->central_txn_failed = !retval;
    }

    /* The modules see how their writes went (a failed heartbeat is
     * written again by itself). */
    if (agent->ran_modules) {
        agent->modules_commit_pending = (agent->ovs_loop.committing_txn
                                         || agent->roam_loop.committing_txn);
    }
    if (!ovs_retval || !retval) {
        agent->run_again = true;
    }
}

/* The Port rows that the IDL holds. */
static size_t
count_ports(struct ovsdb_idl *roam_idl)
{
    const struct roamrec_port *port;
    size_t n = 0;

    ROAMREC_PORT_FOR_EACH (port, roam_idl) {
        n++;
    }
    return n;
}

/* Adds to 'usage' what the agent holds, by kind: the rows the two IDLs
 * replicate (as OVS's daemons count them, rows times the table's columns),
 * the flows it wants and those the switch has, the local networks, the
 * Port rows replicated, the kept first packets of new VIFs, and the learned
 * unknown MACs.  For
 * "memory/show" and for the log line that follows a growth of the
 * resident set. */
static void
agent_get_memory_usage(const struct agent *agent, struct simap *usage)
{
    ovsdb_idl_get_memory_usage(agent->ovs_loop.idl, usage);
    ovsdb_idl_get_memory_usage(agent->roam_loop.idl, usage);
    simap_increase(usage, "desired-flows",
                   flow_set_count(&agent->desired.flows));
    simap_increase(usage, "installed-flows",
                   flow_set_count(ofctrl_get_installed(agent->ofctrl)));
    simap_increase(usage, "local-networks",
                   hmap_count(&agent->desired.local_networks));
    simap_increase(usage, "replicated-ports",
                   count_ports(agent->roam_loop.idl));
    simap_increase(usage, "first-packets", agent->first_packets.n_pending);
    simap_increase(usage, "unknown-macs",
                   hmap_count(&agent->unknown_macs.entries));
}

int
main(int argc, char *argv[])
{
    struct unixctl_server *unixctl;
    struct agent agent;

    ovs_cmdl_proctitle_init(argc, argv);
    ovs_set_program_name(argv[0], PACKAGE_VERSION);
    fatal_ignore_sigpipe();

    char *ovs_remote = parse_options(argc, argv);

    daemonize_start(false);
    int retval = unixctl_server_create(unixctl_path, &unixctl);
    if (retval) {
        exit(EXIT_FAILURE);
    }
    daemonize_complete();

    /* unixctl_server_create() registers "version" and "help" itself. */
    agent_init(&agent, ovs_remote);
    unixctl_command_register("exit", "", 0, 0, agent_unixctl_exit, &agent);
    unixctl_command_register("status", "", 0, 0, agent_unixctl_status,
                             &agent);
    unixctl_command_register("dump-desired-flows", "", 0, 0,
                             agent_unixctl_dump_desired_flows, &agent);
    unixctl_command_register("explain-flow", "COOKIE|FLOW", 1, INT_MAX,
                             agent_unixctl_explain_flow, &agent);
    unixctl_command_register("recompute", "", 0, 0, agent_unixctl_recompute,
                             &agent);
    VLOG_INFO("roam-agent %s (Open vSwitch library %s) started, local "
              "database %s", PACKAGE_VERSION, ROAM_OVS_VERSION, ovs_remote);

    while (!agent.exiting) {
        /* Only looks at the resident set on a wake-up that happens anyway,
         * at most every 10 s: it adds none. */
        memory_run();
        if (memory_should_report()) {
            struct simap usage = SIMAP_INITIALIZER(&usage);

            agent_get_memory_usage(&agent, &usage);
            memory_report(&usage);
            simap_destroy(&usage);
        }
        agent_run(&agent);
        unixctl_server_run(unixctl);
        if (agent.exiting) {
            poll_immediate_wake();
        }
        agent_wait(&agent);
        unixctl_server_wait(unixctl);
        memory_wait();
        poll_block();
        if (should_service_stop()) {
            agent.exiting = true;
        }
    }

    VLOG_INFO("exiting; flows and database rows stay in place");
    unixctl_server_destroy(unixctl);
    agent_destroy(&agent);
    service_stop();
    return 0;
}

static void
agent_unixctl_exit(struct unixctl_conn *conn, int argc OVS_UNUSED,
                   const char *argv[] OVS_UNUSED, void *agent_)
{
    struct agent *agent = agent_;

    agent->exiting = true;
    unixctl_command_reply(conn, NULL);
}

static void
put_connection_status(struct ds *s, const char *what, const char *remote,
                      struct ovsdb_idl *idl)
{
    ds_put_format(s, "%s: %s: ", what, remote ? remote : "(not configured)");
    if (!remote) {
        ds_put_cstr(s, "-\n");
    } else if (ovsdb_idl_is_connected(idl)) {
        ds_put_cstr(s, "connected\n");
    } else {
        int error = ovsdb_idl_get_last_error(idl);
        ds_put_format(s, "not connected%s%s\n", error ? ": " : "",
                      error ? ovs_retval_to_string(error) : "");
    }
}

static void
agent_unixctl_status(struct unixctl_conn *conn, int argc OVS_UNUSED,
                     const char *argv[] OVS_UNUSED, void *agent_)
{
    struct agent *agent = agent_;
    const struct local_config *cfg = agent->have_cfg ? &agent->cfg : NULL;
    struct ds s = DS_EMPTY_INITIALIZER;

    ds_put_format(&s, "chassis: %s\n", cfg ? cfg->system_id : "(unknown)");
    ds_put_format(&s, "configuration: %s\n",
                  shash_is_empty(&agent->cfg_errors) ? "valid"
                  : cfg ? "invalid, running with the previous one"
                        : "incomplete, waiting");
    struct shash_node *node;
    SHASH_FOR_EACH (node, &agent->cfg_errors) {
        ds_put_format(&s, "  %s: %s\n", node->name,
                      (const char *) node->data);
    }

    put_connection_status(&s, "local database", agent->ovs_remote,
                          agent->ovs_loop.idl);
    put_connection_status(&s, "central database", cfg ? cfg->remote : NULL,
                          agent->roam_loop.idl);

    if (cfg) {
        char *types = sset_join(&cfg->encap_types, ",", "");
        ds_put_format(&s, "encap: %s %s", types,
                      agent->encap_ip ? agent->encap_ip : "(no address)");
        if (cfg->encap_iface) {
            ds_put_format(&s, " (from interface %s)", cfg->encap_iface);
        }
        ds_put_char(&s, '\n');
        free(types);

        const struct ovsrec_bridge *br = agent->bridge;
        size_t n_tables = flow_tables_count();
        ds_put_format(&s, "integration bridge: %s", cfg->bridge);
        if (br) {
            ds_put_format(&s, " (datapath %s, fail_mode %s, %"PRIuSIZE
                          " of %"PRIuSIZE" tables named)\n",
                          br->datapath_type[0] ? br->datapath_type : "system",
                          br->fail_mode ? br->fail_mode : "unset",
                          br->n_flow_tables, n_tables);
        } else {
            ds_put_cstr(&s, " (not created yet)\n");
        }
    }

    struct ovsdb_idl *roam_idl = agent->roam_loop.idl;
    size_t n_chassis = 0;
    const struct roamrec_chassis *ch;
    ROAMREC_CHASSIS_FOR_EACH (ch, roam_idl) {
        n_chassis++;
    }
    ds_put_format(&s, "chassis row: %s\n",
                  agent->chassis ? "registered" : "not registered");
    if (agent->chassis_conflict) {
        ds_put_format(&s, "conflict: %s\n", agent->chassis_conflict);
    }
    if (agent->central_txn_failed) {
        ds_put_cstr(&s, "last central transaction: failed (see the log)\n");
    }
    ds_put_format(&s, "chassis in central database: %"PRIuSIZE"\n",
                  n_chassis);
    const struct port_monitor *pm = &agent->port_monitor;
    ds_put_format(&s, "ports replicated: %"PRIuSIZE, count_ports(roam_idl));
    if (pm->monitor_all) {
        ds_put_format(&s, " (every Port%s)\n",
                      pm->settled ? "" : "; waiting for the server");
    } else {
        ds_put_format(&s, " (roam-monitor-all=false: the ports of %"PRIuSIZE
                      " networks, %"PRIuSIZE" iface-ids, %s)\n",
                      uuidset_count(&pm->networks), sset_count(&pm->names),
                      pm->settled ? "in effect" : "waiting for the server");
    }

    const struct roamrec_global *global = roamrec_global_first(roam_idl);
    const struct roamrec_chassis_private *cp = agent->chassis_private;
    ds_put_format(&s, "nb_cfg: %"PRId64", acknowledged: %"PRId64"\n",
                  global ? global->nb_cfg : 0, cp ? cp->nb_cfg : 0);
    if (cp) {
        long long int now = time_wall_msec();
        ds_put_format(&s, "heartbeat: every %"PRId64" ms while watched; %s\n",
                      cp->heartbeat_interval,
                      chassis_liveness_is_watched(cp, now)
                      ? "watched now" : "not watched");
    }
    if (!sset_is_empty(&agent->binding.watch) || agent->standby) {
        char *names = sset_join(&agent->binding.watch, ", ", "");
        ds_put_format(&s, "watching: %s", names);
        if (agent->standby) {
            ds_put_format(&s, "%sthe owner of chassis %s",
                          names[0] ? ", " : "", agent->cfg.system_id);
        }
        ds_put_char(&s, '\n');
        free(names);
    }

    ds_put_format(&s, "tunnels: %"PRIuSIZE"\n", agent->n_tunnels);
    if (!sset_is_empty(&agent->dead_chassis)) {
        const char **dead = sset_sort(&agent->dead_chassis);
        ds_put_cstr(&s, "unreachable chassis (BFD down, no flooding):");
        for (size_t i = 0; i < sset_count(&agent->dead_chassis); i++) {
            ds_put_format(&s, " %s", dead[i]);
        }
        ds_put_char(&s, '\n');
        free(dead);
    }
    ds_put_cstr(&s, "desired flows: ");
    desired_flows_format(&agent->desired, &s);
    /* ofctrl's lines, indented under a heading. */
    struct ds of_status = DS_EMPTY_INITIALIZER;
    ofctrl_format_status(agent->ofctrl, &of_status);
    ds_put_cstr(&s, "openflow:\n");
    char *save_ptr = NULL;
    for (char *line = strtok_r(ds_cstr(&of_status), "\n", &save_ptr); line;
         line = strtok_r(NULL, "\n", &save_ptr)) {
        ds_put_format(&s, "  %s\n", line);
    }
    ds_destroy(&of_status);
    ds_put_format(&s, "VIFs: %"PRIuSIZE"\n",
                  shash_count(&agent->binding.vifs));
    binding_format(&agent->binding, &s);
    first_packets_format(&agent->first_packets, &s);
    unknown_macs_format(&agent->unknown_macs, &s);

    unixctl_command_reply(conn, ds_cstr(&s));
    ds_destroy(&s);
}

/* Computes the desired flows again from scratch, even though no input
 * changed (a check, and the fallback should a change ever be missed), and
 * reads the switch's flows again: the diff then sends whatever differs,
 * also what someone else changed or deleted behind the agent's back. */
static void
agent_unixctl_recompute(struct unixctl_conn *conn, int argc OVS_UNUSED,
                        const char *argv[] OVS_UNUSED, void *agent_)
{
    struct agent *agent = agent_;

    agent->recompute = true;
    ofctrl_resync(agent->ofctrl);
    poll_immediate_wake();
    unixctl_command_reply(conn, NULL);
}

/* Prints the flows the agent wants on the integration bridge, one a line,
 * sorted, in the format of "ovs-ofctl --no-names dump-flows --no-stats", so
 * that the two can be compared. */
static void
agent_unixctl_dump_desired_flows(struct unixctl_conn *conn,
                                 int argc OVS_UNUSED,
                                 const char *argv[] OVS_UNUSED, void *agent_)
{
    struct agent *agent = agent_;
    struct svec lines = SVEC_EMPTY_INITIALIZER;
    const struct flow_set_entry *entry;

    HMAP_FOR_EACH (entry, node, &agent->desired.flows.flows) {
        struct ofputil_flow_stats fs = {
            .table_id = entry->table_id,
            .priority = entry->priority,
            .cookie = htonll(entry->cookie),
            .idle_timeout = OFP_FLOW_PERMANENT,
            .hard_timeout = OFP_FLOW_PERMANENT,
            .idle_age = -1,
            .hard_age = -1,
            .ofpacts = entry->ofpacts,
            .ofpacts_len = entry->ofpacts_len,
        };
        struct ds line = DS_EMPTY_INITIALIZER;

        minimatch_expand(entry->match, &fs.match);
        ofputil_flow_stats_format(&line, &fs, NULL, NULL, false);
        svec_add_nocopy(&lines, ds_steal_cstr(&line));
    }
    svec_sort(&lines);

    struct ds reply = DS_EMPTY_INITIALIZER;
    const char *line;
    size_t i;
    SVEC_FOR_EACH (i, line, &lines) {
        ds_put_format(&reply, "%s\n", line);
    }
    unixctl_command_reply(conn, ds_cstr(&reply));
    ds_destroy(&reply);
    svec_destroy(&lines);
}

/* "explain-flow COOKIE|FLOW": the row behind a flow's cookie and the
 * desired flows that carry it (flow-explain.h).  The words of a flow pasted
 * without quotes are joined again. */
static void
agent_unixctl_explain_flow(struct unixctl_conn *conn, int argc,
                           const char *argv[], void *agent_)
{
    struct agent *agent = agent_;
    struct ds arg = DS_EMPTY_INITIALIZER;

    for (int i = 1; i < argc; i++) {
        ds_put_format(&arg, "%s%s", i > 1 ? " " : "", argv[i]);
    }
    uint64_t cookie;
    char *error = flow_explain_parse_cookie(ds_cstr(&arg), &cookie);
    ds_destroy(&arg);
    if (error) {
        unixctl_command_reply_error(conn, error);
        free(error);
        return;
    }

    size_t n_classes;
    struct flow_explain_ctx_in ctx_in = {
        .desired = &agent->desired,
        .roam_idl = agent->roam_loop.idl,
        .ovs_idl = agent->ovs_loop.idl,
        .port_by_name = agent->port_by_name,
        .binding = &agent->binding,
        .chassis = agent->chassis,
        .classes = plugin_get_all(&n_classes),
    };
    ctx_in.n_classes = n_classes;

    struct ds reply = DS_EMPTY_INITIALIZER;
    if (flow_explain(&ctx_in, cookie, &reply)) {
        unixctl_command_reply(conn, ds_cstr(&reply));
    } else {
        unixctl_command_reply_error(conn, ds_cstr(&reply));
    }
    ds_destroy(&reply);
}

/* Parses the command line and returns the local database's remote. */
static char *
parse_options(int argc, char *argv[])
{
    enum {
        OPT_UNIXCTL = UCHAR_MAX + 1,
        VLOG_OPTION_ENUMS,
        DAEMON_OPTION_ENUMS,
        SSL_OPTION_ENUMS,
        OPT_PEER_CA_CERT,
        OPT_BOOTSTRAP_CA_CERT,
    };
    static const struct option long_options[] = {
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},
        {"unixctl", required_argument, NULL, OPT_UNIXCTL},
        VLOG_LONG_OPTIONS,
        DAEMON_LONG_OPTIONS,
        STREAM_SSL_LONG_OPTIONS,
        {"peer-ca-cert", required_argument, NULL, OPT_PEER_CA_CERT},
        {"bootstrap-ca-cert", required_argument, NULL, OPT_BOOTSTRAP_CA_CERT},
        {NULL, 0, NULL, 0},
    };
    char *short_options = ovs_cmdl_long_options_to_short_options(long_options);

    for (;;) {
        int c = getopt_long(argc, argv, short_options, long_options, NULL);
        if (c == -1) {
            break;
        }

        switch (c) {
        case 'h':
            usage();

        case 'V':
            ovs_print_version(0, 0);
            exit(EXIT_SUCCESS);

        case OPT_UNIXCTL:
            unixctl_path = optarg;
            break;

        VLOG_OPTION_HANDLERS
        DAEMON_OPTION_HANDLERS
        STREAM_SSL_OPTION_HANDLERS

        case OPT_PEER_CA_CERT:
            stream_ssl_set_peer_ca_cert_file(optarg);
            break;

        case OPT_BOOTSTRAP_CA_CERT:
            stream_ssl_set_ca_cert_file(optarg, true);
            break;

        case '?':
            exit(EXIT_FAILURE);

        default:
            OVS_NOT_REACHED();
        }
    }
    free(short_options);

    argc -= optind;
    argv += optind;
    if (argc == 0) {
        return xasprintf("unix:%s/db.sock", ovs_rundir());
    } else if (argc == 1) {
        int error = stream_verify_name(argv[0]);
        if (error) {
            ovs_fatal(0, "%s: not a valid database connection method (%s); "
                      "expected e.g. unix:%s/db.sock", argv[0],
                      ovs_strerror(error), ovs_rundir());
        }
        return xstrdup(argv[0]);
    } else {
        ovs_fatal(0, "at most one non-option argument (the local Open "
                  "vSwitch database) is allowed; use --help for usage");
    }
}

static void
usage(void)
{
    printf("%s: Roam overlay agent\n"
           "usage %s [OPTIONS] [OVS-DATABASE]\n"
           "where OVS-DATABASE is the local Open vSwitch database's socket\n"
           "(default: \"unix:%s/db.sock\").\n"
           "Its Open_vSwitch row's external_ids configure the agent: see\n"
           "roam-agent(8).\n",
           program_name, program_name, ovs_rundir());
    stream_usage("OVS-DATABASE", true, false, true);
    daemon_usage();
    vlog_usage();
    printf("\nOther options:\n"
           "  --unixctl=SOCKET        override default control socket name\n"
           "  -h, --help              display this help message\n"
           "  -V, --version           display version information\n");
    exit(EXIT_SUCCESS);
}
