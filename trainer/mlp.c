/*
 * The multilayer perceptron. See mlp.h for the contracts.
 *
 * Shapes, row-major throughout, for a batch of B rows and layer l with
 * in = size[l-1], out = size[l]:
 *
 *   forward    Z (B, out) = H (B, in) . W^T (in, out)       then + b, activation
 *   backward   dW (out, in) = dZ^T (out, B) . H (B, in)
 *              db (out)     = column sums of dZ
 *              dH (B, in)   = dZ (B, out) . W (out, in)      then * activation'
 *
 * Every loop that reduces runs in a fixed order, so that a run is bitwise
 * reproducible with a single BLAS thread.
 */
#include "mlp.h"

#include <cblas.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vectorize.h"

/* 64-byte alignment: a cache line, and the widest vector loads. */
static void *alloc_floats(size_t count)
{
    void *p = NULL;
    if (count == 0)
        count = 1;
    if (posix_memalign(&p, 64, count * sizeof(float)) != 0)
        return NULL;
    memset(p, 0, count * sizeof(float));
    return p;
}

/* Rounds a float count up to whole cache lines, so that every buffer carved
 * out of one block starts 64-byte aligned. */
static size_t round_up16(size_t count)
{
    return (count + 15) & ~(size_t)15;
}

int mlp_init(struct mlp *m, const int *sizes, int nlayers, enum activation act,
             size_t max_batch, struct hp_error *err)
{
    memset(m, 0, sizeof *m);
    if (nlayers < 1 || nlayers > MLP_MAX_LAYERS)
        return hp_error_set(err, NULL, "a model needs 1 to %d dense layers, got %d",
                            MLP_MAX_LAYERS, nlayers);
    if (max_batch < 1)
        return hp_error_set(err, NULL, "max_batch must be >= 1");
    m->nlayers = nlayers;
    m->activation = act;
    m->max_batch = max_batch;
    int widest = 0;
    for (int l = 0; l <= nlayers; l++) {
        if (sizes[l] < 1 || sizes[l] > (1 << 20))
            return hp_error_set(err, NULL, "layer size %d is out of range (1..%d)",
                                sizes[l], 1 << 20);
        m->size[l] = sizes[l];
        if (sizes[l] > widest)
            widest = sizes[l];
    }

    /* Each layer's weights then biases, each rounded to whole cache lines. */
    size_t total = 0;
    for (int l = 0; l < nlayers; l++) {
        size_t in = (size_t)sizes[l];
        size_t out = (size_t)sizes[l + 1];
        total += round_up16(out * in) + round_up16(out);
    }
    m->nparams = total;
    m->params = alloc_floats(total);
    m->grads = alloc_floats(total);

    size_t acts = 0;
    for (int l = 1; l <= nlayers; l++)
        acts += round_up16(max_batch * (size_t)sizes[l]);
    size_t delta = round_up16(max_batch * (size_t)widest);
    m->block = alloc_floats(acts + 2 * delta);
    if (!m->params || !m->grads || !m->block) {
        mlp_free(m);
        return hp_error_set(err, NULL, "out of memory allocating the model");
    }

    size_t off = 0;
    for (int l = 0; l < nlayers; l++) {
        size_t in = (size_t)sizes[l];
        size_t out = (size_t)sizes[l + 1];
        struct dense *p = &m->layer[l];
        struct dense *g = &m->grad[l];
        p->in = g->in = (int)in;
        p->out = g->out = (int)out;
        p->w = m->params + off;
        g->w = m->grads + off;
        off += round_up16(out * in);
        p->b = m->params + off;
        g->b = m->grads + off;
        off += round_up16(out);
    }
    float *cursor = m->block;
    for (int l = 1; l <= nlayers; l++) {
        m->act[l] = cursor;
        cursor += round_up16(max_batch * (size_t)sizes[l]);
    }
    m->delta[0] = cursor;
    m->delta[1] = cursor + delta;
    m->grads_zero = 1;
    return 0;
}

