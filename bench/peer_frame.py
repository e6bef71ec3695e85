"""Turns a customers CSV into the feature frame the peer libraries train on.

Features are every column except the id, the targets, the anomaly label and the sensitive
attributes (as for engage). String columns become pandas `category` columns whose levels are
fixed by the training file, so the test and scoring files are encoded identically; LightGBM reads
them as `categorical_feature`, XGBoost with `enable_categorical=True`.
"""
import pandas as pd

import dataset


def feature_columns(frame, target):
    excluded = set(dataset.IGNORED) | set(dataset.SENSITIVE) | {target}
    return [c for c in frame.columns if c not in excluded]


def categorical_levels(frame, columns):
    """{column: sorted levels} for every non-numeric column among `columns`."""
    levels = {}
    for column in columns:
        if not pd.api.types.is_numeric_dtype(frame[column]):
            levels[column] = sorted(frame[column].dropna().astype(str).unique().tolist())
    return levels


def features(frame, columns, levels):
    """The feature frame: numeric columns as float64, categorical ones with the given levels."""
    out = pd.DataFrame(index=frame.index)
    for column in columns:
        if column in levels:
            out[column] = pd.Categorical(frame[column].astype("string"), categories=levels[column])
        else:
            out[column] = frame[column].astype("float64")
    return out


def read(path):
    return pd.read_csv(path, low_memory=False)
