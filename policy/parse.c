/* Lexer and recursive-descent parser for Cedar policy text, after Cedar's grammar: annotations,
 * effect, scope, when/unless conditions; expressions by precedence (if, ||, &&, relation, + -, *,
 * unary, member access, primary). Everything built lives in the policy set's pool. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy/policy_int.h"

enum tok {
    T_EOF, T_IDENT, T_STR, T_INT, T_LPAREN, T_RPAREN, T_LBRACE, T_RBRACE, T_LBRACK, T_RBRACK, T_COMMA, T_SEMI,
    T_AT, T_DOT, T_COLON, T_DCOLON, T_EQ, T_NE, T_LT, T_LE, T_GT, T_GE, T_AND, T_OR, T_PLUS, T_MINUS, T_STAR,
    T_BANG, T_QUESTION, T_ASSIGN, T_BAD,
};

struct lx {
    const char *s;
    size_t n, off;
    uint32_t line, col;
    /* current token */
    enum tok t;
    const char *tp;
    size_t tn;
    uint32_t tline, tcol;
    /* after the current one, for two-token lookahead */
    struct ppool *pool;
    struct omega_policy_set *ps;
    const char *file;
    struct omega_error *err;
    int failed;
    int has_slot;
};

#define PMAX_DEPTH 200

static int perr(struct lx *l, uint32_t line, uint32_t col, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int perr(struct lx *l, uint32_t line, uint32_t col, const char *fmt, ...)
{
    if (!l->failed) {
        char msg[200];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(msg, sizeof msg, fmt, ap);
        va_end(ap);
        omega_error_set(l->err, OMEGA_EFORMAT, __FILE__, __LINE__, "%s:%u:%u: %s", l->file ? l->file : "<policies>",
                        line, col, msg);
    }
    l->failed = 1;
    return OMEGA_EFORMAT;
}

static void adv_char(struct lx *l)
{
    if (l->s[l->off] == '\n') {
        l->line++;
        l->col = 1;
    } else if (((unsigned char)l->s[l->off] & 0xC0) != 0x80) {
        l->col++;
    }
    l->off++;
}

static void next(struct lx *l)
{
    for (;;) {
        while (l->off < l->n && isspace((unsigned char)l->s[l->off]))
            adv_char(l);
        if (l->off + 1 < l->n && l->s[l->off] == '/' && l->s[l->off + 1] == '/') {
            while (l->off < l->n && l->s[l->off] != '\n')
                adv_char(l);
            continue;
        }
        break;
    }
    l->tline = l->line;
    l->tcol = l->col;
    l->tp = l->s + l->off;
    if (l->off >= l->n) {
        l->t = T_EOF;
        l->tn = 0;
        return;
    }
    char c = l->s[l->off];
    size_t start = l->off;
    if (isalpha((unsigned char)c) || c == '_') {
        while (l->off < l->n && (isalnum((unsigned char)l->s[l->off]) || l->s[l->off] == '_'))
            adv_char(l);
        l->t = T_IDENT;
    } else if (isdigit((unsigned char)c)) {
        while (l->off < l->n && isdigit((unsigned char)l->s[l->off]))
            adv_char(l);
        l->t = T_INT;
    } else if (c == '"') {
        adv_char(l);
        while (l->off < l->n && l->s[l->off] != '"') {
            if (l->s[l->off] == '\\' && l->off + 1 < l->n)
                adv_char(l);
            adv_char(l);
        }
        if (l->off >= l->n) {
            l->t = T_BAD;
            l->tn = l->off - start;
            return;
        }
        adv_char(l);
        l->t = T_STR;
    } else {
        char d = l->off + 1 < l->n ? l->s[l->off + 1] : 0;
        int two = 1;
        switch (c) {
        case ':': l->t = d == ':' ? T_DCOLON : (two = 0, T_COLON); break;
        case '=': l->t = d == '=' ? T_EQ : (two = 0, T_ASSIGN); break;
        case '!': l->t = d == '=' ? T_NE : (two = 0, T_BANG); break;
        case '<': l->t = d == '=' ? T_LE : (two = 0, T_LT); break;
        case '>': l->t = d == '=' ? T_GE : (two = 0, T_GT); break;
        case '&': l->t = d == '&' ? T_AND : (two = 0, T_BAD); break;
        case '|': l->t = d == '|' ? T_OR : (two = 0, T_BAD); break;
        default:
            two = 0;
            switch (c) {
            case '(': l->t = T_LPAREN; break;
            case ')': l->t = T_RPAREN; break;
            case '{': l->t = T_LBRACE; break;
            case '}': l->t = T_RBRACE; break;
            case '[': l->t = T_LBRACK; break;
            case ']': l->t = T_RBRACK; break;
            case ',': l->t = T_COMMA; break;
            case ';': l->t = T_SEMI; break;
            case '@': l->t = T_AT; break;
            case '.': l->t = T_DOT; break;
            case '+': l->t = T_PLUS; break;
            case '-': l->t = T_MINUS; break;
            case '*': l->t = T_STAR; break;
            case '?': l->t = T_QUESTION; break;
            default: l->t = T_BAD; break;
            }
        }
        adv_char(l);
        if (two)
            adv_char(l);
    }
    l->tn = l->off - start;
}

static int is_kw(const struct lx *l, const char *kw)
{
    size_t n = strlen(kw);
    return l->t == T_IDENT && l->tn == n && memcmp(l->tp, kw, n) == 0;
}

static int expect(struct lx *l, enum tok t, const char *what)
{
    if (l->t != t)
        return perr(l, l->tline, l->tcol, "expected %s, found `%.*s`", what, (int)(l->tn > 40 ? 40 : l->tn),
                    l->t == T_EOF ? "end of input" : l->tp);
    next(l);
    return 0;
}

static char *pool_strndup(struct ppool *p, const char *s, size_t n)
{
    char *d = ppool_alloc(p, n + 1);
    if (d) {
        memcpy(d, s, n);
        d[n] = 0;
    }
    return d;
}

/* Append the UTF-8 encoding of code point cp. */
static size_t utf8_put(char *o, uint32_t cp)
{
    if (cp < 0x80) { o[0] = (char)cp; return 1; }
    if (cp < 0x800) { o[0] = (char)(0xC0 | (cp >> 6)); o[1] = (char)(0x80 | (cp & 0x3F)); return 2; }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | (cp >> 12)); o[1] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | (cp >> 18)); o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F)); o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Unescape the current string token. With pat set, `\*` is a literal star and a bare `*` a wildcard
 * (wild[i] marks them); otherwise wild is NULL. */
