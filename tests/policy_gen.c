/* The differential tester's generator: random but mostly well-typed Cedar policies over a small
 * universe (so that scopes, `in`, `==` and `has` often hit), an entity DAG with attributes and tags,
 * and requests; a few percent of ill-typed or ill-formed pieces exercise Cedar's error behaviour. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "policy/policy.h"
#include "tests/policy_gen.h"

struct g {
    uint64_t s;
    struct omega_buf b;
    int bad;   /* this case may contain parse errors */
};

static uint64_t rnd(struct g *g)
{
    g->s ^= g->s << 13;
    g->s ^= g->s >> 7;
    g->s ^= g->s << 17;
    return g->s;
}
static unsigned rn(struct g *g, unsigned n) { return (unsigned)(rnd(g) % n); }
static int chance(struct g *g, unsigned pct) { return rn(g, 100) < pct; }

static void out(struct g *g, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void out(struct g *g, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n > 0 && omega_buf_append(&g->b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1))
        abort();
}

static const char *const types[] = {"User", "Group", "Doc", "Folder"};
static const char *const ids[] = {"a", "b", "c"};
static const char *const actions[] = {"view", "edit", "admin", "read"};
static const char *const strs[] = {"", "a", "b", "ab", "ba", "aab", "a*b", "\\u{e9}", "a\\nb", "x y"};
static const char *const attrs[] = {"age", "name", "tags", "owner", "meta", "amount", "addr", "flag"};
static const char *const decs[] = {"1.0", "-2.5", "0.0001", "3.14", "1.23456", "922337203685477.5807", "x", "10"};
static const char *const ips[] = {"10.0.0.1", "10.0.0.0/8", "192.168.1.1/24", "127.0.0.1", "::1", "ff02::1",
                                  "224.0.0.5", "2001:db8::/32", "1.2.3", "10.0.0.256", "10.0.0.0/08",
                                  "::ffff:1.2.3.4", "::/010", "1.2.3.4/33"};
static const char *const dts[] = {"2024-01-01", "2024-01-01T12:30:00Z", "2024-06-15T08:00:00.250Z",
                                  "2024-01-01T00:00:00+0100", "1969-12-31T23:59:59Z", "2024-02-30", "2024-1-1"};
static const char *const durs[] = {"1h", "1d2h3m4s5ms", "-30m", "0ms", "90s", "2h1d", "h", "25h"};

enum gt { G_BOOL, G_LONG, G_STR, G_ENT, G_SET, G_REC, G_DEC, G_IP, G_DT, G_DUR, G_NTYPES };

static void expr(struct g *g, enum gt t, int depth);

static void entity_lit(struct g *g)
{
    if (chance(g, 15))
        out(g, "Action::\"%s\"", actions[rn(g, 4)]);
    else
        out(g, "%s::\"%s\"", types[rn(g, 4)], ids[rn(g, 3)]);
}

static void sub(struct g *g, enum gt t, int depth)
{
    out(g, "(");
    expr(g, t, depth + 1);
    out(g, ")");
}

static void long_lit(struct g *g)
{
    static const char *const big[] = {"9223372036854775807", "-9223372036854775808", "4611686018427387904",
                                      "3037000500", "-1", "0"};
    if (chance(g, 10))
        out(g, "%s", big[rn(g, 6)]);
    else
        out(g, "%d", (int)rn(g, 20) - 5);
}

static void var_entity(struct g *g)
{
    static const char *const v[] = {"principal", "resource", "action"};
    out(g, "%s", v[rn(g, 3)]);
}

