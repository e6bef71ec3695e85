#!/usr/bin/env python3
"""scikit-learn's IsolationForest on the customers, run as its own child process (issue 4's peer).

Features are those of the supervised models (no id, targets, anomaly label or sensitive
attributes); string columns are ordinal-coded with missing as NaN, which scikit-learn's
IsolationForest accepts, as engage's forest does. For each seed it fits on every row and scores
every row, timing `fit` and `score_samples` separately; anomaly scores (−score_samples, higher
is more anomalous) go to one .npy file per seed, and compare.py computes the AUC with the same
code as for engage.
"""
import argparse
import json
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset  # noqa: E402
import peer_frame  # noqa: E402


def encoded(frame):
    columns = [c for c in frame.columns if c not in set(dataset.IGNORED) | set(dataset.SENSITIVE)]
    levels = peer_frame.categorical_levels(frame, columns)
    features = peer_frame.features(frame, columns, levels)
    matrix = np.empty((len(features), len(columns)), dtype=np.float64)
    for index, column in enumerate(columns):
        if column in levels:
            codes = features[column].cat.codes.to_numpy().astype(np.float64)
            codes[codes < 0] = np.nan
            matrix[:, index] = codes
        else:
            matrix[:, index] = features[column].to_numpy()
    return matrix, columns


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", required=True)
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--max-samples", type=int, default=256)
    parser.add_argument("--threads", type=int, required=True)
    parser.add_argument("--out-dir", required=True)
    parser.add_argument("--result", required=True)
    args = parser.parse_args()
    from sklearn.ensemble import IsolationForest

    started = time.perf_counter()
    x, columns = encoded(peer_frame.read(args.data))
    load_seconds = time.perf_counter() - started
    os.makedirs(args.out_dir, exist_ok=True)
    runs = []
    for seed in (int(s) for s in args.seeds.split(",")):
        forest = IsolationForest(n_estimators=args.trees, max_samples=args.max_samples, random_state=seed, n_jobs=args.threads)
        started = time.perf_counter()
        forest.fit(x)
        fitted = time.perf_counter()
        scores = -forest.score_samples(x)
        scored = time.perf_counter()
        path = os.path.join(args.out_dir, f"isolation_forest_seed{seed}.npy")
        np.save(path, scores)
        runs.append({"seed": seed, "fit_seconds": fitted - started, "score_seconds": scored - fitted, "scores": path})
    with open(args.result, "w") as handle:
        json.dump({"rows": int(x.shape[0]), "features": columns, "load_seconds": load_seconds, "runs": runs}, handle, indent=1)


if __name__ == "__main__":
    main()
