#!/usr/bin/env python3
"""Baseline for `starling bench aggregate`: the same server-side rules written the straightforward numpy way
(as Python FL servers such as Flower do it: per-client arrays, np.median / np.sort along the client axis,
Krum distances as one full pass per pair), on the same sizes, float32. A measurement aid, not part of the
build; run it in the same time window as the Java bench so both see the same machine load:

  python3 starling-benchmarks/scripts/numpy_aggregate.py [--repeat 7]

Prints one line per case: rule=... clients=N params=P seconds=S gbps=G (median over repeats, after one
warm-up), gbps = bytes of updates / seconds.
"""
import argparse
import time

import numpy as np


def fedavg(updates, weights):
    total = float(sum(weights))
    acc = [u * w for u, w in zip(updates, weights)]
    return np.sum(acc, axis=0) / total


def median(updates, _):
    return np.median(np.asarray(updates), axis=0)


def trimmed(beta):
    def run(updates, _):
        stacked = np.sort(np.asarray(updates), axis=0)
        k = int(beta * len(updates))
        return np.mean(stacked[k:len(updates) - k], axis=0)
    return run


def krum(f, m=1):
    def run(updates, _):
        n = len(updates)
        d = np.zeros((n, n))
        for i in range(n):
            for j in range(i + 1, n):
                d[i, j] = d[j, i] = np.sum((updates[i] - updates[j]) ** 2)
        k = n - f - 2
        scores = [np.sum(np.sort(np.delete(d[i], i))[:k]) for i in range(n)]
        chosen = np.argsort(scores)[:m]
        return np.mean([updates[i] for i in chosen], axis=0)
    return run


CASES = [
    ("fedavg", fedavg, 100, 1_000_000),
    ("fedavg", fedavg, 10, 10_000_000),
    ("median", median, 100, 1_000_000),
    ("trimmed:0.1", trimmed(0.1), 100, 1_000_000),
    ("krum:10", krum(10), 50, 100_000),
    ("multikrum:10", krum(10, 40), 50, 100_000),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=7)
    ap.add_argument("--only", default=None)
    args = ap.parse_args()
    rng = np.random.default_rng(1)
    print("numpy", np.__version__)
    for name, fn, n, p in CASES:
        if args.only and args.only != name:
            continue
        updates = [(rng.standard_normal(p) * 0.01).astype(np.float32) for _ in range(n)]
        weights = [10 + i % 7 for i in range(n)]
        fn(updates, weights)
        times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            fn(updates, weights)
            times.append(time.perf_counter() - t0)
        s = sorted(times)[len(times) // 2]
        print(f"rule={name} clients={n} params={p} seconds={s:.6f} gbps={4.0 * n * p / s / 1e9:.3f}", flush=True)


if __name__ == "__main__":
    main()
