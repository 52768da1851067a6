/* omega log: verify, show, prove, consistency, stats (and demo, which writes a sample log). */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "attest/checkpoint.h"
#include "attest/provlog.h"
#include "attest/provlog_gen.h"
#include "core/cli.h"
#include "core/util.h"

static void usage(FILE *f)
{
    fprintf(f,
            "usage: omega log <command> ...\n"
            "  verify FILE [--key PUB] [--checkpoint NOTE] [--live] [--json]\n"
            "        check every frame, record, symbol and signed checkpoint; exit 0 intact,\n"
            "        1 tampered (the first bad record or checkpoint named), 2 unreadable\n"
            "  show FILE [--from N] [--to M] [--all] [--key PUB]\n"
            "        records as JSON lines (--all: symbols and time epochs too)\n"
            "  prove FILE INDEX [--size N] [--key PUB]\n"
            "        inclusion proof of leaf INDEX as JSON, with the signed checkpoint and the\n"
            "        proofs of the symbol and time leaves the record refers to\n"
            "  consistency FILE OLD_SIZE NEW_SIZE [--key PUB]\n"
            "        consistency proof between two tree sizes as JSON\n"
            "  stats FILE [--json]    records, bytes per 1,000 records, checkpoints\n"
            "  demo DIR [--records N] [--agents N] [--rate R] [--digest] [--seed S]\n"
            "        write a sample log of generated decisions, its key in DIR/signer.pem\n"
            "        (private), DIR/signer.pub.pem and DIR/signer.vkey\n"
            "FILE is a log folder or one segment file. PUB is a PEM public key or a signed-note\n"
            "verifier key (name+keyid+base64), in a file or given inline. Without --key the key\n"
            "in the log itself is used, which cannot tell a re-signed log from the original.\n");
}

struct opts {
    const char *path, *key, *ckpt;
    int json, live, all;
    uint64_t from, to, size;
    int has_to, has_size;
    const char *pos[3];
    int npos;
    uint64_t records, agents, seed;
    double rate;
    int digest;
};

static int parse_u64(const char *s, uint64_t *v)
{
    char *e;
    errno = 0;
    if (!s || !*s || *s == '-')
        return -1;
    unsigned long long x = strtoull(s, &e, 10);
    if (errno || *e)
        return -1;
    *v = x;
    return 0;
}

static int parse_opts(const char *cmd, int argc, char **argv, struct opts *o)
{
    memset(o, 0, sizeof *o);
    o->records = 10000;
    o->agents = 100;
    o->rate = 1000;
    o->seed = 1;
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
#define NEED_U64(field)                                                            \
    do {                                                                           \
        if (parse_u64(val, &(field)) < 0)                                          \
            return omega_cli_usage(cmd, "%s needs a non-negative number", a);      \
        i++;                                                                       \
    } while (0)
        if (strcmp(a, "--json") == 0)
            o->json = 1;
        else if (strcmp(a, "--live") == 0)
            o->live = 1;
        else if (strcmp(a, "--all") == 0)
            o->all = 1;
        else if (strcmp(a, "--digest") == 0)
            o->digest = 1;
        else if (strcmp(a, "--key") == 0 && val)
            o->key = argv[++i];
        else if (strcmp(a, "--checkpoint") == 0 && val)
            o->ckpt = argv[++i];
        else if (strcmp(a, "--from") == 0)
            NEED_U64(o->from);
        else if (strcmp(a, "--to") == 0) {
            NEED_U64(o->to);
            o->has_to = 1;
        } else if (strcmp(a, "--size") == 0) {
            NEED_U64(o->size);
            o->has_size = 1;
        } else if (strcmp(a, "--records") == 0)
            NEED_U64(o->records);
        else if (strcmp(a, "--agents") == 0)
            NEED_U64(o->agents);
        else if (strcmp(a, "--seed") == 0)
            NEED_U64(o->seed);
        else if (strcmp(a, "--rate") == 0 && val) {
            o->rate = atof(argv[++i]);
            if (!(o->rate > 0))
                return omega_cli_usage(cmd, "--rate needs a positive number");
        } else if (a[0] == '-' && a[1])
            return omega_cli_usage(cmd, "unknown option '%s'", a);
        else if (o->npos < 3)
            o->pos[o->npos++] = a;
        else
            return omega_cli_usage(cmd, "too many arguments");
#undef NEED_U64
    }
    if (o->npos < 1)
        return omega_cli_usage(cmd, "which log? (FILE)");
    o->path = o->pos[0];
    return 0;
}

