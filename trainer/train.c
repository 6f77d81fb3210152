/*
 * The epoch loop. See train.h for the contract.
 *
 * Randomness: PCG32 streams derived from --seed, one per purpose (weight init,
 * shuffling, dropout, augmentation), so that a draw added for one purpose
 * never shifts another's sequence. Each epoch's order is the training rows in
 * ascending order, shuffled by Fisher-Yates from the shuffle stream.
 *
 * Resume: the run's progress (progress.h) plus three sets of tensors (the
 * weights, the best epoch's weights, the optimizer's moments) are what
 * last.ckpt holds. It is written after every epoch, and at the batch boundary
 * where a SIGTERM or SIGINT is noticed; loading it puts the run back exactly
 * where it was, down to the position inside the epoch.
 *
 * Memory: everything is allocated before the first epoch: the model and its
 * buffers (for EVAL_BATCH rows or the batch size, whichever is larger), the
 * optimizer's state, one batch of inputs, the epoch's row order and a copy of
 * the best epoch's weights. The loop itself never allocates.
 */
#include "train.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "augment.h"
#include "checkpoint.h"
#include "path.h"
#include "metric_line.h"
#include "metrics.h"
#include "mlp.h"
#include "optim.h"
#include "pcg32.h"
#include "progress.h"
#include "schedule.h"

enum {
    EVAL_BATCH = 1024,
    MAX_LISTED_CLASSES = 32,   /* per-class lists and matrices in lines up to this */
    PURPOSE_INIT = 0x696e6974, /* "init" */
    PURPOSE_SHUFFLE = 0x73687566666cULL,   /* "shuffl" */
    PURPOSE_DROPOUT = 0x64726f706f7574ULL, /* "dropout" */
    PURPOSE_AUGMENT = 0x6175676d656e74ULL, /* "augment" */
};

static const char BEST_NAME[] = "best.ckpt";
static const char LAST_NAME[] = "last.ckpt";

/* The signal that asked the run to stop, or 0. Set by the handler only. */
static volatile sig_atomic_t stop_signal = 0;

static void on_stop_signal(int sig)
{
    stop_signal = sig;
}

int train_catch_signals(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESTART;
    if (sigaction(SIGTERM, &sa, NULL) != 0 || sigaction(SIGINT, &sa, NULL) != 0)
        return -1;
    return 0;
}

/* One training run. Fields start at sentinels so that trainer_free can
 * release a half-built trainer. */
struct trainer {
    const struct options *opt;
    const struct data *d;
    FILE *out;
    struct mlp model;
    struct optim optim;
    struct optim_segment seg[2 * MLP_MAX_LAYERS];
    int nseg;
    float *x;        /* (max_batch, dim) the current batch's inputs */
    int32_t *y;      /* (max_batch) its labels */
    uint32_t *order; /* (train rows) this epoch's order */
    float *best;     /* (nparams) the best epoch's parameters */
    json_t *config;  /* the options, recorded in checkpoints */
    struct schedule schedule;
    double last_lr;             /* the rate of the last update */
    struct confusion confusion; /* of the last evaluation */
    int regression;             /* the data has targets, not labels */
    float *targets;             /* (max_batch) regression: the batch's targets */
    struct augment augment;
    float *scratch;               /* (dim) for augment_batch */
    struct class_rows class_rows; /* the training rows by class */
    float *class_weight;          /* (classes) --class-weights balanced, else NULL */
    struct progress prog;
    char best_path[HP_PATH_MAX];
    char last_path[HP_PATH_MAX];
    int io_failed; /* a checkpoint or a metric line could not be written */
    int timing;    /* HPSEARCH_TRAIN_TIMING: mark the first batch on stderr */
};

/* How an epoch (or the part of it that ran) ended. */
enum epoch_end { EPOCH_DONE, EPOCH_DIVERGED, EPOCH_STOPPED };

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static void diagnose(const struct hp_error *err)
{
    char text[2048];
    fprintf(stderr, "hpsearch-train: %s\n", hp_error_format(err, text, sizeof text));
}

/* mkdir -p: creates `path` and its missing parents. Returns 0 or -1 (errno). */
static int make_dirs(const char *path)
{
    char buf[4096];
    if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf) {
        errno = ENAMETOOLONG;
        return -1;
    }
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0777) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    if (mkdir(buf, 0777) != 0 && errno != EEXIST)
        return -1;
    struct stat st;
    if (stat(buf, &st) != 0)
        return -1;
    if (!S_ISDIR(st.st_mode)) {
        errno = ENOTDIR;
        return -1;
    }
    return 0;
}

static void trainer_free(struct trainer *t)
{
    mlp_free(&t->model);
    optim_free(&t->optim);
    free(t->x);
    free(t->y);
    free(t->order);
    free(t->best);
    json_decref(t->config);
    progress_free(&t->prog);
    metrics_confusion_free(&t->confusion);
    free(t->scratch);
    free(t->targets);
    data_class_rows_free(&t->class_rows);
    free(t->class_weight);
}

/* Transfer learning: takes the weights of --init-from (all, or all but the
 * output layer's with --new-head, which keeps its fresh initialization). */
static int init_from(struct trainer *t, struct hp_error *err)
{
    struct checkpoint ck;
    if (checkpoint_load(&ck, t->opt->init_from, err) < 0)
        return -1;
    int rc = checkpoint_load_transfer(&ck, &t->model, t->opt->new_head > 0,
                                      t->model.params, err);
    checkpoint_free(&ck);
    return rc;
}

