#!/bin/sh
# usage: argv_no_shell.sh HPSEARCH WORK_DIR
#
# A param value holding spaces, both kinds of quotes, a glob, `$(...)`,
# backquotes and `;rm -rf x` must reach the trainer as one exact argv element,
# both through a {placeholder} and appended as --name=value, with no shell in
# between: the trainer (a tiny sh script written here) records its argv in its
# trial directory, and the files named x and pwned show whether anything ran.
set -u
hpsearch=$1 work=$2

fail() {
    echo "FAIL: $*"
    exit 1
}

rm -rf "$work"
mkdir -p "$work" || fail "cannot create $work"
cd "$work" || fail "cannot enter $work"

# The trainer writes its argument count, then each argument between [ and ].
cat >trainer.sh <<'EOF'
#!/bin/sh
{
    echo "$#"
    for arg in "$@"; do
        printf '[%s]\n' "$arg"
    done
} >"$HPSEARCH_TRIAL_DIR/argv.txt"
printf '%s\n' "$HPSEARCH_PARAMS" >"$HPSEARCH_TRIAL_DIR/params.txt"
echo '{"epoch": 1, "score": 1}'
EOF
chmod +x trainer.sh

# The same value as it must arrive, and as JSON in the space file.
value='it'\''s "quoted" *; rm -rf x $(touch pwned) `touch pwned`'
json_value='it'\''s \"quoted\" *; rm -rf x $(touch pwned) `touch pwned`'
cat >space.json <<EOF
{
  "name": "argv",
  "command": ["$work/trainer.sh", "--msg={msg}", "{msg}"],
  "objective": {"metric": "score", "mode": "max"},
  "strategy": {"type": "grid"},
  "seeds": [0],
  "params": {
    "msg": {"type": "choice", "values": ["$json_value"]},
    "extra": {"type": "choice", "values": ["$json_value"]}
  }
}
EOF
echo "keep me" >x

"$hpsearch" run space.json --out run >run.out 2>&1
status=$?
[ "$status" -eq 0 ] || { cat run.out; fail "hpsearch exited $status"; }

{
    echo 3
    printf '[--msg=%s]\n' "$value"
    printf '[%s]\n' "$value"
    printf '[--extra=%s]\n' "$value"
} >expected.txt
cmp -s expected.txt run/trials/c0000-s0/argv.txt || {
    echo "expected:"; cat expected.txt
    echo "got:"; cat run/trials/c0000-s0/argv.txt
    fail "the trainer's argv differs"
}
grep -qF "{\"msg\":\"$json_value\",\"extra\":\"$json_value\"}" run/trials/c0000-s0/params.txt ||
    fail "HPSEARCH_PARAMS does not hold the value: $(cat run/trials/c0000-s0/params.txt)"
[ "$(cat x)" = "keep me" ] || fail "the file x was removed or changed"
found=$(find . -name pwned)
[ -z "$found" ] || fail "a shell ran: $found"
echo "ok: the value arrived as one exact argv element, no shell involved"