/* Open a view; prints the error and returns the exit status when unreadable. */
static int open_view(const char *cmd, const struct opts *o, struct omega_provlog_view **v, char *keyname, size_t kn)
{
    EVP_PKEY *pub = NULL;
    struct omega_error err = {0};
    if (keyname && kn)
        keyname[0] = 0;
    if (o->key && omega_ed25519_load_public(o->key, &pub, keyname, kn, &err) < 0) {
        fprintf(stderr, "omega %s: %s\n", cmd, err.msg);
        return OMEGA_EXIT_USAGE;
    }
    int rc = omega_provlog_view_open(v, o->path, pub, &err);
    EVP_PKEY_free(pub);
    if (rc < 0) {
        fprintf(stderr, "omega %s: %s\n", cmd, err.msg[0] ? err.msg : omega_error_name(rc));
        return rc == OMEGA_ENOMEM ? OMEGA_EXIT_INTERNAL : OMEGA_EXIT_USAGE;
    }
    return 0;
}

static json_t *hex_json(const uint8_t *p, size_t n)
{
    char buf[2 * 4096 + 1];
    if (n > 4096)
        n = 4096;
    omega_hex_encode(p, n, buf);
    return json_string(buf);
}

static int print_json(json_t *j)
{
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    if (!s)
        return OMEGA_EXIT_INTERNAL;
    puts(s);
    free(s);
    return 0;
}

