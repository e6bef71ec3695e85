#!/usr/bin/env python3
"""One peer library's side of a GBDT comparison, run as its own child process.

compare.py starts this script once per (library, task) so that each peer's peak RSS is measured
exactly as engage's is: as the peak of one child process. Timings are taken inside, with
`time.perf_counter`, around the library calls only; the result is a JSON file.

    peer_gbdt.py fit   --library lightgbm|xgboost --objective regression|binary|quantile ...
    peer_gbdt.py score --library lightgbm|xgboost --model-dir DIR --data 100K.csv --shap-data 20K.csv ...
"""
import argparse
import json
import os
import sys
import time
import warnings

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import peer_frame  # noqa: E402
import peer_params  # noqa: E402


def clock():
    return time.perf_counter()


class LightGBMSide:
    """Trains, saves, loads and scores LightGBM boosters."""

    name = "lightgbm"
    model_file = "model.lgb.txt"

    def __init__(self, threads):
        import lightgbm

        self.lgb = lightgbm
        self.threads = threads

    def training_data(self, x, y):
        """Binned on first use, by the first `lgb.train`; later fits (the other quantiles) reuse it."""
        return self.lgb.Dataset(x, label=y, categorical_feature=[c for c in x.columns if str(x[c].dtype) == "category"],
                                free_raw_data=False)

    def fit(self, settings, objective, data, y, alpha=None):
        params = peer_params.lightgbm(settings, objective, self.threads, alpha=alpha)
        return self.lgb.train(params, data, num_boost_round=settings.trees), params

    def save(self, model, path):
        model.save_model(path)

    def load(self, path):
        return self.lgb.Booster(model_file=path)

    def predict(self, model, x):
        return model.predict(x, num_threads=self.threads)

    def predict_raw(self, model, x):
        return model.predict(x, raw_score=True, num_threads=self.threads)


class XGBoostSide:
    """Trains, saves, loads and scores XGBoost boosters (hist, categorical support on)."""

    name = "xgboost"
    model_file = "model.xgb.json"

    def __init__(self, threads):
        import xgboost

        self.xgb = xgboost
        self.threads = threads

    def matrix(self, x, y=None):
        return self.xgb.DMatrix(x, label=y, enable_categorical=True, nthread=self.threads)

    def training_data(self, x, y):
        return self.matrix(x, y)

    def fit(self, settings, objective, data, y, alpha=None):
        base_rate = float(np.mean(y)) if objective == "binary" else None
        params = peer_params.xgboost(settings, objective, self.threads, base_rate=base_rate)
        return self.xgb.train(params, data, num_boost_round=settings.trees), params

    def save(self, model, path):
        model.save_model(path)

    def load(self, path):
        booster = self.xgb.Booster()
        booster.load_model(path)
        booster.set_param({"nthread": self.threads})
        return booster

    def predict(self, model, x):
        return model.predict(self.matrix(x))

    def predict_raw(self, model, x):
        return model.predict(self.matrix(x), output_margin=True)


SIDES = {"lightgbm": LightGBMSide, "xgboost": XGBoostSide}


