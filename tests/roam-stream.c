/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License").
 *
 * roam-stream: a sequenced UDP stream that measures what a VM sees while it
 * moves between hypervisors (loss, duplicates, reordering, the longest
 * blackout), and qemu's RARP announcement of a resumed VM.
 *
 *   echo    a UDP echo server that counts the distinct and the duplicated
 *           datagrams it receives;
 *   send    sends sequenced datagrams at a steady rate to an echo server and
 *           measures the echoes;
 *   rarp    sends the RARP frame that qemu sends when a VM resumes.
 *
 * It runs inside VM namespaces of the testbed and needs nothing but libc.
 *
 * A datagram of the stream carries, in network byte order:
 *
 *     0  magic "RMST"        4 bytes
 *     4  stream identifier   4 bytes (random, one per "send")
 *     8  sequence number     8 bytes (0, 1, 2, ...)
 *    16  send time           8 bytes (CLOCK_MONOTONIC, nanoseconds)
 *
 * The echo server sends every datagram back unchanged; the sender matches
 * echoes by stream identifier and sequence number, so the echoes of an
 * earlier run, or of another sender, never count. */

#include <config.h>

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <net/if_arp.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netpacket/packet.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#define STREAM_MAGIC 0x524d5354u        /* "RMST". */
#define STREAM_HEADER_LEN 24
#define DEFAULT_PORT 5201
#define MAX_PACKETS 10000000ULL         /* About 120 MB of bookkeeping. */

/* Exit status for a command line that cannot be used. */
#define EXIT_USAGE 2

static const char *program_name = "roam-stream";

/* Signals received since the start (SIGTERM and SIGINT), and whether a
 * SIGUSR1 asks the echo server for its summary. */
static volatile sig_atomic_t n_stop_signals;
static volatile sig_atomic_t summary_requested;

static void
print_usage(FILE *stream)
{
    fprintf(stream,
"usage: %s COMMAND [OPTION...]\n"
"A sequenced UDP stream between VMs, and qemu's RARP announcement.\n"
"\n"
"  echo [--port N] [--summary FILE] [--pidfile FILE]\n"
"      UDP echo server on port N (default %d) of every address, IPv6 and\n"
"      IPv4.  Sends every datagram back.  Counts the stream's datagrams:\n"
"      \"received\" all of them, \"unique\" the distinct (stream, sequence\n"
"      number) pairs, \"duplicates\" those seen again, \"echo_errors\"\n"
"      the echoes that could not be sent (with the first one's errno).\n"
"      On SIGTERM or SIGINT writes \"received=N unique=N duplicates=N\n"
"      echo_errors=N [first_errno=N]\" (one line) to FILE (default\n"
"      standard output) and exits 0; on SIGUSR1 writes it and goes on.\n"
"      The pidfile is written once the socket is bound, and removed at\n"
"      exit.\n"
"\n"
"  send --to ADDR [--port N] [--interval-us U] (--count N | --duration S)\n"
"       [--wait-ms W] [--summary FILE]\n"
"      Sends a datagram with the next sequence number every U microseconds\n"
"      (default 1000; by absolute deadline, so the rate holds: a late\n"
"      sender catches up) to an echo server at ADDR (IPv4 or IPv6) port N,\n"
"      N datagrams or for S seconds (decimals allowed), or until SIGTERM\n"
"      or SIGINT; then waits W ms (default 500; a second signal ends the\n"
"      wait) for late echoes, and writes one line to FILE (default standard\n"
"      output):\n"
"        sent=N received=N lost=N duplicates=N reordered=N blackout_ms=X.X\n"
"        max_rtt_ms=X.X\n"
"      received: sequence numbers echoed at least once; lost: sent minus\n"
"      received; duplicates: echoes beyond the first of a sequence number;\n"
"      reordered: first echoes of a number lower than one already echoed;\n"
"      blackout_ms: the longest time nothing got through: over each run of\n"
"      consecutive lost numbers, the send time of the first echoed one after\n"
"      it minus that of the last echoed one before it, minus one interval\n"
"      (at the start and the end of the stream, the run's own first and last\n"
"      packets stand in); 0 when nothing is lost.  max_rtt_ms: the longest\n"
"      round trip of any echo.  Exits 0 whatever was lost; failed sends\n"
"      count as lost and are reported on standard error.\n"
"\n"
"  rarp --iface IFACE [--count N] [--interval-ms M]\n"
"      Sends N (default 1) RARP frames, M ms apart (default 50; the first\n"
"      at once), out of IFACE, as qemu announces a resumed VM: to\n"
"      ff:ff:ff:ff:ff:ff from IFACE's MAC, ethertype 0x8035, operation 3\n"
"      (reverse request), sender and target hardware address IFACE's MAC,\n"
"      protocol addresses 0.0.0.0, padded to 60 bytes.  Needs CAP_NET_RAW.\n"
"\n"
"Exit status: 0 on success, 1 on a run-time error, 2 on a usage error.\n",
            program_name, DEFAULT_PORT);
}

