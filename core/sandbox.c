/* Zygote, shared jail namespaces, seccomp program and the sandboxed child's set-up (sandbox.h). */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#ifdef CONFIG_SECCOMP
#include <seccomp.h>
#endif

#include "core/agent.h"
#include "core/channel.h"
#include "core/log.h"
#include "core/sandbox.h"

struct omega_zygote {
    pid_t pid;
    int sock;          /* runtime's end of the request socket */
    char desc[512];
};

/* What the zygote keeps for its children. */
struct zstate {
    int ns_user, ns_net, ns_mnt;   /* pre-made namespaces, -1 if not used */
    struct sock_fprog prog;        /* compiled seccomp filter; len 0: none */
    uint64_t base_vm;              /* the zygote's address-space size: limits are on top of it */
    uint64_t handled;              /* signals (bit s-1) with a handler in the zygote: reset in each child */
    int landlock_abi;              /* 0: not used */
    uint64_t ll_attr[3];           /* handled_access_fs, handled_access_net, scoped */
    size_t ll_attr_size;
    unsigned flags;
    pid_t runtime;
};

struct zreq {
    uintptr_t fn;
    char id[OMEGA_AGENT_ID_MAX];
    uint64_t ring_bytes;
    struct omega_sandbox_limits limits;
    struct omega_chan_wait wait_runtime, wait_peer;
    uint32_t has_cpus;
    cpu_set_t cpus;
    uint32_t arglen;
    /* aligned for any type: agents cast their argument to their own struct */
    _Alignas(max_align_t) uint8_t arg[OMEGA_AGENT_ARG_MAX];
};

struct zrep {
    int32_t rc;
    int32_t pid;
    char why[160];
};

static const char *step_names[OMEGA_STEP_COUNT] = {"clone", "map", "namespaces", "limits", "seccomp", "ready"};

const char *omega_sandbox_step_name(int step)
{
    return step >= 0 && step < OMEGA_STEP_COUNT ? step_names[step] : "?";
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static int write_file(const char *path, const char *s)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    ssize_t n = write(fd, s, strlen(s));
    close(fd);
    return n == (ssize_t)strlen(s) ? 0 : -1;
}

/* In a throw-away child: new mount + network (+ user, when not root) namespaces with an empty,
 * read-only tmpfs as the root. The parent opens the namespaces through /proc and keeps them. */
