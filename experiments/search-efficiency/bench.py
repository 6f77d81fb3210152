#!/usr/bin/python3
"""Search efficiency on Fashion-MNIST: random search at full budget against
hpsearch's median, asha and hyperband schedulers and Optuna 3.1's MedianPruner
and SuccessiveHalvingPruner, all on the same space, trainer and epoch budget.

  bench.py run --build BUILD --out DIR [options]   run every method, R repeats
  bench.py summarize DIR                            print the markdown tables

`run` writes DIR/rN/METHOD.json (one per method and repeat: every epoch line
seen, with the wall time it was seen at, and the selected config with its test
accuracy) and then prints the summary; `summarize` rebuilds it from those files.

Use /usr/bin/python3 (Debian's python3-optuna and numpy belong to it).
"""
import argparse
import hashlib
import json
import math
import os
import shutil
import signal
import statistics
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
HP_METHODS = ["random", "median", "asha", "hyperband", "tpe", "tpe-asha", "pbt"]
OPTUNA_METHODS = ["optuna-median", "optuna-sha"]
METHODS = HP_METHODS + OPTUNA_METHODS


def log(msg):
    print("[bench] " + msg, file=sys.stderr, flush=True)


# ---------------------------------------------------------------- spaces ---

def load_spaces(args):
    """The hpsearch spaces of this folder (space-METHOD.json) with the size
    options applied. Each may differ from space-random.json only where its
    method must (check_space says where)."""
    spaces = {}
    for m in HP_METHODS:
        with open(os.path.join(HERE, "space-%s.json" % m)) as f:
            s = json.load(f)
        if args.trials and m != "pbt":
            s["strategy"]["trials"] = args.trials
        if args.trials and m == "pbt" and args.trials < s["scheduler"]["population"]:
            s["strategy"]["trials"] = s["scheduler"]["population"] = args.trials
        if args.max_epochs:
            if "epochs" in s["params"]:
                s["params"]["epochs"] = args.max_epochs
            elif m == "pbt":
                sc = s["scheduler"]
                if args.max_epochs % sc["interval"]:
                    sc["interval"] = 1
                sc["generations"] = args.max_epochs // sc["interval"]
            else:
                s["scheduler"]["max"] = args.max_epochs
        if args.eta and s.get("scheduler", {}).get("type") in ("asha", "hyperband"):
            s["scheduler"]["eta"] = args.eta
        if args.train_subset is not None:
            c = s["command"]
            c[c.index("--train-subset") + 1] = str(args.train_subset)
        spaces[m] = s
    ref = spaces["random"]
    for m, s in spaces.items():
        if m != "random":
            why = check_space(m, s, spaces)
            if why:
                sys.exit("bench: space-%s.json differs from space-random.json %s" % (m, why))
    if len(ref["seeds"]) != 1:
        sys.exit("bench: one trainer seed per config expected (seeds: [S])")
    for a in ref["command"]:
        if "{" in a:
            sys.exit("bench: command placeholders are not supported by the Optuna driver")
    return spaces


def check_space(m, s, spaces):
    """None when space s of method m differs from random's only where m must:
      median, asha, hyperband: a scheduler whose max is random's epochs (which
        it gives as the budget, so params.epochs goes);
      tpe: strategy.type tpe (and tpe's own options), the same trials and seed;
      tpe-asha: tpe's strategy and asha's scheduler;
      pbt: the pbt scheduler, interval * generations = random's epochs, trials =
        population, objective.score "last", and `explore` without `hidden`.
    Else what differs."""
    ref = spaces["random"]
    budget = ref["params"]["epochs"]
    rparams = {k: v for k, v in ref["params"].items() if k != "epochs"}
    free = {"name", "params", "scheduler", "strategy", "objective"}
    same = {k: v for k, v in ref.items() if k not in free}
    other = {k: v for k, v in s.items() if k not in free}
    if same != other:
        return "in %s" % ", ".join(sorted(k for k in set(same) | set(other)
                                          if same.get(k) != other.get(k)))
    sched = s.get("scheduler")
    strat, rstrat = dict(s["strategy"]), dict(ref["strategy"])
    obj = dict(s["objective"])
    if m == "pbt":
        if obj.pop("score", None) != "last":
            return "in objective: pbt ranks members on their current value (score: last)"
    if obj != ref["objective"]:
        return "in its objective"
    tpe = m in ("tpe", "tpe-asha")
    if tpe:
        if strat.get("type") != "tpe":
            return "in more than its strategy: strategy.type is not tpe"
        strat = {k: v for k, v in strat.items() if k in rstrat}
        strat["type"] = rstrat["type"]
    if m == "pbt" and sched:
        if strat.get("trials") != sched.get("population"):
            return "in strategy.trials (%s) != scheduler.population (%s)" % (
                strat.get("trials"), sched.get("population"))
        strat["trials"] = rstrat["trials"]
    if strat != rstrat:
        return "in its strategy"
    if m == "tpe":
        if sched or s["params"] != ref["params"]:
            return "in more than its strategy"
        return None
    if s["params"] != rparams:
        return "in its params (a scheduler gives epochs as the budget; the rest are random's)"
    if not sched:
        return "in its scheduler: none"
    if m == "tpe-asha":
        if sched != spaces["asha"]["scheduler"]:
            return "in its scheduler: it must be space-asha.json's"
        return None
    if m == "pbt":
        if sched.get("type") != "pbt":
            return "in its scheduler: not pbt"
        if sched.get("interval", 1) * sched.get("generations", 0) != budget:
            return "in the epochs a member trains: interval * generations %s != %s" % (
                sched.get("interval", 1) * sched.get("generations", 0), budget)
        if "hidden" in sched.get("explore", list(rparams)):
            return "in scheduler.explore: `hidden` (an architecture) cannot change " \
                   "across a checkpoint"
        return None
    if sched.get("type") != m:
        return "in its scheduler: type %s" % sched.get("type")
    if sched.get("max") != budget:
        return "in scheduler.max %s != random's epochs %s" % (sched.get("max"), budget)
    return None


