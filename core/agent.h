/* The agent API: what agent code, running in its sandbox, calls. Every call is one request on the
 * agent's channel; the runtime asks the monitor, performs the action if allowed, and answers.
 * Results: 0 (allowed and done), OMEGA_EDENIED (the monitor said no), OMEGA_EQUOTA (rate, inbox or
 * size limit), OMEGA_ENOTFOUND (no such tool/data/peer, or an empty inbox with NOWAIT), OMEGA_EUNAVAIL
 * (no handler for that kind here), or the handler's own negative code. Outputs longer than the
 * caller's buffer are cut; *outlen still says the full length. Only these calls and plain memory
 * work inside the sandbox: no files, no sockets, no stdio (any other system call ends the agent). */
#ifndef OMEGA_AGENT_H
#define OMEGA_AGENT_H

#include <stddef.h>
#include <stdint.h>

#include "core/channel.h"
#include "core/sandbox.h"

/* This agent's id (as the runtime named it). */
const char *omega_agent_id(const struct omega_agent *ag);
/* Largest payload one call can carry (about the ring size). */
size_t omega_agent_max_payload(const struct omega_agent *ag);
/* MCP tools/call: args are the JSON arguments object (text); the tool's result into out. */
int omega_agent_call_tool(struct omega_agent *ag, const char *tool, const void *args, size_t len, void *out,
                          size_t cap, size_t *outlen);
/* Read a data item by id; its labels join the agent's context in the runtime. */
int omega_agent_read(struct omega_agent *ag, const char *data_id, void *out, size_t cap, size_t *outlen);
/* Send a message to another agent (A2A), routed and checked by the runtime (Action::"send"). */
int omega_agent_send(struct omega_agent *ag, const char *peer, const void *msg, size_t len);
/* Receive the next message: sender's id into from (fromcap bytes), body into out. flags:
 * OMEGA_RECV_NOWAIT to return OMEGA_ENOTFOUND at once when the inbox is empty; else it waits. */
int omega_agent_recv(struct omega_agent *ag, char *from, size_t fromcap, void *out, size_t cap, size_t *outlen,
                     unsigned flags);
/* An A2A call in one request: send msg to peer, then receive the next message (usually peer's
 * answer) as omega_agent_recv does (waiting). The send is decided like omega_agent_send; if it is
 * refused, that code comes back and nothing is received. */
int omega_agent_send_recv(struct omega_agent *ag, const char *peer, const void *msg, size_t len, char *from,
                          size_t fromcap, void *out, size_t cap, size_t *outlen);
/* Ask the runtime's inference engine (model id, prompt) for a completion. */
int omega_agent_infer(struct omega_agent *ag, const char *model, const void *prompt, size_t len, void *out, size_t cap,
                      size_t *outlen);
/* Send data out of the CVM to host (judged on the labels of all the agent has read). */
int omega_agent_egress(struct omega_agent *ag, const char *host, const void *data, size_t len);

/* The agent's own channel (shared with the runtime): for tests that play a hostile agent. */
struct omega_chan *omega_agent_channel(struct omega_agent *ag);

/* Internal: the sandboxed child's entry, called by the sandbox once confined. Never returns. */
void omega_agent_run_child(omega_agent_main_fn fn, const char *id, struct omega_chan *ch,
                           const struct omega_chan_wait *wait_runtime, const struct omega_chan_wait *wait_peer,
                           const void *arg, size_t arglen) __attribute__((noreturn));

#endif
