"""Prints the TPE quality table from the lines of driver and optuna_run.py.

usage: /usr/bin/python3 summarize.py RESULTS...

Each file holds lines "FUNC SAMPLER SEED R25 R50 RLAST". Prints, per function
and checkpoint, the median regret over seeds of each sampler and whether
hpsearch's TPE is at or below Optuna's, and as a yardstick of the noise how
often hpsearch's random is at or below Optuna's random (the same algorithm).
"""
import collections
import statistics
import sys

ORDER = ["hp-tpe", "optuna-tpe", "hp-random", "optuna-random"]


def main():
    runs = collections.defaultdict(list)
    trials = None
    for path in sys.argv[1:]:
        with open(path) as f:
            for line in f:
                func, sampler, _seed, *regrets = line.split()
                runs[(func, sampler)].append([float(r) for r in regrets])
    funcs = sorted({f for f, _ in runs}, key=lambda f: f)
    samplers = [s for s in ORDER if any((f, s) in runs for f in funcs)]
    seeds = min(len(v) for v in runs.values())
    print("median regret over %d seeds (lower is better)\n" % seeds)
    print("| function | trials | " + " | ".join(samplers) + " | hp-tpe <= optuna-tpe |")
    print("|---|---|" + "---|" * len(samplers) + "---|")
    wins = total = 0
    noise = noise_total = 0
    for func in funcs:
        for i, label in enumerate(["25", "50", "last"]):
            med = {s: statistics.median(r[i] for r in runs[(func, s)])
                   for s in samplers if (func, s) in runs}
            verdict = "-"
            if "hp-tpe" in med and "optuna-tpe" in med:
                ok = med["hp-tpe"] <= med["optuna-tpe"]
                verdict = "yes" if ok else "no"
                wins += ok
                total += 1
            if "hp-random" in med and "optuna-random" in med:
                noise += med["hp-random"] <= med["optuna-random"]
                noise_total += 1
            cells = " | ".join("%.4g" % med[s] if s in med else "-" for s in samplers)
            print("| %s | %s | %s | %s |" % (func, label, cells, verdict))
    if total:
        print("\nhp-tpe at or below optuna-tpe in %d of %d rows" % (wins, total))
    if noise_total:
        print("noise yardstick: hp-random at or below optuna-random (the same algorithm)"
              " in %d of %d rows" % (noise, noise_total))


if __name__ == "__main__":
    main()
