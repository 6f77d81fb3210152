#!/bin/sh
# The HTML report in a real browser: three small real sweeps (the built-in
# trainer with failing configs; the fake trainer under ASHA; under PBT), each
# report rendered by headless Chromium. Passes when every page ran its script
# to the end with no error (the page counts them in <body data-errors>),
# every plot drew marks (<figure data-plots=N>, N > 0), the plots each sweep
# must have are there, Chromium logged no console message at all, and the
# page names no external resource. Screenshots are left in WORK for people
# to look at (report-real.png, report-asha.png, report-pbt.png).
#
#   report_browser.sh BIN_DIR WORK_DIR
#
# Chromium is a test dependency (setup.sh installs it): without it this
# fails, it does not skip.
set -eu
BIN=$1
WORK=$2

fail() {
    echo "report_browser: $*" >&2
    exit 1
}

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || fail "chromium is not installed (bash setup.sh deps installs it)"

rm -rf "$WORK"
mkdir -p "$WORK"
cd "$WORK"

# The built-in trainer on its synthetic data; "bogus" is an activation it
# refuses, so those configs fail with a reason.
cat > real.json <<EOF
{"name": "browser-real",
 "command": ["$BIN/hpsearch-train", "--epochs", "6"],
 "objective": {"metric": "val_accuracy", "mode": "max"},
 "strategy": {"type": "random", "trials": 12, "seed": 3},
 "seeds": [0, 1],
 "parallel": 2,
 "params": {
   "lr": {"type": "loguniform", "low": 0.0003, "high": 3},
   "batch": {"type": "int", "low": 16, "high": 128, "log": true},
   "dropout": {"type": "uniform", "low": 0, "high": 0.5},
   "activation": {"type": "choice", "values": ["relu", "tanh", "bogus"]}}}
EOF

cat > asha.json <<EOF
{"name": "browser-asha",
 "command": ["$BIN/fake_trainer", "budget"],
 "strategy": {"type": "random", "trials": 12, "seed": 5},
 "scheduler": {"type": "asha", "min": 1, "max": 9, "eta": 3},
 "seeds": [0, 1],
 "parallel": 2,
 "params": {"x": {"type": "uniform", "low": 0, "high": 1},
            "c": {"type": "choice", "values": ["a", "b"]}}}
EOF

cat > pbt.json <<EOF
{"name": "browser-pbt",
 "command": ["$BIN/fake_trainer", "budget"],
 "objective": {"metric": "val_accuracy", "mode": "max", "score": "last"},
 "strategy": {"type": "random", "trials": 6, "seed": 5},
 "scheduler": {"type": "pbt", "population": 6, "interval": 2, "generations": 4,
               "quantile": 0.33, "seed": 3},
 "seeds": [0],
 "parallel": 2,
 "params": {"x": {"type": "uniform", "low": 0, "high": 1},
            "lr": {"type": "loguniform", "low": 0.0001, "high": 0.1}}}
EOF

# render NAME REQUIRED_PLOTS MAY_BE_EMPTY
render() {
    name=$1
    required=$2
    may_be_empty=$3
    # The sweep exits 1 when some trials failed (the real one's "bogus").
    "$BIN/hpsearch" run "$name.json" --out "$name" > "$name.log" 2>&1 || true
    grep -q "^report: " "$name.log" || fail "$name: the sweep did not say it wrote report.html"
    [ -s "$name/report.html" ] || fail "$name: the sweep wrote no report.html"
    page=$("$BIN/hpsearch" report "$name" --format html --output "$name.html")
    [ "$page" = "$name.html" ] || fail "$name: report printed '$page', not the file it wrote"
    cmp -s "$name/report.html" "$name.html" || fail "$name: report.html differs from a rebuild"
    check_page "$name" "$required" "$may_be_empty"
}

# check_page NAME REQUIRED_PLOTS MAY_BE_EMPTY: NAME.html in a real browser.
check_page() {
    name=$1
    required=$2
    may_be_empty=$3

    # Nothing outside the file: no src, href, url() or import; the only
    # http is the SVG namespace.
    if grep -Eq '<link|<img|<iframe| src=|@import|url\(' "$name.html"; then
        fail "$name: the page references an external resource"
    fi
    if grep -o 'https\?://[^"'"'"' ]*' "$name.html" | grep -v '^http://www.w3.org/2000/svg$' | grep -q .; then
        fail "$name: the page names a URL"
    fi

    flags="--headless --no-sandbox --disable-gpu --disable-extensions --no-first-run
           --user-data-dir=$WORK/profile --virtual-time-budget=10000
           --host-resolver-rules=MAP_*_~NOTFOUND --enable-logging=stderr --v=0"
    # shellcheck disable=SC2086
    "$CHROMIUM" $flags --dump-dom "file://$WORK/$name.html" > "$name.dom" 2> "$name.chromium.log" ||
        fail "$name: chromium failed (see $WORK/$name.chromium.log)"
    # shellcheck disable=SC2086
    "$CHROMIUM" $flags --window-size=1300,4600 --hide-scrollbars \
        --screenshot="$WORK/report-$name.png" "file://$WORK/$name.html" \
        > /dev/null 2>> "$name.chromium.log" ||
        fail "$name: chromium could not take the screenshot"
    [ -s "report-$name.png" ] || fail "$name: no screenshot"

    # The page logs nothing: any console line is an error or a stray log.
    if grep -q 'CONSOLE' "$name.chromium.log"; then
        grep 'CONSOLE' "$name.chromium.log" >&2
        fail "$name: console output while rendering"
    fi
    grep -q '<body[^>]*data-ready="1"' "$name.dom" ||
        fail "$name: the page's script did not run to its end"
    grep -q '<body[^>]*data-errors="0"' "$name.dom" || {
        sed -n '/<pre id="errors"/,/<\/pre>/p' "$name.dom" >&2
        fail "$name: the page caught script errors"
    }
    # Every figure: data-plot="NAME" data-plots="COUNT".
    grep -o 'data-plot="[^"]*" data-plots="[0-9]*"' "$name.dom" |
        sed 's/data-plot="\([^"]*\)" data-plots="\([0-9]*\)"/\1 \2/' > "$name.plots"
    [ -s "$name.plots" ] || fail "$name: no plots in the page"
    while read -r plot count; do
        echo "$name: $plot drew $count marks"
        if [ "$count" -eq 0 ] && ! echo " $may_be_empty " | grep -q " $plot "; then
            fail "$name: plot $plot drew nothing"
        fi
    done < "$name.plots"
    for plot in $required; do
        grep -q "^$plot " "$name.plots" || fail "$name: no $plot plot"
    done
    echo "$name: screenshot $WORK/report-$name.png"
}

COMMON="curves history-trials history-units history-sec parallel ranked diagnosis"
render real "$COMMON param-lr param-batch param-dropout param-activation importance" ""
grep -q '"failure":"exit_code"' real.html || fail "real: no failed trial in the page"
grep -q '"fit":"' real.html || fail "real: no fit verdict in the page"
render asha "$COMMON rungs param-x param-c" "importance"
render pbt "$COMMON lineage param-x param-lr" "importance"
# The real sweep compared with the asha one (same objective, seeds 0 and 1:
# paired), as a section of the real sweep's page.
"$BIN/hpsearch" report real --format html --compare asha --output compare.html > compare.out 2>&1 ||
    fail "compare: report --compare failed: $(cat compare.out)"
grep -q '"compare": *{' compare.html || grep -q '"compare":{' compare.html ||
    fail "compare: no comparison in the page's data"
check_page compare "$COMMON compare param-lr" ""
echo "report_browser: every plot drew, no errors"