static void expr(struct g *g, enum gt t, int depth)
{
    if (chance(g, 4))
        t = (enum gt)rn(g, G_NTYPES);   /* ill-typed on purpose */
    int leaf = depth >= 4 || chance(g, 30);
    switch (t) {
    case G_BOOL:
        if (leaf) {
            switch (rn(g, 4)) {
            case 0: out(g, chance(g, 50) ? "true" : "false"); return;
            case 1: var_entity(g); out(g, " has %s", attrs[rn(g, 8)]); return;
            case 2: out(g, "context has %s", chance(g, 50) ? "flag" : "\"n\""); return;
            default: out(g, "context.flag"); return;
            }
        }
        switch (rn(g, 22)) {
        case 0: sub(g, G_BOOL, depth); out(g, " && "); sub(g, G_BOOL, depth); return;
        case 1: sub(g, G_BOOL, depth); out(g, " || "); sub(g, G_BOOL, depth); return;
        case 2: out(g, "!"); sub(g, G_BOOL, depth); return;
        case 3: {
            static const char *const ops[] = {"<", "<=", ">", ">="};
            enum gt ct = chance(g, 70) ? G_LONG : chance(g, 50) ? G_DT : G_DUR;
            sub(g, ct, depth); out(g, " %s ", ops[rn(g, 4)]); sub(g, ct, depth);
            return;
        }
        case 4: {
            enum gt et = (enum gt)rn(g, G_NTYPES);
            sub(g, et, depth); out(g, chance(g, 70) ? " == " : " != "); sub(g, chance(g, 80) ? et : (enum gt)rn(g, G_NTYPES), depth);
            return;
        }
        case 5: sub(g, G_ENT, depth); out(g, " in "); if (chance(g, 70)) sub(g, G_ENT, depth); else {
                out(g, "["); entity_lit(g); out(g, ", "); sub(g, G_ENT, depth); out(g, "]"); }
            return;
        case 6: sub(g, chance(g, 50) ? G_ENT : G_REC, depth); out(g, " has %s", attrs[rn(g, 8)]);
            if (chance(g, 20)) out(g, ".level");
            return;
        case 7: {
            sub(g, G_STR, depth);
            static const char *const pats[] = {"*", "a*", "*b", "a*b", "\\\\*", "*a*", "", "ab", "\\u{e9}*", "a\\\\*b"};
            out(g, " like \"%s\"", pats[rn(g, 10)]);
            return;
        }
        case 8: sub(g, G_ENT, depth); out(g, " is %s", types[rn(g, 4)]);
            if (chance(g, 40)) { out(g, " in "); sub(g, G_ENT, depth); }
            return;
        case 9: sub(g, G_SET, depth); out(g, ".contains("); expr(g, (enum gt)rn(g, 4), depth + 1); out(g, ")"); return;
        case 10: sub(g, G_SET, depth); out(g, chance(g, 50) ? ".containsAll(" : ".containsAny("); expr(g, G_SET, depth + 1); out(g, ")"); return;
        case 11: sub(g, G_SET, depth); out(g, ".isEmpty()"); return;
        case 12: sub(g, G_ENT, depth); out(g, ".hasTag(\"%s\")", chance(g, 50) ? "t1" : "t2"); return;
        case 13: {
            static const char *const m[] = {"lessThan", "lessThanOrEqual", "greaterThan", "greaterThanOrEqual"};
            sub(g, G_DEC, depth); out(g, ".%s(", m[rn(g, 4)]); expr(g, G_DEC, depth + 1); out(g, ")");
            return;
        }
        case 14: {
            static const char *const m[] = {"isIpv4", "isIpv6", "isLoopback", "isMulticast"};
            sub(g, G_IP, depth); out(g, ".%s()", m[rn(g, 4)]);
            return;
        }
        case 15: sub(g, G_IP, depth); out(g, ".isInRange("); expr(g, G_IP, depth + 1); out(g, ")"); return;
        case 16: out(g, "if "); sub(g, G_BOOL, depth); out(g, " then "); sub(g, G_BOOL, depth); out(g, " else "); sub(g, G_BOOL, depth); return;
        case 17: sub(g, G_ENT, depth); out(g, ".getTag(\"t1\")"); return;
        case 18: out(g, "principal has meta && principal.meta has level && principal.meta.level > %d", (int)rn(g, 4)); return;
        case 19: sub(g, G_REC, depth); out(g, chance(g, 50) ? ".flag" : "[\"flag\"]"); return;
        case 20: out(g, "!!"); sub(g, G_BOOL, depth); return;
        default: out(g, "resource in principal"); return;
        }
    case G_LONG:
        if (leaf) {
            switch (rn(g, 4)) {
            case 0: case 1: long_lit(g); return;
            case 2: var_entity(g); out(g, ".age"); return;
            default: out(g, "context.n"); return;
            }
        }
        switch (rn(g, 8)) {
        case 0: sub(g, G_LONG, depth); out(g, " + "); sub(g, G_LONG, depth); return;
        case 1: sub(g, G_LONG, depth); out(g, " - "); sub(g, G_LONG, depth); return;
        case 2: sub(g, G_LONG, depth); out(g, " * "); sub(g, G_LONG, depth); return;
        case 3: out(g, "-"); sub(g, G_LONG, depth); return;
        case 4: {
            static const char *const m[] = {"toMilliseconds", "toSeconds", "toMinutes", "toHours", "toDays"};
            sub(g, G_DUR, depth); out(g, ".%s()", m[rn(g, 5)]);
            return;
        }
        case 5: out(g, "if "); sub(g, G_BOOL, depth); out(g, " then "); sub(g, G_LONG, depth); out(g, " else "); sub(g, G_LONG, depth); return;
        case 6: sub(g, G_REC, depth); out(g, ".level"); return;
        default: sub(g, G_ENT, depth); out(g, "[\"age\"]"); return;
        }
    case G_STR:
        switch (leaf ? rn(g, 3) : rn(g, 5)) {
        case 0: out(g, "\"%s\"", strs[rn(g, 10)]); return;
        case 1: var_entity(g); out(g, ".name"); return;
        case 2: out(g, "context.s"); return;
        case 3: sub(g, G_ENT, depth); out(g, ".getTag(\"t%d\")", (int)rn(g, 2) + 1); return;
        default: out(g, "if "); sub(g, G_BOOL, depth); out(g, " then "); sub(g, G_STR, depth); out(g, " else \"b\""); return;
        }
    case G_ENT:
        switch (leaf ? rn(g, 3) : rn(g, 5)) {
        case 0: var_entity(g); return;
        case 1: entity_lit(g); return;
        case 2: out(g, "context.who"); return;
        case 3: sub(g, G_ENT, depth); out(g, ".owner"); return;
        default: out(g, "if "); sub(g, G_BOOL, depth); out(g, " then "); sub(g, G_ENT, depth); out(g, " else "); entity_lit(g); return;
        }
    case G_SET: {
        unsigned k = leaf ? rn(g, 4) : rn(g, 5);
        if (k == 1) { var_entity(g); out(g, ".tags"); return; }
        if (k == 2) { out(g, "context.set"); return; }
        if (k == 3) { out(g, "[]"); return; }
        enum gt et = (enum gt)rn(g, 4);
        unsigned n = rn(g, 4);
        out(g, "[");
        for (unsigned i = 0; i < n; i++) {
            if (i) out(g, ", ");
            expr(g, et == G_SET ? G_ENT : et, depth + 1);
        }
        out(g, "]");
        return;
    }
    case G_REC: {
        if (leaf || chance(g, 50)) {
            switch (rn(g, 3)) {
            case 0: out(g, "context.rec"); return;
            case 1: var_entity(g); out(g, ".meta"); return;
            default: out(g, "context"); return;
            }
        }
        unsigned n = rn(g, 3);
        static const char *const keys[] = {"level", "flag", "\"x y\""};
        out(g, "{");
        for (unsigned i = 0; i < n; i++) {
            if (i) out(g, ", ");
            out(g, "%s: ", keys[i]);
            expr(g, i == 0 ? G_LONG : i == 1 ? G_BOOL : G_STR, depth + 1);
        }
        if (g->bad && n == 1 && chance(g, 30))
            out(g, ", level: 1");   /* duplicate key: a parse error in Cedar */
        out(g, "}");
        return;
    }
    case G_DEC:
        if (chance(g, 30)) { var_entity(g); out(g, ".amount"); return; }
        out(g, "decimal(\"%s\")", decs[rn(g, 8)]);
        return;
    case G_IP:
        if (chance(g, 30)) { var_entity(g); out(g, ".addr"); return; }
        out(g, "ip(\"%s\")", ips[rn(g, 14)]);
        return;
    case G_DT:
        switch (leaf ? rn(g, 2) : rn(g, 4)) {
        case 0: out(g, "datetime(\"%s\")", dts[rn(g, 7)]); return;
        case 1: out(g, "context.when"); return;
        case 2: sub(g, G_DT, depth); out(g, ".offset("); expr(g, G_DUR, depth + 1); out(g, ")"); return;
        default: sub(g, G_DT, depth); out(g, ".toDate()"); return;
        }
    case G_DUR:
        switch (leaf ? rn(g, 2) : rn(g, 4)) {
        case 0: out(g, "duration(\"%s\")", durs[rn(g, 8)]); return;
        case 1: out(g, "context.dur"); return;
        case 2: sub(g, G_DT, depth); out(g, ".toTime()"); return;
        default: sub(g, G_DT, depth); out(g, ".durationSince("); expr(g, G_DT, depth + 1); out(g, ")"); return;
        }
    default:
        out(g, "true");
    }
}

