/*
 * Learning-rate schedules. See schedule.h for the formulas.
 */
#include "schedule.h"

#include <math.h>

static const double PI = 3.14159265358979323846;

double schedule_lr(const struct schedule *s, long epoch, size_t batch)
{
    double per_epoch = (double)s->batches_per_epoch;
    double t = (double)epoch * per_epoch + (double)batch;
    double warmup = (double)s->warmup_epochs * per_epoch;
    if (t < warmup)
        return s->lr * (t + 1.0) / warmup;
    switch (s->kind) {
    case SCHEDULE_STEP:
        return s->lr * pow(s->gamma, (double)(epoch / s->step_epochs));
    case SCHEDULE_COSINE: {
        double total = (double)s->horizon * per_epoch - warmup;
        double u = t - warmup;
        if (total <= 0.0 || u >= total)
            return s->lr_min;
        return s->lr_min + (s->lr - s->lr_min) * 0.5 * (1.0 + cos(PI * u / total));
    }
    case SCHEDULE_CONSTANT:
        break;
    }
    return s->lr;
}
