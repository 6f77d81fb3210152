/*
 * TensorBoard's event files and HParams summaries, encoded. See tfevents.h.
 *
 * Every field is written through a named constant whose comment cites the
 * .proto it comes from, and in field-number order, as protobuf's own
 * serializers write them. Fields at their proto3 default (0, "") outside a
 * oneof are left out, as protobuf's own serializers do; members of a oneof
 * are always written, since setting one is what chooses it.
 */
#include "tfevents.h"

#include <string.h>

#include "crc32c.h"

/* tensorboard/compat/proto/event.proto, message Event. */
enum {
    EVENT_WALL_TIME = 1,    /* double */
    EVENT_STEP = 2,         /* int64 */
    EVENT_FILE_VERSION = 3, /* string, oneof what */
    EVENT_SUMMARY = 5,      /* Summary, oneof what */
};

/* tensorboard/compat/proto/summary.proto: Summary, Summary.Value,
 * SummaryMetadata and SummaryMetadata.PluginData. */
enum {
    SUMMARY_VALUE = 1,           /* repeated Value */
    VALUE_TAG = 1,               /* string */
    VALUE_SIMPLE_VALUE = 2,      /* float, oneof value */
    VALUE_TENSOR = 8,            /* TensorProto, oneof value */
    VALUE_METADATA = 9,          /* SummaryMetadata */
    METADATA_PLUGIN_DATA = 1,    /* PluginData */
    PLUGIN_DATA_PLUGIN_NAME = 1, /* string */
    PLUGIN_DATA_CONTENT = 2,     /* bytes */
};

/* tensorboard/compat/proto/tensor.proto (TensorProto), tensor_shape.proto
 * (TensorShapeProto and its Dim) and types.proto (DataType). */
enum {
    TENSOR_DTYPE = 1,        /* DataType */
    TENSOR_TENSOR_SHAPE = 2, /* TensorShapeProto */
    SHAPE_DIM = 2,           /* repeated Dim; Dim.size = 1 is 0 here, left out */
    DT_FLOAT = 1,
};

/* tensorboard/plugins/hparams/plugin_data.proto. */
enum {
    PLUGIN_DATA_EXPERIMENT = 2,         /* Experiment, oneof data */
    PLUGIN_DATA_SESSION_START_INFO = 3, /* SessionStartInfo, oneof data */
    PLUGIN_DATA_SESSION_END_INFO = 4,   /* SessionEndInfo, oneof data */
    /* HParamsPluginData.version = 1 is PLUGIN_DATA_VERSION, 0 (metadata.py):
     * the default, so left out. */
    START_HPARAMS = 1,         /* map<string, google.protobuf.Value> */
    START_GROUP_NAME = 4,      /* string */
    START_START_TIME_SECS = 5, /* double */
    END_STATUS = 1,            /* Status */
    END_END_TIME_SECS = 2,     /* double */
    MAP_ENTRY_KEY = 1,         /* a map field is a repeated entry {key = 1, value = 2} */
    MAP_ENTRY_VALUE = 2,
};

/* tensorboard/plugins/hparams/api.proto. */
enum {
    EXPERIMENT_DESCRIPTION = 1,       /* string */
    EXPERIMENT_TIME_CREATED_SECS = 3, /* double */
    EXPERIMENT_HPARAM_INFOS = 4,      /* repeated HParamInfo */
    EXPERIMENT_METRIC_INFOS = 5,      /* repeated MetricInfo */
    EXPERIMENT_NAME = 6,              /* string */
    HPARAM_NAME = 1,                  /* string */
    HPARAM_TYPE = 4,                  /* DataType */
    HPARAM_DOMAIN_DISCRETE = 5,       /* google.protobuf.ListValue, oneof domain */
    HPARAM_DOMAIN_INTERVAL = 6,       /* Interval, oneof domain */
    INTERVAL_MIN_VALUE = 1,           /* double */
    INTERVAL_MAX_VALUE = 2,           /* double */
    METRIC_INFO_NAME = 1,             /* MetricName */
    METRIC_INFO_DATASET_TYPE = 5,     /* DatasetType */
    METRIC_NAME_GROUP = 1,            /* string */
    METRIC_NAME_TAG = 2,              /* string */
};

/* api.proto's DataType and DatasetType. */
enum {
    DATA_TYPE_UNSET = 0,
    DATA_TYPE_STRING = 1,
    DATA_TYPE_BOOL = 2,
    DATA_TYPE_FLOAT64 = 3,
    DATASET_UNKNOWN = 0,
    DATASET_TRAINING = 1,
    DATASET_VALIDATION = 2,
};

/* google/protobuf/struct.proto: Value (its kind is a oneof) and ListValue. */
enum {
    STRUCT_NULL_VALUE = 1,   /* NullValue, an enum whose only value is 0 */
    STRUCT_NUMBER_VALUE = 2, /* double */
    STRUCT_STRING_VALUE = 3, /* string */
    STRUCT_BOOL_VALUE = 4,   /* bool */
    LIST_VALUES = 1,         /* repeated Value */
};