static void scope_pr(struct g *g, const char *var, int *slot)
{
    out(g, "%s", var);
    switch (rn(g, 9)) {
    case 0: case 1: case 7: case 8: return;
    case 2: out(g, " == "); break;
    case 3: out(g, " in "); break;
    case 4: out(g, " is %s", types[rn(g, 4)]); return;
    case 5: out(g, " is %s in ", types[rn(g, 4)]); break;
    default:
        out(g, chance(g, 50) ? " == " : " in ");
        if (chance(g, 40)) {
            out(g, "?%s", var);
            *slot = 1;
            return;
        }
        break;
    }
    out(g, "%s::\"%s\"", types[rn(g, 4)], ids[rn(g, 3)]);
}

static void policy(struct g *g, int *slot)
{
    if (chance(g, 10))
        out(g, "// rule %u\n", rn(g, 100));
    if (chance(g, 20))
        out(g, "@id(\"rule-%u\")\n", rn(g, 100));
    if (chance(g, 5))
        out(g, "@advice(\"x\")\n");
    out(g, "%s (", chance(g, 30) ? "forbid" : "permit");
    scope_pr(g, "principal", slot);
    out(g, ", action");
    switch (rn(g, 4)) {
    case 0: break;
    case 1: out(g, " == Action::\"%s\"", actions[rn(g, 4)]); break;
    case 2: out(g, " in Action::\"%s\"", actions[rn(g, 4)]); break;
    default: out(g, " in [Action::\"%s\", Action::\"%s\"]", actions[rn(g, 4)], actions[rn(g, 4)]); break;
    }
    out(g, ", ");
    scope_pr(g, "resource", slot);
    out(g, ")");
    unsigned nc = rn(g, 3);
    for (unsigned i = 0; i < nc; i++) {
        out(g, chance(g, 75) ? "\n  when { " : "\n  unless { ");
        expr(g, G_BOOL, 0);
        out(g, " }");
    }
    out(g, ";\n");
}

