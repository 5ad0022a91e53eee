/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#ifndef CLAIM_H
#define CLAIM_H 1

/* The claim decision of DESIGN section 5, as a pure function of what one
 * chassis knows about one Port whose VIF it has.
 *
 *   - A chassis claims a Port (becomes its 'chassis') only for a plug event
 *     that no claim answered yet, and only when requested_chassis is empty
 *     or names it (and, if it names two, the other does not hold it).  Whoever held the port before, alive or dead, does
 *     not matter: that is a cold move, or a failover.  Without a new plug it
 *     never claims back a port that another chassis took, so two chassis
 *     never flap over a port.
 *   - requested_chassis = {B, C} on C, with B holding the port, is a live
 *     migration from B (requested_chassis is a set: the holder is the
 *     source): for a plug
 *     event C becomes the port's 'additional_chassis' (standby) while B is
 *     alive and holds the port.  If B is dead or the port is bound nowhere,
 *     there is nothing to migrate from, and C claims.  Whether B is alive
 *     may be unknown for a moment (C starts to watch B, which makes B
 *     beat, only when it needs to know): C then waits.
 *   - A standby chassis claims the port when requested_chassis names only
 *     it, and when the VM activates it (its RARP, handled by binding.c,
 *     not here); it stops being standby when requested_chassis names
 *     other chassis only.  Emptied, requested_chassis takes nothing from
 *     a live holder: the standby chassis stays so until the activation,
 *     and claims only if the holder is dead or gone. */

#include <stdbool.h>

/* What requested_chassis says about this chassis. */
enum claim_request {
    CLAIM_REQUEST_ANY,          /* Empty: any chassis. */
    CLAIM_REQUEST_FIRST,        /* Names this chassis, alone, or with the
                                 * chassis is not held by the other one. */
    CLAIM_REQUEST_SECOND,       /* Names this chassis and another that holds
                                 * the port: a live migration to here. */
    CLAIM_REQUEST_OTHERS,       /* Does not name this chassis. */
};

/* Who holds the Port now (Port.chassis). */
enum claim_holder {
    CLAIM_HOLDER_NONE,          /* Nobody. */
    CLAIM_HOLDER_ME,            /* This chassis. */
    CLAIM_HOLDER_ALIVE,         /* Another chassis, alive. */
    CLAIM_HOLDER_DEAD,          /* Another chassis, dead. */
    CLAIM_HOLDER_UNKNOWN,       /* Another chassis, not known yet whether
                                 * alive. */
};

/* Everything the decision depends on. */
struct claim_input {
    bool plug;                  /* A plug event no claim answered yet. */
    enum claim_request request;
    enum claim_holder holder;
    bool standby;               /* Port.additional_chassis is this chassis. */
};

/* What to do. */
enum claim_action {
    CLAIM_SERVE,                /* Bound here: deliver. */
    CLAIM_BIND,                 /* Write Port.chassis = this chassis (and
                                 * clear additional_chassis). */
    CLAIM_STANDBY,              /* Write additional_chassis = this
                                 * chassis. */
    CLAIM_KEEP_STANDBY,         /* Standby already: wait for activation. */
    CLAIM_LEAVE_STANDBY,        /* Clear additional_chassis: no longer
                                 * requested here. */
    CLAIM_WAIT,                 /* Nothing to do; the VIF gets no traffic. */
};

enum claim_action claim_decide(const struct claim_input *);

const char *claim_action_to_string(enum claim_action);

#endif /* agent/claim.h */
