"""The one set of GBDT settings, translated into each peer library's parameters.

engage's flags are named after LightGBM's, so LightGBM takes them as they are. XGBoost differs in
two places, and the mapping is the closest one, documented in docs/benchmarks.md:

- leaf-wise growth: `grow_policy="lossguide"`, `max_leaves`, `max_depth=0` (no depth cap);
- `min_data_in_leaf` has no XGBoost counterpart: XGBoost bounds a child's hessian sum
  (`min_child_weight`) instead. For squared error every row's hessian is 1, so the bound is the
  same row count. For logistic loss a row's hessian is p(1−p); we use 20 rows' worth at the
  initial score, 20·p̄(1−p̄), with p̄ the training base rate.
"""
from dataclasses import dataclass, asdict


@dataclass(frozen=True)
class Settings:
    """The training settings shared by engage and the peers (issue 3's comparison point)."""

    trees: int = 300
    leaves: int = 31
    learning_rate: float = 0.1
    max_bin: int = 255
    min_data_in_leaf: int = 20

    def to_dict(self):
        return asdict(self)

    @staticmethod
    def add_arguments(parser):
        """The settings as command-line options (--trees … --min-data-in-leaf), defaulting to these."""
        defaults = Settings()
        parser.add_argument("--trees", type=int, default=defaults.trees)
        parser.add_argument("--leaves", type=int, default=defaults.leaves)
        parser.add_argument("--learning-rate", type=float, default=defaults.learning_rate)
        parser.add_argument("--max-bin", type=int, default=defaults.max_bin)
        parser.add_argument("--min-data-in-leaf", type=int, default=defaults.min_data_in_leaf)

    @staticmethod
    def from_arguments(args):
        return Settings(trees=args.trees, leaves=args.leaves, learning_rate=args.learning_rate, max_bin=args.max_bin,
                        min_data_in_leaf=args.min_data_in_leaf)


def lightgbm(settings, objective, threads, alpha=None):
    params = {
        "objective": objective,
        "num_leaves": settings.leaves,
        "learning_rate": settings.learning_rate,
        "max_bin": settings.max_bin,
        "min_data_in_leaf": settings.min_data_in_leaf,
        "num_threads": threads,
        "verbosity": -1,
        "seed": 0,
    }
    if objective == "quantile":
        params["alpha"] = alpha
    return params


def xgboost(settings, objective, threads, base_rate=None):
    if objective == "regression":
        xgb_objective, min_child_weight = "reg:squarederror", float(settings.min_data_in_leaf)
    elif objective == "binary":
        if base_rate is None:
            raise ValueError("the binary mapping of min_data_in_leaf needs the training base rate")
        xgb_objective = "binary:logistic"
        min_child_weight = settings.min_data_in_leaf * base_rate * (1.0 - base_rate)
    else:
        raise ValueError(f"no XGBoost mapping for objective {objective!r}")
    return {
        "objective": xgb_objective,
        "tree_method": "hist",
        "grow_policy": "lossguide",
        "max_leaves": settings.leaves,
        "max_depth": 0,
        "eta": settings.learning_rate,
        "max_bin": settings.max_bin,
        "min_child_weight": min_child_weight,
        "nthread": threads,
        "seed": 0,
        "verbosity": 0,
    }
