/* Copyright (c) 2026 The Roam authors.
 *
 * Licensed under the Apache License, Version 2.0 (the "License"). */

#include <config.h>

#include "claim.h"

enum claim_action
claim_decide(const struct claim_input *in)
{
    if (in->holder == CLAIM_HOLDER_ME) {
        return CLAIM_SERVE;
    }

    switch (in->request) {
    case CLAIM_REQUEST_ANY:
        if (in->standby && !in->plug) {
            /* requested_chassis emptied during a live migration: the VM
             * may still run on the holder, so this chassis stays standby
             * until the VM activates it here, unless nobody runs it. */
            return (in->holder == CLAIM_HOLDER_ALIVE
                    || in->holder == CLAIM_HOLDER_UNKNOWN
                    ? CLAIM_KEEP_STANDBY : CLAIM_BIND);
        }
        return in->plug ? CLAIM_BIND : CLAIM_WAIT;

    case CLAIM_REQUEST_FIRST:
        /* A standby chassis that is now requested first takes over: the
         * orchestrator says the VM runs here. */
        return in->plug || in->standby ? CLAIM_BIND : CLAIM_WAIT;

    case CLAIM_REQUEST_SECOND:
        if (!in->plug && !in->standby) {
            return CLAIM_WAIT;
        }
        switch (in->holder) {
        case CLAIM_HOLDER_ALIVE:
            return in->standby ? CLAIM_KEEP_STANDBY : CLAIM_STANDBY;
        case CLAIM_HOLDER_UNKNOWN:
            return in->standby ? CLAIM_KEEP_STANDBY : CLAIM_WAIT;
        case CLAIM_HOLDER_NONE:
        case CLAIM_HOLDER_DEAD:
            /* Nothing to migrate from: the VM can only be here. */
            return CLAIM_BIND;
        case CLAIM_HOLDER_ME:
        default:
            return CLAIM_SERVE;
        }

    case CLAIM_REQUEST_OTHERS:
    default:
        return in->standby ? CLAIM_LEAVE_STANDBY : CLAIM_WAIT;
    }
}

const char *
claim_action_to_string(enum claim_action action)
{
    switch (action) {
    case CLAIM_SERVE:
        return "serve";
    case CLAIM_BIND:
        return "bind";
    case CLAIM_STANDBY:
        return "standby";
    case CLAIM_KEEP_STANDBY:
        return "keep-standby";
    case CLAIM_LEAVE_STANDBY:
        return "leave-standby";
    case CLAIM_WAIT:
        return "wait";
    }
    return "?";
}