static int cmd_verify(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts("log verify", argc, argv, &o);
    if (rc)
        return rc;
    struct omega_provlog_view *v;
    char keyname[256];
    if ((rc = open_view("log verify", &o, &v, keyname, sizeof keyname)))
        return rc;
    struct omega_provlog_report r;
    omega_provlog_report_get(v, o.live, &r);
    /* A verifier key names its log: a key made for another origin is not this log's key. */
    const char *note;
    size_t nl;
    uint64_t sz;
    char origin[256] = "";
    if (omega_provlog_view_checkpoint(v, 0, &note, &nl, &sz) == 0) {
        size_t ol = strcspn(note, "\n");
        snprintf(origin, sizeof origin, "%.*s", (int)(ol < 255 ? ol : 255), note);
    }
    if (r.intact && keyname[0] && origin[0] && strcmp(keyname, origin) != 0) {
        r.intact = 0;
        r.bad_checkpoint = 0;
        snprintf(r.problem, sizeof r.problem, "the key is named '%s' but the log's checkpoints are signed as '%s'",
                 keyname, origin);
    }
    if (r.intact && o.ckpt) {
        EVP_PKEY *pub = NULL;
        struct omega_error err = {0};
        char why[300] = "";
        /* A held checkpoint means something only against a pinned key. */
        if (o.key && omega_ed25519_load_public(o.key, &pub, NULL, 0, &err) < 0)
            pub = NULL;
        if (!pub) {
            fprintf(stderr, "omega log verify: --checkpoint needs --key\n");
            omega_provlog_view_free(v);
            return OMEGA_EXIT_USAGE;
        }
        struct omega_buf b;
        omega_buf_init(&b);
        int hc = omega_buf_read_file(&b, o.ckpt, OMEGA_NOTE_MAX, &err);
        if (hc < 0)
            snprintf(why, sizeof why, "%s", err.msg);
        else
            hc = omega_provlog_view_check_held(v, b.data, b.len, pub, why, sizeof why);
        omega_buf_fini(&b);
        EVP_PKEY_free(pub);
        if (hc < 0 && hc != OMEGA_EVERIFY) {
            fprintf(stderr, "omega log verify: %s\n", why);
            omega_provlog_view_free(v);
            return OMEGA_EXIT_USAGE;
        }
        if (hc) {
            r.intact = 0;
            snprintf(r.problem, sizeof r.problem, "%s", why);
        }
    }
    if (o.json) {
        json_t *j = json_pack("{s:s, s:b, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:b}", "path", o.path, "intact",
                              r.intact, "leaves", (json_int_t)r.leaves, "records", (json_int_t)r.records, "symbols",
                              (json_int_t)r.symbols, "epochs", (json_int_t)r.epochs, "digests",
                              (json_int_t)r.digests, "checkpoints", (json_int_t)r.checkpoints, "covered",
                              (json_int_t)r.covered, "segments", (json_int_t)r.segments, "bytes",
                              (json_int_t)r.bytes, "key_pinned", r.key_pinned);
        if (!r.intact) {
            json_object_set_new(j, "problem", json_string(r.problem));
            json_object_set_new(j, "first_bad_record", r.first_bad >= 0 ? json_integer(r.first_bad) : json_null());
            json_object_set_new(j, "last_bad_record", r.last_bad >= 0 ? json_integer(r.last_bad) : json_null());
            json_object_set_new(j, "bad_checkpoint",
                                r.bad_checkpoint >= 0 ? json_integer(r.bad_checkpoint) : json_null());
        }
        print_json(j);
    } else if (r.intact) {
        printf("intact: %" PRIu64 " records (%" PRIu64 " leaves), %" PRIu64 " checkpoints, last signs %" PRIu64
               " leaves, %" PRIu64 " segment(s)\n",
               r.records, r.leaves, r.checkpoints, r.covered, r.segments);
        if (!r.key_pinned)
            printf("note: signatures checked with the key stored in the log; pass --key to pin the monitor's key\n");
    } else {
        printf("TAMPERED: %s\n", r.problem);
    }
    omega_provlog_view_free(v);
    return r.intact ? OMEGA_EXIT_OK : OMEGA_EXIT_NEGATIVE;
}

static int report_problem(const char *cmd, struct omega_provlog_view *v)
{
    struct omega_provlog_report r;
    omega_provlog_report_get(v, 1, &r);
    if (!r.intact) {
        fprintf(stderr, "omega %s: the log does not verify: %s\n", cmd, r.problem);
        return OMEGA_EXIT_NEGATIVE;
    }
    return 0;
}

static int cmd_show(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts("log show", argc, argv, &o);
    if (rc)
        return rc;
    struct omega_provlog_view *v;
    if ((rc = open_view("log show", &o, &v, NULL, 0)))
        return rc;
    uint64_t n = omega_provlog_view_leaves(v);
    uint64_t to = o.has_to && o.to < n ? o.to + 1 : n;
    for (uint64_t i = o.from; i < to; i++) {
        json_t *j = omega_provlog_view_leaf_json(v, i);
        if (!j)
            continue;
        if (!o.all && json_object_get(j, "kind")) {
            json_decref(j);
            continue;
        }
        print_json(j);
    }
    rc = report_problem("log show", v);
    omega_provlog_view_free(v);
    return rc;
}

static json_t *proof_json(uint8_t (*proof)[32], size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, hex_json(proof[i], 32));
    return a;
}

/* The latest checkpoint whose tree holds leaf index (or the one of exactly `size`). */
static int find_checkpoint(struct omega_provlog_view *v, uint64_t index, int has_size, uint64_t size, const char **note,
                           size_t *nl, uint64_t *csize)
{
    for (size_t k = omega_provlog_view_checkpoints(v); k-- > 0;) {
        if (omega_provlog_view_checkpoint(v, k, note, nl, csize) < 0)
            continue;
        if (has_size ? *csize == size : *csize > index)
            return 0;
    }
    return -1;
}

