"""The jobs of the Ray peer pipeline (bench/peer_pipeline.py), one function per kind of engage job,
each a pure function of the shared data and its job description, run inside a Ray task.

What each does, and the engage code it mirrors:
- `gbdt`: LightGBM (Sources/Training/GBDTJobRunner.swift). A full job trains on every train row
  and predicts the test rows; a quantile full job first holds out 10 % of its training rows
  (stratified, seed + 17, as engage), fits one booster per quantile on one `lgb.Dataset`, and
  widens [P10, P90] by the conformal offset of the held-out rows (`ConformalCalibration`); a full
  job also computes permutation importance on the first 5,000 test rows (1 repeat, engage's loss
  per objective) and, with `shap: true`, LightGBM's own TreeSHAP (`pred_contrib`) on the first
  2,000, as engage's full jobs do. A fold job trains on K−1 folds (a quantile model: its median
  only), predicts the held-out fold and the test rows.
- `anomaly`: scikit-learn IsolationForest (the config's trees and sample) and an MLPRegressor
  autoencoder with engage's shape (d → 32 → 8 → 32 → d, tanh, Adam 0.001, batch 256, 10 epochs,
  signed-log + standardised numeric inputs, one-hot categoricals of at most 32 levels), fitted on
  the train rows; the score a user would combine them into: the mean of the two scores'
  training percentiles (rank average). Scores the test rows and the train rows.
- `recommender`: `implicit`'s AlternatingLeastSquares with its defaults, on engage's leave-one-out
  split (bench/leave_one_out.py), HR@10 / NDCG@10 among the same 99 negatives, the popularity
  baseline on the same split, and each customer's affinity (mean score of the user's training
  items, unknown users the mean), engage's recommender input to the ensemble.
- `ensemble`: scikit-learn LogisticRegression (standardised inputs) over the out-of-fold table that
  `StackingAssembly` builds: a supervised input's train row from the fold job that held its fold
  out, its test row the mean of the K fold models, a binary input as log-odds; unsupervised inputs
  from their full job.

Every job returns its predictions and `timing`: wall seconds and CPU seconds (getrusage of the Ray
worker process, all its threads) measured inside the task, and its start/end on the wall clock.
"""
import os
import resource
import time

import numpy as np

PERMUTATION_ROWS = 5_000
SHAP_ROWS = 2_000
CALIBRATION_FRACTION = 0.1
CALIBRATION_SEED_OFFSET = 17
PERMUTATION_SEED_OFFSET = 99


class Timer:
    def __init__(self):
        self.start_wall = time.time()
        self.start = time.perf_counter()
        self.start_cpu = _cpu()

    def done(self, **extra):
        return {"seconds": time.perf_counter() - self.start, "cpu_seconds": _cpu() - self.start_cpu,
                "started": self.start_wall, "finished": time.time(), "pid": os.getpid(), **extra}


def _cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def limit_threads(threads):
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=threads)


def lightgbm_params(job, threads, objective, alpha=None):
    params = {"objective": objective, "num_leaves": job["leaves"], "learning_rate": job["learning_rate"], "max_bin": 255,
              "min_data_in_leaf": 20, "num_threads": threads, "verbosity": -1, "seed": 0}
    if alpha is not None:
        params["alpha"] = alpha
    return params


def conformal_offset(y, low, high, coverage):
    """`ConformalCalibration.offset`: the ⌈(n+1)·coverage⌉-th smallest max(low − y, y − high)."""
    scores = np.sort(np.maximum(low - y, y - high))
    rank = min(len(y), int(np.ceil((len(y) + 1) * coverage)))
    return float(scores[max(0, rank - 1)])


def calibrated(columns, offset):
    """`QuantileModelSet.predict`: sort each row's outputs, widen the outer two, sort again."""
    rows = np.sort(np.column_stack(columns), axis=1)
    rows[:, 0] -= offset
    rows[:, -1] += offset
    return np.sort(rows, axis=1)


def permutation_importance(predict, x, y, loss, seed):
    """Loss increase per feature when its column is shuffled (1 repeat), as engage's full jobs."""
    x = x.reset_index(drop=True)
    baseline = loss(y, predict(x))
    rng = np.random.default_rng(seed)
    drops = {}
    for column in x.columns:
        shuffled = x.copy()
        shuffled[column] = x[column].iloc[rng.permutation(len(x))].reset_index(drop=True)
        drops[column] = float(loss(y, predict(shuffled)) - baseline)
    return drops


def _loss(objective):
    from sklearn.metrics import mean_pinball_loss, roc_auc_score

    if objective == "binary":
        return lambda y, p: 1.0 - roc_auc_score(y, p)
    if objective == "regression":
        return lambda y, p: float(np.sqrt(np.mean((y - p) ** 2)))
    return lambda y, p: mean_pinball_loss(y, p, alpha=0.5)