void mlp_free(struct mlp *m)
{
    free(m->params);
    free(m->grads);
    free(m->block);
    for (int l = 0; l <= MLP_MAX_LAYERS; l++) {
        free(m->mask[l]);
        free(m->dropped[l]);
    }
    memset(m, 0, sizeof *m);
}

void mlp_init_weights(struct mlp *m, struct hp_pcg32 *rng)
{
    memset(m->params, 0, m->nparams * sizeof(float));
    for (int l = 0; l < m->nlayers; l++) {
        struct dense *p = &m->layer[l];
        int last = l == m->nlayers - 1;
        double std = (m->activation == ACT_RELU && !last) ? sqrt(2.0 / p->in)
                                                          : sqrt(2.0 / (p->in + p->out));
        size_t count = (size_t)p->out * (size_t)p->in;
        for (size_t i = 0; i < count; i++)
            p->w[i] = (float)(std * hp_pcg32_normal(rng));
    }
}

/* Adds the bias to each row of z (n, out) and applies the activation, in one
 * pass over the memory. */
VECTORIZE_CLONES
static void bias_activate(float *z, const float *b, size_t n, int out,
                          enum activation act)
{
    for (size_t i = 0; i < n; i++) {
        float *row = z + i * (size_t)out;
        if (act == ACT_RELU) {
            for (int j = 0; j < out; j++) {
                float v = row[j] + b[j];
                row[j] = v > 0.0f ? v : 0.0f;
            }
        } else {
            for (int j = 0; j < out; j++)
                row[j] = tanhf(row[j] + b[j]);
        }
    }
}

VECTORIZE_CLONES
static void bias_add(float *z, const float *b, size_t n, int out)
{
    for (size_t i = 0; i < n; i++) {
        float *row = z + i * (size_t)out;
        for (int j = 0; j < out; j++)
            row[j] += b[j];
    }
}

int mlp_set_dropout(struct mlp *m, const float *rates, struct hp_error *err)
{
    for (int i = 0; i < m->nlayers - 1; i++)
        if (!(rates[i] >= 0.0f && rates[i] < 1.0f))
            return hp_error_set(err, NULL, "dropout rate %g is not in [0, 1)",
                                (double)rates[i]);
    for (int i = 0; i < m->nlayers - 1; i++) {
        int l = i + 1;
        m->rate[l] = rates[i];
        if (rates[i] == 0.0f || m->mask[l])
            continue;
        m->mask[l] = alloc_floats(m->max_batch * (size_t)m->size[l]);
        m->dropped[l] = alloc_floats(m->max_batch * (size_t)m->size[l]);
        if (!m->mask[l] || !m->dropped[l])
            return hp_error_set(err, NULL, "out of memory allocating dropout masks");
    }
    return 0;
}

/* Draws a mask for `count` units (0 with probability rate, else 1/(1-rate))
 * and applies it: out = in * mask. */
static void dropout_apply(float *out, float *mask, const float *in, size_t count,
                          float rate, struct hp_pcg32 *rng)
{
    float keep = 1.0f / (1.0f - rate);
    for (size_t i = 0; i < count; i++)
        mask[i] = hp_pcg32_float(rng) < rate ? 0.0f : keep;
    for (size_t i = 0; i < count; i++)
        out[i] = in[i] * mask[i];
}

static const float *forward(struct mlp *m, const float *x, size_t n, struct hp_pcg32 *rng)
{
    m->input = x;
    m->dropout_on = rng != NULL;
    const float *h = x;
    for (int l = 0; l < m->nlayers; l++) {
        const struct dense *p = &m->layer[l];
        float *z = m->act[l + 1];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)n, p->out, p->in, 1.0f,
                    h, p->in, p->w, p->in, 0.0f, z, p->out);
        if (l == m->nlayers - 1) {
            bias_add(z, p->b, n, p->out);
            break;
        }
        bias_activate(z, p->b, n, p->out, m->activation);
        h = z;
        if (rng && m->rate[l + 1] > 0.0f) {
            dropout_apply(m->dropped[l + 1], m->mask[l + 1], z, n * (size_t)p->out,
                          m->rate[l + 1], rng);
            h = m->dropped[l + 1];
        }
    }
    return m->act[m->nlayers];
}

