/*
 * Conditional parameters: reading "when", ordering the parameters so that a
 * condition is evaluated after the parameters it names, and evaluating
 * activity. See condition.h.
 *
 * The loader (orchestrator/space.c) has checked every spec before
 * condition_load runs; this file checks only "when" itself. Evaluation never
 * fails: a value a condition does not list simply makes it not hold.
 */
#include "condition.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "search_space.h"

/* ---- values of a named parameter ---------------------------------------- */

static int is_numeric(const struct param_spec *p)
{
    return p->kind == PARAM_INT || p->kind == PARAM_UNIFORM ||
           p->kind == PARAM_LOGUNIFORM;
}

/* Whether a condition can name `p`: it has a finite list of values. */
static int has_value_list(const struct param_spec *p)
{
    return p->kind == PARAM_CHOICE || p->kind == PARAM_CONSTANT || p->values != NULL;
}

/* Whether `a` and `b` are the same value of parameter `p`: by number for a
 * numeric range, as equal JSON otherwise. */
static int same_value(const struct param_spec *p, const json_t *a, const json_t *b)
{
    if (is_numeric(p))
        return json_is_number(a) && json_is_number(b) &&
               json_number_value(a) == json_number_value(b);
    return json_equal(a, b);
}

/* How many values `p` has (has_value_list(p) holds). */
static size_t value_count(const struct param_spec *p)
{
    return p->kind == PARAM_CONSTANT ? 1 : json_array_size(p->values);
}

static const json_t *value_at(const struct param_spec *p, size_t k)
{
    return p->kind == PARAM_CONSTANT ? p->value : json_array_get(p->values, k);
}

/* The index of `value` among p's values, or SIZE_MAX. */
static size_t value_index(const struct param_spec *p, const json_t *value)
{
    size_t n = value_count(p);
    for (size_t k = 0; k < n; k++) {
        if (same_value(p, value_at(p, k), value))
            return k;
    }
    return SIZE_MAX;
}

static int is_scalar(const json_t *v)
{
    return json_is_string(v) || json_is_number(v) || json_is_boolean(v);
}

/* ---- paths and messages ------------------------------------------------- */

static int is_plain_key(const char *key)
{
    if (!*key)
        return 0;
    for (const char *c = key; *c; c++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || *c == '_' || *c == '-'))
            return 0;
    }
    return 1;
}

/* "params.NAME.when.KEY", or params.NAME.when["KEY"] for a key that cannot
 * follow a dot, as the loader writes paths. */
static void term_path(char *buf, size_t size, const char *param, const char *key)
{
    if (is_plain_key(key)) {
        snprintf(buf, size, "params.%s.when.%s", param, key);
        return;
    }
    json_t *s = json_string(key);
    char quoted[128];
    search_space_describe(s, quoted, sizeof quoted);
    json_decref(s);
    snprintf(buf, size, "params.%s.when[%s]", param, quoted);
}

/* Writes p's values as "a", "b", "c" (cut with ... when long). */
static void describe_values(const struct param_spec *p, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    size_t n = value_count(p);
    for (size_t k = 0; k < n && used + 8 < size; k++) {
        char one[128];
        search_space_describe(value_at(p, k), one, sizeof one);
        int w = snprintf(buf + used, size - used, "%s%s", k ? ", " : "", one);
        if (w < 0 || (size_t)w >= size - used) {
            snprintf(buf + used, size - used, "%s...", k ? ", " : "");
            return;
        }
        used += (size_t)w;
    }
}

/* Writes every parameter's name as "a, b, c", cut to the buffer. */
static void describe_names(const struct search_space *space, char *buf, size_t size)
{
    size_t used = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < space->count && used < size; i++) {
        int w = snprintf(buf + used, size - used, "%s%s", i ? ", " : "",
                         space->params[i].name);
        if (w < 0)
            return;
        used += (size_t)w;
    }
}

/* ---- loading ------------------------------------------------------------ */

static size_t find_param(const struct search_space *space, const char *name)
{
    for (size_t i = 0; i < space->count; i++) {
        if (strcmp(space->params[i].name, name) == 0)
            return i;
    }
    return SIZE_MAX;
}

