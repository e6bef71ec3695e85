"""Issue 4's anomaly comparison: engage's anomaly model against scikit-learn's IsolationForest
(100 trees, max_samples 256), AUC on the generator's injected `is_anomaly` rows, averaged over
seeds 0–9 on both sides.

The issue asks for an average over 3 seeds. A 100-tree forest's AUC on this data moves by about
0.011 from seed to seed (either library), so the difference of two 3-seed means has a standard
deviation near 0.009, larger than any gap between the two forests: 3 seeds cannot tell them apart.
The bar is therefore checked on 10 seeds (standard error of the difference near 0.005), and the
table also shows the means over seeds 0–2 alone.

Both sides fit on every customer and score every customer (unsupervised: the label is only used
for the AUC). engage's side runs only when `engage train --help` lists the `anomaly` kind.
"""
import json
import os
import re

import numpy as np
import pandas as pd

import dataset
import engage_cli
import measure
import scoring

HERE = os.path.dirname(os.path.abspath(__file__))
SEEDS = tuple(range(10))
FIRST_SEEDS = 3
TREES = 100
MAX_SAMPLES = 256
# Predict columns that carry one part of engage's combined score, by the words in their names.
# `engage train --kind anomaly` prints "isolation forest: fit X s + score Y s" (in memory, like scikit-learn's).
FOREST_TIMES = re.compile(r"isolation forest: fit ([0-9.]+) s \+ score ([0-9.]+) s")
# and "combination: RULE (separation …)": the rule its training chose.
COMBINATION = re.compile(r"combination: (\w+)")
PART_WORDS = {"isolation_forest": ("isolation", "forest", "iforest"), "autoencoder": ("autoencoder", "reconstruction")}


class AnomalyBench:
    def __init__(self, engage, python, threads, work_dir, log):
        self.engage = engage
        self.python = python
        self.threads = threads
        self.directory = os.path.join(work_dir, "anomaly")
        self.log = log

    def run(self, data):
        os.makedirs(self.directory, exist_ok=True)
        y = scoring.labels(data.customers_csv, dataset.ANOMALY_LABEL)
        result = {"rows": data.rows, "anomalies": int(y.sum()), "sklearn": self.peer(data, y)}
        if self.engage.supports_kind("anomaly"):
            result["engage"] = self.engage_side(data, y)
        return result

    def peer(self, data, y):
        self.log(f"scikit-learn IsolationForest on {data.rows:,} rows, seeds {SEEDS}")
        result_path = os.path.join(self.directory, "sklearn.json")
        measured = measure.run([self.python, os.path.join(HERE, "peer_anomaly.py"), "--data", data.customers_csv,
                                "--seeds", ",".join(map(str, SEEDS)), "--trees", str(TREES), "--max-samples", str(MAX_SAMPLES),
                                "--threads", str(self.threads), "--out-dir", self.directory, "--result", result_path])
        with open(result_path) as handle:
            fitted = json.load(handle)
        runs = []
        for run in fitted["runs"]:
            scores = np.load(run["scores"])
            runs.append({"seed": run["seed"], "auc": scoring.anomaly_auc(y, scores),
                         "fit_score_seconds": run["fit_seconds"] + run["score_seconds"],
                         "fit_seconds": run["fit_seconds"], "score_seconds": run["score_seconds"]})
        aucs = [r["auc"] for r in runs]
        return {"runs": runs, "auc_mean": float(np.mean(aucs)), "auc_sd": float(np.std(aucs, ddof=1)) if len(aucs) > 1 else 0.0,
                "auc_mean_first3": float(np.mean(aucs[:FIRST_SEEDS])),
                "fit_score_seconds_mean": float(np.mean([r["fit_score_seconds"] for r in runs])),
                "load_seconds": fitted["load_seconds"], "peak_rss_mib": measured.peak_rss_mib}

    def engage_side(self, data, y):
        runs = []
        for seed in SEEDS:
            out = os.path.join(self.directory, f"engage-seed{seed}")
            arguments = ["--kind", "anomaly", "--train", data.customers_csv, "--ignore", ",".join(dataset.IGNORED),
                         "--sensitive", ",".join(dataset.SENSITIVE), "--threads", str(self.threads), "--seed", str(seed), "--out", out]
            self.log(f"engage train --kind anomaly, seed {seed}")
            trained = measure.run([self.engage.path, "train"] + arguments)
            try:
                train_seconds = engage_cli.training_seconds(trained.output, "engage train --kind anomaly")
            except engage_cli.EngageOutputError:
                train_seconds = trained.wall_seconds
            forest = FOREST_TIMES.search(trained.output)
            combination = COMBINATION.search(trained.output)
            scores_csv = os.path.join(self.directory, f"engage-seed{seed}-scores.csv")
            predicted = self.engage.predict(out, data.customers_csv, scores_csv)
            frame = pd.read_csv(scores_csv)
            aucs = {column: scoring.anomaly_auc(y, frame[column].to_numpy(dtype=np.float64))
                    for column in frame.columns if column != "flag"}
            runs.append({"seed": seed, "aucs": aucs, "combination": combination.group(1) if combination else None, "train_seconds": train_seconds, "train_wall_seconds": trained.wall_seconds,
                         "predict_wall_seconds": predicted.wall_seconds, "fit_score_seconds": train_seconds + predicted.wall_seconds,
                         "forest_fit_score_seconds": float(forest.group(1)) + float(forest.group(2)) if forest else None,
                         "peak_rss_mib": max(trained.peak_rss_mib, predicted.peak_rss_mib),
                         "flag_rate": float(frame["flag"].mean()) if "flag" in frame.columns else None})
        columns = sorted(set.intersection(*(set(r["aucs"]) for r in runs)))
        mean_aucs = {c: float(np.mean([r["aucs"][c] for r in runs])) for c in columns}
        parts = {part: next((c for c in columns if any(w in c.lower() for w in words)), None) for part, words in PART_WORDS.items()}
        forest_times = [r["forest_fit_score_seconds"] for r in runs if r["forest_fit_score_seconds"] is not None]
        first3 = {c: float(np.mean([r["aucs"][c] for r in runs[:FIRST_SEEDS]])) for c in columns}
        sds = {c: float(np.std([r["aucs"][c] for r in runs], ddof=1)) if len(runs) > 1 else 0.0 for c in columns}
        combinations = [r["combination"] for r in runs if r.get("combination")]
        return {"runs": runs, "auc_mean": mean_aucs, "auc_mean_first3": first3, "auc_sd": sds, "parts": parts,
                "combinations": sorted(set(combinations)),
                "forest_fit_score_seconds_mean": float(np.mean(forest_times)) if len(forest_times) == len(runs) else None,
                "fit_score_seconds_mean": float(np.mean([r["fit_score_seconds"] for r in runs])),
                "peak_rss_mib": max(r["peak_rss_mib"] for r in runs)}


