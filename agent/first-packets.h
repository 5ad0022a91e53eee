/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef FIRST_PACKETS_H
#define FIRST_PACKETS_H 1

/* A new VIF's first packets (see pipeline.h): what the switch's datapath
 * flows, computed before the VIF's flows existed, send the agent instead of
 * forwarding it: from the VIF's port, and from a tunnel to the VIF's MAC.
 *
 * The agent reads them before it runs binding, so that the VIF they belong
 * to may become one that this chassis serves later in the same iteration, or
 * in one of the next few.  Each packet is kept until its VIF is served, and
 * then sent on through the pipeline (pipeline_put_resend()), after the flows
 * that serve the VIF; or dropped, if no VIF that may still be served here
 * matches it, or after FIRST_PACKETS_MAX_AGE ms. */

#include <stdbool.h>
#include "openvswitch/list.h"
#include "openvswitch/types.h"

struct binding_state;
struct ds;
struct ofctrl_packet_in;
struct ovsdb_idl_index;
struct roamrec_chassis;
struct roamrec_port;

/* How long, in ms, and how many packets of each kind (from a VIF's port,
 * from a tunnel) are kept at most: unicast from tunnels to MACs that no VIF
 * has also comes in steady state, and must not push out what a new VM
 * sends. */
#define FIRST_PACKETS_MAX_AGE 100
#define FIRST_PACKETS_MAX 64

struct first_packets {
    struct ovs_list pending;    /* "struct first_packet"s, oldest first. */
    size_t n_pending;
    size_t n_from_tunnel;       /* Of 'n_pending', those from a tunnel. */
    unsigned long long int n_sent;      /* Sent on to a served VIF. */
    unsigned long long int n_dropped;   /* For no VIF, or too late. */
};

/* One kept packet. */
struct first_packet {
    struct ovs_list list_node;  /* In "struct first_packets"'s list. */
    struct ofctrl_packet_in *pin; /* The packet-in (owned). */
    long long int received;     /* time_msec() when it arrived. */
};

void first_packets_init(struct first_packets *);
void first_packets_destroy(struct first_packets *);

/* If 'pin' is one of a new VIF's first packets (pipeline_is_new_vif_punt()),
 * keeps it, taking it over, and returns true; else returns false. */
bool first_packets_take(struct first_packets *, struct ofctrl_packet_in *pin,
                        long long int now);

/* Inputs of first_packets_run(). */
struct first_packets_ctx_in {
    const struct binding_state *binding;
    struct ovsdb_idl_index *port_by_name;   /* binding_port_index_create() */
    const struct roamrec_chassis *chassis;  /* This chassis, or NULL. */
    bool flows_sent;                        /* The flows of the last run
                                             * of the modules went to the
                                             * switch (none are held
                                             * back). */
    long long int now;                      /* time_msec(). */
};

/* Moves into 'to_send' the kept packets of the VIFs that this chassis
 * serves now (BINDING_ROLE_ACTIVE), if the flows that serve them went out,
 * in the order they came, and drops those that no VIF may still take (see
 * above) or that are too old.  The caller sends them after the
 * flows of this iteration, with pipeline_put_resend(), and frees them with
 * first_packet_destroy().  Of the dropped packets, moves those that came
 * from a tunnel and that no VIF here may take into 'no_vif', for the caller
 * to look at (unknown-macs.h) and free the same way. */
void first_packets_run(const struct first_packets_ctx_in *,
                       struct first_packets *, struct ovs_list *to_send,
                       struct ovs_list *no_vif);

/* Drops the kept packets that are too old at time_msec() 'now', with nothing
 * else to do: an idle agent needs to run nothing else for them. */
void first_packets_expire(struct first_packets *, long long int now);

/* Returns the time_msec() when the oldest kept packet becomes too old,
 * LLONG_MAX if none is kept. */
long long int first_packets_next_expiry(const struct first_packets *);

/* Drops every kept packet (the switch's flows are not the agent's yet). */
void first_packets_clear(struct first_packets *);

void first_packet_destroy(struct first_packet *);

/* Returns true if 'pin', one of a new VIF's first packets, belongs to
 * 'port', whose VIF here has OpenFlow port 'ofport': it came in on that port
 * (classify), or from a tunnel with the key of the port's network and to the
 * port's MAC (flood). */
bool first_packets_is_for(const struct ofctrl_packet_in *pin,
                          const struct roamrec_port *port, ofp_port_t ofport);

/* Appends the counters to 's', for status. */
void first_packets_format(const struct first_packets *, struct ds *s);

#endif /* agent/first-packets.h */
