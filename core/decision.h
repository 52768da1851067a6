/* The monitor's decision interface: what an agent asks to do (an action) and what the monitor
 * answers (a decision). The runtime builds an action per request; a decider (the config allow-list,
 * later the compiled policy engine) fills the decision. Hot path: no allocation, no parsing of
 * anything but the request's own arguments. Fixed mapping (policy language, DESIGN.md):
 *   tools/call  → principal Agent::"<agent>", action Action::"tools/call", resource Tool::"<name>"
 *   send        → Action::"send",   resource Agent::"<peer>"
 *   read        → Action::"read",   resource Data::"<id>"
 *   egress      → Action::"egress", resource Host::"<name>"
 *   infer       → Action::"infer",  resource Model::"<id>"
 *   other MCP m → Action::"<m>",    resource Resource::"<params.uri or params.name>" */
#ifndef OMEGA_DECISION_H
#define OMEGA_DECISION_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/labels.h"

enum omega_action_kind {
    OMEGA_ACT_TOOL_CALL,
    OMEGA_ACT_SEND,
    OMEGA_ACT_READ,
    OMEGA_ACT_EGRESS,
    OMEGA_ACT_INFER,
    OMEGA_ACT_OTHER,      /* any other MCP method: method names it */
};

struct omega_action {
    enum omega_action_kind kind;
    const char *agent;        /* borrowed: the requesting agent's id */
    const char *method;       /* borrowed: "tools/call", "send", "read", "egress", "infer", or the MCP method */
    const char *target;       /* borrowed: tool name, peer agent, data id, host, model id, resource */
    const json_t *args;       /* borrowed, may be NULL: MCP params.arguments (or the message) */
    const struct omega_labels *labels;  /* borrowed: the join of all the agent has read */
    uint64_t count;           /* earlier allowed calls of this (agent, method, target) in the session */
    uint64_t now_ns;          /* time of the request (monotonic ns) for context.rate's windows; 0: now */
};

enum omega_verdict { OMEGA_ALLOW = 0, OMEGA_DENY = 1, OMEGA_ASK = 2, OMEGA_REDACT = 3 };

#define OMEGA_DECISION_MAX_POLICIES 8
#define OMEGA_DECISION_MAX_REDACT 8

struct omega_decision {
    enum omega_verdict verdict;
    uint32_t npolicies;
    const char *policies[OMEGA_DECISION_MAX_POLICIES];   /* borrowed from the decider: determining policy ids */
    uint32_t nredact;
    const char *redact[OMEGA_DECISION_MAX_REDACT];       /* borrowed: fields to mask when verdict is REDACT */
    uint32_t nerrors;                                    /* policies skipped because their condition errored */
};

/* A decider: fills d for a; returns 0, or a negative code when it could not decide (then the
 * runtime denies: the monitor fails closed). */
typedef int (*omega_decide_fn)(void *ctx, const struct omega_action *a, struct omega_decision *d);

/* Name of a verdict ("allow", "deny", "ask", "redact"). */
const char *omega_verdict_name(enum omega_verdict v);
/* Name of an action kind's Cedar action ("tools/call", "send", ...). */
const char *omega_action_kind_name(enum omega_action_kind k);

#endif
