/*
 * SGD with momentum and Adam. See optim.h for the contracts.
 *
 * The inner loops are written so that the compiler vectorizes them: no
 * branches on the element, constants hoisted, one pass over each array.
 */
#include "optim.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "vectorize.h"

static float *alloc_zeroed(size_t count)
{
    void *p = NULL;
    if (posix_memalign(&p, 64, (count ? count : 1) * sizeof(float)) != 0)
        return NULL;
    memset(p, 0, (count ? count : 1) * sizeof(float));
    return p;
}

int optim_init(struct optim *o, const struct optim_config *cfg, size_t nparams,
               struct hp_error *err)
{
    memset(o, 0, sizeof *o);
    o->cfg = *cfg;
    o->nparams = nparams;
    o->m = alloc_zeroed(nparams);
    if (cfg->kind == OPTIM_ADAM)
        o->v = alloc_zeroed(nparams);
    if (!o->m || (cfg->kind == OPTIM_ADAM && !o->v)) {
        optim_free(o);
        return hp_error_set(err, NULL, "out of memory allocating the optimizer state");
    }
    return 0;
}

void optim_free(struct optim *o)
{
    free(o->m);
    free(o->v);
    memset(o, 0, sizeof *o);
}

/* Both updates run over a segment in blocks of LANES elements, and sum the
 * squares of the gradients they consume into LANES float accumulators on the
 * way (lane k taking elements k, k + LANES, ...), then add the lanes and the
 * tail in double, in order: the very sum mlp_grad_sumsq makes, bit for bit,
 * without a pass of its own over the gradient. The vectorizer maps lanes to
 * vector elements, so the result is the same at every vector width. */
enum { LANES = 16 };

static double lanes_total(const float *acc)
{
    double total = 0.0;
    for (int k = 0; k < LANES; k++)
        total += acc[k];
    return total;
}

VECTORIZE_CLONES
static double sgd_segment(float *restrict w, float *restrict g, float *restrict v,
                          size_t n, float lr, float momentum, float wd, float shrink)
{
    float acc[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        for (int k = 0; k < LANES; k++) {
            float gk = g[i + k];
            acc[k] += gk * gk;
            float grad = gk + wd * w[i + k];
            g[i + k] = 0.0f;
            float vel = momentum * v[i + k] + grad;
            v[i + k] = vel;
            w[i + k] = w[i + k] * shrink - lr * vel;
        }
    }
    double total = lanes_total(acc);
    for (; i < n; i++) {
        total += (double)g[i] * g[i];
        float grad = g[i] + wd * w[i];
        g[i] = 0.0f;
        float vel = momentum * v[i] + grad;
        v[i] = vel;
        w[i] = w[i] * shrink - lr * vel;
    }
    return total;
}

VECTORIZE_CLONES
static double adam_segment(float *restrict w, float *restrict g, float *restrict m,
                           float *restrict v, size_t n, float b1, float b2,
                           float step_size, float inv_sqrt_c2, float eps, float wd,
                           float shrink)
{
    float one_b1 = 1.0f - b1;
    float one_b2 = 1.0f - b2;
    float acc[LANES] = {0};
    size_t i = 0;
    for (; i + LANES <= n; i += LANES) {
        for (int k = 0; k < LANES; k++) {
            float gk = g[i + k];
            acc[k] += gk * gk;
            float grad = gk + wd * w[i + k];
            g[i + k] = 0.0f;
            float mi = b1 * m[i + k] + one_b1 * grad;
            float vi = b2 * v[i + k] + one_b2 * grad * grad;
            m[i + k] = mi;
            v[i + k] = vi;
            w[i + k] =
                w[i + k] * shrink - step_size * mi / (sqrtf(vi) * inv_sqrt_c2 + eps);
        }
    }
    double total = lanes_total(acc);
    for (; i < n; i++) {
        total += (double)g[i] * g[i];
        float grad = g[i] + wd * w[i];
        g[i] = 0.0f;
        float mi = b1 * m[i] + one_b1 * grad;
        float vi = b2 * v[i] + one_b2 * grad * grad;
        m[i] = mi;
        v[i] = vi;
        w[i] = w[i] * shrink - step_size * mi / (sqrtf(vi) * inv_sqrt_c2 + eps);
    }
    return total;
}

void optim_step(struct optim *o, float *params, float *grads,
                const struct optim_segment *seg, int nseg, float lr)
{
    optim_step_sumsq(o, params, grads, seg, nseg, lr, NULL);
}

void optim_step_sumsq(struct optim *o, float *params, float *grads,
                      const struct optim_segment *seg, int nseg, float lr, double *sumsq)
{
    const struct optim_config *c = &o->cfg;
    o->step++;
    /* Multiplying by a shrink of exactly 1 and adding 0 * w leave w's bits
     * alone, so one loop serves both kinds of decay and none. */
    float l2 = c->decoupled ? 0.0f : c->weight_decay;
    float shrink = c->decoupled ? (float)(1.0 - (double)lr * c->weight_decay) : 1.0f;
    if (c->kind == OPTIM_SGD) {
        for (int s = 0; s < nseg; s++) {
            size_t off = seg[s].offset;
            int decay = seg[s].decay;
            double ss =
                sgd_segment(params + off, grads + off, o->m + off, seg[s].count, lr,
                            c->momentum, decay ? l2 : 0.0f, decay ? shrink : 1.0f);
            if (sumsq)
                sumsq[s] = ss;
        }
        return;
    }
    /* Bias corrections in double, then rounded once. */
    double t = (double)o->step;
    double c1 = 1.0 - pow((double)c->beta1, t);
    double c2 = 1.0 - pow((double)c->beta2, t);
    float step_size = (float)(lr / c1);
    float inv_sqrt_c2 = (float)(1.0 / sqrt(c2));
    for (int s = 0; s < nseg; s++) {
        size_t off = seg[s].offset;
        int decay = seg[s].decay;
        double ss = adam_segment(params + off, grads + off, o->m + off, o->v + off,
                                 seg[s].count, c->beta1, c->beta2, step_size, inv_sqrt_c2,
                                 c->eps, decay ? l2 : 0.0f, decay ? shrink : 1.0f);
        if (sumsq)
            sumsq[s] = ss;
    }
}
