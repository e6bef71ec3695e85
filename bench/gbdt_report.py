"""Tables and bars for issue 3 from gbdt_bench results.

Bars (checked only where both sides were measured):
- training time engage/LightGBM ≤ 1.0 (regression, binary), engage's reported training seconds
  against LightGBM's `lgb.train` (Dataset construction included);
- test R² ≥ LightGBM's − 0.005; test AUC ≥ LightGBM's − 0.003;
- quantile: the three quantiles in ≤ LightGBM's time for the same three; each pinball loss
  ≤ 1.02 × LightGBM's; calibrated P10–P90 coverage in 0.80 ± 0.015;
- SHAP for 20,000 rows ≤ 0.5 × `shap.TreeExplainer(lgb_model).shap_values(X)`, and additivity
  |base + Σφ − raw| ≤ 1e-6 on every row of engage's `predict --shap` output;
- 1M-row training time ≤ 12 × the 100K-row time.
"""
from report import Table

R2_MARGIN = 0.005
AUC_MARGIN = 0.003
PINBALL_TOLERANCE = 0.02
COVERAGE_TARGET, COVERAGE_TOLERANCE = 0.80, 0.015
SHAP_RATIO = 0.5
ADDITIVITY = 1e-6
SCALING_LIMIT = 12.0


def _get(side, key):
    return None if side is None else side.get(key)


def _metric(side, name):
    return None if side is None else side["metrics"].get(name)


def tables(results, data, threads):
    out = []
    split = f"{data.train_rows:,} train / {data.test_rows:,} test rows, {threads} threads"
    for objective, entry in results.items():
        engage, lgb, xgb = entry["engage"], entry.get("lightgbm"), entry.get("xgboost")
        table = Table(f"GBDT {objective} — {entry['target']} ({split})")
        table.add("train seconds (engage: printed; peers: fit)", engage["train_seconds"], _get(lgb, "fit_seconds"), _get(xgb, "fit_seconds"), unit="s")
        table.add("end to end: CSV load + train", engage["train_wall_seconds"], _get(lgb, "end_to_end_seconds"), _get(xgb, "end_to_end_seconds"), unit="s")
        table.add("peak RSS of the training process", engage["train_peak_rss_mib"], _get(lgb, "peak_rss_mib"), _get(xgb, "peak_rss_mib"), unit="MiB")
        if objective == "regression":
            table.add("test R²", _metric(engage, "r2"), _metric(lgb, "r2"), _metric(xgb, "r2"))
            table.add("test RMSE", _metric(engage, "rmse"), _metric(lgb, "rmse"), _metric(xgb, "rmse"))
        elif objective == "binary":
            table.add("test AUC", _metric(engage, "auc"), _metric(lgb, "auc"), _metric(xgb, "auc"))
            table.add("test log loss", _metric(engage, "logloss"), _metric(lgb, "logloss"), _metric(xgb, "logloss"))
        else:
            for name in sorted(k for k in engage["metrics"] if k.startswith("pinball")):
                table.add(f"test {name.replace('_', ' ')}", _metric(engage, name), _metric(lgb, name))
            coverage = next(k for k in engage["metrics"] if k.startswith("coverage"))
            table.add("test P10–P90 coverage (engage calibrated, LightGBM raw)", _metric(engage, coverage), _metric(lgb, coverage))
            table.notes.append("LightGBM trains the three quantiles one after another on all training rows; engage's one run "
                               "trains them on 90% and calibrates the interval on the other 10% (conformalized quantile regression).")
            table.notes.append("xgboost: not compared for quantiles (the issue compares LightGBM's objective=quantile).")
        if "predict_wall_seconds" in engage:
            rows = engage["predict_rows"]
            table.add(f"predict {rows:,} rows end to end (CSV → CSV)", engage["predict_wall_seconds"],
                      _get(lgb, "predict_end_to_end_seconds"), _get(xgb, "predict_end_to_end_seconds"), unit="s")
            table.add(f"predict {rows:,} rows in memory", None, _get(lgb, "predict_seconds"), _get(xgb, "predict_seconds"), unit="s")
            table.add(f"SHAP {_get(lgb, 'shap_rows') or 20000:,} rows (lightgbm: shap.TreeExplainer)",
                      _get(engage, "shap_seconds") if "shap_seconds" in engage else "n/a (no --shap)",
                      _get(lgb, "shap_seconds"), None, unit="s")
            table.add("SHAP additivity: max |base + Σφ − raw|", _get(engage, "shap_additivity_max_error"),
                      _get(lgb, "shap_additivity_max_error"), None)
            table.notes.append(f"engage's SHAP seconds = wall(predict --shap) − wall(predict) on the same {_get(lgb, 'shap_rows') or 0:,}-row CSV: "
                               "the explaining plus writing the wider CSV; shap's = TreeExplainer(model) + shap_values(X).")
            table.notes.append("engage has no in-memory predict timer; its predict row is the whole command, "
                               "the peers' end-to-end row is read_csv + predict + to_csv in one process.")
        out.append(table)
    return out