static int jail_child(int ready_fd, int hold_fd, int userns)
{
    uid_t uid = getuid();
    gid_t gid = getgid();
    int fl = CLONE_NEWNS | CLONE_NEWNET | (userns ? CLONE_NEWUSER : 0);
    char c = 'x';
    if (unshare(fl) < 0)
        goto fail;
    if (userns) {
        char m[64];
        if (write_file("/proc/self/setgroups", "deny") < 0)
            goto fail;
        snprintf(m, sizeof m, "0 %u 1", (unsigned)uid);
        if (write_file("/proc/self/uid_map", m) < 0)
            goto fail;
        snprintf(m, sizeof m, "0 %u 1", (unsigned)gid);
        if (write_file("/proc/self/gid_map", m) < 0)
            goto fail;
    }
    if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
        goto fail;
    if (mount("omega-empty", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=4k,mode=0555") < 0)
        goto fail;
    if (chdir("/tmp") < 0 || syscall(SYS_pivot_root, ".", ".") < 0 || umount2(".", MNT_DETACH) < 0 || chdir("/") < 0)
        goto fail;
    if (mount(NULL, "/", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
        goto fail;
    c = 'y';
fail:
    if (c == 'x')
        c = (char)(errno & 0x7f);
    if (write(ready_fd, &c, 1) != 1)
        _exit(1);
    char d;
    while (read(hold_fd, &d, 1) > 0) {}   /* wait until the parent has opened the namespaces */
    _exit(0);
}

static int make_jail(struct zstate *zs, char *why, size_t whylen)
{
    int userns = geteuid() != 0;
    int rp[2], hp[2];
    if (pipe2(rp, O_CLOEXEC) < 0)
        return -1;
    if (pipe2(hp, O_CLOEXEC) < 0) {
        close(rp[0]);
        close(rp[1]);
        return -1;
    }
    pid_t pid = fork();
    if (pid == 0) {
        close(rp[0]);
        close(hp[1]);
        jail_child(rp[1], hp[0], userns);
    }
    close(rp[1]);
    close(hp[0]);
    int rc = -1;
    char c = 0;
    if (pid < 0) {
        snprintf(why, whylen, "fork: %s", strerror(errno));
    } else if (read(rp[0], &c, 1) != 1 || c != 'y') {
        snprintf(why, whylen, "%s namespaces: %s", userns ? "user+mount+network" : "mount+network",
                 c ? strerror(c) : "helper died");
    } else {
        char p[64];
        snprintf(p, sizeof p, "/proc/%d/ns/net", (int)pid);
        zs->ns_net = open(p, O_RDONLY | O_CLOEXEC);
        snprintf(p, sizeof p, "/proc/%d/ns/mnt", (int)pid);
        zs->ns_mnt = open(p, O_RDONLY | O_CLOEXEC);
        if (userns) {
            snprintf(p, sizeof p, "/proc/%d/ns/user", (int)pid);
            zs->ns_user = open(p, O_RDONLY | O_CLOEXEC);
        }
        if (zs->ns_net >= 0 && zs->ns_mnt >= 0 && (!userns || zs->ns_user >= 0))
            rc = 0;
        else
            snprintf(why, whylen, "open /proc/%d/ns: %s", (int)pid, strerror(errno));
    }
    close(rp[0]);
    close(hp[1]);
    if (pid > 0)
        waitpid(pid, NULL, 0);
    return rc;
}

#ifdef CONFIG_SECCOMP
/* The allow-list: the channel (futex; write to the doorbell only), memory management, time, exit,
 * and what glibc's malloc and signal return need. Everything else kills the process. */
static int compile_seccomp(struct zstate *zs, char *why, size_t whylen)
{
    static const int allowed[] = {
        SCMP_SYS(futex), SCMP_SYS(mmap), SCMP_SYS(munmap), SCMP_SYS(mremap), SCMP_SYS(brk), SCMP_SYS(madvise),
        SCMP_SYS(mprotect), SCMP_SYS(exit), SCMP_SYS(exit_group), SCMP_SYS(rt_sigreturn),
        SCMP_SYS(rt_sigprocmask), SCMP_SYS(clock_gettime), SCMP_SYS(clock_getres), SCMP_SYS(gettimeofday),
        SCMP_SYS(clock_nanosleep), SCMP_SYS(nanosleep), SCMP_SYS(sched_yield), SCMP_SYS(getcpu), SCMP_SYS(getpid),
        SCMP_SYS(gettid), SCMP_SYS(getrandom), SCMP_SYS(restart_syscall), SCMP_SYS(sigaltstack),
    };
    scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_KILL_PROCESS);
    if (!ctx) {
        snprintf(why, whylen, "seccomp_init failed");
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < sizeof allowed / sizeof allowed[0] && rc == 0; i++)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, allowed[i], 0);
    if (rc == 0)
        rc = seccomp_rule_add(ctx, SCMP_ACT_ALLOW, SCMP_SYS(write), 1,
                              SCMP_A0(SCMP_CMP_EQ, OMEGA_AGENT_DOORBELL_FD));
    /* A sanitizer's report inside an agent (make check SANITIZE=1) needs system calls this list refuses
     * (readlink, open, ioctl) and a stderr the agent no longer has: it shows as a SIGSYS. To read one,
     * allow those and write to fd 2 here and keep fd 2 open below, locally. Sanitizer builds keep the
     * same filter, since the escape tests check it. */
    /* No_new_privs is set by the child itself, before loading; the raw load below needs no libseccomp. */
    if (rc == 0)
        rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 0);
    int fd = -1;
    if (rc == 0) {
        fd = memfd_create("omega-bpf", MFD_CLOEXEC);
        rc = fd < 0 ? -errno : seccomp_export_bpf(ctx, fd);
    }
    seccomp_release(ctx);
    if (rc == 0) {
        off_t n = lseek(fd, 0, SEEK_END);
        struct sock_filter *f = n > 0 ? malloc((size_t)n) : NULL;
        if (f && pread(fd, f, (size_t)n, 0) == n) {
            zs->prog.filter = f;
            zs->prog.len = (unsigned short)((size_t)n / sizeof *f);
        } else {
            free(f);
            rc = -EIO;
        }
    }
    if (fd >= 0)
        close(fd);
    if (rc < 0)
        snprintf(why, whylen, "libseccomp: %s", strerror(-rc));
    return rc < 0 ? -1 : 0;
}
#endif

/* Landlock rights by ABI version (the kernel refuses bits it does not know). */
static void landlock_probe(struct zstate *zs, char *desc, size_t dlen)
{
    long abi = syscall(SYS_landlock_create_ruleset, NULL, 0, 1u /* LANDLOCK_CREATE_RULESET_VERSION */);
    if (abi < 1) {
        snprintf(desc, dlen, "unavailable (%s)", strerror(errno));
        return;
    }
    zs->landlock_abi = (int)abi;
    uint64_t fs = (1ull << 13) - 1;        /* v1: execute .. make_sym */
    if (abi >= 2) fs |= 1ull << 13;        /* refer */
    if (abi >= 3) fs |= 1ull << 14;        /* truncate */
    if (abi >= 5) fs |= 1ull << 15;        /* ioctl_dev */
    zs->ll_attr[0] = fs;
    zs->ll_attr_size = 8;
    if (abi >= 4) {
        zs->ll_attr[1] = 3;                /* bind_tcp, connect_tcp */
        zs->ll_attr_size = 16;
    }
    if (abi >= 6) {
        zs->ll_attr[2] = 3;                /* scoped: abstract unix sockets, signals */
        zs->ll_attr_size = 24;
    }
    snprintf(desc, dlen, "ABI %ld (no file access%s%s)", abi, abi >= 4 ? ", no TCP" : "",
             abi >= 6 ? ", no signals or abstract sockets out of its domain" : "");
}

static void set_limit(int res, rlim_t soft, rlim_t hard)
{
    struct rlimit rl = {soft, hard};
    (void)setrlimit(res, &rl);
}

/* The sandboxed child. Never returns. Any failed step is fatal: an agent never runs half-sandboxed. */
static void child(const struct zstate *zs, const struct zreq *rq, int memfd, int doorbell)
{
    uint64_t t0 = now_ns();
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != zs->runtime)
        _exit(120);
    char name[16] = "agent:";   /* "ps" shows which agent a process is (the kernel keeps 15 bytes) */
    memcpy(name + 6, rq->id, strnlen(rq->id, sizeof name - 7));
    (void)prctl(PR_SET_NAME, name);
    /* Default dispositions straight from the kernel (a sanitizer's sigaction would keep its own fault
     * handler, which then makes forbidden calls): a fault ends the agent with its signal. */
    struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } ksa = {SIG_DFL, 0, NULL, 0};
    for (int s = 1; s < 65; s++)
        if (zs->handled & (1ull << (s - 1)))
            (void)syscall(SYS_rt_sigaction, s, &ksa, NULL, sizeof ksa.mask);
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, NULL);

    struct omega_chan ch;
    if (omega_chan_attach(&ch, memfd, rq->ring_bytes, NULL) < 0)
        _exit(121);
    ch.sh->t_step[OMEGA_STEP_CLONED] = t0;
    ch.sh->t_step[OMEGA_STEP_MAPPED] = now_ns();
    if (dup2(doorbell, OMEGA_AGENT_DOORBELL_FD) < 0)
        _exit(122);

    if (!(zs->flags & OMEGA_SANDBOX_NO_NAMESPACES) && zs->ns_mnt >= 0) {
        if ((zs->ns_user >= 0 && setns(zs->ns_user, CLONE_NEWUSER) < 0) || setns(zs->ns_net, CLONE_NEWNET) < 0 ||
            setns(zs->ns_mnt, CLONE_NEWNS) < 0 || chdir("/") < 0)
            _exit(123);
    }
    /* Only the doorbell stays open: no stdio, no other agent's anything. */
    if (syscall(SYS_close_range, 0, OMEGA_AGENT_DOORBELL_FD - 1, 0) < 0 ||
        syscall(SYS_close_range, OMEGA_AGENT_DOORBELL_FD + 1, ~0u, 0) < 0)
        _exit(124);
    ch.sh->t_step[OMEGA_STEP_NAMESPACES] = now_ns();

    if (!(zs->flags & OMEGA_SANDBOX_NO_LIMITS)) {
        uint64_t mem = rq->limits.mem_bytes ? rq->limits.mem_bytes : 256ull << 20;
        rlim_t as = (rlim_t)(zs->base_vm + mem + omega_chan_map_bytes(rq->ring_bytes));
        set_limit(RLIMIT_AS, as, as);
        set_limit(RLIMIT_DATA, as, as);
        unsigned cpu = rq->limits.cpu_seconds ? rq->limits.cpu_seconds : 300;
        set_limit(RLIMIT_CPU, cpu, cpu + 1);
        unsigned nfd = rq->limits.max_fds ? rq->limits.max_fds : OMEGA_AGENT_DOORBELL_FD + 1;
        set_limit(RLIMIT_NOFILE, nfd, nfd);
        set_limit(RLIMIT_NPROC, 0, 0);
        set_limit(RLIMIT_CORE, 0, 0);
        set_limit(RLIMIT_MEMLOCK, 0, 0);
    }
    if (geteuid() == 0 && (zs->ns_user < 0 || (zs->flags & OMEGA_SANDBOX_NO_NAMESPACES))) {
        /* Root in the first user namespace: drop to nobody, so no capability is left to misuse. */
        if (setgroups(0, NULL) < 0 || setresgid(65534, 65534, 65534) < 0 || setresuid(65534, 65534, 65534) < 0)
            _exit(125);
    }
    if (prctl(PR_SET_DUMPABLE, 0) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
        _exit(126);
    if (zs->landlock_abi) {   /* a ruleset that handles every right and grants none */
        int fd = (int)syscall(SYS_landlock_create_ruleset, zs->ll_attr, zs->ll_attr_size, 0);
        if (fd < 0 || syscall(SYS_landlock_restrict_self, fd, 0) < 0)
            _exit(119);
        close(fd);
    }
    /* Pinning is a performance option: where it is refused the agent runs anywhere, as without it. */
    if (rq->has_cpus)
        (void)sched_setaffinity(0, sizeof rq->cpus, &rq->cpus);
    ch.sh->t_step[OMEGA_STEP_LIMITS] = now_ns();
    if (!(zs->flags & OMEGA_SANDBOX_NO_SECCOMP) && zs->prog.len) {
        if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &zs->prog) < 0)
            _exit(127);
    }
    ch.sh->t_step[OMEGA_STEP_SECCOMP] = now_ns();
    omega_agent_run_child(rq->fn ? (omega_agent_main_fn)rq->fn : NULL, rq->id, &ch, &rq->wait_runtime,
                          &rq->wait_peer, rq->arg, rq->arglen);
}