static int trainer_init(struct trainer *t, const struct options *opt,
                        const struct data *d, FILE *out, struct hp_error *err)
{
    memset(t, 0, sizeof *t);
    t->opt = opt;
    t->d = d;
    t->out = out;

    int sizes[MLP_MAX_LAYERS + 1];
    int nlayers = opt->nhidden + 1;
    sizes[0] = (int)d->pool.dim;
    for (int i = 0; i < opt->nhidden; i++)
        sizes[i + 1] = opt->hidden[i];
    sizes[nlayers] = d->pool.classes;
    size_t max_batch = (size_t)opt->batch > EVAL_BATCH ? (size_t)opt->batch : EVAL_BATCH;
    if (mlp_init(&t->model, sizes, nlayers, (enum activation)opt->activation, max_batch,
                 err) < 0)
        return -1;

    struct optim_config oc = {
        .kind = (enum optim_kind)opt->optimizer,
        .momentum = (float)opt->momentum,
        .beta1 = 0.9f,
        .beta2 = 0.999f,
        .eps = 1e-8f,
        .weight_decay = (float)opt->weight_decay,
        .decoupled = opt->weight_decay_mode,
    };
    if (optim_init(&t->optim, &oc, t->model.nparams, err) < 0)
        return -1;
    if (opt->nhidden > 0 && mlp_set_dropout(&t->model, opt->dropout, err) < 0)
        return -1;
    size_t batches = (d->train.n + (size_t)opt->batch - 1) / (size_t)opt->batch;
    t->schedule = (struct schedule){
        .kind = (enum schedule_kind)opt->lr_schedule,
        .lr = opt->lr,
        .lr_min = opt->lr_min,
        .gamma = opt->lr_gamma,
        .step_epochs = opt->lr_step_epochs,
        .warmup_epochs = opt->warmup_epochs,
        .horizon = opt->schedule_epochs,
        .batches_per_epoch = batches,
    };
    /* Frozen layers get no gradient and no segment: the optimizer never
     * touches them. */
    t->model.frozen = (int)opt->freeze;
    for (int l = (int)opt->freeze; l < nlayers; l++) {
        const struct dense *p = &t->model.layer[l];
        t->seg[t->nseg++] = (struct optim_segment){(size_t)(p->w - t->model.params),
                                                   (size_t)p->out * (size_t)p->in, 1};
        t->seg[t->nseg++] =
            (struct optim_segment){(size_t)(p->b - t->model.params), (size_t)p->out, 0};
    }

    t->x = malloc(max_batch * d->pool.dim * sizeof *t->x);
    t->y = malloc(max_batch * sizeof *t->y);
    t->order = malloc((d->train.n ? d->train.n : 1) * sizeof *t->order);
    t->best = malloc(t->model.nparams * sizeof *t->best);
    t->config = options_to_json(opt);
    if (!t->x || !t->y || !t->order || !t->best || !t->config)
        return hp_error_set(err, NULL, "out of memory setting up the training");
    if (progress_init(&t->prog, (int)opt->epochs, err) < 0)
        return -1;
    if (metrics_confusion_init(&t->confusion, d->pool.classes) < 0 ||
        data_class_rows_init(&t->class_rows, &d->train) < 0)
        return hp_error_set(err, NULL, "out of memory setting up the training");
    t->augment = (struct augment){
        .shift = (int)opt->augment_shift,
        .flip = (float)opt->augment_flip,
        .noise = (float)opt->augment_noise,
        .width = d->pool.width,
        .height = d->pool.height,
        .background = d->pool.shift,
    };
    t->scratch = malloc(d->pool.dim * sizeof *t->scratch);
    t->regression = d->pool.targets != NULL;
    t->targets = malloc(max_batch * sizeof *t->targets);
    if (!t->scratch || !t->targets)
        return hp_error_set(err, NULL, "out of memory setting up the training");
    if (opt->class_weights) {
        /* scikit-learn's "balanced": rows / (classes present * rows of the
         * class); a class without training rows never appears in a batch. */
        const struct class_rows *c = &t->class_rows;
        t->class_weight = calloc((size_t)c->classes, sizeof *t->class_weight);
        if (!t->class_weight)
            return hp_error_set(err, NULL, "out of memory setting up the training");
        for (int k = 0; k < c->classes; k++)
            if (c->count[k] > 0)
                t->class_weight[k] = (float)((double)d->train.n /
                                             ((double)c->npresent * (double)c->count[k]));
        t->model.class_weight = t->class_weight;
    }

    if (make_dirs(opt->out_dir) != 0) {
        snprintf(err->source, sizeof err->source, "%.511s", opt->out_dir);
        return hp_error_set(err, NULL, "cannot create the output folder: %s",
                            strerror(errno));
    }
    snprintf(err->source, sizeof err->source, "option --out-dir");
    if (hp_path_join(t->best_path, sizeof t->best_path, err, opt->out_dir, BEST_NAME,
                     NULL) < 0 ||
        hp_path_join(t->last_path, sizeof t->last_path, err, opt->out_dir, LAST_NAME,
                     NULL) < 0)
        return -1;

    struct hp_pcg32 init_rng;
    hp_pcg32_derive(&init_rng, opt->seed, PURPOSE_INIT);
    mlp_init_weights(&t->model, &init_rng);
    if (opt->init_from && !opt->resume && init_from(t, err) < 0)
        return -1;
    memcpy(t->best, t->model.params, t->model.nparams * sizeof *t->best);
    hp_pcg32_derive(&t->prog.shuffle, opt->seed, PURPOSE_SHUFFLE);
    hp_pcg32_derive(&t->prog.dropout, opt->seed, PURPOSE_DROPOUT);
    hp_pcg32_derive(&t->prog.augment, opt->seed, PURPOSE_AUGMENT);
    t->prog.train_rows = d->train.n;
    const char *timing = getenv("HPSEARCH_TRAIN_TIMING");
    t->timing = timing && strcmp(timing, "1") == 0;
    return 0;
}