/* Fills `term` from one key of param `self`'s "when". */
static int load_term(const struct search_space *space, size_t self, const char *key,
                     const json_t *v, struct param_condition *term, struct hp_error *err)
{
    const char *name = space->params[self].name;
    char path[256];
    char got[128];
    term_path(path, sizeof path, name, key);
    int list = json_is_array(v);
    if (!is_scalar(v) && !(list && json_array_size(v) > 0)) {
        search_space_describe(v, got, sizeof got);
        return hp_error_set(err, path,
                            "must be a value (string, number or boolean) or a non-empty "
                            "list of values (got %s)",
                            got);
    }
    for (size_t i = 0; list && i < json_array_size(v); i++) {
        const json_t *item = json_array_get(v, i);
        if (!is_scalar(item)) {
            char at[300];
            snprintf(at, sizeof at, "%s[%zu]", path, i);
            search_space_describe(item, got, sizeof got);
            return hp_error_set(err, at, "must be a string, number or boolean (got %s)",
                                got);
        }
    }
    size_t q = find_param(space, key);
    if (q == SIZE_MAX) {
        char names[512];
        describe_names(space, names, sizeof names);
        json_t *s = json_string(key);
        search_space_describe(s, got, sizeof got);
        json_decref(s);
        return hp_error_set(err, path, "unknown parameter %s (valid: %s)", got, names);
    }
    if (q == self)
        return hp_error_set(err, path, "a parameter's condition cannot name itself");
    const struct param_spec *named = &space->params[q];
    if (!has_value_list(named))
        return hp_error_set(err, path,
                            "params.%s is %s range without \"values\"; a condition can "
                            "name only a choice, a constant or a range with \"values\"",
                            named->name, search_space_range_phrase(named->kind));
    term->param = q;
    term->by_index = calloc(value_count(named), 1);
    if (!term->by_index)
        return hp_error_set(err, path, "out of memory");
    size_t n = list ? json_array_size(v) : 1;
    for (size_t i = 0; i < n; i++) {
        const json_t *item = list ? json_array_get(v, i) : v;
        size_t k = value_index(named, item);
        if (k == SIZE_MAX) {
            char at[300];
            char values[256];
            if (list)
                snprintf(at, sizeof at, "%s[%zu]", path, i);
            else
                snprintf(at, sizeof at, "%s", path);
            search_space_describe(item, got, sizeof got);
            describe_values(named, values, sizeof values);
            return hp_error_set(err, at, "%s is not a value of params.%s (values: %s)",
                                got, named->name, values);
        }
        term->by_index[k] = 1;
    }
    if (list)
        term->allowed = json_incref((json_t *)v);
    else
        term->allowed = json_pack("[O]", v);
    if (!term->allowed)
        return hp_error_set(err, path, "out of memory");
    return 0;
}

static int load_when(struct search_space *space, size_t self, const json_t *when,
                     struct hp_error *err)
{
    struct param_spec *spec = &space->params[self];
    char path[256];
    char got[128];
    snprintf(path, sizeof path, "params.%s.when", spec->name);
    if (!json_is_object(when) || json_object_size(when) == 0) {
        search_space_describe(when, got, sizeof got);
        return hp_error_set(err, path,
                            "must be a non-empty object of parameter names, each to a "
                            "value or a list of values (got %s)",
                            json_is_object(when) ? "{}" : got);
    }
    spec->when = calloc(json_object_size(when), sizeof *spec->when);
    if (!spec->when)
        return hp_error_set(err, path, "out of memory");
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)when, key, v)
    {
        /* Counted first, so condition_free releases a half-filled term. */
        struct param_condition *term = &spec->when[spec->when_count++];
        if (load_term(space, self, key, v, term, err) != 0)
            return -1;
    }
    return 0;
}

/* A min-heap of parameter indices: the ready parameter declared first. */
struct ready_heap {
    size_t *items;
    size_t count;
};

static void heap_push(struct ready_heap *h, size_t v)
{
    size_t i = h->count++;
    h->items[i] = v;
    while (i > 0 && h->items[(i - 1) / 2] > h->items[i]) {
        size_t parent = (i - 1) / 2;
        size_t t = h->items[parent];
        h->items[parent] = h->items[i];
        h->items[i] = t;
        i = parent;
    }
}

static size_t heap_pop(struct ready_heap *h)
{
    size_t top = h->items[0];
    h->items[0] = h->items[--h->count];
    size_t i = 0;
    for (;;) {
        size_t l = 2 * i + 1;
        size_t r = l + 1;
        size_t m = i;
        if (l < h->count && h->items[l] < h->items[m])
            m = l;
        if (r < h->count && h->items[r] < h->items[m])
            m = r;
        if (m == i)
            return top;
        size_t t = h->items[m];
        h->items[m] = h->items[i];
        h->items[i] = t;
        i = m;
    }
}

