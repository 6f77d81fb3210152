#!/usr/bin/env python3
"""A bring-your-own trainer for hpsearch, in Python with NumPy only.

Trains a one-hidden-layer MLP (tanh, softmax cross-entropy, SGD with momentum,
L2 weight decay and a cosine learning-rate decay) on a three-arm spiral: 2-D
points in 3 classes generated from --data_seed, so every trial sees the same
data. It speaks hpsearch's trial protocol, promotions included (README.md
beside this file explains it):

  argv    --name=value hyperparameters, the keys of DEFAULTS; anything else is
          a usage error. --epochs is a total: a run resumed at epoch 3 with
          --epochs=9 trains epochs 4..9
  env     HPSEARCH_SEED picks the init and shuffle streams; HPSEARCH_TRIAL_DIR
          receives last.npz; HPSEARCH_RESUME_FROM names a last.npz to go on
          from; HPSEARCH_BUDGET_MAX, when set, is the cosine's horizon in epochs
  stdout  one JSON object per line: metrics after each epoch, a checkpoint line
          after each save, a final line with the test accuracy; nothing else
  exit    0 done, 1 runtime error, 2 usage error, 3 diverged (non-finite loss),
          143 (128 + SIGTERM) stopped by SIGTERM after saving its state

Every draw comes from its own PCG64 stream keyed by (seed, purpose, epoch), so
the checkpoint's epoch and step are the whole random state, and a resumed run
goes on exactly as the interrupted one would have. With OPENBLAS_NUM_THREADS=1
(hpsearch sets it) a seed always gives the same lines.
"""
import json
import os
import signal
import sys

import numpy as np

DEFAULTS = {"lr": 0.1, "epochs": 20, "hidden": 32, "batch": 32, "momentum": 0.9,
            "weight_decay": 1e-4, "data_seed": 0}
CHECKPOINT = "last.npz"
FORMAT = "byo-python/2"
INIT, SHUFFLE = 0, 1  # stream purposes


def usage_error(message):
    print(f"train.py: {message}", file=sys.stderr)  # stdout is the metric channel
    sys.exit(2)


def parse_args(argv):
    """Returns the hyperparameters: DEFAULTS overridden by --name=value, checked."""
    hp = dict(DEFAULTS)
    for arg in argv:
        name, eq, text = arg[2:].partition("=")
        if not arg.startswith("--") or not eq or name not in DEFAULTS:
            usage_error(f"unexpected argument {arg!r} (expected --name=value, "
                        f"name one of {', '.join(DEFAULTS)})")
        kind = type(DEFAULTS[name])
        try:
            hp[name] = kind(text)
        except ValueError:
            usage_error(f"option --{name}: expected {'an integer' if kind is int else 'a number'}"
                        f", got {text!r}")
    rules = [("lr", 0 < hp["lr"] < np.inf, "a finite number > 0"),
             ("momentum", 0 <= hp["momentum"] < 1, "in [0, 1)"),
             ("weight_decay", 0 <= hp["weight_decay"] < np.inf, "a finite number >= 0"),
             ("data_seed", hp["data_seed"] >= 0, ">= 0")]
    rules += [(name, hp[name] >= 1, ">= 1") for name in ("epochs", "hidden", "batch")]
    for name, ok, rule in rules:
        if not ok:
            usage_error(f"option --{name}: must be {rule} (got {hp[name]})")
    return hp


def lr_horizon(hp):
    """Returns the epochs over which the learning rate decays: the scheduler's
    largest budget when hpsearch gives one, so that a run of 3 epochs later
    promoted to 9 follows the same curve as a run of 9; else --epochs."""
    text = os.environ.get("HPSEARCH_BUDGET_MAX")
    if text is None:
        return hp["epochs"]
    if not text.isdigit() or int(text) < 1:
        usage_error(f"HPSEARCH_BUDGET_MAX: expected an integer >= 1, got {text!r}")
    return int(text)


