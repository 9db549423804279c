#!/usr/bin/env python3
"""Baseline for LearnerBenchmark: the same MLP (784-200-200-10, ReLU, softmax cross-entropy, plain SGD)
trained with numpy (BLAS-backed matmuls) on the same 1280 MNIST rows, one epoch per timing, float32.

Not part of the build; a measurement aid. Run on one core for a per-core comparison:
  OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 python3 starling-benchmarks/scripts/numpy_mlp.py
Prints samples per CPU-second of the training thread (what one core delivers, robust to other load on a
shared machine) and per wall-clock second, per batch size (medians), and the BLAS numpy uses. CPU time is
the calling thread's, so it is per core only with the BLAS thread variables above set to 1.
"""
import gzip
import os
import sys
import time

import numpy as np

ROWS = 1280


def load(dirpath):
    with gzip.open(os.path.join(dirpath, "mnist-train8k-images-idx3-ubyte.gz")) as f:
        x = np.frombuffer(f.read(), dtype=np.uint8, offset=16).reshape(-1, 784)[:ROWS]
    with gzip.open(os.path.join(dirpath, "mnist-train8k-labels-idx1-ubyte.gz")) as f:
        y = np.frombuffer(f.read(), dtype=np.uint8, offset=8)[:ROWS]
    return (x.astype(np.float32) / 255.0), y.astype(np.int64)


def init(rng, sizes):
    params = []
    for a, b in zip(sizes[:-1], sizes[1:]):
        params.append([(rng.standard_normal((a, b)) * np.sqrt(2.0 / a)).astype(np.float32), np.zeros(b, np.float32)])
    return params


def epoch(params, x, y, batch, lr, order):
    for s in range(0, len(order), batch):
        idx = order[s:s + batch]
        a = [x[idx]]
        for i, (w, b) in enumerate(params):
            z = a[-1] @ w + b
            a.append(np.maximum(z, 0) if i < len(params) - 1 else z)
        z = a[-1]
        z = z - z.max(axis=1, keepdims=True)
        p = np.exp(z)
        p /= p.sum(axis=1, keepdims=True)
        p[np.arange(len(idx)), y[idx]] -= 1
        dz = p / len(idx)
        for i in range(len(params) - 1, -1, -1):
            w, b = params[i]
            dw = a[i].T @ dz
            db = dz.sum(axis=0)
            if i > 0:
                dz = (dz @ w.T) * (a[i] > 0)
            w -= lr * dw
            b -= lr * db


def main():
    dirpath = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "../../testdata/mnist-10k")
    x, y = load(dirpath)
    rng = np.random.default_rng(1)
    print("numpy", np.__version__, "threads env:", {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")})
    try:
        cfg = np.show_config(mode="dicts")
        print("BLAS:", cfg["Build Dependencies"]["blas"].get("name"), cfg["Build Dependencies"]["blas"].get("version"))
    except Exception:  # older numpy
        pass
    for batch in (10, 64):
        params = init(rng, [784, 200, 200, 10])
        wall, cpu = [], []
        for rep in range(25):
            order = rng.permutation(ROWS)
            t0, c0 = time.perf_counter(), time.thread_time()
            epoch(params, x, y, batch, 0.05, order)
            if rep >= 4:
                wall.append(time.perf_counter() - t0)
                cpu.append(time.thread_time() - c0)
        wall.sort()
        cpu.sort()
        print(f"batch={batch} samples_per_cpu_second={ROWS / cpu[len(cpu) // 2]:.0f} "
              f"samples_per_wall_second={ROWS / wall[len(wall) // 2]:.0f} (median of {len(wall)} epochs of {ROWS} rows)")


if __name__ == "__main__":
    main()
