#!/usr/bin/env python3
"""Checks that `engage fairness --json` agrees with Fairlearn and scikit-learn within 1e-9.

Generates a deterministic predictions CSV (or reads one given with --csv), runs the engage
binary on it, computes the same numbers with Fairlearn's MetricFrame and disparity functions
and scikit-learn's roc_auc_score / calibration_curve, and prints one line per compared number
followed by "N passed, M failed". Exits 1 when anything disagrees.

    python bench/fairness_agreement.py --engage .build/release/engage
    python bench/fairness_agreement.py --engage ENGAGE --csv preds.csv --label y --score p --sensitive gender,region

Requirements: fairlearn, scikit-learn, pandas, numpy.
"""
import argparse
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)
from sklearn.calibration import calibration_curve
from sklearn.metrics import roc_auc_score

TOLERANCE = 1e-9
CALIBRATION_BINS = 10  # engage's default


def generate(path, rows, seed):
    """Predictions with unequal groups: differing base rates, score shifts, ties, a tiny
    all-negative group (Fairlearn's TPR of 0 for a group without positives) and a 0/1
    numeric attribute."""
    rng = np.random.default_rng(seed)
    gender = rng.choice(["female", "male", "nonbinary"], size=rows, p=[0.48, 0.47, 0.05])
    age = rng.choice(["18-24", "25-34", "35-44", "45-54", "55+"], size=rows, p=[0.2, 0.3, 0.25, 0.15, 0.1])
    region = rng.choice(["north_america", "europe", "asia_pacific", "latin_america", "africa"], size=rows)
    senior = (age == "55+").astype(int) | (rng.random(rows) < 0.05).astype(int)
    base = {"female": -0.2, "male": 0.1, "nonbinary": -0.5}
    logit = np.array([base[g] for g in gender]) + 0.3 * (age == "18-24") - 0.4 * senior + rng.normal(0, 1.2, rows)
    labels = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(int)
    score = 1 / (1 + np.exp(-(logit + rng.normal(0, 0.8, rows) + 0.4 * (region == "europe"))))
    coarse = rng.random(rows) < 0.3
    score[coarse] = np.round(score[coarse], 2)  # ties, some exactly on calibration bin edges and on the threshold
    tiny = rng.choice(rows, size=7, replace=False)
    region = region.astype(object)
    region[tiny] = "antarctica"
    labels[tiny] = 0
    frame = pd.DataFrame({"user_id": np.arange(rows), "churn": labels, "score": score,
                          "gender": gender, "age_group": age, "region": region, "senior": senior})
    frame.to_csv(path, index=False, float_format="%.17g")


class Checks:
    def __init__(self):
        self.rows = []

    def compare(self, name, expected, actual):
        if expected is None or (isinstance(expected, float) and math.isnan(expected)):
            ok = actual is None
            diff = "" if ok else "expected undefined"
        elif actual is None:
            ok, diff = False, "missing in engage's report"
        else:
            d = abs(float(expected) - float(actual))
            ok, diff = d <= TOLERANCE, f"{d:.1e}"
        self.rows.append((name, expected, actual, diff, ok))

    def report(self):
        width = max(len(r[0]) for r in self.rows)
        def show(v):
            return "n/a" if v is None else (f"{v:.12g}" if isinstance(v, float) else str(v))
        print(f"{'check':<{width}}  {'fairlearn/sklearn':>20}  {'engage':>20}  {'|diff|':>8}  ok")
        for name, expected, actual, diff, ok in self.rows:
            print(f"{name:<{width}}  {show(expected):>20}  {show(actual):>20}  {diff:>8}  {'yes' if ok else 'NO'}")
        failed = sum(1 for r in self.rows if not r[4])
        print(f"{len(self.rows) - failed} passed, {failed} failed")
        return failed