const float *mlp_forward(struct mlp *m, const float *x, size_t n)
{
    return forward(m, x, n, NULL);
}

const float *mlp_forward_train(struct mlp *m, const float *x, size_t n,
                               struct hp_pcg32 *rng)
{
    return forward(m, x, n, rng);
}

int mlp_argmax(const float *logits, int classes)
{
    int best = 0;
    for (int j = 1; j < classes; j++)
        if (logits[j] > logits[best])
            best = j;
    return best;
}

double mlp_softmax_xent(const float *logits, const int32_t *y, size_t n, int classes,
                        float *dlogits, float grad_scale, size_t *correct)
{
    return mlp_softmax_xent_weighted(logits, y, n, classes, NULL, dlogits, grad_scale,
                                     correct);
}

double mlp_softmax_xent_weighted(const float *logits, const int32_t *y, size_t n,
                                 int classes, const float *class_weight, float *dlogits,
                                 float grad_scale, size_t *correct)
{
    double sum = 0.0;
    size_t right = 0;
    for (size_t i = 0; i < n; i++) {
        const float *z = logits + i * (size_t)classes;
        int label = y[i];
        float zmax = z[0];
        for (int j = 1; j < classes; j++)
            zmax = z[j] > zmax ? z[j] : zmax;
        /* NaN logits make zmax NaN, the loss NaN: divergence is detected by
         * the caller, never hidden here. */
        if (mlp_argmax(z, classes) == label)
            right++;
        /* With dlogits, each exponential is kept there so that it is computed
         * once; the sum runs in double, in order. */
        float *e = dlogits ? dlogits + i * (size_t)classes : NULL;
        double denom = 0.0;
        for (int j = 0; j < classes; j++) {
            float v = expf(z[j] - zmax);
            if (e)
                e[j] = v;
            denom += v;
        }
        double row_loss = log(denom) - ((double)z[label] - zmax);
        float row_scale = grad_scale;
        if (class_weight) {
            row_loss *= class_weight[label];
            row_scale *= class_weight[label];
        }
        sum += row_loss;
        if (dlogits) {
            float inv = (float)(1.0 / denom);
            for (int j = 0; j < classes; j++)
                e[j] = (e[j] * inv - (j == label ? 1.0f : 0.0f)) * row_scale;
        }
    }
    if (correct)
        *correct = right;
    return sum;
}

/* Bias gradient: db (out) += column sums of dz (n, out), rows in order; db
 * starts at 0. */
VECTORIZE_CLONES
static void bias_grad(float *db, const float *dz, size_t n, int out)
{
    for (size_t i = 0; i < n; i++) {
        const float *row = dz + i * (size_t)out;
        for (int j = 0; j < out; j++)
            db[j] += row[j];
    }
}

/* dh (n, width) *= activation'(h) where h is the activation's output. */
VECTORIZE_CLONES
static void activation_backward(float *dh, const float *h, size_t n, int width,
                                enum activation act)
{
    size_t count = n * (size_t)width;
    if (act == ACT_RELU) {
        for (size_t i = 0; i < count; i++)
            dh[i] = h[i] > 0.0f ? dh[i] : 0.0f;
    } else {
        for (size_t i = 0; i < count; i++)
            dh[i] *= 1.0f - h[i] * h[i];
    }
}

/* The input layer l saw in the last forward pass: the data, a hidden
 * output, or that output after dropout. */
static const float *layer_input(const struct mlp *m, int l)
{
    if (l == 0)
        return m->input;
    if (m->dropout_on && m->rate[l] > 0.0f)
        return m->dropped[l];
    return m->act[l];
}