/* "brain.Event:2": the version TensorBoard's own writers put first. */
static const char FILE_VERSION[] = "brain.Event:2";
static const char HPARAMS_PLUGIN_NAME[] = "hparams";

static void put_u32_le(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (unsigned char)(v >> (8 * i));
}

void tfevents_frame(struct hp_pb *out, const struct hp_pb *event)
{
    if (event->failed) {
        out->failed = 1;
        return;
    }
    unsigned char head[12];
    uint64_t len = (uint64_t)event->len;
    for (int i = 0; i < 8; i++)
        head[i] = (unsigned char)(len >> (8 * i));
    put_u32_le(head + 8, hp_crc32c_mask(hp_crc32c(0, head, 8)));
    unsigned char tail[4];
    put_u32_le(tail, hp_crc32c_mask(hp_crc32c(0, event->data, event->len)));
    hp_pb_raw(out, head, sizeof head);
    hp_pb_raw(out, event->data, event->len);
    hp_pb_raw(out, tail, sizeof tail);
}

void tfevents_version_event(struct hp_pb *event, double wall_time)
{
    hp_pb_reset(event);
    hp_pb_double(event, EVENT_WALL_TIME, wall_time);
    hp_pb_string(event, EVENT_FILE_VERSION, FILE_VERSION);
}

void tfevents_scalar(struct hp_pb *summary, const char *tag, float value)
{
    struct hp_pb v;
    hp_pb_init(&v);
    hp_pb_string(&v, VALUE_TAG, tag);
    hp_pb_float(&v, VALUE_SIMPLE_VALUE, value);
    hp_pb_message(summary, SUMMARY_VALUE, &v);
    hp_pb_free(&v);
}

void tfevents_summary_event(struct hp_pb *event, double wall_time, int64_t step,
                            const struct hp_pb *summary)
{
    hp_pb_reset(event);
    hp_pb_double(event, EVENT_WALL_TIME, wall_time);
    if (step != 0)
        hp_pb_varint(event, EVENT_STEP, (uint64_t)step);
    hp_pb_message(event, EVENT_SUMMARY, summary);
}

void tfevents_hparams_value(struct hp_pb *summary, const char *tag,
                            const struct hp_pb *plugin_data)
{
    struct hp_pb plugin, metadata, shape, tensor, v;
    hp_pb_init(&plugin);
    hp_pb_init(&metadata);
    hp_pb_init(&shape);
    hp_pb_init(&tensor);
    hp_pb_init(&v);
    hp_pb_string(&plugin, PLUGIN_DATA_PLUGIN_NAME, HPARAMS_PLUGIN_NAME);
    hp_pb_message(&plugin, PLUGIN_DATA_CONTENT, plugin_data);
    hp_pb_message(&metadata, METADATA_PLUGIN_DATA, &plugin);
    /* A float tensor of shape [0]: one dimension of size 0 (left out). */
    hp_pb_bytes(&shape, SHAPE_DIM, "", 0);
    hp_pb_varint(&tensor, TENSOR_DTYPE, DT_FLOAT);
    hp_pb_message(&tensor, TENSOR_TENSOR_SHAPE, &shape);
    hp_pb_string(&v, VALUE_TAG, tag);
    hp_pb_message(&v, VALUE_TENSOR, &tensor);
    hp_pb_message(&v, VALUE_METADATA, &metadata);
    hp_pb_message(summary, SUMMARY_VALUE, &v);
    hp_pb_free(&plugin);
    hp_pb_free(&metadata);
    hp_pb_free(&shape);
    hp_pb_free(&tensor);
    hp_pb_free(&v);
}

/* Appends `value` (a JSON scalar) as a google.protobuf.Value; containers,
 * which a config never holds, as null. */
static void put_struct_value(struct hp_pb *out, uint32_t field, const json_t *value)
{
    struct hp_pb v;
    hp_pb_init(&v);
    if (json_is_number(value))
        hp_pb_double(&v, STRUCT_NUMBER_VALUE, json_number_value(value));
    else if (json_is_string(value))
        hp_pb_bytes(&v, STRUCT_STRING_VALUE, json_string_value(value),
                    json_string_length(value));
    else if (json_is_boolean(value))
        hp_pb_varint(&v, STRUCT_BOOL_VALUE, json_is_true(value) ? 1 : 0);
    else
        hp_pb_varint(&v, STRUCT_NULL_VALUE, 0);
    hp_pb_message(out, field, &v);
    hp_pb_free(&v);
}

void tfevents_session_start(struct hp_pb *plugin_data, const json_t *params,
                            const char *group, double start_time)
{
    struct hp_pb info, entry;
    hp_pb_init(&info);
    hp_pb_init(&entry);
    const char *key;
    json_t *value;
    json_object_foreach((json_t *)params, key, value)
    {
        hp_pb_reset(&entry);
        hp_pb_string(&entry, MAP_ENTRY_KEY, key);
        put_struct_value(&entry, MAP_ENTRY_VALUE, value);
        hp_pb_message(&info, START_HPARAMS, &entry);
    }
    if (group[0])
        hp_pb_string(&info, START_GROUP_NAME, group);
    if (start_time != 0)
        hp_pb_double(&info, START_START_TIME_SECS, start_time);
    hp_pb_reset(plugin_data);
    hp_pb_message(plugin_data, PLUGIN_DATA_SESSION_START_INFO, &info);
    hp_pb_free(&info);
    hp_pb_free(&entry);
}

