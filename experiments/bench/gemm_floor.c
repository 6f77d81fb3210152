/*
 * gemm_floor: OpenBLAS's own sgemm speed at the exact products one training
 * step of a dense network makes, and the "GEMM floor" of an epoch: the time
 * those products alone would take, at that speed, for every batch of the
 * epoch (the full batches and the smaller last one).
 *
 * The calls are the trainer's (trainer/mlp.c), row-major, for a batch of B
 * rows and layer l with in = size[l-1], out = size[l]:
 *
 *   forward  Z (B, out)   = H (B, in) . W^T (in, out)           beta 0
 *   dW       dW (out, in) = dZ^T (out, B) . H (B, in)           beta 1
 *   dH       dH (B, in)   = dZ (B, out) . W (out, in)           beta 0
 *
 * dH is not computed for the first layer (nothing below it learns), as in
 * the trainer.
 *
 * Usage: gemm_floor ROWS BATCH SIZES...   e.g. gemm_floor 59999 64 784 256 128 10
 * Prints one line per product and a last "floor" line, tab-separated:
 *   product  <name> <M> <N> <K> <calls per epoch> <seconds per call> <GFLOP/s>
 *   floor    <batch> <GFLOP per epoch> <seconds per epoch> <GFLOP/s overall>
 *            <seconds per epoch at the fastest window of each product>
 * This is a measuring tool, not a test: it never fails on a slow result.
 */
#define _POSIX_C_SOURCE 200809L

#include <cblas.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { MAX_SIZES = 18, WINDOWS = 5 };

enum kind { FORWARD, WEIGHT_GRAD, INPUT_GRAD };

static double now_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static float *new_floats(size_t count)
{
    float *p = malloc(count * sizeof *p);
    if (!p) {
        fprintf(stderr, "gemm_floor: out of memory\n");
        exit(1);
    }
    for (size_t i = 0; i < count; i++)
        p[i] = (float)((i * 7919u) % 1000u) * 1e-3f - 0.5f;
    return p;
}

/* One call of the product `kind` for n rows of a layer (in, out). */
static void product(enum kind kind, int n, int in, int out, const float *h,
                    const float *w, const float *dz, float *z, float *dw, float *dh)
{
    switch (kind) {
    case FORWARD:
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n, out, in, 1.0f, h, in, w,
                    in, 0.0f, z, out);
        break;
    case WEIGHT_GRAD:
        cblas_sgemm(CblasRowMajor, CblasTrans, CblasNoTrans, out, in, n, 1.0f, dz, out, h,
                    in, 1.0f, dw, in);
        break;
    case INPUT_GRAD:
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, n, in, out, 1.0f, dz, out,
                    w, in, 0.0f, dh, in);
        break;
    }
}

static int compare_doubles(const void *a, const void *b)
{
    double x = *(const double *)a;
    double y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The seconds one call takes: the median over WINDOWS windows of at least
 * 0.05 s each, and in *best the fastest window's. */
static double seconds_per_call(enum kind kind, int n, int in, int out, double *best)
{
    float *h = new_floats((size_t)n * in);
    float *w = new_floats((size_t)out * in);
    float *dz = new_floats((size_t)n * out);
    float *z = new_floats((size_t)n * out);
    float *dw = new_floats((size_t)out * in);
    float *dh = new_floats((size_t)n * in);
    double per_call[WINDOWS];
    long calls = 1;
    /* Warm up and size the window. */
    for (;;) {
        double start = now_seconds();
        for (long i = 0; i < calls; i++)
            product(kind, n, in, out, h, w, dz, z, dw, dh);
        if (now_seconds() - start > 0.05)
            break;
        calls *= 2;
    }
    for (int k = 0; k < WINDOWS; k++) {
        double start = now_seconds();
        for (long i = 0; i < calls; i++)
            product(kind, n, in, out, h, w, dz, z, dw, dh);
        per_call[k] = (now_seconds() - start) / (double)calls;
    }
    qsort(per_call, WINDOWS, sizeof per_call[0], compare_doubles);
    *best = per_call[0];
    free(h);
    free(w);
    free(dz);
    free(z);
    free(dw);
    free(dh);
    return per_call[WINDOWS / 2];
}

static long parse_long(const char *text, const char *what)
{
    char *end;
    errno = 0;
    long v = strtol(text, &end, 10);
    if (errno || *end || end == text || v < 1) {
        fprintf(stderr, "gemm_floor: %s: expected a positive integer, got \"%s\"\n", what,
                text);
        exit(2);
    }
    return v;
}

int main(int argc, char **argv)
{
    if (argc < 5 || argc - 3 > MAX_SIZES) {
        fprintf(stderr, "usage: gemm_floor ROWS BATCH SIZES... (2 to %d sizes)\n",
                MAX_SIZES);
        return 2;
    }
    long rows = parse_long(argv[1], "ROWS");
    long batch = parse_long(argv[2], "BATCH");
    int nsizes = argc - 3;
    int size[MAX_SIZES];
    for (int i = 0; i < nsizes; i++)
        size[i] = (int)parse_long(argv[3 + i], "size");
    long full = rows / batch;
    int tail = (int)(rows % batch);
    static const char *names[] = {"fwd", "dW", "dH"};
    double flops = 0.0;
    double seconds = 0.0;
    double best = 0.0;
    for (int l = 0; l < nsizes - 1; l++) {
        int in = size[l];
        int out = size[l + 1];
        for (int k = FORWARD; k <= INPUT_GRAD; k++) {
            if (k == INPUT_GRAD && l == 0)
                continue;
            double b_full = 0.0;
            double b_tail = 0.0;
            double t_full = seconds_per_call((enum kind)k, (int)batch, in, out, &b_full);
            double t_tail =
                tail ? seconds_per_call((enum kind)k, tail, in, out, &b_tail) : 0.0;
            double f_call = 2.0 * (double)batch * in * out;
            int m = k == WEIGHT_GRAD ? out : (int)batch;
            int nn = k == FORWARD ? out : in;
            int kk = k == FORWARD ? in : k == WEIGHT_GRAD ? (int)batch : out;
            printf("product\tL%d.%s\t%d\t%d\t%d\t%ld\t%.3e\t%.1f\n", l + 1, names[k], m,
                   nn, kk, full + (tail > 0), t_full, f_call / t_full * 1e-9);
            flops += f_call * (double)full + 2.0 * (double)tail * in * out;
            seconds += t_full * (double)full + t_tail;
            best += b_full * (double)full + b_tail;
        }
    }
    printf("floor\t%ld\t%.2f\t%.4f\t%.1f\t%.4f\n", batch, flops * 1e-9, seconds,
           flops / seconds * 1e-9, best);
    return 0;
}