/* Prints "roam-stream: MESSAGE" and a pointer to --help, and exits with
 * EXIT_USAGE. */
static void
usage_error(const char *format, ...)
{
    va_list args;

    fprintf(stderr, "%s: ", program_name);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fprintf(stderr, " (see \"%s --help\")\n", program_name);
    exit(EXIT_USAGE);
}

/* Prints "roam-stream: MESSAGE" on standard error. */
static void
error_msg(const char *format, ...)
{
    va_list args;

    fprintf(stderr, "%s: ", program_name);
    va_start(args, format);
    vfprintf(stderr, format, args);
    va_end(args);
    fputc('\n', stderr);
}

/* Parses 's', the value of option 'option', as an integer from 'min' to
 * 'max', or exits with a usage error. */
static unsigned long long
parse_uint(const char *option, const char *s, unsigned long long min,
           unsigned long long max)
{
    unsigned long long value;
    char *end;

    errno = 0;
    value = strtoull(s, &end, 10);
    if (*s < '0' || *s > '9' || *end || errno || value < min || value > max) {
        usage_error("--%s: expected an integer from %llu to %llu, not \"%s\"",
                    option, min, max, s);
    }
    return value;
}

/* Parses 's', the value of option 'option', as a number of seconds greater
 * than 0 and at most 'max', or exits with a usage error. */
static double
parse_seconds(const char *option, const char *s, double max)
{
    double value;
    char *end;

    errno = 0;
    value = strtod(s, &end);
    if (*s < '0' || *s > '9' || *end || errno || !(value > 0)
        || value > max) {
        usage_error("--%s: expected a number of seconds above 0 and at most "
                    "%.0f, not \"%s\"", option, max, s);
    }
    return value;
}

/* Exits with a usage error for the option that getopt_long() (with an
 * option string starting with ':') just rejected with 'c'. */
static void
bad_option(int c, char *argv[], const char *command)
{
    const char *option = argv[optind - 1];

    if (c == ':') {
        usage_error("%s: option \"%s\" needs a value", command, option);
    } else {
        usage_error("%s: unknown option \"%s\"", command, option);
    }
}

/* Exits with a usage error if any argument is left after the options. */
static void
no_more_arguments(int argc, char *argv[], const char *command)
{
    if (optind < argc) {
        usage_error("%s: unexpected argument \"%s\"", command, argv[optind]);
    }
}

static uint64_t
now_ns(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t) ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void
put_be32(uint8_t *p, uint32_t x)
{
    p[0] = x >> 24;
    p[1] = x >> 16;
    p[2] = x >> 8;
    p[3] = x;
}

static void
put_be64(uint8_t *p, uint64_t x)
{
    put_be32(p, x >> 32);
    put_be32(p + 4, x);
}

static uint32_t
get_be32(const uint8_t *p)
{
    return ((uint32_t) p[0] << 24) | ((uint32_t) p[1] << 16)
           | ((uint32_t) p[2] << 8) | p[3];
}

static uint64_t
get_be64(const uint8_t *p)
{
    return ((uint64_t) get_be32(p) << 32) | get_be32(p + 4);
}

/* A datagram of the stream, decoded. */
struct stream_header {
    uint32_t stream_id;         /* Identifies one run of "send". */
    uint64_t seq;               /* Sequence number within the run. */
    uint64_t send_ns;           /* CLOCK_MONOTONIC time of sending. */
};

static void
stream_header_encode(const struct stream_header *h, uint8_t *buf)
{
    put_be32(buf, STREAM_MAGIC);
    put_be32(buf + 4, h->stream_id);
    put_be64(buf + 8, h->seq);
    put_be64(buf + 16, h->send_ns);
}

/* Decodes the 'len' bytes in 'buf' into 'h'.  Returns false if they are not
 * a datagram of the stream. */
static bool
stream_header_decode(const uint8_t *buf, size_t len, struct stream_header *h)
{
    if (len < STREAM_HEADER_LEN || get_be32(buf) != STREAM_MAGIC) {
        return false;
    }
    h->stream_id = get_be32(buf + 4);
    h->seq = get_be64(buf + 8);
    h->send_ns = get_be64(buf + 16);
    return true;
}

