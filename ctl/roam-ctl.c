/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

/* roam-ctl: the orchestrator's and operator's command-line interface to the
 * Roam database.
 *
 * Built on Open vSwitch's db-ctl-base, the way ovs-vsctl and ovn-nbctl are:
 * every command on the command line ("--"-separated) runs in one OVSDB
 * transaction.  Each command goes through three phases:
 *
 *   - prerequisites: before connecting, says which tables the command reads
 *     and checks the syntax of its arguments (roam-validate), so that a
 *     malformed MAC is refused without touching the database;
 *
 *   - run: against a consistent snapshot of the database, checks what only
 *     the contents can tell (does the network exist, is the VNI or MAC taken)
 *     and stages changes in the transaction;
 *
 *   - postprocess: after the commit.
 *
 * Any error in the first two phases ends the program before the transaction
 * is sent, so nothing is written.  With --wait=hv the transaction also
 * increments Global.nb_cfg, and roam-ctl then waits until every live chassis
 * reports in Chassis_Private that it has applied that configuration. */

#include <config.h>

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bitmap.h"
#include "command-line.h"
#include "ctl/chassis-watch.h"
#include "db-ctl-base.h"
#include "dirs.h"
#include "fatal-signal.h"
#include "openvswitch/dynamic-string.h"
#include "openvswitch/poll-loop.h"
#include "openvswitch/shash.h"
#include "openvswitch/vlog.h"
#include "ovsdb-data.h"
#include "ovsdb-idl.h"
#include "ovsdb/chassis-liveness.h"
#include "ovsdb/roam-idl.h"
#include "ovsdb/roam-validate.h"
#include "packets.h"
#include "process.h"
#include "sset.h"
#include "stream-ssl.h"
#include "stream.h"
#include "svec.h"
#include "table.h"
#include "timeval.h"
#include "util.h"

VLOG_DEFINE_THIS_MODULE(roam_ctl);

/* --db: The database server to contact. */
static const char *db;

/* --oneline: Write each command's output as a single line? */
static bool oneline;

/* --dry-run: Do not commit any changes. */
static bool dry_run;

/* --wait: What to wait for after a transaction that changed something. */
enum roam_ctl_wait {
    ROAM_CTL_WAIT_NONE,         /* Nothing: return after the commit. */
    ROAM_CTL_WAIT_HV,           /* Every live chassis applied the change. */
};
static enum roam_ctl_wait wait_type = ROAM_CTL_WAIT_NONE;

/* Set by the "sync" command: wait (if --wait says so) even if the other
 * commands change nothing. */
static bool force_wait;

/* The chassis whose liveness the commands show or need, set by their
 * prerequisites: all of them, or those named in 'liveness_wanted'.  Agents
 * beat only while watched (ovsdb/chassis-liveness.h), so roam-ctl watches
 * those before it runs the commands, and takes the watches back at the
 * end. */
static bool liveness_of_all;
static struct sset liveness_wanted = SSET_INITIALIZER(&liveness_wanted);
static struct chassis_watches *the_watches;

/* --timeout: Seconds the whole run may take, 0 for no limit, and the
 * time_msec() at which it ends (LLONG_MAX without a limit). */
static unsigned int timeout;
static long long int deadline = LLONG_MAX;

/* Format for table output. */
static struct table_style table_style = TABLE_STYLE_DEFAULT;

/* The IDL and the current transaction, if any, for roam_ctl_exit() only, so
 * that it can clean up.  Other code uses its context arguments. */
static struct ovsdb_idl *the_idl;
static struct ovsdb_idl_txn *the_idl_txn;

/* Port tunnel keys are 1...PORT_KEY_MAX (schema: Port.tunnel_key). */
#define PORT_KEY_MAX 32767

/* A port requests at most this many chassis: the source and destination of
 * a live migration (schema: Port.requested_chassis). */
#define MAX_REQUESTED_CHASSIS 2

OVS_NO_RETURN static void roam_ctl_exit(int status);
OVS_NO_RETURN static void usage(void);
static void roam_ctl_cmd_init(void);
static void parse_options(int argc, char *argv[],
                          struct shash *local_options);
static void hoist_command_options(int argc, char *argv[]);
static void run_idl(struct ovsdb_idl *);
static void learn_liveness(struct ovsdb_idl *);
static void run_prerequisites(struct ctl_command[], size_t n_commands,
                              struct ovsdb_idl *);
static bool do_roam_ctl(const char *args, struct ctl_command *, size_t n,
                        struct ovsdb_idl *);

int
main(int argc, char *argv[])
{
    struct ctl_command *commands;
    struct shash local_options;
    struct ovsdb_idl *idl;
    unsigned int seqno;
    size_t n_commands;

    set_program_name(argv[0]);
    fatal_ignore_sigpipe();
    vlog_set_levels(NULL, VLF_CONSOLE, VLL_WARN);
    vlog_set_levels_from_string_assert("reconnect:warn");

    roam_ctl_cmd_init();

    /* Parse command line. */
    char *args = process_escape_args(argv);
    shash_init(&local_options);
    parse_options(argc, argv, &local_options);
    hoist_command_options(argc - optind, argv + optind);
    char *error = ctl_parse_commands(argc - optind, argv + optind,
                                     &local_options, &commands, &n_commands);
    if (error) {
        ctl_fatal("%s", error);
    }
    VLOG(ctl_might_write_to_db(commands, n_commands) ? VLL_INFO : VLL_DBG,
         "Called as %s", args);

    if (timeout) {
        deadline = time_msec() + timeout * 1000LL;
    }

    /* Initialize IDL.  Commands say in their prerequisites which tables and
     * columns they need, so that roam-ctl does not download 100,000 ports
     * to add a network. */
    idl = the_idl = ovsdb_idl_create_unconnected(&roamrec_idl_class, false);
    ovsdb_idl_set_remote(idl, db, false);
    ovsdb_idl_set_db_change_aware(idl, false);
    run_prerequisites(commands, n_commands, idl);
    seqno = ovsdb_idl_get_seqno(idl);
    if (liveness_of_all || !sset_is_empty(&liveness_wanted)) {
        learn_liveness(idl);
    }

    /* Execute the commands.
     *
     * 'seqno' is the database sequence number for which we last tried to
     * execute our transaction.  There's no point in trying to commit more than
     * once for any given sequence number, because if the transaction fails
     * it's because the database changed and we need to obtain an up-to-date
     * view of the database before we try the transaction again. */
    for (;;) {
        run_idl(idl);

        if (seqno != ovsdb_idl_get_seqno(idl)) {
            seqno = ovsdb_idl_get_seqno(idl);
            if (do_roam_ctl(args, commands, n_commands, idl)) {
                free(args);
                exit(EXIT_SUCCESS);
            }
        }

        if (seqno == ovsdb_idl_get_seqno(idl)) {
            ovsdb_idl_wait(idl);
            if (deadline != LLONG_MAX) {
                poll_timer_wait_until(deadline);
            }
            poll_block();
            if (time_msec() >= deadline) {
                ctl_fatal("timeout after %u seconds waiting for %s",
                          timeout, db);
            }
        }
    }
}

/* Returns the database to contact without --db: $ROAM_DB, else the
 * "roam.sock" socket in Open vSwitch's run directory. */
static const char *
default_db(void)
{
    static char *def;

    if (!def) {
        const char *env = getenv("ROAM_DB");
        def = (env && env[0]
               ? xstrdup(env)
               : xasprintf("unix:%s/roam.sock", ovs_rundir()));
    }
    return def;
}

static void
parse_options(int argc, char *argv[], struct shash *local_options)
{
    enum {
        OPT_DB = UCHAR_MAX + 1,
        OPT_ONELINE,
        OPT_NO_WAIT,
        OPT_WAIT,
        OPT_DRY_RUN,
        OPT_BOOTSTRAP_CA_CERT,
        OPT_LOCAL,
        OPT_COMMANDS,
        OPT_OPTIONS,
        VLOG_OPTION_ENUMS,
        TABLE_OPTION_ENUMS,
        SSL_OPTION_ENUMS,
    };
    static const struct option global_long_options[] = {
        {"db", required_argument, NULL, OPT_DB},
        {"no-wait", no_argument, NULL, OPT_NO_WAIT},
        {"wait", required_argument, NULL, OPT_WAIT},
        {"dry-run", no_argument, NULL, OPT_DRY_RUN},
        {"oneline", no_argument, NULL, OPT_ONELINE},
        {"timeout", required_argument, NULL, 't'},
        {"help", no_argument, NULL, 'h'},
        {"commands", no_argument, NULL, OPT_COMMANDS},
        {"options", no_argument, NULL, OPT_OPTIONS},
        {"version", no_argument, NULL, 'V'},
        VLOG_LONG_OPTIONS,
        TABLE_LONG_OPTIONS,
        STREAM_SSL_LONG_OPTIONS,
        {"bootstrap-ca-cert", required_argument, NULL, OPT_BOOTSTRAP_CA_CERT},
        {NULL, 0, NULL, 0},
    };
    const int n_global_long_options = ARRAY_SIZE(global_long_options) - 1;
    struct option *options;
    size_t allocated_options;
    size_t n_options;
    char *tmp, *short_options;

    tmp = ovs_cmdl_long_options_to_short_options(global_long_options);
    short_options = xasprintf("+%s", tmp);
    free(tmp);

    /* Parse both the global options and, for the first command, its own
     * options (such as --may-exist), which db-ctl-base collects for us. */
    options = xmemdup(global_long_options, sizeof global_long_options);
    allocated_options = ARRAY_SIZE(global_long_options);
    n_options = n_global_long_options;
    ctl_add_cmd_options(&options, &n_options, &allocated_options, OPT_LOCAL);

    for (;;) {
        int idx;
        int c;

        c = getopt_long(argc, argv, short_options, options, &idx);
        if (c == -1) {
            break;
        }

        switch (c) {
        case OPT_DB:
            db = optarg;
            break;

        case OPT_ONELINE:
            oneline = true;
            break;

        case OPT_NO_WAIT:
            wait_type = ROAM_CTL_WAIT_NONE;
            break;

        case OPT_WAIT:
            if (!strcmp(optarg, "none")) {
                wait_type = ROAM_CTL_WAIT_NONE;
            } else if (!strcmp(optarg, "hv")) {
                wait_type = ROAM_CTL_WAIT_HV;
            } else {
                ctl_fatal("argument to --wait must be \"none\" or \"hv\" "
                          "(not \"%s\")", optarg);
            }
            break;

        case OPT_DRY_RUN:
            dry_run = true;
            break;

        case OPT_LOCAL:
            if (shash_find(local_options, options[idx].name)) {
                ctl_fatal("'%s' option specified multiple times",
                          options[idx].name);
            }
            shash_add_nocopy(local_options,
                             xasprintf("--%s", options[idx].name),
                             nullable_xstrdup(optarg));
            break;

        case 'h':
            usage();

        case OPT_COMMANDS:
            ctl_print_commands();
            /* fall through */

        case OPT_OPTIONS:
            ctl_print_options(global_long_options);
            /* fall through */

        case 'V':
            printf("%s (Roam) %s\n", program_name, PACKAGE_VERSION);
            printf("Open vSwitch library %s\n", ROAM_OVS_VERSION);
            printf("DB Schema %s\n", roamrec_get_db_version());
            exit(EXIT_SUCCESS);

        case 't':
            if (!str_to_uint(optarg, 10, &timeout)) {
                ctl_fatal("value %s on -t or --timeout is invalid "
                          "(expected a number of seconds)", optarg);
            }
            break;

        VLOG_OPTION_HANDLERS
        TABLE_OPTION_HANDLERS(&table_style)
        STREAM_SSL_OPTION_HANDLERS

        case OPT_BOOTSTRAP_CA_CERT:
            stream_ssl_set_ca_cert_file(optarg, true);
            break;

        case '?':
            exit(EXIT_FAILURE);

        case 0:
            break;

        default:
            OVS_NOT_REACHED();
        }
    }
    free(short_options);

    if (!db) {
        db = default_db();
    }

    for (size_t i = n_global_long_options; options[i].name; i++) {
        free(CONST_CAST(char *, options[i].name));
    }
    free(options);
}