def gbdt(data, job, threads):
    timer = Timer()
    import lightgbm as lgb

    x, y = data["x"], data["targets"][job["target"]]
    layout = data["layout"]
    objective = job["objective"]
    with limit_threads(threads):
        if job["role"] == "full":
            train_rows, eval_rows, scored_rows = layout.train, layout.test, None
        else:
            k = job["fold"]
            train_rows, eval_rows, scored_rows = layout.train[layout.other_rows(k)], layout.train[layout.fold_rows(k)], layout.test
        alphas = job["quantiles"] if objective == "quantile" else [None]
        if objective == "quantile" and job["role"] != "full":
            alphas = [min(alphas, key=lambda a: abs(a - 0.5))]
        calibration_rows = None
        if objective == "quantile" and len(alphas) > 1:
            import engage_split

            fit_positions, calibration_positions = engage_split.stratified(y[train_rows], CALIBRATION_FRACTION, CALIBRATION_SEED_OFFSET)
            train_rows, calibration_rows = train_rows[fit_positions], train_rows[calibration_positions]
        dataset = lgb.Dataset(x.iloc[train_rows], label=y[train_rows], free_raw_data=False)
        lgb_objective = {"regression": "regression", "binary": "binary", "quantile": "quantile"}[objective]
        boosters = [lgb.train(lightgbm_params(job, threads, lgb_objective, alpha), dataset, num_boost_round=job["trees"]) for alpha in alphas]
        fit_seconds = time.perf_counter() - timer.start

        def predict_all(rows):
            return [b.predict(x.iloc[rows], num_threads=threads) for b in boosters]

        offset = 0.0
        if calibration_rows is not None:
            raw = np.sort(np.column_stack(predict_all(calibration_rows)), axis=1)
            offset = conformal_offset(y[calibration_rows], raw[:, 0], raw[:, -1], alphas[-1] - alphas[0])
        outputs = predict_all(eval_rows)
        if len(alphas) > 1:
            outputs = list(calibrated(outputs, offset).T)
        central = int(np.argmin([abs((a if a is not None else 0.5) - 0.5) for a in alphas]))
        result = {"eval": np.column_stack(outputs), "central": central, "alphas": alphas, "conformal_offset": offset,
                  "fit_seconds": fit_seconds}
        if scored_rows is not None:
            result["scored"] = boosters[central].predict(x.iloc[scored_rows], num_threads=threads)
        if job["role"] == "full":
            rows = eval_rows[:PERMUTATION_ROWS]
            median = boosters[central]
            result["permutation"] = permutation_importance(lambda frame: median.predict(frame, num_threads=threads), x.iloc[rows],
                                                           y[rows], _loss(objective), PERMUTATION_SEED_OFFSET)
            if job.get("shap"):
                contributions = median.predict(x.iloc[eval_rows[:SHAP_ROWS]], pred_contrib=True, num_threads=threads)
                result["mean_abs_shap"] = dict(zip(x.columns, np.abs(contributions[:, :-1]).mean(axis=0).tolist()))
    result["timing"] = timer.done()
    return result


def anomaly_matrix(frame, columns):
    """Ordinal codes (missing NaN) for string columns, floats otherwise: the forest's input."""
    import pandas as pd

    matrix = np.empty((len(frame), len(columns)), dtype=np.float64)
    for index, column in enumerate(columns):
        values = frame[column]
        if isinstance(values.dtype, pd.CategoricalDtype):
            codes = values.cat.codes.to_numpy().astype(np.float64)
            codes[codes < 0] = np.nan
            matrix[:, index] = codes
        else:
            matrix[:, index] = values.to_numpy(dtype=np.float64)
    return matrix


