#!/usr/bin/env python3
"""Prints LightGBM's numeric bin bounds for the columns that Tests/ModelZooTests/BinningTests.swift
pins (`testBoundsEqualLightGBMs`), so the fixture there can be regenerated:

    bench/.venv/bin/python bench/lightgbm_bin_fixture.py

LightGBM has no API that returns a feature's bin bounds, but every split threshold of a model is
one of them. With one feature, a random target, leaves and trees enough and min_data_in_leaf 1,
every bound is used by some split; `feature_num_bin` confirms that none is missing (it counts
LightGBM's NaN bin too when the column has a missing value).
"""
import json

import lightgbm
import numpy as np


def columns():
    """Columns from integer formulas, so that the Swift test builds the same doubles."""
    rare = np.repeat([1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0], [2, 2, 3, 1, 5, 1, 4])
    signed = []
    for i in range(1000):
        k = (i * 7919) % 1000
        if k < 300:
            signed.append(-((k % 157) + 1) / 10)
        elif k < 450:
            signed.append(0.0)
        elif k < 980:
            signed.append(((k * 31) % 509 + 1) / 10)
        else:
            signed.append(float("nan"))
    positive = [float((i * i * 37 + i * 11) % 9973 + 1) for i in range(2000)]
    return {"rare_integers": (rare, 255), "signed_with_zeros_and_nan": (np.array(signed), 16),
            "positive_only": (np.array(positive), 32)}


def bounds(values, max_bin):
    target = np.random.default_rng(1).normal(size=len(values))
    params = {"objective": "regression", "max_bin": max_bin, "min_data_in_bin": 3, "min_data_in_leaf": 1,
              "min_sum_hessian_in_leaf": 0, "num_leaves": 255, "learning_rate": 1.0, "verbosity": -1, "seed": 0,
              "feature_pre_filter": False}
    data = lightgbm.Dataset(values.reshape(-1, 1), label=target, params=params)
    booster = lightgbm.train(params, data, num_boost_round=60)
    thresholds = set()
    for tree in booster.dump_model()["tree_info"]:
        stack = [tree["tree_structure"]]
        while stack:
            node = stack.pop()
            if "threshold" in node:
                thresholds.add(float(node["threshold"]))
                stack += [node["left_child"], node["right_child"]]
    return sorted(thresholds), data.feature_num_bin(0)


def main():
    out = {}
    for name, (values, max_bin) in columns().items():
        found, bins = bounds(values, max_bin)
        out[name] = {"max_bin": max_bin, "thresholds": [repr(b) for b in found], "lightgbm_bins": bins}
    print(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