static void
usage(void)
{
    printf("\
%s: Roam database management utility\n\
usage: %s [OPTIONS] COMMAND [ARG...] [-- [OPTIONS] COMMAND [ARG...]]...\n\
\n\
General commands:\n\
  init                        create the Global row, if it does not exist\n\
  show [NETWORK|CHASSIS]      print an overview of the database\n\
  sync                        with --wait=hv, wait for all live chassis\n\
                              even if nothing else changes\n\
\n\
Chassis commands:\n\
  chassis-list                one line per chassis: name, hostname, encaps,\n\
                              liveness and the nb_cfg it applied\n\
\n\
Network commands:\n\
  net-add NETWORK VNI [--mtu=MTU]\n\
                              create NETWORK with VNI (1 to 16777215)\n\
  net-del NETWORK             delete NETWORK and all of its ports\n\
  net-list                    print all networks\n\
\n\
Port commands:\n\
  port-add NETWORK PORT MAC [IP/PREFIX]...\n\
                              create PORT in NETWORK\n\
  port-del PORT               delete PORT\n\
  port-list [NETWORK]         print all ports, or NETWORK's ports\n\
  port-set-mac PORT MAC       change PORT's MAC address\n\
  port-set-addresses PORT [IP/PREFIX]...\n\
                              replace PORT's IP addresses\n\
  port-set-requested-chassis PORT [CHASSIS [CHASSIS]]\n\
                              where PORT should run: none, one chassis, or\n\
                              two during a live migration\n\
\n\
Live migration commands:\n\
  port-migrate PORT CHASSIS   start moving bound PORT live to CHASSIS (with\n\
                              --wait=hv: until every live chassis is ready)\n\
  port-migrate-finish PORT    end PORT's migration: request only the chassis\n\
                              it is bound to now\n\
  migration-list [PORT]       print the ports' moves, oldest first, with the\n\
                              milliseconds each step took\n\
\n\
Command options (before the command name or after its arguments):\n\
  --may-exist                 net-add, port-add: no error if it exists\n\
  --if-exists                 net-del, port-del, port-migrate-finish: no\n\
                              error if it is missing\n\
  --mtu=MTU                   net-add: the network's MTU (68-65535)\n\
\n\
%s\
%s\
\n\
Options:\n\
  --db=DATABASE               connect to DATABASE (default: $ROAM_DB,\n\
                              else %s)\n\
  --wait=none|hv              after a change, wait for nothing (default), or\n\
                              until every live chassis applied it\n\
  --no-wait                   same as --wait=none\n\
  -t, --timeout=SECS          give up after SECS seconds (0: never)\n\
  --dry-run                   do not commit changes to the database\n\
  --oneline                   print exactly one line of output per command\n",
           program_name, program_name, ctl_get_db_cmd_usage(),
           ctl_list_db_tables_usage(), default_db());
    table_usage();
    vlog_usage();
    stream_usage("database", true, true, true);
    printf("\n\
Other options:\n\
  -h, --help                  display this help message\n\
  -V, --version               display version information\n");
    exit(EXIT_SUCCESS);
}

/* Command options written after a command's arguments.
 *
 * db-ctl-base, like ovs-vsctl, wants a command's options before its name
 * ("--may-exist port-add ...").  Operators also write them after the
 * arguments ("net-add blue 100 --mtu=1442"), so for Roam's own commands
 * roam-ctl moves every trailing argument that is one of the command's options
 * to the front before db-ctl-base parses the command line. */

static const struct ctl_command_syntax *find_roam_command(const char *name);

/* Returns true if 'arg' (e.g. "--mtu=1442") names one of the options that
 * 'syntax' accepts. */
static bool
is_command_option(const struct ctl_command_syntax *syntax, const char *arg)
{
    if (strncmp(arg, "--", 2) || !arg[2]) {
        return false;
    }

    /* 'syntax->options' looks like "--may-exist,--mtu=". */
    size_t len = strcspn(arg, "=");
    const char *p = syntax->options;
    while (*p) {
        if (strcspn(p, "=?,") == len && !strncmp(p, arg, len)) {
            return true;
        }
        p += strcspn(p, ",");
        p += *p == ',';
    }
    return false;
}

/* Moves the options that trail the arguments of the one command in
 * 'argv[0]'...'argv[argc - 1]' in front of its name. */
static void
hoist_segment_options(int argc, char *argv[])
{
    int cmd = 0;
    while (cmd < argc && argv[cmd][0] == '-') {
        cmd++;
    }
    if (cmd >= argc) {
        return;
    }

    const struct ctl_command_syntax *syntax = find_roam_command(argv[cmd]);
    if (!syntax) {
        return;
    }
    for (int i = cmd + 1; i < argc; i++) {
        if (is_command_option(syntax, argv[i])) {
            char *option = argv[i];

            memmove(&argv[cmd + 1], &argv[cmd], (i - cmd) * sizeof *argv);
            argv[cmd++] = option;
        }
    }
}

/* Applies hoist_segment_options() to each "--"-separated command in
 * 'argv'. */
static void
hoist_command_options(int argc, char *argv[])
{
    int start = 0;

    for (int i = 0; i <= argc; i++) {
        if (i == argc || !strcmp(argv[i], "--")) {
            hoist_segment_options(i - start, &argv[start]);
            start = i + 1;
        }
    }
}

/* Database helpers. */

/* Makes the IDL replicate every column of 'table'. */
static void
add_table(struct ovsdb_idl *idl, const struct ovsdb_idl_table_class *table)
{
    ovsdb_idl_add_table(idl, table);
    for (size_t i = 0; i < table->n_columns; i++) {
        ovsdb_idl_add_column(idl, &table->columns[i]);
    }
}

/* Returns the network named 'id' or, failing that, whose UUID is 'id'.  If
 * there is none and 'must_exist', reports an error in 'ctx'. */
static const struct roamrec_network *
network_lookup(struct ctl_context *ctx, const char *id, bool must_exist)
{
    const struct roamrec_network *network;
    struct uuid uuid;

    ROAMREC_NETWORK_FOR_EACH (network, ctx->idl) {
        if (!strcmp(network->name, id)) {
            return network;
        }
    }
    if (uuid_from_string(&uuid, id)) {
        network = roamrec_network_get_for_uuid(ctx->idl, &uuid);
        if (network) {
            return network;
        }
    }
    if (must_exist) {
        ctl_error(ctx, "network \"%s\" does not exist", id);
    }
    return NULL;
}

/* Returns the port named 'id' or, failing that, whose UUID is 'id'.  If there
 * is none and 'must_exist', reports an error in 'ctx'. */
static const struct roamrec_port *
port_lookup(struct ctl_context *ctx, const char *id, bool must_exist)
{
    const struct roamrec_port *port;
    struct uuid uuid;

    ROAMREC_PORT_FOR_EACH (port, ctx->idl) {
        if (!strcmp(port->name, id)) {
            return port;
        }
    }
    if (uuid_from_string(&uuid, id)) {
        port = roamrec_port_get_for_uuid(ctx->idl, &uuid);
        if (port) {
            return port;
        }
    }
    if (must_exist) {
        ctl_error(ctx, "port \"%s\" does not exist", id);
    }
    return NULL;
}

/* Returns the name of 'network', or a placeholder for a port whose network
 * is missing (which the schema's strong reference should prevent). */
static const char *
network_name(const struct roamrec_network *network)
{
    return network ? network->name : "(none)";
}

/* Returns true if Port 'mac' strings 'a' and 'b' denote one address.  The
 * strings in the database need not be in roam-ctl's canonical form, since
 * other clients may have written them. */
static bool
macs_equal(const char *a, const char *b)
{
    struct eth_addr ea, eb;

    if (eth_addr_from_string(a, &ea) && eth_addr_from_string(b, &eb)) {
        return eth_addr_equals(ea, eb);
    }
    return !strcasecmp(a, b);
}

/* Returns a port in 'network', other than 'self', whose MAC is 'mac', or
 * NULL if there is none. */
static const struct roamrec_port *
find_port_with_mac(struct ctl_context *ctx,
                   const struct roamrec_network *network, const char *mac,
                   const struct roamrec_port *self)
{
    const struct roamrec_port *port;

    ROAMREC_PORT_FOR_EACH (port, ctx->idl) {
        if (port != self && port->network == network
            && macs_equal(port->mac, mac)) {
            return port;
        }
    }
    return NULL;
}

/* Reports in 'ctx' the error 'error', if nonnull, and frees it.  Returns
 * true if there was an error. */
static bool
report_error(struct ctl_context *ctx, char *error)
{
    if (error) {
        ctl_error(ctx, "%s", error);
        free(error);
        return true;
    }
    return false;
}