/* Reports a cycle among the unplaced parameters (placed[i] == 0): walks from
 * the first unplaced one along unplaced named parameters until one repeats. */
static int report_cycle(const struct search_space *space, const unsigned char *placed,
                        struct hp_error *err)
{
    size_t n = space->count;
    size_t *step = malloc(n * sizeof *step); /* the walk's step at which i was seen */
    size_t *walk = malloc((n + 1) * sizeof *walk);
    if (!step || !walk) {
        free(step);
        free(walk);
        return hp_error_set(err, "params", "conditions form a cycle");
    }
    for (size_t i = 0; i < n; i++)
        step[i] = SIZE_MAX;
    size_t cur = 0;
    while (placed[cur])
        cur++;
    size_t len = 0;
    while (step[cur] == SIZE_MAX) {
        step[cur] = len;
        walk[len++] = cur;
        const struct param_spec *p = &space->params[cur];
        for (size_t t = 0; t < p->when_count; t++) {
            if (!placed[p->when[t].param]) {
                cur = p->when[t].param;
                break;
            }
        }
    }
    /* The cycle is walk[step[cur]] .. walk[len-1], back to cur. Report it
     * from its first declared parameter. */
    size_t first = step[cur];
    size_t start = first;
    for (size_t i = first; i < len; i++) {
        if (walk[i] < walk[start])
            start = i;
    }
    char text[512];
    size_t used = 0;
    size_t cycle = len - first;
    for (size_t i = 0; i <= cycle && used < sizeof text; i++) {
        size_t at = walk[first + (start - first + i) % cycle];
        int w = snprintf(text + used, sizeof text - used, "%s%s", i ? " -> " : "",
                         space->params[at].name);
        if (w < 0)
            break;
        used += (size_t)w;
    }
    size_t from = walk[start];
    size_t to = walk[first + (start - first + 1) % cycle];
    char path[256];
    term_path(path, sizeof path, space->params[from].name, space->params[to].name);
    free(step);
    free(walk);
    return hp_error_set(err, path, "conditions form a cycle: %s", text);
}

/* Orders the parameters for evaluation (Kahn's algorithm, the earliest
 * declared ready parameter first) into space->order, or reports a cycle. */
