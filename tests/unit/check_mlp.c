/*
 * The model's arithmetic: every layer type's gradient against finite
 * differences, the sgemm path against the naive reference, and the
 * optimizers' updates against values computed by hand.
 */
#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "check_main.h"
#include "mlp.h"
#include "optim.h"
#include "pcg32.h"

/* ---- helpers ------------------------------------------------------------- */

static void make_model(struct mlp *m, const int *sizes, int nlayers, enum activation act,
                       size_t max_batch, uint64_t seed)
{
    struct hp_error err;
    hp_error_init(&err);
    ck_assert_int_eq(mlp_init(m, sizes, nlayers, act, max_batch, &err), 0);
    struct hp_pcg32 rng;
    hp_pcg32_derive(&rng, seed, 1);
    mlp_init_weights(m, &rng);
    /* Non-zero biases, so that their gradients are exercised away from the
     * initial point too. */
    for (int l = 0; l < nlayers; l++)
        for (int o = 0; o < m->layer[l].out; o++)
            m->layer[l].b[o] = (float)(0.1 * hp_pcg32_normal(&rng));
}

static void random_batch(float *x, int32_t *y, size_t n, int dim, int classes,
                         uint64_t seed)
{
    struct hp_pcg32 rng;
    hp_pcg32_derive(&rng, seed, 2);
    for (size_t i = 0; i < n * (size_t)dim; i++)
        x[i] = (float)hp_pcg32_normal(&rng);
    for (size_t i = 0; i < n; i++)
        y[i] = (int32_t)hp_pcg32_bounded(&rng, (uint32_t)classes);
}

/* Builds the optimizer's segments of a model, as the trainer does. */
static int model_segments(const struct mlp *m, struct optim_segment *seg)
{
    int n = 0;
    for (int l = 0; l < m->nlayers; l++) {
        const struct dense *p = &m->layer[l];
        seg[n++] = (struct optim_segment){(size_t)(p->w - m->params),
                                          (size_t)p->out * (size_t)p->in, 1};
        seg[n++] = (struct optim_segment){(size_t)(p->b - m->params), (size_t)p->out, 0};
    }
    return n;
}

/* When set, the objective runs the training forward pass with dropout masks
 * drawn from a copy of this generator, so that every evaluation sees the same
 * masks. */
static const struct hp_pcg32 *fixed_masks;

static const float *forward_for_test(struct mlp *m, const float *x, size_t n)
{
    if (!fixed_masks)
        return mlp_forward(m, x, n);
    struct hp_pcg32 rng = *fixed_masks;
    return mlp_forward_train(m, x, n, &rng);
}

/* The objective: mean cross-entropy over the batch (with class weights the
 * weighted mean) plus wd * (0.5 |W|^2). */
static double objective(struct mlp *m, const float *x, const int32_t *y, size_t n,
                        double wd)
{
    const float *logits = forward_for_test(m, x, n);
    const float *cw = m->class_weight;
    double sum = mlp_softmax_xent_weighted(logits, y, n, m->size[m->nlayers], cw, NULL,
                                           0.0f, NULL);
    double total = (double)n;
    if (cw) {
        total = 0.0;
        for (size_t i = 0; i < n; i++)
            total += cw[y[i]];
    }
    return sum / total + wd * mlp_l2_penalty(m);
}

/* A fingerprint of which ReLU units are active after the last forward pass,
 * so that a finite difference that crosses a kink can be recognised. */
static unsigned long long relu_pattern(const struct mlp *m, size_t n)
{
    unsigned long long hash = 1469598103934665603ULL;
    for (int l = 1; l < m->nlayers; l++)
        for (size_t i = 0; i < n * (size_t)m->size[l]; i++)
            hash = (hash ^ (m->act[l][i] > 0.0f)) * 1099511628211ULL;
    return hash;
}

/* Compares the gradient of the objective with respect to every parameter
 * (weights and biases of every layer, padding excluded) against central
 * finite differences. `analytic` is in the parameter block's layout. A ReLU
 * difference whose two sides activate different units straddles a kink,
 * where the derivative does not exist; those few are skipped and counted. */