/* Parses 'text' as the integer called 'what' into '*value'.  Returns NULL if
 * successful, otherwise an error message for the caller to free. */
static char *
parse_integer(const char *what, const char *text, int64_t *value)
{
    long long int x;

    if (!str_to_llong(text, 10, &x)) {
        return xasprintf("%s \"%s\" is not an integer", what, text);
    }
    *value = x;
    return NULL;
}

/* Parses 'text' as a MAC address for a port and stores its canonical text
 * form (lowercase, two digits per octet) in 'mac'.  Returns NULL if
 * successful, otherwise an error message for the caller to free. */
static char *
parse_port_mac(const char *text, char mac[ETH_ADDR_STRLEN + 1])
{
    struct eth_addr ea;
    char *error = roam_validate_mac(text, &ea);

    if (!error) {
        snprintf(mac, ETH_ADDR_STRLEN + 1, ETH_ADDR_FMT, ETH_ADDR_ARGS(ea));
    }
    return error;
}

/* Checks that each of the 'n' strings in 'ips' is a valid port address and
 * that none is given twice.  Returns NULL if so, otherwise an error message
 * for the caller to free. */
static char *
check_port_ips(char *ips[], size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char *error = roam_validate_port_ip(ips[i]);
        if (error) {
            return error;
        }
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(ips[i], ips[j])) {
                return xasprintf("address \"%s\" is given twice", ips[i]);
            }
        }
    }
    return NULL;
}

/* Returns true if the addresses of 'port' are exactly the 'n' strings in
 * 'ips', in any order. */
static bool
port_ips_equal(const struct roamrec_port *port, char *ips[], size_t n)
{
    struct sset a = SSET_INITIALIZER(&a);
    struct sset b = SSET_INITIALIZER(&b);

    sset_add_array(&a, port->ips, port->n_ips);
    sset_add_array(&b, ips, n);
    bool equal = sset_equals(&a, &b);
    sset_destroy(&a);
    sset_destroy(&b);
    return equal;
}

/* Output helpers. */

/* Appends to 's' how long ago 'age_ms' milliseconds is, for a reader. */
static void
put_age(struct ds *s, long long int age_ms)
{
    if (age_ms < 10 * 1000) {
        ds_put_format(s, "%lld ms", age_ms);
    } else if (age_ms < 120 * 1000) {
        ds_put_format(s, "%lld s", age_ms / 1000);
    } else if (age_ms < 120 * 60 * 1000) {
        ds_put_format(s, "%lld min", age_ms / (60 * 1000));
    } else if (age_ms < 48 * 3600 * 1000LL) {
        ds_put_format(s, "%lld h", age_ms / (3600 * 1000));
    } else {
        ds_put_format(s, "%lld days", age_ms / (24 * 3600 * 1000LL));
    }
}

/* Appends to 's' whether the chassis whose Chassis_Private row is 'cp' (NULL
 * if it has none) is alive and when it last sent a heartbeat, e.g. "alive
 * (heartbeat 312 ms ago)". */
static void
put_liveness(struct ds *s, const struct roamrec_chassis_private *cp,
             long long int now)
{
    if (!cp) {
        ds_put_cstr(s, "dead (no Chassis_Private row)");
        return;
    }

    long long int age = chassis_heartbeat_age(cp, now);
    ds_put_format(s, "%s (", chassis_liveness_to_string(
                      chassis_liveness_get(cp, now, NULL)));
    if (age < 0) {
        ds_put_cstr(s, "no heartbeat yet)");
    } else {
        ds_put_cstr(s, "heartbeat ");
        put_age(s, age);
        ds_put_cstr(s, " ago)");
    }
}

/* Appends to 's' the name of 'chassis', or "" if it is NULL. */
static void
put_chassis_name(struct ds *s, const struct roamrec_chassis *chassis)
{
    if (chassis) {
        ds_put_cstr(s, chassis->name);
    }
}

/* Appends the 'n' strings in 'strings' to 's', separated by 'delimiter'. */
static void
put_strings(struct ds *s, char **strings, size_t n, const char *delimiter)
{
    for (size_t i = 0; i < n; i++) {
        if (i) {
            ds_put_cstr(s, delimiter);
        }
        ds_put_cstr(s, strings[i]);
    }
}

/* A chassis as roam-ctl shows it: a Chassis row, its Chassis_Private row, or
 * both (agents may write either one first). */
struct chassis_view {
    const char *name;                           /* Never NULL. */
    const struct roamrec_chassis *chassis;      /* May be NULL. */
    const struct roamrec_chassis_private *cp;   /* May be NULL. */
};

/* Fills 'views' with every chassis in the database, keyed and sorted by
 * name.  The caller owns the returned array (of 'views->n' nodes) and must
 * free it and destroy 'views' with shash_destroy_free_data(). */
static const struct shash_node **
collect_chassis(struct ctl_context *ctx, struct shash *views)
{
    const struct roamrec_chassis_private *cp;
    const struct roamrec_chassis *chassis;

    shash_init(views);
    ROAMREC_CHASSIS_FOR_EACH (chassis, ctx->idl) {
        struct chassis_view *view = xzalloc(sizeof *view);
        view->name = chassis->name;
        view->chassis = chassis;
        if (!shash_add_once(views, chassis->name, view)) {
            free(view);
        }
    }
    ROAMREC_CHASSIS_PRIVATE_FOR_EACH (cp, ctx->idl) {
        const char *name = cp->chassis ? cp->chassis->name : cp->name;
        struct chassis_view *view = shash_find_data(views, name);

        if (!view) {
            view = xzalloc(sizeof *view);
            view->name = name;
            shash_add(views, name, view);
        }
        if (!view->cp) {
            view->cp = cp;
        }
    }
    return shash_sort(views);
}

/* Appends the encapsulations of 'chassis' to 's' as "TYPE:IP", sorted and
 * separated by commas. */
static void
put_encaps(struct ds *s, const struct roamrec_chassis *chassis)
{
    struct svec encaps = SVEC_EMPTY_INITIALIZER;

    for (size_t i = 0; chassis && i < chassis->n_encaps; i++) {
        const struct roamrec_encap *encap = chassis->encaps[i];
        svec_add_nocopy(&encaps, xasprintf("%s:%s", encap->type, encap->ip));
    }
    svec_sort(&encaps);
    put_strings(s, encaps.names, encaps.n, ",");
    svec_destroy(&encaps);
}

/* Orders ports by network name, network, then port name. */
static int
compare_ports(const void *a_, const void *b_)
{
    const struct roamrec_port *const *a = a_;
    const struct roamrec_port *const *b = b_;
    int cmp = strcmp(network_name((*a)->network),
                     network_name((*b)->network));
    if (!cmp && (*a)->network != (*b)->network) {
        cmp = (*a)->network && (*b)->network
              ? uuid_compare_3way(&(*a)->network->header_.uuid,
                                  &(*b)->network->header_.uuid)
              : (*a)->network ? 1 : -1;
    }
    return cmp ? cmp : strcmp((*a)->name, (*b)->name);
}

/* Orders networks by name, then UUID. */
static int
compare_networks(const void *a_, const void *b_)
{
    const struct roamrec_network *const *a = a_;
    const struct roamrec_network *const *b = b_;
    int cmp = strcmp((*a)->name, (*b)->name);

    return cmp ? cmp : uuid_compare_3way(&(*a)->header_.uuid,
                                         &(*b)->header_.uuid);
}

/* Returns a sorted array of the ports in 'network', or of all ports if
 * 'network' is NULL, and stores their number in '*n'.  The caller must free
 * the array. */
static const struct roamrec_port **
sorted_ports(struct ctl_context *ctx, const struct roamrec_network *network,
             size_t *n)
{
    const struct roamrec_port **ports = NULL;
    const struct roamrec_port *port;
    size_t allocated = 0;

    *n = 0;
    ROAMREC_PORT_FOR_EACH (port, ctx->idl) {
        if (!network || port->network == network) {
            if (*n >= allocated) {
                ports = x2nrealloc(ports, &allocated, sizeof *ports);
            }
            ports[(*n)++] = port;
        }
    }
    if (*n) {
        qsort(ports, *n, sizeof *ports, compare_ports);
    }
    return ports;
}

/* Returns a sorted array of all networks and stores their number in '*n'.
 * The caller must free the array. */
static const struct roamrec_network **
sorted_networks(struct ctl_context *ctx, size_t *n)
{
    const struct roamrec_network **networks = NULL;
    const struct roamrec_network *network;
    size_t allocated = 0;

    *n = 0;
    ROAMREC_NETWORK_FOR_EACH (network, ctx->idl) {
        if (*n >= allocated) {
            networks = x2nrealloc(networks, &allocated, sizeof *networks);
        }
        networks[(*n)++] = network;
    }
    if (*n) {
        qsort(networks, *n, sizeof *networks, compare_networks);
    }
    return networks;
}

/* init, sync. */

static void
cmd_init(struct ctl_context *ctx)
{
    if (!roamrec_global_first(ctx->idl)) {
        roamrec_global_insert(ctx->txn);
    }
}

static void
pre_sync(struct ctl_context *ctx OVS_UNUSED)
{
    if (wait_type != ROAM_CTL_WAIT_NONE) {
        force_wait = true;
    } else {
        VLOG_INFO("\"sync\" command has no effect without --wait=hv");
    }
}

/* show, chassis-list. */

static void
pre_show(struct ctl_context *ctx)
{
    /* "show NAME" shows one network (no liveness) or one chassis. */
    if (ctx->argc > 1) {
        sset_add(&liveness_wanted, ctx->argv[1]);
    } else {
        liveness_of_all = true;
    }
    add_table(ctx->idl, &roamrec_table_chassis);
    add_table(ctx->idl, &roamrec_table_chassis_private);
    add_table(ctx->idl, &roamrec_table_encap);
    add_table(ctx->idl, &roamrec_table_network);
    add_table(ctx->idl, &roamrec_table_port);
}

