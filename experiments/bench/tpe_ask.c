/*
 * tpe_ask: what one ask of the tpe strategy costs as finished configs pile up.
 *
 * usage: tpe_ask [N ...]   (default: 100 1000 10000)
 *
 * Runs one sequential tpe search (lag 0, seed 1, defaults otherwise) on a
 * 5-parameter space (uniform, log, int, choice, stepped) with a cheap
 * synthetic objective, telling each config at once. When N configs have
 * finished it times the next REPS asks and prints "N ms_per_ask": the median,
 * which a busy machine's preemptions move less than the mean (ask only: tell
 * just stores a number). A measurement, never a test.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "strategy.h"

enum { REPS = 50 };

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static void add(struct search_space *s, struct param_spec p)
{
    s->params = realloc(s->params, (s->count + 1) * sizeof *s->params);
    if (!s->params) {
        fprintf(stderr, "tpe_ask: out of memory\n");
        exit(1);
    }
    s->params[s->count++] = p;
}

/* The space of the benchmark; experiments/bench/tpe_ask.sh gives Optuna the
 * same one. */
static void bench_space(struct search_space *s)
{
    add(s, (struct param_spec){
               .name = strdup("x"), .kind = PARAM_UNIFORM, .low = -5, .high = 5});
    add(s, (struct param_spec){.name = strdup("lr"),
                               .kind = PARAM_LOGUNIFORM,
                               .low = 1e-5,
                               .high = 1,
                               .log = 1});
    add(s, (struct param_spec){
               .name = strdup("units"), .kind = PARAM_INT, .low = 1, .high = 256});
    add(s, (struct param_spec){.name = strdup("act"),
                               .kind = PARAM_CHOICE,
                               .values =
                                   json_pack("[ssss]", "relu", "gelu", "tanh", "silu")});
    add(s, (struct param_spec){.name = strdup("drop"),
                               .kind = PARAM_UNIFORM,
                               .low = 0,
                               .high = 0.5,
                               .step = 0.05});
}

static double objective(const json_t *c)
{
    double x = json_number_value(json_object_get(c, "x"));
    double lr = log10(json_number_value(json_object_get(c, "lr")));
    double units = json_number_value(json_object_get(c, "units"));
    double drop = json_number_value(json_object_get(c, "drop"));
    const char *act = json_string_value(json_object_get(c, "act"));
    return (x - 1.3) * (x - 1.3) + (lr + 2.5) * (lr + 2.5) + fabs(units - 100) / 50 +
           (drop - 0.2) * (drop - 0.2) * 10 + (strcmp(act, "gelu") == 0 ? 0 : 0.5);
}

int main(int argc, char **argv)
{
    size_t marks[16] = {100, 1000, 10000};
    size_t nmarks = 3;
    if (argc > 1) {
        nmarks = 0;
        for (int i = 1; i < argc && nmarks < 16; i++) {
            char *end;
            unsigned long v = strtoul(argv[i], &end, 10);
            if (*end != '\0' || v == 0) {
                fprintf(stderr, "tpe_ask: not a count: \"%s\"\n", argv[i]);
                return 2;
            }
            marks[nmarks++] = v;
        }
    }
    size_t last = 0;
    for (size_t i = 0; i < nmarks; i++)
        last = marks[i] > last ? marks[i] : last;

    struct search_space space = {0};
    bench_space(&space);
    json_t *options = json_pack("{s:s,s:I,s:i,s:i}", "type", "tpe", "trials",
                                (json_int_t)(last + REPS), "seed", 1, "lag", 0);
    struct strategy *tpe = NULL;
    struct hp_error err;
    hp_error_init(&err);
    if (tpe_strategy_ops.create(&space, options, &(struct strategy_context){0}, &tpe,
                                &err) < 0) {
        fprintf(stderr, "tpe_ask: %s: %s\n", err.path, err.message);
        return 1;
    }
    json_decref(options);
    double spent[REPS];
    size_t timed = 0;
    for (size_t k = 0; k < last + REPS; k++) {
        int timing = 0;
        for (size_t i = 0; i < nmarks; i++)
            timing |= k >= marks[i] && k < marks[i] + REPS;
        struct ask_result res;
        double t0 = now_ms();
        if (strategy_ask(tpe, &res) < 0 || res.kind != ASK_CONFIG) {
            fprintf(stderr, "tpe_ask: ask %zu failed\n", k);
            return 1;
        }
        double t1 = now_ms();
        if (timing)
            spent[timed++] = t1 - t0;
        struct config_outcome o = {k, objective(res.params), 0, 1, 0, 0, 0};
        strategy_tell(tpe, &o);
        json_decref(res.params);
        if (timed == REPS) {
            qsort(spent, REPS, sizeof spent[0], compare_doubles);
            printf("%zu %.4f\n", k + 1 - REPS,
                   0.5 * (spent[REPS / 2 - 1] + spent[REPS / 2]));
            fflush(stdout);
            timed = 0;
        }
    }
    strategy_destroy(tpe);
    search_space_free(&space);
    return 0;
}