static int unescape(struct lx *l, char **out, size_t *outn, uint8_t **wild)
{
    const char *s = l->tp + 1;
    size_t n = l->tn - 2;
    char *o = ppool_alloc(l->pool, n * 4 + 1);
    uint8_t *w = wild ? ppool_alloc(l->pool, n * 4 + 1) : NULL;
    if (!o || (wild && !w))
        return perr(l, l->tline, l->tcol, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c != '\\') {
            if (w) w[k] = c == '*';
            o[k++] = c;
            continue;
        }
        if (++i >= n)
            return perr(l, l->tline, l->tcol, "bad escape in string");
        char e = s[i];
        uint32_t cp;
        switch (e) {
        case 'n': cp = '\n'; break;
        case 'r': cp = '\r'; break;
        case 't': cp = '\t'; break;
        case '\\': cp = '\\'; break;
        case '0': cp = 0; break;
        case '\'': cp = '\''; break;
        case '"': cp = '"'; break;
        case '*':
            if (!wild)
                return perr(l, l->tline, l->tcol, "`\\*` is only valid in a like pattern");
            cp = '*';
            break;
        case 'u': {
            if (i + 1 >= n || s[i + 1] != '{')
                return perr(l, l->tline, l->tcol, "bad \\u escape in string");
            i += 2;
            cp = 0;
            int digits = 0;
            while (i < n && s[i] != '}' && digits < 7) {
                if (!isxdigit((unsigned char)s[i]))
                    return perr(l, l->tline, l->tcol, "bad \\u escape in string");
                cp = cp * 16 + (uint32_t)(isdigit((unsigned char)s[i]) ? s[i] - '0' : (tolower((unsigned char)s[i]) - 'a' + 10));
                i++;
                digits++;
            }
            if (i >= n || s[i] != '}' || digits == 0 || digits > 6 || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
                return perr(l, l->tline, l->tcol, "bad \\u escape in string");
            break;
        }
        default:
            return perr(l, l->tline, l->tcol, "bad escape `\\%c` in string", e);
        }
        size_t m = utf8_put(o + k, cp);
        if (w) memset(w + k, 0, m);
        k += m;
    }
    o[k] = 0;
    *out = o;
    *outn = k;
    if (wild)
        *wild = w;
    return 0;
}

static struct pexpr *mk(struct lx *l, enum pop op, uint32_t line, uint32_t col)
{
    struct pexpr *e = ppool_alloc(l->pool, sizeof *e);
    if (!e) {
        perr(l, line, col, "out of memory");
        return NULL;
    }
    memset(e, 0, sizeof *e);
    e->op = (uint8_t)op;
    e->line = line;
    e->col = col;
    return e;
}

static int is_reserved(const char *p, size_t n)
{
    static const char *const kw[] = {"true", "false", "if", "then", "else", "in", "like", "has", "is", "__cedar"};
    for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
        if (strlen(kw[i]) == n && memcmp(kw[i], p, n) == 0)
            return 1;
    return 0;
}

/* Path of identifiers joined by `::` (the current token is the first identifier). Stops before
 * `::"` when an entity id follows. Sets *ent when a string follows. */
static int parse_path(struct lx *l, struct pstr *out, int *ent, const struct puid **uid)
{
    char buf[512];
    size_t bn = 0;
    uint32_t line = l->tline, col = l->tcol;
    *ent = 0;
    for (;;) {
        if (l->t != T_IDENT)
            return perr(l, l->tline, l->tcol, "expected an identifier");
        if (is_reserved(l->tp, l->tn))
            return perr(l, l->tline, l->tcol, "`%.*s` is a reserved identifier", (int)l->tn, l->tp);
        if (bn + l->tn + 2 >= sizeof buf)
            return perr(l, line, col, "name too long");
        if (bn) { buf[bn++] = ':'; buf[bn++] = ':'; }
        memcpy(buf + bn, l->tp, l->tn);
        bn += l->tn;
        next(l);
        if (l->t != T_DCOLON)
            break;
        next(l);
        if (l->t == T_STR) {
            *ent = 1;
            break;
        }
    }
    char *p = pool_strndup(l->pool, buf, bn);
    if (!p)
        return perr(l, line, col, "out of memory");
    *out = pstr_make(p, bn);
    if (*ent) {
        char *id;
        size_t idn;
        OMEGA_TRY(unescape(l, &id, &idn, NULL));
        next(l);
        struct puid *u = ppool_alloc(l->pool, sizeof *u);
        if (!u)
            return perr(l, line, col, "out of memory");
        u->type = *out;
        u->id = pstr_make(id, idn);
        u->h = puid_hash(&u->type, &u->id);
        if (!(*uid = pset_intern(l->ps, u)))
            return perr(l, line, col, "out of memory");
    }
    return 0;
}