/* Appends 'view' to the output of "show". */
static void
show_chassis(struct ctl_context *ctx, const struct chassis_view *view,
             long long int now)
{
    const struct roamrec_chassis *chassis = view->chassis;
    struct ds *s = &ctx->output;

    ds_put_format(s, "chassis %s: ", view->name);
    put_liveness(s, view->cp, now);
    if (view->cp) {
        ds_put_format(s, ", nb_cfg %"PRId64, view->cp->nb_cfg);
    }
    ds_put_char(s, '\n');

    if (!chassis) {
        ds_put_cstr(s, "    (no Chassis row: the agent has not registered "
                    "it)\n");
        return;
    }
    if (chassis->hostname[0]) {
        ds_put_format(s, "    hostname: %s\n", chassis->hostname);
    }
    if (chassis->zone[0]) {
        ds_put_format(s, "    zone: %s\n", chassis->zone);
    }
    for (size_t i = 0; i < chassis->n_encaps; i++) {
        const struct roamrec_encap *encap = chassis->encaps[i];

        ds_put_format(s, "    encap %s %s", encap->type, encap->ip);
        if (!smap_is_empty(&encap->options)) {
            const struct smap_node **options = smap_sort(&encap->options);

            for (size_t j = 0; j < smap_count(&encap->options); j++) {
                ds_put_format(s, " %s=%s", options[j]->key,
                              options[j]->value);
            }
            free(options);
        }
        ds_put_char(s, '\n');
    }
}

/* Returns true if 'chassis' is nonnull and named 'name'. */
static bool
chassis_is_named(const struct roamrec_chassis *chassis, const char *name)
{
    return chassis && !strcmp(chassis->name, name);
}

/* If 'port' is in a live migration, appends to 's' a line for "show" that
 * says from where to where and how far it got. */
static void
put_migration_state(struct ds *s, const struct roamrec_port *port)
{
    if (port->n_requested_chassis == MAX_REQUESTED_CHASSIS) {
        const char *src = port->requested_chassis[0];
        const char *dst = port->requested_chassis[1];

        ds_put_format(s, "        migrating: %s -> %s, ", src, dst);
        if (chassis_is_named(port->chassis, dst)) {
            ds_put_format(s, "active on %s (port-migrate-finish ends it)\n",
                          dst);
        } else if (chassis_is_named(port->additional_chassis, dst)) {
            ds_put_format(s, "%s ready, waiting for the VM to resume "
                          "there\n", dst);
        } else {
            ds_put_format(s, "waiting for %s to bind the port\n", dst);
        }
    } else if (port->additional_chassis) {
        ds_put_format(s, "        migrating: ended, %s not yet released\n",
                      port->additional_chassis->name);
    }
}

/* Appends 'network' and the 'n' ports in 'ports' (which are in 'network') to
 * the output of "show". */
static void
show_network(struct ctl_context *ctx, const struct roamrec_network *network,
             const struct roamrec_port **ports, size_t n)
{
    struct ds *s = &ctx->output;

    ds_put_format(s, "network %s: tunnel_key %"PRId64, network->name,
                  network->tunnel_key);
    if (network->n_mtu) {
        ds_put_format(s, ", mtu %"PRId64, network->mtu[0]);
    }
    ds_put_char(s, '\n');

    for (size_t i = 0; i < n; i++) {
        const struct roamrec_port *port = ports[i];

        ds_put_format(s, "    port %s: tunnel_key %"PRId64"\n",
                      port->name, port->tunnel_key);
        ds_put_format(s, "        mac: %s\n", port->mac);
        if (port->n_ips) {
            ds_put_cstr(s, "        ips: ");
            put_strings(s, port->ips, port->n_ips, " ");
            ds_put_char(s, '\n');
        }
        if (port->n_requested_chassis) {
            ds_put_cstr(s, "        requested_chassis: ");
            put_strings(s, port->requested_chassis,
                        port->n_requested_chassis, " ");
            ds_put_char(s, '\n');
        }
        if (port->chassis) {
            ds_put_format(s, "        chassis: %s\n", port->chassis->name);
        }
        if (port->additional_chassis) {
            ds_put_format(s, "        additional_chassis: %s\n",
                          port->additional_chassis->name);
        }
        put_migration_state(s, port);
        if (port->n_up) {
            ds_put_format(s, "        up: %s\n",
                          port->up[0] ? "true" : "false");
        }
    }
}

static void
cmd_show(struct ctl_context *ctx)
{
    const char *filter = ctx->argc > 1 ? ctx->argv[1] : NULL;
    const struct roamrec_network *only_network = NULL;
    long long int now = time_wall_msec();
    bool shown = false;

    if (filter) {
        only_network = network_lookup(ctx, filter, false);
    }

    if (!only_network) {
        struct shash views;
        const struct shash_node **nodes = collect_chassis(ctx, &views);

        for (size_t i = 0; i < shash_count(&views); i++) {
            const struct chassis_view *view = nodes[i]->data;
            if (!filter || !strcmp(view->name, filter)) {
                show_chassis(ctx, view, now);
                shown = true;
            }
        }
        free(nodes);
        shash_destroy_free_data(&views);
    }

    if (!filter || only_network) {
        const struct roamrec_network **networks;
        const struct roamrec_port **ports;
        size_t n_networks, n_ports, p = 0;

        networks = sorted_networks(ctx, &n_networks);
        ports = sorted_ports(ctx, only_network, &n_ports);
        for (size_t i = 0; i < n_networks; i++) {
            size_t first = p;

            while (p < n_ports && ports[p]->network == networks[i]) {
                p++;
            }
            if (!only_network || networks[i] == only_network) {
                show_network(ctx, networks[i], &ports[first], p - first);
                shown = true;
            }
        }
        free(networks);
        free(ports);
    }

    if (filter && !shown) {
        ctl_error(ctx, "no network or chassis named \"%s\"", filter);
    }
}

static void
cmd_chassis_list(struct ctl_context *ctx)
{
    long long int now = time_wall_msec();
    struct shash views;
    const struct shash_node **nodes = collect_chassis(ctx, &views);
    struct ds *s = &ctx->output;

    for (size_t i = 0; i < shash_count(&views); i++) {
        const struct chassis_view *view = nodes[i]->data;

        ds_put_format(s, "%s hostname=%s encaps=", view->name,
                      view->chassis ? view->chassis->hostname : "");
        put_encaps(s, view->chassis);
        ds_put_char(s, ' ');
        put_liveness(s, view->cp, now);
        if (view->cp) {
            ds_put_format(s, " nb_cfg=%"PRId64"\n", view->cp->nb_cfg);
        } else {
            ds_put_cstr(s, " nb_cfg=none\n");
        }
    }
    free(nodes);
    shash_destroy_free_data(&views);
}

/* Network commands. */

static void
pre_networks_and_ports(struct ctl_context *ctx)
{
    add_table(ctx->idl, &roamrec_table_network);
    add_table(ctx->idl, &roamrec_table_port);
    ovsdb_idl_add_table(ctx->idl, &roamrec_table_chassis);
    ovsdb_idl_add_column(ctx->idl, &roamrec_chassis_col_name);
}

/* Parses and checks the arguments of "net-add": the name in 'ctx->argv[1]',
 * the VNI in 'ctx->argv[2]' and the MTU in the "--mtu" option.  On success
 * stores them in the nonnull arguments.  On failure reports an error in
 * 'ctx' and returns false. */
static bool
parse_net_add_args(struct ctl_context *ctx, int64_t *vni,
                   int64_t *mtu, bool *has_mtu)
{
    const char *mtu_s = shash_find_data(&ctx->options, "--mtu");
    int64_t vni_ = 0, mtu_ = 0;

    if (report_error(ctx, roam_validate_name("network", ctx->argv[1]))
        || report_error(ctx, parse_integer("VNI", ctx->argv[2], &vni_))
        || report_error(ctx, roam_validate_vni(vni_))) {
        return false;
    }
    if (mtu_s && (report_error(ctx, parse_integer("MTU", mtu_s, &mtu_))
                  || report_error(ctx, roam_validate_mtu(mtu_)))) {
        return false;
    }

    if (vni) {
        *vni = vni_;
    }
    if (mtu) {
        *mtu = mtu_;
    }
    if (has_mtu) {
        *has_mtu = mtu_s != NULL;
    }
    return true;
}

static void
pre_net_add(struct ctl_context *ctx)
{
    pre_networks_and_ports(ctx);
    parse_net_add_args(ctx, NULL, NULL, NULL);
}

static void
cmd_net_add(struct ctl_context *ctx)
{
    bool may_exist = shash_find(&ctx->options, "--may-exist") != NULL;
    const char *name = ctx->argv[1];
    const struct roamrec_network *network;
    int64_t vni, mtu;
    bool has_mtu;

    if (!parse_net_add_args(ctx, &vni, &mtu, &has_mtu)) {
        return;
    }

    ROAMREC_NETWORK_FOR_EACH (network, ctx->idl) {
        if (!strcmp(network->name, name)) {
            if (!may_exist) {
                ctl_error(ctx, "network \"%s\" already exists (network names "
                          "are unique; use --may-exist to ignore)", name);
            } else if (network->tunnel_key != vni) {
                ctl_error(ctx, "network \"%s\" already exists with VNI "
                          "%"PRId64", not %"PRId64, name,
                          network->tunnel_key, vni);
            }
            return;
        }
    }
    ROAMREC_NETWORK_FOR_EACH (network, ctx->idl) {
        if (network->tunnel_key == vni) {
            ctl_error(ctx, "VNI %"PRId64" is already used by network \"%s\" "
                      "(VNIs are unique)", vni, network->name);
            return;
        }
    }

    network = roamrec_network_insert(ctx->txn);
    roamrec_network_set_name(network, name);
    roamrec_network_set_tunnel_key(network, vni);
    if (has_mtu) {
        roamrec_network_set_mtu(network, &mtu, 1);
    }
}

static void
cmd_net_del(struct ctl_context *ctx)
{
    bool must_exist = !shash_find(&ctx->options, "--if-exists");
    const struct roamrec_network *network;
    const struct roamrec_port *port;

    network = network_lookup(ctx, ctx->argv[1], must_exist);
    if (!network) {
        return;
    }

    ROAMREC_PORT_FOR_EACH_SAFE (port, ctx->idl) {
        if (port->network == network) {
            roamrec_port_delete(port);
        }
    }
    roamrec_network_delete(network);
}

