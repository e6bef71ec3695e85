#!/usr/bin/env python3
"""Writes the drift-test fixtures that Tests/DatasetTests/DriftAgreementTests.swift checks engage against.

    bench/.venv/bin/python bench/drift_fixtures.py          # rewrites Tests/DatasetTests/Fixtures/drift/*.json

Each fixture is one JSON file holding the inputs and scipy's (or numpy's) answers:

numeric cases (`"kind": "numeric"`): two samples, then
  - `scipy.stats.ks_2samp(reference, current)` with its defaults (two-sided, `method="auto"`: exact
    when max(n1, n2) <= 10,000, otherwise the asymptotic `kstwo.sf(D, round(n1 n2 / (n1 + n2)))`);
  - the population stability index over the reference's quantile bins:
        edges = np.unique(np.quantile(reference, np.arange(1, bins) / bins))     # linear interpolation
        e = np.bincount(np.searchsorted(edges, reference, side="left"), minlength=len(edges) + 1) / len(reference)
        a = np.bincount(np.searchsorted(edges, current,   side="left"), minlength=len(edges) + 1) / len(current)
        e, a = np.maximum(e, 1e-4), np.maximum(a, 1e-4)                          # an empty bin's share is 1e-4
        psi = np.sum((a - e) * np.log(a / e))
    so bins are (-inf, q1], (q1, q2], ..., (q_last, inf).

categorical cases (`"kind": "categorical"`): level counts of the two samples, then
  - `scipy.stats.chi2_contingency(table)` with its default `correction=True` (which applies Yates'
    correction only when there is one degree of freedom), `table` the 2 x k array of counts
    (reference row, current row) over the levels seen in either sample, in sorted order;
  - PSI over the levels with the same formula and epsilon.

Samples of up to 2,000 values are stored inline as shortest round-trip decimal strings. Larger ones
are stored as a generator spec that Swift replays bit for bit: splitmix64 from `seed`, each draw
u = (z >> 11) * 2**-53, then `uniform`: u * scale + shift; `sum4`: (((u1 + u2) + u3) + u4 - 2) * scale
+ shift (a bell shape, no transcendental functions); `grid`: floor(u * levels) * scale + shift
(discrete values, many ties). Python floats are IEEE doubles, so both sides see the same numbers.
"""
import json
import math
import os
import sys

import numpy as np
import scipy
import scipy.stats

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "Tests", "DatasetTests", "Fixtures", "drift")
INLINE_LIMIT = 2000
MASK = (1 << 64) - 1
EPSILON = 1e-4


def splitmix(seed, count, kind, scale, shift, levels=None):
    state = seed & MASK

    def draw():
        nonlocal state
        state = (state + 0x9E3779B97F4A7C15) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        z ^= z >> 31
        return (z >> 11) * 2.0 ** -53

    values = []
    for _ in range(count):
        if kind == "uniform":
            values.append(draw() * scale + shift)
        elif kind == "sum4":
            u1, u2, u3, u4 = draw(), draw(), draw(), draw()
            values.append((((u1 + u2) + u3) + u4 - 2) * scale + shift)
        elif kind == "grid":
            values.append(math.floor(draw() * levels) * scale + shift)
        else:
            raise ValueError(kind)
    return values


def sample(seed, count, kind="sum4", scale=1.0, shift=0.0, levels=None):
    """The values and how the fixture stores them."""
    values = splitmix(seed, count, kind, scale, shift, levels)
    if count <= INLINE_LIMIT:
        return values, {"values": [repr(v) for v in values]}
    spec = {"seed": seed, "count": count, "kind": kind, "scale": repr(scale), "shift": repr(shift)}
    if levels is not None:
        spec["levels"] = levels
    return values, {"generator": spec}