static int parse_entity(struct lx *l, const struct puid **uid)
{
    struct pstr type;
    int ent;
    uint32_t line = l->tline, col = l->tcol;
    OMEGA_TRY(parse_path(l, &type, &ent, uid));
    if (!ent)
        return perr(l, line, col, "expected an entity such as Type::\"id\"");
    return 0;
}

static struct pexpr *parse_expr(struct lx *l, int depth);

static const struct {
    const char *name;
    uint8_t fn;
    int8_t nargs;      /* arguments besides the receiver */
} methods[] = {
    {"contains", PF_CONTAINS, 1}, {"containsAll", PF_CONTAINS_ALL, 1}, {"containsAny", PF_CONTAINS_ANY, 1},
    {"isEmpty", PF_IS_EMPTY, 0}, {"hasTag", PF_HAS_TAG, 1}, {"getTag", PF_GET_TAG, 1},
    {"lessThan", PF_LESS_THAN, 1}, {"lessThanOrEqual", PF_LESS_EQ, 1}, {"greaterThan", PF_GREATER_THAN, 1},
    {"greaterThanOrEqual", PF_GREATER_EQ, 1}, {"isIpv4", PF_IS_IPV4, 0}, {"isIpv6", PF_IS_IPV6, 0},
    {"isLoopback", PF_IS_LOOPBACK, 0}, {"isMulticast", PF_IS_MULTICAST, 0}, {"isInRange", PF_IS_IN_RANGE, 1},
    {"offset", PF_OFFSET, 1}, {"durationSince", PF_DURATION_SINCE, 1}, {"toDate", PF_TO_DATE, 0},
    {"toTime", PF_TO_TIME, 0}, {"toMilliseconds", PF_TO_MS, 0}, {"toSeconds", PF_TO_S, 0},
    {"toMinutes", PF_TO_MIN, 0}, {"toHours", PF_TO_H, 0}, {"toDays", PF_TO_D, 0},
};

static int parse_args(struct lx *l, struct pexpr ***args, uint32_t *nargs, enum tok close, int depth)
{
    struct pexpr *tmp[256];
    uint32_t n = 0;
    if (l->t != close) {
        for (;;) {
            if (n == 256)
                return perr(l, l->tline, l->tcol, "too many elements");
            tmp[n] = parse_expr(l, depth + 1);
            if (!tmp[n])
                return OMEGA_EFORMAT;
            n++;
            if (l->t != T_COMMA)
                break;
            next(l);
            if (l->t == close)
                break;   /* Cedar accepts a trailing comma in lists */
        }
    }
    OMEGA_TRY(expect(l, close, close == T_RPAREN ? "`)`" : "`]`"));
    *args = ppool_alloc(l->pool, (n ? n : 1) * sizeof **args);
    if (!*args)
        return perr(l, l->tline, l->tcol, "out of memory");
    memcpy(*args, tmp, n * sizeof **args);
    *nargs = n;
    return 0;
}