static void
stop_signal_handler(int signo)
{
    n_stop_signals++;
}

static void
summary_signal_handler(int signo)
{
    summary_requested = 1;
}

/* Installs the handlers of SIGTERM and SIGINT (and of SIGUSR1 if
 * 'with_usr1') and blocks these signals; stores the previous mask, with them
 * unblocked, in 'wait_mask', the mask for ppoll().  A signal is thus only
 * delivered while waiting in ppoll(), which then returns, so that no signal
 * is ever missed between a check of the flags and the wait. */
static void
setup_signals(bool with_usr1, sigset_t *wait_mask)
{
    struct sigaction sa;
    sigset_t block;

    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = stop_signal_handler;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    sigemptyset(&block);
    sigaddset(&block, SIGTERM);
    sigaddset(&block, SIGINT);
    if (with_usr1) {
        sa.sa_handler = summary_signal_handler;
        sigaction(SIGUSR1, &sa, NULL);
        sigaddset(&block, SIGUSR1);
    }
    sigprocmask(SIG_BLOCK, &block, wait_mask);
    sigdelset(wait_mask, SIGTERM);
    sigdelset(wait_mask, SIGINT);
    if (with_usr1) {
        sigdelset(wait_mask, SIGUSR1);
    }
}

/* Writes 'line' and a new-line to 'file', or to standard output if 'file' is
 * NULL.  Returns true on success. */
static bool
write_line(const char *file, const char *line)
{
    if (!file) {
        printf("%s\n", line);
        return fflush(stdout) == 0;
    }

    FILE *stream = fopen(file, "w");
    if (!stream) {
        error_msg("%s: %s", file, strerror(errno));
        return false;
    }
    fprintf(stream, "%s\n", line);
    if (fclose(stream)) {
        error_msg("%s: %s", file, strerror(errno));
        return false;
    }
    return true;
}

/* Enlarges the socket buffers of 'fd' so that a burst is not dropped. */
static void
enlarge_buffers(int fd)
{
    int size = 1 << 20;

    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &size, sizeof size);
}

/* "echo". */

/* A set of (stream, sequence number) pairs: open addressing with linear
 * probing, at most half full. */
struct seen_set {
    struct seen_entry *entries; /* 'n_buckets' entries. */
    size_t n_buckets;           /* A power of 2, or 0 before the first add. */
    size_t n;                   /* Entries in use. */
};

/* One slot of a "struct seen_set". */
struct seen_entry {
    uint64_t seq;               /* Sequence number. */
    uint32_t stream_id;         /* Stream identifier. */
    uint32_t used;              /* Nonzero if the slot holds a pair. */
};

static size_t
seen_hash(uint32_t stream_id, uint64_t seq)
{
    /* The finalizer of splitmix64. */
    uint64_t x = seq ^ ((uint64_t) stream_id << 32) ^ stream_id;

    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
    return x ^ (x >> 31);
}

/* Inserts 'e' into 'entries', 'n_buckets' slots, without growing.  Returns
 * false if an equal pair was already there. */
static bool
seen_insert(struct seen_entry *entries, size_t n_buckets,
            const struct seen_entry *e)
{
    size_t mask = n_buckets - 1;
    size_t i = seen_hash(e->stream_id, e->seq) & mask;

    for (;;) {
        struct seen_entry *slot = &entries[i];
        if (!slot->used) {
            *slot = *e;
            slot->used = 1;
            return true;
        }
        if (slot->seq == e->seq && slot->stream_id == e->stream_id) {
            return false;
        }
        i = (i + 1) & mask;
    }
}

/* Adds (stream_id, seq) to 'set'.  Returns 1 if it is new, 0 if it was
 * there, -1 if memory ran out. */
static int
seen_set_add(struct seen_set *set, uint32_t stream_id, uint64_t seq)
{
    if ((set->n + 1) * 2 > set->n_buckets) {
        size_t n_buckets = set->n_buckets ? set->n_buckets * 2 : 4096;
        struct seen_entry *entries = calloc(n_buckets, sizeof *entries);

        if (!entries) {
            return -1;
        }
        for (size_t i = 0; i < set->n_buckets; i++) {
            if (set->entries[i].used) {
                seen_insert(entries, n_buckets, &set->entries[i]);
            }
        }
        free(set->entries);
        set->entries = entries;
        set->n_buckets = n_buckets;
    }

    struct seen_entry e = { .seq = seq, .stream_id = stream_id };
    if (seen_insert(set->entries, set->n_buckets, &e)) {
        set->n++;
        return 1;
    }
    return 0;
}