/* ---- checkpoints ------------------------------------------------------------ */

/* The header every checkpoint of this run shares, with `epoch` and the
 * validation metrics it was taken at. */
static json_t *header_new(const struct trainer *t, int epoch, double val_loss,
                          double val_score)
{
    const char *name = t->regression ? "val_loss" : "val_accuracy";
    double value = t->regression ? val_loss : val_score;
    return json_pack("{s:o, s:i, s:{s:s, s:f, s:f}, s:O}", "arch",
                     checkpoint_arch_json(&t->model), "epoch", epoch, "metric", "name",
                     name, "value", value, "val_loss", val_loss, "config", t->config);
}

/* best.ckpt: the best epoch's weights (from t->best), for inference and
 * transfer. */
static int save_best(struct trainer *t, struct hp_error *err)
{
    const struct progress *p = &t->prog;
    int e = p->best_epoch;
    json_t *header = header_new(t, e, p->history[e - 1].val_loss, p->best_score);
    if (!header)
        return hp_error_set(err, NULL, "out of memory building the checkpoint header");
    struct checkpoint_tensor tensors[2 * MLP_MAX_LAYERS];
    size_t n = checkpoint_model_tensors(&t->model, t->best, "", tensors);
    int rc = checkpoint_save(t->best_path, header, tensors, n, err);
    json_decref(header);
    if (rc == CHECKPOINT_WRITE_FAILED)
        t->io_failed = 1;
    return rc;
}

/* Fills tensors with a block of the model's size. */
static void block_tensor(struct checkpoint_tensor *tensor, const char *name,
                         const float *data, size_t count)
{
    snprintf(tensor->name, sizeof tensor->name, "%s", name);
    tensor->data = data;
    tensor->shape[0] = count;
    tensor->shape[1] = 0;
}

/* last.ckpt: the whole state of the run, to resume from. */
static int save_last(struct trainer *t, struct hp_error *err)
{
    struct progress *p = &t->prog;
    p->step = t->optim.step;
    const struct epoch_record *r = p->epoch ? &p->history[p->epoch - 1] : NULL;
    json_t *header =
        header_new(t, p->epoch, r ? r->val_loss : 0.0, r ? r->val_score : 0.0);
    json_t *state = progress_to_json(p);
    if (!header || !state || json_object_set_new(header, "state", state) < 0) {
        json_decref(header);
        return hp_error_set(err, NULL, "out of memory building the checkpoint header");
    }
    struct checkpoint_tensor tensors[4 * MLP_MAX_LAYERS + 2];
    size_t n = checkpoint_model_tensors(&t->model, t->model.params, "", tensors);
    n += checkpoint_model_tensors(&t->model, t->best, "best.", tensors + n);
    block_tensor(&tensors[n++], "optim.m", t->optim.m, t->optim.nparams);
    if (t->optim.v)
        block_tensor(&tensors[n++], "optim.v", t->optim.v, t->optim.nparams);
    int rc = checkpoint_save(t->last_path, header, tensors, n, err);
    json_decref(header);
    if (rc == CHECKPOINT_WRITE_FAILED)
        t->io_failed = 1;
    return rc;
}

/* Notes on stderr the recorded options whose value differs now. */
static void note_changed_options(const json_t *then, const json_t *now)
{
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)now, key, value)
    {
        json_t *old = json_object_get(then, key);
        if (old && json_equal(old, value))
            continue;
        char *a = old ? json_dumps(old, JSON_ENCODE_ANY) : NULL;
        char *b = json_dumps(value, JSON_ENCODE_ANY);
        fprintf(stderr,
                "hpsearch-train: note: resuming with --%s %s (the checkpoint had %s)\n",
                key, b ? b : "?", a ? a : "no value");
        free(a);
        free(b);
    }
}

/* Loads the checkpoint to resume from into `ck` and its path into
 * loaded[HP_PATH_MAX]. A checkpoint without training state (a best.ckpt, say,
 * as an orchestrator may pass the last checkpoint a trial reported) is
 * replaced by the last.ckpt beside it when there is one. */
static int load_resume_checkpoint(struct checkpoint *ck, const char *path, char *loaded,
                                  struct hp_error *err)
{
    if (hp_path_format(loaded, HP_PATH_MAX, err, "%s", path) < 0 ||
        checkpoint_load(ck, path, err) < 0)
        return -1;
    if (json_object_get(ck->header, "state"))
        return 0;
    char sibling[HP_PATH_MAX];
    const char *slash = strrchr(path, '/');
    int dirlen = slash ? (int)(slash - path + 1) : 0;
    if (hp_path_format(sibling, sizeof sibling, err, "%.*s%s", dirlen, path, LAST_NAME) <
        0) {
        checkpoint_free(ck);
        return -1;
    }
    if (strcmp(slash ? slash + 1 : path, LAST_NAME) == 0 || access(sibling, F_OK) != 0)
        return 0; /* the caller reports the missing state */
    checkpoint_free(ck);
    fprintf(stderr,
            "hpsearch-train: note: %s holds no training state; resuming from %s\n", path,
            sibling);
    memcpy(loaded, sibling, sizeof sibling);
    return checkpoint_load(ck, sibling, err);
}

