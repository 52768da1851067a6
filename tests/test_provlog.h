/* Helpers shared by the provenance log's test files. */
#ifndef OMEGA_TEST_PROVLOG_H
#define OMEGA_TEST_PROVLOG_H

#include <stdint.h>

#include <openssl/evp.h>

#include "attest/provlog.h"

/* A fresh Ed25519 key (owned). */
EVP_PKEY *provlog_test_key(void);
/* Test settings: batch mode, inline commits, no fsync, digests on, a checkpoint every 64 leaves. */
void provlog_test_config(struct omega_provlog_config *cfg);
/* Write n generated decisions (seeded) to dir and close the log; 0 on success. */
int provlog_test_write(const char *dir, EVP_PKEY *key, uint64_t n, struct omega_provlog_config *cfg, uint64_t seed);

#endif
