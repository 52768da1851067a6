/* Field masking for the monitor's redact decisions (struct omega_decision.redact[]). The runtime
 * applies it to a result before the agent receives it (tools/call, read, infer) and to an outgoing
 * payload before it leaves the agent (send, egress). Structural, on JSON only: a payload that is not
 * a JSON object or array cannot be masked, and the runtime then denies the action (fail closed). */
#ifndef OMEGA_REDACT_H
#define OMEGA_REDACT_H

#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "core/error.h"

/* What a masked value becomes. */
#define OMEGA_REDACTED "[redacted]"

/* Parse the n bytes at p as one JSON object or array (jansson, strict: nothing after it, no NUL in
 * strings), replace the value of every object member, at any depth, whose key (after JSON escapes
 * are decoded) equals one of the nfields names with the string OMEGA_REDACTED, and write the result
 * as compact JSON into out (replacing its content; p may point into out's own bytes). Returns the
 * number of members masked (≥ 0), OMEGA_EFORMAT when the bytes are not such JSON, OMEGA_ENOMEM when
 * re-encoding fails; on error out is empty and err says why. */
int omega_redact_json(const void *p, size_t n, const char *const *fields, uint32_t nfields, struct omega_buf *out,
                      struct omega_error *err) OMEGA_MUST_CHECK;

#endif
