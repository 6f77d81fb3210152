/*
 * The hpsearch side of the TPE quality benchmark: runs hpsearch's tpe (lag 0,
 * sequential like Optuna; other options at their defaults) and random
 * strategies on standard test functions with known optima and prints the
 * best value found after 25, 50 and the last of the trials, as regret
 * (best - optimum).
 *
 * usage: driver TRIALS SEEDS
 * output: one line per (function, sampler, seed): "FUNC SAMPLER SEED R25 R50 RLAST"
 *
 * The functions and their domains are those of optuna_run.py, which runs
 * Optuna's samplers on the same problems.
 */
#include <jansson.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "strategy.h"

struct problem {
    const char *name;
    void (*space)(struct search_space *s);
    double (*f)(const json_t *config);
    double optimum;
};

static void add(struct search_space *s, struct param_spec p)
{
    s->params = realloc(s->params, (s->count + 1) * sizeof *s->params);
    if (!s->params) {
        fprintf(stderr, "driver: out of memory\n");
        exit(1);
    }
    s->params[s->count++] = p;
}

/* Parameters x0 .. x(n-1), uniform on [low, high] (ints when `integer`). */
static void add_box(struct search_space *s, size_t first, size_t n, double low,
                    double high, int integer)
{
    for (size_t i = first; i < first + n; i++) {
        char name[16];
        snprintf(name, sizeof name, "x%zu", i);
        add(s, (struct param_spec){.name = strdup(name),
                                   .kind = integer ? PARAM_INT : PARAM_UNIFORM,
                                   .low = low,
                                   .high = high});
    }
}

static double x(const json_t *c, size_t i)
{
    char name[16];
    snprintf(name, sizeof name, "x%zu", i);
    return json_number_value(json_object_get(c, name));
}

/* ---- Branin: x0 in [-5, 10], x1 in [0, 15]; 0.397887 -------------------- */

static void branin_space(struct search_space *s)
{
    add_box(s, 0, 1, -5, 10, 0);
    add_box(s, 1, 1, 0, 15, 0);
}

static double branin(const json_t *c)
{
    const double pi = 3.14159265358979323846;
    double a = x(c, 0);
    double b = x(c, 1);
    double t = b - 5.1 / (4 * pi * pi) * a * a + 5 / pi * a - 6;
    return t * t + 10 * (1 - 1 / (8 * pi)) * cos(a) + 10;
}

/* ---- six-hump camel: [-3, 3] x [-2, 2]; -1.0316285 ----------------------- */

static void camel_space(struct search_space *s)
{
    add_box(s, 0, 1, -3, 3, 0);
    add_box(s, 1, 1, -2, 2, 0);
}

static double camel(const json_t *c)
{
    double a = x(c, 0);
    double b = x(c, 1);
    return (4 - 2.1 * a * a + a * a * a * a / 3) * a * a + a * b +
           (-4 + 4 * b * b) * b * b;
}

/* ---- Hartmann 3 and 6 on the unit cube; -3.86278 and -3.32237 ------------ */

/* -sum_i alpha_i exp(-sum_j a_ij (x_j - p_ij)^2) over x0 .. x(dims-1); a and p
 * are (4, dims). */
static double hartmann(const json_t *c, size_t dims, const double *a, const double *p)
{
    static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
    double sum = 0;
    for (size_t i = 0; i < 4; i++) {
        double e = 0;
        for (size_t j = 0; j < dims; j++) {
            double d = x(c, j) - p[i * dims + j];
            e += a[i * dims + j] * d * d;
        }
        sum -= alpha[i] * exp(-e);
    }
    return sum;
}

static double hartmann3_at(const json_t *c)
{
    static const double a[4 * 3] = {3, 10, 30, 0.1, 10, 35, 3, 10, 30, 0.1, 10, 35};
    static const double p[4 * 3] = {0.3689, 0.1170, 0.2673, 0.4699, 0.4387, 0.7470,
                                    0.1091, 0.8732, 0.5547, 0.0381, 0.5743, 0.8828};
    return hartmann(c, 3, a, p);
}

static double hartmann6(const json_t *c)
{
    static const double a[4 * 6] = {10, 3,   17, 3.5, 1.7,  8,   0.05, 10,
                                    17, 0.1, 8,  14,  3,    3.5, 1.7,  10,
                                    17, 8,   17, 8,   0.05, 10,  0.1,  14};
    static const double p[4 * 6] = {0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886,
                                    0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991,
                                    0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650,
                                    0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381};
    return hartmann(c, 6, a, p);
}

static void hartmann3_space(struct search_space *s)
{
    add_box(s, 0, 3, 0, 1, 0);
}

static void hartmann6_space(struct search_space *s)
{
    add_box(s, 0, 6, 0, 1, 0);
}

/* ---- Hartmann 3 plus a choice "shift" among four offsets; best "b" ------- */