static int cmd_prove(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts("log prove", argc, argv, &o);
    if (rc)
        return rc;
    uint64_t index;
    if (o.npos != 2 || parse_u64(o.pos[1], &index) < 0)
        return omega_cli_usage("log prove", "usage: omega log prove FILE INDEX");
    struct omega_provlog_view *v;
    if ((rc = open_view("log prove", &o, &v, NULL, 0)))
        return rc;
    if ((rc = report_problem("log prove", v)))
        goto out;
    const char *note = NULL;
    size_t nl = 0;
    uint64_t size;
    if (index >= omega_provlog_view_leaves(v)) {
        fprintf(stderr, "omega log prove: no leaf %" PRIu64 " (the log has %" PRIu64 ")\n", index,
                omega_provlog_view_leaves(v));
        rc = OMEGA_EXIT_USAGE;
        goto out;
    }
    if (find_checkpoint(v, index, o.has_size, o.size, &note, &nl, &size) < 0) {
        fprintf(stderr, "omega log prove: no signed checkpoint %s leaf %" PRIu64 "\n",
                o.has_size ? "of that size holds" : "covers", index);
        rc = OMEGA_EXIT_NEGATIVE;
        goto out;
    }
    uint8_t root[32], proof[64][32], h[32];
    size_t n;
    const uint8_t *p;
    size_t len;
    if (omega_provlog_view_root(v, size, root) < 0) {
        rc = OMEGA_EXIT_INTERNAL;
        goto out;
    }
    json_t *j = json_object();
    uint64_t ctx[16];
    size_t nctx = omega_provlog_view_context(v, index, ctx, 16);
    json_t *context = json_array();
    for (size_t c = 0; c <= nctx; c++) {
        uint64_t i = c == 0 ? index : ctx[c - 1];
        if (omega_provlog_view_leaf(v, i, &p, &len) < 0 || omega_provlog_view_prove(v, i, size, proof, &n) < 0) {
            json_decref(j);
            json_decref(context);
            rc = OMEGA_EXIT_INTERNAL;
            goto out;
        }
        omega_provlog_leaf_hash(p, len, h);
        if (omega_provlog_verify_inclusion(h, i, size, (const uint8_t(*)[32])proof, n, root) != 0) {
            fprintf(stderr, "omega log prove: internal error: proof of leaf %" PRIu64 " does not verify\n", i);
            json_decref(j);
            json_decref(context);
            rc = OMEGA_EXIT_INTERNAL;
            goto out;
        }
        json_t *e = c == 0 ? j : json_object();
        json_object_set_new(e, "index", json_integer((json_int_t)i));
        json_object_set_new(e, "leaf", hex_json(p, len));
        json_object_set_new(e, "leaf_hash", hex_json(h, 32));
        json_object_set_new(e, "entry", omega_provlog_view_leaf_json(v, i));
        json_object_set_new(e, "inclusion_proof", proof_json(proof, n));
        if (c == 0) {
            json_object_set_new(j, "tree_size", json_integer((json_int_t)size));
            json_object_set_new(j, "root", hex_json(root, 32));
            json_object_set_new(j, "checkpoint", json_stringn(note, nl));
        } else {
            json_array_append_new(context, e);
        }
    }
    json_object_set_new(j, "context", context);
    json_object_set_new(j, "verified", json_true());
    rc = print_json(j);
out:
    omega_provlog_view_free(v);
    return rc;
}