def bars(board, results, defaults):
    suffix = "" if defaults else " [non-default settings]"
    reg, binary, quantile = results.get("regression"), results.get("binary"), results.get("quantile")
    for name, entry in (("regression", reg), ("binary", binary)):
        if entry is None:
            continue
        e, l = entry["engage"]["train_seconds"], entry["lightgbm"]["fit_seconds"]
        board.check(f"GBDT {name}: train time engage/LightGBM ≤ 1.0{suffix}", e / l <= 1.0,
                    f"engage {e:.2f} s, LightGBM {l:.2f} s, ratio {e / l:.2f}")
    if reg is not None:
        e, l = reg["engage"]["metrics"]["r2"], reg["lightgbm"]["metrics"]["r2"]
        board.check(f"GBDT regression: test R² ≥ LightGBM − {R2_MARGIN}{suffix}", e >= l - R2_MARGIN,
                    f"engage {e:.5f}, LightGBM {l:.5f}, difference {e - l:+.5f}")
    if binary is not None:
        e, l = binary["engage"]["metrics"]["auc"], binary["lightgbm"]["metrics"]["auc"]
        board.check(f"GBDT binary: test AUC ≥ LightGBM − {AUC_MARGIN}{suffix}", e >= l - AUC_MARGIN,
                    f"engage {e:.5f}, LightGBM {l:.5f}, difference {e - l:+.5f}")
    if quantile is not None:
        e, l = quantile["engage"]["train_seconds"], quantile["lightgbm"]["fit_seconds"]
        board.check(f"GBDT quantile: 3 quantiles in ≤ LightGBM's time{suffix}", e <= l,
                    f"engage {e:.2f} s, LightGBM {l:.2f} s (3 fits), ratio {e / l:.2f}")
        for name in sorted(k for k in quantile["engage"]["metrics"] if k.startswith("pinball")):
            e, l = quantile["engage"]["metrics"][name], quantile["lightgbm"]["metrics"][name]
            board.check(f"GBDT quantile: {name} within {PINBALL_TOLERANCE:.0%} of LightGBM{suffix}", e <= l * (1 + PINBALL_TOLERANCE),
                        f"engage {e:.4f}, LightGBM {l:.4f}, ratio {e / l:.4f}")
        coverage = next(k for k in quantile["engage"]["metrics"] if k.startswith("coverage"))
        c = quantile["engage"]["metrics"][coverage]
        board.check(f"GBDT quantile: calibrated P10–P90 coverage {COVERAGE_TARGET} ± {COVERAGE_TOLERANCE}{suffix}",
                    abs(c - COVERAGE_TARGET) <= COVERAGE_TOLERANCE,
                    f"engage {c:.4f} (LightGBM raw {quantile['lightgbm']['metrics'][coverage]:.4f})")
    for name, entry in (("regression", reg), ("binary", binary)):
        if entry is None or "predict_wall_seconds" not in entry["engage"]:
            continue
        engage, lgb = entry["engage"], entry["lightgbm"]
        label = f"GBDT {name}: SHAP {lgb.get('shap_rows', 0):,} rows ≤ {SHAP_RATIO} × shap.TreeExplainer{suffix}"
        if "shap_seconds" not in engage:
            board.skip(label, "n/a: engage predict has no --shap yet")
            continue
        e, l = engage["shap_seconds"], lgb["shap_seconds"]
        board.check(label, e <= SHAP_RATIO * l, f"engage {e:.2f} s, shap {l:.2f} s, ratio {e / l:.2f}")
        err = engage["shap_additivity_max_error"]
        board.check(f"GBDT {name}: SHAP additivity ≤ {ADDITIVITY:g} on every row", err <= ADDITIVITY,
                    f"max |base + Σφ − raw| = {err:.3g} over {engage['shap_rows']:,} rows")


def scaling_table(small, large, small_rows, large_rows):
    table = Table(f"GBDT training time growth, {small_rows:,} → {large_rows:,} customers")
    for objective in large:
        s, l = small[objective], large[objective]
        table.add(f"{objective}: train seconds at {large_rows:,}", l["engage"]["train_seconds"],
                  _get(l.get("lightgbm"), "fit_seconds"), _get(l.get("xgboost"), "fit_seconds"), unit="s")
        table.add(f"{objective}: growth factor (time at {large_rows:,} / at {small_rows:,})",
                  l["engage"]["train_seconds"] / s["engage"]["train_seconds"],
                  _growth(s.get("lightgbm"), l.get("lightgbm")), _growth(s.get("xgboost"), l.get("xgboost")), unit="x")
        table.add(f"{objective}: end to end (CSV load + train)", l["engage"]["train_wall_seconds"],
                  _get(l.get("lightgbm"), "end_to_end_seconds"), _get(l.get("xgboost"), "end_to_end_seconds"), unit="s")
        table.add(f"{objective}: peak RSS", l["engage"]["train_peak_rss_mib"], _get(l.get("lightgbm"), "peak_rss_mib"),
                  _get(l.get("xgboost"), "peak_rss_mib"), unit="MiB")
        for name, value in l["engage"]["metrics"].items():
            table.add(f"{objective}: test {name}", value, _metric(l.get("lightgbm"), name), _metric(l.get("xgboost"), name))
    return table


def _growth(small, large):
    if small is None or large is None:
        return None
    return large["fit_seconds"] / small["fit_seconds"]


def scaling_bars(board, small, large, small_rows, large_rows):
    for objective in large:
        ratio = large[objective]["engage"]["train_seconds"] / small[objective]["engage"]["train_seconds"]
        board.check(f"GBDT {objective}: training time {large_rows:,} rows ≤ {SCALING_LIMIT:g} × {small_rows:,} rows",
                    ratio <= SCALING_LIMIT,
                    f"{small[objective]['engage']['train_seconds']:.2f} s → {large[objective]['engage']['train_seconds']:.2f} s, "
                    f"{ratio:.2f}×; peak RSS {large[objective]['engage']['train_peak_rss_mib']:.0f} MiB")
