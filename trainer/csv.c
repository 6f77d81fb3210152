/*
 * The CSV reader. See csv.h for the format and the contract.
 *
 * The file is read whole, then parsed line by line into fields that point
 * into the buffer (quoted fields are unquoted in place).
 */
#include "csv.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { CSV_MAX_COLUMNS = 100000 };

/* One line split into fields. */
struct fields {
    char **text; /* (n) NUL-terminated, into the buffer */
    int *column; /* (n) 1-based character column of each field's start */
    int n, capacity;
};

/* The reader's state: the buffer and where the next line starts. */
struct reader {
    const char *path;
    char *buf;
    size_t size, pos;
    int line; /* 1-based number of the line last split */
};

static void set_source(struct hp_error *err, const char *path)
{
    if (err)
        snprintf(err->source, sizeof err->source, "%.511s", path);
}

static int read_all(struct reader *r, struct hp_error *err)
{
    FILE *f = fopen(r->path, "rb");
    if (!f)
        return hp_error_set(err, NULL, "cannot open: %s", strerror(errno));
    size_t capacity = 1 << 16;
    r->buf = malloc(capacity);
    r->size = 0;
    for (;;) {
        if (!r->buf) {
            fclose(f);
            return hp_error_set(err, NULL, "out of memory reading the file");
        }
        size_t got = fread(r->buf + r->size, 1, capacity - r->size - 1, f);
        r->size += got;
        if (r->size < capacity - 1)
            break;
        capacity *= 2;
        char *grown = realloc(r->buf, capacity);
        if (!grown)
            free(r->buf);
        r->buf = grown;
    }
    int failed = ferror(f);
    fclose(f);
    if (failed)
        return hp_error_set(err, NULL, "cannot read: %s", strerror(errno));
    r->buf[r->size] = '\0';
    return 0;
}

static int push(struct fields *f, char *text, int column)
{
    if (f->n == f->capacity) {
        int capacity = f->capacity ? 2 * f->capacity : 16;
        char **t = realloc(f->text, (size_t)capacity * sizeof *t);
        if (t)
            f->text = t;
        int *c = realloc(f->column, (size_t)capacity * sizeof *c);
        if (c)
            f->column = c;
        if (!t || !c)
            return -1;
        f->capacity = capacity;
    }
    f->text[f->n] = text;
    f->column[f->n] = column;
    f->n++;
    return 0;
}

/* Splits the next non-blank line into fields. Returns 1 with a line, 0 at
 * the end of the file, -1 with `err` set. */
static int next_line(struct reader *r, struct fields *f, struct hp_error *err)
{
    for (;;) {
        if (r->pos >= r->size)
            return 0;
        char *start = r->buf + r->pos;
        char *end = strchr(start, '\n');
        if (!end)
            end = r->buf + r->size;
        r->pos = (size_t)(end - r->buf) + 1;
        r->line++;
        if (end > start && end[-1] == '\r')
            end--;
        *end = '\0';
        if (start == end)
            continue; /* a blank line */
        f->n = 0;
        char *p = start;
        for (;;) {
            int column = (int)(p - start) + 1;
            char *field = p;
            if (*p == '"') {
                /* Unquote in place: "" becomes ". */
                char *out = p;
                p++;
                for (;;) {
                    if (*p == '\0')
                        return hp_error_set_at(err, r->line, column,
                                               "unterminated quoted field");
                    if (*p == '"' && p[1] == '"') {
                        *out++ = '"';
                        p += 2;
                    } else if (*p == '"') {
                        p++;
                        break;
                    } else {
                        *out++ = *p++;
                    }
                }
                if (*p != ',' && *p != '\0')
                    return hp_error_set_at(err, r->line, (int)(p - start) + 1,
                                           "text after a closing quote");
                char sep = *p;
                *out = '\0';
                if (push(f, field, column) < 0)
                    return hp_error_set(err, NULL, "out of memory");
                if (sep == '\0')
                    return 1;
                p++;
                continue;
            }
            while (*p != ',' && *p != '\0')
                p++;
            char sep = *p;
            *p = '\0';
            if (push(f, field, column) < 0)
                return hp_error_set(err, NULL, "out of memory");
            if (f->n > CSV_MAX_COLUMNS)
                return hp_error_set_at(err, r->line, column, "more than %d columns",
                                       CSV_MAX_COLUMNS);
            if (sep == '\0')
                return 1;
            p++;
        }
    }
}

/* A header name and where it stands, for finding repeated names. */
struct named_column {
    const char *name;
    int index;
};

static int compare_named_columns(const void *a, const void *b)
{
    const struct named_column *x = a;
    const struct named_column *y = b;
    int by_name = strcmp(x->name, y->name);
    if (by_name != 0)
        return by_name;
    return (x->index > y->index) - (x->index < y->index);
}