/* Puts the run back where the last.ckpt at opt->resume left it, and its path
 * into loaded[HP_PATH_MAX]. Everything is checked before anything is changed.
 * Returns 0, 1 when the checkpoint holds no training state (the run starts
 * afresh), or -1 with `err` set. */
static int resume(struct trainer *t, char *loaded, struct hp_error *err)
{
    struct checkpoint ck;
    if (load_resume_checkpoint(&ck, t->opt->resume, loaded, err) < 0)
        return -1;
    int rc = -1;
    struct progress next;
    memset(&next, 0, sizeof next);
    const json_t *state = json_object_get(ck.header, "state");
    const json_t *then = json_object_get(ck.header, "config");
    size_t np = t->model.nparams;
    if (!state) {
        /* Nothing to continue from: a run that starts over gives the same
         * bits, only later. */
        fprintf(stderr,
                "hpsearch-train: note: %s holds no training state and has no %s beside "
                "it; starting afresh\n",
                t->opt->resume, LAST_NAME);
        rc = 1;
        goto done;
    }
    if (checkpoint_check_arch(&ck, &t->model, err) < 0)
        goto done;
    const char *kind = json_string_value(json_object_get(then, "optimizer"));
    const char *mine = json_string_value(json_object_get(t->config, "optimizer"));
    if (!kind || !mine || strcmp(kind, mine) != 0) {
        hp_error_set(err, NULL, "was trained with --optimizer %s; this run uses %s",
                     kind ? kind : "?", mine ? mine : "?");
        goto done;
    }
    if (progress_init(&next, t->prog.capacity, err) < 0 ||
        progress_from_json(&next, state, err) < 0)
        goto done;
    if (next.train_rows != t->d->train.n) {
        hp_error_set(err, NULL, "was trained on %zu training rows; this run has %zu",
                     next.train_rows, t->d->train.n);
        goto done;
    }
    size_t batches = (t->d->train.n + (size_t)t->opt->batch - 1) / (size_t)t->opt->batch;
    if (next.batch > 0 && next.batch >= batches) {
        hp_error_set(err, NULL,
                     "stopped at batch %zu of an epoch; --batch %ld gives only %zu",
                     next.batch, t->opt->batch, batches);
        goto done;
    }
    if (checkpoint_has_tensor(&ck, "optim.m", np, err) < 0 ||
        (t->optim.v && checkpoint_has_tensor(&ck, "optim.v", np, err) < 0) ||
        checkpoint_load_weights(&ck, &t->model, "best.", t->best, err) < 0 ||
        checkpoint_load_weights(&ck, &t->model, "", t->model.params, err) < 0)
        goto done;
    checkpoint_read_tensor(&ck, "optim.m", t->optim.m, np, err);
    if (t->optim.v)
        checkpoint_read_tensor(&ck, "optim.v", t->optim.v, np, err);
    t->optim.step = next.step;
    progress_free(&t->prog);
    t->prog = next;
    memset(&next, 0, sizeof next);
    note_changed_options(then, t->config);
    rc = 0;

done:
    progress_free(&next);
    checkpoint_free(&ck);
    return rc;
}

/* ---- training --------------------------------------------------------------- */

/* What an evaluation measured. */
struct evaluation {
    double loss;     /* mean cross-entropy, or mean squared error in the target's units */
    double accuracy; /* classification */
    double r2;       /* regression: 1 - SSE / SST */
    double score;    /* accuracy, or -loss for regression: higher is better */
};

/* Evaluates the current weights on a split, in batches of up to EVAL_BATCH
 * rows; for classification `confusion` (cleared first) receives the
 * predictions. */
static struct evaluation evaluate(struct trainer *t, const struct data_split *s,
                                  struct confusion *confusion)
{
    struct evaluation e = {0};
    double sum = 0.0;
    double tsum = 0.0;
    double tsq = 0.0;
    size_t correct = 0;
    int width = t->model.size[t->model.nlayers];
    metrics_confusion_clear(confusion);
    for (size_t start = 0; start < s->n; start += EVAL_BATCH) {
        size_t count = s->n - start < EVAL_BATCH ? s->n - start : EVAL_BATCH;
        data_gather(s->set, s->rows + start, count, t->x, t->y);
        const float *out = mlp_forward(&t->model, t->x, count);
        if (t->regression) {
            data_gather_targets(s->set, s->rows + start, count, t->targets);
            sum += mlp_squared_error(out, t->targets, count, width, NULL, 0.0f);
            for (size_t i = 0; i < count; i++) {
                tsum += t->targets[i];
                tsq += (double)t->targets[i] * t->targets[i];
            }
            continue;
        }
        size_t right = 0;
        sum += mlp_softmax_xent(out, t->y, count, width, NULL, 0.0f, &right);
        metrics_confusion_add(confusion, out, t->y, count);
        correct += right;
    }
    if (s->n == 0)
        return e;
    double n = (double)s->n;
    if (t->regression) {
        double std = s->set->target_std;
        double sst = tsq - tsum * tsum / n;
        e.loss = sum / n * std * std;
        e.r2 = sst > 0.0 ? 1.0 - sum / sst : 0.0;
        e.score = -e.loss;
    } else {
        e.loss = sum / n;
        e.accuracy = (double)correct / n;
        e.score = e.accuracy;
    }
    return e;
}

