"""PyTorch's side of train_speed.sh: the trainer's benchmark network on one thread.

Trains 784-256-128-10 (ReLU, softmax cross-entropy, Adam lr 1e-3, betas 0.9,
0.999, eps 1e-8) on the first ROWS Fashion-MNIST training images, held in
memory as one float32 tensor standardized as hpsearch-train does (pixel / 255,
minus 0.2860, over 0.3530), with torch.set_num_threads(1). Each epoch draws a
fresh permutation and walks it in batches (the last one smaller), as the
trainer does. Only the training loop is timed: no evaluation runs. Adam runs
with foreach=True (see below).

Prints one line per epoch on stdout: "epoch <n> seconds <s> samples_per_s <r>".
Run with Debian's interpreter (/usr/bin/python3) and python3-torch.
"""
import argparse
import gzip
import struct
import time

import numpy as np
import torch


def load_images(path, rows):
    with gzip.open(path, "rb") as f:
        magic, count, height, width = struct.unpack(">IIII", f.read(16))
        if magic != 2051:
            raise SystemExit(f"torch_mlp.py: {path}: not an IDX image file")
        data = np.frombuffer(f.read(), dtype=np.uint8)
    return data.reshape(count, height * width)[:rows]


def load_labels(path, rows):
    with gzip.open(path, "rb") as f:
        magic, count = struct.unpack(">II", f.read(8))
        if magic != 2049:
            raise SystemExit(f"torch_mlp.py: {path}: not an IDX label file")
        data = np.frombuffer(f.read(), dtype=np.uint8)
    return data[:rows]


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--rows", type=int, default=59999)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(args.seed)
    images = load_images(f"{args.data_dir}/train-images-idx3-ubyte.gz", args.rows)
    labels = load_labels(f"{args.data_dir}/train-labels-idx1-ubyte.gz", args.rows)
    x = torch.from_numpy((images.astype(np.float32) / 255.0 - 0.2860) / 0.3530)
    y = torch.from_numpy(labels.astype(np.int64))
    n = x.shape[0]

    model = torch.nn.Sequential(
        torch.nn.Linear(784, 256),
        torch.nn.ReLU(),
        torch.nn.Linear(256, 128),
        torch.nn.ReLU(),
        torch.nn.Linear(128, 10),
    )
    # foreach=True: PyTorch 1.13 leaves its multi-tensor Adam off by default on
    # CPU, and the per-parameter loop takes about 3 ms a step here, longer than
    # the products; the faster of PyTorch's own two is the fair comparison.
    opt = torch.optim.Adam(
        model.parameters(), lr=1e-3, betas=(0.9, 0.999), eps=1e-8, foreach=True
    )
    loss_fn = torch.nn.CrossEntropyLoss()
    model.train()
    for epoch in range(1, args.epochs + 1):
        perm = torch.randperm(n)
        start = time.perf_counter()
        for i in range(0, n, args.batch):
            idx = perm[i : i + args.batch]
            xb = x[idx]
            yb = y[idx]
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(xb), yb)
            loss.backward()
            opt.step()
        seconds = time.perf_counter() - start
        print(f"epoch {epoch} seconds {seconds:.4f} samples_per_s {n / seconds:.0f}",
              flush=True)


if __name__ == "__main__":
    main()
