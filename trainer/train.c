/*
 * The epoch loop. See train.h for the contract.
 *
 * Randomness: two PCG32 streams derived from --seed, one per purpose (weight
 * init, shuffling), so that a draw added for one purpose never shifts the
 * other's sequence. Each epoch's order is the training rows in ascending
 * order, shuffled by Fisher-Yates from the shuffle stream.
 *
 * Memory: everything is allocated before the first epoch: the model and its
 * buffers (for EVAL_BATCH rows or the batch size, whichever is larger), the
 * optimizer's state, one batch of inputs, the epoch's row order and a copy of
 * the best epoch's weights. The loop itself never allocates.
 */
#include "train.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "checkpoint.h"
#include "metric_line.h"
#include "mlp.h"
#include "optim.h"
#include "pcg32.h"

enum {
    EVAL_BATCH = 1024,
    PURPOSE_INIT = 0x696e6974,           /* "init" */
    PURPOSE_SHUFFLE = 0x73687566666cULL, /* "shuffl" */
};

static const char BEST_NAME[] = "best.ckpt";

/* One training run's state. Fields are set to sentinels first so that
 * trainer_free can release a half-built trainer. */
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
    struct hp_pcg32 init_rng;
    struct hp_pcg32 shuffle_rng;
    char best_path[4096];
};

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
    };
    if (optim_init(&t->optim, &oc, t->model.nparams, err) < 0)
        return -1;
    for (int l = 0; l < nlayers; l++) {
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

    if (make_dirs(opt->out_dir) != 0) {
        snprintf(err->source, sizeof err->source, "%.511s", opt->out_dir);
        return hp_error_set(err, NULL, "cannot create the output folder: %s",
                            strerror(errno));
    }
    if (snprintf(t->best_path, sizeof t->best_path, "%s/%s", opt->out_dir, BEST_NAME) >=
        (int)sizeof t->best_path)
        return hp_error_set(err, NULL, "output folder path is too long");

    hp_pcg32_derive(&t->init_rng, opt->seed, PURPOSE_INIT);
    hp_pcg32_derive(&t->shuffle_rng, opt->seed, PURPOSE_SHUFFLE);
    mlp_init_weights(&t->model, &t->init_rng);
    return 0;
}

/* Mean loss and accuracy of the current weights on a split, in batches of up
 * to EVAL_BATCH rows. */
static void evaluate(struct trainer *t, const struct data_split *s, double *loss,
                     double *accuracy)
{
    double sum = 0.0;
    size_t correct = 0;
    int classes = t->model.size[t->model.nlayers];
    for (size_t start = 0; start < s->n; start += EVAL_BATCH) {
        size_t count = s->n - start < EVAL_BATCH ? s->n - start : EVAL_BATCH;
        data_gather(s->set, s->rows + start, count, t->x, t->y);
        const float *logits = mlp_forward(&t->model, t->x, count);
        size_t right = 0;
        sum += mlp_softmax_xent(logits, t->y, count, classes, NULL, 0.0f, &right);
        correct += right;
    }
    *loss = s->n ? sum / (double)s->n : 0.0;
    *accuracy = s->n ? (double)correct / (double)s->n : 0.0;
}

/* One pass over the training rows in a fresh shuffled order. Returns the mean
 * training loss (as computed during the pass); stops early, returning the
 * non-finite value, as soon as a batch's loss is NaN or Inf. */
static double train_epoch(struct trainer *t)
{
    const struct data_split *train = &t->d->train;
    size_t n = train->n;
    size_t batch = (size_t)t->opt->batch;
    memcpy(t->order, train->rows, n * sizeof *t->order);
    for (size_t i = n - 1; n > 1 && i > 0; i--) {
        size_t j = hp_pcg32_bounded(&t->shuffle_rng, (uint32_t)(i + 1));
        uint32_t tmp = t->order[i];
        t->order[i] = t->order[j];
        t->order[j] = tmp;
    }
    double sum = 0.0;
    size_t seen = 0;
    float lr = (float)t->opt->lr;
    for (size_t start = 0; start < n; start += batch) {
        size_t count = n - start < batch ? n - start : batch;
        data_gather(train->set, t->order + start, count, t->x, t->y);
        mlp_forward(&t->model, t->x, count);
        double loss = mlp_backward(&t->model, t->y, count, NULL);
        sum += loss;
        seen += count;
        if (!isfinite(loss))
            return loss;
        optim_step(&t->optim, t->model.params, t->model.grads, t->seg, t->nseg, lr);
    }
    return seen ? sum / (double)seen : 0.0;
}