static void
cmd_net_list(struct ctl_context *ctx)
{
    const struct roamrec_port *port;
    struct shash n_ports = SHASH_INITIALIZER(&n_ports);
    size_t n_networks;

    /* Count each network's ports in one pass over the ports. */
    ROAMREC_PORT_FOR_EACH (port, ctx->idl) {
        if (port->network) {
            char *key = xasprintf(UUID_FMT,
                                  UUID_ARGS(&port->network->header_.uuid));
            struct shash_node *node = shash_find(&n_ports, key);

            if (node) {
                node->data = (void *) ((uintptr_t) node->data + 1);
            } else {
                shash_add(&n_ports, key, (void *) (uintptr_t) 1);
            }
            free(key);
        }
    }

    const struct roamrec_network **networks = sorted_networks(ctx,
                                                              &n_networks);
    for (size_t i = 0; i < n_networks; i++) {
        const struct roamrec_network *network = networks[i];
        char *key = xasprintf(UUID_FMT, UUID_ARGS(&network->header_.uuid));

        ds_put_format(&ctx->output, "%s tunnel_key=%"PRId64, network->name,
                      network->tunnel_key);
        if (network->n_mtu) {
            ds_put_format(&ctx->output, " mtu=%"PRId64, network->mtu[0]);
        }
        ds_put_format(&ctx->output, " ports=%"PRIuPTR"\n",
                      (uintptr_t) shash_find_data(&n_ports, key));
        free(key);
    }
    free(networks);
    shash_destroy(&n_ports);
}

/* Port commands. */

/* Returns the lowest port tunnel key that no port in 'network' uses, or 0 if
 * all are taken. */
static int64_t
allocate_port_key(struct ctl_context *ctx,
                  const struct roamrec_network *network)
{
    unsigned long *used = bitmap_allocate(PORT_KEY_MAX + 1);
    const struct roamrec_port *port;

    ROAMREC_PORT_FOR_EACH (port, ctx->idl) {
        if (port->network == network
            && port->tunnel_key >= 1 && port->tunnel_key <= PORT_KEY_MAX) {
            bitmap_set1(used, port->tunnel_key);
        }
    }
    size_t key = bitmap_scan(used, false, 1, PORT_KEY_MAX + 1);
    bitmap_free(used);
    return key <= PORT_KEY_MAX ? key : 0;
}

/* Parses and checks the arguments of "port-add" in 'ctx' and stores the
 * port's canonical MAC in 'mac'.  On failure reports an error in 'ctx' and
 * returns false. */
static bool
parse_port_add_args(struct ctl_context *ctx, char mac[ETH_ADDR_STRLEN + 1])
{
    return !(report_error(ctx, roam_validate_name("port", ctx->argv[2]))
             || report_error(ctx, parse_port_mac(ctx->argv[3], mac))
             || report_error(ctx, check_port_ips(&ctx->argv[4],
                                                 ctx->argc - 4)));
}

static void
pre_port_add(struct ctl_context *ctx)
{
    char mac[ETH_ADDR_STRLEN + 1];

    pre_networks_and_ports(ctx);
    parse_port_add_args(ctx, mac);
}

static void
cmd_port_add(struct ctl_context *ctx)
{
    bool may_exist = shash_find(&ctx->options, "--may-exist") != NULL;
    const char *network_id = ctx->argv[1];
    const char *name = ctx->argv[2];
    char **ips = &ctx->argv[4];
    size_t n_ips = ctx->argc - 4;
    const struct roamrec_network *network;
    const struct roamrec_port *port;
    char mac[ETH_ADDR_STRLEN + 1];

    if (!parse_port_add_args(ctx, mac)) {
        return;
    }
    network = network_lookup(ctx, network_id, true);
    if (!network) {
        return;
    }

    ROAMREC_PORT_FOR_EACH (port, ctx->idl) {
        if (strcmp(port->name, name)) {
            continue;
        }
        if (!may_exist) {
            ctl_error(ctx, "port \"%s\" already exists in network \"%s\" "
                      "(port names are unique; use --may-exist to ignore)",
                      name, network_name(port->network));
        } else if (port->network != network) {
            ctl_error(ctx, "port \"%s\" already exists in network \"%s\", "
                      "not \"%s\"", name, network_name(port->network),
                      network->name);
        } else if (!macs_equal(port->mac, mac)) {
            ctl_error(ctx, "port \"%s\" already exists with MAC %s, not %s "
                      "(use port-set-mac to change it)", name, port->mac,
                      mac);
        } else if (!port_ips_equal(port, ips, n_ips)) {
            ctl_error(ctx, "port \"%s\" already exists with other addresses "
                      "(use port-set-addresses to change them)", name);
        }
        return;
    }

    const struct roamrec_port *other = find_port_with_mac(ctx, network, mac,
                                                          NULL);
    if (other) {
        ctl_error(ctx, "MAC %s is already used by port \"%s\" in network "
                  "\"%s\" (MACs are unique within a network)",
                  mac, other->name, network->name);
        return;
    }

    int64_t key = allocate_port_key(ctx, network);
    if (!key) {
        ctl_error(ctx, "network \"%s\" has no free port tunnel key (all %d "
                  "are in use)", network->name, PORT_KEY_MAX);
        return;
    }

    port = roamrec_port_insert(ctx->txn);
    roamrec_port_set_name(port, name);
    roamrec_port_set_network(port, network);
    roamrec_port_set_mac(port, mac);
    roamrec_port_set_ips(port, (const char **) ips, n_ips);
    roamrec_port_set_tunnel_key(port, key);
}

static void
cmd_port_del(struct ctl_context *ctx)
{
    bool must_exist = !shash_find(&ctx->options, "--if-exists");
    const struct roamrec_port *port = port_lookup(ctx, ctx->argv[1],
                                                  must_exist);
    if (port) {
        roamrec_port_delete(port);
    }
}

/* Appends one line describing 'port' to 's', for "port-list". */
static void
put_port_line(struct ds *s, const struct roamrec_port *port)
{
    ds_put_format(s, "%s network=%s tunnel_key=%"PRId64" mac=%s ips=",
                  port->name, network_name(port->network), port->tunnel_key,
                  port->mac);
    put_strings(s, port->ips, port->n_ips, ",");
    ds_put_cstr(s, " requested_chassis=");
    put_strings(s, port->requested_chassis, port->n_requested_chassis, ",");
    ds_put_cstr(s, " chassis=");
    put_chassis_name(s, port->chassis);
    if (port->additional_chassis) {
        ds_put_cstr(s, " additional_chassis=");
        put_chassis_name(s, port->additional_chassis);
    }
    ds_put_format(s, " up=%s\n",
                  port->n_up && port->up[0] ? "true" : "false");
}

static void
cmd_port_list(struct ctl_context *ctx)
{
    const struct roamrec_network *network = NULL;
    size_t n;

    if (ctx->argc > 1) {
        network = network_lookup(ctx, ctx->argv[1], true);
        if (!network) {
            return;
        }
    }

    const struct roamrec_port **ports = sorted_ports(ctx, network, &n);
    for (size_t i = 0; i < n; i++) {
        put_port_line(&ctx->output, ports[i]);
    }
    free(ports);
}

static void
pre_port_set_mac(struct ctl_context *ctx)
{
    char mac[ETH_ADDR_STRLEN + 1];

    pre_networks_and_ports(ctx);
    report_error(ctx, parse_port_mac(ctx->argv[2], mac));
}

static void
cmd_port_set_mac(struct ctl_context *ctx)
{
    const struct roamrec_port *port, *other;
    char mac[ETH_ADDR_STRLEN + 1];

    if (report_error(ctx, parse_port_mac(ctx->argv[2], mac))) {
        return;
    }
    port = port_lookup(ctx, ctx->argv[1], true);
    if (!port) {
        return;
    }

    other = find_port_with_mac(ctx, port->network, mac, port);
    if (other) {
        ctl_error(ctx, "MAC %s is already used by port \"%s\" in network "
                  "\"%s\" (MACs are unique within a network)",
                  mac, other->name, network_name(port->network));
        return;
    }
    roamrec_port_set_mac(port, mac);
}

static void
pre_port_set_addresses(struct ctl_context *ctx)
{
    pre_networks_and_ports(ctx);
    report_error(ctx, check_port_ips(&ctx->argv[2], ctx->argc - 2));
}

static void
cmd_port_set_addresses(struct ctl_context *ctx)
{
    const struct roamrec_port *port;

    if (report_error(ctx, check_port_ips(&ctx->argv[2], ctx->argc - 2))) {
        return;
    }
    port = port_lookup(ctx, ctx->argv[1], true);
    if (port) {
        roamrec_port_set_ips(port, (const char **) &ctx->argv[2],
                             ctx->argc - 2);
    }
}

/* Checks the chassis names given to "port-set-requested-chassis" in 'ctx'.
 * On failure reports an error in 'ctx' and returns false. */
static bool
check_requested_chassis(struct ctl_context *ctx)
{
    char **names = &ctx->argv[2];
    size_t n = ctx->argc - 2;

    if (n > MAX_REQUESTED_CHASSIS) {
        struct ds s = DS_EMPTY_INITIALIZER;

        for (size_t i = 0; i < n; i++) {
            ds_put_format(&s, "%s\"%s\"", i ? ", " : "", names[i]);
        }
        ctl_error(ctx, "%"PRIuSIZE" requested chassis (%s) are too many (a "
                  "port may request at most %d: the source and the "
                  "destination of a live migration)",
                  n, ds_cstr(&s), MAX_REQUESTED_CHASSIS);
        ds_destroy(&s);
        return false;
    }
    for (size_t i = 0; i < n; i++) {
        if (report_error(ctx, roam_validate_name("chassis", names[i]))) {
            return false;
        }
        for (size_t j = 0; j < i; j++) {
            if (!strcmp(names[i], names[j])) {
                ctl_error(ctx, "requested chassis \"%s\" is given twice "
                          "(a live migration needs two different chassis)",
                          names[i]);
                return false;
            }
        }
    }
    return true;
}

static void
pre_port_set_requested_chassis(struct ctl_context *ctx)
{
    pre_networks_and_ports(ctx);
    check_requested_chassis(ctx);
}

static void
cmd_port_set_requested_chassis(struct ctl_context *ctx)
{
    const struct roamrec_port *port;

    if (!check_requested_chassis(ctx)) {
        return;
    }
    port = port_lookup(ctx, ctx->argv[1], true);
    if (port) {
        roamrec_port_set_requested_chassis(port,
                                           (const char **) &ctx->argv[2],
                                           ctx->argc - 2);
    }
}

/* Live migration commands. */

/* Returns the chassis named 'name', or NULL if there is none. */
static const struct roamrec_chassis *
chassis_lookup(struct ctl_context *ctx, const char *name)
{
    const struct roamrec_chassis *chassis;

    ROAMREC_CHASSIS_FOR_EACH (chassis, ctx->idl) {
        if (!strcmp(chassis->name, name)) {
            return chassis;
        }
    }
    return NULL;
}

