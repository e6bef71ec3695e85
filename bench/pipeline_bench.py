"""Issue 4's pipeline figures: `engage run` with the shipped cluster.yaml (the config `make run`
uses: 100,000 generated customers, all five models and the stacking ensemble), its wall time and
where the time went, the six registry versions, and the ensemble's test AUC beside the churn
model's. No peer library runs this pipeline; the figures stand on their own.
"""
import json
import os
import shutil

import measure

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED_MODELS = {"engagement", "churn", "lifetime_value", "anomaly", "recommender", "ensemble"}
WALL_GOAL_SECONDS = 60.0


class PipelineBench:
    def __init__(self, engage, work_dir, log, config=None):
        self.engage = engage
        self.directory = os.path.join(work_dir, "pipeline")
        self.config = config or os.path.join(os.path.dirname(HERE), "cluster.yaml")
        self.log = log

    def run(self):
        shutil.rmtree(self.directory, ignore_errors=True)
        os.makedirs(self.directory)
        shutil.copy(self.config, os.path.join(self.directory, "cluster.yaml"))
        self.log("engage run --config cluster.yaml (the make run config) in a fresh directory")
        measured = measure.run([self.engage.path, "run", "--config", "cluster.yaml", "--json"], cwd=self.directory)
        summary = parse_summary(measured.output)
        summary["process_wall_seconds"] = measured.wall_seconds
        summary["peak_rss_mib_coordinator"] = measured.peak_rss_mib
        return summary


def parse_summary(output):
    """The JSON summary `engage run --json` prints after its log lines."""
    lines = output.splitlines()
    start = max(i for i, line in enumerate(lines) if line == "{")
    return json.loads("\n".join(lines[start:]))


def table(result):
    from report import Table

    t = Table("Pipeline — `engage run` with the shipped cluster.yaml (what `make run` does)", peers=("-", "-"))
    t.add("wall seconds (data + all jobs)", result["wallSeconds"], unit="s")
    t.add("data: generate, check, shard", result["dataSeconds"], unit="s")
    jobs = result.get("jobs", [])
    t.add("jobs (fold jobs included)", len(jobs))
    t.add("worker-seconds over all jobs", sum(j["seconds"] for j in jobs), unit="s")
    by_model = {}
    for job in jobs:
        seconds, count = by_model.get(job["model"], (0.0, 0))
        by_model[job["model"]] = (seconds + job["seconds"], count + 1)
    for model, (seconds, count) in sorted(by_model.items(), key=lambda item: -item[1][0]):
        t.add(f"  {model}: {count} job{'s' if count > 1 else ''}", seconds, unit="s")
    versions = {v["model"]: v for v in result["versions"]}
    t.add("new registry versions", len(versions))
    ensemble, churn = versions.get("ensemble", {}).get("metrics", {}), versions.get("churn", {}).get("metrics", {})
    t.add("ensemble test AUC", ensemble.get("auc"))
    t.add("churn model test AUC", churn.get("auc"))
    t.add("ensemble lift (AUC)", ensemble.get("auc_lift"))
    recommender = versions.get("recommender", {}).get("metrics", {})
    for name in ("hr@10", "ndcg@10", "popularity_hr@10", "mf_hr@10"):
        if name in recommender:
            t.add(f"recommender {name}", recommender[name])
    t.notes.append("worker-seconds are each job's own seconds on its worker; with 2 workers on 2 cores they overlap.")
    return t


def bars(board, result):
    versions = {v["model"]: v for v in result["versions"]}
    board.check("pipeline: make run's config lands 6 new registry versions", set(versions) == EXPECTED_MODELS and len(result["versions"]) == 6,
                f"{len(result['versions'])} versions: {', '.join(sorted(versions))}")
    ensemble = versions.get("ensemble", {}).get("metrics", {})
    if "auc" in ensemble and "reference_auc" in ensemble:
        board.check("ensemble: test AUC ≥ the churn model's test AUC", ensemble["auc"] >= ensemble["reference_auc"],
                    f"ensemble {ensemble['auc']:.5f}, churn {ensemble['reference_auc']:.5f}, lift {ensemble['auc'] - ensemble['reference_auc']:+.5f}")
    else:
        board.skip("ensemble: test AUC ≥ the churn model's test AUC", "no ensemble version with auc and reference_auc")
    board.check(f"pipeline: wall time < {WALL_GOAL_SECONDS:.0f} s on this machine (goal)", result["wallSeconds"] < WALL_GOAL_SECONDS,
                f"{result['wallSeconds']:.1f} s (data {result['dataSeconds']:.1f} s)")
