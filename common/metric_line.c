/*
 * Metric-line formatting and parsing. See metric_line.h for the contract.
 */
#include "metric_line.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void hp_metric_line_init(struct hp_metric_line *m)
{
    m->buf[0] = '{';
    m->len = 1;
    m->fields = 0;
    m->overflow = 0;
}

static void append(struct hp_metric_line *m, const char *text, size_t n)
{
    /* Keep room for the closing brace, the newline and a NUL. */
    if (m->overflow || m->len + n + 3 > sizeof m->buf) {
        m->overflow = 1;
        return;
    }
    memcpy(m->buf + m->len, text, n);
    m->len += n;
}

static void append_escaped(struct hp_metric_line *m, const char *s)
{
    append(m, "\"", 1);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        char esc[8];
        if (c == '"' || c == '\\') {
            esc[0] = '\\';
            esc[1] = (char)c;
            append(m, esc, 2);
        } else if (c < 0x20) {
            snprintf(esc, sizeof esc, "\\u%04x", c);
            append(m, esc, 6);
        } else {
            append(m, (const char *)&c, 1);
        }
    }
    append(m, "\"", 1);
}

static void append_key(struct hp_metric_line *m, const char *key)
{
    if (m->fields++ > 0)
        append(m, ", ", 2);
    append_escaped(m, key);
    append(m, ": ", 2);
}

void hp_metric_line_add_int(struct hp_metric_line *m, const char *key, long long value)
{
    char num[32];
    int n = snprintf(num, sizeof num, "%lld", value);
    append_key(m, key);
    append(m, num, (size_t)n);
}

int hp_format_number(char *buf, size_t size, double value)
{
    if (isnan(value))
        return snprintf(buf, size, "NaN");
    if (isinf(value))
        return snprintf(buf, size, value > 0 ? "Infinity" : "-Infinity");
    /* Whether p significant digits read back exactly is monotone in p (17
     * always do), so the shortest is found by bisection: 5 tries, not 17. */
    int lo = 1;
    int hi = 17;
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        snprintf(buf, size, "%.*g", mid, value);
        if (strtod(buf, NULL) == value)
            hi = mid;
        else
            lo = mid + 1;
    }
    return snprintf(buf, size, "%.*g", lo, value);
}

void hp_metric_line_add_number(struct hp_metric_line *m, const char *key, double value)
{
    char num[40];
    int n = hp_format_number(num, sizeof num, value);
    append_key(m, key);
    append(m, num, (size_t)n);
}

void hp_metric_line_add_string(struct hp_metric_line *m, const char *key,
                               const char *value)
{
    append_key(m, key);
    append_escaped(m, value);
}

void hp_metric_line_add_raw(struct hp_metric_line *m, const char *key, const char *raw)
{
    append_key(m, key);
    append(m, raw, strlen(raw));
}

int hp_metric_line_finish(struct hp_metric_line *m, FILE *out)
{
    if (m->overflow)
        return -1;
    m->buf[m->len++] = '}';
    m->buf[m->len++] = '\n';
    m->buf[m->len] = '\0';
    if (fwrite(m->buf, 1, m->len, out) != m->len)
        return -1;
    return fflush(out) == 0 ? 0 : -1;
}

char *hp_json_dumps(const json_t *json, size_t flags)
{
    char *text = json_dumps(json, flags);
    if (!text)
        return NULL;
    /* Rewriting only shortens numbers, so the result fits in place. */
    size_t o = 0;
    int in_string = 0;
    for (size_t i = 0; text[i];) {
        char c = text[i];
        if (in_string) {
            text[o++] = text[i++];
            if (c == '\\' && text[i])
                text[o++] = text[i++];
            else if (c == '"')
                in_string = 0;
            continue;
        }
        if (c == '"') {
            in_string = 1;
            text[o++] = text[i++];
            continue;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
            size_t n = strspn(text + i, "-+0123456789.eE");
            if (memchr(text + i, '.', n) || memchr(text + i, 'e', n) ||
                memchr(text + i, 'E', n)) {
                char number[40];
                hp_format_number(number, sizeof number, strtod(text + i, NULL));
                /* Keep it a real: "1.0", not "1", so its type survives. */
                if (!strpbrk(number, ".eEIN") && strlen(number) + 2 < sizeof number)
                    strcat(number, ".0");
                size_t m = strlen(number);
                if (m <= n) {
                    memcpy(text + o, number, m);
                    o += m;
                    i += n;
                    continue;
                }
            }
            memmove(text + o, text + i, n);
            o += n;
            i += n;
            continue;
        }
        text[o++] = text[i++];
    }
    text[o] = '\0';
    return text;
}

/* Copies the line, quoting the bare non-finite tokens that JSON lacks so that
 * jansson accepts it. Returns a new malloc'd NUL-terminated buffer. */
static char *quote_nonfinite(const char *line, size_t len)
{
    /* Worst case every byte starts a token that gains two quotes; tokens are at
     * least 3 bytes long, so len * 2 + 1 is a safe bound. */
    char *out = malloc(len * 2 + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    int in_string = 0;
    for (size_t i = 0; i < len; i++) {
        char c = line[i];
        if (in_string) {
            out[o++] = c;
            if (c == '\\' && i + 1 < len)
                out[o++] = line[++i];
            else if (c == '"')
                in_string = 0;
            continue;
        }
        if (c == '"') {
            in_string = 1;
            out[o++] = c;
            continue;
        }
        static const char *const tokens[] = {"-Infinity", "Infinity", "NaN"};
        int matched = 0;
        for (size_t t = 0; t < sizeof tokens / sizeof tokens[0]; t++) {
            size_t tl = strlen(tokens[t]);
            if (len - i >= tl && memcmp(line + i, tokens[t], tl) == 0) {
                out[o++] = '"';
                memcpy(out + o, tokens[t], tl);
                o += tl;
                out[o++] = '"';
                i += tl - 1;
                matched = 1;
                break;
            }
        }
        if (!matched)
            out[o++] = c;
    }
    out[o] = '\0';
    return out;
}

json_t *hp_metric_line_parse(const char *line, size_t len)
{
    /* Cheap rejection of plain log text before any allocation. */
    size_t i = 0;
    while (i < len && (line[i] == ' ' || line[i] == '\t' || line[i] == '\r'))
        i++;
    if (i == len || line[i] != '{')
        return NULL;
    char *text = quote_nonfinite(line, len);
    if (!text)
        return NULL;
    json_t *obj = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    free(text);
    if (obj && !json_is_object(obj)) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

int hp_metric_line_number(const json_t *obj, const char *key, double *out)
{
    const json_t *v = json_object_get(obj, key);
    if (!v)
        return -1;
    if (json_is_number(v)) {
        *out = json_number_value(v);
        return 0;
    }
    if (json_is_string(v)) {
        const char *s = json_string_value(v);
        if (strcmp(s, "NaN") == 0) {
            *out = NAN;
            return 0;
        }
        if (strcmp(s, "Infinity") == 0) {
            *out = INFINITY;
            return 0;
        }
        if (strcmp(s, "-Infinity") == 0) {
            *out = -INFINITY;
            return 0;
        }
    }
    return -1;
}