def to_value(spec, text):
    """A --name=value token of hpsearch's argv back to the param's value."""
    if isinstance(spec, dict):
        t = spec["type"]
        if t in ("uniform", "loguniform"):
            return float(text)
        if t == "int":
            return int(text)
        if t == "choice":
            for v in spec["values"]:
                if isinstance(v, str) and v == text:
                    return v
                if not isinstance(v, (str, bool)) and float(text) == float(v):
                    return v
            raise ValueError("choice %r has no value %r" % (spec["values"], text))
    return spec


def hp_configs(hpsearch, space_file, space):
    """The configs hpsearch's sampler draws for this space, from --dry-run,
    in config order: [{name: value}] of the sampled (non-constant) params."""
    p = subprocess.run([hpsearch, "run", space_file, "--dry-run"], capture_output=True,
                       text=True)
    if p.returncode != 0:
        sys.exit("bench: %s --dry-run failed: %s" % (space_file, p.stderr.strip()))
    sampled = {k: v for k, v in space["params"].items() if isinstance(v, dict)}
    configs = []
    for line in p.stdout.splitlines():
        parts = line.split()
        if len(parts) < 2 or not parts[0].startswith("c") or "-s" not in parts[0]:
            continue
        cfg = {}
        for tok in parts[1:]:
            if tok.startswith("--") and "=" in tok:
                name, text = tok[2:].split("=", 1)
                if name in sampled:
                    cfg[name] = to_value(sampled[name], text)
        if set(cfg) != set(sampled):
            sys.exit("bench: cannot read the params of dry-run line %r" % line)
        idx = int(parts[0][1:].split("-")[0])
        if idx == len(configs):
            configs.append(cfg)
    return configs


def argv_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        return repr(v)
    return str(v)


# --------------------------------------------------------------- hpsearch ---

class JournalTail(threading.Thread):
    """Reads DIR/journal.jsonl while the sweep runs and stamps each record
    with the wall time it was first seen at (seconds since t0)."""

    def __init__(self, path, t0):
        super().__init__(daemon=True)
        self.path, self.t0 = path, t0
        self.records = []
        self.stop = threading.Event()
        self.buf = b""
        self.pos = 0

    def poll(self):
        try:
            with open(self.path, "rb") as f:
                f.seek(self.pos)
                data = f.read()
        except FileNotFoundError:
            return
        if not data:
            return
        self.pos += len(data)
        self.buf += data
        t = time.monotonic() - self.t0
        *lines, self.buf = self.buf.split(b"\n")
        for ln in lines:
            if ln.strip():
                try:
                    self.records.append((t, json.loads(ln)))
                except ValueError:
                    pass

    def run(self):
        while not self.stop.is_set():
            self.poll()
            self.stop.wait(0.05)
        self.poll()


def run_hpsearch(method, space, seed, args, rdir):
    s = json.loads(json.dumps(space))
    s["strategy"]["seed"] = seed
    if (s.get("scheduler") or {}).get("type") == "pbt":
        s["scheduler"]["seed"] = seed       # explore's draws too
    s["name"] = "%s-seed%d" % (s["name"], seed)
    space_file = os.path.join(rdir, method + ".space.json")
    with open(space_file, "w") as f:
        json.dump(s, f, indent=2)
    sweep = os.path.join(rdir, method)
    if os.path.exists(sweep):
        shutil.rmtree(sweep)
    metric = s["objective"]["metric"]
    resource = (s.get("scheduler") or {}).get("resource", "epoch")
    t0 = time.monotonic()
    tail = JournalTail(os.path.join(sweep, "journal.jsonl"), t0)
    tail.start()
    with open(os.path.join(rdir, method + ".log"), "w") as logf:
        rc = subprocess.call([args.hpsearch, "run", space_file, "--out", sweep, "-j",
                              str(args.jobs)], stdin=subprocess.DEVNULL, stdout=logf,
                             stderr=subprocess.STDOUT)
    wall = time.monotonic() - t0
    tail.stop.set()
    tail.join()
    if rc != 0:
        log("%s seed %d: hpsearch exited %d (see %s.log)" % (method, seed, rc,
                                                              os.path.join(rdir, method)))
    events, finals, statuses, starts, resumed = [], {}, {}, 0, 0
    for t, r in tail.records:
        ev = r.get("event")
        if ev == "start":
            starts += 1
            if r.get("resume_from"):
                resumed += 1
        elif ev == "report":
            line = r.get("line") or {}
            if line.get("final") is True:
                finals.setdefault(r["config"], []).append(line)
            elif resource in line and isinstance(line.get(metric), (int, float)):
                events.append([round(t, 3), "c%d" % r["config"], int(line[resource]),
                               float(line[metric])])
        elif ev == "end":
            statuses[r.get("status")] = statuses.get(r.get("status"), 0) + 1
    rec = {"method": method, "seed": seed, "rc": rc, "wall_s": round(wall, 3),
           "events": events, "statuses": statuses, "processes": starts,
           "resumed_processes": resumed}
    try:
        with open(os.path.join(sweep, "results.json")) as f:
            res = json.load(f)
    except (OSError, ValueError) as e:
        rec["error"] = "no results.json: %s" % e
        return rec
    rec["elapsed_s"] = res.get("elapsed_s")
    # per config: ran its full course (ok), stopped early (pruned) or failed
    rec["trial_statuses"] = statuses
    cst = {}
    for c in res.get("configs", []):
        st = c.get("status")
        if st is None:
            seeds = [sd.get("status") for sd in c.get("seeds", [])]
            st = "ok" if seeds and all(x == "ok" for x in seeds) else "failed"
        st = {"complete": "ok"}.get(st, st)
        cst[st] = cst.get(st, 0) + 1
    rec["statuses"] = cst
    if "compute" in res:
        rec["compute"] = res["compute"]
    # each config's params, to tell where a method ran random's configs
    rec["config_params"] = {"c%d" % c["config"]: c.get("params")
                            for c in res.get("configs", []) if "config" in c}
    if res.get("pbt_schedule"):
        rec["pbt_schedule"] = res["pbt_schedule"]
    best = res.get("best") or {}
    cfg = best.get("config")
    sel = {"config": cfg, "params": best.get("params"), "value": best.get("mean"),
           "test_accuracy": None}
    for c in res.get("configs", []):
        if c.get("config") != cfg:
            continue
        cands = [sd["final"] for sd in c.get("seeds", [])
                 if isinstance((sd.get("final") or {}).get("test_accuracy"), (int, float))]
        if cands:
            f = max(cands, key=lambda x: x.get("epochs_run", 0))
            sel["test_accuracy"] = f["test_accuracy"]
            sel["epochs_run"] = f.get("epochs_run")
    if sel["test_accuracy"] is None and cfg in finals:
        cands = [f for f in finals[cfg] if isinstance(f.get("test_accuracy"), (int, float))]
        if cands:
            f = max(cands, key=lambda x: x.get("epochs_run", 0))
            sel["test_accuracy"] = f["test_accuracy"]
            sel["epochs_run"] = f.get("epochs_run")
            sel["test_from"] = "journal"
    if sel["test_accuracy"] is None:
        sel["test_note"] = "the selected config has no final line with test_accuracy"
    rec["selected"] = sel
    return rec