/* Draws the epoch's row order from `rng`: the training rows shuffled, or
 * with --oversample as many rows drawn class-balanced with replacement. */
static void draw_order(struct trainer *t, struct hp_pcg32 *rng)
{
    const struct data_split *train = &t->d->train;
    size_t n = train->n;
    if (t->opt->oversample) {
        data_balanced_sample(&t->class_rows, t->order, n, rng);
        return;
    }
    memcpy(t->order, train->rows, n * sizeof *t->order);
    for (size_t i = n - 1; n > 1 && i > 0; i--) {
        size_t j = hp_pcg32_bounded(rng, (uint32_t)(i + 1));
        uint32_t tmp = t->order[i];
        t->order[i] = t->order[j];
        t->order[j] = tmp;
    }
}

/* Adds the per-layer gradient norms to the epoch's sums from the sums of
 * squares optim_step_sumsq reported for the segments (a weight and a bias
 * segment per trained layer, input side first): the same doubles as
 * watch_gradient's, without a pass of their own over the gradient. */
static void add_grad_norms(struct trainer *t, const double *seg_sumsq)
{
    int s = 0;
    for (int l = t->model.frozen; l < t->model.nlayers; l++, s += 2)
        t->prog.grad_norm_sum[l] += sqrt(seg_sumsq[s] + seg_sumsq[s + 1]);
}

/* Adds the last backward pass's per-layer gradient norms to the epoch's
 * sums, and clips the gradient to --clip-grad-norm when it is longer. */
static void watch_gradient(struct trainer *t)
{
    struct progress *p = &t->prog;
    double sumsq[MLP_MAX_LAYERS];
    mlp_grad_sumsq(&t->model, sumsq);
    double total = 0.0;
    for (int l = 0; l < t->model.nlayers; l++) {
        p->grad_norm_sum[l] += sqrt(sumsq[l]);
        total += sumsq[l];
    }
    double norm = sqrt(total);
    if (t->opt->clip_grad_norm > 0.0 && norm > t->opt->clip_grad_norm) {
        mlp_scale_grads(&t->model, (float)(t->opt->clip_grad_norm / norm));
        p->clipped++;
    }
}

/* What an epoch's line reports about training, beyond the loss. */
struct epoch_training {
    double loss;
    double grad_norm[MLP_MAX_LAYERS]; /* mean over the epoch's batches */
    size_t clipped;
    size_t batches;
};

/* Runs the rest of epoch prog.epoch + 1 from batch prog.batch, updating the
 * progress after every batch. Stops before a batch when a stop signal has
 * arrived (EPOCH_STOPPED, progress at that batch), or after a batch whose loss
 * is NaN or Inf (EPOCH_DIVERGED, out->loss that value). On EPOCH_DONE, `out`
 * holds the epoch's means and the progress is at the next epoch's start. */
static enum epoch_end train_epoch(struct trainer *t, struct epoch_training *out)
{
    struct progress *p = &t->prog;
    const struct data_split *train = &t->d->train;
    size_t n = train->n;
    size_t batch = (size_t)t->opt->batch;
    size_t batches = (n + batch - 1) / batch;
    /* The order is drawn again from the stream as it was at the epoch's
     * start, so that a resumed epoch sees the same order. */
    struct hp_pcg32 shuffle = p->shuffle;
    draw_order(t, &shuffle);
    for (; p->batch < batches; p->batch++) {
        if (stop_signal)
            return EPOCH_STOPPED;
        if (t->timing) {
            /* For experiments/bench/trainer_startup.sh: CLOCK_MONOTONIC is one
             * clock for every process, so the launcher's reading before exec
             * and this one make the start-up time. */
            fprintf(stderr, "hpsearch-train: timing: first_batch %.9f\n", now_seconds());
            t->timing = 0;
        }
        size_t start = p->batch * batch;
        size_t count = n - start < batch ? n - start : batch;
        data_gather(train->set, t->order + start, count, t->x, t->y);
        if (p->batch + 1 < batches) {
            size_t next = start + batch;
            data_prefetch(train->set, t->order + next, n - next < batch ? n - next : batch);
        }
        if (augment_active(&t->augment))
            augment_batch(&t->augment, t->x, count, train->set->dim, t->scratch,
                          &p->augment);
        mlp_forward_train(&t->model, t->x, count, &p->dropout);
        double loss = 0.0;
        if (t->regression) {
            /* Squared errors in the target's own units. */
            double std = train->set->target_std;
            data_gather_targets(train->set, t->order + start, count, t->targets);
            loss = mlp_backward_mse(&t->model, t->targets, count) * std * std;
        } else {
            loss = mlp_backward(&t->model, t->y, count, NULL);
        }
        p->loss_sum += loss;
        p->seen += count;
        if (!isfinite(loss)) {
            out->loss = loss;
            return EPOCH_DIVERGED;
        }
        t->last_lr = schedule_lr(&t->schedule, p->epoch, p->batch);
        if (t->opt->clip_grad_norm > 0.0) {
            /* Clipping needs the whole norm before the update. */
            watch_gradient(t);
            optim_step(&t->optim, t->model.params, t->model.grads, t->seg, t->nseg,
                       (float)t->last_lr);
        } else {
            double seg_sumsq[2 * MLP_MAX_LAYERS];
            optim_step_sumsq(&t->optim, t->model.params, t->model.grads, t->seg, t->nseg,
                             (float)t->last_lr, seg_sumsq);
            add_grad_norms(t, seg_sumsq);
        }
        t->model.grads_zero = 1; /* optim_step consumed them */
    }
    out->loss = p->seen ? p->loss_sum / (double)p->seen : 0.0;
    out->batches = batches;
    out->clipped = p->clipped;
    for (int l = 0; l < t->model.nlayers; l++)
        out->grad_norm[l] = p->grad_norm_sum[l] / (double)batches;
    p->shuffle = shuffle;
    p->batch = 0;
    p->seen = 0;
    p->loss_sum = 0.0;
    p->clipped = 0;
    memset(p->grad_norm_sum, 0, sizeof p->grad_norm_sum);
    return EPOCH_DONE;
}

