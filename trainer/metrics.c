/*
 * Confusion matrices, recall, macro-F1, gradient flags and fit verdicts. See
 * metrics.h for the contracts.
 */
#include "metrics.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metric_line.h"
#include "mlp.h"

int metrics_confusion_init(struct confusion *c, int classes)
{
    c->classes = classes;
    c->counts = calloc((size_t)classes * (size_t)classes, sizeof *c->counts);
    return c->counts ? 0 : -1;
}

void metrics_confusion_free(struct confusion *c)
{
    free(c->counts);
    c->counts = NULL;
    c->classes = 0;
}

void metrics_confusion_clear(struct confusion *c)
{
    memset(c->counts, 0, (size_t)c->classes * (size_t)c->classes * sizeof *c->counts);
}

void metrics_confusion_add(struct confusion *c, const float *logits, const int32_t *y,
                           size_t n)
{
    int k = c->classes;
    for (size_t i = 0; i < n; i++) {
        int predicted = mlp_argmax(logits + i * (size_t)k, k);
        c->counts[(size_t)y[i] * (size_t)k + (size_t)predicted]++;
    }
}

void metrics_recall(const struct confusion *c, double *recall)
{
    int k = c->classes;
    for (int t = 0; t < k; t++) {
        uint64_t row = 0;
        for (int p = 0; p < k; p++)
            row += c->counts[(size_t)t * k + p];
        recall[t] = row ? (double)c->counts[(size_t)t * k + t] / (double)row : 0.0;
    }
}

double metrics_macro_f1(const struct confusion *c)
{
    int k = c->classes;
    double sum = 0.0;
    for (int j = 0; j < k; j++) {
        uint64_t tp = c->counts[(size_t)j * k + j];
        uint64_t fn = 0;
        uint64_t fp = 0;
        for (int i = 0; i < k; i++) {
            if (i == j)
                continue;
            fn += c->counts[(size_t)j * k + i];
            fp += c->counts[(size_t)i * k + j];
        }
        uint64_t denom = 2 * tp + fp + fn;
        sum += denom ? 2.0 * (double)tp / (double)denom : 0.0;
    }
    return k ? sum / k : 0.0;
}

const char *metrics_grad_flag(const double *norms, int nlayers)
{
    for (int l = 0; l < nlayers; l++)
        if (!isfinite(norms[l]) || norms[l] > METRICS_EXPLODING_NORM)
            return "exploding";
    for (int l = 0; l < nlayers; l++)
        if (norms[l] < METRICS_VANISHING_NORM)
            return "vanishing";
    if (nlayers >= 2 && norms[0] < METRICS_VANISHING_RATIO * norms[nlayers - 1])
        return "vanishing";
    return "ok";
}

const char *metrics_fit(const struct epoch_record *history, int n, char *reason,
                        size_t size)
{
    if (n < 2) {
        snprintf(reason, size, "fewer than two epochs to judge from");
        return "unknown";
    }
    int best = 0;
    for (int e = 1; e < n; e++)
        if (history[e].val_loss < history[best].val_loss)
            best = e;
    const struct epoch_record *last = &history[n - 1];
    const struct epoch_record *low = &history[best];
    if (best < n - 1 && last->val_loss > low->val_loss * (1.0 + METRICS_OVERFIT_RISE) &&
        last->train_loss < low->train_loss) {
        snprintf(reason, size,
                 "val_loss rose from %.4g (epoch %d) to %.4g while train_loss fell from "
                 "%.4g to %.4g",
                 low->val_loss, best + 1, last->val_loss, low->train_loss,
                 last->train_loss);
        return "overfit";
    }
    const struct epoch_record *before = &history[n - 2];
    double gain = (before->train_loss - last->train_loss) / before->train_loss;
    if (best == n - 1 && gain > METRICS_UNDERFIT_GAIN) {
        snprintf(reason, size,
                 "val_loss still at its lowest (%.4g) in the last epoch and train_loss "
                 "still falling (%.1f%% in that epoch)",
                 last->val_loss, 100.0 * gain);
        return "underfit";
    }
    snprintf(
        reason, size,
        "val_loss lowest at epoch %d (%.4g), %.4g at the end; train_loss %.4g at the "
        "end",
        best + 1, low->val_loss, last->val_loss, last->train_loss);
    return "good";
}

int metrics_json_numbers(char *buf, size_t size, const double *values, int n)
{
    size_t len = 0;
    if (size < 3)
        return -1;
    buf[len++] = '[';
    for (int i = 0; i < n; i++) {
        char num[40];
        int w = hp_format_number(num, sizeof num, values[i]);
        if (len + (size_t)w + 4 > size)
            return -1;
        if (i)
            len += (size_t)snprintf(buf + len, size - len, ", ");
        memcpy(buf + len, num, (size_t)w);
        len += (size_t)w;
    }
    buf[len++] = ']';
    buf[len] = '\0';
    return 0;
}

int metrics_json_confusion(char *buf, size_t size, const struct confusion *c)
{
    size_t len = 0;
    int k = c->classes;
    for (int t = 0; t < k; t++) {
        for (int p = 0; p < k; p++) {
            int w =
                snprintf(buf + len, size - len, "%s%llu", p ? ", " : (t ? "], [" : "[["),
                         (unsigned long long)c->counts[(size_t)t * k + p]);
            if (w < 0 || (size_t)w >= size - len)
                return -1;
            len += (size_t)w;
        }
    }
    if (len + 3 > size)
        return -1;
    snprintf(buf + len, size - len, k ? "]]" : "[]");
    return 0;
}