static struct pexpr *parse_primary(struct lx *l, int depth)
{
    uint32_t line = l->tline, col = l->tcol;
    if (depth > PMAX_DEPTH) {
        perr(l, line, col, "expression nested too deeply");
        return NULL;
    }
    struct pexpr *e;
    switch (l->t) {
    case T_INT: {
        char buf[32];
        if (l->tn >= sizeof buf) {
            perr(l, line, col, "integer literal out of range");
            return NULL;
        }
        memcpy(buf, l->tp, l->tn);
        buf[l->tn] = 0;
        errno = 0;
        unsigned long long v = strtoull(buf, NULL, 10);
        if (errno || v > (unsigned long long)INT64_MAX + 1) {
            perr(l, line, col, "integer literal `%s` out of range", buf);
            return NULL;
        }
        if (!(e = mk(l, PE_LIT, line, col)))
            return NULL;
        e->lit.t = PV_LONG;
        /* INT64_MAX + 1 only makes sense negated; the unary minus handles it (marked by c). */
        e->lit.u.i = v > (unsigned long long)INT64_MAX ? INT64_MIN : (int64_t)v;
        e->nargs = v > (unsigned long long)INT64_MAX;
        next(l);
        return e;
    }
    case T_STR: {
        if (!(e = mk(l, PE_LIT, line, col)))
            return NULL;
        char *s;
        size_t n;
        if (unescape(l, &s, &n, NULL))
            return NULL;
        e->lit.t = PV_STR;
        e->lit.u.s = pstr_make(s, n);
        next(l);
        return e;
    }
    case T_LPAREN:
        next(l);
        e = parse_expr(l, depth + 1);
        if (!e || expect(l, T_RPAREN, "`)`"))
            return NULL;
        return e;
    case T_LBRACK:
        next(l);
        if (!(e = mk(l, PE_SET, line, col)) || parse_args(l, &e->args, &e->nargs, T_RBRACK, depth))
            return NULL;
        return e;
    case T_LBRACE: {
        next(l);
        if (!(e = mk(l, PE_RECORD, line, col)))
            return NULL;
        struct pexpr *vals[256];
        struct pstr keys[256];
        uint32_t n = 0;
        while (l->t != T_RBRACE) {
            if (n == 256) {
                perr(l, l->tline, l->tcol, "too many record fields");
                return NULL;
            }
            uint32_t kl = l->tline, kc = l->tcol;
            if (l->t == T_STR) {
                char *s;
                size_t sn;
                if (unescape(l, &s, &sn, NULL))
                    return NULL;
                keys[n] = pstr_make(s, sn);
            } else if (l->t == T_IDENT) {
                if (is_reserved(l->tp, l->tn)) {
                    perr(l, kl, kc, "`%.*s` is a reserved identifier", (int)l->tn, l->tp);
                    return NULL;
                }
                char *s = pool_strndup(l->pool, l->tp, l->tn);
                if (!s) {
                    perr(l, kl, kc, "out of memory");
                    return NULL;
                }
                keys[n] = pstr_make(s, l->tn);
            } else {
                perr(l, kl, kc, "expected a record key");
                return NULL;
            }
            for (uint32_t i = 0; i < n; i++)
                if (pstr_eq(&keys[i], &keys[n])) {
                    perr(l, kl, kc, "duplicate key `%.*s` in record literal", (int)keys[n].n, keys[n].p);
                    return NULL;
                }
            next(l);
            if (expect(l, T_COLON, "`:`"))
                return NULL;
            if (!(vals[n] = parse_expr(l, depth + 1)))
                return NULL;
            n++;
            if (l->t != T_COMMA)
                break;
            next(l);
        }
        if (expect(l, T_RBRACE, "`}`"))
            return NULL;
        e->args = ppool_alloc(l->pool, (n ? n : 1) * sizeof *e->args);
        e->keys = ppool_alloc(l->pool, (n ? n : 1) * sizeof *e->keys);
        if (!e->args || !e->keys) {
            perr(l, line, col, "out of memory");
            return NULL;
        }
        memcpy(e->args, vals, n * sizeof *vals);
        memcpy(e->keys, keys, n * sizeof *keys);
        e->nargs = n;
        return e;
    }
    case T_QUESTION:
        perr(l, line, col, "slots (?principal, ?resource) are only allowed in the policy scope");
        return NULL;
    case T_IDENT: {
        static const char *const vars[] = {"principal", "action", "resource", "context"};
        for (int i = 0; i < 4; i++)
            if (is_kw(l, vars[i])) {
                if (!(e = mk(l, PE_VAR, line, col)))
                    return NULL;
                e->var = (uint8_t)i;
                next(l);
                return e;
            }
        if (is_kw(l, "true") || is_kw(l, "false")) {
            if (!(e = mk(l, PE_LIT, line, col)))
                return NULL;
            e->lit.t = PV_BOOL;
            e->lit.u.b = is_kw(l, "true");
            next(l);
            return e;
        }
        if (is_kw(l, "if")) {
            perr(l, line, col, "`if` must be parenthesized here");
            return NULL;
        }
        struct pstr path;
        int ent;
        const struct puid *uid = NULL;
        if (parse_path(l, &path, &ent, &uid))
            return NULL;
        if (ent) {
            if (!(e = mk(l, PE_LIT, line, col)))
                return NULL;
            e->lit.t = PV_ENTITY;
            e->lit.u.e = uid;
            return e;
        }
        if (l->t != T_LPAREN) {
            perr(l, line, col, "invalid variable: %.*s", (int)path.n, path.p);
            return NULL;
        }
        static const struct { const char *n; uint8_t fn; } fns[] = {
            {"ip", PF_IP}, {"decimal", PF_DECIMAL}, {"datetime", PF_DATETIME}, {"duration", PF_DURATION}};
        int fi = -1;
        for (int i = 0; i < 4; i++)
            if (strlen(fns[i].n) == path.n && memcmp(fns[i].n, path.p, path.n) == 0)
                fi = i;
        if (fi < 0) {
            perr(l, line, col, "`%.*s` is not a valid function", (int)path.n, path.p);
            return NULL;
        }
        next(l);
        if (!(e = mk(l, PE_CALL, line, col)) || parse_args(l, &e->args, &e->nargs, T_RPAREN, depth))
            return NULL;
        e->fn = fns[fi].fn;
        if (e->nargs != 1) {
            perr(l, line, col, "call to `%s` takes 1 argument, got %u", fns[fi].n, e->nargs);
            return NULL;
        }
        return e;
    }
    default:
        if (l->t == T_BAD && l->tn && l->tp[0] == '"')
            perr(l, line, col, "unterminated string");
        else
            perr(l, line, col, "unexpected `%.*s`", (int)(l->tn > 40 ? 40 : l->tn), l->t == T_EOF ? "end of input" : l->tp);
        return NULL;
    }
}

