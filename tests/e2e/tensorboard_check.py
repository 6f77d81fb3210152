#!/usr/bin/python3
"""Reads a sweep's TensorBoard files back and checks every byte of them.

usage: tensorboard_check.py SWEEP_DIR

TensorBoard is not in Debian, so this reads the files with Debian's
python3-protobuf from message definitions written here, field for field, from
TensorBoard's published .proto files:

  tensorboard/compat/proto/event.proto        Event
  tensorboard/compat/proto/summary.proto      Summary, Summary.Value,
                                              SummaryMetadata, PluginData
  tensorboard/compat/proto/tensor.proto,
  tensor_shape.proto                          TensorProto, TensorShapeProto
  tensorboard/plugins/hparams/plugin_data.proto
                                              HParamsPluginData,
                                              SessionStartInfo, SessionEndInfo
  tensorboard/plugins/hparams/api.proto       Experiment, HParamInfo, Interval,
                                              MetricInfo, MetricName
  google/protobuf/struct.proto                Value, ListValue (protobuf's own)

and checks, against the sweep's own records:
  - the TFRecord framing of every record: the length, the masked CRC-32C of
    the length and of the data (a CRC written here, bit by bit), nothing after
    the last record;
  - each file opens with file_version "brain.Event:2";
  - every scalar: for each report record of the trial in the journal, in
    order, one event at step = the line's "epoch" (the trial's last epoch for
    a line without one) holding every numeric key but "epoch", as float32;
  - one session start info per trial: its params equal the config's params in
    the journal's start record and in results.json, its group is the config;
  - one session end info per finished trial, its status the trial's status in
    results.csv (ok and pruned: SUCCESS, failed: FAILURE);
  - the experiment at the root: every parameter of space.json with its domain,
    the metrics seen (the objective first, then by name);
  - one directory per trial of results.csv, each with one event file named
    events.out.tfevents.<sweep start time>.hpsearch.
Exits 0 when all holds, 1 with the first difference.
"""

import csv
import json
import math
import os
import struct
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, struct_pb2

try:
    from google.protobuf import message_factory
except ImportError:  # pragma: no cover
    message_factory = None

F = descriptor_pb2.FieldDescriptorProto
OPT, REP = F.LABEL_OPTIONAL, F.LABEL_REPEATED
T_DOUBLE, T_FLOAT, T_INT64, T_INT32 = F.TYPE_DOUBLE, F.TYPE_FLOAT, F.TYPE_INT64, F.TYPE_INT32
T_STRING, T_BYTES, T_MSG, T_ENUM, T_BOOL = (F.TYPE_STRING, F.TYPE_BYTES, F.TYPE_MESSAGE,
                                            F.TYPE_ENUM, F.TYPE_BOOL)


def add_message(container, name, fields, oneofs=(), map_entry=False):
    """fields: (name, number, type, label, type_name or None, oneof name or None)."""
    m = container.add(name=name)
    if map_entry:
        m.options.map_entry = True
    for oneof in oneofs:
        m.oneof_decl.add(name=oneof)
    for fname, number, ftype, label, type_name, oneof in fields:
        f = m.field.add(name=fname, number=number, type=ftype, label=label)
        if type_name:
            f.type_name = type_name
        if oneof is not None:
            f.oneof_index = list(oneofs).index(oneof)
    return m