static void hartmann3_choice_space(struct search_space *s)
{
    hartmann3_space(s);
    add(s, (struct param_spec){.name = strdup("shift"),
                               .kind = PARAM_CHOICE,
                               .values = json_pack("[ssss]", "a", "b", "c", "d")});
}

static double hartmann3_choice(const json_t *c)
{
    static const double offset[4] = {0.5, 0, 1, 0.25};
    const char *shift = json_string_value(json_object_get(c, "shift"));
    return hartmann3_at(c) + offset[shift[0] - 'a'];
}

/* ---- log(1 + Rosenbrock) in 4-D on [-2, 2]^4; 0 -------------------------- */

static void rosenbrock_space(struct search_space *s)
{
    add_box(s, 0, 4, -2, 2, 0);
}

static double rosenbrock_log(const json_t *c)
{
    double sum = 0;
    for (size_t i = 0; i < 3; i++) {
        double a = x(c, i);
        double b = x(c, i + 1);
        sum += 100 * (b - a * a) * (b - a * a) + (1 - a) * (1 - a);
    }
    return log1p(sum);
}

/* ---- Styblinski-Tang 4-D: x0, x1 ints and x2, x3 floats on [-5, 5] ------- */

static const double st_float_min = -2.903534027771178;

static double st_term(double v)
{
    return 0.5 * (v * v * v * v - 16 * v * v + 5 * v);
}

static void styblinski_space(struct search_space *s)
{
    add_box(s, 0, 2, -5, 5, 1);
    add_box(s, 2, 2, -5, 5, 0);
}

static double styblinski(const json_t *c)
{
    double sum = 0;
    for (size_t i = 0; i < 4; i++)
        sum += st_term(x(c, i));
    return sum;
}

int main(int argc, char **argv)
{
    if (argc != 3) {
        fprintf(stderr, "usage: driver TRIALS SEEDS\n");
        return 2;
    }
    int trials = atoi(argv[1]);
    int seeds = atoi(argv[2]);
    if (trials < 50 || seeds < 1) {
        fprintf(stderr, "driver: need TRIALS >= 50 and SEEDS >= 1\n");
        return 2;
    }
    const struct problem problems[] = {
        {"branin", branin_space, branin, 0.397887357729738},
        {"camel", camel_space, camel, -1.031628453489877},
        {"hartmann3", hartmann3_space, hartmann3_at, -3.862782147820756},
        {"hartmann3_choice", hartmann3_choice_space, hartmann3_choice,
         -3.862782147820756},
        {"hartmann6", hartmann6_space, hartmann6, -3.322368011391339},
        {"rosenbrock4_log", rosenbrock_space, rosenbrock_log, 0},
        {"styblinski4_int", styblinski_space, styblinski,
         2 * st_term(-3) + 2 * st_term(st_float_min)},
    };
    const char *samplers[2] = {"hp-tpe", "hp-random"};
    for (size_t p = 0; p < sizeof problems / sizeof problems[0]; p++) {
        struct search_space space = {0};
        problems[p].space(&space);
        for (int which = 0; which < 2; which++) {
            for (int seed = 0; seed < seeds; seed++) {
                json_t *options =
                    which == 0 ? json_pack("{s:s,s:i,s:i,s:i}", "type", "tpe", "trials",
                                           trials, "seed", seed, "lag", 0)
                               : json_pack("{s:s,s:i,s:i}", "type", "random", "trials",
                                           trials, "seed", seed);
                const struct strategy_ops *ops =
                    which == 0 ? &tpe_strategy_ops : &random_strategy_ops;
                struct strategy *s = NULL;
                struct hp_error err;
                hp_error_init(&err);
                if (ops->create(&space, options, &(struct strategy_context){0}, &s,
                                &err) < 0) {
                    fprintf(stderr, "driver: %s: %s\n", err.path, err.message);
                    return 1;
                }
                json_decref(options);
                double best = INFINITY;
                double at25 = 0, at50 = 0;
                for (int k = 0; k < trials; k++) {
                    struct ask_result res;
                    if (strategy_ask(s, &res) < 0 || res.kind != ASK_CONFIG) {
                        fprintf(stderr, "driver: ask %d failed\n", k);
                        return 1;
                    }
                    double y = problems[p].f(res.params);
                    best = fmin(best, y);
                    struct config_outcome o = {(size_t)k, y, 0, 1, 0, 0, 0};
                    strategy_tell(s, &o);
                    json_decref(res.params);
                    if (k + 1 == 25)
                        at25 = best;
                    if (k + 1 == 50)
                        at50 = best;
                }
                double opt = problems[p].optimum;
                printf("%s %s %d %.9g %.9g %.9g\n", problems[p].name, samplers[which],
                       seed, at25 - opt, at50 - opt, best - opt);
                strategy_destroy(s);
            }
        }
        search_space_free(&space);
    }
    return 0;
}