static struct pexpr *parse_member(struct lx *l, int depth)
{
    struct pexpr *e = parse_primary(l, depth);
    while (e && (l->t == T_DOT || l->t == T_LBRACK)) {
        uint32_t line = l->tline, col = l->tcol;
        if (l->t == T_LBRACK) {
            next(l);
            if (l->t != T_STR) {
                perr(l, l->tline, l->tcol, "expected a string attribute name in `[...]`");
                return NULL;
            }
            struct pexpr *a = mk(l, PE_ATTR, line, col);
            char *s;
            size_t n;
            if (!a || unescape(l, &s, &n, NULL))
                return NULL;
            a->name = pstr_make(s, n);
            a->a = e;
            next(l);
            if (expect(l, T_RBRACK, "`]`"))
                return NULL;
            e = a;
            continue;
        }
        next(l);
        if (l->t != T_IDENT) {
            perr(l, l->tline, l->tcol, "expected an attribute or method name after `.`");
            return NULL;
        }
        const char *np = l->tp;
        size_t nn = l->tn;
        uint32_t nline = l->tline, ncol = l->tcol;
        next(l);
        if (l->t == T_LPAREN) {
            int mi = -1;
            for (size_t i = 0; i < sizeof methods / sizeof methods[0]; i++)
                if (strlen(methods[i].name) == nn && memcmp(methods[i].name, np, nn) == 0)
                    mi = (int)i;
            if (mi < 0) {
                perr(l, nline, ncol, "`%.*s` is not a valid method", (int)nn, np);
                return NULL;
            }
            next(l);
            struct pexpr *m = mk(l, PE_METHOD, line, col);
            if (!m || parse_args(l, &m->args, &m->nargs, T_RPAREN, depth))
                return NULL;
            if ((int)m->nargs != methods[mi].nargs) {
                perr(l, nline, ncol, "call to `%s` takes %d argument(s), got %u", methods[mi].name, methods[mi].nargs,
                     m->nargs);
                return NULL;
            }
            m->fn = methods[mi].fn;
            m->a = e;
            e = m;
        } else {
            if (is_reserved(np, nn)) {
                perr(l, nline, ncol, "`%.*s` is a reserved identifier", (int)nn, np);
                return NULL;
            }
            struct pexpr *a = mk(l, PE_ATTR, line, col);
            char *s = a ? pool_strndup(l->pool, np, nn) : NULL;
            if (!s)
                return NULL;
            a->name = pstr_make(s, nn);
            a->a = e;
            e = a;
        }
    }
    return e;
}

static struct pexpr *parse_unary(struct lx *l, int depth)
{
    uint32_t line = l->tline, col = l->tcol;
    enum tok ops[8];
    int n = 0;
    while (l->t == T_BANG || l->t == T_MINUS) {
        if (n && l->t != ops[0]) {   /* Cedar's grammar: up to four of one operator, never mixed */
            perr(l, l->tline, l->tcol, "unexpected `%c`", l->t == T_BANG ? '!' : '-');
            return NULL;
        }
        if (n == 4) {
            perr(l, l->tline, l->tcol, "too many occurrences of `%c`", l->t == T_BANG ? '!' : '-');
            return NULL;
        }
        ops[n++] = l->t;
        next(l);
    }
    struct pexpr *e = parse_member(l, depth);
    if (!e)
        return NULL;
    /* A minus directly before an integer literal is part of the literal (so INT64_MIN is writable). */
    if (n && ops[n - 1] == T_MINUS && e->op == PE_LIT && e->lit.t == PV_LONG &&
        (e->nargs == 1 || e->lit.u.i != INT64_MIN)) {   /* -(INT64_MIN) stays a negation: it overflows at run time */
        if (e->nargs == 1)
            e->nargs = 0;   /* INT64_MIN, already */
        else
            e->lit.u.i = -e->lit.u.i;
        n--;
    }
    if (e->op == PE_LIT && e->lit.t == PV_LONG && e->nargs == 1) {
        perr(l, e->line, e->col, "integer literal out of range");
        return NULL;
    }
    while (n > 0) {
        struct pexpr *u = mk(l, ops[--n] == T_BANG ? PE_NOT : PE_NEG, line, col);
        if (!u)
            return NULL;
        u->a = e;
        e = u;
    }
    return e;
}

static struct pexpr *parse_mul(struct lx *l, int depth)
{
    struct pexpr *e = parse_unary(l, depth);
    while (e && l->t == T_STAR) {
        uint32_t line = l->tline, col = l->tcol;
        next(l);
        struct pexpr *r = parse_unary(l, depth);
        struct pexpr *m = r ? mk(l, PE_MUL, line, col) : NULL;
        if (!m)
            return NULL;
        m->a = e;
        m->b = r;
        e = m;
    }
    return e;
}

static struct pexpr *parse_add(struct lx *l, int depth)
{
    struct pexpr *e = parse_mul(l, depth);
    while (e && (l->t == T_PLUS || l->t == T_MINUS)) {
        uint32_t line = l->tline, col = l->tcol;
        enum pop op = l->t == T_PLUS ? PE_ADD : PE_SUB;
        next(l);
        struct pexpr *r = parse_mul(l, depth);
        struct pexpr *m = r ? mk(l, op, line, col) : NULL;
        if (!m)
            return NULL;
        m->a = e;
        m->b = r;
        e = m;
    }
    return e;
}

