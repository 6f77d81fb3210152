"""The Optuna side of the TPE quality benchmark.

usage: /usr/bin/python3 optuna_run.py TRIALS SEEDS [FUNC,...]

Runs Optuna's TPESampler (defaults, seed=SEED) and RandomSampler(seed=SEED) on
the test functions of driver.c (same domains and parameter kinds) and prints
one line per (function, sampler, seed): "FUNC SAMPLER SEED R25 R50 RLAST",
regret = best value so far - optimum.
"""
import math
import sys

import optuna

PI = math.pi
ALPHA = [1.0, 1.2, 3.0, 3.2]
A3 = [[3, 10, 30], [0.1, 10, 35], [3, 10, 30], [0.1, 10, 35]]
P3 = [[0.3689, 0.1170, 0.2673], [0.4699, 0.4387, 0.7470],
      [0.1091, 0.8732, 0.5547], [0.0381, 0.5743, 0.8828]]
A6 = [[10, 3, 17, 3.5, 1.7, 8], [0.05, 10, 17, 0.1, 8, 14],
      [3, 3.5, 1.7, 10, 17, 8], [17, 8, 0.05, 10, 0.1, 14]]
P6 = [[0.1312, 0.1696, 0.5569, 0.0124, 0.8283, 0.5886],
      [0.2329, 0.4135, 0.8307, 0.3736, 0.1004, 0.9991],
      [0.2348, 0.1451, 0.3522, 0.2883, 0.3047, 0.6650],
      [0.4047, 0.8828, 0.8732, 0.5743, 0.1091, 0.0381]]
ST_FLOAT_MIN = -2.903534027771178


def floats(trial, n, low, high, first=0):
    return [trial.suggest_float("x%d" % i, low, high) for i in range(first, first + n)]


def hartmann(xs, a, p):
    return -sum(ALPHA[i] * math.exp(-sum(a[i][j] * (xs[j] - p[i][j]) ** 2
                                         for j in range(len(xs))))
                for i in range(4))


def branin(trial):
    a = trial.suggest_float("x0", -5, 10)
    b = trial.suggest_float("x1", 0, 15)
    t = b - 5.1 / (4 * PI * PI) * a * a + 5 / PI * a - 6
    return t * t + 10 * (1 - 1 / (8 * PI)) * math.cos(a) + 10


def camel(trial):
    a = trial.suggest_float("x0", -3, 3)
    b = trial.suggest_float("x1", -2, 2)
    return (4 - 2.1 * a * a + a ** 4 / 3) * a * a + a * b + (-4 + 4 * b * b) * b * b


def hartmann3(trial):
    return hartmann(floats(trial, 3, 0, 1), A3, P3)


def hartmann3_choice(trial):
    xs = floats(trial, 3, 0, 1)
    shift = trial.suggest_categorical("shift", ["a", "b", "c", "d"])
    return hartmann(xs, A3, P3) + {"a": 0.5, "b": 0, "c": 1, "d": 0.25}[shift]


def hartmann6(trial):
    return hartmann(floats(trial, 6, 0, 1), A6, P6)


def rosenbrock4_log(trial):
    xs = floats(trial, 4, -2, 2)
    return math.log1p(sum(100 * (xs[i + 1] - xs[i] ** 2) ** 2 + (1 - xs[i]) ** 2
                          for i in range(3)))


def st_term(v):
    return 0.5 * (v ** 4 - 16 * v * v + 5 * v)


def styblinski4_int(trial):
    xs = [trial.suggest_int("x%d" % i, -5, 5) for i in range(2)]
    xs += floats(trial, 2, -5, 5, first=2)
    return sum(st_term(v) for v in xs)


PROBLEMS = [
    ("branin", branin, 0.397887357729738),
    ("camel", camel, -1.031628453489877),
    ("hartmann3", hartmann3, -3.862782147820756),
    ("hartmann3_choice", hartmann3_choice, -3.862782147820756),
    ("hartmann6", hartmann6, -3.322368011391339),
    ("rosenbrock4_log", rosenbrock4_log, 0.0),
    ("styblinski4_int", styblinski4_int, 2 * st_term(-3) + 2 * st_term(ST_FLOAT_MIN)),
]


def main():
    trials, seeds = int(sys.argv[1]), int(sys.argv[2])
    only = sys.argv[3].split(",") if len(sys.argv) > 3 else None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    for name, f, opt in PROBLEMS:
        if only and name not in only:
            continue
        for label, make in (("optuna-tpe", optuna.samplers.TPESampler),
                            ("optuna-random", optuna.samplers.RandomSampler)):
            for seed in range(seeds):
                study = optuna.create_study(sampler=make(seed=seed))
                best, marks = math.inf, {}
                for k in range(trials):
                    trial = study.ask()
                    y = f(trial)
                    study.tell(trial, y)
                    best = min(best, y)
                    marks[k + 1] = best
                print(name, label, seed, "%.9g %.9g %.9g" % (
                    marks[25] - opt, marks[50] - opt, best - opt), flush=True)


if __name__ == "__main__":
    main()
