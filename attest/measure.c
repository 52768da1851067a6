/* Parallel chunked hashing. Threads take chunks in order from a shared counter (so pages are touched
 * roughly sequentially, which the kernel's read-ahead likes), each writes its chunk's leaf hash into
 * its slot; the tree is combined at the end (a few thousand node hashes for a 13 GB model). */
#include "attest/measure.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "attest/merkle.h"

struct job {
    const uint8_t *p;
    size_t n, chunk, nchunks;
    omega_merkle_hash *leaves;
    atomic_size_t next;
    atomic_int failed;
};

static void *worker(void *arg)
{
    struct job *j = arg;
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    static const uint8_t prefix = 0x00;
    if (!c) {
        atomic_store(&j->failed, 1);
        return NULL;
    }
    for (;;) {
        size_t i = atomic_fetch_add(&j->next, 1);
        if (i >= j->nchunks)
            break;
        size_t off = i * j->chunk, len = j->n - off < j->chunk ? j->n - off : j->chunk;
        if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(c, &prefix, 1) != 1 ||
            EVP_DigestUpdate(c, j->p + off, len) != 1 || EVP_DigestFinal_ex(c, j->leaves[i], NULL) != 1)
            atomic_store(&j->failed, 1);
    }
    EVP_MD_CTX_free(c);
    return NULL;
}

/* RFC 6962 root over the leaf hashes, bottom-up (same tree as the recursive definition), in place. */
static void combine(omega_merkle_hash *h, size_t n, uint8_t out[32])
{
    if (n == 0) {
        omega_merkle_root(NULL, 0, out);
        return;
    }
    while (n > 1) {
        size_t m = 0;
        for (size_t i = 0; i + 1 < n; i += 2)
            omega_merkle_node_hash(h[i], h[i + 1], h[m++]);
        if (n & 1)
            memmove(h[m++], h[n - 1], 32);
        n = m;
    }
    memcpy(out, h[0], 32);
}

int omega_measure_bytes(const uint8_t *p, size_t n, const struct omega_measure_opts *o, uint8_t out[32],
                        struct omega_error *err)
{
    size_t chunk = o && o->chunk ? o->chunk : OMEGA_MEASURE_CHUNK;
    if (chunk < 4096 || (chunk & (chunk - 1)))
        OMEGA_FAIL(err, OMEGA_EINVAL, "chunk size %zu is not a power of two of at least 4 KiB", chunk);
    unsigned threads = o && o->threads ? o->threads : (unsigned)sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    if (threads > 256)
        threads = 256;
    struct job j = {.p = p, .n = n, .chunk = chunk, .nchunks = (n + chunk - 1) / chunk};
    atomic_init(&j.next, 0);
    atomic_init(&j.failed, 0);
    j.leaves = calloc(j.nchunks ? j.nchunks : 1, sizeof *j.leaves);
    if (!j.leaves)
        OMEGA_FAIL(err, OMEGA_ENOMEM, "out of memory");
    if (threads > j.nchunks)
        threads = j.nchunks ? (unsigned)j.nchunks : 1;
    pthread_t tid[256];
    unsigned started = 0;
    for (unsigned t = 1; t < threads; t++, started++)
        if (pthread_create(&tid[started], NULL, worker, &j) != 0)
            break;
    worker(&j);   /* the caller's thread works too */
    for (unsigned t = 0; t < started; t++)
        pthread_join(tid[t], NULL);
    if (atomic_load(&j.failed)) {
        free(j.leaves);
        OMEGA_FAIL(err, OMEGA_ECRYPTO, "SHA-256 failed");
    }
    combine(j.leaves, j.nchunks, out);
    free(j.leaves);
    return 0;
}

int omega_measure_file(const char *path, const struct omega_measure_opts *o, uint8_t out[32], uint64_t *size,
                       struct omega_error *err)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        OMEGA_FAIL(err, errno == ENOENT ? OMEGA_ENOTFOUND : OMEGA_EIO, "cannot open %s: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
        close(fd);
        OMEGA_FAIL(err, OMEGA_EINVAL, "%s is not a regular file", path);
    }
    size_t n = (size_t)st.st_size;
    if (size)
        *size = (uint64_t)st.st_size;
    if (n == 0) {
        close(fd);
        return omega_measure_bytes(NULL, 0, o, out, err);
    }
    void *m = mmap(NULL, n, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    if (m == MAP_FAILED)
        OMEGA_FAIL(err, OMEGA_EIO, "cannot map %s: %s", path, strerror(errno));
    madvise(m, n, MADV_SEQUENTIAL);
    int rc = omega_measure_bytes(m, n, o, out, err);
    munmap(m, n);
    return rc;
}