def make_spiral(data_seed, per_class=400, classes=3):
    """Returns the (train, val, test) splits, each a pair x (n, 2), y (n,)."""
    rng = np.random.Generator(np.random.PCG64(data_seed))
    r = np.tile(np.linspace(0.05, 1.0, per_class), classes)
    y = np.repeat(np.arange(classes), per_class)
    angle = y * (2 * np.pi / classes) + 4.0 * r + rng.normal(0, 0.4, r.size)
    x = np.stack([r * np.sin(angle), r * np.cos(angle)], axis=1)
    order = rng.permutation(y.size)
    x, y = x[order], y[order]
    n = y.size // 8  # 1/8 validation, 1/8 test
    return (x[2 * n:], y[2 * n:]), (x[:n], y[:n]), (x[n:2 * n], y[n:2 * n])


def stream(seed, purpose, epoch=0):
    return np.random.Generator(np.random.PCG64([seed, purpose, epoch]))


def init_state(hp, seed):
    """Returns the whole training state: weights, momentum buffers, position."""
    rng = stream(seed, INIT)
    hidden = hp["hidden"]
    state = {"w1": rng.normal(0, 1 / np.sqrt(2), (2, hidden)),  # (in, hidden)
             "b1": np.zeros(hidden),
             "w2": rng.normal(0, 1 / np.sqrt(hidden), (hidden, 3)),  # (hidden, out)
             "b2": np.zeros(3)}
    state.update({"v_" + k: np.zeros_like(v) for k, v in state.items()})
    state.update(epoch=0, step=0)  # epochs completed; batches done into the next one
    state.update(best_val_accuracy=0.0)  # over the epochs completed, resumed ones too
    return state


def forward(state, x):
    """Returns the hidden activations (n, hidden) and class probabilities (n, 3)."""
    h = np.tanh(x @ state["w1"] + state["b1"])
    logits = h @ state["w2"] + state["b2"]
    p = np.exp(logits - logits.max(axis=1, keepdims=True))
    return h, p / p.sum(axis=1, keepdims=True)


def evaluate(state, x, y):
    """Returns (mean cross-entropy, accuracy) on x, y."""
    _, p = forward(state, x)
    loss = -np.mean(np.log(p[np.arange(y.size), y] + 1e-12))
    return float(loss), float(np.mean(p.argmax(axis=1) == y))


def epoch_lr(hp, horizon, epoch):
    """Returns the learning rate of the epoch after `epoch` completed ones:
    cosine decay from --lr to 0 at the horizon."""
    return hp["lr"] * 0.5 * (1 + np.cos(np.pi * min(epoch, horizon) / horizon))


def sgd_step(state, hp, lr, x, y):
    """One mini-batch of SGD with momentum and L2 weight decay, in place."""
    h, p = forward(state, x)
    d_logits = p
    d_logits[np.arange(y.size), y] -= 1
    d_logits /= y.size                                   # (n, 3)
    d_h = (d_logits @ state["w2"].T) * (1 - h * h)       # (n, hidden); tanh' = 1 - h^2
    grads = {"w1": x.T @ d_h, "b1": d_h.sum(axis=0),
             "w2": h.T @ d_logits, "b2": d_logits.sum(axis=0)}
    for k, g in grads.items():
        if k.startswith("w"):
            g = g + hp["weight_decay"] * state[k]
        state["v_" + k] = hp["momentum"] * state["v_" + k] - lr * g
        state[k] = state[k] + state["v_" + k]


def save_state(state, hp, trial_dir):
    """Writes last.npz atomically (temp file, fsync, rename, fsync the
    directory) and reports it. A crash leaves the old checkpoint or the new."""
    path = os.path.join(trial_dir, CHECKPOINT)
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:  # a file object, so that np.savez adds no ".npz"
        np.savez(f, format=FORMAT, data_seed=hp["data_seed"], **state)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    dir_fd = os.open(trial_dir, os.O_RDONLY)
    os.fsync(dir_fd)
    os.close(dir_fd)
    emit({"checkpoint": CHECKPOINT, "epoch": state["epoch"]})