static void check_against_finite_differences(struct mlp *m, const float *analytic,
                                             const float *x, const int32_t *y, size_t n,
                                             double wd)
{
    const float h = 1e-3f;
    int checked = 0;
    int skipped = 0;
    for (int l = 0; l < m->nlayers; l++) {
        struct dense *p = &m->layer[l];
        float *tensors[2] = {p->w, p->b};
        size_t counts[2] = {(size_t)p->out * (size_t)p->in, (size_t)p->out};
        for (int t = 0; t < 2; t++) {
            for (size_t i = 0; i < counts[t]; i++) {
                float *theta = &tensors[t][i];
                float saved = *theta;
                *theta = saved + h;
                double up = objective(m, x, y, n, wd);
                unsigned long long up_pattern = relu_pattern(m, n);
                *theta = saved - h;
                double down = objective(m, x, y, n, wd);
                unsigned long long down_pattern = relu_pattern(m, n);
                *theta = saved;
                if (m->activation == ACT_RELU && up_pattern != down_pattern) {
                    skipped++;
                    continue;
                }
                /* The step actually taken, in float. */
                double step = (double)(saved + h) - (double)(saved - h);
                double numeric = (up - down) / step;
                double exact = analytic[theta - m->params];
                double scale = fabs(numeric) + fabs(exact);
                double rel = fabs(numeric - exact) / (scale > 1e-2 ? scale : 1e-2);
                ck_assert_msg(rel < 1e-2,
                              "layer %d %s[%zu]: finite difference %.6g, analytic %.6g",
                              l, t ? "bias" : "weight", i, numeric, exact);
                checked++;
            }
        }
    }
    ck_assert_int_gt(checked, 10);
    ck_assert_msg(skipped * 20 <= checked, "%d of %d differences straddle a kink",
                  skipped, checked + skipped);
}

/* Runs forward and backward on the sgemm path and checks the gradient. */
static void check_gradients_dropout(const int *sizes, int nlayers, enum activation act,
                                    float rate)
{
    enum { N = 6 };
    struct mlp m;
    make_model(&m, sizes, nlayers, act, N, 11);
    float rates[MLP_MAX_LAYERS];
    for (int i = 0; i < nlayers - 1; i++)
        rates[i] = rate;
    ck_assert_int_eq(mlp_set_dropout(&m, rates, NULL), 0);
    struct hp_pcg32 masks;
    hp_pcg32_seed(&masks, 77, 78);
    fixed_masks = rate > 0.0f ? &masks : NULL;
    float x[N * 16];
    int32_t y[N];
    random_batch(x, y, N, sizes[0], sizes[nlayers], 12);
    forward_for_test(&m, x, N);
    mlp_backward(&m, y, N, NULL);
    float *analytic = malloc(m.nparams * sizeof *analytic);
    memcpy(analytic, m.grads, m.nparams * sizeof *analytic);
    check_against_finite_differences(&m, analytic, x, y, N, 0.0);
    free(analytic);
    mlp_free(&m);
    fixed_masks = NULL;
}

static void check_gradients(const int *sizes, int nlayers, enum activation act)
{
    check_gradients_dropout(sizes, nlayers, act, 0.0f);
}

/* ---- gradients ------------------------------------------------------------ */

START_TEST(test_gradient_of_dense_layers_without_hidden_layer)
{
    const int sizes[] = {5, 4};
    check_gradients(sizes, 1, ACT_RELU);
}
END_TEST

START_TEST(test_gradient_of_dense_relu_layers_matches_finite_differences)
{
    const int sizes[] = {6, 7, 5, 4};
    check_gradients(sizes, 3, ACT_RELU);
}
END_TEST

START_TEST(test_gradient_of_dense_tanh_layers_matches_finite_differences)
{
    const int sizes[] = {6, 7, 5, 4};
    check_gradients(sizes, 3, ACT_TANH);
}
END_TEST

