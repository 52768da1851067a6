#include "core/decision.h"

const char *omega_verdict_name(enum omega_verdict v)
{
    switch (v) {
    case OMEGA_ALLOW: return "allow";
    case OMEGA_DENY: return "deny";
    case OMEGA_ASK: return "ask";
    case OMEGA_REDACT: return "redact";
    }
    return "deny";
}

const char *omega_action_kind_name(enum omega_action_kind k)
{
    switch (k) {
    case OMEGA_ACT_TOOL_CALL: return "tools/call";
    case OMEGA_ACT_SEND: return "send";
    case OMEGA_ACT_READ: return "read";
    case OMEGA_ACT_EGRESS: return "egress";
    case OMEGA_ACT_INFER: return "infer";
    case OMEGA_ACT_OTHER: return "other";
    }
    return "other";
}