static int cmd_consistency(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts("log consistency", argc, argv, &o);
    if (rc)
        return rc;
    uint64_t m, s;
    if (o.npos != 3 || parse_u64(o.pos[1], &m) < 0 || parse_u64(o.pos[2], &s) < 0)
        return omega_cli_usage("log consistency", "usage: omega log consistency FILE OLD_SIZE NEW_SIZE");
    if (m > s)
        return omega_cli_usage("log consistency", "OLD_SIZE %" PRIu64 " is larger than NEW_SIZE %" PRIu64, m, s);
    struct omega_provlog_view *v;
    if ((rc = open_view("log consistency", &o, &v, NULL, 0)))
        return rc;
    if ((rc = report_problem("log consistency", v)))
        goto out;
    if (s > omega_provlog_view_leaves(v)) {
        fprintf(stderr, "omega log consistency: the log has only %" PRIu64 " leaves\n", omega_provlog_view_leaves(v));
        rc = OMEGA_EXIT_USAGE;
        goto out;
    }
    uint8_t r1[32], r2[32], proof[128][32];
    size_t n;
    if (omega_provlog_view_root(v, m, r1) < 0 || omega_provlog_view_root(v, s, r2) < 0 ||
        omega_provlog_view_consistency(v, m, s, proof, &n) < 0 ||
        omega_provlog_verify_consistency(m, s, r1, r2, (const uint8_t(*)[32])proof, n) != 0) {
        fprintf(stderr, "omega log consistency: internal error: the proof does not verify\n");
        rc = OMEGA_EXIT_INTERNAL;
        goto out;
    }
    json_t *j = json_object();
    json_object_set_new(j, "old_size", json_integer((json_int_t)m));
    json_object_set_new(j, "new_size", json_integer((json_int_t)s));
    json_object_set_new(j, "old_root", hex_json(r1, 32));
    json_object_set_new(j, "new_root", hex_json(r2, 32));
    json_object_set_new(j, "proof", proof_json(proof, n));
    const char *note;
    size_t nl;
    uint64_t cs;
    json_object_set_new(j, "old_checkpoint", find_checkpoint(v, 0, 1, m, &note, &nl, &cs) == 0 ? json_stringn(note, nl) : json_null());
    json_object_set_new(j, "new_checkpoint", find_checkpoint(v, 0, 1, s, &note, &nl, &cs) == 0 ? json_stringn(note, nl) : json_null());
    json_object_set_new(j, "verified", json_true());
    rc = print_json(j);
out:
    omega_provlog_view_free(v);
    return rc;
}

static int cmd_stats(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts("log stats", argc, argv, &o);
    if (rc)
        return rc;
    struct omega_provlog_view *v;
    if ((rc = open_view("log stats", &o, &v, NULL, 0)))
        return rc;
    struct omega_provlog_report r;
    omega_provlog_report_get(v, 1, &r);
    double per1k = r.records ? (double)r.bytes * 1000.0 / (double)r.records : 0;
    if (o.json) {
        json_t *j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:b}", "path", o.path, "records",
                              (json_int_t)r.records, "leaves", (json_int_t)r.leaves, "symbols", (json_int_t)r.symbols,
                              "epochs", (json_int_t)r.epochs, "digests", (json_int_t)r.digests, "checkpoints",
                              (json_int_t)r.checkpoints, "segments", (json_int_t)r.segments, "bytes",
                              (json_int_t)r.bytes, "bytes_per_1k_records", per1k, "intact", r.intact);
        print_json(j);
    } else {
        printf("records            %" PRIu64 "\n", r.records);
        printf("leaves             %" PRIu64 " (%" PRIu64 " symbols, %" PRIu64 " time epochs)\n", r.leaves, r.symbols,
               r.epochs);
        printf("with I/O digest    %" PRIu64 "\n", r.digests);
        printf("checkpoints        %" PRIu64 " (last signs %" PRIu64 " leaves)\n", r.checkpoints, r.covered);
        printf("segments           %" PRIu64 "\n", r.segments);
        printf("bytes              %" PRIu64 "\n", r.bytes);
        printf("bytes/1000 records %.0f\n", per1k);
        if (!r.intact)
            printf("problem            %s\n", r.problem);
    }
    omega_provlog_view_free(v);
    return r.intact ? 0 : OMEGA_EXIT_NEGATIVE;
}