static int recv_req(int sock, struct zreq *rq, int fds[2])
{
    char cbuf[CMSG_SPACE(2 * sizeof(int))];
    struct iovec iov = {rq, sizeof *rq};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    ssize_t n = recvmsg(sock, &mh, MSG_CMSG_CLOEXEC);
    if (n <= 0)
        return -1;
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    if (n != (ssize_t)sizeof *rq || !cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(2 * sizeof(int))) {
        if (cm && cm->cmsg_type == SCM_RIGHTS) {
            int *p = (int *)CMSG_DATA(cm);
            for (size_t i = 0; i < (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int); i++)
                close(p[i]);
        }
        return 0;
    }
    memcpy(fds, CMSG_DATA(cm), 2 * sizeof(int));
    return 1;
}

static void zygote_main(int sock, unsigned flags, pid_t runtime, int report_fd)
{
    struct zstate zs = {.ns_user = -1, .ns_net = -1, .ns_mnt = -1, .flags = flags, .runtime = runtime};
    char desc[512], why[160] = "";
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    prctl(PR_SET_NAME, "omega-zygote");
    signal(SIGCHLD, SIG_DFL);
    const char *ns = "off (OMEGA_SANDBOX_NO_NAMESPACES)";
    if (!(flags & OMEGA_SANDBOX_NO_NAMESPACES)) {
        if (make_jail(&zs, why, sizeof why) == 0)
            ns = zs.ns_user >= 0 ? "user+mount+network (shared, pre-made; empty read-only root, no interfaces)"
                                 : "mount+network (shared, pre-made; empty read-only root, no interfaces)";
        else
            ns = "unavailable";
    }
    char ll[160] = "off (OMEGA_SANDBOX_NO_LANDLOCK)";
    if (!(flags & OMEGA_SANDBOX_NO_LANDLOCK))
        landlock_probe(&zs, ll, sizeof ll);
    const char *sc = "off (OMEGA_SANDBOX_NO_SECCOMP)";
#ifdef CONFIG_SECCOMP
    char why2[160] = "";
    if (!(flags & OMEGA_SANDBOX_NO_SECCOMP))
        sc = compile_seccomp(&zs, why2, sizeof why2) == 0 ? "on (kill on any other call)" : "unavailable";
#else
    if (!(flags & OMEGA_SANDBOX_NO_SECCOMP))
        sc = "unavailable (built without libseccomp)";
#endif
    long pages = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld", &pages) != 1)
            pages = 0;
        fclose(f);
    }
    zs.base_vm = (uint64_t)pages * (uint64_t)sysconf(_SC_PAGESIZE);
    /* Which signals the children must reset (asked once here, so a start makes a few calls, not 64). */
    for (int s = 1; s < 65; s++) {
        struct { void *handler; unsigned long flags; void *restorer; uint64_t mask; } old;
        if (s != SIGKILL && s != SIGSTOP && syscall(SYS_rt_sigaction, s, NULL, &old, sizeof old.mask) == 0 &&
            old.handler != SIG_DFL)
            zs.handled |= 1ull << (s - 1);
    }
    snprintf(desc, sizeof desc, "namespaces: %s%s%s; landlock: %s; seccomp: %s; limits: %s", ns, why[0] ? " - " : "", why, ll, sc,
             (flags & OMEGA_SANDBOX_NO_LIMITS) ? "off" : "rlimits (AS, DATA, CPU, NOFILE, NPROC)");
    if (write(report_fd, desc, strlen(desc) + 1) < 0)
        _exit(1);
    close(report_fd);

    static struct zreq rq;
    for (;;) {
        int fds[2];
        int r = recv_req(sock, &rq, fds);
        if (r < 0)
            _exit(0);   /* the runtime went away */
        struct zrep rep = {0};
        if (r == 0) {
            rep.rc = OMEGA_EINVAL;
            snprintf(rep.why, sizeof rep.why, "malformed spawn request");
        } else if (rq.arglen > OMEGA_AGENT_ARG_MAX) {
            rep.rc = OMEGA_EINVAL;
            snprintf(rep.why, sizeof rep.why, "argument too long");
        } else {
            rq.id[sizeof rq.id - 1] = 0;
            long pid = syscall(SYS_clone, CLONE_PARENT | SIGCHLD, 0, NULL, NULL, 0);
            if (pid == 0) {
                close(sock);
                child(&zs, &rq, fds[0], fds[1]);
            }
            if (pid < 0) {
                rep.rc = OMEGA_EIO;
                snprintf(rep.why, sizeof rep.why, "clone: %s", strerror(errno));
            }
            rep.pid = (int32_t)pid;
        }
        if (r > 0) {
            close(fds[0]);
            close(fds[1]);
        }
        if (send(sock, &rep, sizeof rep, MSG_NOSIGNAL) != (ssize_t)sizeof rep)
            _exit(0);
    }
}

