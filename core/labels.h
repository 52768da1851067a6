/* Information-flow labels: what a datum is, and the join of everything an agent has read.
 * Fixed-size, allocation-free, so the runtime can join on the hot path. */
#ifndef OMEGA_LABELS_H
#define OMEGA_LABELS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "core/error.h"

#define OMEGA_LABEL_SET_MAX 16   /* names per set */
#define OMEGA_LABEL_NAME_MAX 32  /* bytes per name, NUL included */

struct omega_label_set {
    uint32_t n;
    char name[OMEGA_LABEL_SET_MAX][OMEGA_LABEL_NAME_MAX];   /* sorted, unique */
};

struct omega_labels {
    int untrusted;                    /* integrity: 0 trusted, 1 untrusted (untrusted wins a join) */
    struct omega_label_set classes;   /* data classes: PHI, PII, secret, ... (union on join) */
    struct omega_label_set regions;   /* regions: EU, US, ... (union on join) */
    int readers_any;                  /* 1: no reader restriction (the top of the readers lattice) */
    struct omega_label_set readers;   /* principals allowed to read (intersection on join) */
};

/* The label of nothing read yet: trusted, no classes, no regions, anyone may read. */
void omega_labels_init(struct omega_labels *l);
/* acc := acc ⊔ in. OMEGA_EQUOTA if a set would exceed OMEGA_LABEL_SET_MAX (acc then unchanged). */
int omega_labels_join(struct omega_labels *acc, const struct omega_labels *in) OMEGA_MUST_CHECK;
/* Add one name to a set (kept sorted); OMEGA_EINVAL if too long, OMEGA_EQUOTA if full. */
int omega_label_set_add(struct omega_label_set *s, const char *name) OMEGA_MUST_CHECK;
/* 1 if the set holds name. */
int omega_label_set_has(const struct omega_label_set *s, const char *name);
/* Parse {"integrity": "trusted"|"untrusted", "classes": [...], "regions": [...], "readers": [...]};
 * missing fields take the init values; a missing "readers" means anyone. */
int omega_labels_from_json(struct omega_labels *l, const json_t *j, struct omega_error *err) OMEGA_MUST_CHECK;
/* The same JSON form (new reference; "readers" omitted when anyone may read). */
json_t *omega_labels_to_json(const struct omega_labels *l);

#endif