/* dh (count) *= mask (count): the gradient through inverted dropout. */
VECTORIZE_CLONES
static void mask_backward(float *restrict dh, const float *restrict mask, size_t count)
{
    for (size_t i = 0; i < count; i++)
        dh[i] *= mask[i];
}

/* The loss of the last forward pass and its gradient with respect to the
 * logits, into dz: the mean over the rows, or with class weights the
 * weighted mean sum(w_y * loss) / sum(w_y) (as PyTorch's weighted
 * cross-entropy). Returns n times that mean. */
static double output_loss(struct mlp *m, const int32_t *y, size_t n, float *dz,
                          size_t *correct)
{
    int L = m->nlayers;
    const float *cw = m->class_weight;
    if (!cw)
        return mlp_softmax_xent(m->act[L], y, n, m->size[L], dz, 1.0f / (float)n,
                                correct);
    double wsum = 0.0;
    for (size_t i = 0; i < n; i++)
        wsum += cw[y[i]];
    float scale = wsum > 0.0 ? (float)(1.0 / wsum) : 0.0f;
    double sum =
        mlp_softmax_xent_weighted(m->act[L], y, n, m->size[L], cw, dz, scale, correct);
    return wsum > 0.0 ? sum * (double)n / wsum : 0.0;
}

/* Backpropagates dz, the gradient of the loss with respect to the outputs
 * of the last forward pass (n rows), into m->grads. */
static void backprop(struct mlp *m, size_t n, float *dz)
{
    /* The weight gradients accumulate (beta 1) onto zeros: the same sums as
     * beta 0, without the BLAS library clearing each matrix first. */
    if (!m->grads_zero)
        memset(m->grads, 0, m->nparams * sizeof *m->grads);
    m->grads_zero = 0;
    for (int l = m->nlayers - 1; l >= m->frozen; l--) {
        const struct dense *p = &m->layer[l];
        const struct dense *g = &m->grad[l];
        const float *h = layer_input(m, l);
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, p->out, p->in, (int)n, 1.0f,
                    dz, p->out, h, p->in, 1.0f, g->w, p->in);
        bias_grad(g->b, dz, n, p->out);
        if (l == m->frozen)
            break; /* nothing below learns: neither the input nor frozen layers */
        float *dh = dz == m->delta[0] ? m->delta[1] : m->delta[0];
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)n, p->in, p->out,
                    1.0f, dz, p->out, p->w, p->in, 0.0f, dh, p->in);
        if (h != m->act[l])
            mask_backward(dh, m->mask[l], n * (size_t)p->in);
        activation_backward(dh, m->act[l], n, p->in, m->activation);
        dz = dh;
    }
}

double mlp_backward(struct mlp *m, const int32_t *y, size_t n, size_t *correct)
{
    float *dz = m->delta[0];
    double loss = output_loss(m, y, n, dz, correct);
    backprop(m, n, dz);
    return loss;
}

double mlp_squared_error(const float *out, const float *t, size_t n, int width,
                         float *dout, float grad_scale)
{
    double sum = 0.0;
    size_t count = n * (size_t)width;
    for (size_t i = 0; i < count; i++) {
        double e = (double)out[i] - t[i];
        sum += e * e;
        if (dout)
            dout[i] = (float)(2.0 * e) * grad_scale;
    }
    return sum;
}

double mlp_backward_mse(struct mlp *m, const float *t, size_t n)
{
    float *dz = m->delta[0];
    int width = m->size[m->nlayers];
    double sum = mlp_squared_error(m->act[m->nlayers], t, n, width, dz,
                                   1.0f / (float)(n * (size_t)width));
    backprop(m, n, dz);
    return sum;
}

/* Sum of squares in LANES independent float accumulators, lane k taking
 * elements k, k + LANES, ...; the lanes and the tail are then added in
 * double, in order. The vectorizer maps lanes to vector elements, so the
 * result is the same at every vector width. */