struct omega_zygote *omega_zygote_start(unsigned flags, struct omega_error *err)
{
    struct omega_zygote *z = calloc(1, sizeof *z);
    if (!z) {
        omega_error_set(err, OMEGA_ENOMEM, __FILE__, __LINE__, "zygote: out of memory");
        return NULL;
    }
    int sv[2], rp[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) {
        omega_error_set(err, OMEGA_EIO, __FILE__, __LINE__, "zygote: socketpair: %s", strerror(errno));
        free(z);
        return NULL;
    }
    if (pipe2(rp, O_CLOEXEC) < 0) {
        omega_error_set(err, OMEGA_EIO, __FILE__, __LINE__, "zygote: pipe: %s", strerror(errno));
        close(sv[0]);
        close(sv[1]);
        free(z);
        return NULL;
    }
    pid_t me = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        close(sv[0]);
        close(rp[0]);
        zygote_main(sv[1], flags, me, rp[1]);
        _exit(0);
    }
    close(sv[1]);
    close(rp[1]);
    if (pid < 0) {
        omega_error_set(err, OMEGA_EIO, __FILE__, __LINE__, "zygote: fork: %s", strerror(errno));
        close(sv[0]);
        close(rp[0]);
        free(z);
        return NULL;
    }
    z->pid = pid;
    z->sock = sv[0];
    ssize_t n = read(rp[0], z->desc, sizeof z->desc - 1);
    close(rp[0]);
    if (n <= 0) {
        omega_error_set(err, OMEGA_EIO, __FILE__, __LINE__, "zygote: died while starting");
        omega_zygote_stop(z);
        return NULL;
    }
    z->desc[n] = 0;
    if (strstr(z->desc, "unavailable"))
        omega_log(OMEGA_LOG_WARN, "sandbox: %s", z->desc);
    else
        omega_debug("agent", "sandbox: %s", z->desc);
    return z;
}