static int order_params(struct search_space *space, struct hp_error *err)
{
    size_t n = space->count;
    size_t edges = 0;
    for (size_t i = 0; i < n; i++)
        edges += space->params[i].when_count;
    size_t *waiting = calloc(n, sizeof *waiting); /* unplaced named params of i */
    size_t *first = calloc(n + 1, sizeof *first); /* dependants of q: first[q].. */
    size_t *dependant = malloc((edges ? edges : 1) * sizeof *dependant);
    unsigned char *placed = calloc(n, 1);
    struct ready_heap heap = {malloc(n * sizeof *heap.items), 0};
    space->order = malloc(n * sizeof *space->order);
    int rc = -1;
    if (!waiting || !first || !dependant || !placed || !heap.items || !space->order) {
        hp_error_set(err, "params", "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const struct param_spec *p = &space->params[i];
        waiting[i] = p->when_count;
        for (size_t t = 0; t < p->when_count; t++)
            first[p->when[t].param + 1]++;
    }
    for (size_t q = 0; q < n; q++)
        first[q + 1] += first[q];
    size_t *fill = calloc(n ? n : 1, sizeof *fill);
    if (!fill) {
        hp_error_set(err, "params", "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n; i++) {
        const struct param_spec *p = &space->params[i];
        for (size_t t = 0; t < p->when_count; t++) {
            size_t q = p->when[t].param;
            dependant[first[q] + fill[q]++] = i;
        }
    }
    free(fill);
    for (size_t i = 0; i < n; i++) {
        if (waiting[i] == 0)
            heap_push(&heap, i);
    }
    size_t placed_count = 0;
    while (heap.count > 0) {
        size_t q = heap_pop(&heap);
        placed[q] = 1;
        space->order[placed_count++] = q;
        for (size_t e = first[q]; e < first[q + 1]; e++) {
            if (--waiting[dependant[e]] == 0)
                heap_push(&heap, dependant[e]);
        }
    }
    if (placed_count < n) {
        report_cycle(space, placed, err);
        goto done;
    }
    rc = 0;
done:
    free(waiting);
    free(first);
    free(dependant);
    free(placed);
    free(heap.items);
    return rc;
}

int condition_load(struct search_space *space, const json_t *params, struct hp_error *err)
{
    int any = 0;
    for (size_t i = 0; i < space->count; i++) {
        const json_t *when =
            json_object_get(json_object_get(params, space->params[i].name), "when");
        if (!when)
            continue;
        any = 1;
        if (load_when(space, i, when, err) != 0)
            return -1;
    }
    if (!any)
        return 0;
    return order_params(space, err);
}

void condition_free(struct param_spec *spec)
{
    for (size_t t = 0; t < spec->when_count; t++) {
        json_decref(spec->when[t].allowed);
        free(spec->when[t].by_index);
    }
    free(spec->when);
    spec->when = NULL;
    spec->when_count = 0;
}

/* ---- evaluation --------------------------------------------------------- */

int condition_any(const struct search_space *space)
{
    return space->order != NULL;
}

size_t condition_order(const struct search_space *space, size_t i)
{
    return space->order ? space->order[i] : i;
}

int condition_holds_at(const struct search_space *space, size_t param,
                       const unsigned char *active, const size_t *value)
{
    const struct param_spec *p = &space->params[param];
    for (size_t t = 0; t < p->when_count; t++) {
        size_t q = p->when[t].param;
        if (!active[q] || !p->when[t].by_index[value[q]])
            return 0;
    }
    return 1;
}

int condition_term_allows(const struct search_space *space,
                          const struct param_condition *term, const json_t *value)
{
    const struct param_spec *named = &space->params[term->param];
    size_t n = json_array_size(term->allowed);
    for (size_t i = 0; i < n; i++) {
        if (same_value(named, json_array_get(term->allowed, i), value))
            return 1;
    }
    return 0;
}

/* Whether p's condition holds when vals[q] is param q's value, or NULL when q
 * is inactive or has no value. */
static int holds(const struct search_space *space, size_t param,
                 const json_t *const *vals)
{
    const struct param_spec *p = &space->params[param];
    for (size_t t = 0; t < p->when_count; t++) {
        const json_t *v = vals[p->when[t].param];
        if (!v || !condition_term_allows(space, &p->when[t], v))
            return 0;
    }
    return 1;
}

void condition_activity(const struct search_space *space, const json_t *config,
                        unsigned char *active)
{
    for (size_t i = 0; i < space->count; i++)
        active[i] = 1;
    if (!condition_any(space))
        return;
    for (size_t i = 0; i < space->count; i++) {
        size_t p = condition_order(space, i);
        const struct param_spec *spec = &space->params[p];
        for (size_t t = 0; t < spec->when_count && active[p]; t++) {
            size_t q = spec->when[t].param;
            const json_t *v = json_object_get(config, space->params[q].name);
            if (!active[q] || !v || !condition_term_allows(space, &spec->when[t], v))
                active[p] = 0;
        }
    }
}

int condition_apply(const struct search_space *space, json_t *config, const json_t *fill)
{
    if (!condition_any(space))
        return 0;
    size_t n = space->count;
    const json_t **vals = calloc(n, sizeof *vals);
    json_t *out = json_object();
    int rc = -1;
    if (!vals || !out)
        goto done;
    for (size_t i = 0; i < n; i++) {
        size_t p = condition_order(space, i);
        if (!holds(space, p, vals))
            continue;
        const char *name = space->params[p].name;
        vals[p] = json_object_get(config, name);
        if (!vals[p] && fill)
            vals[p] = json_object_get(fill, name);
    }
    for (size_t p = 0; p < n; p++) {
        if (vals[p] &&
            json_object_set(out, space->params[p].name, (json_t *)vals[p]) != 0)
            goto done;
    }
    /* Keys that are not parameters (a budget the caller added) stay, after
     * the parameters. */
    const char *key;
    json_t *value;
    json_object_foreach(config, key, value)
    {
        if (find_param(space, key) == SIZE_MAX && json_object_set(out, key, value) != 0)
            goto done;
    }
    /* `out` holds its own references, so clearing config frees nothing it
     * still needs. */
    if (json_object_clear(config) != 0 || json_object_update(config, out) != 0)
        goto done;
    rc = 0;
done:
    free(vals);
    json_decref(out);
    return rc;
}

int condition_can_be_inactive(const struct search_space *space, size_t param)
{
    const struct param_spec *p = &space->params[param];
    for (size_t t = 0; t < p->when_count; t++) {
        const struct param_condition *term = &p->when[t];
        if (condition_can_be_inactive(space, term->param))
            return 1;
        size_t n = value_count(&space->params[term->param]);
        for (size_t k = 0; k < n; k++) {
            if (!term->by_index[k])
                return 1;
        }
    }
    return 0;
}
