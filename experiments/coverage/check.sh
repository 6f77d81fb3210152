#!/bin/sh
# Which hpsearch-train flags does some experiments/**/*.json sweep or set?
# usage: experiments/coverage/check.sh [HPSEARCH_TRAIN]
#   (default: build-xp/bin/hpsearch-train, else build/bin/hpsearch-train)
# A flag counts as covered when a space's "params" (or a template's "modes")
# has it as a key, or a "command" holds "--flag" or "--flag=...". Prints each
# flag with the files that cover it, then the flags no space covers. Flags that
# hpsearch supplies through the environment of every trial (--seed from
# HPSEARCH_SEED, --out-dir from HPSEARCH_TRIAL_DIR, --resume from
# HPSEARCH_RESUME_FROM) and --help are listed apart. Exit 1 if any other flag
# is uncovered.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
train=${1:-}
if [ -z "$train" ]; then
    if [ -x "$root/build-xp/bin/hpsearch-train" ]; then train=$root/build-xp/bin/hpsearch-train
    else train=$root/build/bin/hpsearch-train; fi
fi
"$train" --help > /dev/null || { echo "$0: $train --help failed" >&2; exit 2; }
"$train" --help | exec /usr/bin/python3 -c '
import glob, json, os, re, sys
root = sys.argv[1]
flags = []
for line in sys.stdin:
    m = re.match(r"^  (--[a-z][a-z0-9-]*)", line)
    if m and m.group(1) not in flags:
        flags.append(m.group(1))
cover = {f: [] for f in flags}
def walk(node, rel, under_params):
    if isinstance(node, dict):
        for k, v in node.items():
            if under_params and ("--" + k) in cover and rel not in cover["--" + k]:
                cover["--" + k].append(rel)
            walk(v, rel, k in ("params",) or (k == "modes"))
            if k == "modes" and isinstance(v, dict):
                for m in v.values():
                    walk(m, rel, True)
    elif isinstance(node, list):
        for v in node:
            walk(v, rel, False)
    elif isinstance(node, str) and node.startswith("--"):
        f = node.split("=", 1)[0]
        if f in cover and rel not in cover[f]:
            cover[f].append(rel)
files = sorted(glob.glob(os.path.join(root, "experiments", "**", "*.json"), recursive=True))
for p in files:
    rel = os.path.relpath(p, root)
    try:
        doc = json.load(open(p))
    except ValueError as e:
        print("warning: %s: %s" % (rel, e), file=sys.stderr)
        continue
    cmds = []
    def cmd(n):
        if isinstance(n, dict):
            for k, v in n.items():
                if k == "command" and isinstance(v, list) and v:
                    cmds.append(str(v[0]))
                cmd(v)
    cmd(doc)
    if cmds and not any(os.path.basename(c) == "hpsearch-train" for c in cmds):
        continue   # another trainer (e.g. byo-python): its flags are its own
    walk(doc, rel, False)
env = {"--seed": "HPSEARCH_SEED (every trial)", "--out-dir": "HPSEARCH_TRIAL_DIR (every trial)",
       "--resume": "HPSEARCH_RESUME_FROM (resumed trials)", "--help": "not a training flag"}
print("%d flags in --help, %d space files under experiments/" % (len(flags), len(files)))
for f in flags:
    where = ", ".join(cover[f]) if cover[f] else ("(env: %s)" % env[f] if f in env else "NOT COVERED")
    print("  %-22s %s" % (f, where))
missing = [f for f in flags if not cover[f] and f not in env]
print("not covered by any space: %s" % (" ".join(missing) if missing else "none"))
sys.exit(1 if missing else 0)
' "$root"