def load_state(path, hp):
    """Reads a last.npz of the same data and shape. The seed may differ (a
    strategy may continue another trial's model): it only picks the streams."""
    with np.load(path, allow_pickle=False) as ck:
        if str(ck["format"]) != FORMAT:
            raise ValueError(f"not a {FORMAT} checkpoint")
        if int(ck["data_seed"]) != hp["data_seed"] or ck["b1"].size != hp["hidden"]:
            raise ValueError(f"it was written with data_seed={int(ck['data_seed'])}, "
                             f"hidden={ck['b1'].size}")
        scalars = {"epoch": int, "step": int, "best_val_accuracy": float}
        keys = init_state(hp, 0).keys()
        return {k: scalars[k](ck[k]) if k in scalars else ck[k] for k in keys}


def emit(obj):
    print(json.dumps(obj), flush=True)  # non-finite floats become NaN, as hpsearch reads


def report_epoch(state, train, val):
    """Prints the epoch's metric line; returns False if training diverged."""
    train_loss, _ = evaluate(state, *train)
    val_loss, val_acc = evaluate(state, *val)
    state["best_val_accuracy"] = max(state["best_val_accuracy"], val_acc)
    emit({"epoch": state["epoch"], "train_loss": train_loss, "val_loss": val_loss,
          "val_accuracy": val_acc})
    return bool(np.isfinite(train_loss))


def main():
    hp = parse_args(sys.argv[1:])
    seed_text = os.environ.get("HPSEARCH_SEED", "0")
    if not seed_text.isdigit():
        usage_error(f"HPSEARCH_SEED: expected a non-negative integer, got {seed_text!r}")
    seed = int(seed_text)
    trial_dir = os.environ.get("HPSEARCH_TRIAL_DIR", ".")
    horizon = lr_horizon(hp)
    train, val, test = make_spiral(hp["data_seed"])

    state = init_state(hp, seed)
    resume = os.environ.get("HPSEARCH_RESUME_FROM")
    if resume:
        try:
            state = load_state(resume, hp)
        except (OSError, ValueError, KeyError) as e:
            print(f"train.py: cannot resume from {resume}: {e}", file=sys.stderr)
            return 1

    # SIGTERM only raises a flag: the loop sees it between two batches, saves
    # the state mid-epoch (a resume goes on from that very batch) and stops.
    stopping = []
    signal.signal(signal.SIGTERM, lambda signum, frame: stopping.append(signum))

    x, y = train
    batches = -(-y.size // hp["batch"])
    reported = False
    while state["epoch"] < hp["epochs"]:
        order = stream(seed, SHUFFLE, state["epoch"] + 1).permutation(y.size)
        lr = epoch_lr(hp, horizon, state["epoch"])
        while state["step"] < batches and not stopping:
            idx = order[state["step"] * hp["batch"]:(state["step"] + 1) * hp["batch"]]
            sgd_step(state, hp, lr, x[idx], y[idx])
            state["step"] += 1
        if stopping:
            save_state(state, hp, trial_dir)
            return 128 + signal.SIGTERM
        state["epoch"] += 1
        state["step"] = 0
        if not report_epoch(state, train, val):
            return 3
        reported = True
        save_state(state, hp, trial_dir)

    if not reported:  # resumed from a finished run: report what it reached
        report_epoch(state, train, val)
    _, test_acc = evaluate(state, *test)
    emit({"final": True, "epoch": state["epoch"], "test_accuracy": test_acc,
          "best_val_accuracy": state["best_val_accuracy"]})
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except OSError as e:  # a checkpoint that cannot be written, a closed stdout
        print(f"train.py: {e}", file=sys.stderr)
        sys.exit(1)