START_TEST(test_gradient_with_class_weights_matches_finite_differences)
{
    enum { N = 7 };
    const int sizes[] = {5, 6, 3};
    const float weights[3] = {0.5f, 3.0f, 1.25f};
    struct mlp m;
    make_model(&m, sizes, 2, ACT_TANH, N, 91);
    m.class_weight = weights;
    float x[N * 5];
    int32_t y[N];
    random_batch(x, y, N, 5, 3, 92);
    mlp_forward(&m, x, N);
    double loss = mlp_backward(&m, y, N, NULL);
    float *analytic = malloc(m.nparams * sizeof *analytic);
    memcpy(analytic, m.grads, m.nparams * sizeof *analytic);
    /* The value returned is n times the weighted mean. */
    ck_assert_double_eq_tol(loss / N, objective(&m, x, y, N, 0.0), 1e-6);
    check_against_finite_differences(&m, analytic, x, y, N, 0.0);
    free(analytic);
    mlp_free(&m);
}
END_TEST

START_TEST(test_gradient_through_dropout_matches_finite_differences)
{
    const int sizes[] = {6, 9, 8, 4};
    check_gradients_dropout(sizes, 3, ACT_RELU, 0.3f);
    check_gradients_dropout(sizes, 3, ACT_TANH, 0.5f);
}
END_TEST

START_TEST(test_dropout_drops_at_its_rate_and_scales_the_rest)
{
    enum { N = 50 };
    const int sizes[] = {8, 200, 3};
    struct mlp m;
    make_model(&m, sizes, 2, ACT_TANH, N, 61);
    const float rate = 0.25f;
    ck_assert_int_eq(mlp_set_dropout(&m, &rate, NULL), 0);
    float x[N * 8];
    int32_t y[N];
    random_batch(x, y, N, 8, 3, 62);
    struct hp_pcg32 rng;
    hp_pcg32_seed(&rng, 1, 2);
    mlp_forward_train(&m, x, N, &rng);
    int zeros = 0;
    for (int i = 0; i < N * 200; i++) {
        float mask = m.mask[1][i];
        ck_assert(mask == 0.0f || mask == 1.0f / 0.75f);
        zeros += mask == 0.0f;
        ck_assert_float_eq(m.dropped[1][i], m.act[1][i] * mask);
    }
    ck_assert_int_gt(zeros, (int)(0.23 * N * 200));
    ck_assert_int_lt(zeros, (int)(0.27 * N * 200));

    /* Evaluation never drops: it matches the naive reference. */
    float eval[N * 3];
    memcpy(eval, mlp_forward(&m, x, N), sizeof eval);
    const float *naive = mlp_forward_naive(&m, x, N);
    for (int i = 0; i < N * 3; i++)
        ck_assert_float_eq_tol(eval[i], naive[i], 1e-5f * (1.0f + fabsf(naive[i])));
    mlp_free(&m);
}
END_TEST

START_TEST(test_training_forward_without_dropout_draws_nothing)
{
    const int sizes[] = {4, 5, 3};
    struct mlp m;
    make_model(&m, sizes, 2, ACT_RELU, 4, 71);
    float x[4 * 4];
    int32_t y[4];
    random_batch(x, y, 4, 4, 3, 72);
    struct hp_pcg32 rng;
    hp_pcg32_seed(&rng, 3, 4);
    struct hp_pcg32 before = rng;
    float train[4 * 3];
    memcpy(train, mlp_forward_train(&m, x, 4, &rng), sizeof train);
    ck_assert_int_eq(memcmp(&rng, &before, sizeof rng), 0);
    ck_assert_int_eq(memcmp(train, mlp_forward(&m, x, 4), sizeof train), 0);
    mlp_free(&m);
}
END_TEST

START_TEST(test_gradient_of_softmax_cross_entropy_matches_finite_differences)
{
    enum { N = 3, C = 5 };
    float z[N * C];
    int32_t y[N] = {0, 3, 4};
    struct hp_pcg32 rng;
    hp_pcg32_seed(&rng, 5, 6);
    for (int i = 0; i < N * C; i++)
        z[i] = (float)(3.0 * hp_pcg32_normal(&rng));
    z[C + 2] = 40.0f; /* a large logit: the stable form must not overflow */
    float d[N * C];
    double base = mlp_softmax_xent(z, y, N, C, d, 1.0f, NULL);
    ck_assert(isfinite(base));
    const float h = 1e-2f;
    for (int i = 0; i < N * C; i++) {
        float saved = z[i];
        z[i] = saved + h;
        double up = mlp_softmax_xent(z, y, N, C, NULL, 0.0f, NULL);
        z[i] = saved - h;
        double down = mlp_softmax_xent(z, y, N, C, NULL, 0.0f, NULL);
        z[i] = saved;
        double numeric = (up - down) / ((double)(saved + h) - (double)(saved - h));
        ck_assert_msg(fabs(numeric - d[i]) < 1e-3, "logit %d: numeric %g, analytic %g", i,
                      numeric, (double)d[i]);
    }
}
END_TEST