VECTORIZE_CLONES
static double sum_squares(const float *restrict v, size_t n)
{
    enum { LANES = 16 };
    float acc[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES)
        for (int k = 0; k < LANES; k++)
            acc[k] += v[i + k] * v[i + k];
    double total = 0.0;
    for (int k = 0; k < LANES; k++)
        total += acc[k];
    for (; i < n; i++)
        total += (double)v[i] * v[i];
    return total;
}

void mlp_grad_sumsq(const struct mlp *m, double *sumsq)
{
    for (int l = 0; l < m->nlayers; l++) {
        const struct dense *g = &m->grad[l];
        sumsq[l] = sum_squares(g->w, (size_t)g->out * (size_t)g->in) +
                   sum_squares(g->b, (size_t)g->out);
    }
}

VECTORIZE_CLONES
static void scale(float *restrict v, size_t n, float factor)
{
    for (size_t i = 0; i < n; i++)
        v[i] *= factor;
}

void mlp_scale_grads(struct mlp *m, float factor)
{
    scale(m->grads, m->nparams, factor);
}

/* ---- the naive reference ------------------------------------------------ */

const float *mlp_forward_naive(struct mlp *m, const float *x, size_t n)
{
    m->input = x;
    m->dropout_on = 0;
    const float *h = x;
    for (int l = 0; l < m->nlayers; l++) {
        const struct dense *p = &m->layer[l];
        float *z = m->act[l + 1];
        int hidden = l < m->nlayers - 1;
        for (size_t i = 0; i < n; i++) {
            for (int o = 0; o < p->out; o++) {
                float s = p->b[o];
                for (int k = 0; k < p->in; k++)
                    s += h[i * (size_t)p->in + k] * p->w[(size_t)o * p->in + k];
                if (hidden)
                    s = m->activation == ACT_RELU ? (s > 0.0f ? s : 0.0f) : tanhf(s);
                z[i * (size_t)p->out + o] = s;
            }
        }
        h = z;
    }
    return m->act[m->nlayers];
}

double mlp_backward_naive(struct mlp *m, const int32_t *y, size_t n, size_t *correct)
{
    m->grads_zero = 0;
    int L = m->nlayers;
    float *dz = m->delta[0];
    double loss = output_loss(m, y, n, dz, correct);
    for (int l = L - 1; l >= 0; l--) {
        const struct dense *p = &m->layer[l];
        const struct dense *g = &m->grad[l];
        const float *h = l == 0 ? m->input : m->act[l];
        for (int o = 0; o < p->out; o++) {
            float sb = 0.0f;
            for (size_t i = 0; i < n; i++)
                sb += dz[i * (size_t)p->out + o];
            g->b[o] = sb;
            for (int k = 0; k < p->in; k++) {
                float sw = 0.0f;
                for (size_t i = 0; i < n; i++)
                    sw += dz[i * (size_t)p->out + o] * h[i * (size_t)p->in + k];
                g->w[(size_t)o * p->in + k] = sw;
            }
        }
        if (l == 0)
            break;
        float *dh = dz == m->delta[0] ? m->delta[1] : m->delta[0];
        for (size_t i = 0; i < n; i++) {
            for (int k = 0; k < p->in; k++) {
                float s = 0.0f;
                for (int o = 0; o < p->out; o++)
                    s += dz[i * (size_t)p->out + o] * p->w[(size_t)o * p->in + k];
                float hv = h[i * (size_t)p->in + k];
                if (m->activation == ACT_RELU)
                    s = hv > 0.0f ? s : 0.0f;
                else
                    s *= 1.0f - hv * hv;
                dh[i * (size_t)p->in + k] = s;
            }
        }
        dz = dh;
    }
    return loss;
}

double mlp_l2_penalty(const struct mlp *m)
{
    double sum = 0.0;
    for (int l = 0; l < m->nlayers; l++) {
        const struct dense *p = &m->layer[l];
        size_t count = (size_t)p->out * (size_t)p->in;
        for (size_t i = 0; i < count; i++)
            sum += (double)p->w[i] * p->w[i];
    }
    return 0.5 * sum;
}