/* Refuses a header (fields `f` of line `line`) that names a column twice,
 * pointing at the first repeat a reader meets from the left. The names are
 * sorted (n log n, a header may have CSV_MAX_COLUMNS) and neighbours
 * compared. Returns 0, or -1 with `err` set. */
static int check_distinct_names(const struct fields *f, int line, struct hp_error *err)
{
    struct named_column *sorted = malloc((size_t)f->n * sizeof *sorted);
    if (!sorted)
        return hp_error_set(err, NULL, "out of memory");
    for (int c = 0; c < f->n; c++)
        sorted[c] = (struct named_column){f->text[c], c};
    qsort(sorted, (size_t)f->n, sizeof *sorted, compare_named_columns);
    int repeat = -1; /* the leftmost field that repeats an earlier name */
    int first = -1;  /* the field it repeats */
    for (int i = 1; i < f->n; i++) {
        /* Equal names sort by position: when sorted[i - 1] begins a run of
         * one name, sorted[i] is that name's first repeat. */
        int begins_run = i == 1 || strcmp(sorted[i - 1].name, sorted[i - 2].name) != 0;
        if (begins_run && strcmp(sorted[i].name, sorted[i - 1].name) == 0 &&
            (repeat < 0 || sorted[i].index < repeat)) {
            repeat = sorted[i].index;
            first = sorted[i - 1].index;
        }
    }
    free(sorted);
    if (repeat < 0)
        return 0;
    return hp_error_set_at(err, line, f->column[repeat],
                           "column \"%s\" is named twice in the header (first at column "
                           "%d)",
                           f->text[repeat], f->column[first]);
}

/* Parses a whole field as a finite number (surrounding spaces allowed). */
static int parse_number(const char *text, double *out)
{
    while (*text == ' ' || *text == '\t')
        text++;
    if (*text == '\0')
        return -1;
    char *end = NULL;
    errno = 0;
    double v = strtod(text, &end);
    while (*end == ' ' || *end == '\t')
        end++;
    if (*end != '\0' || errno == ERANGE || !isfinite(v))
        return -1;
    *out = v;
    return 0;
}

static int compare_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The class id of `name`: an integer label, or its index among `names`. */
static int class_id(const char *name, char **names, int nnames)
{
    if (names) {
        char *const *hit =
            bsearch(&name, names, (size_t)nnames, sizeof *names, compare_names);
        return hit ? (int)(hit - names) : -1;
    }
    double v = 0.0;
    if (parse_number(name, &v) < 0 || v < 0 || v > 1e6 || v != floor(v))
        return -1;
    return (int)v;
}

/* Decides how labels are read: as integers when every label is one, else as
 * names (sorted distinct values). Fills set->class_names and set->classes. */
static int plan_labels(struct dataset *set, char **labels, size_t n, struct hp_error *err)
{
    int all_integers = 1;
    int max = -1;
    for (size_t i = 0; i < n && all_integers; i++) {
        int id = class_id(labels[i], NULL, 0);
        if (id < 0)
            all_integers = 0;
        else if (id > max)
            max = id;
    }
    if (all_integers) {
        set->classes = max + 1;
        return 0;
    }
    char **sorted = malloc((n ? n : 1) * sizeof *sorted);
    if (!sorted)
        return hp_error_set(err, NULL, "out of memory");
    memcpy(sorted, labels, n * sizeof *sorted);
    qsort(sorted, n, sizeof *sorted, compare_names);
    size_t distinct = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || strcmp(sorted[i], sorted[i - 1]) != 0)
            sorted[distinct++] = sorted[i];
    set->class_names = calloc(distinct ? distinct : 1, sizeof *set->class_names);
    if (!set->class_names) {
        free(sorted);
        return hp_error_set(err, NULL, "out of memory");
    }
    set->classes = (int)distinct; /* so that dataset_free frees the names */
    for (size_t i = 0; i < distinct; i++) {
        set->class_names[i] = strdup(sorted[i]);
        if (!set->class_names[i]) {
            free(sorted);
            return hp_error_set(err, NULL, "out of memory");
        }
    }
    free(sorted);
    return 0;
}