START_TEST(test_softmax_cross_entropy_values_and_accuracy)
{
    /* Two rows, three classes: uniform logits cost log 3; a confident right
     * answer costs almost nothing. */
    float z[] = {0, 0, 0, 0, 30, 0};
    int32_t y[] = {1, 1};
    size_t correct = 99;
    double loss = mlp_softmax_xent(z, y, 2, 3, NULL, 0.0f, &correct);
    ck_assert_double_eq_tol(loss, log(3.0) + 2 * exp(-30.0), 1e-9);
    ck_assert_uint_eq(correct, 1); /* row 0 ties: the first class wins, not 1 */
}
END_TEST

START_TEST(test_gradient_with_weight_decay_matches_finite_differences)
{
    /* The update the optimizer makes (plain SGD, lr 1) must be minus the
     * gradient of mean loss + wd * 0.5 |W|^2: weights decayed, biases not. */
    enum { N = 5 };
    const int sizes[] = {4, 6, 3};
    const double wd = 0.3;
    struct mlp m;
    make_model(&m, sizes, 2, ACT_TANH, N, 21);
    float x[N * 4];
    int32_t y[N];
    random_batch(x, y, N, 4, 3, 22);
    mlp_forward(&m, x, N);
    mlp_backward(&m, y, N, NULL);

    struct optim o;
    struct optim_config cfg = {
        .kind = OPTIM_SGD, .momentum = 0.0f, .weight_decay = (float)wd};
    ck_assert_int_eq(optim_init(&o, &cfg, m.nparams, NULL), 0);
    struct optim_segment seg[2 * MLP_MAX_LAYERS];
    int nseg = model_segments(&m, seg);
    float *before = malloc(m.nparams * sizeof *before);
    float *analytic = malloc(m.nparams * sizeof *analytic);
    memcpy(before, m.params, m.nparams * sizeof *before);
    optim_step(&o, m.params, m.grads, seg, nseg, 1.0f);
    for (size_t i = 0; i < m.nparams; i++)
        analytic[i] = before[i] - m.params[i];
    memcpy(m.params, before, m.nparams * sizeof *before);
    check_against_finite_differences(&m, analytic, x, y, N, wd);
    free(before);
    free(analytic);
    optim_free(&o);
    mlp_free(&m);
}
END_TEST

/* ---- sgemm path against the naive reference ------------------------------ */

static void compare_paths(enum activation act)
{
    enum { N = 13 };
    const int sizes[] = {17, 23, 9, 7};
    struct mlp m;
    make_model(&m, sizes, 3, act, N, 31);
    float x[N * 17];
    int32_t y[N];
    random_batch(x, y, N, 17, 7, 32);

    size_t nlogits = (size_t)N * 7;
    float fast_logits[N * 7];
    memcpy(fast_logits, mlp_forward(&m, x, N), sizeof fast_logits);
    double fast_loss = mlp_backward(&m, y, N, NULL);
    float *fast_grads = malloc(m.nparams * sizeof *fast_grads);
    memcpy(fast_grads, m.grads, m.nparams * sizeof *fast_grads);

    memset(m.grads, 0, m.nparams * sizeof *m.grads);
    const float *naive_logits = mlp_forward_naive(&m, x, N);
    for (size_t i = 0; i < nlogits; i++)
        ck_assert_msg(fabsf(fast_logits[i] - naive_logits[i]) <=
                          1e-5f * (1.0f + fabsf(naive_logits[i])),
                      "logit %zu: sgemm %g, naive %g", i, (double)fast_logits[i],
                      (double)naive_logits[i]);
    double naive_loss = mlp_backward_naive(&m, y, N, NULL);
    ck_assert_double_eq_tol(fast_loss, naive_loss, 1e-4 * (1.0 + fabs(naive_loss)));
    for (size_t i = 0; i < m.nparams; i++)
        ck_assert_msg(fabsf(fast_grads[i] - m.grads[i]) <=
                          1e-5f * (1.0f + fabsf(m.grads[i])),
                      "gradient %zu: sgemm %g, naive %g", i, (double)fast_grads[i],
                      (double)m.grads[i]);
    free(fast_grads);
    mlp_free(&m);
}