/* Writes a finished line to the metric channel. A line that fails to fit
 * is a bug here; one that fails to be written (stdout is a full file or a
 * closed pipe) is an I/O failure, noted in t->io_failed. Returns 0 or -1
 * with `err` set. */
static int write_line(struct trainer *t, struct hp_metric_line *line,
                      struct hp_error *err)
{
    int overflow = line->overflow;
    errno = 0;
    if (hp_metric_line_finish(line, t->out) == 0)
        return 0;
    snprintf(err->source, sizeof err->source, "stdout");
    if (overflow)
        return hp_error_set(err, NULL, "a metric line is longer than %d bytes",
                            HP_METRIC_LINE_MAX);
    t->io_failed = 1;
    return hp_error_set(err, NULL, "cannot write a metric line: %s",
                        strerror(errno ? errno : EIO));
}

/* write_line, with the failure told on stderr. */
static int emit(struct trainer *t, struct hp_metric_line *line)
{
    struct hp_error err;
    hp_error_init(&err);
    if (write_line(t, line, &err) == 0)
        return 0;
    diagnose(&err);
    return -1;
}

/* Adds `values` as a JSON array under `key`. */
static void add_numbers(struct hp_metric_line *line, const char *key,
                        const double *values, int n)
{
    char text[HP_METRIC_LINE_MAX];
    if (metrics_json_numbers(text, sizeof text, values, n) == 0)
        hp_metric_line_add_raw(line, key, text);
    else
        line->overflow = 1;
}

static int emit_epoch(struct trainer *t, int epoch, double train_loss,
                      const struct evaluation *val, const struct epoch_training *tr,
                      double seconds)
{
    int nlayers = t->model.nlayers;
    int classes = t->confusion.classes;
    double recall[HP_METRIC_LINE_MAX / 8];
    struct hp_metric_line line;
    hp_metric_line_init(&line);
    hp_metric_line_add_int(&line, "epoch", epoch);
    hp_metric_line_add_number(&line, "train_loss", train_loss);
    hp_metric_line_add_number(&line, "val_loss", val->loss);
    if (t->regression) {
        hp_metric_line_add_number(&line, "val_rmse", sqrt(val->loss));
        hp_metric_line_add_number(&line, "val_r2", val->r2);
    } else {
        hp_metric_line_add_number(&line, "val_accuracy", val->accuracy);
        hp_metric_line_add_number(&line, "val_macro_f1", metrics_macro_f1(&t->confusion));
        if (classes <= MAX_LISTED_CLASSES) {
            metrics_recall(&t->confusion, recall);
            add_numbers(&line, "val_recall", recall, classes);
        }
    }
    if (tr) {
        /* Frozen layers have no gradient: they are listed (as 0) but not
         * judged. */
        int frozen = t->model.frozen;
        add_numbers(&line, "grad_norm", tr->grad_norm, nlayers);
        hp_metric_line_add_string(
            &line, "grad_flag",
            metrics_grad_flag(tr->grad_norm + frozen, nlayers - frozen));
        hp_metric_line_add_int(&line, "clipped", (long long)tr->clipped);
    }
    hp_metric_line_add_number(&line, "lr", t->last_lr);
    hp_metric_line_add_number(&line, "seconds", seconds);
    return emit(t, &line);
}

static const char *signal_name(int sig)
{
    return sig == SIGTERM ? "SIGTERM" : sig == SIGINT ? "SIGINT" : "signal";
}

/* The final line of a run that stopped on a signal, after last.ckpt. */
static int emit_stopped(struct trainer *t, double seconds)
{
    struct hp_metric_line line;
    hp_metric_line_init(&line);
    hp_metric_line_add_raw(&line, "final", "true");
    hp_metric_line_add_string(&line, "stopped", "signal");
    hp_metric_line_add_string(&line, "signal", signal_name(stop_signal));
    hp_metric_line_add_int(&line, "epochs_run", t->prog.epoch);
    hp_metric_line_add_string(&line, "resume_from", LAST_NAME);
    hp_metric_line_add_number(&line, "seconds", seconds);
    return emit(t, &line);
}

/* The final line of a run whose training loss became NaN or Inf. */
static int emit_diverged(struct trainer *t, int epoch, double seconds)
{
    struct hp_metric_line line;
    hp_metric_line_init(&line);
    hp_metric_line_add_raw(&line, "final", "true");
    hp_metric_line_add_string(&line, "stopped", "nan");
    hp_metric_line_add_int(&line, "epoch", epoch);
    hp_metric_line_add_int(&line, "epochs_run", epoch);
    hp_metric_line_add_number(&line, "seconds", seconds);
    return emit(t, &line);
}

