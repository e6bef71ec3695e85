#!/usr/bin/env python3
"""LightGBM's side of the real-tables comparison (bench/real_tables.py), run as its own child process.

The timed work is what a LightGBM user does to get a saved model from a CSV: pandas reads the
training CSV, LightGBM builds its Dataset (binning), trains and saves the model file. It is timed
inside with `time.perf_counter`, so Python's start-up and the imports are not in it; the caller
also measures the whole child process. Scoring the test CSV for AUC / R² comes after, untimed.

    peer_real.py --train T.csv --test X.csv --target y --objective binary|regression \
                 --threads N --trees 300 --leaves 31 --learning-rate 0.1 --max-bin 255 \
                 --min-data-in-leaf 20 --out DIR
"""
import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import lightgbm  # noqa: E402
import pandas as pd  # noqa: E402
from sklearn.metrics import r2_score, roc_auc_score  # noqa: E402

import peer_params  # noqa: E402


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    for name in ("train", "test", "target", "objective", "out"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--threads", type=int, required=True)
    peer_params.Settings.add_arguments(parser)
    args = parser.parse_args()
    settings = peer_params.Settings.from_arguments(args)
    os.makedirs(args.out, exist_ok=True)
    model_path = os.path.join(args.out, "model.lgb.txt")

    started = time.perf_counter()
    frame = pd.read_csv(args.train)
    read = time.perf_counter()
    x, y = frame.drop(columns=[args.target]), frame[args.target]
    data = lightgbm.Dataset(x, label=y)
    data.construct()
    constructed = time.perf_counter()
    booster = lightgbm.train(peer_params.lightgbm(settings, args.objective, args.threads), data, num_boost_round=settings.trees)
    trained = time.perf_counter()
    booster.save_model(model_path)
    saved = time.perf_counter()

    test = pd.read_csv(args.test)
    predictions = booster.predict(test.drop(columns=[args.target]), num_threads=args.threads)
    if args.objective == "binary":
        quality = {"auc": float(roc_auc_score(test[args.target], predictions))}
    else:
        quality = {"r2": float(r2_score(test[args.target], predictions))}
    result = {"read_seconds": read - started, "dataset_seconds": constructed - read, "train_seconds": trained - constructed,
              "save_seconds": saved - trained, "work_seconds": saved - started, **quality}
    with open(os.path.join(args.out, "result.json"), "w") as handle:
        json.dump(result, handle)


if __name__ == "__main__":
    main()
