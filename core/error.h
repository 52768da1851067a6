/* Errors: a negative code returned, the detail in a caller-owned struct (which may be NULL). */
#ifndef OMEGA_ERROR_H
#define OMEGA_ERROR_H

#include <stddef.h>

enum {
    OMEGA_OK = 0,
    OMEGA_EINVAL = -1,    /* bad argument or malformed input */
    OMEGA_ENOMEM = -2,    /* allocation failed */
    OMEGA_EIO = -3,       /* read/write/system call failed */
    OMEGA_EFORMAT = -4,   /* input is not of the expected format (truncated, wrong length, bad magic) */
    OMEGA_EVERIFY = -5,   /* a signature, MAC, chain, digest or policy check failed: a negative verdict */
    OMEGA_EDENIED = -6,   /* the monitor denied the action */
    OMEGA_EUNAVAIL = -7,  /* the backend or feature cannot run here */
    OMEGA_EQUOTA = -8,    /* a partition, memory or rate quota would be exceeded */
    OMEGA_ENOTFOUND = -9, /* no such agent, file, entry */
    OMEGA_ETIMEOUT = -10, /* a peer did not answer in time */
    OMEGA_EPEER = -11,    /* a peer (agent) crashed, violated its sandbox or misbehaved */
    OMEGA_ECRYPTO = -12,  /* the crypto library failed (not a verdict) */
    OMEGA_ESTATE = -13,   /* call not valid in the object's current state */
};

struct omega_error {
    int code;
    char where[48];  /* file:line of the first failure */
    char msg[256];
};

/* Record a failure in err (if non-NULL) and return code; keeps the first error set. */
int omega_error_set(struct omega_error *err, int code, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
/* Clear err. */
void omega_error_clear(struct omega_error *err);
/* Short name of a code ("EVERIFY"). */
const char *omega_error_name(int code);
/* Map an error code onto the command-line exit status: 1 negative verdict, 2 usage/input, 3 internal. */
int omega_error_exit_status(int code);

#define OMEGA_FAIL(e, c, ...) return omega_error_set((e), (c), __FILE__, __LINE__, __VA_ARGS__)
#define OMEGA_TRY(x) do { int rc_ = (x); if (rc_ < 0) return rc_; } while (0)
#define OMEGA_MUST_CHECK __attribute__((warn_unused_result))

#endif