/* Builds the final line from the test evaluation. */
static void build_final(struct trainer *t, struct hp_metric_line *line,
                        const struct evaluation *test, const char *stopped,
                        const char *reason, int with_confusion, double seconds)
{
    const struct progress *p = &t->prog;
    char fit_reason[512];
    const char *fit = metrics_fit(p->history, p->epoch, fit_reason, sizeof fit_reason);
    hp_metric_line_init(line);
    hp_metric_line_add_raw(line, "final", "true");
    hp_metric_line_add_string(line, "stopped", stopped);
    hp_metric_line_add_string(line, "reason", reason);
    hp_metric_line_add_int(line, "epochs_run", p->epoch);
    hp_metric_line_add_int(line, "best_epoch", p->best_epoch);
    if (t->regression) {
        hp_metric_line_add_number(line, "best_val_loss", -p->best_score);
        hp_metric_line_add_number(line, "test_loss", test->loss);
        hp_metric_line_add_number(line, "test_rmse", sqrt(test->loss));
        hp_metric_line_add_number(line, "test_r2", test->r2);
    } else {
        hp_metric_line_add_number(line, "best_val_accuracy", p->best_score);
        hp_metric_line_add_number(line, "test_loss", test->loss);
        hp_metric_line_add_number(line, "test_accuracy", test->accuracy);
        hp_metric_line_add_number(line, "test_macro_f1", metrics_macro_f1(&t->confusion));
        char text[HP_METRIC_LINE_MAX];
        if (with_confusion &&
            metrics_json_confusion(text, sizeof text, &t->confusion) == 0)
            hp_metric_line_add_raw(line, "test_confusion", text);
    }
    hp_metric_line_add_string(line, "fit", fit);
    hp_metric_line_add_string(line, "fit_reason", fit_reason);
    hp_metric_line_add_number(line, "seconds", seconds);
}

/* Tests the best epoch's weights on the test set, once, and writes the final
 * line; the confusion matrix is left out when the line would not fit. */
static int test_and_emit_final(struct trainer *t, const char *stopped, const char *reason,
                               double run_start)
{
    memcpy(t->model.params, t->best, t->model.nparams * sizeof *t->best);
    struct evaluation test = evaluate(t, &t->d->test, &t->confusion);
    double seconds = now_seconds() - run_start;
    struct hp_metric_line line;
    int listed = t->confusion.classes <= MAX_LISTED_CLASSES;
    build_final(t, &line, &test, stopped, reason, listed, seconds);
    if (line.overflow)
        build_final(t, &line, &test, stopped, reason, 0, seconds);
    return emit(t, &line);
}

/* Tells the orchestrator that checkpoint `name` now holds epoch `epoch`: it
 * tracks every file a trial writes, to resume from and to clean up. */
static int report_checkpoint(struct trainer *t, const char *name, int epoch,
                             struct hp_error *err)
{
    struct hp_metric_line line;
    hp_metric_line_init(&line);
    hp_metric_line_add_string(&line, "checkpoint", name);
    hp_metric_line_add_int(&line, "epoch", epoch);
    return write_line(t, &line, err);
}

/* Returns 1 when early stopping ends the run where it stands (--patience
 * epochs without an improvement), with the reason in `reason`; else 0. The
 * count of stale epochs is part of the progress, so a run resumed from an
 * epoch at which it stopped early stops there again. */
static int early_stop_due(const struct trainer *t, char *reason, size_t size)
{
    const struct progress *p = &t->prog;
    const struct options *opt = t->opt;
    if (opt->patience == 0 || p->stale < opt->patience)
        return 0;
    const char *name = t->regression ? "val_loss" : "val_accuracy";
    snprintf(reason, size,
             "early stopping: %s did not improve by more than %g for %d epochs (best "
             "%g at epoch %d)",
             name, opt->min_delta, p->stale,
             t->regression ? -p->best_score : p->best_score, p->best_epoch);
    return 1;
}

/* Returns 1 when `a` and `b` name the same file; 0 when not, or when either
 * does not exist. */
static int same_file(const char *a, const char *b)
{
    struct stat sa;
    struct stat sb;
    return stat(a, &sa) == 0 && stat(b, &sb) == 0 && sa.st_dev == sb.st_dev &&
           sa.st_ino == sb.st_ino;
}

/* A run resumed from another folder's checkpoint (a promoted trial gets a
 * fresh trial folder) first makes its own folder whole: best.ckpt (when there
 * is a best epoch) and last.ckpt, each reported. The last checkpoint the
 * orchestrator has heard of is then this folder's last.ckpt from the start,
 * so the trial can be continued again even if it is stopped before its first
 * epoch ends, and its best model is in its own folder. Returns 0 or -1. */
static int adopt_resumed_state(struct trainer *t, struct hp_error *err)
{
    const struct progress *p = &t->prog;
    if (p->best_epoch > 0 && (save_best(t, err) < 0 ||
                              report_checkpoint(t, BEST_NAME, p->best_epoch, err) < 0))
        return -1;
    if (save_last(t, err) < 0 || report_checkpoint(t, LAST_NAME, p->epoch, err) < 0)
        return -1;
    return 0;
}

