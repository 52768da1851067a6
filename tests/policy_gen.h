/* Seeded generator of random Cedar cases (policies, templates and links, an entity graph, requests)
 * covering the core grammar, for the differential test against Cedar itself. */
#ifndef OMEGA_TESTS_POLICY_GEN_H
#define OMEGA_TESTS_POLICY_GEN_H

#include <stdint.h>

#include <jansson.h>

/* One case as JSON: {"seed", "policies" (static text), "templates" {id: text}, "links", "entities",
 * "requests"}; *text gets the text our engine parses (static policies, then templates), owned. */
json_t *pgen_case(uint64_t seed, char **text);

/* Compare our engine with Cedar's answer for one case (the oracle's JSON line); 0 when they agree,
 * else a description of the first disagreement in why. */
int pgen_compare(const json_t *c, const char *text, const json_t *cedar, char *why, size_t whylen);

#endif