def psi(e_counts, a_counts):
    e = np.maximum(np.asarray(e_counts, float) / np.sum(e_counts), EPSILON)
    a = np.maximum(np.asarray(a_counts, float) / np.sum(a_counts), EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def numeric_psi(reference, current, bins):
    edges = np.unique(np.quantile(reference, np.arange(1, bins) / bins))
    e = np.bincount(np.searchsorted(edges, reference, side="left"), minlength=len(edges) + 1)
    a = np.bincount(np.searchsorted(edges, current, side="left"), minlength=len(edges) + 1)
    return psi(e, a)


def numeric_case(name, reference, current, bins=10):
    (a, a_spec), (b, b_spec) = reference, current
    x, y = np.array(a), np.array(b)
    result = scipy.stats.ks_2samp(x, y)
    method = "exact" if max(len(x), len(y)) <= 10_000 else "asymptotic"
    return name, {
        "kind": "numeric", "sizes": [len(x), len(y)], "bins": bins,
        "reference": a_spec, "current": b_spec,
        "expected": {"ks_statistic": repr(float(result.statistic)), "ks_pvalue": repr(float(result.pvalue)),
                     "ks_method": method, "psi": repr(numeric_psi(x, y, bins))},
    }


def categorical_case(name, reference_counts, current_counts):
    levels = sorted(set(reference_counts) | set(current_counts))
    levels = [l for l in levels if reference_counts.get(l, 0) + current_counts.get(l, 0) > 0]
    table = np.array([[reference_counts.get(l, 0) for l in levels], [current_counts.get(l, 0) for l in levels]])
    result = scipy.stats.chi2_contingency(table)
    return name, {
        "kind": "categorical", "sizes": [int(table[0].sum()), int(table[1].sum())],
        "reference": {"counts": {l: int(reference_counts.get(l, 0)) for l in levels if reference_counts.get(l, 0)}},
        "current": {"counts": {l: int(current_counts.get(l, 0)) for l in levels if current_counts.get(l, 0)}},
        "expected": {"chi2_statistic": repr(float(result.statistic)), "chi2_pvalue": repr(float(result.pvalue)),
                     "chi2_dof": int(result.dof), "psi": repr(psi(table[0], table[1]))},
    }


def counts(seed, total, shares):
    rng = np.random.default_rng(seed)
    drawn = rng.multinomial(total, np.asarray(shares, float) / np.sum(shares))
    return {f"level_{i:02d}": int(c) for i, c in enumerate(drawn) if c > 0}


def numeric_cases():
    s = sample
    yield numeric_case("ks_05_05_shift", s(1, 5), s(2, 5, shift=0.8))
    yield numeric_case("ks_05_07", s(3, 5), s(4, 7, shift=0.3))
    yield numeric_case("ks_07_09_ties", s(5, 7, "grid", levels=4), s(6, 9, "grid", levels=4))
    yield numeric_case("ks_08_08_same", s(7, 8), s(8, 8))
    yield numeric_case("ks_10_15_ties", s(9, 10, "grid", levels=3), s(10, 15, "grid", levels=3, shift=0.5))
    yield numeric_case("ks_20_20_shift", s(11, 20), s(12, 20, shift=0.5))
    yield numeric_case("ks_25_40", s(13, 25), s(14, 40, scale=1.5))
    yield numeric_case("ks_50_50_ties", s(15, 50, "grid", levels=5), s(16, 50, "grid", levels=5))
    yield numeric_case("ks_60_90", s(17, 60, "uniform"), s(18, 90, "uniform", shift=0.1), bins=5)
    yield numeric_case("ks_100_100_same", s(19, 100), s(20, 100))
    yield numeric_case("ks_100_250_shift", s(21, 100), s(22, 250, shift=0.25))
    yield numeric_case("ks_137_211_coprime", s(23, 137), s(24, 211, shift=0.1))
    yield numeric_case("ks_300_1000_ties", s(25, 300, "grid", levels=12), s(26, 1000, "grid", levels=12, shift=1.0), bins=20)
    yield numeric_case("ks_500_500_small_shift", s(27, 500), s(28, 500, shift=0.05))
    yield numeric_case("ks_1000_1000", s(29, 1000), s(30, 1000, scale=1.1))
    yield numeric_case("ks_1000_3000", s(31, 1000, "uniform"), s(32, 3000, "uniform", scale=1.05))
    yield numeric_case("ks_2000_5000_scale", s(33, 2000), s(34, 5000, scale=1.2))
    yield numeric_case("ks_3000_3000_ties", s(35, 3000, "grid", levels=30), s(36, 3000, "grid", levels=30))
    yield numeric_case("ks_5000_5000", s(37, 5000), s(38, 5000, shift=0.02))
    yield numeric_case("ks_7000_10000_exact", s(39, 7000), s(40, 10_000, shift=0.03))
    yield numeric_case("ks_10000_10000_exact", s(41, 10_000), s(42, 10_000, shift=0.01))
    yield numeric_case("ks_10001_500_asymptotic", s(43, 10_001), s(44, 500, shift=0.1))
    yield numeric_case("ks_20000_20000", s(45, 20_000), s(46, 20_000, shift=0.01))
    yield numeric_case("ks_50000_50000_same", s(47, 50_000), s(48, 50_000))
    yield numeric_case("ks_50000_50000_tiny_shift", s(49, 50_000), s(50, 50_000, shift=0.004))
    yield numeric_case("ks_50000_50000_ties", s(51, 50_000, "grid", levels=20), s(52, 50_000, "grid", levels=20, shift=0.0))
    yield numeric_case("ks_50000_30000_shift", s(53, 50_000), s(54, 30_000, shift=0.2))
    yield numeric_case("ks_50000_12345", s(55, 50_000, "uniform"), s(56, 12_345, "uniform"), bins=20)
    yield numeric_case("ks_40000_50000_identical", s(57, 40_000), s(57, 50_000))


def categorical_cases():
    yield categorical_case("chi2_2_small_yates", {"a": 7, "b": 3}, {"a": 4, "b": 6})
    yield categorical_case("chi2_2_yates_clamped", {"a": 10, "b": 10}, {"a": 10, "b": 11})
    yield categorical_case("chi2_2_large_yates", counts(101, 50_000, [0.3, 0.7]), counts(102, 50_000, [0.31, 0.69]))
    yield categorical_case("chi2_3_small", {"x": 5, "y": 9, "z": 2}, {"x": 8, "y": 3, "z": 6})
    yield categorical_case("chi2_5_same", counts(103, 50_000, [1, 2, 3, 4, 5]), counts(104, 50_000, [1, 2, 3, 4, 5]))
    yield categorical_case("chi2_5_shift", counts(105, 50_000, [1, 2, 3, 4, 5]), counts(106, 40_000, [1.1, 2, 3, 4, 4.5]))
    yield categorical_case("chi2_12_unseen_level", counts(107, 20_000, [1] * 11), counts(108, 20_000, [1] * 11 + [0.3]))
    yield categorical_case("chi2_6_level_gone", counts(109, 5_000, [2, 2, 2, 1, 1, 1]), counts(110, 5_000, [2, 2, 2, 1, 1, 0]))
    yield categorical_case("chi2_30_large", counts(111, 50_000, np.linspace(1, 3, 30)), counts(112, 50_000, np.linspace(1, 3.1, 30)))
    yield categorical_case("chi2_4_strong_shift", counts(113, 50_000, [4, 3, 2, 1]), counts(114, 50_000, [1, 2, 3, 4]))


def main():
    os.makedirs(OUT, exist_ok=True)
    for old in os.listdir(OUT):
        if old.endswith(".json"):
            os.remove(os.path.join(OUT, old))
    cases = list(numeric_cases()) + list(categorical_cases())
    for name, case in cases:
        case["scipy"] = scipy.__version__
        case["numpy"] = np.__version__
        with open(os.path.join(OUT, name + ".json"), "w") as handle:
            json.dump(case, handle, separators=(",", ":"))
            handle.write("\n")
    total = sum(os.path.getsize(os.path.join(OUT, f)) for f in os.listdir(OUT))
    print(f"{len(cases)} fixtures, {total:,} bytes in {os.path.relpath(OUT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