int csv_load(struct dataset *set, const char *path, const char *label, enum task task,
             const struct dataset *like, struct hp_error *err)
{
    memset(set, 0, sizeof *set);
    struct reader r = {.path = path};
    struct fields f = {0};
    char **row_labels = NULL;
    int *label_column = NULL;
    int *label_line = NULL;
    size_t capacity = 0;
    int rc = -1;
    set_source(err, path);
    if (read_all(&r, err) < 0)
        goto done;

    int got = next_line(&r, &f, err);
    if (got <= 0) {
        if (got == 0)
            hp_error_set(err, NULL, "is empty: a header line is needed");
        goto done;
    }
    if (check_distinct_names(&f, r.line, err) < 0)
        goto done;
    int ncolumns = f.n;
    int label_index = -1;
    for (int c = 0; c < ncolumns; c++)
        if (strcmp(f.text[c], label) == 0)
            label_index = c;
    if (label_index < 0) {
        hp_error_set_at(err, r.line, 1, "no column named \"%s\" (the --label)", label);
        goto done;
    }
    if (ncolumns < 2) {
        hp_error_set_at(err, r.line, 1, "needs a feature column besides the label");
        goto done;
    }
    /* The header, rebuilt with single commas, to compare with another file's. */
    size_t hlen = 0;
    for (int c = 0; c < ncolumns; c++)
        hlen += strlen(f.text[c]) + 1;
    set->header = malloc(hlen + 1);
    if (!set->header) {
        hp_error_set(err, NULL, "out of memory");
        goto done;
    }
    set->header[0] = '\0';
    for (int c = 0; c < ncolumns; c++) {
        strcat(set->header, f.text[c]);
        if (c + 1 < ncolumns)
            strcat(set->header, ",");
    }
    if (like && strcmp(like->header, set->header) != 0) {
        hp_error_set_at(err, r.line, 1, "the header differs from the training file's");
        goto done;
    }
    set->dim = (size_t)ncolumns - 1;

    for (;;) {
        got = next_line(&r, &f, err);
        if (got < 0)
            goto done;
        if (got == 0)
            break;
        if (f.n != ncolumns) {
            hp_error_set_at(err, r.line, f.column[f.n < ncolumns ? f.n - 1 : ncolumns],
                            "expected %d fields as in the header, got %d", ncolumns, f.n);
            goto done;
        }
        if (set->n == capacity) {
            capacity = capacity ? 2 * capacity : 1024;
            float *features =
                realloc(set->features, capacity * set->dim * sizeof *features);
            if (features)
                set->features = features;
            char **labels = realloc(row_labels, capacity * sizeof *labels);
            if (labels)
                row_labels = labels;
            int *columns = realloc(label_column, capacity * sizeof *columns);
            if (columns)
                label_column = columns;
            int *lines = realloc(label_line, capacity * sizeof *lines);
            if (lines)
                label_line = lines;
            if (!features || !labels || !columns || !lines) {
                hp_error_set(err, NULL, "out of memory");
                goto done;
            }
        }
        float *x = set->features + set->n * set->dim;
        size_t k = 0;
        for (int c = 0; c < ncolumns; c++) {
            if (c == label_index)
                continue;
            double v = 0.0;
            if (parse_number(f.text[c], &v) < 0) {
                /* Name the column from the header kept in set->header. */
                const char *h = set->header;
                for (int skip = 0; skip < c; skip++)
                    h = strchr(h, ',') + 1;
                size_t len = strcspn(h, ",");
                hp_error_set_at(err, r.line, f.column[c],
                                "column \"%.*s\": expected a number, got \"%s\"",
                                (int)len, h, f.text[c]);
                goto done;
            }
            x[k++] = (float)v;
        }
        row_labels[set->n] = f.text[label_index];
        label_column[set->n] = f.column[label_index];
        label_line[set->n] = r.line;
        set->n++;
    }
    if (set->n == 0) {
        hp_error_set(err, NULL, "has a header but no rows");
        goto done;
    }

    if (task == TASK_REGRESSION) {
        set->classes = 1;
        set->targets = malloc(set->n * sizeof *set->targets);
        if (!set->targets) {
            hp_error_set(err, NULL, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < set->n; i++) {
            double v = 0.0;
            if (parse_number(row_labels[i], &v) < 0) {
                hp_error_set_at(err, label_line[i], label_column[i],
                                "column \"%s\": expected a number (the regression "
                                "target), got \"%s\"",
                                label, row_labels[i]);
                goto done;
            }
            set->targets[i] = (float)v;
        }
    } else {
        if (like) {
            set->classes = like->classes;
        } else if (plan_labels(set, row_labels, set->n, err) < 0) {
            goto done;
        }
        char **names = like ? like->class_names : set->class_names;
        set->labels = malloc(set->n * sizeof *set->labels);
        if (!set->labels) {
            hp_error_set(err, NULL, "out of memory");
            goto done;
        }
        for (size_t i = 0; i < set->n; i++) {
            int id = class_id(row_labels[i], names, set->classes);
            if (id < 0 || id >= set->classes) {
                hp_error_set_at(err, label_line[i], label_column[i],
                                "column \"%s\": \"%s\" is not a class of the training "
                                "file",
                                label, row_labels[i]);
                goto done;
            }
            set->labels[i] = id;
        }
    }
    rc = 0;

done:
    if (rc < 0)
        dataset_free(set);
    free(r.buf);
    free(f.text);
    free(f.column);
    free(row_labels);
    free(label_column);
    free(label_line);
    return rc;
}
