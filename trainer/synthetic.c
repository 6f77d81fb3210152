/*
 * The synthetic data set. See synthetic.h for the contract.
 *
 * The teacher is x (20) -> tanh(A x * gain + a) (32) -> tanh(B h + b) (16)
 * -> C (10) logits, label = argmax. A student needs hidden units to fit the
 * two bends of the teacher; a linear model gets part of the way. Then 5% of
 * the labels are replaced by uniform random ones, so that no config reaches
 * 100% and that overfitting shows on the validation set.
 */
#include "synthetic.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "pcg32.h"

enum {
    TEACHER_H1 = 32,
    TEACHER_H2 = 16,
    PURPOSE_TEACHER = 0x7465616368ULL, /* "teach" */
    PURPOSE_INPUTS = 0x696e707574ULL,  /* "input" */
    PURPOSE_NOISE = 0x6e6f697365ULL,   /* "noise" */
};
static const double TEACHER_GAIN = 0.7;
static const double LABEL_NOISE = 0.05;

struct teacher {
    double a[TEACHER_H1][SYNTHETIC_FEATURES], a0[TEACHER_H1];
    double b[TEACHER_H2][TEACHER_H1], b0[TEACHER_H2];
    double c[SYNTHETIC_CLASSES][TEACHER_H2];
};

static void teacher_draw(struct teacher *t, struct hp_pcg32 *rng)
{
    for (int i = 0; i < TEACHER_H1; i++) {
        for (int j = 0; j < SYNTHETIC_FEATURES; j++)
            t->a[i][j] = hp_pcg32_normal(rng) * TEACHER_GAIN / sqrt(SYNTHETIC_FEATURES);
        t->a0[i] = 0.5 * hp_pcg32_normal(rng);
    }
    for (int i = 0; i < TEACHER_H2; i++) {
        for (int j = 0; j < TEACHER_H1; j++)
            t->b[i][j] = hp_pcg32_normal(rng) * TEACHER_GAIN / sqrt(TEACHER_H1);
        t->b0[i] = 0.5 * hp_pcg32_normal(rng);
    }
    for (int i = 0; i < SYNTHETIC_CLASSES; i++)
        for (int j = 0; j < TEACHER_H2; j++)
            t->c[i][j] = hp_pcg32_normal(rng);
}

static int teacher_label(const struct teacher *t, const float *x)
{
    double h1[TEACHER_H1];
    double h2[TEACHER_H2];
    for (int i = 0; i < TEACHER_H1; i++) {
        double s = t->a0[i];
        for (int j = 0; j < SYNTHETIC_FEATURES; j++)
            s += t->a[i][j] * x[j];
        h1[i] = tanh(s);
    }
    for (int i = 0; i < TEACHER_H2; i++) {
        double s = t->b0[i];
        for (int j = 0; j < TEACHER_H1; j++)
            s += t->b[i][j] * h1[j];
        h2[i] = tanh(s);
    }
    int best = 0;
    double best_score = -INFINITY;
    for (int i = 0; i < SYNTHETIC_CLASSES; i++) {
        double s = 0.0;
        for (int j = 0; j < TEACHER_H2; j++)
            s += t->c[i][j] * h2[j];
        if (s > best_score) {
            best_score = s;
            best = i;
        }
    }
    return best;
}

int synthetic_generate(struct dataset *set, uint64_t seed, struct hp_error *err)
{
    memset(set, 0, sizeof *set);
    struct teacher *t = malloc(sizeof *t);
    set->n = SYNTHETIC_ROWS;
    set->dim = SYNTHETIC_FEATURES;
    set->classes = SYNTHETIC_CLASSES;
    set->features = malloc((size_t)SYNTHETIC_ROWS * SYNTHETIC_FEATURES * sizeof(float));
    set->labels = malloc((size_t)SYNTHETIC_ROWS * sizeof *set->labels);
    if (!t || !set->features || !set->labels) {
        free(t);
        dataset_free(set);
        return hp_error_set(err, NULL, "out of memory generating synthetic data");
    }
    struct hp_pcg32 teacher_rng;
    struct hp_pcg32 input_rng;
    struct hp_pcg32 noise_rng;
    hp_pcg32_derive(&teacher_rng, seed, PURPOSE_TEACHER);
    hp_pcg32_derive(&input_rng, seed, PURPOSE_INPUTS);
    hp_pcg32_derive(&noise_rng, seed, PURPOSE_NOISE);
    teacher_draw(t, &teacher_rng);
    for (size_t i = 0; i < SYNTHETIC_ROWS; i++) {
        float *x = set->features + i * SYNTHETIC_FEATURES;
        for (int j = 0; j < SYNTHETIC_FEATURES; j++)
            x[j] = (float)hp_pcg32_normal(&input_rng);
        int label = teacher_label(t, x);
        /* Two draws per row whether or not the label flips, so that the
         * stream's position depends only on the row. */
        double u = hp_pcg32_double(&noise_rng);
        uint32_t other = hp_pcg32_bounded(&noise_rng, SYNTHETIC_CLASSES);
        set->labels[i] = u < LABEL_NOISE ? (int32_t)other : label;
    }
    free(t);
    return 0;
}