START_TEST(test_sgemm_path_matches_naive_reference_relu)
{
    compare_paths(ACT_RELU);
}
END_TEST

START_TEST(test_sgemm_path_matches_naive_reference_tanh)
{
    compare_paths(ACT_TANH);
}
END_TEST

START_TEST(test_forward_is_bitwise_repeatable)
{
    enum { N = 8 };
    const int sizes[] = {10, 12, 4};
    struct mlp a;
    struct mlp b;
    make_model(&a, sizes, 2, ACT_RELU, N, 41);
    make_model(&b, sizes, 2, ACT_RELU, 64, 41); /* another buffer size */
    ck_assert_int_eq(memcmp(a.params, b.params, a.nparams * sizeof(float)), 0);
    float x[N * 10];
    int32_t y[N];
    random_batch(x, y, N, 10, 4, 42);
    const float *la = mlp_forward(&a, x, N);
    const float *lb = mlp_forward(&b, x, N);
    ck_assert_int_eq(memcmp(la, lb, N * 4 * sizeof(float)), 0);
    mlp_free(&a);
    mlp_free(&b);
}
END_TEST

START_TEST(test_grad_sumsq_and_scaling_match_plain_sums)
{
    enum { N = 9 };
    const int sizes[] = {37, 21, 5};
    struct mlp m;
    make_model(&m, sizes, 2, ACT_RELU, N, 81);
    float x[N * 37];
    int32_t y[N];
    random_batch(x, y, N, 37, 5, 82);
    mlp_forward(&m, x, N);
    mlp_backward(&m, y, N, NULL);
    double sumsq[2];
    mlp_grad_sumsq(&m, sumsq);
    for (int l = 0; l < 2; l++) {
        double want = 0.0;
        const struct dense *g = &m.grad[l];
        for (int i = 0; i < g->out * g->in; i++)
            want += (double)g->w[i] * g->w[i];
        for (int i = 0; i < g->out; i++)
            want += (double)g->b[i] * g->b[i];
        ck_assert_double_eq_tol(sumsq[l], want, 1e-6 * want);
    }
    mlp_scale_grads(&m, 0.5f);
    double halved[2];
    mlp_grad_sumsq(&m, halved);
    ck_assert_double_eq_tol(halved[0], 0.25 * sumsq[0], 1e-6 * sumsq[0]);
    ck_assert_double_eq_tol(halved[1], 0.25 * sumsq[1], 1e-6 * sumsq[1]);
    mlp_free(&m);
}
END_TEST

START_TEST(test_init_uses_he_for_relu_and_glorot_for_tanh)
{
    const int sizes[] = {400, 300, 10};
    struct mlp m;
    for (int act = ACT_RELU; act <= ACT_TANH; act++) {
        make_model(&m, sizes, 2, (enum activation)act, 1, 51);
        double sq = 0.0;
        for (size_t i = 0; i < 300 * 400; i++)
            sq += (double)m.layer[0].w[i] * m.layer[0].w[i];
        double std = sqrt(sq / (300 * 400));
        double want = act == ACT_RELU ? sqrt(2.0 / 400) : sqrt(2.0 / 700);
        ck_assert_double_eq_tol(std, want, 0.02 * want);
        mlp_free(&m);
    }
}
END_TEST

/* ---- optimizers ------------------------------------------------------------ */

/* Three steps on one decayed weight and one bias, gradients 0.5, -0.25,
 * 0.125, lr 0.1, weight decay 0.01; expected values computed by hand (in
 * double, see the update rules in optim.h). */
