#!/bin/sh
# Transfer study (issue 3): pre-train on Fashion-MNIST classes 0-4, then learn
# classes 5-9 from 1500 training images, from scratch vs transferred (frozen,
# first layer frozen, fine-tuned), each over 5 seeds; prints the markdown table.
#
# usage: experiments/transfer/run.sh BUILD_DIR [JOBS]
#   BUILD_DIR  a build tree with bin/hpsearch and bin/hpsearch-train
#   JOBS       parallel trials (default: the number of cores)
# env: SMOKE=1  2 epochs everywhere and seeds 0,1 (a quick check of the plumbing)
#      OUT=DIR  run directory (default: runs/transfer-<UTC time> in this checkout)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -ge 1 ] || { sed -n '2,11p' "$0" >&2; exit 2; }
build=$(cd "$1" && pwd)
jobs=${2:-$(nproc)}
hpsearch=$build/bin/hpsearch
[ -x "$hpsearch" ] || { echo "$0: $hpsearch: not found" >&2; exit 2; }
out=${OUT:-$root/runs/transfer-$(date -u +%Y%m%dT%H%M%SZ)}
smoke=${SMOKE:-0}
mkdir -p "$out"
out=$(cd "$out" && pwd)

# 1. pre-train (SMOKE: 2 epochs)
/usr/bin/python3 - "$here/pretrain.json" "$out/pretrain.json" "$smoke" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
if sys.argv[3] == "1":
    c = s["command"]; c[c.index("--epochs") + 1] = "2"
    s["name"] += "-smoke"
json.dump(s, open(sys.argv[2], "w"), indent=2)
PY
echo "== pre-training on classes 0-4 -> $out/pretrain" >&2
"$hpsearch" run "$out/pretrain.json" -j "$jobs" --out "$out/pretrain" >&2
ckpt=$(/usr/bin/python3 -c '
import json, os, sys
d = sys.argv[1]
b = json.load(open(os.path.join(d, "best", "best.json")))
p = b.get("checkpoint") or b.get("checkpoint_path")
if not p:
    c = [f for f in os.listdir(os.path.join(d, "best")) if f.endswith(".ckpt")]
    p = c[0]
print(p if os.path.isabs(p) else os.path.join(d, "best", p))' "$out/pretrain")
[ -f "$ckpt" ] || { echo "$0: pre-trained checkpoint $ckpt not found" >&2; exit 1; }
echo "== pre-trained checkpoint: $ckpt" >&2

# 2. one space per mode, from the template
modes=$(/usr/bin/python3 - "$here/study.json" "$out" "$ckpt" "$smoke" <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))
out, ckpt, smoke = sys.argv[2], sys.argv[3], sys.argv[4] == "1"
for mode, extra in t["modes"].items():
    s = json.loads(json.dumps(t["base"]))
    s["name"] = "transfer-" + mode
    for k, v in extra.items():
        s["params"][k] = ckpt if v == "@PRETRAINED@" else v
    if smoke:
        c = s["command"]; c[c.index("--epochs") + 1] = "2"
        s["seeds"] = [0, 1]
    json.dump(s, open("%s/%s.json" % (out, mode), "w"), indent=2)
    print(mode)
PY
)
for m in $modes; do
    echo "== mode $m -> $out/$m" >&2
    "$hpsearch" run "$out/$m.json" -j "$jobs" --out "$out/$m" >&2
done

# 3. the table: test accuracy on classes 5-9 (10000-image test set's 5000 of them)
dirs=
for m in $modes; do dirs="$dirs $out/$m"; done
echo
echo "Transfer study ($out):"
echo
# shellcheck disable=SC2086
HPSEARCH=$hpsearch sh "$root/experiments/fmnist/summarize.sh" $dirs | tee "$out/table.md"
