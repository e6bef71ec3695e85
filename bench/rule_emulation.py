"""engage's anomaly combination rules recomputed from the two part scores `engage predict` writes
(`isolation_forest_score`, `autoencoder_error`), for choosing a rule on many seeds without
retraining once per rule.

The detector fits its robust scales and percentile calibrators on the training rows; the
benchmarks score the training rows themselves, so the same statistics are recomputed here from
the predicted part scores (numpy's linear percentiles, as `Quantiles.sortedLinear`). The final
calibration is increasing, so the AUC of the statistic is the AUC of engage's `score`.
real_anomaly.py checks these against `engage train --combination RULE` on one seed per table.
"""
import numpy as np

KNOTS = 2049


def robust_scale(scores):
    finite = np.sort(scores[np.isfinite(scores)])
    if finite.size == 0:
        return 0.0, 1.0
    median = float(np.percentile(finite, 50))
    spread = 1.4826 * float(np.percentile(np.abs(finite - median), 50))
    if not spread > 0:
        spread = float(np.sqrt(np.mean((finite - finite.mean()) ** 2)))
    return median, spread if spread > 0 and np.isfinite(spread) else 1.0


def z(scores):
    median, spread = robust_scale(scores)
    return (scores - median) / spread


def calibrated(scores):
    """`ScoreCalibrator(fitting: scores, scale: spread)` applied to the same scores."""
    finite = np.sort(scores[np.isfinite(scores)])
    knots = np.percentile(finite, np.linspace(0, 100, KNOTS))
    first = np.searchsorted(knots, scores, side="left")
    last_at_most = np.searchsorted(knots, scores, side="right") - 1
    exact = (first < KNOTS) & (knots[np.minimum(first, KNOTS - 1)] == scores)
    below = np.clip(first - 1, 0, KNOTS - 2)
    width = knots[below + 1] - knots[below]
    interpolated = below + np.where(width > 0, (scores - knots[below]) / np.where(width > 0, width, 1), 0)
    level = np.where(exact, (first + last_at_most) / 2, interpolated)
    share = 0.5 / (finite.size + 1)
    return share + (1 - 2 * share) * level / (KNOTS - 1)


def separation(zs, contamination):
    """`SeparationGate.separation`: the (1 − c/2) quantile minus the (1 − 2c) quantile."""
    return float(np.percentile(zs, 100 * (1 - contamination / 2)) - np.percentile(zs, 100 * max(0.0, 1 - 2 * contamination)))


def fixed_rules(forest, autoencoder):
    """The statistic of every rule a fitted detector can hold."""
    zf, za = z(forest), z(autoencoder)
    return {"rankAverage": (calibrated(forest) + calibrated(autoencoder)) / 2, "robustZSum": zf + za,
            "robustZMax": np.maximum(zf, za), "autoencoderOnly": za, "forestOnly": zf}


TAIL_MINIMUM_ROWS = 10


def confirmed(part, other, contamination):
    """`TailAgreement.confirmation`: the mean training percentile that `other` gives to the rows in
    `part`'s top `contamination` share (at least 10 rows), ties broken by row order."""
    k = min(len(part), max(TAIL_MINIMUM_ROWS, int(np.floor(contamination * len(part) + 0.5))))
    top = np.lexsort((np.arange(len(part)), -part))[:k]
    return float(calibrated(other)[top].mean())