/* Returns the Chassis_Private row of 'chassis', or NULL if it has none.  A
 * row belongs to 'chassis' if it refers to it or, referring to no chassis,
 * has its name (as "show" judges it). */
static const struct roamrec_chassis_private *
chassis_private_lookup(struct ctl_context *ctx,
                       const struct roamrec_chassis *chassis)
{
    const struct roamrec_chassis_private *cp;

    ROAMREC_CHASSIS_PRIVATE_FOR_EACH (cp, ctx->idl) {
        if (cp->chassis
            ? cp->chassis == chassis
            : !strcmp(cp->name, chassis->name)) {
            return cp;
        }
    }
    return NULL;
}

static void
pre_port_migrate(struct ctl_context *ctx)
{
    pre_networks_and_ports(ctx);
    add_table(ctx->idl, &roamrec_table_chassis_private);
    report_error(ctx, roam_validate_name("chassis", ctx->argv[2]));

    /* Wait even if the port is already migrating to the same chassis: a
     * previous attempt may have given up waiting, and the caller wants to
     * know that the destination is ready now. */
    if (wait_type == ROAM_CTL_WAIT_HV) {
        force_wait = true;
        sset_add(&liveness_wanted, ctx->argv[2]);
    }
}

static void
cmd_port_migrate(struct ctl_context *ctx)
{
    const char *to = ctx->argv[2];
    const struct roamrec_chassis *destination;
    const struct roamrec_port *port;

    if (report_error(ctx, roam_validate_name("chassis", to))) {
        return;
    }
    port = port_lookup(ctx, ctx->argv[1], true);
    if (!port) {
        return;
    }
    if (!port->chassis) {
        ctl_error(ctx, "port \"%s\" is not bound to any chassis, so there "
                  "is no running virtual machine to migrate live (for a "
                  "cold start on \"%s\", use port-set-requested-chassis "
                  "%s %s)", port->name, to, port->name, to);
        return;
    }

    const char *from = port->chassis->name;
    if (!strcmp(from, to)) {
        ctl_error(ctx, "port \"%s\" is already bound to chassis \"%s\" (a "
                  "live migration needs another chassis as destination)",
                  port->name, to);
        return;
    }

    destination = chassis_lookup(ctx, to);
    if (!destination) {
        ctl_error(ctx, "chassis \"%s\" does not exist (no Chassis row of "
                  "that name: its roam-agent has not registered it)", to);
        return;
    }

    /* --wait=hv does not wait for dead chassis: for a dead destination it
     * would return at once, although nothing is ready there.  (roam-ctl
     * learned the destination's liveness before: learn_liveness().) */
    if (wait_type == ROAM_CTL_WAIT_HV) {
        const struct roamrec_chassis_private *cp;
        long long int now = time_wall_msec();

        cp = chassis_private_lookup(ctx, destination);
        if (!cp || chassis_liveness_get(cp, now, NULL) == CHASSIS_DEAD) {
            struct ds liveness = DS_EMPTY_INITIALIZER;

            put_liveness(&liveness, cp, now);
            ctl_error(ctx, "chassis \"%s\" is %s, so --wait=hv cannot wait "
                      "for it to get ready for port \"%s\"", to,
                      ds_cstr(&liveness), port->name);
            ds_destroy(&liveness);
            return;
        }
    }

    const char *requested[] = { from, to };
    roamrec_port_set_requested_chassis(port, requested,
                                       ARRAY_SIZE(requested));
}

static void
cmd_port_migrate_finish(struct ctl_context *ctx)
{
    bool must_exist = !shash_find(&ctx->options, "--if-exists");
    const struct roamrec_port *port;

    port = port_lookup(ctx, ctx->argv[1], must_exist);
    if (!port || port->n_requested_chassis < MAX_REQUESTED_CHASSIS) {
        /* Not migrating: nothing to end. */
        return;
    }

    /* Whether the migration succeeded or failed, the port is where its
     * virtual machine runs now. */
    if (port->chassis) {
        const char *name = port->chassis->name;
        roamrec_port_set_requested_chassis(port, &name, 1);
    } else {
        roamrec_port_set_requested_chassis(port, NULL, 0);
    }
}

static void
pre_migration_list(struct ctl_context *ctx)
{
    add_table(ctx->idl, &roamrec_table_migration);
}

/* Returns the first time stamp of 'm' (the time of the move, for ordering),
 * or LLONG_MAX if it has none. */
static long long int
migration_time(const struct roamrec_migration *m)
{
    return (m->n_detected ? m->detected[0]
            : m->n_claimed ? m->claimed[0]
            : m->n_activated ? m->activated[0]
            : LLONG_MAX);
}

/* Orders Migration rows by time, then port name, then UUID. */
static int
compare_migrations(const void *a_, const void *b_)
{
    const struct roamrec_migration *const *a = a_;
    const struct roamrec_migration *const *b = b_;
    long long int ta = migration_time(*a);
    long long int tb = migration_time(*b);

    if (ta != tb) {
        return ta < tb ? -1 : 1;
    }
    int cmp = strcmp((*a)->port, (*b)->port);
    return cmp ? cmp : uuid_compare_3way(&(*a)->header_.uuid,
                                         &(*b)->header_.uuid);
}

/* Returns wall-clock time 'ms' (milliseconds since the epoch) as an ISO 8601
 * UTC time with milliseconds, e.g. "2026-01-02T03:04:05.678Z", for the caller
 * to free. */
static char *
format_wall_time(long long int ms)
{
    struct tm_msec tm;
    char s[64];

    if (ms >= 0
        && strftime_msec(s, sizeof s, "%Y-%m-%dT%H:%M:%S.###Z",
                         gmtime_msec(ms, &tm))) {
        return xstrdup(s);
    }
    return xasprintf("%lld", ms);
}

/* Returns the number of milliseconds from time stamp 'from' to 'to' (each an
 * optional column: 'n_from' and 'n_to' are 0 or 1), or "-" if either is
 * missing, for the caller to free. */
static char *
format_step(const int64_t *from, size_t n_from,
            const int64_t *to, size_t n_to)
{
    return (n_from && n_to
            ? xasprintf("%"PRId64, to[0] - from[0])
            : xstrdup("-"));
}

/* Adds to 'table' a cell with the text 'text', which it takes over. */
static void
add_cell_nocopy(struct table *table, char *text)
{
    table_add_cell(table)->text = text;
}

static void
cmd_migration_list(struct ctl_context *ctx)
{
    const char *port_name = ctx->argc > 1 ? ctx->argv[1] : NULL;
    const struct roamrec_migration **rows = NULL;
    const struct roamrec_migration *m;
    size_t n = 0, allocated = 0;

    ROAMREC_MIGRATION_FOR_EACH (m, ctx->idl) {
        if (!port_name || !strcmp(m->port, port_name)) {
            if (n >= allocated) {
                rows = x2nrealloc(rows, &allocated, sizeof *rows);
            }
            rows[n++] = m;
        }
    }
    if (n) {
        qsort(rows, n, sizeof *rows, compare_migrations);
    }

    struct table *table = xmalloc(sizeof *table);
    table_init(table);
    table_add_column(table, "time");
    table_add_column(table, "port");
    table_add_column(table, "kind");
    table_add_column(table, "from");
    table_add_column(table, "to");
    table_add_column(table, "detect->claim ms");
    table_add_column(table, "claim->activate ms");
    table_add_column(table, "total ms");
    for (size_t i = 0; i < n; i++) {
        const int64_t *first;
        size_t n_first;

        m = rows[i];
        if (m->n_detected) {
            first = m->detected;
            n_first = m->n_detected;
        } else {
            first = m->claimed;
            n_first = m->n_claimed;
        }

        table_add_row(table);
        add_cell_nocopy(table, (n_first || m->n_activated
                                ? format_wall_time(migration_time(m))
                                : xstrdup("-")));
        add_cell_nocopy(table, xstrdup(m->port));
        add_cell_nocopy(table, xstrdup(m->kind));
        add_cell_nocopy(table, xstrdup(m->from_chassis && m->from_chassis[0]
                                       ? m->from_chassis : "-"));
        add_cell_nocopy(table, xstrdup(m->to_chassis));
        add_cell_nocopy(table, format_step(m->detected, m->n_detected,
                                           m->claimed, m->n_claimed));
        add_cell_nocopy(table, format_step(m->claimed, m->n_claimed,
                                           m->activated, m->n_activated));
        add_cell_nocopy(table, format_step(first, n_first,
                                           m->activated, m->n_activated));
    }
    free(rows);

    /* The generic commands' default format, "list", spreads each row over
     * many lines; a log reads better as a table.  Other formats (--format,
     * --bare) apply as given. */
    if (table_style.format == TF_LIST) {
        struct table_style style = table_style;

        style.format = TF_TABLE;
        table_format(table, &style, &ctx->output);
        table_destroy(table);
        free(table);
    } else {
        ctx->table = table;
    }
}

/* Running the commands. */

static void
run_prerequisites(struct ctl_command *commands, size_t n_commands,
                  struct ovsdb_idl *idl)
{
    add_table(idl, &roamrec_table_global);
    if (wait_type == ROAM_CTL_WAIT_HV) {
        add_table(idl, &roamrec_table_chassis_private);
    }

    for (struct ctl_command *c = commands; c < &commands[n_commands]; c++) {
        if (c->syntax->prerequisites) {
            struct ctl_context ctx;

            memset(&ctx, 0, sizeof ctx);
            ds_init(&c->output);
            c->table = NULL;

            ctl_context_init(&ctx, c, idl, NULL, NULL, NULL);
            (c->syntax->prerequisites)(&ctx);
            if (ctx.error) {
                ctl_fatal("%s", ctx.error);
            }
            ctl_context_done(&ctx, c);

            ovs_assert(!c->output.string);
            ovs_assert(!c->table);
        }
    }
}

/* Like ovsdb_idl_txn_commit_block(), but gives up at the --timeout. */
static enum ovsdb_idl_txn_status
commit_txn(struct ovsdb_idl *idl, struct ovsdb_idl_txn *txn)
{
    enum ovsdb_idl_txn_status status;

    fatal_signal_run();
    while ((status = ovsdb_idl_txn_commit(txn)) == TXN_INCOMPLETE) {
        ovsdb_idl_run(idl);
        ovsdb_idl_wait(idl);
        ovsdb_idl_txn_wait(txn);
        if (deadline != LLONG_MAX) {
            poll_timer_wait_until(deadline);
        }
        poll_block();
        if (time_msec() >= deadline) {
            ctl_fatal("timeout after %u seconds waiting for %s to confirm "
                      "the transaction (it may or may not have been applied)",
                      timeout, db);
        }
    }
    return status;
}