static json_t *uid(const char *t, const char *id) { return json_pack("{s:s, s:s}", "type", t, "id", id); }

static json_t *rand_uid(struct g *g)
{
    return chance(g, 10) ? uid("Action", actions[rn(g, 4)]) : uid(types[rn(g, 4)], ids[rn(g, 3)]);
}

static json_t *ext(const char *fn, const char *arg) { return json_pack("{s:{s:s, s:s}}", "__extn", "fn", fn, "arg", arg); }

static json_t *str_value(struct g *g)
{
    static const char *const s[] = {"", "a", "b", "ab", "ba", "aab", "a*b", "\xc3\xa9", "a\nb", "x y"};
    return json_string(s[rn(g, 10)]);
}

static json_t *attrs_obj(struct g *g)
{
    json_t *a = json_object();
    if (chance(g, 60)) json_object_set_new(a, "age", json_integer((json_int_t)rn(g, 10) - 2));
    if (chance(g, 5)) json_object_set_new(a, "age", json_integer(4503599627370496));  /* 2^52: exact in JavaScript too */
    if (chance(g, 60)) json_object_set_new(a, "name", str_value(g));
    if (chance(g, 50)) {
        json_t *s = json_array();
        unsigned n = rn(g, 3);
        for (unsigned i = 0; i < n; i++)
            json_array_append_new(s, chance(g, 70) ? str_value(g) : json_pack("{s:o}", "__entity", rand_uid(g)));
        json_object_set_new(a, "tags", s);
    }
    if (chance(g, 50)) json_object_set_new(a, "owner", json_pack("{s:o}", "__entity", rand_uid(g)));
    if (chance(g, 40)) {
        json_t *m = json_object();
        if (chance(g, 70)) json_object_set_new(m, "level", json_integer(rn(g, 5)));
        if (chance(g, 50)) json_object_set_new(m, "flag", json_boolean(chance(g, 50)));
        json_object_set_new(a, "meta", m);
    }
    if (chance(g, 40)) json_object_set_new(a, "amount", ext("decimal", decs[rn(g, 4)]));
    if (chance(g, 40)) json_object_set_new(a, "addr", ext("ip", ips[rn(g, 8)]));
    if (chance(g, 30)) json_object_set_new(a, "flag", json_boolean(chance(g, 50)));
    return a;
}