def fit(args):
    side = SIDES[args.library](args.threads)
    settings = peer_params.Settings(**json.loads(args.settings))
    started = clock()
    train = peer_frame.read(args.train)
    columns = peer_frame.feature_columns(train, args.target)
    levels = peer_frame.categorical_levels(train, columns)
    x = peer_frame.features(train, columns, levels)
    y = train[args.target].to_numpy(dtype=np.float64)
    del train
    load_seconds = clock() - started

    alphas = [float(a) for a in args.alphas.split(",")] if args.objective == "quantile" else [None]
    os.makedirs(args.model_dir, exist_ok=True)
    fits, models, params = [], [], None
    started = clock()
    data = side.training_data(x, y)
    preparation = clock() - started
    for alpha in alphas:
        started = clock()
        model, params = side.fit(settings, args.objective, data, y, alpha=alpha)
        fits.append(clock() - started)
        models.append(model)
    fits[0] += preparation
    del data
    del x

    test = peer_frame.read(args.test)
    x_test = peer_frame.features(test, columns, levels)
    predictions = np.column_stack([side.predict(m, x_test) for m in models])
    np.save(os.path.join(args.model_dir, "test_predictions.npy"), predictions)
    for index, model in enumerate(models):
        side.save(model, os.path.join(args.model_dir, f"{index}.{side.model_file}"))
    result = {
        "library": side.name, "objective": args.objective, "alphas": alphas, "params": params,
        "features": columns, "categorical": levels, "load_seconds": load_seconds,
        "fit_seconds": fits, "fit_seconds_total": sum(fits), "train_rows": int(len(y)),
    }
    with open(os.path.join(args.model_dir, "meta.json"), "w") as handle:
        json.dump({"features": columns, "categorical": levels}, handle)
    write_result(args.result, result)


def score(args):
    side = SIDES[args.library](args.threads)
    with open(os.path.join(args.model_dir, "meta.json")) as handle:
        meta = json.load(handle)
    model = side.load(os.path.join(args.model_dir, f"0.{side.model_file}"))
    result = {"library": side.name}

    started = clock()
    frame = peer_frame.read(args.data)
    x = peer_frame.features(frame, meta["features"], meta["categorical"])
    read_seconds = clock() - started
    started = clock()
    predictions = side.predict(model, x)
    predict_seconds = clock() - started
    started = clock()
    import pandas as pd

    pd.DataFrame({"prediction": predictions}).to_csv(os.path.join(args.model_dir, "predictions.csv"), index=False)
    write_seconds = clock() - started
    result.update(predict_rows=int(len(x)), predict_seconds=predict_seconds,
                  predict_end_to_end_seconds=read_seconds + predict_seconds + write_seconds)

    if args.shap_data:
        import shap

        shap_x = peer_frame.features(peer_frame.read(args.shap_data), meta["features"], meta["categorical"])
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            started = clock()
            explainer = shap.TreeExplainer(model)
            built = clock() - started
            values = explainer.shap_values(shap_x)
            explained = clock() - started
        values = np.asarray(values)
        raw = side.predict_raw(model, shap_x)
        additivity = float(np.max(np.abs(np.asarray(explainer.expected_value).ravel()[0] + values.sum(axis=1) - raw)))
        result.update(shap_rows=int(len(shap_x)), shap_explainer_seconds=built, shap_seconds=explained,
                      shap_additivity_max_error=additivity)
    write_result(args.result, result)


def write_result(path, result):
    with open(path, "w") as handle:
        json.dump(result, handle, indent=1)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    modes = parser.add_subparsers(dest="mode", required=True)
    fit_parser = modes.add_parser("fit")
    fit_parser.add_argument("--library", choices=sorted(SIDES), required=True)
    fit_parser.add_argument("--objective", choices=["regression", "binary", "quantile"], required=True)
    fit_parser.add_argument("--alphas", default="0.1,0.5,0.9")
    fit_parser.add_argument("--target", required=True)
    fit_parser.add_argument("--train", required=True)
    fit_parser.add_argument("--test", required=True)
    fit_parser.add_argument("--settings", required=True, help="JSON of peer_params.Settings")
    fit_parser.add_argument("--threads", type=int, required=True)
    fit_parser.add_argument("--model-dir", required=True)
    fit_parser.add_argument("--result", required=True)
    score_parser = modes.add_parser("score")
    score_parser.add_argument("--library", choices=sorted(SIDES), required=True)
    score_parser.add_argument("--model-dir", required=True)
    score_parser.add_argument("--data", required=True)
    score_parser.add_argument("--shap-data")
    score_parser.add_argument("--threads", type=int, required=True)
    score_parser.add_argument("--result", required=True)
    args = parser.parse_args()
    {"fit": fit, "score": score}[args.mode](args)


if __name__ == "__main__":
    main()