def build_messages():
    pool = descriptor_pool.DescriptorPool()
    struct_file = descriptor_pb2.FileDescriptorProto()
    struct_pb2.DESCRIPTOR.CopyToProto(struct_file)
    pool.Add(struct_file)

    tb = descriptor_pb2.FileDescriptorProto(name="hpsearch_tb_check.proto",
                                            package="tensorboard", syntax="proto3")
    tb.dependency.append("google/protobuf/struct.proto")
    # tensor_shape.proto
    shape = add_message(tb.message_type, "TensorShapeProto", [
        ("dim", 2, T_MSG, REP, ".tensorboard.TensorShapeProto.Dim", None),
        ("unknown_rank", 3, T_BOOL, OPT, None, None)])
    add_message(shape.nested_type, "Dim", [
        ("size", 1, T_INT64, OPT, None, None),
        ("name", 2, T_STRING, OPT, None, None)])
    # tensor.proto (the fields an empty float tensor can hold; DataType as int)
    add_message(tb.message_type, "TensorProto", [
        ("dtype", 1, T_INT32, OPT, None, None),
        ("tensor_shape", 2, T_MSG, OPT, ".tensorboard.TensorShapeProto", None),
        ("version_number", 3, T_INT32, OPT, None, None),
        ("tensor_content", 4, T_BYTES, OPT, None, None),
        ("float_val", 5, T_FLOAT, REP, None, None)])
    # summary.proto
    meta = add_message(tb.message_type, "SummaryMetadata", [
        ("plugin_data", 1, T_MSG, OPT, ".tensorboard.SummaryMetadata.PluginData", None),
        ("display_name", 2, T_STRING, OPT, None, None),
        ("summary_description", 3, T_STRING, OPT, None, None),
        ("data_class", 4, T_INT32, OPT, None, None)])
    add_message(meta.nested_type, "PluginData", [
        ("plugin_name", 1, T_STRING, OPT, None, None),
        ("content", 2, T_BYTES, OPT, None, None)])
    summary = add_message(tb.message_type, "Summary", [
        ("value", 1, T_MSG, REP, ".tensorboard.Summary.Value", None)])
    add_message(summary.nested_type, "Value", [
        ("node_name", 7, T_STRING, OPT, None, None),
        ("tag", 1, T_STRING, OPT, None, None),
        ("metadata", 9, T_MSG, OPT, ".tensorboard.SummaryMetadata", None),
        ("simple_value", 2, T_FLOAT, OPT, None, "value"),
        ("obsolete_old_style_histogram", 3, T_BYTES, OPT, None, "value"),
        ("tensor", 8, T_MSG, OPT, ".tensorboard.TensorProto", "value")],
        oneofs=("value",))
    # event.proto (the oneof members this checker expects; others would be
    # unknown fields, which the check of WhichOneof catches)
    add_message(tb.message_type, "Event", [
        ("wall_time", 1, T_DOUBLE, OPT, None, None),
        ("step", 2, T_INT64, OPT, None, None),
        ("file_version", 3, T_STRING, OPT, None, "what"),
        ("graph_def", 4, T_BYTES, OPT, None, "what"),
        ("summary", 5, T_MSG, OPT, ".tensorboard.Summary", "what"),
        ("meta_graph_def", 9, T_BYTES, OPT, None, "what")],
        oneofs=("what",))
    # plugins/hparams/api.proto
    add_message(tb.message_type, "Interval", [
        ("min_value", 1, T_DOUBLE, OPT, None, None),
        ("max_value", 2, T_DOUBLE, OPT, None, None)])
    add_message(tb.message_type, "HParamInfo", [
        ("name", 1, T_STRING, OPT, None, None),
        ("display_name", 2, T_STRING, OPT, None, None),
        ("description", 3, T_STRING, OPT, None, None),
        ("type", 4, T_INT32, OPT, None, None),
        ("domain_discrete", 5, T_MSG, OPT, ".google.protobuf.ListValue", "domain"),
        ("domain_interval", 6, T_MSG, OPT, ".tensorboard.Interval", "domain")],
        oneofs=("domain",))
    add_message(tb.message_type, "MetricName", [
        ("group", 1, T_STRING, OPT, None, None),
        ("tag", 2, T_STRING, OPT, None, None)])
    add_message(tb.message_type, "MetricInfo", [
        ("name", 1, T_MSG, OPT, ".tensorboard.MetricName", None),
        ("display_name", 3, T_STRING, OPT, None, None),
        ("description", 4, T_STRING, OPT, None, None),
        ("dataset_type", 5, T_INT32, OPT, None, None)])
    add_message(tb.message_type, "Experiment", [
        ("name", 6, T_STRING, OPT, None, None),
        ("description", 1, T_STRING, OPT, None, None),
        ("user", 2, T_STRING, OPT, None, None),
        ("time_created_secs", 3, T_DOUBLE, OPT, None, None),
        ("hparam_infos", 4, T_MSG, REP, ".tensorboard.HParamInfo", None),
        ("metric_infos", 5, T_MSG, REP, ".tensorboard.MetricInfo", None)])
    # plugins/hparams/plugin_data.proto
    start = add_message(tb.message_type, "SessionStartInfo", [
        ("hparams", 1, T_MSG, REP, ".tensorboard.SessionStartInfo.HparamsEntry", None),
        ("model_uri", 2, T_STRING, OPT, None, None),
        ("monitor_url", 3, T_STRING, OPT, None, None),
        ("group_name", 4, T_STRING, OPT, None, None),
        ("start_time_secs", 5, T_DOUBLE, OPT, None, None)])
    add_message(start.nested_type, "HparamsEntry", [
        ("key", 1, T_STRING, OPT, None, None),
        ("value", 2, T_MSG, OPT, ".google.protobuf.Value", None)], map_entry=True)
    add_message(tb.message_type, "SessionEndInfo", [
        ("status", 1, T_INT32, OPT, None, None),
        ("end_time_secs", 2, T_DOUBLE, OPT, None, None)])
    add_message(tb.message_type, "HParamsPluginData", [
        ("version", 1, T_INT32, OPT, None, None),
        ("experiment", 2, T_MSG, OPT, ".tensorboard.Experiment", "data"),
        ("session_start_info", 3, T_MSG, OPT, ".tensorboard.SessionStartInfo", "data"),
        ("session_end_info", 4, T_MSG, OPT, ".tensorboard.SessionEndInfo", "data")],
        oneofs=("data",))
    pool.Add(tb)

    names = ["Event", "HParamsPluginData"]
    out = {}
    for name in names:
        desc = pool.FindMessageTypeByName("tensorboard." + name)
        if hasattr(message_factory, "GetMessageClass"):
            out[name] = message_factory.GetMessageClass(desc)
        else:
            out[name] = message_factory.MessageFactory(pool).GetPrototype(desc)
    return out["Event"], out["HParamsPluginData"]