static struct pexpr *parse_rel(struct lx *l, int depth)
{
    struct pexpr *e = parse_add(l, depth);
    if (!e)
        return NULL;
    uint32_t line = l->tline, col = l->tcol;
    enum pop op;
    switch (l->t) {
    case T_EQ: op = PE_EQ; break;
    case T_NE: op = PE_NE; break;
    case T_LT: op = PE_LT; break;
    case T_LE: op = PE_LE; break;
    case T_GT: op = PE_GT; break;
    case T_GE: op = PE_GE; break;
    case T_ASSIGN:
        perr(l, line, col, "`=` is not an operator; use `==`");
        return NULL;
    case T_IDENT:
        if (is_kw(l, "in")) { op = PE_IN; break; }
        if (is_kw(l, "has")) {
            next(l);
            struct pexpr *h = mk(l, PE_HAS, line, col);
            if (!h)
                return NULL;
            h->a = e;
            struct pstr tmp[32];
            uint32_t n = 0;
            if (l->t == T_STR) {
                char *s;
                size_t sn;
                if (unescape(l, &s, &sn, NULL))
                    return NULL;
                tmp[n++] = pstr_make(s, sn);
                next(l);
            } else {
                for (;;) {
                    if (l->t != T_IDENT || n == 32) {
                        perr(l, l->tline, l->tcol, "expected an attribute name after `has`");
                        return NULL;
                    }
                    if (is_reserved(l->tp, l->tn)) {
                        perr(l, l->tline, l->tcol, "`%.*s` is a reserved identifier", (int)l->tn, l->tp);
                        return NULL;
                    }
                    char *s = pool_strndup(l->pool, l->tp, l->tn);
                    if (!s)
                        return NULL;
                    tmp[n++] = pstr_make(s, l->tn);
                    next(l);
                    if (l->t != T_DOT)
                        break;
                    next(l);
                }
            }
            h->path = ppool_alloc(l->pool, n * sizeof *h->path);
            if (!h->path)
                return NULL;
            memcpy(h->path, tmp, n * sizeof *tmp);
            h->npath = n;
            h->name = tmp[0];
            return h;
        }
        if (is_kw(l, "like")) {
            next(l);
            if (l->t != T_STR) {
                perr(l, l->tline, l->tcol, "expected a string pattern after `like`");
                return NULL;
            }
            struct pexpr *h = mk(l, PE_LIKE, line, col);
            char *s;
            size_t sn;
            uint8_t *w;
            if (!h || unescape(l, &s, &sn, &w))
                return NULL;
            h->pat = ppool_alloc(l->pool, (sn ? sn : 1) * sizeof *h->pat);
            if (!h->pat)
                return NULL;
            for (size_t i = 0; i < sn; i++) {
                h->pat[i].wild = w[i];
                h->pat[i].c = s[i];
            }
            h->npat = (uint32_t)sn;
            h->a = e;
            next(l);
            return h;
        }
        if (is_kw(l, "is")) {
            next(l);
            struct pexpr *h = mk(l, PE_IS, line, col);
            int ent;
            const struct puid *u;
            if (!h)
                return NULL;
            if (l->t != T_IDENT) {
                perr(l, l->tline, l->tcol, "expected an entity type after `is`");
                return NULL;
            }
            if (parse_path(l, &h->name, &ent, &u))
                return NULL;
            if (ent) {
                perr(l, line, col, "expected an entity type after `is`, found an entity");
                return NULL;
            }
            h->a = e;
            if (is_kw(l, "in")) {
                next(l);
                if (!(h->b = parse_add(l, depth)))
                    return NULL;
            }
            return h;
        }
        return e;
    default:
        return e;
    }
    next(l);
    struct pexpr *r = parse_add(l, depth);
    struct pexpr *m = r ? mk(l, op, line, col) : NULL;
    if (!m)
        return NULL;
    m->a = e;
    m->b = r;
    return m;
}

static struct pexpr *parse_and(struct lx *l, int depth)
{
    struct pexpr *e = parse_rel(l, depth);
    while (e && l->t == T_AND) {
        uint32_t line = l->tline, col = l->tcol;
        next(l);
        struct pexpr *r = parse_rel(l, depth);
        struct pexpr *m = r ? mk(l, PE_AND, line, col) : NULL;
        if (!m)
            return NULL;
        m->a = e;
        m->b = r;
        e = m;
    }
    return e;
}

static struct pexpr *parse_or(struct lx *l, int depth)
{
    struct pexpr *e = parse_and(l, depth);
    while (e && l->t == T_OR) {
        uint32_t line = l->tline, col = l->tcol;
        next(l);
        struct pexpr *r = parse_and(l, depth);
        struct pexpr *m = r ? mk(l, PE_OR, line, col) : NULL;
        if (!m)
            return NULL;
        m->a = e;
        m->b = r;
        e = m;
    }
    return e;
}

static struct pexpr *parse_expr(struct lx *l, int depth)
{
    if (depth > PMAX_DEPTH) {
        perr(l, l->tline, l->tcol, "expression nested too deeply");
        return NULL;
    }
    if (is_kw(l, "if")) {
        uint32_t line = l->tline, col = l->tcol;
        next(l);
        struct pexpr *e = mk(l, PE_IF, line, col);
        if (!e || !(e->a = parse_expr(l, depth + 1)))
            return NULL;
        if (!is_kw(l, "then")) {
            perr(l, l->tline, l->tcol, "expected `then`");
            return NULL;
        }
        next(l);
        if (!(e->b = parse_expr(l, depth + 1)))
            return NULL;
        if (!is_kw(l, "else")) {
            perr(l, l->tline, l->tcol, "expected `else`");
            return NULL;
        }
        next(l);
        if (!(e->c = parse_expr(l, depth + 1)))
            return NULL;
        return e;
    }
    return parse_or(l, depth);
}