# ----------------------------------------------------------------- optuna ---

def run_optuna(method, space, seed, configs, args, rdir):
    import optuna
    import warnings
    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    metric = space["objective"]["metric"]
    budget = space["params"]["epochs"]
    tseed = space["seeds"][0]
    sched = args.spaces
    if method == "optuna-median":
        m = sched["median"]["scheduler"]
        pruner = optuna.pruners.MedianPruner(n_startup_trials=m.get("warmup_configs", 5),
                                             n_warmup_steps=m.get("warmup", 0),
                                             interval_steps=m.get("interval", 1))
    else:
        a = sched["asha"]["scheduler"]
        pruner = optuna.pruners.SuccessiveHalvingPruner(min_resource=a.get("min", 1),
                                                        reduction_factor=a.get("eta", 3),
                                                        min_early_stopping_rate=0)
    sampler = optuna.samplers.RandomSampler(seed=seed)
    study = optuna.create_study(direction=space["objective"]["mode"] + "imize",
                                sampler=sampler, pruner=pruner)
    same = args.optuna_configs == "same"
    if same:
        for c in configs:
            study.enqueue_trial(c)
    ntrials = len(configs) if same else space["strategy"]["trials"]
    key_of = {json.dumps(c, sort_keys=True): i for i, c in enumerate(configs)}
    tdir_root = os.path.join(rdir, method)
    if os.path.exists(tdir_root):
        shutil.rmtree(tdir_root)
    os.makedirs(tdir_root)
    lock = threading.Lock()
    events = []
    procs = {"n": 0}
    t0 = time.monotonic()

    def objective(trial):
        params, argv = {}, [args.trainer] + space["command"][1:]
        for name, spec in space["params"].items():
            if name == "epochs":
                continue
            if isinstance(spec, dict):
                t = spec["type"]
                if t == "loguniform":
                    v = trial.suggest_float(name, spec["low"], spec["high"], log=True)
                elif t == "uniform":
                    v = trial.suggest_float(name, spec["low"], spec["high"],
                                            log=bool(spec.get("log")))
                elif t == "int":
                    v = trial.suggest_int(name, spec["low"], spec["high"],
                                          log=bool(spec.get("log")))
                elif t == "choice":
                    v = trial.suggest_categorical(name, spec["values"])
                else:
                    raise RuntimeError("param type %s" % t)
                params[name] = v
            else:
                v = spec
            argv.append("--%s=%s" % (name, argv_value(v)))
        argv.append("--epochs=%d" % budget)
        k = key_of.get(json.dumps(params, sort_keys=True))
        key = "c%d" % k if k is not None else "t%d" % trial.number
        tdir = os.path.join(tdir_root, "%04d" % trial.number)
        os.makedirs(tdir)
        env = dict(os.environ, HPSEARCH_SEED=str(tseed), HPSEARCH_TRIAL_DIR=tdir,
                   HPSEARCH_TRIAL_ID="%04d" % trial.number,
                   HPSEARCH_PARAMS=json.dumps(params), OPENBLAS_NUM_THREADS="1",
                   OMP_NUM_THREADS="1")
        env.pop("HPSEARCH_RESUME_FROM", None)
        best, final, pruned, nep = None, None, False, 0
        with open(os.path.join(tdir, "stdout.log"), "w") as out, \
                open(os.path.join(tdir, "stderr.log"), "w") as err:
            out.write(" ".join(argv) + "\n")
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=err, env=env, text=True, bufsize=1)
            with lock:
                procs["n"] += 1
            for line in proc.stdout:
                out.write(line)
                try:
                    obj = json.loads(line)
                except ValueError:
                    continue
                if not isinstance(obj, dict):
                    continue
                if obj.get("final") is True:
                    final = obj
                    continue
                if "epoch" not in obj or not isinstance(obj.get(metric), (int, float)):
                    continue
                v, e = float(obj[metric]), int(obj["epoch"])
                nep += 1
                with lock:
                    events.append([round(time.monotonic() - t0, 3), key, e, v])
                best = v if best is None or v > best else best
                trial.report(v, e)
                if trial.should_prune():
                    pruned = True
                    proc.terminate()     # hpsearch-train saves and exits 4
                    for line in proc.stdout:
                        out.write(line)
                    break
            rc = proc.wait()
        for f in os.listdir(tdir):          # nothing reads them again
            if f.endswith(".ckpt"):
                os.unlink(os.path.join(tdir, f))
        trial.set_user_attr("key", key)
        trial.set_user_attr("epochs", nep)
        if final and isinstance(final.get("test_accuracy"), (int, float)):
            trial.set_user_attr("test_accuracy", final["test_accuracy"])
        if pruned:
            raise optuna.TrialPruned()
        if rc != 0 or best is None:
            raise RuntimeError("trial %d: exit %d, best %r" % (trial.number, rc, best))
        return best

    study.optimize(objective, n_trials=ntrials, n_jobs=args.jobs, catch=(RuntimeError,))
    wall = time.monotonic() - t0
    statuses = {}
    for t in study.trials:
        n = {"COMPLETE": "ok", "PRUNED": "pruned"}.get(t.state.name, t.state.name.lower())
        statuses[n] = statuses.get(n, 0) + 1
    rec = {"method": method, "seed": seed, "rc": 0, "wall_s": round(wall, 3),
           "events": events, "statuses": statuses, "processes": procs["n"],
           "resumed_processes": 0, "optuna_configs": args.optuna_configs}
    try:
        bt = study.best_trial
        rec["selected"] = {"config": bt.user_attrs.get("key"), "params": bt.params,
                           "value": bt.value,
                           "test_accuracy": bt.user_attrs.get("test_accuracy")}
    except ValueError:
        rec["error"] = "no complete trial"
    return rec