static int write_key_files(const char *dir, EVP_PKEY *key, const char *origin)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/signer.pem", dir);
    FILE *f = fopen(path, "w");
    if (!f)
        return -1;
    int ok = PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL) == 1;
    ok &= fclose(f) == 0;
    snprintf(path, sizeof path, "%s/signer.pub.pem", dir);
    if (!(f = fopen(path, "w")))
        return -1;
    ok &= PEM_write_PUBKEY(f, key) == 1;
    ok &= fclose(f) == 0;
    uint8_t pub[32];
    struct omega_note_verifier v;
    struct omega_buf b;
    omega_buf_init(&b);
    if (omega_ed25519_raw_public(key, pub, NULL) < 0 || omega_note_verifier_init(&v, origin, pub, NULL) < 0 ||
        omega_note_verifier_format(&v, &b) < 0 || omega_buf_append(&b, "\n", 1) < 0) {
        omega_buf_fini(&b);
        return -1;
    }
    snprintf(path, sizeof path, "%s/signer.vkey", dir);
    ok &= omega_buf_write_file(&b, path, NULL) == 0;
    omega_buf_fini(&b);
    return ok ? 0 : -1;
}

static int cmd_demo(int argc, char **argv)
{
    struct opts o;
    int rc = parse_opts("log demo", argc, argv, &o);
    if (rc)
        return rc;
    EVP_PKEY *key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    struct pl_gen *g = malloc(sizeof *g);
    if (!key || !g) {
        EVP_PKEY_free(key);
        free(g);
        return OMEGA_EXIT_INTERNAL;
    }
    pl_gen_init(g, (uint32_t)o.agents, o.rate, o.seed);
    struct omega_provlog_config cfg;
    omega_provlog_config_defaults(&cfg);
    cfg.mode = OMEGA_PROVLOG_BATCH;
    cfg.threaded = 0;
    cfg.io_digest = o.digest;
    cfg.fsync = 0;   /* a generated sample on a virtual clock: nothing is acknowledged to anyone */
    cfg.clock_ms = pl_gen_clock_ms;
    cfg.clock_arg = g;
    struct omega_provlog *log;
    struct omega_error err = {0};
    if (omega_provlog_open(&log, o.path, &cfg, key, &err) < 0) {
        rc = omega_cli_fail("log demo", &err);
        goto out;
    }
    for (uint64_t i = 0; i < o.records; i++) {
        struct omega_action a;
        struct omega_decision d;
        uint8_t io[32];
        uint64_t seq;
        pl_gen_next(g, &a, &d, io);
        if (omega_provlog_record(log, &a, &d, io, &seq) < 0)
            break;
    }
    if (omega_provlog_close(log, &err) < 0) {
        rc = omega_cli_fail("log demo", &err);
        goto out;
    }
    if (write_key_files(o.path, key, cfg.origin) < 0) {
        fprintf(stderr, "omega log demo: cannot write the key files in %s\n", o.path);
        rc = OMEGA_EXIT_INTERNAL;
        goto out;
    }
    printf("wrote %" PRIu64 " records to %s; verify with: omega log verify %s --key %s/signer.vkey\n", o.records,
           o.path, o.path, o.path);
out:
    EVP_PKEY_free(key);
    free(g);
    return rc;
}

static const struct {
    const char *name;
    int (*fn)(int, char **);
} cmds[] = {
    {"verify", cmd_verify}, {"show", cmd_show}, {"prove", cmd_prove}, {"consistency", cmd_consistency},
    {"stats", cmd_stats},   {"demo", cmd_demo},
};

int omega_cmd_log(int argc, char **argv)
{
    if (argc < 2 || strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
        usage(argc < 2 ? stderr : stdout);
        return argc < 2 ? OMEGA_EXIT_USAGE : OMEGA_EXIT_OK;
    }
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        if (strcmp(argv[1], cmds[i].name) == 0) {
            if (omega_cli_wants_help(argc, argv)) {
                usage(stdout);
                return OMEGA_EXIT_OK;
            }
            return cmds[i].fn(argc, argv);
        }
    return omega_cli_usage("log", "unknown command '%s'", argv[1]);
}