static void run_three_steps(enum optim_kind kind, int decoupled, const double *want_w,
                            const double *want_b)
{
    struct optim o;
    struct optim_config cfg = {.kind = kind,
                               .momentum = 0.9f,
                               .beta1 = 0.9f,
                               .beta2 = 0.999f,
                               .eps = 1e-8f,
                               .weight_decay = 0.01f,
                               .decoupled = decoupled};
    ck_assert_int_eq(optim_init(&o, &cfg, 2, NULL), 0);
    struct optim_segment seg[2] = {{0, 1, 1}, {1, 1, 0}};
    float params[2] = {1.0f, 1.0f};
    const float grads[3] = {0.5f, -0.25f, 0.125f};
    for (int t = 0; t < 3; t++) {
        float g[2] = {grads[t], grads[t]};
        optim_step(&o, params, g, seg, 2, 0.1f);
        ck_assert_double_eq_tol(params[0], want_w[t], 2e-6);
        ck_assert_double_eq_tol(params[1], want_b[t], 2e-6);
    }
    ck_assert_int_eq(o.step, 3);
    optim_free(&o);
}

START_TEST(test_sgd_momentum_steps_match_hand_computed_values)
{
    const double w[] = {0.949, 0.927151, 0.894059749};
    const double b[] = {0.95, 0.93, 0.8995};
    run_three_steps(OPTIM_SGD, 0, w, b);
}
END_TEST

START_TEST(test_adam_steps_match_hand_computed_values)
{
    const double w[] = {0.9000000019607843, 0.8712293476231743, 0.8348430342568426};
    const double b[] = {0.900000002, 0.8733662987078463, 0.8393233849166541};
    run_three_steps(OPTIM_ADAM, 0, w, b);
}
END_TEST

START_TEST(test_sgdw_decoupled_decay_matches_hand_computed_values)
{
    /* w = w * (1 - lr * wd) - lr * v; the bias is not decayed. */
    const double w[] = {0.949, 0.928051, 0.896622949};
    const double b[] = {0.95, 0.93, 0.8995};
    run_three_steps(OPTIM_SGD, 1, w, b);
}
END_TEST

START_TEST(test_adamw_decoupled_decay_matches_hand_computed_values)
{
    const double w[] = {0.899000002, 0.8714672987058463, 0.8365529176159483};
    const double b[] = {0.900000002, 0.8733662987078463, 0.8393233849166541};
    run_three_steps(OPTIM_ADAM, 1, w, b);
}
END_TEST