def as_float(value):
    return None if value is None else float(value)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--engage", required=True, help="path to the engage binary")
    parser.add_argument("--csv", help="a predictions CSV to audit (default: generate one)")
    parser.add_argument("--label", default="churn")
    parser.add_argument("--score", default="score")
    parser.add_argument("--sensitive", default="gender,age_group,region,senior")
    parser.add_argument("--threshold", type=float, default=0.5)
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    attributes = [a.strip() for a in args.sensitive.split(",") if a.strip()]
    with tempfile.TemporaryDirectory() as work:
        path = args.csv
        if path is None:
            path = os.path.join(work, "predictions.csv")
            generate(path, args.rows, args.seed)
        command = [args.engage, "fairness", "--data", path, "--label", args.label, "--score", args.score,
                   "--sensitive", ",".join(attributes), "--threshold", repr(args.threshold), "--json"]
        run = subprocess.run(command, capture_output=True, text=True)
        if run.returncode != 0:
            print(f"engage failed ({run.returncode}): {run.stderr.strip()}", file=sys.stderr)
            return 2
        report = json.loads(run.stdout)["classifier"]
        # Sensitive columns as text, as engage reads them (a 0/1 column's groups are "0" and "1").
        frame = pd.read_csv(path, dtype={a: str for a in attributes}, keep_default_na=False)

    y_true = frame[args.label].to_numpy().astype(int)
    y_score = frame[args.score].to_numpy().astype(float)
    y_pred = (y_score > args.threshold).astype(int)
    checks = Checks()
    checks.compare("overall selection_rate", selection_rate(y_true, y_pred), report["overall"]["selectionRate"])
    checks.compare("overall roc_auc_score", roc_auc_score(y_true, y_score), as_float(report["overall"].get("auc")))

    for attribute in attributes:
        groups = frame[attribute].to_numpy()
        engage = next(a for a in report["attributes"] if a["attribute"] == attribute)
        by_name = {g["group"]: g for g in engage["groups"]}
        frame_metrics = MetricFrame(metrics={"selection_rate": selection_rate, "tpr": true_positive_rate,
                                             "fpr": false_positive_rate, "count": lambda t, p: len(t)},
                                    y_true=y_true, y_pred=y_pred, sensitive_features=groups)
        for group, row in frame_metrics.by_group.iterrows():
            mine = by_name.get(str(group))
            prefix = f"{attribute}={group}"
            if mine is None:
                checks.compare(f"{prefix} present", 1.0, None)
                continue
            checks.compare(f"{prefix} count", float(row["count"]), float(mine["count"]))
            checks.compare(f"{prefix} selection_rate", row["selection_rate"], mine["selectionRate"])
            checks.compare(f"{prefix} true_positive_rate", row["tpr"], mine["truePositiveRate"])
            checks.compare(f"{prefix} false_positive_rate", row["fpr"], mine["falsePositiveRate"])
            mask = groups == group
            both_classes = len(np.unique(y_true[mask])) == 2
            checks.compare(f"{prefix} roc_auc_score", roc_auc_score(y_true[mask], y_score[mask]) if both_classes else None,
                           as_float(mine.get("auc")))
            if both_classes and mine.get("calibration") is not None:
                observed, predicted = calibration_curve(y_true[mask], y_score[mask], n_bins=CALIBRATION_BINS, strategy="uniform")
                bins = mine["calibration"]
                checks.compare(f"{prefix} calibration bins", float(len(observed)), float(len(bins)))
                if len(bins) == len(observed):
                    checks.compare(f"{prefix} calibration max |observed diff|", 0.0,
                                   max(abs(b["observedRate"] - o) for b, o in zip(bins, observed)))
                    checks.compare(f"{prefix} calibration max |mean score diff|", 0.0,
                                   max(abs(b["meanScore"] - p) for b, p in zip(bins, predicted)))
        checks.compare(f"{attribute} groups", float(len(frame_metrics.by_group)), float(len(engage["groups"])))
        checks.compare(f"{attribute} demographic_parity_difference",
                       demographic_parity_difference(y_true, y_pred, sensitive_features=groups),
                       engage["demographicParityDifference"])
        checks.compare(f"{attribute} demographic_parity_ratio",
                       demographic_parity_ratio(y_true, y_pred, sensitive_features=groups),
                       as_float(engage.get("demographicParityRatio")))
        checks.compare(f"{attribute} equalized_odds_difference",
                       equalized_odds_difference(y_true, y_pred, sensitive_features=groups),
                       engage["equalizedOddsDifference"])
        checks.compare(f"{attribute} equalized_odds_ratio",
                       equalized_odds_ratio(y_true, y_pred, sensitive_features=groups),
                       as_float(engage.get("equalizedOddsRatio")))
        checks.compare(f"{attribute} disparate impact = demographic_parity_ratio",
                       demographic_parity_ratio(y_true, y_pred, sensitive_features=groups),
                       as_float(engage.get("disparateImpact")))

    return 1 if checks.report() else 0


if __name__ == "__main__":
    sys.exit(main())