/* How a transaction of watches went. */
enum watch_result {
    WATCH_NOTHING,              /* Nothing to write. */
    WATCH_DONE,                 /* Committed. */
    WATCH_RETRY,                /* The database changed meanwhile. */
    WATCH_FAILED,               /* Refused, or no answer in time. */
};

/* How long taking watches back may take, in milliseconds: it is only a
 * courtesy to the agents (a watch runs out by itself), not worth a failure
 * or a hang of a command that succeeded. */
#define WATCH_RELEASE_TIMEOUT 1000

/* Writes, in a transaction of its own, the watches of the Chassis_Private
 * rows named in 'names' (all if NULL) whose liveness is unknown, or, if
 * 'release', takes back the watches written before, without waiting longer
 * than WATCH_RELEASE_TIMEOUT and without giving up on the run if that
 * fails. */
static enum watch_result
commit_watches(struct chassis_watches *watches, struct ovsdb_idl *idl,
               const struct sset *names, bool release)
{
    if (dry_run) {
        return WATCH_NOTHING;
    }

    /* A fatal error while committing must find the transaction to abort
     * (roam_ctl_exit()). */
    struct ovsdb_idl_txn *txn = the_idl_txn = ovsdb_idl_txn_create(idl);
    long long int now = time_wall_msec();
    bool wrote = (release
                  ? chassis_watches_release(watches, idl, now)
                  : chassis_watches_add(watches, idl, names, now));
    enum ovsdb_idl_txn_status status = TXN_UNCHANGED;
    if (wrote) {
        ovsdb_idl_txn_add_comment(txn, "roam-ctl: %s chassis liveness",
                                  release ? "done watching" : "watching");
        if (!release) {
            status = commit_txn(idl, txn);
        } else {
            long long int give_up = time_msec() + WATCH_RELEASE_TIMEOUT;
            while ((status = ovsdb_idl_txn_commit(txn)) == TXN_INCOMPLETE
                   && time_msec() < give_up) {
                ovsdb_idl_run(idl);
                ovsdb_idl_wait(idl);
                ovsdb_idl_txn_wait(txn);
                poll_timer_wait_until(give_up);
                poll_block();
            }
        }
        if (status != TXN_SUCCESS && status != TXN_TRY_AGAIN) {
            VLOG_WARN("%s chassis liveness failed: %s",
                      release ? "taking back the watches of" : "watching",
                      ovsdb_idl_txn_status_to_string(status));
        }
    }
    ovsdb_idl_txn_destroy(txn);
    the_idl_txn = NULL;

    return (status == TXN_UNCHANGED ? WATCH_NOTHING
            : status == TXN_SUCCESS ? WATCH_DONE
            : status == TXN_TRY_AGAIN ? WATCH_RETRY
            : WATCH_FAILED);
}

/* Runs 'idl', and gives up if its connection failed for good. */
static void
run_idl(struct ovsdb_idl *idl)
{
    ovsdb_idl_run(idl);
    if (!ovsdb_idl_is_alive(idl)) {
        int retval = ovsdb_idl_get_last_error(idl);
        ctl_fatal("%s: database connection failed (%s)",
                  db, ovs_retval_to_string(retval));
    }
}

/* Returns the watches that this run writes. */
static struct chassis_watches *
add_watches(void)
{
    if (!the_watches) {
        the_watches = chassis_watches_create();
    }
    return the_watches;
}

/* Takes back the watches that this run wrote, if the database is there to
 * take them back from (otherwise they run out by themselves). */
static void
release_watches(struct ovsdb_idl *idl)
{
    if (the_watches) {
        struct chassis_watches *watches = the_watches;

        the_watches = NULL;
        if (idl && ovsdb_idl_is_connected(idl)) {
            commit_watches(watches, idl, NULL, true);
        }
        chassis_watches_destroy(watches);
    }
}

/* Makes the chassis whose liveness the commands need beat, by watching
 * them, and waits until the liveness of each is known (ALIVE or DEAD), or
 * until the --timeout: then the commands show it as unknown.  A dead
 * chassis takes its liveness window (3 heartbeat intervals) to tell.  A row
 * without a Chassis (the leftover of a renamed chassis, say) has no agent
 * to answer: it is not watched. */
static void
learn_liveness(struct ovsdb_idl *idl)
{
    const struct sset *names = liveness_of_all ? NULL : &liveness_wanted;

    for (;;) {
        run_idl(idl);
        bool synced = ovsdb_idl_has_ever_connected(idl);
        if (time_msec() >= deadline) {
            if (!synced) {
                ctl_fatal("timeout after %u seconds waiting for %s",
                          timeout, db);
            }
            return;
        }

        if (synced) {
            const struct roamrec_chassis_private *cp;
            long long int now = time_wall_msec();
            long long int next_change = LLONG_MAX;
            struct sset unknown = SSET_INITIALIZER(&unknown);

            ROAMREC_CHASSIS_PRIVATE_FOR_EACH (cp, idl) {
                long long int change;
                if ((!names || sset_contains(names, cp->name))
                    && cp->chassis
                    && (chassis_liveness_get(cp, now, &change)
                        == CHASSIS_UNKNOWN)) {
                    sset_add(&unknown, cp->name);
                    next_change = MIN(next_change, change);
                }
            }
            enum watch_result result = WATCH_NOTHING;
            if (!sset_is_empty(&unknown)) {
                result = commit_watches(add_watches(), idl, &unknown, false);
            }
            bool done = sset_is_empty(&unknown) || dry_run;
            sset_destroy(&unknown);
            if (done || result == WATCH_FAILED) {
                return;
            } else if (result == WATCH_DONE) {
                continue;
            }
            if (next_change != LLONG_MAX) {
                poll_timer_wait(MAX(0, next_change - now));
            }
        }
        ovsdb_idl_wait(idl);
        if (deadline != LLONG_MAX) {
            poll_timer_wait_until(deadline);
        }
        poll_block();
    }
}

/* How long --wait=hv waits for a chassis to apply nb_cfg before it watches
 * the chassis, to learn whether it is waiting for a dead one: live agents
 * usually answer within milliseconds, and need no watch then. */
#define WAIT_HV_WATCH_DELAY 500

/* Blocks until every chassis that is not dead reports in Chassis_Private an
 * nb_cfg of at least 'next_cfg', or until the --timeout.  A chassis that
 * is, or turns out to be, dead stops being waited for. */
static void
wait_for_chassis(struct ovsdb_idl *idl, int64_t next_cfg)
{
    long long int watch_at = time_msec() + WAIT_HV_WATCH_DELAY;

    /* Even though we do not --retry, a connection lost while waiting has to
     * be re-established, or we would wait forever. */
    ovsdb_idl_enable_reconnect(idl);
    for (;;) {
        const struct roamrec_chassis_private *cp;
        struct svec behind = SVEC_EMPTY_INITIALIZER;
        struct sset unknown = SSET_INITIALIZER(&unknown);
        long long int now = time_wall_msec();
        long long int next_check = 1000;

        ovsdb_idl_run(idl);
        ROAMREC_CHASSIS_PRIVATE_FOR_EACH (cp, idl) {
            /* A row without its Chassis is no registered chassis's (the
             * leftover of a renamed one, say): nothing waits for it. */
            long long int change;
            enum chassis_liveness liveness
                = chassis_liveness_get(cp, now, &change);
            if (cp->nb_cfg >= next_cfg || !cp->chassis
                || liveness == CHASSIS_DEAD) {
                continue;
            }
            svec_add(&behind, cp->name);
            if (liveness == CHASSIS_UNKNOWN) {
                sset_add(&unknown, cp->name);
            }

            /* Wake up when 'cp''s liveness may change, so that a chassis
             * that dies does not hold us up until the timeout. */
            if (change != LLONG_MAX) {
                next_check = MIN(next_check, MAX(change - now, 10));
            }
        }
        if (!behind.n) {
            svec_destroy(&behind);
            sset_destroy(&unknown);
            VLOG_DBG("every live chassis applied nb_cfg %"PRId64, next_cfg);
            return;
        }
        if (time_msec() >= deadline) {
            svec_sort(&behind);
            char *names = svec_join(&behind, ", ", "");
            ctl_fatal("timeout after %u seconds waiting for %"PRIuSIZE" live "
                      "chassis to apply nb_cfg %"PRId64" (still behind: %s)",
                      timeout, behind.n, next_cfg, names);
        }
        svec_destroy(&behind);

        enum watch_result watched = WATCH_NOTHING;
        if (!sset_is_empty(&unknown)) {
            if (time_msec() < watch_at) {
                poll_timer_wait_until(watch_at);
            } else if (ovsdb_idl_is_connected(idl)) {
                watched = commit_watches(add_watches(), idl, &unknown,
                                         false);
                if (watched == WATCH_FAILED) {
                    /* Try again in a while: meanwhile they are waited
                     * for as if alive. */
                    watch_at = time_msec() + WAIT_HV_WATCH_DELAY;
                }
            }
        }
        sset_destroy(&unknown);
        if (watched == WATCH_DONE) {
            continue;
        }

        ovsdb_idl_wait(idl);
        poll_timer_wait(next_check);
        if (deadline != LLONG_MAX) {
            poll_timer_wait_until(deadline);
        }
        poll_block();
    }
}

/* Prints the output of 'c'. */
static void
print_command_output(struct ctl_command *c)
{
    struct ds *ds = &c->output;

    if (c->table) {
        table_print(c->table, &table_style);
    } else if (oneline) {
        ds_chomp(ds, '\n');
        for (size_t j = 0; j < ds->length; j++) {
            int ch = ds->string[j];
            switch (ch) {
            case '\n':
                fputs("\\n", stdout);
                break;

            case '\\':
                fputs("\\\\", stdout);
                break;

            default:
                putchar(ch);
            }
        }
        putchar('\n');
    } else {
        fputs(ds_cstr(ds), stdout);
    }
}

/* Runs 'commands' in one transaction against the current contents of 'idl'.
 * Returns true if done, false if the transaction has to be retried with a
 * newer view of the database. */
