/*
 * The multilayer perceptron: dense layers with ReLU or tanh between them and a
 * softmax cross-entropy loss on top, forward and backward on cblas_sgemm.
 *
 * Memory is allocated once, in mlp_init: one contiguous block of parameters
 * (layer after layer, each layer's weights then its biases), a gradient block
 * of the same layout, and the activations and deltas for up to `max_batch`
 * rows. The forward, backward and loss functions never allocate.
 *
 * Beside the sgemm path sits a naive reference (plain loops, the same
 * arithmetic written the obvious way) that the tests compare against.
 *
 * This file owns the model's arithmetic. It does not own the optimizer
 * (optim.c), the data (data.c) or the file format (checkpoint.c).
 */
#ifndef MLP_H
#define MLP_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "pcg32.h"

enum { MLP_MAX_LAYERS = 17 }; /* dense layers: up to 16 hidden + the output */

/* The order matches the --activation choices. */
enum activation { ACT_RELU, ACT_TANH };

/* A view of one dense layer's tensors inside a parameter or gradient block. */
struct dense {
    int in, out;
    float *w; /* (out, in) */
    float *b; /* (out) */
};

struct mlp {
    int nlayers;                  /* dense layers; nlayers - 1 hidden layers */
    int size[MLP_MAX_LAYERS + 1]; /* size[0] inputs ... size[nlayers] classes */
    enum activation activation;
    size_t nparams;
    float *params;                      /* (nparams) every weight and bias, owned */
    float *grads;                       /* (nparams) same layout as params, owned */
    struct dense layer[MLP_MAX_LAYERS]; /* views into params */
    struct dense grad[MLP_MAX_LAYERS];  /* views into grads */
    size_t max_batch;
    /* act[0] is the caller's input of the last forward call (borrowed);
     * act[l] for l >= 1 is layer l's output (max_batch, size[l]): after the
     * activation for hidden layers, the logits for the last one. */
    const float *input;
    float *act[MLP_MAX_LAYERS + 1];
    float *delta[2]; /* (max_batch, max size) ping-pong buffers */
    float *block;    /* owned allocation behind act and delta */
    /* Dropout after hidden layer outputs: rate[l] for act[l], 1 <= l <
     * nlayers (0: none). mask[l] (max_batch, size[l]) holds 0 or 1/(1-rate)
     * for each unit of the last training forward pass, and dropped[l] the
     * output the next layer saw, act[l] * mask[l]. NULL where rate[l] is 0. */
    float rate[MLP_MAX_LAYERS + 1];
    float *mask[MLP_MAX_LAYERS + 1];
    float *dropped[MLP_MAX_LAYERS + 1];
    int dropout_on; /* the last forward pass applied dropout */
    /* (classes) the loss weight of each class in training, or NULL for
     * none. Borrowed. */
    const float *class_weight;
    int frozen; /* the first `frozen` dense layers get no gradient (transfer) */
    /* Every gradient is known to be 0 (after mlp_init, or when the caller has
     * had optim_step zero them): the next backward pass accumulates into
     * them instead of clearing them first, sparing a pass over memory. */
    int grads_zero;
};

/* Sets up a model with sizes[0..nlayers] (inputs, hidden..., classes) and
 * allocates every buffer for batches of up to max_batch rows. Parameters start
 * at zero; call mlp_init_weights. Returns 0, or -1 with `err` set (bad sizes,
 * out of memory); on failure nothing needs freeing. */
int mlp_init(struct mlp *m, const int *sizes, int nlayers, enum activation act,
             size_t max_batch, struct hp_error *err);

/* Releases what mlp_init allocated; safe on a zeroed struct. */
void mlp_free(struct mlp *m);

/* Draws the weights from `rng` (the init stream): He normal, std sqrt(2/in),
 * for the layers that feed a ReLU; Glorot normal, std sqrt(2/(in+out)), for
 * those that feed a tanh and for the output layer. Biases are zero. */
void mlp_init_weights(struct mlp *m, struct hp_pcg32 *rng);

/* Sets the dropout rate after each hidden layer: rates[i] (0 <= rate < 1) for
 * hidden layer i + 1, i < nlayers - 1, and allocates the masks. Returns 0, or
 * -1 with `err` set (bad rate, out of memory). */