static json_t *context_obj(struct g *g)
{
    json_t *c = json_object();
    if (chance(g, 80)) json_object_set_new(c, "n", json_integer((json_int_t)rn(g, 10) - 3));
    if (chance(g, 70)) json_object_set_new(c, "s", str_value(g));
    if (chance(g, 70)) json_object_set_new(c, "flag", json_boolean(chance(g, 50)));
    if (chance(g, 60)) json_object_set_new(c, "who", json_pack("{s:o}", "__entity", rand_uid(g)));
    if (chance(g, 60)) {
        json_t *s = json_array();
        unsigned n = rn(g, 3);
        for (unsigned i = 0; i < n; i++)
            json_array_append_new(s, chance(g, 50) ? str_value(g) : json_integer(rn(g, 5)));
        json_object_set_new(c, "set", s);
    }
    if (chance(g, 50)) {
        json_t *m = json_object();
        if (chance(g, 70)) json_object_set_new(m, "level", json_integer(rn(g, 5)));
        if (chance(g, 50)) json_object_set_new(m, "flag", json_boolean(chance(g, 50)));
        json_object_set_new(c, "rec", m);
    }
    if (chance(g, 60)) json_object_set_new(c, "when", ext("datetime", dts[rn(g, 5)]));
    if (chance(g, 60)) json_object_set_new(c, "dur", ext("duration", durs[rn(g, 5)]));
    return c;
}