/* principal/resource scope: `== E`, `in E`, `is T [in E]`, E possibly the slot. */
static int parse_scope_pr(struct lx *l, struct pscope_c *sc, const char *var, const char *slot)
{
    if (!is_kw(l, var))
        return perr(l, l->tline, l->tcol, "expected `%s`", var);
    next(l);
    sc->kind = PS_ANY;
    int is = 0;
    if (is_kw(l, "is")) {
        next(l);
        int ent;
        const struct puid *u;
        uint32_t line = l->tline, col = l->tcol;
        if (l->t != T_IDENT)
            return perr(l, line, col, "expected an entity type after `is`");
        OMEGA_TRY(parse_path(l, &sc->type, &ent, &u));
        if (ent)
            return perr(l, line, col, "expected an entity type after `is`, found an entity");
        sc->kind = PS_IS;
        is = 1;
    }
    int eq = l->t == T_EQ;
    if (eq && is)
        return perr(l, l->tline, l->tcol, "`is` cannot be combined with `==` in the scope");
    if (eq || is_kw(l, "in")) {
        next(l);
        if (l->t == T_QUESTION) {
            next(l);
            if (!is_kw(l, slot))
                return perr(l, l->tline, l->tcol, "expected the slot `?%s`", slot);
            next(l);
            sc->slot = 1;
            l->has_slot = 1;
        } else {
            OMEGA_TRY(parse_entity(l, &sc->e));
        }
        sc->kind = eq ? PS_EQ : is ? PS_IS_IN : PS_IN;
    }
    return 0;
}

static int parse_scope_action(struct lx *l, struct pscope_c *sc)
{
    if (!is_kw(l, "action"))
        return perr(l, l->tline, l->tcol, "expected `action`");
    next(l);
    sc->kind = PS_ANY;
    if (l->t == T_EQ) {
        next(l);
        OMEGA_TRY(parse_entity(l, &sc->e));
        sc->kind = PS_EQ;
    } else if (is_kw(l, "in")) {
        next(l);
        if (l->t == T_LBRACK) {
            next(l);
            const struct puid *tmp[256];
            uint32_t n = 0;
            while (l->t != T_RBRACK) {
                if (n == 256)
                    return perr(l, l->tline, l->tcol, "too many actions");
                OMEGA_TRY(parse_entity(l, &tmp[n]));
                n++;
                if (l->t != T_COMMA)
                    break;
                next(l);
            }
            OMEGA_TRY(expect(l, T_RBRACK, "`]`"));
            sc->set = ppool_alloc(l->pool, (n ? n : 1) * sizeof *sc->set);
            if (!sc->set)
                return perr(l, l->tline, l->tcol, "out of memory");
            memcpy(sc->set, tmp, n * sizeof *tmp);
            sc->nset = n;
            sc->kind = PS_IN_SET;
        } else {
            OMEGA_TRY(parse_entity(l, &sc->e));
            sc->kind = PS_IN;
        }
    } else if (is_kw(l, "is")) {
        return perr(l, l->tline, l->tcol, "`is` is not allowed in the action scope");
    }
    return 0;
}

static int add_policy(struct omega_policy_set *ps, struct ppolicy *p, int tmpl)
{
    struct ppolicy ***arr = tmpl ? &ps->tmpl : &ps->pol;
    uint32_t *n = tmpl ? &ps->ntmpl : &ps->npol;
    if ((*n & (*n - 1)) == 0) {   /* grow at powers of two */
        struct ppolicy **na = ppool_alloc(&ps->pool, (*n ? *n * 2 : 8) * sizeof *na);
        if (!na)
            return OMEGA_ENOMEM;
        if (*n)
            memcpy(na, *arr, *n * sizeof *na);
        *arr = na;
    }
    (*arr)[(*n)++] = p;
    return 0;
}

