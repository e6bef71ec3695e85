#!/usr/bin/env python3
"""The shipped cluster.yaml's job graph on Ray, with the libraries a user would pick: the Ray peer
of `engage run` (issue 14).

    peer_pipeline.py --config cluster.yaml --data DIR --result peer.json

DIR holds what `engage generate --rows N --seed <data.seed>` writes (customers.csv,
interactions.csv, items.csv). The job graph is engage's (Sources/Coordinator/Scheduling/JobPlan.swift):
one full job per model; K fold jobs (data.folds) for each supervised input of the stacking
ensemble, a quantile model's fold jobs training only its median; the anomaly model also scores
the train rows and the recommender every customer; the ensemble waits for all of them. The jobs
are in pipeline_jobs.py. The train/test split and the folds are engage's, reproduced exactly
(engage_split.py).

Ray runs locally with `num_cpus` = the workers × threads of the config's localhost entry (threads
`auto`: the cores shared among the workers), every task takes `threads` CPUs and runs its
libraries on `threads` threads. Tasks are submitted in the order engage's planner sorts them
(estimated cost, highest first).

The result JSON has each job's timing measured inside its task (wall and CPU seconds, start and
end), the phases of the driver (imports + `ray.init`, reading the CSVs and splitting, the job
graph, shutdown), the CPU seconds of every process of the local Ray cluster (from /proc, taken
before shutdown), and each model's test quality computed by scoring.py.
"""
import argparse
import json
import os
import shutil
import sys
import tempfile
import time

STARTED = time.perf_counter()
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import yaml  # noqa: E402

import dataset  # noqa: E402
import engage_split  # noqa: E402
import measure  # noqa: E402
import peer_frame  # noqa: E402
import pipeline_jobs  # noqa: E402
import scoring  # noqa: E402

# engage's defaults for what cluster.yaml leaves out (GBDTParameters, NeuMFParameters).
GBDT_DEFAULTS = {"trees": 300, "leaves": 31, "learning_rate": 0.1}
NEUMF_COST_FACTOR = (3 + 4) * (1 + 4)  # JobPlanner's recommender cost: interactions × (epochs + 4) × (1 + negatives)