void omega_zygote_stop(struct omega_zygote *z)
{
    if (!z)
        return;
    close(z->sock);
    if (z->pid > 0) {
        kill(z->pid, SIGKILL);
        waitpid(z->pid, NULL, 0);
    }
    free(z);
}

const char *omega_zygote_describe(const struct omega_zygote *z) { return z->desc; }

int omega_zygote_spawn(struct omega_zygote *z, const struct omega_spawn *s, int memfd, int doorbell_fd, pid_t *pid,
                       struct omega_error *err)
{
    if (s->arglen > OMEGA_AGENT_ARG_MAX)
        OMEGA_FAIL(err, OMEGA_EINVAL, "agent %s: argument of %zu bytes (at most %d)", s->id, s->arglen,
                   OMEGA_AGENT_ARG_MAX);
    static _Thread_local struct zreq rq;
    memset(&rq, 0, offsetof(struct zreq, arg));
    rq.fn = (uintptr_t)s->fn;
    snprintf(rq.id, sizeof rq.id, "%s", s->id);
    rq.ring_bytes = s->ring_bytes;
    rq.limits = s->limits;
    rq.wait_runtime = s->wait_runtime;
    rq.wait_peer = s->wait_peer;
    rq.has_cpus = s->cpus != NULL;
    if (s->cpus)
        rq.cpus = *s->cpus;
    rq.arglen = (uint32_t)s->arglen;
    if (s->arglen)
        memcpy(rq.arg, s->arg, s->arglen);
    char cbuf[CMSG_SPACE(2 * sizeof(int))];
    memset(cbuf, 0, sizeof cbuf);
    struct iovec iov = {&rq, sizeof rq};
    struct msghdr mh = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = cbuf, .msg_controllen = sizeof cbuf};
    struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);
    cm->cmsg_level = SOL_SOCKET;
    cm->cmsg_type = SCM_RIGHTS;
    cm->cmsg_len = CMSG_LEN(2 * sizeof(int));
    int fds[2] = {memfd, doorbell_fd};
    memcpy(CMSG_DATA(cm), fds, sizeof fds);
    if (sendmsg(z->sock, &mh, MSG_NOSIGNAL) != (ssize_t)sizeof rq)
        OMEGA_FAIL(err, OMEGA_EIO, "agent %s: zygote gone (%s)", s->id, strerror(errno));
    struct zrep rep;
    if (recv(z->sock, &rep, sizeof rep, 0) != (ssize_t)sizeof rep)
        OMEGA_FAIL(err, OMEGA_EIO, "agent %s: zygote gave no answer", s->id);
    rep.why[sizeof rep.why - 1] = 0;
    if (rep.rc < 0)
        OMEGA_FAIL(err, rep.rc, "agent %s: %s", s->id, rep.why);
    *pid = rep.pid;
    return 0;
}