int mlp_set_dropout(struct mlp *m, const float *rates, struct hp_error *err);

/* Forward pass of n <= max_batch rows of x (n, size[0]), without dropout
 * (evaluation). Returns the logits (n, classes), which live in the model
 * until the next forward call. */
const float *mlp_forward(struct mlp *m, const float *x, size_t n);

/* The training forward pass: as mlp_forward, but with inverted dropout after
 * each hidden layer that has a rate, its masks drawn from `rng` (the dropout
 * stream: one hp_pcg32_float per unit and row, layer by layer, row-major).
 * Without any rate it draws nothing and equals mlp_forward. */
const float *mlp_forward_train(struct mlp *m, const float *x, size_t n,
                               struct hp_pcg32 *rng);

/* Softmax cross-entropy of logits (n, classes) against labels y (n).
 * Returns the SUM of the per-row losses (in double, rows in order). When
 * `dlogits` is not NULL it receives (softmax - onehot) * grad_scale, the
 * gradient of grad_scale * sum. When `correct` is not NULL it receives the
 * number of rows whose largest logit (first on ties) is the label.
 * Numerically stable: the row's maximum is subtracted before exp. */
double mlp_softmax_xent(const float *logits, const int32_t *y, size_t n, int classes,
                        float *dlogits, float grad_scale, size_t *correct);

/* mlp_softmax_xent with a weight per class: row i's loss and gradient are
 * multiplied by class_weight[y[i]] (NULL: all 1). */
double mlp_softmax_xent_weighted(const float *logits, const int32_t *y, size_t n,
                                 int classes, const float *class_weight, float *dlogits,
                                 float grad_scale, size_t *correct);

/* Runs softmax cross-entropy on the last forward pass's logits with
 * grad_scale = 1/n (the gradient of the mean loss), then backpropagates
 * (through the dropout masks when the pass was a training one): m->grads
 * receives the gradient of the mean loss over the n rows of the last forward
 * call (none for the first m->frozen layers, whose grads are left as they
 * are). Returns the loss sum as mlp_softmax_xent does. With m->class_weight
 * set, the loss is the weighted mean sum(w_y * loss) / sum(w_y) over the
 * rows (PyTorch's weighted cross-entropy), and the value returned is n times
 * it. */
double mlp_backward(struct mlp *m, const int32_t *y, size_t n, size_t *correct);

/* Squared error of outputs out (n, width) against targets t (n, width).
 * Returns the sum of squares (in double, in order). When dout is not NULL it
 * receives 2 (out - t) * grad_scale, the gradient of grad_scale * sum. */
double mlp_squared_error(const float *out, const float *t, size_t n, int width,
                         float *dout, float grad_scale);

/* The regression backward pass: m->grads receives the gradient of the mean
 * squared error (over the n rows and the outputs) of the last forward pass
 * against targets t (n, outputs). Returns the sum of squared errors. */
double mlp_backward_mse(struct mlp *m, const float *t, size_t n);

/* The naive reference: the same contracts as mlp_forward and mlp_backward
 * (without dropout), written as plain loops without BLAS. For the tests. */
const float *mlp_forward_naive(struct mlp *m, const float *x, size_t n);
double mlp_backward_naive(struct mlp *m, const int32_t *y, size_t n, size_t *correct);

/* The squared L2 norm of each layer's gradient (weights and biases) from the
 * last backward pass, into sumsq[0 .. nlayers). The sum runs in 16 float
 * lanes combined in double, the same order at every vector width. */
void mlp_grad_sumsq(const struct mlp *m, double *sumsq);

/* Multiplies the whole gradient by `factor` (gradient-norm clipping). */
void mlp_scale_grads(struct mlp *m, float factor);

/* The L2 penalty 0.5 * sum of squared weights (biases excluded), in double.
 * Its gradient is the weights themselves; optim.c adds weight_decay * w to the
 * weight gradients when it steps. Reported for the tests only: the trainer's
 * train_loss is the data loss alone. */
double mlp_l2_penalty(const struct mlp *m);

/* Index of the largest of `classes` logits (the first one on ties; NaN never
 * wins). */
int mlp_argmax(const float *logits, int classes);

#endif
