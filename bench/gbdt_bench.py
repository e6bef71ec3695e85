"""Issue 3's GBDT comparison on one data set: engage against LightGBM and XGBoost hist.

Each side trains in its own child process (peak RSS measured the same way), on the same train and
test files, with the same settings and thread count; every quality number is computed by
scoring.py from the predictions each side wrote. The results are plain dicts that compare.py
turns into tables, bars and results.json.
"""
import json
import os
import sys

import numpy as np
import pandas as pd

import dataset
import measure
import scoring

HERE = os.path.dirname(os.path.abspath(__file__))
MODELS = (("regression", "engagement_score"), ("binary", "churn_30_day"), ("quantile", "lifetime_value_usd"))
PEERS_BY_OBJECTIVE = {"regression": ("lightgbm", "xgboost"), "binary": ("lightgbm", "xgboost"), "quantile": ("lightgbm",)}
SHAP_ROWS = 20_000
PREDICT_ROWS = 100_000


class GBDTBench:
    """Runs every side of the GBDT comparison for one data set."""

    def __init__(self, engage, python, settings, threads, work_dir, alphas, log):
        self.engage = engage
        self.python = python
        self.settings = settings
        self.threads = threads
        self.work_dir = work_dir
        self.alphas = list(alphas)
        self.log = log

    def run(self, data, objectives, with_scoring):
        """{objective: {"target", "engage": {...}, "lightgbm": {...}, "xgboost": {...}}}; with
        `with_scoring`, also the predict-time and SHAP-time measures (regression and binary)."""
        directory = os.path.join(self.work_dir, f"gbdt-{data.rows}")
        os.makedirs(directory, exist_ok=True)
        results = {}
        for objective, target in MODELS:
            if objective not in objectives:
                continue
            y = scoring.labels(data.test_csv, target)
            entry = {"target": target, "engage": self.engage_side(data, objective, target, y, directory)}
            for library in PEERS_BY_OBJECTIVE[objective]:
                entry[library] = self.peer_side(data, library, objective, target, y, directory)
            if with_scoring and objective != "quantile":
                self.add_scoring(data, objective, entry, directory)
            results[objective] = entry
        return results

    # engage

    def engage_side(self, data, objective, target, y, directory):
        out = os.path.join(directory, f"engage-{objective}")
        arguments = ["--kind", "gbdt", "--objective", objective, "--target", target,
                     "--train", data.train_csv, "--test", data.test_csv,
                     "--ignore", ",".join(data.ignore_for(target)), "--sensitive", ",".join(dataset.SENSITIVE),
                     "--trees", str(self.settings.trees), "--leaves", str(self.settings.leaves),
                     "--learning-rate", repr(self.settings.learning_rate), "--max-bin", str(self.settings.max_bin),
                     "--min-data-in-leaf", str(self.settings.min_data_in_leaf), "--threads", str(self.threads), "--out", out]
        if objective == "quantile":
            arguments += ["--quantiles", ",".join(f"{a:g}" for a in self.alphas)]
        self.log(f"engage train {objective} on {data.train_rows:,} rows")
        trained, seconds = self.engage.train(arguments)
        predictions_csv = os.path.join(directory, f"engage-{objective}-test-predictions.csv")
        predicted = self.engage.predict(out, data.test_csv, predictions_csv)
        side = {"train_seconds": seconds, "train_wall_seconds": trained.wall_seconds, "train_peak_rss_mib": trained.peak_rss_mib,
                "test_predict_wall_seconds": predicted.wall_seconds, "model_dir": out}
        side["metrics"] = self.metrics(objective, y, engage_columns(predictions_csv, objective))
        return side

    # peers

    def peer_side(self, data, library, objective, target, y, directory):
        model_dir = os.path.join(directory, f"{library}-{objective}")
        result_path = os.path.join(directory, f"{library}-{objective}-fit.json")
        self.log(f"{library} fit {objective} on {data.train_rows:,} rows")
        measured = measure.run([self.python, os.path.join(HERE, "peer_gbdt.py"), "fit", "--library", library,
                                "--objective", objective, "--alphas", ",".join(f"{a:g}" for a in self.alphas),
                                "--target", target, "--train", data.train_csv, "--test", data.test_csv,
                                "--settings", json.dumps(self.settings.to_dict()), "--threads", str(self.threads),
                                "--model-dir", model_dir, "--result", result_path])
        with open(result_path) as handle:
            fitted = json.load(handle)
        predictions = np.load(os.path.join(model_dir, "test_predictions.npy"))
        if objective != "quantile":
            predictions = predictions[:, 0]
        return {"fit_seconds": fitted["fit_seconds_total"], "fit_seconds_each": fitted["fit_seconds"],
                "load_seconds": fitted["load_seconds"], "end_to_end_seconds": fitted["load_seconds"] + fitted["fit_seconds_total"],
                "process_wall_seconds": measured.wall_seconds, "peak_rss_mib": measured.peak_rss_mib,
                "params": fitted["params"], "model_dir": model_dir,
                "metrics": self.metrics(objective, y, predictions)}

    def metrics(self, objective, y, predictions):
        if objective == "regression":
            return scoring.regression(y, predictions)
        if objective == "binary":
            return scoring.binary(y, predictions)
        return scoring.quantiles(y, predictions, self.alphas)

    # predict and SHAP timings

    def add_scoring(self, data, objective, entry, directory):
        predict_csv = data.customers_csv
        if data.rows > PREDICT_ROWS:
            predict_csv = dataset.head_rows(data.customers_csv, os.path.join(directory, "predict-100k.csv"), PREDICT_ROWS)
        shap_csv = dataset.head_rows(data.test_csv, os.path.join(directory, "shap-20k.csv"), SHAP_ROWS)
        engage_side = entry["engage"]
        model_dir = engage_side["model_dir"]
        self.log(f"engage predict {objective}: {min(data.rows, PREDICT_ROWS):,} rows, SHAP {min(data.test_rows, SHAP_ROWS):,} rows")
        predicted = self.engage.predict(model_dir, predict_csv, os.path.join(directory, f"engage-{objective}-predict.csv"))
        engage_side.update(predict_rows=min(data.rows, PREDICT_ROWS), predict_wall_seconds=predicted.wall_seconds,
                           predict_peak_rss_mib=predicted.peak_rss_mib)
        if self.engage.has_shap:
            engage_side.update(self.engage_shap(model_dir, shap_csv, objective, directory))
        for library in PEERS_BY_OBJECTIVE[objective]:
            self.log(f"{library} predict {objective}" + (" and shap.TreeExplainer" if library == "lightgbm" else ""))
            result_path = os.path.join(directory, f"{library}-{objective}-score.json")
            argv = [self.python, os.path.join(HERE, "peer_gbdt.py"), "score", "--library", library,
                    "--model-dir", entry[library]["model_dir"], "--data", predict_csv, "--threads", str(self.threads),
                    "--result", result_path]
            if library == "lightgbm":
                argv += ["--shap-data", shap_csv]
            measured = measure.run(argv)
            with open(result_path) as handle:
                scored = json.load(handle)
            scored["score_process_peak_rss_mib"] = measured.peak_rss_mib
            entry[library].update(scored)

    def engage_shap(self, model_dir, shap_csv, objective, directory):
        """SHAP seconds = wall(predict --shap) − wall(predict) on the same rows: both load the
        CSV and predict, so the difference is the explaining (and writing the wider CSV)."""
        plain = self.engage.predict(model_dir, shap_csv, os.path.join(directory, f"engage-{objective}-shap-plain.csv"))
        shap_out = os.path.join(directory, f"engage-{objective}-shap.csv")
        explained = self.engage.predict(model_dir, shap_csv, shap_out, shap=True)
        frame = pd.read_csv(shap_out)
        contributions = [c for c in frame.columns if c.startswith("shap_") and c != "shap_base"]
        raw = frame["prediction"].to_numpy()
        if objective == "binary":
            raw = scoring.logit(raw)
        total = frame["shap_base"].to_numpy() + frame[contributions].to_numpy().sum(axis=1)
        return {"shap_rows": int(len(frame)), "shap_seconds": max(0.0, explained.wall_seconds - plain.wall_seconds),
                "shap_wall_seconds": explained.wall_seconds, "shap_plain_predict_wall_seconds": plain.wall_seconds,
                "shap_peak_rss_mib": explained.peak_rss_mib, "shap_features": len(contributions),
                "shap_additivity_max_error": float(np.max(np.abs(total - raw)))}


def engage_columns(path, objective):
    frame = pd.read_csv(path)
    if objective != "quantile":
        return frame["prediction"].to_numpy(dtype=np.float64)
    names = sorted((c for c in frame.columns if c.startswith("q")), key=lambda c: float(c[1:]))
    return frame[names].to_numpy(dtype=np.float64)


def log_to_stderr(message):
    sys.stderr.write(f"[bench] {message}\n")
    sys.stderr.flush()