# ---------------------------------------------------------------- retrain ---

# two-sided 95% quantiles of Student's t by degrees of freedom
T975 = {1: 12.7062, 2: 4.3027, 3: 3.1824, 4: 2.7764, 5: 2.5706, 6: 2.4469, 7: 2.3646,
        8: 2.3060, 9: 2.2622, 10: 2.2281, 15: 2.1314, 20: 2.0860, 30: 2.0423}


def mean_ci(xs):
    """(mean, half-width of the 95% t interval) of xs; the half-width is None
    for fewer than two values."""
    xs = [x for x in xs if x is not None]
    if not xs:
        return None, None
    m = sum(xs) / len(xs)
    if len(xs) < 2:
        return m, None
    df = len(xs) - 1
    t = T975.get(df) or T975[max(k for k in T975 if k <= df)]
    return m, t * statistics.stdev(xs) / math.sqrt(len(xs))


def retrain_space(method, rec, spaces, seeds):
    """The space that retrains the config method selected, with trainer seeds
    `seeds`, for its full budget: its params as constants (in the order of
    space-random.json, so the argv is the search's), or for pbt the winner's
    schedule replayed from generation 0's params. None if nothing was
    selected."""
    ref = spaces["random"]
    sel = rec.get("selected") or {}
    s = json.loads(json.dumps(ref))
    s["name"] = "search-efficiency-retrain"
    s["strategy"] = {"type": "random", "trials": 1, "seed": 1}
    s["seeds"] = list(seeds)

    def ordered(params):
        out = {}
        for k, v in ref["params"].items():
            if k == "epochs":
                continue
            out[k] = params[k] if k in params else v
            if isinstance(out[k], dict):
                raise ValueError("param %s has no value" % k)
        return out

    if method == "pbt" or rec.get("pbt_schedule"):
        sched = (rec.get("pbt_schedule") or {}).get("replay")
        if not sched:
            return None
        ps = spaces["pbt"]
        s["objective"] = ps["objective"]
        s["params"] = ordered(sched[0])
        s["scheduler"] = {"type": "pbt", "interval": ps["scheduler"]["interval"],
                          "generations": ps["scheduler"]["generations"],
                          "schedule": [ordered(g) for g in sched]}
        return s
    if not sel.get("params"):
        return None
    s["params"] = ordered(sel["params"])
    s["params"]["epochs"] = ref["params"]["epochs"]
    return s


def retrain(method, rec, args, out):
    """Retrains method's selected config (run_hpsearch's or run_optuna's rec)
    with each trainer seed of args.retrain_seeds, two at a time, through
    hpsearch; the same space twice (two methods that selected the same
    config) runs once. Returns the retrain record (or None)."""
    try:
        s = retrain_space(method, rec, args.spaces, args.retrain_seeds)
    except (KeyError, ValueError) as e:
        return {"error": "cannot build the retrain space: %s" % e}
    if s is None:
        return {"error": "nothing selected"}
    key = hashlib.sha1(json.dumps([s["params"], s.get("scheduler"), s["seeds"],
                                   s["command"]], sort_keys=True).encode()).hexdigest()[:12]
    root = os.path.join(out, "retrain")
    os.makedirs(root, exist_ok=True)
    done = os.path.join(root, key + ".json")
    if os.path.exists(done):
        with open(done) as f:
            r = json.load(f)
        r["reused"] = True
        return r
    s["name"] = "search-efficiency-retrain-" + key
    space_file = os.path.join(root, key + ".space.json")
    with open(space_file, "w") as f:
        json.dump(s, f, indent=2)
    sweep = os.path.join(root, key)
    if os.path.exists(sweep):
        shutil.rmtree(sweep)
    t0 = time.monotonic()
    with open(os.path.join(root, key + ".log"), "w") as logf:
        rc = subprocess.call([args.hpsearch, "run", space_file, "--out", sweep, "-j",
                              str(args.jobs)], stdin=subprocess.DEVNULL, stdout=logf,
                             stderr=subprocess.STDOUT)
    r = {"key": key, "method": method, "repeat": rec.get("repeat"), "rc": rc, "wall_s": round(time.monotonic() - t0, 1),
         "seeds": s["seeds"], "params": s["params"], "test": [], "val": [], "epochs": []}
    if s.get("scheduler"):
        r["schedule"] = s["scheduler"]["schedule"]
    try:
        with open(os.path.join(sweep, "results.json")) as f:
            res = json.load(f)
    except (OSError, ValueError) as e:
        r["error"] = "no results.json: %s (see retrain/%s.log)" % (e, key)
        return r
    best = (res.get("best") or {}).get("config")
    for c in res.get("configs", []):
        if c.get("config") != best:
            continue
        for sd in sorted(c.get("seeds", []), key=lambda x: x.get("seed", 0)):
            fin = sd.get("final") or {}
            r["test"].append(fin.get("test_accuracy"))
            r["val"].append(sd.get("value"))
            r["epochs"].append(fin.get("epochs_run"))
    r["test_mean"], r["test_ci95"] = mean_ci(r["test"])
    if len([x for x in r["test"] if x is not None]) != len(s["seeds"]):
        r["error"] = "%d of %d seeds gave a test accuracy (see retrain/%s.log)" % (
            len([x for x in r["test"] if x is not None]), len(s["seeds"]), key)
    with open(done, "w") as f:
        json.dump(r, f)
    return r


# -------------------------------------------------------------------- run ---

def scheduler_support(hpsearch, rdir, spaces, methods):
    """Which of the hpsearch methods this hpsearch accepts (a --dry-run of
    each space: a strategy or scheduler it does not know fails it)."""
    ok = {}
    for m in methods:
        if m not in HP_METHODS or m == "random":
            continue
        f = os.path.join(rdir, "check-%s.json" % m)
        with open(f, "w") as fh:
            json.dump(spaces[m], fh)
        p = subprocess.run([hpsearch, "run", f, "--dry-run"], capture_output=True, text=True)
        os.unlink(f)
        ok[m] = None if p.returncode == 0 else (p.stderr.strip().splitlines() or ["?"])[-1]
    return ok


