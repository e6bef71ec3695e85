"""The recommender section: engage's NeuMF on the generator's interactions beside its own popularity
and matrix-factorisation baselines (computed by engage on the same leave-one-out split), and beside
`implicit`'s ALS and BPR with their default settings, scored on exactly the split and the 99 sampled
negatives engage evaluated on (`engage train --split-out`, bench/recommender_real.py).

The harness reads `metrics.json` of `engage train --kind ncf` (a list of {name, split, value})
and expects names of the form `[model_]hr@10` / `[model_]ndcg@10`, where the model prefix is
`popularity` or `mf` for the baselines and absent (or `neumf`/`ncf`) for NeuMF; see
docs/benchmarks.md. Lines of engage's output that mention an epoch are kept as the timing trail.
"""
import json
import os
import re

import engage_cli
import measure
import recommender_real

MODELS = ("neumf", "popularity", "mf")


class RecommenderBench:
    def __init__(self, engage, threads, work_dir, log):
        self.engage = engage
        self.threads = threads
        self.directory = os.path.join(work_dir, "recommender")
        self.log = log

    def run(self, data):
        if not self.engage.supports_kind("ncf"):
            return None
        out = os.path.join(self.directory, "engage-ncf")
        arguments = ["--kind", "ncf", "--interactions", data.interactions_csv, "--user-col", "user_id", "--item-col", "item_id",
                     "--items", data.items_csv, "--item-id-col", "item_id", "--item-text-col", "title",
                     "--item-category-col", "category", "--threads", str(self.threads), "--out", out,
                     "--split-out", os.path.join(self.directory, "split")]
        self.log("engage train --kind ncf")
        trained = measure.run([self.engage.path, "train"] + arguments)
        try:
            seconds = engage_cli.training_seconds(trained.output, "engage train --kind ncf")
        except engage_cli.EngageOutputError:
            seconds = trained.wall_seconds
        with open(os.path.join(out, "metrics.json")) as handle:
            metrics = json.load(handle)
        split = recommender_real.Split(os.path.join(self.directory, "split"))
        peers = {}
        for kind, defaults in (("als", recommender_real.ALS_DEFAULT), ("bpr", recommender_real.BPR_DEFAULT)):
            self.log(f"implicit {kind.upper()} (defaults) on engage's split")
            peers[kind] = recommender_real.fit_implicit(kind, defaults, split, self.threads)
        return {"train_seconds": seconds, "train_wall_seconds": trained.wall_seconds, "peak_rss_mib": trained.peak_rss_mib,
                "ranking": ranking_metrics(metrics), "metrics": metrics, "implicit": peers,
                "epoch_lines": [line.strip() for line in trained.output.splitlines() if "epoch" in line.lower()]}


def ranking_metrics(metrics):
    """{model: {"hr@10": v, "ndcg@10": v}} from metrics.json entries, test split preferred."""
    found = {}
    for entry in sorted(metrics, key=lambda m: m.get("split") != "test"):
        name = str(entry.get("name", "")).lower()
        kind = "ndcg@10" if "ndcg" in name else "hr@10" if re.search(r"(^|[_@.\-])(hr|hit)", name) else None
        if kind is None or "10" not in name:
            continue
        model = "popularity" if "pop" in name else "mf" if re.search(r"(^|[_.\-])mf([_@.\-]|$)", name) else "neumf"
        found.setdefault(model, {}).setdefault(kind, float(entry["value"]))
    return found


NOT_BUILT = "n/a (not built yet)"
POPULARITY_LIFT = 1.3


def tables(result):
    return [table(result)] + ([implicit_table(result)] if result is not None and "implicit" in result else [])


def implicit_table(result):
    from report import Table

    t = Table("Recommender beside implicit (defaults) — the generator's interactions, engage's split and negatives", peers=("ALS", "BPR"))
    als, bpr = result["implicit"]["als"], result["implicit"]["bpr"]
    for kind in ("hr@10", "ndcg@10"):
        t.add(f"{kind.upper()} (engage NeuMF vs implicit)", result["ranking"].get("neumf", {}).get(kind), als[kind], bpr[kind])
    t.add("train seconds", result["train_seconds"], als["train_seconds"], bpr["train_seconds"], unit="s")
    return t


def table(result):
    from report import Table

    t = Table("Recommender — leave-one-out, held-out item among 99 sampled negatives", peers=("popularity", "MF"))
    if result is None:
        t.add("HR@10 (NeuMF)", NOT_BUILT)
        t.add("NDCG@10 (NeuMF)", NOT_BUILT)
        return t
    ranking = result["ranking"]
    for kind in ("hr@10", "ndcg@10"):
        t.add(f"{kind.upper()} (engage NeuMF vs baselines)", ranking.get("neumf", {}).get(kind),
              ranking.get("popularity", {}).get(kind), ranking.get("mf", {}).get(kind))
    t.add("train seconds (all epochs)", result["train_seconds"], unit="s")
    t.add("peak RSS", result["peak_rss_mib"], unit="MiB")
    t.notes.extend(result["epoch_lines"][:20])
    return t


def bars(board, result):
    for kind in ("hr@10", "ndcg@10"):
        name = f"recommender: NeuMF {kind.upper()} ≥ the better of implicit's ALS and BPR (defaults), generated data"
        if result is None or "implicit" not in result:
            board.skip(name, NOT_BUILT)
            continue
        neumf = result["ranking"].get("neumf", {}).get(kind)
        best = max(("als", "bpr"), key=lambda k: result["implicit"][k][kind])
        value = result["implicit"][best][kind]
        if neumf is None:
            board.skip(name, f"metrics.json has no NeuMF {kind}")
        else:
            board.check(name, neumf >= value, f"NeuMF {neumf:.4f}, {best.upper()} {value:.4f}, gap {neumf - value:+.4f}")
    for kind in ("hr@10", "ndcg@10"):
        lift = f"recommender: NeuMF {kind.upper()} ≥ {POPULARITY_LIFT} × popularity"
        mf = f"recommender: NeuMF {kind.upper()} ≥ MF"
        if result is None:
            board.skip(lift, NOT_BUILT + ": engage train has no --kind ncf")
            board.skip(mf, NOT_BUILT + ": engage train has no --kind ncf")
            continue
        ranking = result["ranking"]
        neumf, pop, mfv = (ranking.get(m, {}).get(kind) for m in ("neumf", "popularity", "mf"))
        if neumf is None or pop is None:
            board.skip(lift, f"metrics.json has no NeuMF or popularity {kind} (found {ranking})")
        else:
            board.check(lift, neumf >= POPULARITY_LIFT * pop, f"NeuMF {neumf:.4f}, popularity {pop:.4f}, ratio {neumf / pop:.2f}")
        if neumf is None or mfv is None:
            board.skip(mf, f"metrics.json has no NeuMF or MF {kind} (found {ranking})")
        else:
            board.check(mf, neumf >= mfv, f"NeuMF {neumf:.4f}, MF {mfv:.4f}")
