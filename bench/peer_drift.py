#!/usr/bin/env python3
"""The scipy side of the drift benchmark: what a user would write to check NEW.csv against REF.csv.

    python bench/peer_drift.py REF.csv NEW.csv [--bins 10] [--alpha 0.05] [--psi-threshold 0.2] [--drifted-share 0.5]

pandas reads both files; each numeric column gets scipy.stats.ks_2samp (defaults: two-sided, method="auto")
on its present values and PSI over the reference's quantile bins with numpy; each text column gets
scipy.stats.chi2_contingency (default correction) on the reference-vs-new level counts and PSI over the
levels. Empty bins count as a share of 1e-4 — the same rule as `engage drift`. Prints one JSON object.
"""
import argparse
import json
import sys

import numpy as np
import pandas as pd
import scipy.stats

EPSILON = 1e-4


def psi(e_counts, a_counts):
    e = np.maximum(e_counts / e_counts.sum(), EPSILON)
    a = np.maximum(a_counts / a_counts.sum(), EPSILON)
    return float(np.sum((a - e) * np.log(a / e)))


def numeric(reference, current, bins):
    missing_ref, missing_cur = int(reference.isna().sum()), int(current.isna().sum())
    x, y = reference.dropna().to_numpy(float), current.dropna().to_numpy(float)
    result = scipy.stats.ks_2samp(x, y)
    edges = np.unique(np.quantile(x, np.arange(1, bins) / bins))
    e = np.bincount(np.searchsorted(edges, x, side="left"), minlength=len(edges) + 1)
    a = np.bincount(np.searchsorted(edges, y, side="left"), minlength=len(edges) + 1)
    if missing_ref + missing_cur:
        e, a = np.append(e, missing_ref), np.append(a, missing_cur)
    return "ks", float(result.statistic), float(result.pvalue), psi(e, a)


def categorical(reference, current):
    ref_counts, cur_counts = reference.value_counts(), current.value_counts()
    levels = sorted(set(ref_counts.index) | set(cur_counts.index))
    table = np.array([[ref_counts.get(l, 0) for l in levels], [cur_counts.get(l, 0) for l in levels]])
    result = scipy.stats.chi2_contingency(table)
    e, a = table[0].astype(float), table[1].astype(float)
    missing_ref, missing_cur = int(reference.isna().sum()), int(current.isna().sum())
    if missing_ref + missing_cur:
        e, a = np.append(e, missing_ref), np.append(a, missing_cur)
    return "chi2", float(result.statistic), float(result.pvalue), psi(e, a)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("reference")
    parser.add_argument("data")
    parser.add_argument("--bins", type=int, default=10)
    parser.add_argument("--alpha", type=float, default=0.05)
    parser.add_argument("--psi-threshold", type=float, default=0.2)
    parser.add_argument("--drifted-share", type=float, default=0.5)
    args = parser.parse_args()
    reference, current = pd.read_csv(args.reference), pd.read_csv(args.data)
    features = []
    for name in reference.columns:
        ref, cur = reference[name], current[name]
        if pd.api.types.is_numeric_dtype(ref):
            test, statistic, p, index = numeric(ref, cur, args.bins)
        else:
            test, statistic, p, index = categorical(ref, cur)
        features.append({"feature": name, "test": test, "statistic": statistic, "p_value": p, "psi": index,
                         "drifted": bool(p < args.alpha or index >= args.psi_threshold)})
    share = sum(f["drifted"] for f in features) / len(features)
    json.dump({"features": features, "drifted_share": share, "drifted": share >= args.drifted_share}, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