/* After an epoch's line: keeps the best weights (best.ckpt and its line),
 * counts epochs without improvement, writes last.ckpt (and its line). Returns 1 when early
 * stopping ends the run (reason in `reason`), 0 to go on, -1 on failure. */
static int finish_epoch(struct trainer *t, const struct epoch_record *r, char *reason,
                        size_t size, struct hp_error *err)
{
    struct progress *p = &t->prog;
    const struct options *opt = t->opt;
    if (progress_complete_epoch(p, r, err) < 0)
        return -1;
    if (r->val_score > p->best_score) {
        p->best_score = r->val_score;
        p->best_epoch = p->epoch;
        memcpy(t->best, t->model.params, t->model.nparams * sizeof *t->best);
        if (save_best(t, err) < 0 || report_checkpoint(t, BEST_NAME, p->epoch, err) < 0)
            return -1;
    }
    if (r->val_score > p->stale_ref + opt->min_delta) {
        p->stale_ref = r->val_score;
        p->stale = 0;
    } else {
        p->stale++;
    }
    if (save_last(t, err) < 0 || report_checkpoint(t, LAST_NAME, p->epoch, err) < 0)
        return -1;
    return early_stop_due(t, reason, size);
}

int train_check(const struct options *opt, const struct data *d, struct hp_error *err)
{
    snprintf(err->source, sizeof err->source, "hpsearch-train");
    if (d->pool.width == 0 && opt->augment_shift > 0)
        return hp_error_set(err, "option --augment-shift",
                            "needs image data (--data fashion-mnist)");
    if (d->pool.width == 0 && opt->augment_flip > 0.0)
        return hp_error_set(err, "option --augment-flip",
                            "needs image data (--data fashion-mnist)");
    if (opt->new_head > 0 && opt->new_head != d->pool.classes)
        return hp_error_set(err, "option --new-head",
                            "%ld classes, but the data has %d (see --classes)",
                            opt->new_head, d->pool.classes);
    return 0;
}

enum train_exit train_run(const struct options *opt, const struct data *d, FILE *out)
{
    struct hp_error err;
    hp_error_init(&err);
    struct trainer t;
    enum train_exit status = TRAIN_EXIT_RUNTIME;
    double run_start = now_seconds();
    if (trainer_init(&t, opt, d, out, &err) < 0) {
        diagnose(&err);
        goto done;
    }
    if (opt->resume) {
        char loaded[HP_PATH_MAX];
        int resumed = resume(&t, loaded, &err);
        if (resumed < 0 || (resumed == 0 && !same_file(loaded, t.last_path) &&
                            adopt_resumed_state(&t, &err) < 0)) {
            diagnose(&err);
            goto done;
        }
    }

    struct progress *p = &t.prog;
    char reason[256];
    snprintf(reason, sizeof reason, "ran all %ld epochs", opt->epochs);
    /* Resumed at an epoch where early stopping had ended the run: it ends
     * there again, as a run that never stopped would have. */
    int ended =
        p->epoch > 0 && p->batch == 0 && early_stop_due(&t, reason, sizeof reason);
    const char *stopped = ended ? "early_stopping" : "completed";
    while (!ended && p->epoch < opt->epochs) {
        double epoch_start = now_seconds();
        struct epoch_training tr;
        memset(&tr, 0, sizeof tr);
        enum epoch_end end = train_epoch(&t, &tr);
        if (end == EPOCH_STOPPED) {
            if (save_last(&t, &err) < 0 || report_checkpoint(&t, LAST_NAME, p->epoch, &err) < 0) {
                diagnose(&err);
                goto done;
            }
            fprintf(stderr,
                    "hpsearch-train: %s: stopped at epoch %d, batch %zu; wrote %s\n",
                    signal_name(stop_signal), p->epoch + 1, p->batch, t.last_path);
            status = emit_stopped(&t, now_seconds() - run_start) < 0
                         ? TRAIN_EXIT_RUNTIME
                         : TRAIN_EXIT_INTERRUPTED;
            goto done;
        }
        struct evaluation val = evaluate(&t, &d->val, &t.confusion);
        struct epoch_record r = {tr.loss, val.loss, val.score};
        int epoch = p->epoch + 1;
        int diverged = end == EPOCH_DIVERGED;
        if (emit_epoch(&t, epoch, tr.loss, &val, diverged ? NULL : &tr,
                       now_seconds() - epoch_start) < 0)
            goto done;
        if (diverged) {
            fprintf(stderr,
                    "hpsearch-train: epoch %d: the training loss is %s; stopping\n",
                    epoch, isnan(tr.loss) ? "NaN" : "infinite");
            status = emit_diverged(&t, epoch, now_seconds() - run_start) < 0
                         ? TRAIN_EXIT_RUNTIME
                         : TRAIN_EXIT_DIVERGED;
            goto done;
        }
        int rc = finish_epoch(&t, &r, reason, sizeof reason, &err);
        if (rc < 0) {
            diagnose(&err);
            goto done;
        }
        if (rc == 1) {
            stopped = "early_stopping";
            break;
        }
    }
    if (test_and_emit_final(&t, stopped, reason, run_start) < 0)
        goto done;
    status = TRAIN_EXIT_OK;

done:
    /* Whatever else went wrong on the way out, a file that could not be
     * written is what the caller must hear about. */
    if (status == TRAIN_EXIT_RUNTIME && t.io_failed)
        status = TRAIN_EXIT_IO;
    trainer_free(&t);
    return status;
}