static int parse_policy(struct lx *l, struct omega_policy_set *ps, uint32_t idx)
{
    struct ppolicy *p = ppool_alloc(l->pool, sizeof *p);
    if (!p)
        return perr(l, l->tline, l->tcol, "out of memory");
    memset(p, 0, sizeof *p);
    p->idx = idx;
    snprintf(p->id, sizeof p->id, "policy%u", idx);
    p->verdict = OMEGA_ALLOW;
    p->line = l->tline;
    p->col = l->tcol;
    struct pannot ann[64];
    uint32_t nann = 0;
    while (l->t == T_AT) {
        next(l);
        if (l->t != T_IDENT)
            return perr(l, l->tline, l->tcol, "expected an annotation name after `@`");
        if (nann == 64)
            return perr(l, l->tline, l->tcol, "too many annotations");
        uint32_t kl = l->tline, kc = l->tcol;
        char *k = pool_strndup(l->pool, l->tp, l->tn);
        if (!k)
            return perr(l, kl, kc, "out of memory");
        ann[nann].k = pstr_make(k, l->tn);
        for (uint32_t i = 0; i < nann; i++)
            if (pstr_eq(&ann[i].k, &ann[nann].k))
                return perr(l, kl, kc, "duplicate annotation: @%s", k);
        next(l);
        ann[nann].v = pstr_make("", 0);
        if (l->t == T_LPAREN) {
            next(l);
            if (l->t != T_STR)
                return perr(l, l->tline, l->tcol, "expected a string annotation value");
            char *v;
            size_t vn;
            OMEGA_TRY(unescape(l, &v, &vn, NULL));
            ann[nann].v = pstr_make(v, vn);
            next(l);
            OMEGA_TRY(expect(l, T_RPAREN, "`)`"));
        }
        nann++;
    }
    p->annots = ppool_alloc(l->pool, (nann ? nann : 1) * sizeof *p->annots);
    if (!p->annots)
        return perr(l, l->tline, l->tcol, "out of memory");
    memcpy(p->annots, ann, nann * sizeof *ann);
    p->nannots = nann;
    for (uint32_t i = 0; i < nann; i++) {
        const struct pannot *a = &ann[i];
        if (a->k.n == 2 && memcmp(a->k.p, "id", 2) == 0)
            p->annot_id = a->v.p;
        else if (a->k.n == 8 && memcmp(a->k.p, "decision", 8) == 0) {
            if (strcmp(a->v.p, "ask") == 0) p->verdict = OMEGA_ASK;
            else if (strcmp(a->v.p, "redact") == 0) p->verdict = OMEGA_REDACT;
            else if (strcmp(a->v.p, "allow") == 0 || strcmp(a->v.p, "deny") == 0) p->verdict = OMEGA_ALLOW;
            else
                return perr(l, p->line, p->col, "@decision must be \"allow\", \"deny\", \"ask\" or \"redact\", not \"%s\"",
                            a->v.p);
        } else if (a->k.n == 6 && memcmp(a->k.p, "redact", 6) == 0) {
            /* "a, b.c" → fields to mask */
            const char *fields[OMEGA_DECISION_MAX_REDACT];
            uint32_t nf = 0;
            const char *s = a->v.p;
            while (*s) {
                while (*s == ',' || *s == ' ')
                    s++;
                const char *st = s;
                while (*s && *s != ',' && *s != ' ')
                    s++;
                if (s > st) {
                    if (nf == OMEGA_DECISION_MAX_REDACT)
                        return perr(l, p->line, p->col, "@redact names more than %d fields", OMEGA_DECISION_MAX_REDACT);
                    if (!(fields[nf++] = pool_strndup(l->pool, st, (size_t)(s - st))))
                        return OMEGA_ENOMEM;
                }
            }
            p->redact = ppool_alloc(l->pool, (nf ? nf : 1) * sizeof *p->redact);
            if (!p->redact)
                return OMEGA_ENOMEM;
            memcpy(p->redact, fields, nf * sizeof *fields);
            p->nredact = nf;
        }
    }
    if (p->nredact && p->verdict == OMEGA_ALLOW)
        p->verdict = OMEGA_REDACT;
    if (is_kw(l, "permit"))
        p->forbid = 0;
    else if (is_kw(l, "forbid"))
        p->forbid = 1;
    else
        return perr(l, l->tline, l->tcol, "expected `permit` or `forbid`, found `%.*s`", (int)(l->tn > 40 ? 40 : l->tn),
                    l->t == T_EOF ? "end of input" : l->tp);
    next(l);
    OMEGA_TRY(expect(l, T_LPAREN, "`(`"));
    l->has_slot = 0;
    OMEGA_TRY(parse_scope_pr(l, &p->principal, "principal", "principal"));
    OMEGA_TRY(expect(l, T_COMMA, "`,`"));
    OMEGA_TRY(parse_scope_action(l, &p->action));
    OMEGA_TRY(expect(l, T_COMMA, "`,`"));
    OMEGA_TRY(parse_scope_pr(l, &p->resource, "resource", "resource"));
    if (l->t == T_COMMA)
        next(l);   /* trailing comma */
    OMEGA_TRY(expect(l, T_RPAREN, "`)`"));
    struct pexpr *conds[64];
    uint8_t unless[64];
    uint32_t n = 0;
    while (is_kw(l, "when") || is_kw(l, "unless")) {
        if (n == 64)
            return perr(l, l->tline, l->tcol, "too many conditions");
        unless[n] = is_kw(l, "unless");
        next(l);
        OMEGA_TRY(expect(l, T_LBRACE, "`{`"));
        if (l->t == T_RBRACE)
            return perr(l, l->tline, l->tcol, "a condition must not be empty");
        if (!(conds[n] = parse_expr(l, 0)))
            return OMEGA_EFORMAT;
        pfold(l->pool, conds[n]);
        n++;
        OMEGA_TRY(expect(l, T_RBRACE, "`}`"));
    }
    OMEGA_TRY(expect(l, T_SEMI, "`;`"));
    p->conds = ppool_alloc(l->pool, (n ? n : 1) * sizeof *p->conds);
    p->unless = ppool_alloc(l->pool, n ? n : 1);
    if (!p->conds || !p->unless)
        return OMEGA_ENOMEM;
    memcpy(p->conds, conds, n * sizeof *conds);
    memcpy(p->unless, unless, n);
    p->nconds = n;
    p->is_template = (uint8_t)l->has_slot;
    if (add_policy(ps, p, p->is_template))
        return perr(l, p->line, p->col, "out of memory");
    return 0;
}

int pparse(struct omega_policy_set *ps, const char *text, size_t len, const char *file, struct omega_error *err)
{
    struct lx l = {.s = text, .n = len, .line = 1, .col = 1, .pool = &ps->pool, .ps = ps, .file = file, .err = err};
    if (memchr(text, 0, len))
        return perr(&l, 1, 1, "policy text contains a NUL byte");
    next(&l);
    uint32_t idx = 0;
    while (l.t != T_EOF) {
        if (l.t == T_BAD)
            return perr(&l, l.tline, l.tcol, "unexpected character or unterminated string");
        OMEGA_TRY(parse_policy(&l, ps, idx++));
    }
    return 0;
}
