/*
 * The synthetic data set. See synthetic.h for the contract.
 *
 * The teacher is x (20) -> tanh(A x * gain + a) (32) -> tanh(B h + b) (16)
 * -> C (10) scores; each class's score is standardized over all rows (so the
 * classes come out roughly balanced) and the label is the argmax. A student
 * needs hidden units to fit the teacher's bends: a linear model reaches about
 * 0.59 validation accuracy, an MLP 0.80-0.84 depending on its
 * hyperparameters. Then 5% of the labels are replaced by uniform random ones,
 * so that no config reaches 100% and overfitting shows on the validation
 * set.
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
static const double TEACHER_GAIN = 0.25;
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

/* The teacher's class scores for one input. */
static void teacher_scores(const struct teacher *t, const float *x, double *scores)
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
    for (int i = 0; i < SYNTHETIC_CLASSES; i++) {
        double s = 0.0;
        for (int j = 0; j < TEACHER_H2; j++)
            s += t->c[i][j] * h2[j];
        scores[i] = s;
    }
}

/* Standardizes each class's score over all rows (mean 0, standard deviation
 * 1), so that no class's score sits higher than the others' on the whole:
 * without it, a random teacher hands most rows to two or three classes. */
static void balance(double *scores, size_t rows)
{
    for (int k = 0; k < SYNTHETIC_CLASSES; k++) {
        double mean = 0.0;
        for (size_t i = 0; i < rows; i++)
            mean += scores[i * SYNTHETIC_CLASSES + k];
        mean /= (double)rows;
        double var = 0.0;
        for (size_t i = 0; i < rows; i++) {
            double d = scores[i * SYNTHETIC_CLASSES + k] - mean;
            var += d * d;
        }
        double inv = var > 0.0 ? 1.0 / sqrt(var / (double)rows) : 1.0;
        for (size_t i = 0; i < rows; i++)
            scores[i * SYNTHETIC_CLASSES + k] =
                (scores[i * SYNTHETIC_CLASSES + k] - mean) * inv;
    }
}

int synthetic_generate(struct dataset *set, uint64_t seed, struct hp_error *err)
{
    memset(set, 0, sizeof *set);
    struct teacher *t = malloc(sizeof *t);
    double *scores = malloc((size_t)SYNTHETIC_ROWS * SYNTHETIC_CLASSES * sizeof *scores);
    set->n = SYNTHETIC_ROWS;
    set->dim = SYNTHETIC_FEATURES;
    set->classes = SYNTHETIC_CLASSES;
    set->features = malloc((size_t)SYNTHETIC_ROWS * SYNTHETIC_FEATURES * sizeof(float));
    set->labels = malloc((size_t)SYNTHETIC_ROWS * sizeof *set->labels);
    if (!t || !scores || !set->features || !set->labels) {
        free(t);
        free(scores);
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
        teacher_scores(t, x, scores + i * SYNTHETIC_CLASSES);
    }
    balance(scores, SYNTHETIC_ROWS);
    for (size_t i = 0; i < SYNTHETIC_ROWS; i++) {
        const double *row = scores + i * SYNTHETIC_CLASSES;
        int label = 0;
        for (int k = 1; k < SYNTHETIC_CLASSES; k++)
            if (row[k] > row[label])
                label = k;
        /* Two draws per row whether or not the label flips, so that the
         * stream's position depends only on the row. */
        double u = hp_pcg32_double(&noise_rng);
        uint32_t other = hp_pcg32_bounded(&noise_rng, SYNTHETIC_CLASSES);
        set->labels[i] = u < LABEL_NOISE ? (int32_t)other : label;
    }
    free(scores);
    free(t);
    return 0;
}