/* Counters of the echo server. */
struct echo_stats {
    uint64_t received;          /* Datagrams of the stream. */
    uint64_t unique;            /* Distinct (stream, sequence number). */
    uint64_t duplicates;        /* Datagrams whose pair was seen before. */
    uint64_t echo_errors;       /* Echoes that sendto() refused. */
    int first_echo_errno;       /* errno of the first of them. */
};

static bool
echo_write_summary(const char *file, const struct echo_stats *stats)
{
    char line[256];

    snprintf(line, sizeof line,
             "received=%" PRIu64 " unique=%" PRIu64 " duplicates=%" PRIu64
             " echo_errors=%" PRIu64,
             stats->received, stats->unique, stats->duplicates,
             stats->echo_errors);
    if (stats->echo_errors) {
        size_t len = strlen(line);
        snprintf(line + len, sizeof line - len, " first_errno=%d",
                 stats->first_echo_errno);
    }
    return write_line(file, line);
}

/* Opens the echo server's socket on 'port': IPv6 that also accepts IPv4,
 * else IPv4 alone.  Returns the socket, or -1 after printing why not. */
static int
echo_open_socket(int port)
{
    struct sockaddr_in6 sin6;
    struct sockaddr_in sin;
    int fd, off = 0, error;

    fd = socket(AF_INET6, SOCK_DGRAM, 0);
    if (fd >= 0) {
        memset(&sin6, 0, sizeof sin6);
        sin6.sin6_family = AF_INET6;
        sin6.sin6_addr = in6addr_any;
        sin6.sin6_port = htons(port);
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof off);
        if (!bind(fd, (struct sockaddr *) &sin6, sizeof sin6)) {
            enlarge_buffers(fd);
            return fd;
        }
        error = errno;
        close(fd);
        if (error == EADDRINUSE) {
            error_msg("cannot bind UDP port %d: %s", port, strerror(error));
            return -1;
        }
    }

    /* No IPv6 here: IPv4 alone. */
    fd = socket(AF_INET, SOCK_DGRAM, 0);
    if (fd < 0) {
        error_msg("cannot create a UDP socket: %s", strerror(errno));
        return -1;
    }
    memset(&sin, 0, sizeof sin);
    sin.sin_family = AF_INET;
    sin.sin_addr.s_addr = htonl(INADDR_ANY);
    sin.sin_port = htons(port);
    if (bind(fd, (struct sockaddr *) &sin, sizeof sin)) {
        error_msg("cannot bind UDP port %d: %s", port, strerror(errno));
        close(fd);
        return -1;
    }
    enlarge_buffers(fd);
    return fd;
}

static bool
write_pidfile(const char *file)
{
    char line[32];

    snprintf(line, sizeof line, "%ld", (long) getpid());
    return write_line(file, line);
}

