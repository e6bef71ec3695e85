"""The benchmark data: the generator's customers, split 80/20 once, shared by every side.

The split copies the generator's CSV lines verbatim (no re-formatting of numbers), so engage and
the peers read byte-identical train and test files.
"""
import json
import os
from dataclasses import dataclass

import numpy as np

import measure

ID_COLUMN = "user_id"
TARGETS = ("engagement_score", "churn_30_day", "lifetime_value_usd")
ANOMALY_LABEL = "is_anomaly"
SENSITIVE = ("age_group", "gender", "region")
# Everything that is not a feature for the supervised models, besides the sensitive attributes.
IGNORED = (ID_COLUMN,) + TARGETS + (ANOMALY_LABEL,)


@dataclass
class CustomerData:
    """One generated data set and its split: paths to the files every side reads."""

    rows: int
    seed: int
    directory: str
    customers_csv: str
    interactions_csv: str
    items_csv: str
    train_csv: str
    test_csv: str
    train_rows: int
    test_rows: int

    def ignore_for(self, target):
        """The `--ignore` list for a model of `target`: every other target, the id and the anomaly label."""
        return [c for c in IGNORED if c != target]


def prepare(engage, rows, seed, root, split_seed=42, test_fraction=0.2):
    """Generates `rows` customers with `engage generate` (reusing an earlier identical run) and
    splits them 80/20 with a fixed permutation."""
    directory = os.path.join(root, f"customers-{rows}-seed{seed}")
    stamp_path = os.path.join(directory, "bench-stamp.json")
    stamp = {"rows": rows, "seed": seed, "split_seed": split_seed, "test_fraction": test_fraction,
             "engage_size": os.path.getsize(engage), "engage_mtime": int(os.path.getmtime(engage))}
    files = {name: os.path.join(directory, name) for name in
             ("customers.csv", "interactions.csv", "items.csv", "train.csv", "test.csv")}
    previous = None
    if os.path.exists(stamp_path):
        with open(stamp_path) as handle:
            previous = json.load(handle)
    if previous is None or previous.get("stamp") != stamp or not all(os.path.exists(p) for p in files.values()):
        os.makedirs(directory, exist_ok=True)
        measure.run([engage, "generate", "--rows", str(rows), "--seed", str(seed), "--out", directory])
        train_rows, test_rows = split_lines(files["customers.csv"], files["train.csv"], files["test.csv"],
                                            seed=split_seed, test_fraction=test_fraction)
        with open(stamp_path, "w") as handle:
            json.dump({"stamp": stamp, "train_rows": train_rows, "test_rows": test_rows}, handle)
    else:
        train_rows, test_rows = previous["train_rows"], previous["test_rows"]
    return CustomerData(rows=rows, seed=seed, directory=directory, customers_csv=files["customers.csv"],
                        interactions_csv=files["interactions.csv"], items_csv=files["items.csv"],
                        train_csv=files["train.csv"], test_csv=files["test.csv"],
                        train_rows=train_rows, test_rows=test_rows)


def split_lines(source, train_path, test_path, seed, test_fraction):
    """Writes a random `1 - test_fraction` of the data lines to `train_path` and the rest to
    `test_path`, each with the header; returns the two row counts."""
    with open(source, "rb") as handle:
        header = handle.readline()
        lines = handle.readlines()
    if not lines:
        raise ValueError(f"{source}: no data rows after the header")
    if not lines[-1].endswith(b"\n"):
        lines[-1] += b"\n"
    order = np.random.default_rng(seed).permutation(len(lines))
    cut = int(round(len(lines) * (1.0 - test_fraction)))
    for path, indices in ((train_path, order[:cut]), (test_path, order[cut:])):
        with open(path, "wb") as out:
            out.write(header)
            out.writelines(lines[i] for i in indices)
    return cut, len(lines) - cut


def head_rows(source, destination, count):
    """Writes the header and the first `count` data lines of `source` to `destination`."""
    with open(source, "rb") as handle, open(destination, "wb") as out:
        out.write(handle.readline())
        for _, line in zip(range(count), handle):
            out.write(line)
    return destination