START_TEST(test_optimizer_leaves_padding_alone)
{
    struct optim o;
    struct optim_config cfg = {.kind = OPTIM_ADAM,
                               .beta1 = 0.9f,
                               .beta2 = 0.999f,
                               .eps = 1e-8f,
                               .weight_decay = 0.5f};
    ck_assert_int_eq(optim_init(&o, &cfg, 8, NULL), 0);
    struct optim_segment seg[1] = {{2, 3, 1}};
    float params[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    float grads[8] = {1, 1, 1, 1, 1, 1, 1, 1};
    optim_step(&o, params, grads, seg, 1, 0.1f);
    ck_assert_float_eq(params[0], 1.0f);
    ck_assert_float_eq(params[1], 1.0f);
    ck_assert_float_lt(params[2], 1.0f);
    ck_assert_float_lt(params[4], 1.0f);
    ck_assert_float_eq(params[5], 1.0f);
    optim_free(&o);
}
END_TEST

/* The fused update must report the very doubles mlp_grad_sumsq computes (the
 * trainer's grad_norm depends on it) and leave the same parameters, moments
 * and zeroed gradients as the plain step: with both optimizers, weight decay,
 * and layer sizes whose segments end in a tail shorter than the lanes. */
static void check_fused_sumsq(enum optim_kind kind)
{
    enum { N = 9 };
    const int sizes[] = {37, 21, 11, 5};
    struct mlp m;
    make_model(&m, sizes, 3, ACT_RELU, N, 31);
    float x[N * 37];
    int32_t y[N];
    random_batch(x, y, N, 37, 5, 32);
    mlp_forward(&m, x, N);
    mlp_backward(&m, y, N, NULL);
    double expected[MLP_MAX_LAYERS];
    mlp_grad_sumsq(&m, expected);

    struct optim_config cfg = {.kind = kind,
                               .momentum = 0.9f,
                               .beta1 = 0.9f,
                               .beta2 = 0.999f,
                               .eps = 1e-8f,
                               .weight_decay = 0.01f};
    struct optim plain;
    struct optim fused;
    ck_assert_int_eq(optim_init(&plain, &cfg, m.nparams, NULL), 0);
    ck_assert_int_eq(optim_init(&fused, &cfg, m.nparams, NULL), 0);
    struct optim_segment seg[2 * MLP_MAX_LAYERS];
    int nseg = model_segments(&m, seg);
    size_t bytes = m.nparams * sizeof(float);
    float *params = malloc(bytes);
    float *grads = malloc(bytes);
    memcpy(params, m.params, bytes);
    memcpy(grads, m.grads, bytes);
    double sumsq[2 * MLP_MAX_LAYERS];
    optim_step(&plain, m.params, m.grads, seg, nseg, 0.01f);
    optim_step_sumsq(&fused, params, grads, seg, nseg, 0.01f, sumsq);
    for (int l = 0; l < m.nlayers; l++)
        ck_assert(sumsq[2 * l] + sumsq[2 * l + 1] == expected[l]);
    ck_assert_mem_eq(params, m.params, bytes);
    ck_assert_mem_eq(grads, m.grads, bytes);
    ck_assert_mem_eq(fused.m, plain.m, bytes);
    if (kind == OPTIM_ADAM)
        ck_assert_mem_eq(fused.v, plain.v, bytes);
    free(params);
    free(grads);
    optim_free(&plain);
    optim_free(&fused);
    mlp_free(&m);
}

START_TEST(test_fused_step_reports_grad_sumsq_bit_for_bit)
{
    check_fused_sumsq(OPTIM_SGD);
    check_fused_sumsq(OPTIM_ADAM);
}
END_TEST

static Suite *mlp_suite(void)
{
    Suite *s = suite_create("mlp");
    TCase *grad = tcase_create("gradients");
    tcase_set_timeout(grad, 60);
    tcase_add_test(grad, test_gradient_of_dense_layers_without_hidden_layer);
    tcase_add_test(grad, test_gradient_of_dense_relu_layers_matches_finite_differences);
    tcase_add_test(grad, test_gradient_of_dense_tanh_layers_matches_finite_differences);
    tcase_add_test(grad,
                   test_gradient_of_softmax_cross_entropy_matches_finite_differences);
    tcase_add_test(grad, test_softmax_cross_entropy_values_and_accuracy);
    tcase_add_test(grad, test_gradient_with_weight_decay_matches_finite_differences);
    tcase_add_test(grad, test_gradient_through_dropout_matches_finite_differences);
    tcase_add_test(grad, test_gradient_with_class_weights_matches_finite_differences);
    tcase_add_test(grad, test_dropout_drops_at_its_rate_and_scales_the_rest);
    tcase_add_test(grad, test_training_forward_without_dropout_draws_nothing);
    suite_add_tcase(s, grad);

    TCase *paths = tcase_create("paths");
    tcase_set_timeout(paths, 30);
    tcase_add_test(paths, test_sgemm_path_matches_naive_reference_relu);
    tcase_add_test(paths, test_sgemm_path_matches_naive_reference_tanh);
    tcase_add_test(paths, test_forward_is_bitwise_repeatable);
    tcase_add_test(paths, test_init_uses_he_for_relu_and_glorot_for_tanh);
    tcase_add_test(paths, test_grad_sumsq_and_scaling_match_plain_sums);
    suite_add_tcase(s, paths);

    TCase *optim = tcase_create("optim");
    tcase_set_timeout(optim, 30);
    tcase_add_test(optim, test_sgd_momentum_steps_match_hand_computed_values);
    tcase_add_test(optim, test_adam_steps_match_hand_computed_values);
    tcase_add_test(optim, test_sgdw_decoupled_decay_matches_hand_computed_values);
    tcase_add_test(optim, test_adamw_decoupled_decay_matches_hand_computed_values);
    tcase_add_test(optim, test_optimizer_leaves_padding_alone);
    tcase_add_test(optim, test_fused_step_reports_grad_sumsq_bit_for_bit);
    suite_add_tcase(s, optim);
    return s;
}

int main(void)
{
    return hp_check_run(mlp_suite());
}