class PipelineConfig:
    """What the peer reads from cluster.yaml: data layout, local workers and threads, the models."""

    def __init__(self, path, cores):
        with open(path) as handle:
            raw = yaml.safe_load(handle)
        data = raw["data"]
        self.seed, self.test_fraction, self.folds = int(data.get("seed", 42)), float(data.get("test_fraction", 0.2)), int(data.get("folds", 5))
        local = [h for h in raw["cluster"]["hosts"] if h.get("host") in ("localhost", "127.0.0.1")]
        self.workers = sum(int(h.get("workers", 1)) for h in local) or 1
        threads = local[0].get("threads", "auto") if local else "auto"
        self.threads = max(1, cores // self.workers) if threads in ("auto", 0) else int(threads)
        self.models = raw["models"]

    @property
    def cpus(self):
        return self.workers * self.threads

    def stratify_target(self):
        """`DataPreparer`: the first binary model's target, else the first model's."""
        for spec in self.models.values():
            if spec.get("objective") == "binary":
                return spec["target"]
        return next(iter(self.models.values())).get("target")


def plan(config, rows):
    """The job graph: (job id, kind, description, dependencies, estimated cost), in submission order."""
    ensembles = {name: spec for name, spec in config.models.items() if spec["kind"] == "stacking"}
    stacked = {i for spec in ensembles.values() for i in spec.get("inputs", [])}
    supervised = {name for name, spec in config.models.items() if spec["kind"] == "gbdt"}
    train_rows = rows * (1 - config.test_fraction)
    jobs = []
    for name, spec in config.models.items():
        if spec["kind"] == "gbdt":
            base = {"model": name, "target": spec["target"], "objective": spec.get("objective", "regression"),
                    "quantiles": spec.get("quantiles", []), "shap": bool(spec.get("shap", False)),
                    **{k: spec.get(k, v) for k, v in GBDT_DEFAULTS.items()}}
            outputs = len(base["quantiles"]) if base["objective"] == "quantile" else 1
            jobs.append((f"{name}/full", "gbdt", {**base, "role": "full"}, [], train_rows * base["trees"] * outputs))
            if name in stacked:
                for k in range(config.folds):
                    jobs.append((f"{name}/fold{k}", "gbdt", {**base, "role": "fold", "fold": k}, [],
                                 train_rows * (config.folds - 1) / config.folds * base["trees"]))
        elif spec["kind"] == "anomaly":
            jobs.append((f"{name}/full", "anomaly", {"model": name, "trees": spec.get("trees", 100), "sample": spec.get("sample", 256)},
                         [], train_rows * GBDT_DEFAULTS["trees"]))
        elif spec["kind"] == "ncf":
            jobs.append((f"{name}/full", "ncf", {"model": name}, [], None))
    for name, spec in ensembles.items():
        inputs = spec["inputs"]
        depends = [job_id for job_id, _, description, _, _ in jobs if description["model"] in inputs]
        objectives = {i: config.models[i].get("objective") for i in inputs}
        jobs.append((f"{name}/full", "stacking", {"model": name, "target": spec["target"], "inputs": inputs,
                                                   "supervised": [i for i in inputs if i in supervised], "objectives": objectives,
                                                   "folds": config.folds, "depends_on": depends, "reference": spec.get("reference")},
                     depends, 0.0))
    return jobs


def read_data(directory, config):
    customers = peer_frame.read(os.path.join(directory, "customers.csv"))
    columns = peer_frame.feature_columns(customers, dataset.TARGETS[0])
    x = peer_frame.features(customers, columns, peer_frame.categorical_levels(customers, columns))
    targets = {c: customers[c].to_numpy(dtype=np.float64) for c in dataset.TARGETS + (dataset.ANOMALY_LABEL,)}
    layout = engage_split.run_layout(targets[config.stratify_target()], config.test_fraction, config.folds, config.seed)
    interactions = pd.read_csv(os.path.join(directory, "interactions.csv"))
    items = pd.read_csv(os.path.join(directory, "items.csv"))
    return {"x": x, "targets": targets, "layout": layout, "interactions": interactions, "items": items,
            "customer_ids": customers[dataset.ID_COLUMN].to_numpy()}


def ray_process_cpu_seconds():
    """CPU seconds (user + system, including reaped children) of this process's descendants — the
    local Ray cluster's processes — read from /proc; and this process's own."""
    ticks = os.sysconf("SC_CLK_TCK")
    parents, cpu = {}, {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        parents[int(entry)] = int(fields[1])
        cpu[int(entry)] = sum(int(v) for v in fields[11:15]) / ticks
    me = os.getpid()
    descendants, frontier = set(), {me}
    while frontier:
        frontier = {p for p, parent in parents.items() if parent in frontier and p not in descendants}
        descendants |= frontier
    return {"descendants": sum(cpu[p] for p in descendants), "driver": cpu.get(me, 0.0), "processes": len(descendants)}


def quality(config, data, results):
    """Each model's test quality, computed by scoring.py from the predictions."""
    layout, targets = data["layout"], data["targets"]
    out = {}
    for name, spec in config.models.items():
        result = results.get(f"{name}/full")
        if spec["kind"] == "gbdt":
            y = targets[spec["target"]][layout.test]
            predictions = result["eval"]
            if spec.get("objective") == "binary":
                out[name] = scoring.binary(y, predictions[:, 0])
            elif spec.get("objective") == "quantile":
                alphas = spec["quantiles"]
                metrics = scoring.quantiles(y, predictions, alphas)
                out[name] = {_engage_quantile_name(k): v for k, v in metrics.items()}
                out[name]["conformal_offset"] = result["conformal_offset"]
            else:
                out[name] = scoring.regression(y, predictions[:, 0])
        elif spec["kind"] == "anomaly":
            y = targets[dataset.ANOMALY_LABEL][layout.test]
            out[name] = {"auc": scoring.anomaly_auc(y, result["eval"][:, 0]),
                         **{f"auc_{part}": scoring.anomaly_auc(y, scores) for part, scores in result["parts"].items()}}
        elif spec["kind"] == "ncf":
            out[name] = {**result["metrics"], **{f"popularity_{k}": v for k, v in result["popularity"].items() if k != "evaluated_users"}}
        elif spec["kind"] == "stacking":
            y = targets[spec["target"]][layout.test]
            out[name] = {"auc": scoring.binary(y, result["eval"][:, 0])["auc"]}
            reference = spec.get("reference")
            if reference and reference in out:
                out[name]["reference_auc"] = out[reference]["auc"]
                out[name]["auc_lift"] = out[name]["auc"] - out[reference]["auc"]
    return out


def _engage_quantile_name(name):
    """scoring.py's `pinball_q0.1` / `coverage_q0.1_q0.9` in engage's terms (`pinball_p10`, `coverage_p10_p90`)."""
    import re

    return re.sub(r"q([0-9.]+)", lambda m: f"p{round(float(m.group(1)) * 100):d}", name)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", required=True, help="cluster.yaml")
    parser.add_argument("--data", required=True, help="the directory `engage generate` wrote")
    parser.add_argument("--result", required=True, help="the result JSON")
    parser.add_argument("--cores", type=int, default=0, help="the host's cores for threads: auto (default: this process's)")
    args = parser.parse_args()
    config = PipelineConfig(args.config, args.cores or measure.core_count())
    phases = {}
    import ray

    os.environ["PYTHONPATH"] = HERE + os.pathsep + os.environ.get("PYTHONPATH", "")
    temp_dir = tempfile.mkdtemp(prefix="ray-", dir="/tmp")
    ray.init(address="local", num_cpus=config.cpus, include_dashboard=False, _temp_dir=temp_dir, log_to_driver=False,
             object_store_memory=1 << 30)
    phases["imports_and_ray_init"] = time.perf_counter() - STARTED
    try:
        started = time.perf_counter()
        data = read_data(args.data, config)
        rows = len(data["x"])
        data_ref = ray.put(data)
        phases["read_csv_split_and_put"] = time.perf_counter() - started

        started = time.perf_counter()
        submitted_at = time.time()
        jobs = plan(config, rows)
        interactions = len(data["interactions"])
        cost = {job_id: (interactions * NEUMF_COST_FACTOR if c is None else c) for job_id, _, _, _, c in jobs}
        tasks = {kind: ray.remote(num_cpus=config.threads, max_retries=0)(runner) for kind, runner in pipeline_jobs.RUNNERS.items()}
        refs = {}
        for job_id, kind, description, depends, _ in sorted(jobs, key=lambda j: -cost[j[0]]):
            refs[job_id] = tasks[kind].remote(data_ref, description, config.threads, *[refs[d] for d in depends])
        results = dict(zip(refs, ray.get(list(refs.values()))))
        phases["job_graph"] = time.perf_counter() - started
        processes = ray_process_cpu_seconds()
    finally:
        started = time.perf_counter()
        ray.shutdown()
        phases["ray_shutdown"] = time.perf_counter() - started
        shutil.rmtree(temp_dir, ignore_errors=True)
    timings = []
    for job_id, kind, description, depends, _ in jobs:
        timing = results[job_id]["timing"]
        timings.append({"job": job_id, "model": description["model"], "kind": kind, "seconds": timing["seconds"],
                        "cpu_seconds": timing["cpu_seconds"], "start": timing["started"] - submitted_at,
                        "end": timing["finished"] - submitted_at, "pid": timing["pid"]})
    out = {"rows": rows, "cpus": config.cpus, "threads": config.threads, "workers": config.workers, "ray_version": ray.__version__,
           "phases": phases, "jobs": timings, "ray_processes_cpu_seconds": processes, "quality": quality(config, data, results),
           "anomaly_forest_seconds": results.get("anomaly/full", {}).get("forest_seconds"),
           "wall_seconds_inside": time.perf_counter() - STARTED}
    with open(args.result, "w") as handle:
        json.dump(out, handle, indent=1, default=float)
    print(f"peer pipeline: {len(timings)} jobs in {phases['job_graph']:.1f} s (ray.init {phases['imports_and_ray_init']:.1f} s, "
          f"data {phases['read_csv_split_and_put']:.1f} s), worker-seconds {sum(t['seconds'] for t in timings):.1f}")


if __name__ == "__main__":
    main()
