#!/usr/bin/python3
"""Write small, deterministic CSV data sets for experiments/coverage/csv.json.

usage: make_csv.py [DIR]   (default: runs/coverage-data under the checkout)

DIR/regression.csv, DIR/regression-test.csv: 8 numeric features x0..x7 and a
  real "target" = a smooth nonlinear function of them plus noise.
DIR/classification.csv, DIR/classification-test.csv: the same features and a
  "target" class name (cat, dog, fox) from the argmax of three linear scores
  plus noise: names rather than ids, to exercise the loader's name mapping.
Standard library only; the same files every run (random.Random(seed)).
"""
import math, os, random, sys

root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "runs", "coverage-data")
os.makedirs(out, exist_ok=True)
NAMES = ["cat", "dog", "fox"]
W = [[0.9, -0.4, 0.3, 0.0, 0.5, -0.2, 0.1, 0.0],
     [-0.3, 0.8, -0.5, 0.4, 0.0, 0.2, -0.1, 0.3],
     [0.1, 0.1, 0.6, -0.7, -0.4, 0.0, 0.5, -0.2]]

def rows(rng, n):
    for _ in range(n):
        x = [rng.gauss(0.0, 1.0) for _ in range(8)]
        y = (math.sin(x[0]) + 0.5 * x[1] * x[2] - 0.3 * x[3] ** 2 + 0.8 * x[4]
             + rng.gauss(0.0, 0.1))
        s = [sum(w * v for w, v in zip(ws, x)) + rng.gauss(0.0, 0.3) for ws in W]
        yield x, y, NAMES[s.index(max(s))]

def write(name, seed, n):
    rng = random.Random(seed)
    hdr = ",".join("x%d" % i for i in range(8)) + ",target\n"
    with open(os.path.join(out, "regression%s.csv" % name), "w") as fr, \
         open(os.path.join(out, "classification%s.csv" % name), "w") as fc:
        fr.write(hdr); fc.write(hdr)
        for x, y, c in rows(rng, n):
            xs = ",".join("%.6f" % v for v in x)
            fr.write("%s,%.6f\n" % (xs, y))
            fc.write("%s,%s\n" % (xs, c))

write("", 1, 3000)
write("-test", 2, 1000)
print(out)