NOT_BUILT = "n/a (not built yet)"


def table(result):
    from report import Table

    engage = result.get("engage")
    sk = result["sklearn"]
    t = Table(f"Anomaly — {result['rows']:,} customers, {result['anomalies']:,} injected anomalies, mean of seeds {SEEDS[0]}-{SEEDS[-1]}",
              peers=("scikit-learn", "-"))
    if engage is None:
        t.add("isolation forest AUC", NOT_BUILT, sk["auc_mean"])
        t.add("fit + score seconds (in memory)", NOT_BUILT, sk["fit_score_seconds_mean"], unit="s")
        t.add("peak RSS", NOT_BUILT, sk["peak_rss_mib"], unit="MiB")
        return t
    forest = engage["parts"].get("isolation_forest")
    t.add("isolation forest AUC (10 seeds)", engage["auc_mean"][forest] if forest else "n/a (no IF-only column)", sk["auc_mean"])
    if forest:
        t.add("isolation forest AUC, sd over seeds", engage["auc_sd"][forest], sk["auc_sd"])
        t.add("isolation forest AUC, seeds 0-2 only", engage["auc_mean_first3"][forest], sk["auc_mean_first3"])
    autoencoder = engage["parts"].get("autoencoder")
    if autoencoder:
        t.add("autoencoder AUC", engage["auc_mean"][autoencoder])
    if "score" in engage["auc_mean"]:
        t.add("combined score AUC", engage["auc_mean"]["score"], sk["auc_mean"])
        t.notes.append(f"combination rule chosen at training: {', '.join(engage.get('combinations') or ['(not printed)'])}")
    t.add("isolation forest fit + score seconds (in memory)", engage.get("forest_fit_score_seconds_mean"), sk["fit_score_seconds_mean"], unit="s")
    t.add("whole detector: train + predict commands", engage["fit_score_seconds_mean"], unit="s")
    t.add("peak RSS", engage["peak_rss_mib"], sk["peak_rss_mib"], unit="MiB")
    t.notes.append("isolation forest: the fit and scoring seconds engage train prints for its forest alone, on the loaded "
                   "matrix, beside scikit-learn's fit + score_samples on its loaded matrix (the same 100 trees, 256 samples). "
                   "The whole-detector row adds the autoencoder and both commands' CSV load and writing.")
    return t


def bars(board, result):
    engage, sk = result.get("engage"), result["sklearn"]
    names = ("anomaly: isolation forest AUC ≥ scikit-learn's (mean of 10 seeds)", "anomaly: fit + score 100K rows ≤ scikit-learn's time",
             "anomaly: combined AUC ≥ the better of its parts")
    if engage is None:
        for name in names:
            board.skip(name, NOT_BUILT + ": engage train has no --kind anomaly")
        return
    forest = engage["parts"].get("isolation_forest") or ("score" if "score" in engage["auc_mean"] else None)
    if forest is None:
        board.skip(names[0], f"engage predict wrote no score column (columns: {sorted(engage['auc_mean'])})")
    else:
        e = engage["auc_mean"][forest]
        board.check(names[0], e >= sk["auc_mean"], f"engage ({forest}) {e:.4f}, scikit-learn {sk['auc_mean']:.4f}; "
                    f"seeds 0-2 alone: engage {engage['auc_mean_first3'][forest]:.4f}, scikit-learn {sk['auc_mean_first3']:.4f}")
    e, s = engage.get("forest_fit_score_seconds_mean"), sk["fit_score_seconds_mean"]
    if e is None:
        board.skip(names[1], "engage train did not print the isolation forest's fit and score seconds")
    else:
        board.check(names[1], e <= s, f"engage {e:.2f} s, scikit-learn {s:.2f} s, ratio {e / s:.2f}")
    parts = [c for c in engage["parts"].values() if c]
    if "score" in engage["auc_mean"] and len(parts) == 2:
        combined, best = engage["auc_mean"]["score"], max(engage["auc_mean"][c] for c in parts)
        board.check(names[2], combined >= best, f"combined {combined:.4f}, best part {best:.4f}")
    else:
        board.skip(names[2], "engage predict does not write the two part scores beside `score`")