static int save_best(struct trainer *t, int epoch, double val_loss, double val_accuracy,
                     struct hp_error *err)
{
    json_t *header = json_pack("{s:o, s:i, s:{s:s, s:f, s:f}, s:O}", "arch",
                               checkpoint_arch_json(&t->model), "epoch", epoch, "metric",
                               "name", "val_accuracy", "value", val_accuracy, "val_loss",
                               val_loss, "config", t->config);
    if (!header)
        return hp_error_set(err, NULL, "out of memory building the checkpoint header");
    struct checkpoint_tensor tensors[2 * MLP_MAX_LAYERS];
    size_t n = checkpoint_model_tensors(&t->model, t->model.params, tensors);
    int rc = checkpoint_save(t->best_path, header, tensors, n, err);
    json_decref(header);
    return rc;
}

static int emit(struct hp_metric_line *line, FILE *out)
{
    if (hp_metric_line_finish(line, out) == 0)
        return 0;
    fprintf(stderr, "hpsearch-train: cannot write a metric line to stdout\n");
    return -1;
}

enum train_exit train_run(const struct options *opt, const struct data *d, FILE *out)
{
    struct hp_error err;
    hp_error_init(&err);
    struct trainer t;
    enum train_exit status = TRAIN_EXIT_RUNTIME;
    if (trainer_init(&t, opt, d, out, &err) < 0) {
        diagnose(&err);
        goto done;
    }

    double run_start = now_seconds();
    int best_epoch = 0;
    double best_accuracy = -1.0;
    int epoch = 0;
    struct hp_metric_line line;
    while (epoch < opt->epochs) {
        epoch++;
        double epoch_start = now_seconds();
        double train_loss = train_epoch(&t);
        double val_loss = 0.0;
        double val_accuracy = 0.0;
        evaluate(&t, &d->val, &val_loss, &val_accuracy);
        hp_metric_line_init(&line);
        hp_metric_line_add_int(&line, "epoch", epoch);
        hp_metric_line_add_number(&line, "train_loss", train_loss);
        hp_metric_line_add_number(&line, "val_loss", val_loss);
        hp_metric_line_add_number(&line, "val_accuracy", val_accuracy);
        hp_metric_line_add_number(&line, "seconds", now_seconds() - epoch_start);
        if (emit(&line, out) < 0)
            goto done;

        if (!isfinite(train_loss)) {
            fprintf(stderr,
                    "hpsearch-train: epoch %d: the training loss is %s; stopping\n",
                    epoch, isnan(train_loss) ? "NaN" : "infinite");
            hp_metric_line_init(&line);
            hp_metric_line_add_raw(&line, "final", "true");
            hp_metric_line_add_string(&line, "stopped", "nan");
            hp_metric_line_add_int(&line, "epoch", epoch);
            hp_metric_line_add_int(&line, "epochs_run", epoch);
            hp_metric_line_add_number(&line, "seconds", now_seconds() - run_start);
            status = emit(&line, out) < 0 ? TRAIN_EXIT_RUNTIME : TRAIN_EXIT_DIVERGED;
            goto done;
        }

        if (val_accuracy > best_accuracy) {
            best_accuracy = val_accuracy;
            best_epoch = epoch;
            memcpy(t.best, t.model.params, t.model.nparams * sizeof *t.best);
            if (save_best(&t, epoch, val_loss, val_accuracy, &err) < 0) {
                diagnose(&err);
                goto done;
            }
            hp_metric_line_init(&line);
            hp_metric_line_add_string(&line, "checkpoint", BEST_NAME);
            hp_metric_line_add_int(&line, "epoch", epoch);
            if (emit(&line, out) < 0)
                goto done;
        }
    }

    /* The test set, once, with the best epoch's weights. */
    memcpy(t.model.params, t.best, t.model.nparams * sizeof *t.best);
    double test_loss = 0.0;
    double test_accuracy = 0.0;
    evaluate(&t, &d->test, &test_loss, &test_accuracy);
    hp_metric_line_init(&line);
    hp_metric_line_add_raw(&line, "final", "true");
    hp_metric_line_add_int(&line, "best_epoch", best_epoch);
    hp_metric_line_add_number(&line, "best_val_accuracy", best_accuracy);
    hp_metric_line_add_number(&line, "test_loss", test_loss);
    hp_metric_line_add_number(&line, "test_accuracy", test_accuracy);
    hp_metric_line_add_int(&line, "epochs_run", epoch);
    hp_metric_line_add_number(&line, "seconds", now_seconds() - run_start);
    if (emit(&line, out) < 0)
        goto done;
    status = TRAIN_EXIT_OK;

done:
    trainer_free(&t);
    return status;
}