static bool
do_roam_ctl(const char *args, struct ctl_command *commands, size_t n_commands,
            struct ovsdb_idl *idl)
{
    enum ovsdb_idl_txn_status status;
    struct ovsdb_symbol_table *symtab;
    struct ovsdb_idl_txn *txn;
    struct ctl_context ctx;
    struct ctl_command *c;
    struct shash_node *node;
    int64_t next_cfg = 0;

    txn = the_idl_txn = ovsdb_idl_txn_create(idl);
    if (dry_run) {
        ovsdb_idl_txn_set_dry_run(txn);
    }
    ovsdb_idl_txn_add_comment(txn, "roam-ctl: %s", args);

    if (wait_type == ROAM_CTL_WAIT_HV) {
        const struct roamrec_global *global = roamrec_global_first(idl);
        if (!global) {
            global = roamrec_global_insert(txn);
        }
        if (global->nb_cfg == INT64_MAX) {
            roamrec_global_set_nb_cfg(global, 0);
        }
        ovsdb_idl_txn_increment(txn, &global->header_,
                                &roamrec_global_col_nb_cfg, force_wait);
    }

    symtab = ovsdb_symbol_table_create();
    for (c = commands; c < &commands[n_commands]; c++) {
        ds_init(&c->output);
        c->table = NULL;
    }
    memset(&ctx, 0, sizeof ctx);
    ctl_context_init(&ctx, NULL, idl, txn, symtab, NULL);
    for (c = commands; c < &commands[n_commands]; c++) {
        ctl_context_init_command(&ctx, c, c == &commands[n_commands - 1]);
        if (c->syntax->run) {
            (c->syntax->run)(&ctx);
        }
        if (ctx.error) {
            ctl_fatal("%s", ctx.error);
        }
        ctl_context_done_command(&ctx, c);

        if (ctx.try_again) {
            ctl_context_done(&ctx, NULL);
            goto try_again;
        }
    }
    ctl_context_done(&ctx, NULL);

    SHASH_FOR_EACH (node, &symtab->sh) {
        struct ovsdb_symbol *symbol = node->data;
        if (!symbol->created) {
            ctl_fatal("row id \"%s\" is referenced but never created (e.g. "
                      "with \"-- --id=%s create ...\")",
                      node->name, node->name);
        }
        if (!symbol->strong_ref) {
            if (!symbol->weak_ref) {
                VLOG_WARN("row id \"%s\" was created but no reference to it "
                          "was inserted, so it will not actually appear in "
                          "the database", node->name);
            } else {
                VLOG_WARN("row id \"%s\" was created but only a weak "
                          "reference to it was inserted, so it will not "
                          "actually appear in the database", node->name);
            }
        }
    }

    status = commit_txn(idl, txn);
    if (wait_type == ROAM_CTL_WAIT_HV && status == TXN_SUCCESS) {
        next_cfg = ovsdb_idl_txn_get_increment_new_value(txn);
    }
    if (status == TXN_UNCHANGED || status == TXN_SUCCESS) {
        for (c = commands; c < &commands[n_commands]; c++) {
            if (c->syntax->postprocess) {
                ctl_context_init(&ctx, c, idl, txn, symtab, NULL);
                (c->syntax->postprocess)(&ctx);
                if (ctx.error) {
                    ctl_fatal("%s", ctx.error);
                }
                ctl_context_done(&ctx, c);
            }
        }
    }

    switch (status) {
    case TXN_UNCOMMITTED:
    case TXN_INCOMPLETE:
        OVS_NOT_REACHED();

    case TXN_ABORTED:
        /* Should not happen: we never call ovsdb_idl_txn_abort(). */
        ctl_fatal("transaction aborted");

    case TXN_UNCHANGED:
    case TXN_SUCCESS:
        break;

    case TXN_TRY_AGAIN:
        goto try_again;

    case TXN_ERROR:
        ctl_fatal("transaction error: %s", ovsdb_idl_txn_get_error(txn));

    case TXN_NOT_LOCKED:
        /* Should not happen: we never call ovsdb_idl_set_lock(). */
        ctl_fatal("database not locked");

    default:
        OVS_NOT_REACHED();
    }

    ovsdb_symbol_table_destroy(symtab);

    for (c = commands; c < &commands[n_commands]; c++) {
        print_command_output(c);
        ds_destroy(&c->output);
        table_destroy(c->table);
        free(c->table);
        shash_destroy_free_data(&c->options);
    }
    free(commands);
    fflush(stdout);

    ovsdb_idl_txn_destroy(txn);
    the_idl_txn = NULL;

    /* A dry run commits nothing, so no chassis will ever catch up. */
    if (wait_type == ROAM_CTL_WAIT_HV && status == TXN_SUCCESS && !dry_run) {
        wait_for_chassis(idl, next_cfg);
    }
    release_watches(idl);

    ovsdb_idl_destroy(idl);
    the_idl = NULL;
    return true;

try_again:
    /* Our transaction needs to be rerun, or a prerequisite was not met.  Free
     * resources and return so that the caller can try again. */
    ovsdb_idl_txn_abort(txn);
    ovsdb_idl_txn_destroy(txn);
    the_idl_txn = NULL;

    ovsdb_symbol_table_destroy(symtab);
    for (c = commands; c < &commands[n_commands]; c++) {
        ds_destroy(&c->output);
        table_destroy(c->table);
        free(c->table);
    }
    return false;
}

/* Frees the current transaction and the IDL and then calls exit(status).
 *
 * Freeing them is not strictly necessary, but it makes for a clean memory
 * leak report from valgrind in the normal case. */
static void
roam_ctl_exit(int status)
{
    if (the_idl_txn) {
        ovsdb_idl_txn_abort(the_idl_txn);
        ovsdb_idl_txn_destroy(the_idl_txn);
        the_idl_txn = NULL;
    }
    /* (A fatal error leaves its watches to run out: taking them back could
     * hang or fail in its turn.) */
    ovsdb_idl_destroy(the_idl);
    exit(status);
}

/* Command table. */

static const struct ctl_command_syntax roam_ctl_commands[] = {
    {"init", 0, 0, "", NULL, cmd_init, NULL, "", RW},
    {"sync", 0, 0, "", pre_sync, NULL, NULL, "", RO},
    {"show", 0, 1, "[NETWORK|CHASSIS]", pre_show, cmd_show, NULL, "", RO},

    /* Chassis commands. */
    {"chassis-list", 0, 0, "", pre_show, cmd_chassis_list, NULL, "", RO},

    /* Network commands. */
    {"net-add", 2, 2, "NETWORK VNI", pre_net_add, cmd_net_add, NULL,
     "--may-exist,--mtu=", RW},
    {"net-del", 1, 1, "NETWORK", pre_networks_and_ports, cmd_net_del, NULL,
     "--if-exists", RW},
    {"net-list", 0, 0, "", pre_networks_and_ports, cmd_net_list, NULL, "",
     RO},

    /* Port commands. */
    {"port-add", 3, INT_MAX, "NETWORK PORT MAC [IP/PREFIX]...", pre_port_add,
     cmd_port_add, NULL, "--may-exist", RW},
    {"port-del", 1, 1, "PORT", pre_networks_and_ports, cmd_port_del, NULL,
     "--if-exists", RW},
    {"port-list", 0, 1, "[NETWORK]", pre_networks_and_ports, cmd_port_list,
     NULL, "", RO},
    {"port-set-mac", 2, 2, "PORT MAC", pre_port_set_mac, cmd_port_set_mac,
     NULL, "", RW},
    {"port-set-addresses", 1, INT_MAX, "PORT [IP/PREFIX]...",
     pre_port_set_addresses, cmd_port_set_addresses, NULL, "", RW},
    /* Takes any number of chassis so that too many gets a message that
     * explains the limit, rather than db-ctl-base's argument count. */
    {"port-set-requested-chassis", 1, INT_MAX, "PORT [CHASSIS]...",
     pre_port_set_requested_chassis, cmd_port_set_requested_chassis, NULL,
     "", RW},

    /* Live migration commands. */
    {"port-migrate", 2, 2, "PORT CHASSIS", pre_port_migrate,
     cmd_port_migrate, NULL, "", RW},
    {"port-migrate-finish", 1, 1, "PORT", pre_networks_and_ports,
     cmd_port_migrate_finish, NULL, "--if-exists", RW},
    {"migration-list", 0, 1, "[PORT]", pre_migration_list,
     cmd_migration_list, NULL, "", RO},

    {NULL, 0, 0, NULL, NULL, NULL, NULL, NULL, RO},
};

/* Returns Roam's own command called 'name', or NULL if there is none (it
 * may still be one of db-ctl-base's generic commands). */
static const struct ctl_command_syntax *
find_roam_command(const char *name)
{
    for (const struct ctl_command_syntax *p = roam_ctl_commands; p->name;
         p++) {
        if (!strcmp(p->name, name)) {
            return p;
        }
    }
    return NULL;
}

/* How the generic commands (list, get, set, ...) find a row from what the
 * user typed, besides its UUID. */
static const struct ctl_table_class tables[ROAMREC_N_TABLES] = {
    [ROAMREC_TABLE_CHASSIS].row_ids = {
        {&roamrec_chassis_col_name, NULL, NULL},
        {&roamrec_chassis_col_hostname, NULL, NULL},
    },
    [ROAMREC_TABLE_CHASSIS_PRIVATE].row_ids = {
        {&roamrec_chassis_private_col_name, NULL, NULL},
    },
    [ROAMREC_TABLE_ENCAP].row_ids = {
        {&roamrec_encap_col_ip, NULL, NULL},
    },
    [ROAMREC_TABLE_NETWORK].row_ids = {
        {&roamrec_network_col_name, NULL, NULL},
    },
    [ROAMREC_TABLE_PORT].row_ids = {
        {&roamrec_port_col_name, NULL, NULL},
    },

    /* Global is a singleton, found as ".".  A Migration row has no name: it
     * is a log entry, found by UUID or with "find". */
    [ROAMREC_TABLE_GLOBAL].row_ids = {{NULL, NULL, NULL}},
    [ROAMREC_TABLE_MIGRATION].row_ids = {{NULL, NULL, NULL}},
};

static void
roam_ctl_cmd_init(void)
{
    /* "show" is Roam's own, not db-ctl-base's generic one: that one can
     * neither judge a chassis's liveness nor list a network's ports, which
     * refer to their network rather than the other way around. */
    ctl_init(&roamrec_idl_class, roamrec_table_classes, tables, NULL,
             roam_ctl_exit);
    ctl_register_commands(roam_ctl_commands);
}