def autoencoder_inputs(categorical, numeric):
    """A user's preprocessing for an MLP autoencoder, with engage's choices (TabularEncoder)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.impute import SimpleImputer
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    signed_log = FunctionTransformer(lambda v: np.sign(v) * np.log1p(np.abs(v)))
    return ColumnTransformer([
        ("numeric", make_pipeline(signed_log, StandardScaler(), SimpleImputer(strategy="constant", fill_value=0.0)), numeric),
        ("categorical", OneHotEncoder(handle_unknown="infrequent_if_exist", max_categories=32, sparse_output=False), categorical),
    ])


def percentiles(reference, values):
    ordered = np.sort(reference)
    return np.searchsorted(ordered, values, side="right") / len(ordered)


def anomaly(data, job, threads):
    timer = Timer()
    import warnings

    from sklearn.ensemble import IsolationForest
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.neural_network import MLPRegressor

    layout, x = data["layout"], data["x"]
    train, test = layout.train, layout.test
    with limit_threads(threads):
        matrix = anomaly_matrix(x, list(x.columns))
        forest = IsolationForest(n_estimators=job["trees"], max_samples=job["sample"], random_state=0, n_jobs=threads)
        forest.fit(matrix[train])
        forest_train, forest_test = -forest.score_samples(matrix[train]), -forest.score_samples(matrix[test])
        forest_seconds = time.perf_counter() - timer.start

        categorical = [c for c in x.columns if str(x[c].dtype) == "category"]
        numeric = [c for c in x.columns if c not in categorical]
        frame = x.copy()
        for column in categorical:
            frame[column] = frame[column].astype("string").fillna("__missing__").astype(object)
        encoder = autoencoder_inputs(categorical, numeric)
        inputs_train = encoder.fit_transform(frame.iloc[train])
        inputs_test = encoder.transform(frame.iloc[test])
        network = MLPRegressor(hidden_layer_sizes=(32, 8, 32), activation="tanh", solver="adam", learning_rate_init=0.001,
                               batch_size=256, max_iter=10, shuffle=True, random_state=0)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            network.fit(inputs_train, inputs_train)
        ae_train = np.mean((network.predict(inputs_train) - inputs_train) ** 2, axis=1)
        ae_test = np.mean((network.predict(inputs_test) - inputs_test) ** 2, axis=1)
    combined_train = (percentiles(forest_train, forest_train) + percentiles(ae_train, ae_train)) / 2
    combined_test = (percentiles(forest_train, forest_test) + percentiles(ae_train, ae_test)) / 2
    return {"eval": combined_test[:, None], "central": 0, "scored": combined_train,
            "parts": {"isolation_forest": forest_test, "autoencoder": ae_test},
            "forest_seconds": forest_seconds, "timing": timer.done()}


def recommender(data, job, threads):
    timer = Timer()
    from implicit.cpu.als import AlternatingLeastSquares

    import leave_one_out

    with limit_threads(threads):
        split = leave_one_out.LeaveOneOut(data["interactions"], data["items"])
        matrix = split.train_matrix()
        model = AlternatingLeastSquares(num_threads=threads, random_state=0)
        model.fit(matrix, show_progress=False)
        users, factors = np.asarray(model.user_factors), np.asarray(model.item_factors)
        test_users, candidates = split.candidates()
        scores = np.einsum("uf,ucf->uc", users[test_users], factors[candidates])
        metrics = split.evaluate(scores)
        popularity = split.popularity_ranking()
        # Each user's affinity: the mean score of the items the user trained on.
        per_pair = np.einsum("nf,nf->n", users[split.train_users], factors[split.train_items])
        totals = np.bincount(split.train_users, weights=per_pair, minlength=split.n_users)
        counts = np.bincount(split.train_users, minlength=split.n_users)
        affinity = np.where(counts > 0, totals / np.maximum(counts, 1), np.nan)
        fallback = float(np.nanmean(affinity))
        position = split.user_ids.get_indexer(data["customer_ids"])
        known = position >= 0
        per_customer = np.full(len(position), fallback)
        per_customer[known] = np.where(np.isnan(affinity[position[known]]), fallback, affinity[position[known]])
    layout = data["layout"]
    return {"metrics": metrics, "popularity": popularity, "scored": per_customer[np.concatenate([layout.train, layout.test])],
            "timing": timer.done()}


def logit(p):
    p = np.clip(np.asarray(p, dtype=np.float64), 1e-15, 1 - 1e-15)
    return np.log(p) - np.log1p(-p)


def stacking_table(data, job, results):
    """(train inputs, test inputs): `StackingAssembly`'s table from the base jobs' results."""
    layout = data["layout"]
    train_columns, test_columns = [], []
    for model in job["inputs"]:
        if model in job["supervised"]:
            train = np.empty(len(layout.train))
            folds = [results[f"{model}/fold{k}"] for k in range(job["folds"])]
            for k, fold in enumerate(folds):
                train[layout.fold_rows(k)] = fold["eval"][:, fold["central"]]
            test = np.mean([fold["scored"] for fold in folds], axis=0)
            if job["objectives"][model] == "binary":
                train, test = logit(train), logit(test)
        else:
            full = results[f"{model}/full"]
            if "eval" in full:
                train, test = full["scored"], full["eval"][:, full["central"]]
            else:
                train, test = full["scored"][:len(layout.train)], full["scored"][len(layout.train):]
        train_columns.append(train)
        test_columns.append(test)
    return np.column_stack(train_columns), np.column_stack(test_columns)


def ensemble(data, job, threads, *base_results):
    timer = Timer()
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    results = dict(zip(job["depends_on"], base_results))
    train_x, test_x = stacking_table(data, job, results)
    y = data["targets"][job["target"]]
    learner = make_pipeline(StandardScaler(), LogisticRegression(max_iter=1000))
    with limit_threads(threads):
        learner.fit(train_x, y[data["layout"].train])
    probability = learner.predict_proba(test_x)[:, 1]
    return {"eval": probability[:, None], "central": 0, "coefficients": learner[-1].coef_.ravel().tolist(), "timing": timer.done()}


RUNNERS = {"gbdt": gbdt, "anomaly": anomaly, "ncf": recommender, "stacking": ensemble}
