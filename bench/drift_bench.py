"""The drift section of bench/compare.py: `engage drift` against the scipy loop of bench/peer_drift.py,
whole processes (start-up, CSV reading and the statistics), on 45 features × 50,000 rows.

Both samples have 50,000 values, so scipy's `method="auto"` takes the asymptotic KS path
(exact only when max(n1, n2) <= 10,000), as engage does; nobody computes a 50,000 × 50,000 lattice.
"""
import csv
import json
import os
import statistics

import numpy as np

import measure
from report import Table

NUMERIC, CATEGORICAL = 30, 15
SHIFTED_NUMERIC, SHIFTED_CATEGORICAL = (0, 1, 2, 3, 4), (0, 1)
REPEATS = 3
RATIO_BAR = 1.0


def write_pair(directory, rows, seed):
    """REF.csv and NEW.csv with 30 numeric and 15 text columns; NEW moves 5 numeric and 2 text columns,
    and three numeric columns have a few empty cells."""
    rng = np.random.default_rng(seed)
    paths = [os.path.join(directory, "drift-ref.csv"), os.path.join(directory, "drift-new.csv")]
    levels = [f"level_{i}" for i in range(8)]
    for side, path in enumerate(paths):
        columns, names = [], []
        for j in range(NUMERIC):
            shift = 0.1 if side == 1 and j in SHIFTED_NUMERIC else 0.0
            values = rng.normal(shift + j, 1 + j / 10, rows).round(6)
            text = values.astype(str).astype(object)
            if j in (10, 11, 12):
                text[rng.random(rows) < 0.02] = ""
            columns.append(text)
            names.append(f"x{j:02d}")
        for j in range(CATEGORICAL):
            weights = np.linspace(1, 2, len(levels))
            if side == 1 and j in SHIFTED_CATEGORICAL:
                weights = weights[::-1]
            columns.append(np.array(levels, dtype=object)[rng.choice(len(levels), rows, p=weights / weights.sum())])
            names.append(f"c{j:02d}")
        with open(path, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(names)
            writer.writerows(zip(*columns))
    return paths


class DriftBench:
    def __init__(self, engage, python, work_dir, log, rows=50_000, seed=7):
        self.engage, self.python, self.work, self.log, self.rows, self.seed = engage, python, work_dir, log, rows, seed

    def run(self):
        self.log(f"drift: writing {NUMERIC + CATEGORICAL} features × {self.rows:,} rows (reference and new)")
        reference, new = write_pair(self.work, self.rows, self.seed)
        engage_argv = [self.engage.path, "drift", "--reference", reference, "--data", new, "--json"]
        peer_argv = [self.python, os.path.join(os.path.dirname(os.path.abspath(__file__)), "peer_drift.py"), reference, new]
        engage_runs, peer_runs = [], []
        for _ in range(REPEATS):
            engage_runs.append(self.measured(engage_argv))
            peer_runs.append(self.measured(peer_argv))
        engage_report = json.loads(engage_runs[-1].output)
        peer_report = json.loads(peer_runs[-1].output)
        return {"rows": self.rows, "features": NUMERIC + CATEGORICAL,
                "engage_seconds": statistics.median(r.wall_seconds for r in engage_runs),
                "scipy_seconds": statistics.median(r.wall_seconds for r in peer_runs),
                "engage_mib": max(r.peak_rss_mib for r in engage_runs), "scipy_mib": max(r.peak_rss_mib for r in peer_runs),
                "agreement": agreement(engage_report, peer_report),
                "engage_drifted": sorted(f["feature"] for f in engage_report["features"] if f["drifted"]),
                "scipy_drifted": sorted(f["feature"] for f in peer_report["features"] if f["drifted"])}

    def measured(self, argv):
        result = measure.run(argv, check=False)
        if result.returncode not in (0, 1):
            raise measure.CommandFailed(argv, result.returncode, result.output)
        return result


def agreement(engage_report, peer_report):
    """The largest differences between the two sides' numbers, feature by feature."""
    peer = {f["feature"]: f for f in peer_report["features"]}
    worst = {"statistic": 0.0, "p_value": 0.0, "psi": 0.0}
    for feature in engage_report["features"]:
        other = peer[feature["feature"]]
        for key in worst:
            worst[key] = max(worst[key], abs(feature[key] - other[key]))
    return worst


def table(result):
    t = Table(f"Drift — `engage drift` vs scipy ks_2samp / chi2_contingency + numpy PSI, {result['features']} features × "
              f"{result['rows']:,} rows, whole process incl. CSV reading (median of {REPEATS})", peers=("scipy", "-"))
    t.add("wall seconds", result["engage_seconds"], result["scipy_seconds"], unit="s")
    t.add("peak RSS", result["engage_mib"], result["scipy_mib"], unit="MiB")
    for key, value in result["agreement"].items():
        t.add(f"largest |engage − scipy| {key}", value)
    t.add("drifted features", len(result["engage_drifted"]), len(result["scipy_drifted"]))
    return t


def bars(board, result):
    ratio = result["engage_seconds"] / result["scipy_seconds"]
    board.check(f"drift: engage/scipy wall time ≤ {RATIO_BAR:.1f} (45 features × 50,000 rows)", ratio <= RATIO_BAR,
                f"{ratio:.3f} ({result['engage_seconds']:.3f} s vs {result['scipy_seconds']:.3f} s)")
    worst = max(result["agreement"].values())
    board.check("drift: engage's KS/chi-squared/PSI equal scipy's within 1e-9", worst <= 1e-9, f"largest difference {worst:.3g}")
    board.check("drift: the same features drift", result["engage_drifted"] == result["scipy_drifted"],
                f"engage {result['engage_drifted']}, scipy {result['scipy_drifted']}")