json_t *pgen_case(uint64_t seed, char **text)
{
    struct g g = {.s = seed * 0x9E3779B97F4A7C15ull + 0x1234567};
    for (int i = 0; i < 4; i++)
        rnd(&g);
    g.bad = chance(&g, 5);
    omega_buf_init(&g.b);
    /* Policies: the static ones in one text, the templates (with slots) apart. */
    unsigned n = 1 + rn(&g, 6);
    struct omega_buf stat, all;
    omega_buf_init(&stat);
    omega_buf_init(&all);
    json_t *tmpl = json_object(), *links = json_array();
    char *ttext[8];
    unsigned nt = 0;
    for (unsigned i = 0; i < n; i++) {
        int slot = 0;
        g.b.len = 0;
        policy(&g, &slot);
        if (slot && nt < 8) {
            ttext[nt++] = strndup((const char *)g.b.data, g.b.len);
        } else if (!slot) {
            if (omega_buf_append(&stat, g.b.data, g.b.len))
                abort();
        }
        if (g.bad && chance(&g, 20)) {
            /* a static policy that one parser or the other may refuse (never inside a template's text,
             * which Cedar takes one policy at a time) */
            static const char *const breakers[] = {"foo(1)", "!!!!!true", "99999999999999999999", "1 +", "x",
                                                   "!-1 == 1", "principal.is == 1", "context has a.if", "1 == 1 == true",
                                                   "[1,2,] == [1,2]", "{a: 1,} == {a: 1}"};
            g.b.len = 0;
            out(&g, "permit(principal, action, resource) when { %s };\n", breakers[rn(&g, 11)]);
            if (omega_buf_append(&stat, g.b.data, g.b.len))
                abort();
        }
    }
    unsigned nstatic = 0;
    /* Count the static policies by parsing (ids of templates follow them in our text). */
    if (omega_buf_append(&all, stat.data ? (const char *)stat.data : "", stat.len) || omega_buf_append(&stat, "", 1))
        abort();
    struct omega_policy_set *tmp = NULL;
    if (omega_policy_set_parse(stat.data ? (const char *)stat.data : "", stat.len ? stat.len - 1 : 0, "gen", &tmp, NULL) == 0)
        nstatic = omega_policy_set_count(tmp);
    else
        nstatic = 1000;   /* parse error: the ids no longer matter */
    omega_policy_set_free(tmp);
    for (unsigned i = 0; i < nt; i++) {
        char id[32];
        snprintf(id, sizeof id, "policy%u", nstatic + i);
        json_object_set_new(tmpl, id, json_string(ttext[i]));
        if (omega_buf_append(&all, ttext[i], strlen(ttext[i])))
            abort();
        unsigned nl = rn(&g, 3);
        for (unsigned k = 0; k < nl; k++) {
            char nid[32];
            snprintf(nid, sizeof nid, "link%u_%u", i, k);
            json_t *vals = json_object();
            if (strstr(ttext[i], "?principal"))
                json_object_set_new(vals, "?principal", uid(types[rn(&g, 4)], ids[rn(&g, 3)]));
            if (strstr(ttext[i], "?resource"))
                json_object_set_new(vals, "?resource", uid(types[rn(&g, 4)], ids[rn(&g, 3)]));
            json_array_append_new(links, json_pack("{s:s, s:s, s:o}", "templateId", id, "newId", nid, "values", vals));
        }
        free(ttext[i]);
    }
    if (omega_buf_append(&all, "", 1))
        abort();
    /* Entities: a DAG (parents only among earlier entities, plus some that do not exist). */
    json_t *ents = json_array();
    const char *order_t[16], *order_i[16];
    unsigned ne = 0;
    for (unsigned t = 0; t < 4; t++)
        for (unsigned i = 0; i < 3; i++)
            if (chance(&g, 70) && ne < 16) {
                order_t[ne] = types[t];
                order_i[ne] = ids[i];
                ne++;
            }
    /* shuffle so the hierarchy is not by type */
    for (unsigned i = ne; i > 1; i--) {
        unsigned j = rn(&g, i);
        const char *a = order_t[i - 1], *b = order_i[i - 1];
        order_t[i - 1] = order_t[j]; order_i[i - 1] = order_i[j];
        order_t[j] = a; order_i[j] = b;
    }
    for (unsigned i = 0; i < ne; i++) {
        json_t *parents = json_array();
        for (unsigned k = 0; k < i; k++)
            if (chance(&g, 25))
                json_array_append_new(parents, uid(order_t[k], order_i[k]));
        if (chance(&g, 10))
            json_array_append_new(parents, uid("Group", "ghost"));
        json_t *tags = json_object();
        if (chance(&g, 40)) json_object_set_new(tags, "t1", str_value(&g));
        if (chance(&g, 20)) json_object_set_new(tags, "t2", json_integer(rn(&g, 4)));
        json_array_append_new(ents, json_pack("{s:o, s:o, s:o, s:o}", "uid", uid(order_t[i], order_i[i]), "attrs",
                                              attrs_obj(&g), "parents", parents, "tags", tags));
    }
    /* Actions: admin ⊃ edit ⊃ view, read alone. */
    json_array_append_new(ents, json_pack("{s:o, s:{}, s:[]}", "uid", uid("Action", "admin"), "attrs", "parents"));
    json_array_append_new(ents, json_pack("{s:o, s:{}, s:[o]}", "uid", uid("Action", "edit"), "attrs", "parents",
                                          uid("Action", "admin")));
    json_array_append_new(ents, json_pack("{s:o, s:{}, s:[o]}", "uid", uid("Action", "view"), "attrs", "parents",
                                          uid("Action", "edit")));
    json_t *reqs = json_array();
    for (unsigned i = 0; i < 4; i++)
        json_array_append_new(reqs, json_pack("{s:o, s:o, s:o, s:o}", "principal", uid(types[rn(&g, 4)], ids[rn(&g, 3)]),
                                              "action", uid("Action", actions[rn(&g, 4)]), "resource",
                                              uid(types[rn(&g, 4)], ids[rn(&g, 3)]), "context", context_obj(&g)));
    json_t *c = json_pack("{s:I, s:s, s:o, s:o, s:o, s:o}", "seed", (json_int_t)seed, "policies",
                          stat.data ? (const char *)stat.data : "", "templates", tmpl, "links", links, "entities", ents,
                          "requests", reqs);
    *text = strdup((const char *)all.data);
    omega_buf_fini(&stat);
    omega_buf_fini(&all);
    omega_buf_fini(&g.b);
    return c;
}