def cmd_run(args):
    build = os.path.abspath(args.build)
    args.hpsearch = os.path.join(build, "bin", "hpsearch")
    args.trainer = os.path.join(build, "bin", "hpsearch-train")
    for b in (args.hpsearch, args.trainer):
        if not os.access(b, os.X_OK):
            sys.exit("bench: %s: not found (build the project first)" % b)
    methods = args.methods.split(",") if args.methods else list(METHODS)
    for m in methods:
        if m not in METHODS:
            sys.exit("bench: unknown method %s (known: %s)" % (m, ", ".join(METHODS)))
    if "random" not in methods:
        sys.exit("bench: random is the reference; keep it in --methods")
    if any(m in OPTUNA_METHODS for m in methods):
        try:
            import optuna
        except ImportError:
            sys.exit("bench: Optuna is missing for %s: apt-get install python3-optuna "
                     "(or leave the optuna-* methods out with --methods)" % sys.executable)
        log("optuna %s" % optuna.__version__)
    spaces = load_spaces(args)
    args.spaces = spaces
    out = os.path.abspath(args.out)
    os.makedirs(out, exist_ok=True)
    seeds = [int(x) for x in args.seeds.split(",")][:args.repeats]
    if len(seeds) < args.repeats:
        sys.exit("bench: --seeds gives %d seeds for %d repeats" % (len(seeds), args.repeats))
    unsupported = scheduler_support(args.hpsearch, out, spaces, methods)
    skipped = {}
    for m, why in unsupported.items():
        if why is not None:
            log("skipping %s: this hpsearch does not take its space (%s)" % (m, why))
            skipped[m] = why
    methods = [m for m in methods if m not in skipped]
    meta = {"methods": methods, "skipped": skipped, "seeds": seeds, "jobs": args.jobs,
            "spaces": spaces, "optuna_configs": args.optuna_configs,
            "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
            "hpsearch": args.hpsearch, "git": git_rev(),
            "retrain_seeds": args.retrain_seeds}
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    t_all = time.monotonic()
    for r, seed in enumerate(seeds, 1):
        rdir = os.path.join(out, "r%d" % r)
        os.makedirs(rdir, exist_ok=True)
        configs = None
        for m in methods:
            log("repeat %d/%d (sampler seed %d): %s ..." % (r, len(seeds), seed, m))
            if m in HP_METHODS:
                rec = run_hpsearch(m, spaces[m], seed, args, rdir)
            else:
                if configs is None:
                    s = json.loads(json.dumps(spaces["random"]))
                    s["strategy"]["seed"] = seed
                    f = os.path.join(rdir, "configs.space.json")
                    with open(f, "w") as fh:
                        json.dump(s, fh)
                    configs = hp_configs(args.hpsearch, f, s)
                rec = run_optuna(m, spaces["random"], seed, configs, args, rdir)
            rec["repeat"] = r
            with open(os.path.join(rdir, m + ".json"), "w") as f:
                json.dump(rec, f)
            log("  %s: %d epochs, %.1f s, best %s, %s" % (
                m, len(rec["events"]), rec["wall_s"],
                max((e[3] for e in rec["events"]), default=None), rec["statuses"]))
        if args.retrain_seeds:
            retrain_repeat(rdir, r, methods, args, out)
    meta["total_s"] = round(time.monotonic() - t_all, 1)
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    log("all runs: %.0f s" % meta["total_s"])
    text = summarize(out)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(text)
    print(text)


def retrain_repeat(rdir, r, methods, args, out):
    """Retrains the config each method selected in repeat r (rdir/METHOD.json
    gets "retrain")."""
    for m in methods:
        p = os.path.join(rdir, m + ".json")
        if not os.path.exists(p):
            continue
        with open(p) as f:
            rec = json.load(f)
        if (rec.get("retrain") or {}).get("test_mean") is not None:
            continue
        log("repeat %d: retraining %s's selected config with trainer seeds %s ..." % (
            r, m, ",".join(str(x) for x in args.retrain_seeds)))
        rt = retrain(m, rec, args, out)
        rec["retrain"] = rt
        with open(p, "w") as f:
            json.dump(rec, f)
        log("  %s: test %s mean %s ± %s%s%s" % (
            m, rt.get("test"), f4(rt.get("test_mean")), f4(rt.get("test_ci95")),
            " (%s r%s's config, trained once)" % (rt.get("method"), rt.get("repeat"))
            if rt.get("reused") else "",
            " ERROR " + rt["error"] if rt.get("error") else ""))


def cmd_retrain(a):
    """bench.py retrain DIR: the retrain step alone, for a run whose searches
    are done (what is retrained already is kept), then the summary."""
    out = os.path.abspath(a.out)
    with open(os.path.join(out, "meta.json")) as f:
        meta = json.load(f)
    build = os.path.abspath(a.build) if a.build else os.path.dirname(
        os.path.dirname(meta["hpsearch"]))
    a.hpsearch = os.path.join(build, "bin", "hpsearch")
    a.jobs = a.jobs or meta["jobs"]
    a.spaces = meta["spaces"]
    a.retrain_seeds = [int(x) for x in a.retrain_seeds.split(",")]
    meta["retrain_seeds"] = a.retrain_seeds
    with open(os.path.join(out, "meta.json"), "w") as f:
        json.dump(meta, f, indent=2)
    for r in range(1, len(meta["seeds"]) + 1):
        rdir = os.path.join(out, "r%d" % r)
        if os.path.isdir(rdir):
            retrain_repeat(rdir, r, meta["methods"], a, out)
    text = summarize(out)
    with open(os.path.join(out, "summary.md"), "w") as f:
        f.write(text)
    print(text)


