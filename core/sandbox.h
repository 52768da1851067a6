/* Agent sandboxes (emulated VMPL-2): one process per agent, forked from a clean zygote.
 *
 * The zygote is forked when the runtime starts, before any agent exists, so an agent's copy of the
 * address space holds no other agent's data; it prepares, once, what every sandbox shares: an empty
 * read-only root in its own mount namespace and an empty network namespace (no interfaces up), both
 * pre-made and joined with setns (making a network namespace per agent costs milliseconds), and the
 * seccomp-bpf program, compiled once with libseccomp and loaded raw in each child. Each agent is a
 * clone(CLONE_PARENT) of the zygote, so the runtime is its parent and reaps it. In the child, in
 * order: map the channel, keep only the doorbell fd (3), join the namespaces, set rlimits (address
 * space, data, CPU, fds, processes, no core), drop to nobody when root, PR_SET_NO_NEW_PRIVS, not
 * dumpable, Landlock where the kernel has it (no file access, no TCP, no signals or abstract sockets
 * outside its own domain), seccomp (kill the process on any other system call), report ready, run. */
#ifndef OMEGA_SANDBOX_H
#define OMEGA_SANDBOX_H

#include <sched.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "core/channel.h"
#include "core/error.h"

#define OMEGA_AGENT_ID_MAX 64
#define OMEGA_AGENT_ARG_MAX 4096
#define OMEGA_AGENT_DOORBELL_FD 3

struct omega_agent;
/* Agent code: runs in the sandbox; its return value is the process's exit status. arg is a copy. */
typedef int (*omega_agent_main_fn)(struct omega_agent *ag, const void *arg, size_t arglen);

/* Switches for measuring each step and for platforms that lack one (documented, never silent). */
enum {
    OMEGA_SANDBOX_NO_SECCOMP = 1,
    OMEGA_SANDBOX_NO_NAMESPACES = 2,
    OMEGA_SANDBOX_NO_LIMITS = 4,
    OMEGA_SANDBOX_NO_LANDLOCK = 8,
};

struct omega_sandbox_limits {
    uint64_t mem_bytes;     /* address space beyond the zygote's image (RLIMIT_AS, RLIMIT_DATA); 0: 256 MiB */
    unsigned cpu_seconds;   /* RLIMIT_CPU (SIGXCPU, then SIGKILL a second later); 0: 300 */
    unsigned max_fds;       /* RLIMIT_NOFILE; 0: 4 (the doorbell is fd 3) */
};

/* Steps of a start, reported by the child into its channel (t_step[]). */
enum { OMEGA_STEP_CLONED, OMEGA_STEP_MAPPED, OMEGA_STEP_NAMESPACES, OMEGA_STEP_LIMITS, OMEGA_STEP_SECCOMP,
       OMEGA_STEP_READY, OMEGA_STEP_COUNT };
/* Name of a start-up step ("clone", "namespaces", ...). */
const char *omega_sandbox_step_name(int step);

struct omega_zygote;

/* Fork the zygote and prepare the shared jail and seccomp program (flags: OMEGA_SANDBOX_NO_*). What
 * could not be set up here (e.g. no user namespaces) is logged and shows in _describe. */
struct omega_zygote *omega_zygote_start(unsigned flags, struct omega_error *err);
/* Stop the zygote (agents already started go on); NULL is a no-op. */
void omega_zygote_stop(struct omega_zygote *z);
/* One line: what every sandbox gets here ("namespaces: mnt+net (shared, pre-made); seccomp: on; ..."). */
const char *omega_zygote_describe(const struct omega_zygote *z);

struct omega_spawn {
    omega_agent_main_fn fn;
    char id[OMEGA_AGENT_ID_MAX];
    size_t ring_bytes;
    struct omega_sandbox_limits limits;
    struct omega_chan_wait wait_runtime;   /* how the agent waits for an answer the runtime gives itself */
    struct omega_chan_wait wait_peer;      /* ... for one that needs another agent to run first (recv) */
    const cpu_set_t *cpus;    /* borrowed; CPUs the agent may run on, set before seccomp; NULL: inherit */
    const void *arg;          /* borrowed, copied to the child (≤ OMEGA_AGENT_ARG_MAX) */
    size_t arglen;
};

/* Start one sandboxed agent on channel memfd with doorbell eventfd (both borrowed; the child gets
 * copies). *pid is a child of the caller's process. Does not wait for ready. */
int omega_zygote_spawn(struct omega_zygote *z, const struct omega_spawn *s, int memfd, int doorbell_fd,
                       pid_t *pid, struct omega_error *err) OMEGA_MUST_CHECK;

#endif