static int same_ids(const json_t *cedar, const char *const *ours, size_t n)
{
    if (json_array_size(cedar) != n)
        return 0;
    for (size_t i = 0; i < n; i++) {
        int found = 0;
        for (size_t k = 0; k < n && !found; k++)
            found = strcmp(json_string_value(json_array_get(cedar, k)) ?: "", ours[i]) == 0;
        if (!found)
            return 0;
    }
    return 1;
}

static void ids_str(char *buf, size_t len, const char *const *ids_, size_t n)
{
    size_t u = 0;
    buf[0] = 0;
    for (size_t i = 0; i < n && u + 1 < len; i++) {
        int k = snprintf(buf + u, len - u, "%s%s", i ? "," : "", ids_[i]);
        if (k < 0)
            break;
        u += (size_t)k;
    }
}

int pgen_compare(const json_t *c, const char *text, const json_t *cedar, char *why, size_t whylen)
{
    struct omega_policy_set *ps = NULL;
    struct omega_entities *es = NULL;
    struct omega_error err = {0};
    int ok_parse = omega_policy_set_parse(text, strlen(text), "gen", &ps, &err) == 0;
    json_t *links = json_object_get(c, "links");
    if (ok_parse && json_array_size(links) && omega_policy_set_link(ps, links, &err))
        ok_parse = 0;
    int cedar_fail = json_is_true(json_object_get(cedar, "parse_error"));
    if (!ok_parse || cedar_fail) {
        omega_policy_set_free(ps);
        if ((!ok_parse) != cedar_fail) {
            snprintf(why, whylen, "parse: ours %s (%s), Cedar %s (%s)", ok_parse ? "ok" : "error", err.msg,
                     cedar_fail ? "error" : "ok", json_string_value(json_object_get(cedar, "message")) ?: "");
            return 1;
        }
        return 0;
    }
    if (omega_entities_from_json(json_object_get(c, "entities"), &es, &err)) {
        snprintf(why, whylen, "entities rejected: %s", err.msg);
        omega_policy_set_free(ps);
        return 1;
    }
    struct omega_policy_result *r = omega_policy_result_new(ps);
    const json_t *reqs = json_object_get(c, "requests"), *res = json_object_get(cedar, "results");
    int bad = 0;
    for (size_t i = 0; i < json_array_size(reqs) && !bad; i++) {
        const json_t *cr = json_array_get(res, i);
        if (omega_policy_eval_json(ps, es, json_array_get(reqs, i), r, &err)) {
            snprintf(why, whylen, "request %zu rejected: %s", i, err.msg);
            bad = 1;
            break;
        }
        const char *reasons[1024], *errs[1024];
        size_t nr = r->nreasons < 1024 ? r->nreasons : 1024, ne = r->nerrors < 1024 ? r->nerrors : 1024;
        for (size_t k = 0; k < nr; k++)
            reasons[k] = omega_policy_set_id(ps, r->reasons[k]);
        for (size_t k = 0; k < ne; k++)
            errs[k] = omega_policy_set_id(ps, r->errors[k]);
        const char *cd = json_string_value(json_object_get(cr, "decision"));
        int c_allow = cd && strcmp(cd, "allow") == 0;
        if (!cd || strcmp(cd, "failure") == 0 || c_allow != r->cedar_allow ||
            !same_ids(json_object_get(cr, "reasons"), reasons, nr) || !same_ids(json_object_get(cr, "errors"), errs, ne)) {
            char a[512], e[512];
            ids_str(a, sizeof a, reasons, nr);
            ids_str(e, sizeof e, errs, ne);
            char *cj = json_dumps(cr, JSON_COMPACT);
            snprintf(why, whylen, "request %zu: ours %s reasons [%s] errors [%s]; Cedar %s", i,
                     r->cedar_allow ? "allow" : "deny", a, e, cj ? cj : "?");
            free(cj);
            bad = 1;
        }
    }
    omega_policy_result_free(r);
    omega_entities_free(es);
    omega_policy_set_free(ps);
    return bad;
}