void tfevents_session_end(struct hp_pb *plugin_data, enum tfevents_status status,
                          double end_time)
{
    struct hp_pb info;
    hp_pb_init(&info);
    if (status != TFEVENTS_STATUS_UNKNOWN)
        hp_pb_varint(&info, END_STATUS, (uint64_t)status);
    if (end_time != 0)
        hp_pb_double(&info, END_END_TIME_SECS, end_time);
    hp_pb_reset(plugin_data);
    hp_pb_message(plugin_data, PLUGIN_DATA_SESSION_END_INFO, &info);
    hp_pb_free(&info);
}

/* The DataType all of `values` share (a JSON array), else unset. */
static int values_type(const json_t *values)
{
    size_t n = json_array_size(values);
    size_t strings = 0, numbers = 0, bools = 0;
    for (size_t i = 0; i < n; i++) {
        const json_t *v = json_array_get(values, i);
        strings += json_is_string(v) != 0;
        numbers += json_is_number(v) != 0;
        bools += json_is_boolean(v) != 0;
    }
    if (n > 0 && strings == n)
        return DATA_TYPE_STRING;
    if (n > 0 && numbers == n)
        return DATA_TYPE_FLOAT64;
    if (n > 0 && bools == n)
        return DATA_TYPE_BOOL;
    return DATA_TYPE_UNSET;
}

static void put_hparam_info(struct hp_pb *out, const struct param_spec *spec)
{
    struct hp_pb info, domain;
    hp_pb_init(&info);
    hp_pb_init(&domain);
    hp_pb_string(&info, HPARAM_NAME, spec->name);
    json_t *single = NULL;
    const json_t *values = spec->values;
    if (spec->kind == PARAM_CONSTANT) {
        single = json_array();
        if (!single || json_array_append(single, spec->value) < 0)
            info.failed = 1;
        values = single;
    }
    if (values) {
        int type = values_type(values);
        if (type != DATA_TYPE_UNSET)
            hp_pb_varint(&info, HPARAM_TYPE, (uint64_t)type);
        for (size_t i = 0; i < json_array_size(values); i++)
            put_struct_value(&domain, LIST_VALUES, json_array_get(values, i));
        hp_pb_message(&info, HPARAM_DOMAIN_DISCRETE, &domain);
    } else {
        hp_pb_varint(&info, HPARAM_TYPE, DATA_TYPE_FLOAT64);
        if (spec->low != 0)
            hp_pb_double(&domain, INTERVAL_MIN_VALUE, spec->low);
        if (spec->high != 0)
            hp_pb_double(&domain, INTERVAL_MAX_VALUE, spec->high);
        hp_pb_message(&info, HPARAM_DOMAIN_INTERVAL, &domain);
    }
    json_decref(single);
    hp_pb_message(out, EXPERIMENT_HPARAM_INFOS, &info);
    hp_pb_free(&info);
    hp_pb_free(&domain);
}

static void put_metric_info(struct hp_pb *out, const char *tag)
{
    struct hp_pb info, name;
    hp_pb_init(&info);
    hp_pb_init(&name);
    hp_pb_string(&name, METRIC_NAME_TAG, tag); /* group "": the session's own run */
    hp_pb_message(&info, METRIC_INFO_NAME, &name);
    int dataset = strncmp(tag, "val_", 4) == 0     ? DATASET_VALIDATION
                  : strncmp(tag, "train_", 6) == 0 ? DATASET_TRAINING
                                                   : DATASET_UNKNOWN;
    if (dataset != DATASET_UNKNOWN)
        hp_pb_varint(&info, METRIC_INFO_DATASET_TYPE, (uint64_t)dataset);
    hp_pb_message(out, EXPERIMENT_METRIC_INFOS, &info);
    hp_pb_free(&info);
    hp_pb_free(&name);
}

void tfevents_experiment(struct hp_pb *plugin_data, const char *name,
                         const char *description, double time_created,
                         const struct search_space *params, const char *const *metrics,
                         size_t count)
{
    struct hp_pb experiment;
    hp_pb_init(&experiment);
    if (description[0])
        hp_pb_string(&experiment, EXPERIMENT_DESCRIPTION, description);
    if (time_created != 0)
        hp_pb_double(&experiment, EXPERIMENT_TIME_CREATED_SECS, time_created);
    for (size_t i = 0; i < params->count; i++)
        put_hparam_info(&experiment, &params->params[i]);
    for (size_t i = 0; i < count; i++)
        put_metric_info(&experiment, metrics[i]);
    if (name[0])
        hp_pb_string(&experiment, EXPERIMENT_NAME, name);
    hp_pb_reset(plugin_data);
    hp_pb_message(plugin_data, PLUGIN_DATA_EXPERIMENT, &experiment);
    hp_pb_free(&experiment);
}
