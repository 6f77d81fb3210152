/*
 * The optimizers: SGD with momentum and Adam, with L2 weight decay.
 *
 * An optimizer updates a parameter block in place from a gradient block of the
 * same layout. The block is described by segments, so that weights and biases
 * can be treated differently (weight decay applies to weights only) and so
 * that padding between tensors is never touched.
 *
 * This file owns the update rules and the optimizer's state (momentum
 * buffers, Adam's moments, the step count). It does not know about layers.
 */
#ifndef OPTIM_H
#define OPTIM_H

#include <stddef.h>

#include "error.h"

/* The order matches the --optimizer choices. */
enum optim_kind { OPTIM_SGD, OPTIM_ADAM };

struct optim_config {
    enum optim_kind kind;
    float momentum;     /* SGD: 0 for plain SGD */
    float beta1, beta2; /* Adam */
    float eps;          /* Adam */
    float weight_decay; /* see `decoupled` */
    int decoupled;      /* 0: L2, weight_decay * w is added to the gradient;
                           1: decoupled (AdamW, SGDW), w shrinks by lr * weight_decay
                           before the update, apart from the gradient */
};

/* A run of parameters that are updated alike. */
struct optim_segment {
    size_t offset, count; /* into the parameter block, in floats */
    int decay;            /* 1: weight decay applies (weights); 0: it does not (biases) */
};

struct optim {
    struct optim_config cfg;
    size_t nparams;
    float *m;       /* (nparams) SGD: velocity; Adam: first moment. Owned. */
    float *v;       /* (nparams) Adam: second moment; NULL for SGD. Owned. */
    long long step; /* updates done so far */
};

/* Allocates the state for a block of nparams floats, zeroed. Returns 0, or -1
 * with `err` set (out of memory); on failure nothing needs freeing. */
int optim_init(struct optim *o, const struct optim_config *cfg, size_t nparams,
               struct hp_error *err);

/* Releases the state; safe on a zeroed struct. */
void optim_free(struct optim *o);

/* One update with learning rate lr of every segment of params from grads
 * (both of nparams floats). For a decayed segment, with L2 decay the gradient
 * used is g + weight_decay * w; with decoupled decay w first becomes
 * w * (1 - lr * weight_decay) and g is used as it is. Then
 *   SGD:  v = momentum * v + g;  w -= lr * v
 *   Adam: m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;
 *         w -= lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
 * (t counts from 1, as in PyTorch's Adam, AdamW and SGD.) The segments of
 * grads are set to 0 as they are consumed (in the same pass), so that the
 * next backward pass can accumulate into them (see mlp.grads_zero). */
void optim_step(struct optim *o, float *params, float *grads,
                const struct optim_segment *seg, int nseg, float lr);

/* optim_step that also reports, in sumsq[0 .. nseg), each segment's sum of
 * the squared gradients it consumed (as they came in, before weight decay),
 * summed exactly as mlp_grad_sumsq sums a layer's weights or biases: so
 * sumsq[2i] + sumsq[2i + 1] over a layer's weight and bias segments is the
 * same double, bit for bit, as mlp_grad_sumsq's for that layer, at no extra
 * pass over memory. sumsq may be NULL (then this is optim_step). */
void optim_step_sumsq(struct optim *o, float *params, float *grads,
                      const struct optim_segment *seg, int nseg, float lr, double *sumsq);

#endif
