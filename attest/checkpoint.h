/* Signed checkpoints: the C2SP tlog-checkpoint body (origin, tree size, base64 root hash) in a C2SP
 * signed note, signed with Ed25519 through OpenSSL. Key ID = SHA-256(name || 0x0A || 0x01 || key)[:4];
 * verifier keys in the note format "name+hexkeyid+base64(0x01 || key)". */
#ifndef OMEGA_CHECKPOINT_H
#define OMEGA_CHECKPOINT_H

#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "core/buf.h"
#include "core/error.h"

#define OMEGA_NOTE_NAME_MAX 200
#define OMEGA_NOTE_MAX 65536      /* a note longer than this is refused */

struct omega_checkpoint {
    char origin[OMEGA_NOTE_NAME_MAX + 1];
    uint64_t size;
    uint8_t root[32];
};

/* A verifier: key name, key ID and Ed25519 public key. */
struct omega_note_verifier {
    char name[OMEGA_NOTE_NAME_MAX + 1];
    uint8_t key_id[4];
    uint8_t pub[32];
    EVP_PKEY *pkey;   /* owned, made on first use */
};

/* 1 when name is a valid key name / origin: non-empty, printable ASCII/UTF-8, no space, no '+'. */
int omega_note_name_ok(const char *name);
/* Key ID of an Ed25519 key under name. */
void omega_note_key_id(const char *name, const uint8_t pub[32], uint8_t id[4]);
/* Raw 32-byte Ed25519 public key of a key (public or private). */
int omega_ed25519_raw_public(EVP_PKEY *key, uint8_t pub[32], struct omega_error *err) OMEGA_MUST_CHECK;
/* Verifier for a raw key under name (v must be released with _fini). */
int omega_note_verifier_init(struct omega_note_verifier *v, const char *name, const uint8_t pub[32],
                             struct omega_error *err) OMEGA_MUST_CHECK;
/* Parse the verifier key text format "name+hex8+base64". */
int omega_note_verifier_parse(struct omega_note_verifier *v, const char *text, size_t len,
                              struct omega_error *err) OMEGA_MUST_CHECK;
/* The verifier key text of v (appended to out). */
int omega_note_verifier_format(const struct omega_note_verifier *v, struct omega_buf *out) OMEGA_MUST_CHECK;
/* Release v's key object. */
void omega_note_verifier_fini(struct omega_note_verifier *v);
/* Load a public key file: PEM (SubjectPublicKeyInfo or a private key) or the verifier key text;
 * name_hint names a PEM key (the verifier text carries its own). Owned EVP_PKEY in *out. */
int omega_ed25519_load_public(const char *path, EVP_PKEY **out, char *name, size_t namelen,
                              struct omega_error *err) OMEGA_MUST_CHECK;

/* Append the checkpoint body text "origin\nsize\nbase64(root)\n" to out. */
int omega_checkpoint_body(const struct omega_checkpoint *c, struct omega_buf *out) OMEGA_MUST_CHECK;
/* Append the signed note (body, blank line, "— name base64(keyid||sig)") signed by key under c->origin. */
int omega_checkpoint_sign(const struct omega_checkpoint *c, EVP_PKEY *key, struct omega_buf *out,
                          struct omega_error *err) OMEGA_MUST_CHECK;
/* Parse a signed note, check the signature line of v (other signers' lines are ignored) and the body
 * format; fill c. OMEGA_EFORMAT for a malformed note, OMEGA_EVERIFY for a bad or missing signature. */
int omega_checkpoint_open(const uint8_t *note, size_t len, struct omega_note_verifier *v,
                          struct omega_checkpoint *c, struct omega_error *err) OMEGA_MUST_CHECK;

#endif
