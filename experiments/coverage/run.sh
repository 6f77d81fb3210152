#!/bin/sh
# Run the coverage spaces: every hpsearch-train flag swept by some space.
# usage: experiments/coverage/run.sh BUILD_DIR [JOBS]
# Writes runs/coverage-<UTC time>/{synthetic,images,csv} (or under $OUT) and
# the CSV files into runs/coverage-data/ (make_csv.py; csv.json reads them by
# a path relative to the checkout, so this runs hpsearch from there).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
[ $# -ge 1 ] || { sed -n '2,6p' "$0" >&2; exit 2; }
build=$(cd "$1" && pwd)
jobs=${2:-$(nproc)}
out=${OUT:-$root/runs/coverage-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
cd "$root"
/usr/bin/python3 experiments/coverage/make_csv.py runs/coverage-data >/dev/null
status=0
for s in coverage:synthetic images:images csv:csv; do
    space=${s%%:*}; dir=${s#*:}
    echo "== experiments/coverage/$space.json -> $out/$dir"
    "$build/bin/hpsearch" run "experiments/coverage/$space.json" -j "$jobs" --out "$out/$dir" \
        > "$out/$dir.log" 2>&1 || { status=$?; echo "   hpsearch exited $status (see $out/$dir.log)"; }
    /usr/bin/python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print("   trials ok %d, failed %d, %.1f s" % (r["trials_ok"], r["trials_failed"], r["elapsed_s"]))' "$out/$dir/results.json" || status=1
done
sh "$here/check.sh" "$build/bin/hpsearch-train" | tail -1
exit $status