Event, HParamsPluginData = build_messages()

# api.proto's Status and DataType; types.proto's DT_FLOAT.
STATUS_SUCCESS, STATUS_FAILURE = 1, 2
DATA_TYPE_STRING, DATA_TYPE_BOOL, DATA_TYPE_FLOAT64 = 1, 2, 3
DT_FLOAT = 1


class Mismatch(Exception):
    pass


def expect(cond, what):
    if not cond:
        raise Mismatch(what)


def crc32c(data):
    """CRC-32C, bit by bit (polynomial 0x82F63B78 reflected)."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


assert crc32c(b"123456789") == 0xE3069283


def expect_known(message, where):
    """No field of `message` or of any message inside it is unknown to these
    definitions."""
    expect(len(message.UnknownFields()) == 0,
           f"{where}: {message.DESCRIPTOR.name} holds fields these definitions do not know")
    for field, value in message.ListFields():
        if field.type != field.TYPE_MESSAGE:
            continue
        if field.message_type.GetOptions().map_entry:
            values = value.values() if field.message_type.fields_by_name[
                "value"].type == field.TYPE_MESSAGE else []
        elif field.label == field.LABEL_REPEATED:
            values = value
        else:
            values = [value]
        for sub in values:
            expect_known(sub, where)


def read_records(path):
    data = open(path, "rb").read()
    records, pos = [], 0
    while pos < len(data):
        expect(len(data) - pos >= 12, f"{path}: a torn record header at byte {pos}")
        length_bytes = data[pos:pos + 8]
        (length,) = struct.unpack("<Q", length_bytes)
        (length_crc,) = struct.unpack("<I", data[pos + 8:pos + 12])
        expect(length_crc == masked(crc32c(length_bytes)),
               f"{path}: record at byte {pos}: the length's CRC is wrong")
        body = data[pos + 12:pos + 12 + length]
        expect(len(body) == length and len(data) >= pos + 16 + length,
               f"{path}: record at byte {pos}: shorter than its length {length}")
        (body_crc,) = struct.unpack("<I", data[pos + 12 + length:pos + 16 + length])
        expect(body_crc == masked(crc32c(body)),
               f"{path}: record at byte {pos}: the data's CRC is wrong")
        event = Event()
        event.ParseFromString(body)
        expect_known(event, f"{path}: record at byte {pos}")
        expect(event.ByteSize() == length,
               f"{path}: record at byte {pos}: {length} bytes where its fields take "
               f"{event.ByteSize()}")
        records.append(event)
        pos += 16 + length
    return records


def float32(x):
    try:
        return struct.unpack("<f", struct.pack("<f", x))[0]
    except OverflowError:
        return math.copysign(math.inf, x)


def is_number(v):
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def struct_value(v):
    kind = v.WhichOneof("kind")
    if kind == "number_value":
        return ("number", v.number_value)
    if kind == "string_value":
        return ("string", v.string_value)
    if kind == "bool_value":
        return ("bool", v.bool_value)
    return ("null", None)


def json_value(v):
    if isinstance(v, bool):
        return ("bool", v)
    if is_number(v):
        return ("number", float(v))
    if isinstance(v, str):
        return ("string", v)
    return ("null", None)


def hparams_value(value, tag):
    """The HParamsPluginData of an hparams summary value, checked."""
    expect(value.tag == tag, f"expected tag {tag}, got {value.tag}")
    expect(value.metadata.plugin_data.plugin_name == "hparams",
           f"{tag}: plugin_name {value.metadata.plugin_data.plugin_name!r}")
    expect(value.WhichOneof("value") == "tensor", f"{tag}: no tensor value")
    expect(value.tensor.dtype == DT_FLOAT and len(value.tensor.tensor_shape.dim) == 1 and
           value.tensor.tensor_shape.dim[0].size == 0, f"{tag}: not an empty float tensor")
    data = HParamsPluginData()
    data.ParseFromString(value.metadata.plugin_data.content)
    expect_known(data, f"{tag}: plugin data")
    expect(data.ByteSize() == len(value.metadata.plugin_data.content),
           f"{tag}: plugin data is longer than its fields")
    expect(data.version == 0, f"{tag}: plugin data version {data.version}")
    return data


def check(sweep):
    space = json.load(open(os.path.join(sweep, "space.json")))
    records = [json.loads(line) for line in open(os.path.join(sweep, "journal.jsonl"))
               if line.endswith("\n")]
    results = json.load(open(os.path.join(sweep, "results.json")))
    with open(os.path.join(sweep, "results.csv"), newline="") as f:
        rows = {row["trial"]: row for row in csv.DictReader(f)}
    objective = space.get("objective", {}).get("metric", "val_accuracy")
    resource = space.get("scheduler", {}).get("resource", "epoch")

    expect(records[0]["event"] == "sweep_start", "the journal does not open with sweep_start")
    start_time = records[0]["time"]
    file_name = "events.out.tfevents.%d.hpsearch" % math.floor(start_time)
    root = os.path.join(sweep, "tensorboard")

    # What the journal says each trial's file must hold.
    clock = start_time
    trials = {}
    metrics = set()
    for r in records:
        ev = r["event"]
        if ev in ("sweep_start", "resume"):
            clock = r["time"]
        if ev not in ("start", "report"):
            continue
        tid = "c%04d-s%d" % (r["config"], r["seed"])
        t = trials.setdefault(tid, {"config": r["config"], "params": None, "scalars": [],
                                    "last_step": 0, "clock": clock})
        if ev == "start" and t["params"] is None:
            t["params"] = r["params"]
            t["clock"] = clock
        if ev == "report":
            line = r["line"]
            if is_number(line.get(resource)):
                t["last_step"] = int(line[resource])
            values = [(k, float32(v)) for k, v in line.items()
                      if is_number(v) and k != resource]
            metrics.update(k for k, _ in values)
            if values:
                t["scalars"].append((t["last_step"], clock, values))

    expect(set(trials) == set(rows),
           f"trials in the journal {sorted(trials)} are not results.csv's {sorted(rows)}")
    expect(sorted(os.listdir(root)) == sorted(list(trials) + [file_name]),
           f"{root} holds {sorted(os.listdir(root))}")
    config_params = {c["config"]: c["params"] for c in results["configs"]}

    scalars_checked = 0
    for tid, t in sorted(trials.items()):
        expect(os.listdir(os.path.join(root, tid)) == [file_name],
               f"{tid}: expected only {file_name}")
        events = read_records(os.path.join(root, tid, file_name))
        expect(events[0].WhichOneof("what") == "file_version" and
               events[0].file_version == "brain.Event:2",
               f"{tid}: the first event is not file_version brain.Event:2")
        starts, ends, scalar_events = [], [], []
        for e in events[1:]:
            expect(e.WhichOneof("what") == "summary", f"{tid}: an event without a summary")
            tags = [v.tag for v in e.summary.value]
            if tags == ["_hparams_/session_start_info"]:
                starts.append(hparams_value(e.summary.value[0], tags[0]))
            elif tags == ["_hparams_/session_end_info"]:
                ends.append(hparams_value(e.summary.value[0], tags[0]))
            else:
                for v in e.summary.value:
                    expect(v.WhichOneof("value") == "simple_value" and
                           not v.HasField("metadata"),
                           f"{tid}: {v.tag} is not a plain scalar")
                scalar_events.append((e.step, e.wall_time,
                                      [(v.tag, v.simple_value) for v in e.summary.value]))
        # Scalars, every one, in order.
        expect(len(scalar_events) == len(t["scalars"]),
               f"{tid}: {len(scalar_events)} scalar events, the journal has "
               f"{len(t['scalars'])} metric lines with numbers")
        for got, want in zip(scalar_events, t["scalars"]):
            expect(got == want, f"{tid}: event {got} differs from the journal's {want}")
            scalars_checked += len(want[2])
        # The session start: the config's params, its group.
        expect(len(starts) == 1, f"{tid}: {len(starts)} session start infos")
        info = starts[0].session_start_info
        expect(starts[0].WhichOneof("data") == "session_start_info", f"{tid}: not a start info")
        got = {k: struct_value(v) for k, v in info.hparams.items()}
        for source, params in (("journal", t["params"]),
                               ("results.json", config_params.get(t["config"]))):
            if source == "results.json" and params is None:
                continue  # a config that never completed is not ranked
            want = {k: json_value(v) for k, v in params.items()}
            expect(got == want, f"{tid}: session params {got} differ from {source}'s {want}")
        expect(info.group_name == "c%04d" % t["config"], f"{tid}: group {info.group_name}")
        expect(info.start_time_secs == t["clock"], f"{tid}: start time {info.start_time_secs}")
        # The session end: results.csv's status.
        status = rows[tid]["status"]
        want_status = {"ok": STATUS_SUCCESS, "pruned": STATUS_SUCCESS,
                       "failed": STATUS_FAILURE}.get(status)
        if want_status is None:
            expect(not ends, f"{tid}: a session end for a trial that is {status}")
        else:
            expect(len(ends) == 1, f"{tid} ({status}): {len(ends)} session end infos")
            expect(ends[0].WhichOneof("data") == "session_end_info", f"{tid}: not an end info")
            expect(ends[0].session_end_info.status == want_status,
                   f"{tid} ({status}): status {ends[0].session_end_info.status}")

    # The experiment at the root.
    events = read_records(os.path.join(root, file_name))
    expect(len(events) == 2 and events[0].file_version == "brain.Event:2",
           "the experiment file is not a version event and one summary")
    expect(len(events[1].summary.value) == 1, "the experiment event holds more than one value")
    data = hparams_value(events[1].summary.value[0], "_hparams_/experiment")
    expect(data.WhichOneof("data") == "experiment", "the root summary is not an experiment")
    exp = data.experiment
    expect(exp.name == space["name"], f"experiment name {exp.name}")
    expect(exp.time_created_secs == start_time, "experiment time is not the sweep's start")
    params = space["params"]
    expect([h.name for h in exp.hparam_infos] == list(params),
           f"hparams {[h.name for h in exp.hparam_infos]} are not space.json's {list(params)}")
    for h in exp.hparam_infos:
        spec = params[h.name]
        domain = h.WhichOneof("domain")
        if not isinstance(spec, dict):
            values = [spec]
        elif spec["type"] == "choice" or "values" in spec:
            values = spec["values"]
        else:
            values = None
        if values is None:
            expect(domain == "domain_interval" and h.type == DATA_TYPE_FLOAT64,
                   f"{h.name}: not a float interval")
            expect((h.domain_interval.min_value, h.domain_interval.max_value) ==
                   (float(spec["low"]), float(spec["high"])), f"{h.name}: interval")
        else:
            expect(domain == "domain_discrete", f"{h.name}: not a discrete domain")
            got = [struct_value(v) for v in h.domain_discrete.values]
            expect(got == [json_value(v) for v in values], f"{h.name}: domain {got}")
            kinds = {json_value(v)[0] for v in values}
            want_type = {"string": DATA_TYPE_STRING, "number": DATA_TYPE_FLOAT64,
                         "bool": DATA_TYPE_BOOL}.get(kinds.pop()) if len(kinds) == 1 else 0
            expect(h.type == want_type, f"{h.name}: type {h.type}")
    want_metrics = [objective] + sorted(metrics - {objective})
    got_metrics = [(m.name.group, m.name.tag) for m in exp.metric_infos]
    expect(got_metrics == [("", m) for m in want_metrics],
           f"experiment metrics {got_metrics}, expected {want_metrics}")
    return len(trials), scalars_checked


def main():
    if len(sys.argv) != 2:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    try:
        count, scalars = check(sys.argv[1])
    except Mismatch as e:
        print(f"FAIL: {sys.argv[1]}: {e}")
        return 1
    print(f"ok: {sys.argv[1]}: {count} trials, {scalars} scalars, framing, CRCs, "
          "sessions and experiment as the journal says")
    return 0


if __name__ == "__main__":
    sys.exit(main())