static int
cmd_echo(int argc, char *argv[])
{
    static const struct option options[] = {
        { "port", required_argument, NULL, 'p' },
        { "summary", required_argument, NULL, 's' },
        { "pidfile", required_argument, NULL, 'P' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *summary = NULL, *pidfile = NULL;
    int port = DEFAULT_PORT, c;

    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        switch (c) {
        case 'p':
            port = parse_uint("port", optarg, 1, 65535);
            break;
        case 's':
            summary = optarg;
            break;
        case 'P':
            pidfile = optarg;
            break;
        case 'h':
            print_usage(stdout);
            return 0;
        default:
            bad_option(c, argv, "echo");
        }
    }
    no_more_arguments(argc, argv, "echo");

    sigset_t wait_mask;
    setup_signals(true, &wait_mask);

    int fd = echo_open_socket(port);
    if (fd < 0) {
        return 1;
    }
    if (pidfile && !write_pidfile(pidfile)) {
        close(fd);
        return 1;
    }

    struct seen_set seen = { NULL, 0, 0 };
    struct echo_stats stats = { 0 };
    int status = 0;

    while (!n_stop_signals) {
        struct pollfd pfd = { .fd = fd, .events = POLLIN };

        if (summary_requested) {
            summary_requested = 0;
            echo_write_summary(summary, &stats);
        }
        if (ppoll(&pfd, 1, NULL, &wait_mask) < 0) {
            if (errno == EINTR) {
                continue;
            }
            error_msg("poll: %s", strerror(errno));
            status = 1;
            break;
        }

        /* Everything queued, so that a burst is answered at once. */
        for (;;) {
            struct sockaddr_storage from;
            socklen_t from_len = sizeof from;
            uint8_t buf[65536];
            struct stream_header h;
            ssize_t n;

            n = recvfrom(fd, buf, sizeof buf, MSG_DONTWAIT,
                         (struct sockaddr *) &from, &from_len);
            if (n < 0) {
                if (errno != EAGAIN && errno != EWOULDBLOCK
                    && errno != EINTR) {
                    error_msg("receive: %s", strerror(errno));
                }
                break;
            }
            if (sendto(fd, buf, n, 0, (struct sockaddr *) &from,
                       from_len) < 0) {
                /* The sender counts the echo as lost; this says that it
                 * never left. */
                if (!stats.echo_errors) {
                    stats.first_echo_errno = errno;
                }
                stats.echo_errors++;
            }
            if (stream_header_decode(buf, n, &h)) {
                int added = seen_set_add(&seen, h.stream_id, h.seq);

                if (added < 0) {
                    error_msg("out of memory after %" PRIu64 " distinct "
                              "datagrams", stats.unique);
                    status = 1;
                    n_stop_signals++;
                    break;
                }
                stats.received++;
                if (added) {
                    stats.unique++;
                } else {
                    stats.duplicates++;
                }
            }
        }
    }

    if (!echo_write_summary(summary, &stats)) {
        status = 1;
    }
    if (pidfile) {
        unlink(pidfile);
    }
    free(seen.entries);
    close(fd);
    return status;
}

/* "send". */

/* What "send" was asked to do. */
struct send_options {
    const char *to;             /* Destination address, IPv4 or IPv6. */
    int port;                   /* Destination UDP port. */
    uint64_t interval_ns;       /* Time between two datagrams. */
    uint64_t count;             /* Datagrams to send. */
    uint64_t wait_ns;           /* Time to wait for late echoes. */
    const char *summary;        /* File for the result line, or NULL. */
};

/* The state of one run of "send". */
struct sender {
    int fd;                     /* UDP socket. */
    struct sockaddr_storage dst; /* The echo server. */
    socklen_t dst_len;
    uint32_t stream_id;         /* This run's stream identifier. */

    uint64_t *send_ns;          /* Send time of each sequence number. */
    uint32_t *n_echoes;         /* Echoes of each sequence number. */
    uint64_t n_sent;            /* Sequence numbers sent (or tried). */

    uint64_t received;          /* Sequence numbers echoed at least once. */
    uint64_t duplicates;        /* Echoes beyond the first. */
    uint64_t reordered;         /* First echoes below the highest seen. */
    uint64_t highest_echoed;    /* Highest sequence number echoed + 1. */
    uint64_t max_rtt_ns;        /* Longest round trip. */

    uint64_t send_errors;       /* Failed sendto() calls. */
    int first_send_error;       /* errno of the first of them. */
};

static void
parse_send_options(int argc, char *argv[], struct send_options *opts)
{
    static const struct option options[] = {
        { "to", required_argument, NULL, 't' },
        { "port", required_argument, NULL, 'p' },
        { "interval-us", required_argument, NULL, 'i' },
        { "count", required_argument, NULL, 'c' },
        { "duration", required_argument, NULL, 'd' },
        { "wait-ms", required_argument, NULL, 'w' },
        { "summary", required_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    uint64_t interval_us = 1000;
    double duration = 0;
    int c;

    memset(opts, 0, sizeof *opts);
    opts->port = DEFAULT_PORT;
    opts->wait_ns = 500 * 1000000ULL;
    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        switch (c) {
        case 't':
            opts->to = optarg;
            break;
        case 'p':
            opts->port = parse_uint("port", optarg, 1, 65535);
            break;
        case 'i':
            interval_us = parse_uint("interval-us", optarg, 1, 60000000);
            break;
        case 'c':
            opts->count = parse_uint("count", optarg, 1, MAX_PACKETS);
            break;
        case 'd':
            duration = parse_seconds("duration", optarg, 86400);
            break;
        case 'w':
            opts->wait_ns = parse_uint("wait-ms", optarg, 0, 600000)
                            * 1000000ULL;
            break;
        case 's':
            opts->summary = optarg;
            break;
        case 'h':
            print_usage(stdout);
            exit(0);
        default:
            bad_option(c, argv, "send");
        }
    }
    no_more_arguments(argc, argv, "send");

    if (!opts->to) {
        usage_error("send: --to ADDR is required");
    }
    if (!opts->count == !(duration > 0)) {
        usage_error("send: give exactly one of --count and --duration");
    }
    opts->interval_ns = interval_us * 1000;
    if (duration > 0) {
        double count = duration * 1e9 / opts->interval_ns;

        if (count < 1) {
            usage_error("send: --duration %g s is shorter than one interval "
                        "(%" PRIu64 " us)", duration, interval_us);
        }
        if (count > MAX_PACKETS) {
            usage_error("send: --duration %g s at one datagram every %" PRIu64
                        " us is over %llu datagrams", duration, interval_us,
                        MAX_PACKETS);
        }
        opts->count = count;
    }
}

/* Resolves 'opts->to' (a numeric address) into 'sender->dst'.  Returns
 * false after printing why not. */
static bool
resolve_destination(const struct send_options *opts, struct sender *sender)
{
    struct addrinfo hints, *res;
    char port[8];
    int error;

    memset(&hints, 0, sizeof hints);
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_DGRAM;
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
    snprintf(port, sizeof port, "%d", opts->port);
    error = getaddrinfo(opts->to, port, &hints, &res);
    if (error) {
        error_msg("send: --to \"%s\": not an IPv4 or IPv6 address (%s)",
                  opts->to, gai_strerror(error));
        return false;
    }
    memcpy(&sender->dst, res->ai_addr, res->ai_addrlen);
    sender->dst_len = res->ai_addrlen;
    freeaddrinfo(res);
    return true;
}

static uint32_t
random_stream_id(void)
{
    uint64_t x = now_ns() ^ ((uint64_t) getpid() << 32);
    int fd = open("/dev/urandom", O_RDONLY);

    if (fd >= 0) {
        uint32_t r;

        if (read(fd, &r, sizeof r) == sizeof r) {
            x ^= r;
        }
        close(fd);
    }
    return x ^ (x >> 32);
}

/* Sends sequence number 'sender->n_sent' now. */
static void
sender_send_next(struct sender *sender)
{
    struct stream_header h;
    uint8_t buf[STREAM_HEADER_LEN];

    h.stream_id = sender->stream_id;
    h.seq = sender->n_sent;
    h.send_ns = now_ns();
    stream_header_encode(&h, buf);
    sender->send_ns[h.seq] = h.send_ns;
    sender->n_sent++;
    if (sendto(sender->fd, buf, sizeof buf, 0,
               (struct sockaddr *) &sender->dst, sender->dst_len) < 0) {
        if (!sender->send_errors++) {
            sender->first_send_error = errno;
        }
    }
}

/* Reads every echo waiting on the socket. */
static void
sender_receive(struct sender *sender)
{
    for (;;) {
        uint8_t buf[2048];
        struct stream_header h;
        ssize_t n;

        n = recv(sender->fd, buf, sizeof buf, MSG_DONTWAIT);
        if (n < 0) {
            /* EAGAIN: all read.  Anything else (an ICMP error, say) leaves
             * the echo missing, which counts as loss. */
            if (errno == EAGAIN || errno == EWOULDBLOCK) {
                return;
            }
            continue;
        }

        uint64_t now = now_ns();
        if (!stream_header_decode(buf, n, &h)
            || h.stream_id != sender->stream_id
            || h.seq >= sender->n_sent) {
            continue;
        }
        if (sender->n_echoes[h.seq]++) {
            sender->duplicates++;
        } else {
            sender->received++;
            if (h.seq + 1 < sender->highest_echoed) {
                sender->reordered++;
            } else {
                sender->highest_echoed = h.seq + 1;
            }
        }

        uint64_t rtt = now - sender->send_ns[h.seq];
        if (rtt > sender->max_rtt_ns) {
            sender->max_rtt_ns = rtt;
        }
    }
}

/* Waits until 'deadline' (CLOCK_MONOTONIC nanoseconds), reading echoes, or
 * until a stop signal beyond the first 'n_signals' arrives. */
static void
sender_wait_until(struct sender *sender, uint64_t deadline,
                  const sigset_t *wait_mask, int n_signals)
{
    for (;;) {
        uint64_t now = now_ns();

        if (now >= deadline || n_stop_signals > n_signals) {
            return;
        }

        uint64_t left = deadline - now;
        struct timespec timeout = {
            .tv_sec = left / 1000000000ULL,
            .tv_nsec = left % 1000000000ULL,
        };
        struct pollfd pfd = { .fd = sender->fd, .events = POLLIN };
        if (ppoll(&pfd, 1, &timeout, wait_mask) > 0) {
            sender_receive(sender);
        }
    }
}

/* The longest time nothing got through, in nanoseconds (see the usage). */
static uint64_t
sender_blackout_ns(const struct sender *sender, uint64_t interval_ns)
{
    uint64_t n = sender->n_sent, longest = 0;
    bool have_before = false;
    uint64_t before = 0;        /* Last echoed sequence number so far. */

    if (!n) {
        return 0;
    }
    for (uint64_t i = 0; i <= n; i++) {
        if (i < n && !sender->n_echoes[i]) {
            continue;
        }

        /* 'i' is echoed, or the end.  Was a run lost before it? */
        uint64_t first_lost = have_before ? before + 1 : 0;
        if (i > first_lost) {
            /* The first lost packet's send time minus one interval stands
             * in for a missing echoed packet before the run, the last lost
             * packet's send time plus one interval for a missing one after
             * it. */
            uint64_t t_before = (have_before ? sender->send_ns[before]
                                 : sender->send_ns[0] - interval_ns);
            uint64_t t_after = (i < n ? sender->send_ns[i]
                                : sender->send_ns[n - 1] + interval_ns);
            uint64_t gap = t_after - t_before;

            gap = gap > interval_ns ? gap - interval_ns : 0;
            if (gap > longest) {
                longest = gap;
            }
        }
        have_before = true;
        before = i;
    }
    return longest;
}

static int
cmd_send(int argc, char *argv[])
{
    struct send_options opts;
    struct sender sender;
    sigset_t wait_mask;
    int status = 0;

    parse_send_options(argc, argv, &opts);

    memset(&sender, 0, sizeof sender);
    sender.fd = -1;
    if (!resolve_destination(&opts, &sender)) {
        return EXIT_USAGE;
    }

    sender.send_ns = calloc(opts.count, sizeof *sender.send_ns);
    sender.n_echoes = calloc(opts.count, sizeof *sender.n_echoes);
    if (!sender.send_ns || !sender.n_echoes) {
        error_msg("send: out of memory for %" PRIu64 " datagrams",
                  opts.count);
        status = 1;
        goto out;
    }
    sender.fd = socket(sender.dst.ss_family, SOCK_DGRAM, 0);
    if (sender.fd < 0) {
        error_msg("send: cannot create a UDP socket: %s", strerror(errno));
        status = 1;
        goto out;
    }
    enlarge_buffers(sender.fd);
    if (sender.dst.ss_family == AF_INET) {
        int on = 1;

        /* So that a broadcast address works too. */
        setsockopt(sender.fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof on);
    }
    sender.stream_id = random_stream_id();

    setup_signals(false, &wait_mask);

    /* Sequence number 'i' is due at start + i * interval. */
    uint64_t start = now_ns();
    while (sender.n_sent < opts.count && !n_stop_signals) {
        uint64_t due = start + sender.n_sent * opts.interval_ns;

        if (now_ns() >= due) {
            sender_send_next(&sender);
            sender_receive(&sender);
        } else {
            sender_wait_until(&sender, due, &wait_mask, 0);
        }
    }
    sender_wait_until(&sender, now_ns() + opts.wait_ns, &wait_mask,
                      n_stop_signals);

    char line[256];
    snprintf(line, sizeof line,
             "sent=%" PRIu64 " received=%" PRIu64 " lost=%" PRIu64
             " duplicates=%" PRIu64 " reordered=%" PRIu64
             " blackout_ms=%.1f max_rtt_ms=%.1f",
             sender.n_sent, sender.received, sender.n_sent - sender.received,
             sender.duplicates, sender.reordered,
             sender_blackout_ns(&sender, opts.interval_ns) / 1e6,
             sender.max_rtt_ns / 1e6);
    if (!write_line(opts.summary, line)) {
        status = 1;
    }
    if (sender.send_errors) {
        error_msg("send: %" PRIu64 " of %" PRIu64 " sends failed (first: %s)",
                  sender.send_errors, sender.n_sent,
                  strerror(sender.first_send_error));
    }

out:
    if (sender.fd >= 0) {
        close(sender.fd);
    }
    free(sender.send_ns);
    free(sender.n_echoes);
    return status;
}

/* "rarp". */

#define RARP_FRAME_LEN 60
#define ETH_TYPE_RARP 0x8035
#define ARP_HTYPE_ETH 1
#define ARP_PTYPE_IP 0x0800
#define ARP_OP_REQUEST_REV 3

/* Builds in 'frame' the RARP announcement of 'mac', byte for byte as qemu's
 * announce_self_create() does. */
static void
rarp_frame_build(uint8_t frame[RARP_FRAME_LEN], const uint8_t mac[6])
{
    memset(frame, 0, RARP_FRAME_LEN);

    /* Ethernet. */
    memset(frame, 0xff, 6);
    memcpy(frame + 6, mac, 6);
    frame[12] = ETH_TYPE_RARP >> 8;
    frame[13] = ETH_TYPE_RARP & 0xff;

    /* RARP: the protocol addresses (28-31, 38-41) and the padding to 60
     * bytes stay zero. */
    frame[15] = ARP_HTYPE_ETH;
    frame[16] = ARP_PTYPE_IP >> 8;
    frame[17] = ARP_PTYPE_IP & 0xff;
    frame[18] = 6;
    frame[19] = 4;
    frame[21] = ARP_OP_REQUEST_REV;
    memcpy(frame + 22, mac, 6);
    memcpy(frame + 32, mac, 6);
}

static int
cmd_rarp(int argc, char *argv[])
{
    static const struct option options[] = {
        { "iface", required_argument, NULL, 'i' },
        { "count", required_argument, NULL, 'c' },
        { "interval-ms", required_argument, NULL, 'm' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *iface = NULL;
    unsigned long long count = 1, interval_ms = 50;
    int c;

    while ((c = getopt_long(argc, argv, ":", options, NULL)) != -1) {
        switch (c) {
        case 'i':
            iface = optarg;
            break;
        case 'c':
            count = parse_uint("count", optarg, 1, 1000);
            break;
        case 'm':
            interval_ms = parse_uint("interval-ms", optarg, 0, 60000);
            break;
        case 'h':
            print_usage(stdout);
            return 0;
        default:
            bad_option(c, argv, "rarp");
        }
    }
    no_more_arguments(argc, argv, "rarp");
    if (!iface) {
        usage_error("rarp: --iface IFACE is required");
    }
    if (!*iface || strlen(iface) >= IFNAMSIZ) {
        usage_error("rarp: --iface: \"%s\" is not an interface name", iface);
    }

    unsigned int ifindex = if_nametoindex(iface);
    if (!ifindex) {
        error_msg("rarp: no interface %s here: %s", iface, strerror(errno));
        return 1;
    }

    int fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_TYPE_RARP));
    if (fd < 0) {
        error_msg("rarp: cannot open a packet socket: %s", strerror(errno));
        return 1;
    }

    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    memcpy(ifr.ifr_name, iface, strlen(iface));
    if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
        error_msg("rarp: cannot read %s's MAC: %s", iface, strerror(errno));
        close(fd);
        return 1;
    }
    if (ifr.ifr_hwaddr.sa_family != ARPHRD_ETHER) {
        error_msg("rarp: %s is not an Ethernet interface", iface);
        close(fd);
        return 1;
    }

    uint8_t frame[RARP_FRAME_LEN];
    rarp_frame_build(frame, (const uint8_t *) ifr.ifr_hwaddr.sa_data);

    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons(ETH_TYPE_RARP);
    sll.sll_ifindex = ifindex;
    sll.sll_halen = 6;
    memset(sll.sll_addr, 0xff, 6);

    int status = 0;
    for (unsigned long long i = 0; i < count; i++) {
        if (i) {
            struct timespec ts = {
                .tv_sec = interval_ms / 1000,
                .tv_nsec = interval_ms % 1000 * 1000000,
            };
            while (nanosleep(&ts, &ts) && errno == EINTR) {
                continue;
            }
        }
        if (sendto(fd, frame, sizeof frame, 0, (struct sockaddr *) &sll,
                   sizeof sll) != sizeof frame) {
            error_msg("rarp: sending on %s: %s", iface, strerror(errno));
            status = 1;
            break;
        }
    }
    close(fd);
    return status;
}

int
main(int argc, char *argv[])
{
    const char *command;

    if (argc < 2) {
        print_usage(stderr);
        return EXIT_USAGE;
    }
    command = argv[1];
    if (!strcmp(command, "--help") || !strcmp(command, "-h")
        || !strcmp(command, "help")) {
        print_usage(stdout);
        return 0;
    }

    /* The command's options: argv[1] becomes the program name that getopt
     * skips. */
    argc--;
    argv++;
    opterr = 0;
    if (!strcmp(command, "echo")) {
        return cmd_echo(argc, argv);
    } else if (!strcmp(command, "send")) {
        return cmd_send(argc, argv);
    } else if (!strcmp(command, "rarp")) {
        return cmd_rarp(argc, argv);
    } else {
        usage_error("unknown command \"%s\"", command);
    }
    return EXIT_USAGE;
}
