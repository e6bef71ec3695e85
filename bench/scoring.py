"""Quality metrics, computed by scikit-learn with the same code for every side's predictions."""
import numpy as np
import pandas as pd
from sklearn.metrics import log_loss, mean_pinball_loss, mean_squared_error, r2_score, roc_auc_score

PROBABILITY_CLIP = 1e-15


def labels(csv_path, target):
    return pd.read_csv(csv_path, usecols=[target])[target].to_numpy(dtype=np.float64)


def regression(y, prediction):
    return {"r2": float(r2_score(y, prediction)), "rmse": float(np.sqrt(mean_squared_error(y, prediction)))}


def binary(y, probability):
    p = np.clip(probability, PROBABILITY_CLIP, 1.0 - PROBABILITY_CLIP)
    return {"auc": float(roc_auc_score(y, probability)), "logloss": float(log_loss(y, p, labels=[0, 1]))}


def quantiles(y, columns, alphas):
    """Pinball loss per level, and the raw coverage of the outer interval [lowest, highest]."""
    out = {f"pinball_q{alpha:g}": float(mean_pinball_loss(y, columns[:, i], alpha=alpha)) for i, alpha in enumerate(alphas)}
    low, high = columns[:, 0], columns[:, -1]
    out[f"coverage_q{alphas[0]:g}_q{alphas[-1]:g}"] = float(np.mean((y >= low) & (y <= high)))
    return out


def anomaly_auc(y, score):
    return float(roc_auc_score(y, score))


def logit(p):
    p = np.asarray(p, dtype=np.float64)
    return np.log(p) - np.log1p(-p)
