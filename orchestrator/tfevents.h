/*
 * TensorBoard's file format, written: Event protos (a file version, scalar
 * summaries, the HParams plugin's summaries) and the TFRecord framing that
 * strings them into an events.out.tfevents.* file.
 *
 * A TFRecord is
 *
 *   uint64 length, little-endian
 *   uint32 masked CRC-32C of those 8 bytes
 *   length bytes of data (here, one serialized Event)
 *   uint32 masked CRC-32C of the data
 *
 * (tensorflow/core/lib/io/record_writer.h; the mask is hp_crc32c_mask).
 * The field numbers used below are those of TensorBoard's published protos:
 * tensorboard/compat/proto/event.proto, summary.proto, tensor.proto and
 * tensor_shape.proto (copies of TensorFlow's tensorflow/core/util/event.proto
 * and tensorflow/core/framework/summary.proto), the HParams plugin's
 * tensorboard/plugins/hparams/api.proto and plugin_data.proto, and
 * google/protobuf/struct.proto for parameter values. Each is cited where it
 * is used.
 *
 * This file owns the bytes. Which events go into which file, and when, is
 * tensorboard.c's.
 */
#ifndef TFEVENTS_H
#define TFEVENTS_H

#include <jansson.h>
#include <stdint.h>

#include "protobuf.h"
#include "search_space.h"

/* The tags under which the HParams plugin looks for its summaries
 * (tensorboard/plugins/hparams/metadata.py). */
#define TFEVENTS_EXPERIMENT_TAG "_hparams_/experiment"
#define TFEVENTS_SESSION_START_TAG "_hparams_/session_start_info"
#define TFEVENTS_SESSION_END_TAG "_hparams_/session_end_info"

/* api.proto's Status. */
enum tfevents_status {
    TFEVENTS_STATUS_UNKNOWN = 0,
    TFEVENTS_STATUS_SUCCESS = 1,
    TFEVENTS_STATUS_FAILURE = 2,
    TFEVENTS_STATUS_RUNNING = 3,
};

/* Appends `event` (a serialized Event) to `out` as one TFRecord. */
void tfevents_frame(struct hp_pb *out, const struct hp_pb *event);

/* Writes into `event` (reset first) the Event that opens every file:
 * wall_time and file_version "brain.Event:2". */
void tfevents_version_event(struct hp_pb *event, double wall_time);

/* Appends to `summary` (a Summary being built) one Value: `tag` with a
 * simple_value, the classic scalar TensorBoard's Scalars dashboard reads. */
void tfevents_scalar(struct hp_pb *summary, const char *tag, float value);

/* Writes into `event` (reset first) an Event at wall_time and step holding
 * `summary`. */
void tfevents_summary_event(struct hp_pb *event, double wall_time, int64_t step,
                            const struct hp_pb *summary);

/* Appends to `summary` the HParams plugin's Value: `tag` (one of the
 * TFEVENTS_*_TAG), metadata naming the plugin "hparams" with `plugin_data`
 * (a serialized HParamsPluginData) as its content, and an empty float tensor,
 * as TensorBoard's own hparams summaries carry (so data providers that read
 * only tensors list the tag). */
void tfevents_hparams_value(struct hp_pb *summary, const char *tag,
                            const struct hp_pb *plugin_data);

/* Writes into `plugin_data` (reset first) an HParamsPluginData holding a
 * SessionStartInfo: the session's `params` (a JSON object of scalars,
 * borrowed; numbers, strings, booleans and null become google.protobuf.Value
 * in the object's order), its group (the sessions of one config are one
 * group) and start time. */
void tfevents_session_start(struct hp_pb *plugin_data, const json_t *params,
                            const char *group, double start_time);

/* Writes into `plugin_data` (reset first) an HParamsPluginData holding a
 * SessionEndInfo with `status` and end time. */
void tfevents_session_end(struct hp_pb *plugin_data, enum tfevents_status status,
                          double end_time);

/* Writes into `plugin_data` (reset first) an HParamsPluginData holding the
 * Experiment: its name and description, creation time, one HParamInfo per
 * parameter of `params` (numeric ranges as an interval, choices, constants
 * and explicit values as a discrete domain, typed as strings, booleans or
 * floats when all their values are of that type) and one MetricInfo per name
 * of metrics[count] (group "", the session's own run; names starting "val_"
 * are marked validation, "train_" training). */
void tfevents_experiment(struct hp_pb *plugin_data, const char *name,
                         const char *description, double time_created,
                         const struct search_space *params, const char *const *metrics,
                         size_t count);

#endif