def git_rev():
    try:
        return subprocess.run(["git", "-C", HERE, "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True).stdout.strip()
    except OSError:
        return None


# -------------------------------------------------------------- summarize ---

def curve(events):
    """[(cum_epochs, t, best_so_far)] in the order the epochs were seen."""
    out, best, n = [], None, 0
    for t, _key, _ep, v in sorted(events, key=lambda e: e[0]):
        n += 1
        best = v if best is None or v > best else best
        out.append((n, t, best))
    return out


def best_at(cv, epochs=None, wall=None):
    b = None
    for n, t, v in cv:
        if (epochs is not None and n > epochs) or (wall is not None and t > wall):
            break
        b = v
    return b


def first_reach(cv, target):
    for n, t, v in cv:
        if v >= target:
            return n, t
    return None, None


def med(xs):
    xs = [x for x in xs if x is not None]
    return statistics.median(xs) if xs else None


def f4(x):
    return "–" if x is None else "%.4f" % x


def fnum(x, d=0):
    if x is None:
        return "–"
    return ("%." + str(d) + "f") % x


def same_config(recs, m, r, key):
    """Whether config `key` of method m in repeat r is random search's config
    `key` of that repeat (the same params): true of the schedulers over
    random's sampler and of Optuna running hpsearch's configs; for tpe and
    pbt only where their params happen to be random's (pbt's generation 0)."""
    rec, base = recs.get((m, r)), recs.get(("random", r))
    if rec is None or base is None:
        return False
    cp = rec.get("config_params")
    if cp is None:             # Optuna (or a run from before config_params)
        return rec.get("optuna_configs", "same") == "same"
    a, b = cp.get(key), (base.get("config_params") or {}).get(key)
    if a is None or b is None:
        return False
    return ({k: v for k, v in a.items() if k != "epochs"} ==
            {k: v for k, v in b.items() if k != "epochs"})


def fci(m, h):
    if m is None:
        return "–"
    return "%.4f ± %s" % (m, "–" if h is None else "%.4f" % h)


def summarize(out):
    with open(os.path.join(out, "meta.json")) as f:
        meta = json.load(f)
    methods = meta["methods"]
    recs = {}
    for r in range(1, len(meta["seeds"]) + 1):
        for m in methods:
            p = os.path.join(out, "r%d" % r, m + ".json")
            if os.path.exists(p):
                with open(p) as f:
                    recs[(m, r)] = json.load(f)
    repeats = sorted({r for _, r in recs})
    sp = meta["spaces"]["random"]
    budget = sp["params"]["epochs"]
    ntr = sp["strategy"]["trials"]
    L = []
    L.append("## Search efficiency on Fashion-MNIST (hpsearch-train)\n")
    L.append("%d random configs (sampler seeds %s, one per repeat), trainer seed %s, "
             "at most %d epochs each (random search: all of them, %d epochs); %d parallel "
             "trials; train subset %s of Fashion-MNIST, validation 10,000, test 10,000. "
             "Optuna %s the hpsearch configs of the same seed.\n"
             % (ntr, ", ".join(str(s) for s in meta["seeds"][:len(repeats)]),
                sp["seeds"][0], budget, ntr * budget, meta["jobs"],
                sp["command"][sp["command"].index("--train-subset") + 1],
                "runs exactly" if meta.get("optuna_configs") == "same" else "samples (own "
                "RandomSampler, same seed) instead of"))
    if meta.get("skipped"):
        for m, why in meta["skipped"].items():
            L.append("- **%s not run**: this hpsearch does not accept its space: `%s`" % (m, why))
        L.append("")
    ref = {}
    for r in repeats:
        if ("random", r) in recs:
            ev = recs[("random", r)]["events"]
            ref[r] = (max(e[3] for e in ev) if ev else None, len(ev),
                      recs[("random", r)]["wall_s"])
    rows = {}
    for m in methods:
        per = []
        for r in repeats:
            rec = recs.get((m, r))
            if rec is None:
                continue
            cv = curve(rec["events"])
            target = ref.get(r, (None,))[0]
            n_reach, t_reach = first_reach(cv, target) if target is not None else (None, None)
            sel = rec.get("selected") or {}
            per.append({"r": r, "epochs": len(rec["events"]), "wall": rec["wall_s"],
                        "best": cv[-1][2] if cv else None, "n_reach": n_reach,
                        "t_reach": t_reach, "test": sel.get("test_accuracy"),
                        "sel_val": sel.get("value"), "statuses": rec.get("statuses", {}),
                        "cv": cv, "compute": rec.get("compute"),
                        "procs": rec.get("processes"), "rc": rec.get("rc"),
                        "retrain": rec.get("retrain")})
        rows[m] = per

    L.append("| method | epochs spent | wall s | best val acc | epochs to reach random's best "
             "(fraction of random's) | wall s to reach | test acc of selected config | "
             "retrained: test acc mean ± 95%% CI (seeds %s) | "
             "configs completed / stopped / failed |" % (",".join(
                 str(x) for x in meta.get("retrain_seeds") or []) or "none"))
    L.append("|---|---|---|---|---|---|---|---|---|")
    for m in methods:
        per = rows[m]
        if not per:
            continue
        reach = [p["n_reach"] for p in per]
        nreached = sum(1 for x in reach if x is not None)
        # median over repeats, a repeat that never reached counts as infinite
        rs = sorted(x if x is not None else math.inf for x in reach)
        mr = statistics.median(rs) if rs else None
        rnd = med([ref[p["r"]][1] for p in per if p["r"] in ref])
        if mr is None or mr == math.inf:
            reach_s = "never"
        else:
            reach_s = "%d (%.2f)" % (mr, mr / rnd if rnd else float("nan"))
        reach_s += " [%s]" % " / ".join("–" if x is None else str(x) for x in reach)
        ts = sorted(p["t_reach"] if p["t_reach"] is not None else math.inf for p in per)
        mt = statistics.median(ts)
        st = {}
        for p in per:
            for k, v in p["statuses"].items():
                st.setdefault(k, []).append(v)
        okc = fnum(med(st.get("ok", [0])))
        prc = fnum(med(st.get("pruned", [0])))
        fl = fnum(med([sum(v for k, v in p["statuses"].items()
                           if k not in ("ok", "pruned", "retired")) for p in per]))
        ret = med(st["retired"]) if "retired" in st else None
        rt = [p.get("retrain") or {} for p in per]
        rt_s = " / ".join(fci(x.get("test_mean"), x.get("test_ci95")) for x in rt) \
            if any(x.get("test_mean") is not None for x in rt) else "–"
        L.append("| %s | %s | %s | %s | %s | %s | %s | %s | %s / %s / %s%s |" % (
            m, fnum(med([p["epochs"] for p in per])), fnum(med([p["wall"] for p in per]), 1),
            f4(med([p["best"] for p in per])), reach_s,
            "never" if mt == math.inf else "%.1f" % mt,
            f4(med([p["test"] for p in per])), rt_s, okc, prc, fl,
            "" if ret is None else " (+%s retired)" % fnum(ret)))
    L.append("")
    L.append("Medians over %d repeats; [per repeat] where a repeat may not reach. "
             "\"Random's best\" is random search's final best validation accuracy in the "
             "same repeat; epochs and wall time are counted in the order the epoch lines "
             "arrived (with %d trials in parallel). Epochs spent: every epoch line a trainer "
             "reported (a promoted trial continues from its checkpoint and reports only its "
             "new epochs; a stopped trial's unfinished epoch is not counted). Retrained: the "
             "config the method selected in each repeat (for pbt, the winner's schedule "
             "replayed from generation 0), trained again for the full budget with each "
             "trainer seed; per repeat (r1 / r2 / ...) the mean test accuracy over the seeds "
             "± the half-width of its 95%% t interval (n seeds, n−1 degrees of freedom). "
             "pbt's members are retired at the end of each generation but the last.\n"
             % (len(repeats), meta["jobs"]))

    # best val acc against epochs spent and against wall time
    if ref:
        rtot = med([v[1] for v in ref.values()])
        marks = [max(1, int(round(rtot / d))) for d in (27, 9, 3)] + [int(rtot)]
        L.append("Best validation accuracy so far (median over repeats) against epochs spent:\n")
        L.append("| method | " + " | ".join("≤ %d epochs" % x for x in marks) + " |")
        L.append("|---|" + "---|" * len(marks))
        for m in methods:
            if rows[m]:
                L.append("| %s | %s |" % (m, " | ".join(
                    f4(med([best_at(p["cv"], epochs=x) for p in rows[m]])) for x in marks)))
        L.append("")
        rwall = med([v[2] for v in ref.values()])
        wmarks = [rwall * f for f in (1 / 9, 1 / 3, 2 / 3, 1)]
        L.append("... and against wall time (fractions of random search's %.0f s):\n" % rwall)
        L.append("| method | " + " | ".join(("≤ %.0f s" if x >= 10 else "≤ %.1f s") % x
                                             for x in wmarks) + " |")
        L.append("|---|" + "---|" * len(wmarks))
        for m in methods:
            if rows[m]:
                L.append("| %s | %s |" % (m, " | ".join(
                    f4(med([best_at(p["cv"], wall=x) for p in rows[m]])) for x in wmarks)))
        L.append("")

    # the two claims
    L.append("### The goals\n")
    if "asha" in rows and rows["asha"]:
        fr, met = [], 0
        for p in rows["asha"]:
            rt = ref.get(p["r"])
            if rt is None:
                continue
            f = None if p["n_reach"] is None else p["n_reach"] / rt[1]
            fr.append(f)
            if f is not None and f <= 1 / 3 + 1e-12:
                met += 1
            L.append("- repeat %d: random's final best %.4f after %d epochs; ASHA %s" % (
                p["r"], rt[0], rt[1],
                "never reached it (its best %s in %d epochs)" % (f4(p["best"]), p["epochs"])
                if f is None else "reached it after %d epochs = %.3f of random's" % (
                    p["n_reach"], f)))
        fs = sorted(x if x is not None else math.inf for x in fr)
        mf = statistics.median(fs) if fs else math.inf
        L.append("- **ASHA epochs to reach random's final best / random's epochs: median %s "
                 "(goal ≤ 1/3 = 0.333): met in %d of %d repeats, %s**" % (
                     "never" if mf == math.inf else "%.3f" % mf, met, len(fr),
                     "goal met" if fr and met == len(fr) else "goal not met"))
        # where each method left random's winner: did it stop the config that wins?
        for r in repeats:
            base = recs.get(("random", r))
            if not base or not base["events"]:
                continue
            win = max(base["events"], key=lambda e: (e[3], -e[0]))
            parts = []
            for m in methods:
                if m == "random" or (m, r) not in recs or not same_config(recs, m, r, win[1]):
                    continue
                eps = [e[2] for e in recs[(m, r)]["events"] if e[1] == win[1]]
                parts.append("%s%s %s" % (m, "'s generation 0" if recs[(m, r)].get(
                    "pbt_schedule") else "", "to epoch %d" % max(eps) if eps else "never ran it"))
            if parts:
                L.append("  - r%d: random's winner %s (%.4f at epoch %d); trained by %s" % (
                    r, win[1], win[3], win[2], ", ".join(parts)))
        for om in OPTUNA_METHODS:
            if not rows.get(om):
                continue
            wins = 0
            parts = []
            for p in rows["asha"]:
                o = next((q for q in rows[om] if q["r"] == p["r"]), None)
                if o is None:
                    continue
                ob = best_at(o["cv"], epochs=p["epochs"])
                note = "" if o["epochs"] >= p["epochs"] else " (it spent only %d)" % o["epochs"]
                if ob is None or (p["best"] is not None and p["best"] >= ob):
                    wins += 1
                parts.append("r%d: ASHA %s vs %s %s at ≤ %d epochs%s" % (
                    p["r"], f4(p["best"]), om, f4(ob), p["epochs"], note))
            L.append("- at equal epochs (ASHA's total), ASHA matches or beats %s in **%d of %d** "
                     "repeats: %s" % (om, wins, len(parts), "; ".join(parts)))
            tw = []
            for p in rows["asha"]:
                o = next((q for q in rows[om] if q["r"] == p["r"]), None)
                if o is not None:
                    tw.append("r%d %s vs %s" % (p["r"], f4(p["test"]), f4(o["test"])))
            L.append("  - test accuracy of the selected config, ASHA vs %s: %s" % (om,
                                                                                  "; ".join(tw)))
    else:
        L.append("- ASHA was not run: the ratio lines need it.")
    for m in methods:
        for p in rows[m]:
            c = p.get("compute")
            if c:
                L.append("- %s r%d: results.json compute %s (epoch lines counted: %d)" % (
                    m, p["r"], json.dumps(c), p["epochs"]))
    bad = [(m, p["r"], p["rc"]) for m in methods for p in rows[m] if p.get("rc")]
    for m, r, rc in bad:
        L.append("- %s r%d: exit status %s (see r%d/%s.log)" % (m, r, rc, r, m))
    L.append("")
    # cross-check: Optuna runs the same configs; where both trained an epoch,
    # the metric must be bit-identical to random search's (the trainer is
    # deterministic and gets the same argv and seed)
    if meta.get("optuna_configs") == "same":
        checked = diff = 0
        for r in repeats:
            base = recs.get(("random", r))
            if not base:
                continue
            bv = {(e[1], e[2]): e[3] for e in base["events"]}
            for m in methods:
                if m == "random" or (m, r) not in recs:
                    continue
                for e in recs[(m, r)]["events"]:
                    if (e[1], e[2]) in bv and same_config(recs, m, r, e[1]):
                        checked += 1
                        diff += bv[(e[1], e[2])] != e[3]
        L.append("Determinism check: %d epoch results of the other methods compared with "
                 "random search's for the same config (the same params) and epoch, %d differ.\n"
                 % (checked, diff))
    L.append("Per repeat: epochs, wall s, best val acc seen; the selected config's val and "
             "test acc\n")
    L.append("| method | " + " | ".join("r%d" % r for r in repeats) + " |")
    L.append("|---|" + "---|" * len(repeats))
    for m in methods:
        cells = []
        for r in repeats:
            p = next((q for q in rows[m] if q["r"] == r), None)
            cells.append("–" if p is None else "%d ep, %.1f s, %s; val %s test %s" % (
                p["epochs"], p["wall"], f4(p["best"]), f4(p["sel_val"]), f4(p["test"])))
        L.append("| %s | %s |" % (m, " | ".join(cells)))
    L.append("")
    if any(p.get("retrain") for m in methods for p in rows[m]):
        L.append("Selected configs retrained for the full budget, per repeat: the test "
                 "accuracy of each trainer seed (seeds %s), mean ± 95%% CI; the retrain's "
                 "seed-%s validation score against the search's value of that config\n"
                 % (",".join(str(x) for x in meta.get("retrain_seeds") or []),
                    (meta.get("retrain_seeds") or ["?"])[0]))
        L.append("| method | " + " | ".join("r%d" % r for r in repeats) + " |")
        L.append("|---|" + "---|" * len(repeats))
        same = total = 0
        for m in methods:
            cells = []
            for r in repeats:
                p = next((q for q in rows[m] if q["r"] == r), None)
                rt = (p or {}).get("retrain") or {}
                if not rt:
                    cells.append("–")
                    continue
                if rt.get("error") and rt.get("test_mean") is None:
                    cells.append("failed: %s" % rt["error"])
                    continue
                v0 = (rt.get("val") or [None])[0]
                sv = p.get("sel_val")
                if v0 is not None and sv is not None and meta.get("retrain_seeds", [None])[0] \
                        == meta["spaces"]["random"]["seeds"][0]:
                    total += 1
                    same += abs(v0 - sv) < 1e-9
                cells.append("%s: %s; val %s vs %s%s" % (
                    " ".join(f4(x) for x in rt.get("test", [])),
                    fci(rt.get("test_mean"), rt.get("test_ci95")), f4(v0), f4(sv),
                    " (%s r%s's config: trained once)" % (rt.get("method"), rt.get("repeat"))
                    if rt.get("reused") else ""))
            L.append("| %s | %s |" % (m, " | ".join(cells)))
        L.append("")
        if total:
            L.append("Retrain check: with the search's trainer seed, %d of %d retrained configs "
                     "gave exactly the validation score the search selected them on.\n"
                     % (same, total))
    if "total_s" in meta:
        L.append("Whole benchmark: %.0f s (git %s).\n" % (meta["total_s"], meta.get("git")))
    write_curves(out, methods, repeats, recs)
    return "\n".join(L)


def write_curves(out, methods, repeats, recs):
    with open(os.path.join(out, "curves.csv"), "w") as f:
        f.write("method,repeat,epochs_spent,wall_s,best_val_accuracy\n")
        for m in methods:
            for r in repeats:
                rec = recs.get((m, r))
                if rec:
                    for n, t, v in curve(rec["events"]):
                        f.write("%s,%d,%d,%.3f,%.4f\n" % (m, r, n, t, v))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    r = sub.add_parser("run", help="run every method and repeat, then summarize")
    r.add_argument("--build", default=os.path.join(HERE, "..", "..", "build"))
    r.add_argument("--out", required=True)
    r.add_argument("--repeats", type=int, default=3)
    r.add_argument("--seeds", default="1,2,3,4,5,6,7,8,9",
                   help="sampler seeds, one per repeat (default 1,2,3...)")
    r.add_argument("-j", "--jobs", type=int, default=2)
    r.add_argument("--methods", help="comma-separated subset of " + ",".join(METHODS))
    r.add_argument("--trials", type=int, help="configs per method (default: the spaces')")
    r.add_argument("--max-epochs", type=int, help="epoch budget of a config (default: 27)")
    r.add_argument("--eta", type=int, help="asha/hyperband reduction factor (default: 3)")
    r.add_argument("--train-subset", type=int, help="training images (default: 10000)")
    r.add_argument("--optuna-configs", choices=["same", "own"], default="same",
                   help="same: Optuna runs hpsearch's configs of the repeat's seed, in "
                   "order (enqueue_trial), so only the pruning differs; own: Optuna's "
                   "RandomSampler with the repeat's seed")
    r.add_argument("--retrain-seeds", default="0,1,2",
                   help="trainer seeds with which each method's selected config is "
                   "retrained for its full budget, for the test accuracy's mean and 95%% "
                   "CI (default 0,1,2; none: no retraining)")
    t = sub.add_parser("retrain", help="retrain the selected configs of a run (again)")
    t.add_argument("out")
    t.add_argument("--build", help="default: the run's")
    t.add_argument("-j", "--jobs", type=int)
    t.add_argument("--retrain-seeds", default="0,1,2")
    s = sub.add_parser("summarize", help="print the tables of a finished run")
    s.add_argument("out")
    a = ap.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if a.cmd == "run":
        a.retrain_seeds = [] if a.retrain_seeds == "none" else [
            int(x) for x in a.retrain_seeds.split(",")]
        cmd_run(a)
    elif a.cmd == "retrain":
        cmd_retrain(a)
    else:
        print(summarize(a.out))


if __name__ == "__main__":
    main()
