#!/bin/sh
# Summarize one or more hpsearch sweep directories as a markdown table:
# per config, the objective's mean and 95% CI over seeds (from
# `hpsearch report DIR --format json`) and the mean and 95% Student-t CI of the
# seeds' held-out test metric (each seed's "final" line in results.json).
#
# usage: summarize.sh [--test-metric NAME] DIR [DIR...]
#   --test-metric NAME  key of the final line to summarize (default:
#                       test_accuracy; e.g. test_rmse for regression)
#   HPSEARCH=path       the hpsearch binary (default: hpsearch on PATH, else
#                       build-xp/bin or build/bin of this checkout)
# With several DIRs a "sweep" column names each (the directory's basename).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
metric=test_accuracy
if [ "${1:-}" = "--test-metric" ]; then metric=$2; shift 2; fi
if [ $# -lt 1 ]; then
    echo "usage: $0 [--test-metric NAME] DIR [DIR...]" >&2; exit 2
fi
if [ -z "${HPSEARCH:-}" ]; then
    if command -v hpsearch >/dev/null 2>&1; then HPSEARCH=hpsearch
    elif [ -x "$root/build-xp/bin/hpsearch" ]; then HPSEARCH=$root/build-xp/bin/hpsearch
    else HPSEARCH=$root/build/bin/hpsearch; fi
fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
i=0
for d in "$@"; do
    i=$((i + 1))
    [ -f "$d/results.json" ] || { echo "$0: $d: no results.json (not a finished sweep?)" >&2; exit 1; }
    "$HPSEARCH" report "$d" --format json > "$tmp/$i.report.json"
    printf '%s\n%s\n%s\n' "$d" "$tmp/$i.report.json" "$d/results.json" >> "$tmp/list"
done
exec /usr/bin/python3 - "$metric" "$tmp/list" <<'PY'
import json, math, os, statistics, sys

# two-sided 95% Student-t quantiles t_{0.975, df}
T975 = [None, 12.7062, 4.3027, 3.1824, 2.7764, 2.5706, 2.4469, 2.3646, 2.3060,
        2.2622, 2.2281, 2.2010, 2.1788, 2.1604, 2.1448, 2.1314, 2.1199, 2.1098,
        2.1009, 2.0930, 2.0860, 2.0796, 2.0739, 2.0687, 2.0639, 2.0595, 2.0555,
        2.0518, 2.0484, 2.0452, 2.0423]

def tq(df):
    if df < len(T975):
        return T975[df]
    if df <= 60:
        return 2.0423 - (2.0423 - 2.0003) * (df - 30) / 30.0
    return 1.96 + 2.4 / df  # close enough above 60

def ci(xs):
    """(mean, half-width) of a 95% Student-t interval; half-width None if n < 2."""
    m = statistics.fmean(xs)
    if len(xs) < 2:
        return m, None
    return m, tq(len(xs) - 1) * statistics.stdev(xs) / math.sqrt(len(xs))

def fmt(m, hw):
    if m is None:
        return "n/a"
    if hw is None:
        return "%.4f" % m
    return "%.4f ± %.4f [%.4f, %.4f]" % (m, hw, m - hw, m + hw)

def short(v):
    s = v if isinstance(v, str) else json.dumps(v)
    if "/" in s:               # a path (e.g. init-from): its last parts only
        s = "…/" + "/".join(s.split("/")[-2:])
    return s

metric = sys.argv[1]
lines = open(sys.argv[2]).read().split("\n")
sweeps = [lines[k:k + 3] for k in range(0, len(lines) - 2, 3)]
multi = len(sweeps) > 1
rows = []
objective = None
for d, rep, res in sweeps:
    report = json.load(open(rep))
    results = json.load(open(res))
    objective = results["objective"]["metric"]
    finals = {c["config"]: c for c in results["configs"]}
    allp = [c["params"] for c in report]
    keys = []
    for c in allp:
        for k in c:
            if k not in keys:
                keys.append(k)
    varying = [k for k in keys if len({json.dumps(p.get(k)) for p in allp}) > 1]
    shown = varying or keys
    for c in report:
        vals = [s["value"] for s in c["seeds"] if s.get("status") == "ok"]
        tests = []
        for s in finals[c["config"]]["seeds"]:
            f = s.get("final") or {}
            if s.get("status") == "ok" and isinstance(f.get(metric), (int, float)):
                tests.append(float(f[metric]))
        lo, hi = c.get("ci95") or [None, None]
        if c.get("mean") is not None and lo is not None:
            val = "%.4f ± %.4f [%.4f, %.4f]" % (c["mean"], (hi - lo) / 2, lo, hi)
        else:
            val = fmt(*(ci(vals) if vals else (None, None)))
        tm, thw = ci(tests) if tests else (None, None)
        params = " ".join("%s=%s" % (k, short(c["params"].get(k))) for k in shown)
        rows.append((os.path.basename(os.path.normpath(d)), c["rank"], c["config"],
                     params, c.get("n", len(vals)), len(tests), val, fmt(tm, thw),
                     c.get("failed", 0)))

head = (["sweep"] if multi else []) + ["rank", "config", "params", "n",
        "%s mean ± 95%% CI" % objective, "%s mean ± 95%% CI (t)" % metric, "failed"]
print("| " + " | ".join(head) + " |")
print("|" + "|".join(["---"] * len(head)) + "|")
for sw, rank, cfg, params, n, nt, val, test, failed in rows:
    cells = ([sw] if multi else []) + [str(rank), str(cfg), "`%s`" % params,
             str(n) if n == nt else "%d (%d with %s)" % (n, nt, metric), val, test, str(failed)]
    print("| " + " | ".join(cells) + " |")
PY
