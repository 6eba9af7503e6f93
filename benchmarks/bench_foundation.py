"""Foundation benchmarks: separation, the two-layer construction, and the exact verifier
on a deep narrow big-integer network.

    python benchmarks/bench_foundation.py            # all, default sizes
    python benchmarks/bench_foundation.py --only verifier --points 10000 --depth 2000 --bits 30000

The synthetic network mimics the first sqrt(N) memorizer design (docs/verifier.md): width 12;
a selection stage (two layers per group) adds a random ``bits``-bit word per group to a big
register; the rest of the layers peel the word's top bits one per layer with
``r' = r - T (relu(r - T + 1) - relu(r - T))`` and accumulate them into a small register.
The verifier is generic: it does not know this structure. Its output is checked against a
direct Python computation of the same bits.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from memorize import build, data, verify
from memorize.network import Layer, Network


def synthetic_memorizer(points: int, depth: int, bits: int, groups: int, seed: int = 0):
    """A width-12 network of ``depth`` layers with ``bits``-bit weights and the expected outputs."""
    rng = np.random.default_rng(seed)
    words = [int.from_bytes(rng.bytes(bits // 8 + 1), "big") >> (8 * (bits // 8 + 1) - bits) | (1 << (bits - 1))
             for _ in range(groups)]
    size = -(-points // groups)
    layers = []
    # registers: 0 x, 1 u (big), 2 p, 3 q, 4..11 small noise units relu(x - k)
    noise = [({0: 1}, -k) for k in range(8)]
    for g in range(groups):
        t = g * size
        layers.append(Layer.from_rows(12 if layers else 1, [
            ({0: 1}, 0), ({1: 1} if layers else {}, 0), ({0: 1}, -t + 1), ({0: 1}, -t)] + noise, "relu"))
        layers.append(Layer.from_rows(12, [
            ({0: 1}, 0), ({1: 1, 2: words[g] - (words[g - 1] if g else 0), 3: -(words[g] - (words[g - 1] if g else 0))}, 0),
            ({}, 0), ({}, 0)] + noise, "relu"))
    # registers now: x, u = word of the point's group
    peel = depth - len(layers) - 1
    T = 1 << (bits - 1)
    prev_T = None
    for b in range(peel):
        # 0 x, 1 r, 2 s1, 3 s2, 4 acc, 5..11 noise
        if prev_T is None:
            r_terms, acc_terms = {1: 1}, {}
        else:
            r_terms = {1: 1, 2: -prev_T, 3: prev_T}
            acc_terms = {4: 2, 2: 1, 3: -1}
        layers.append(Layer.from_rows(12, [
            ({0: 1}, 0), (r_terms, 0), (dict(r_terms), -T + 1), (dict(r_terms), -T), (acc_terms, 0)]
            + noise[:7], "relu"))
        prev_T, T = T, T >> 1
    layers.append(Layer.from_rows(12, [({4: 2, 2: 1, 3: -1}, 0)], "identity"))
    net = Network(1, layers)
    X = np.arange(points, dtype=np.float64).reshape(-1, 1)
    expected = [words[min(i // size, groups - 1)] >> (bits - peel) for i in range(points)]
    return net, X, expected


def bench_verifier(points, depth, bits, groups):
    net, X, expected = synthetic_memorizer(points, depth, bits, groups)
    t = time.perf_counter()
    ev = verify.evaluate(net, X)
    seconds = time.perf_counter() - t
    ok = [int(v) // ev.scale for v in ev.outputs[0]] == expected
    print(f"verifier: width {net.width}, depth {net.depth}, max bits {net.max_bits}, "
          f"{points} points: {seconds:.2f} s, outputs exact: {ok}")


def bench_separation(n, d):
    X = data.random_points(n, d, 1e-9, seed=0)
    t = time.perf_counter()
    delta = data.separation(X)
    print(f"separation: N={n} d={d}: {time.perf_counter() - t:.2f} s (delta = {delta:.4g})")


def bench_two_layer(n, d=10, classes=10):
    X, y = data.random_separated(n, d, 0.01, num_classes=classes, seed=0)
    t = time.perf_counter()
    net = build("relu_two_layer", X, y)
    tb = time.perf_counter() - t
    rep = verify.verify(net, X, y, float64=False)
    print(f"relu_two_layer: N={n}: build {tb:.2f} s, exact verification {rep.seconds:.2f} s, "
          f"ok {rep.ok}, params {rep.params}, max bits {rep.max_bits}")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--only", choices=["separation", "two_layer", "verifier"])
    p.add_argument("--points", type=int, default=10_000)
    p.add_argument("--depth", type=int, default=2000)
    p.add_argument("--bits", type=int, default=30_000)
    p.add_argument("--groups", type=int, default=100)
    args = p.parse_args()
    if args.only in (None, "separation"):
        bench_separation(100_000, 10)
    if args.only in (None, "two_layer"):
        for n in (10_000, 100_000):
            bench_two_layer(n)
    if args.only in (None, "verifier"):
        bench_verifier(args.points, args.depth, args.bits, args.groups)


if __name__ == "__main__":
    main()
