"""Issue 14's pipeline comparison: `engage run` with the shipped cluster.yaml beside the same job
graph on Ray with LightGBM, scikit-learn and `implicit` (bench/peer_pipeline.py), in the same
invocation, alternating (engage then Ray, then Ray then engage, …), on the same generated data,
the same split and folds, and the same cores.

Per side and round: the whole command's wall time and CPU seconds (rusage_launcher.py: the
command and every descendant it waited for), the worker-seconds (engage: each job's seconds in
`engage run --json`; Ray: each task's wall seconds measured inside it), per model, the longest
job and the critical path (the longest job an ensemble waits for, plus the ensemble's job). The
peer also reports its tasks' CPU seconds and the CPU seconds of every Ray process. Wall times
and worker-seconds are medians over the rounds; quality is the first round's (both sides are
seeded).

Checks that the two sides test on the same rows: the customer shards of engage's first run must
each fall in exactly one part (test or fold k) of the peer's reproduced split, and the peer's
popularity baseline, computed on its reproduction of engage's leave-one-out split and negatives,
must equal engage's `popularity_hr@10`.
"""
import json
import os
import shutil
import statistics

import numpy as np

import dataset
import engage_shards
import engage_split
import measure

HERE = os.path.dirname(os.path.abspath(__file__))
EXPECTED_MODELS = {"engagement", "churn", "lifetime_value", "anomaly", "recommender", "ensemble"}
WALL_GOAL_SECONDS = 60.0
WALL_RATIO_BAR = 0.5
AUC_MARGIN = 0.003
R2_MARGIN = 0.005
PROTOCOL_TOLERANCE = 1e-9


class PipelineBench:
    def __init__(self, engage, python, work_dir, log, rows=None, rounds=2, config=None):
        self.engage = engage
        self.python = python
        self.work = work_dir
        self.directory = os.path.join(work_dir, "pipeline")
        self.config = config or os.path.join(os.path.dirname(HERE), "cluster.yaml")
        self.rows = rows
        self.rounds = rounds
        self.log = log

    def run(self):
        import peer_pipeline

        config = peer_pipeline.PipelineConfig(self.config, measure.core_count())
        os.makedirs(self.directory, exist_ok=True)
        rows = self.rows
        data = dataset.prepare(self.engage.path, rows, config.seed, self.work) if rows else None
        result = {"rows": rows, "rounds": [], "engage": [], "peer": [], "config": os.path.basename(self.config),
                  "cpus": config.cpus, "threads": config.threads, "workers": config.workers}
        for round_ in range(self.rounds):
            order = ("engage", "peer") if round_ % 2 == 0 else ("peer", "engage")
            for side in order:
                load = os.getloadavg()[0]
                if side == "engage":
                    summary = self.engage_run(round_, check_split=round_ == 0, config=config, data=data)
                else:
                    summary = self.peer_run(round_, data)
                summary["load_average_start"] = load
                summary["round"] = round_
                result[side].append(summary)
                self.log(f"pipeline round {round_ + 1}/{self.rounds}: {side} {summary['process_wall_seconds']:.1f} s "
                         f"(load average {load:.1f})")
        return result

    def engage_run(self, round_, check_split, config, data):
        directory = os.path.join(self.directory, f"engage-{round_}")
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
        shutil.copy(self.config, os.path.join(directory, "cluster.yaml"))
        argv = [self.engage.path, "run", "--config", "cluster.yaml", "--json"]
        if self.rows:
            argv += ["--rows", str(self.rows)]
        self.log(" ".join(["engage"] + argv[1:]) + f" in a fresh directory (round {round_ + 1})")
        measured = measure.run(argv, cwd=directory)
        summary = parse_summary(measured.output)
        summary["process_wall_seconds"] = measured.wall_seconds
        summary["process_cpu_seconds"] = measured.cpu_seconds
        summary["peak_rss_mib_coordinator"] = measured.peak_rss_mib
        if check_split and data is not None:
            summary["split_check"] = split_check(directory, data, config)
        shutil.rmtree(directory, ignore_errors=True)
        return summary

    def peer_run(self, round_, data):
        result_path = os.path.join(self.directory, f"peer-{round_}.json")
        self.log(f"peer_pipeline.py on Ray (round {round_ + 1})")
        measured = measure.run([self.python, os.path.join(HERE, "peer_pipeline.py"), "--config", self.config,
                                "--data", data.directory, "--result", result_path])
        with open(result_path) as handle:
            summary = json.load(handle)
        summary["process_wall_seconds"] = measured.wall_seconds
        summary["process_cpu_seconds"] = measured.cpu_seconds
        summary["peak_rss_mib_driver"] = measured.peak_rss_mib
        return summary


def parse_summary(output):
    """The JSON summary `engage run --json` prints after its log lines."""
    lines = output.splitlines()
    start = max(i for i, line in enumerate(lines) if line == "{")
    return json.loads("\n".join(lines[start:]))


def split_check(run_directory, data, config):
    """Whether every customer shard of the engage run lies inside one part of the peer's split."""
    import pandas as pd

    customers = pd.read_csv(data.customers_csv, usecols=[dataset.ID_COLUMN, config.stratify_target()])
    layout = engage_split.run_layout(customers[config.stratify_target()].to_numpy(dtype=float), config.test_fraction,
                                     config.folds, config.seed)
    ids = [id_key(v) for v in customers[dataset.ID_COLUMN].to_numpy()]
    part_of = {}
    for row in layout.test:
        part_of[ids[row]] = "test"
    for position, row in enumerate(layout.train):
        part_of[ids[row]] = f"fold{layout.train_fold[position]}"
    shards = engage_shards.customer_shards(os.path.join(run_directory, "work"), dataset.ID_COLUMN, [config.stratify_target()])
    parts, covered, mixed = {}, 0, 0
    for shard_ids in shards:
        names = {part_of.get(id_key(i), "unknown") for i in shard_ids}
        if len(names) != 1:
            mixed += 1
            continue
        name = names.pop()
        parts[name] = parts.get(name, 0) + len(shard_ids)
        covered += len(shard_ids)
    expected = {"test": len(layout.test), **{f"fold{k}": int((layout.train_fold == k).sum()) for k in range(config.folds)}}
    return {"shards": len(shards), "mixed_shards": mixed, "rows_by_part": parts, "expected_rows_by_part": expected,
            "same": mixed == 0 and parts == expected}


def format_metric(value):
    return "n/a" if value is None else f"{value:.5f}"


def ray_cpu_seconds(run):
    """The peer's CPU seconds over all its processes: the driver and every Ray process, from /proc
    before shutdown (wait4 does not see Ray's workers, which Ray's own processes start and reap)."""
    processes = run["ray_processes_cpu_seconds"]
    return processes["descendants"] + processes["driver"]


def id_key(value):
    """An id as text, whether a shard or the CSV holds it as a number or as a level."""
    if isinstance(value, (int, float, np.integer, np.floating)) and np.isfinite(value) and float(value).is_integer():
        return str(int(value))
    return str(value)


def median(values):
    values = [v for v in values if v is not None]
    return statistics.median(values) if values else None


def per_model(jobs):
    out = {}
    for job in jobs:
        seconds, count = out.get(job["model"], (0.0, 0))
        out[job["model"]] = (seconds + job["seconds"], count + 1)
    return out


def critical_path(jobs, ensemble="ensemble"):
    """(longest job, its seconds), and the longest base job plus the ensemble's job: the run's
    shortest possible wall time with unlimited workers, from these jobs' own seconds."""
    base = [j for j in jobs if j["model"] != ensemble]
    longest = max(base, key=lambda j: j["seconds"]) if base else None
    stacked = sum(j["seconds"] for j in jobs if j["model"] == ensemble)
    return (longest["job"] if longest else None, longest["seconds"] if longest else 0.0), (longest["seconds"] if longest else 0.0) + stacked


def side_figures(runs, wall_key):
    """Medians over rounds of one side's figures."""
    figures = {"wall": median([r["process_wall_seconds"] for r in runs]), "walls": [r["process_wall_seconds"] for r in runs],
               "loads": [r["load_average_start"] for r in runs], "cpu": median([r.get("process_cpu_seconds") for r in runs]),
               "worker_seconds": median([sum(j["seconds"] for j in r["jobs"]) for r in runs]),
               "jobs": len(runs[0]["jobs"]), "inner_wall": median([wall_key(r) for r in runs])}
    models = sorted({m for r in runs for m in per_model(r["jobs"])})
    figures["models"] = {m: (median([per_model(r["jobs"]).get(m, (0.0, 0))[0] for r in runs]), per_model(runs[0]["jobs"]).get(m, (0, 0))[1])
                         for m in models}
    paths = [critical_path(r["jobs"]) for r in runs]
    figures["longest_job"] = paths[0][0][0]
    figures["longest_seconds"] = median([p[0][1] for p in paths])
    figures["critical_path"] = median([p[1] for p in paths])
    return figures


def timeline_rows(runs):
    """engage's own timeline (`timeline` in `engage run --json`), medians over rounds: the
    coordinator's CPU seconds outside and inside the jobs phase, its registration CPU seconds, the
    workers' CPU seconds in their jobs and their input reading, and each worker's idle seconds."""
    timelines = [r.get("timeline") for r in runs if r.get("timeline")]
    if not timelines:
        return []

    def phase_cpu(t, jobs_phase):
        return sum(p["cpuSeconds"] for p in t["phases"] if p["phase"].startswith("jobs") == jobs_phase)

    rows = [
        ("  engage: coordinator CPU seconds before the jobs (data, shards, binning)", median([phase_cpu(t, False) for t in timelines])),
        ("  engage: coordinator CPU seconds during the jobs", median([phase_cpu(t, True) for t in timelines])),
        ("    of which registering results", median([sum(j["registerCPUSeconds"] for j in t["jobs"]) for t in timelines])),
        ("  engage: workers' CPU seconds in their jobs", median([sum(j.get("workerCPUSeconds") or 0 for j in t["jobs"]) for t in timelines])),
        ("  engage: workers' seconds reading job inputs", median([sum(j.get("inputSeconds") or 0 for j in t["jobs"]) for t in timelines])),
    ]
    for worker in sorted({w["worker"] for t in timelines for w in t["workers"]}):
        idle = [w["idleSeconds"] for t in timelines for w in t["workers"] if w["worker"] == worker]
        rows.append((f"  engage: {worker} idle (first dispatch to end, less its jobs)", median(idle)))
    return rows


def engage_quality(run):
    return {v["model"]: v["metrics"] for v in run["versions"]}


QUALITY_ROWS = (
    ("churn", "auc", "churn test AUC"),
    ("churn", "logloss", "churn test log loss"),
    ("engagement", "r2", "engagement test R²"),
    ("engagement", "rmse", "engagement test RMSE"),
    ("lifetime_value", "pinball_p10", "lifetime_value pinball P10"),
    ("lifetime_value", "pinball_p50", "lifetime_value pinball P50"),
    ("lifetime_value", "pinball_p90", "lifetime_value pinball P90"),
    ("lifetime_value", "coverage_p10_p90", "lifetime_value P10–P90 coverage (calibrated)"),
    ("anomaly", "auc", "anomaly AUC (the model's score)"),
    ("anomaly", "auc_isolation_forest", "  isolation forest alone"),
    ("anomaly", "auc_autoencoder", "  autoencoder alone"),
    ("recommender", "hr@10", "recommender HR@10 (NeuMF / implicit ALS)"),
    ("recommender", "ndcg@10", "recommender NDCG@10"),
    ("recommender", "popularity_hr@10", "popularity HR@10 (same split check)"),
    ("ensemble", "auc", "ensemble test AUC"),
    ("ensemble", "reference_auc", "  its reference (churn) AUC"),
)


def quality_pairs(result):
    engage = engage_quality(result["engage"][0])
    peer = result["peer"][0]["quality"]
    pairs = []
    for model, metric, label in QUALITY_ROWS:
        e = engage.get(model, {}).get(metric)
        p = peer.get(model, {}).get(metric)
        pairs.append((model, metric, label, e, p))
    return pairs


def table(result):
    from report import Table

    rows_text = f"{result['rows']:,} customers" if result.get("rows") else "the config's rows"
    t = Table(f"Pipeline — `engage run --config {result['config']}` beside the same job graph on Ray "
              f"({rows_text}, {result['workers']} workers × {result['threads']} thread(s), Ray num_cpus={result['cpus']})",
              peers=("Ray + LightGBM/sklearn/implicit", "-"))
    e = side_figures(result["engage"], lambda r: r["wallSeconds"])
    p = side_figures(result["peer"], lambda r: r["phases"]["job_graph"])
    t.add(f"wall seconds, whole command (median of {len(e['walls'])})", e["wall"], p["wall"], unit="s")
    for index, (ew, pw) in enumerate(zip(e["walls"], p["walls"])):
        t.add(f"  round {index + 1} (load average {result['engage'][index]['load_average_start']:.1f} / "
              f"{result['peer'][index]['load_average_start']:.1f})", ew, pw, unit="s")
    t.add("  engage: data; Ray: imports + ray.init", median([r["dataSeconds"] for r in result["engage"]]),
          median([r["phases"]["imports_and_ray_init"] for r in result["peer"]]), unit="s")
    t.add("  Ray: read CSVs, split, put", None, median([r["phases"]["read_csv_split_and_put"] for r in result["peer"]]), unit="s")
    t.add("  engage: jobs (wall − data); Ray: job graph", median([r["wallSeconds"] - r["dataSeconds"] for r in result["engage"]]),
          p["inner_wall"], unit="s")
    t.add("CPU seconds, all processes (engage: wait4 of the command; Ray: /proc)", e["cpu"],
          median([ray_cpu_seconds(r) for r in result["peer"]]), unit="s")
    t.add(f"worker-seconds over {e['jobs']} / {p['jobs']} jobs", e["worker_seconds"], p["worker_seconds"], unit="s")
    t.add("  Ray: CPU seconds inside the tasks", None, median([sum(j["cpu_seconds"] for j in r["jobs"]) for r in result["peer"]]), unit="s")
    for model in sorted(set(e["models"]) | set(p["models"]), key=lambda m: -e["models"].get(m, (0, 0))[0]):
        (es, ec), (ps, pc) = e["models"].get(model, (None, 0)), p["models"].get(model, (None, 0))
        t.add(f"  {model}: {ec} / {pc} job(s)", es, ps, unit="s")
    for label, figure in timeline_rows(result["engage"]):
        t.add(label, figure, None, unit="s")
    t.add(f"longest job (engage {e['longest_job']}, Ray {p['longest_job']})", e["longest_seconds"], p["longest_seconds"], unit="s")
    t.add("critical path: longest input job + ensemble job", e["critical_path"], p["critical_path"], unit="s")
    for _, _, label, ev, pv in quality_pairs(result):
        t.add(label, ev, pv)
    t.notes.append("ratio = engage / Ray. Worker-seconds: engage's per-job seconds from `engage run --json`; Ray's each task's "
                   "wall seconds measured inside the task. Quality: first round, test rows (the same rows on both sides), "
                   "computed by engage (registry metrics) and by scikit-learn from the peer's predictions.")
    t.notes.append("peer choices: anomaly = rank average of IsolationForest and an MLPRegressor autoencoder (each alone shown); "
                   "recommender = implicit ALS with its defaults; ensemble = StandardScaler + LogisticRegression on "
                   "engage's out-of-fold layout. The peer's full GBDT jobs also compute permutation importance (5,000 rows) "
                   "and, for churn, TreeSHAP (2,000 rows), as engage's do; it writes no registry and no fairness reports.")
    check = result["engage"][0].get("split_check")
    if check:
        t.notes.append(f"split check: {check['shards']} customer shards of engage's run, {check['mixed_shards']} mixed; "
                       f"rows by part {check['rows_by_part']} vs the peer's {check['expected_rows_by_part']}")
    return t


def bars(board, result):
    run = result["engage"][0]
    versions = {v["model"]: v for v in run["versions"]}
    board.check("pipeline: make run's config lands 6 new registry versions", set(versions) == EXPECTED_MODELS and len(run["versions"]) == 6,
                f"{len(run['versions'])} versions: {', '.join(sorted(versions))}")
    check = run.get("split_check")
    if check is None:
        board.skip("pipeline: the Ray peer tests on engage's rows (shards = reproduced split)", "no split check (no data directory)")
    else:
        board.check("pipeline: the Ray peer tests on engage's rows (shards = reproduced split)", check["same"],
                    f"{check['shards']} shards, {check['mixed_shards']} mixed, rows {check['rows_by_part']}")
    e = side_figures(result["engage"], lambda r: r["wallSeconds"])
    p = side_figures(result["peer"], lambda r: r["phases"]["job_graph"])
    loads = ", ".join(f"{x:.1f}" for x in e["loads"] + p["loads"])
    board.check(f"pipeline: engage wall ≤ {WALL_RATIO_BAR} × Ray's (same run, median of {len(e['walls'])} rounds)",
                e["wall"] <= WALL_RATIO_BAR * p["wall"],
                f"engage {e['wall']:.1f} s, Ray {p['wall']:.1f} s, ratio {e['wall'] / p['wall']:.3f} (load averages {loads})")
    quality = {(model, metric): (ev, pv) for model, metric, _, ev, pv in quality_pairs(result)}

    def margin_bar(name, key, margin):
        ev, pv = quality[key]
        if ev is None or pv is None:
            board.skip(name, f"missing: engage {ev}, peer {pv}")
        else:
            board.check(name, ev >= pv - margin, f"engage {ev:.5f}, peer {pv:.5f}, difference {ev - pv:+.5f}")

    margin_bar(f"pipeline: churn AUC ≥ LightGBM's − {AUC_MARGIN}", ("churn", "auc"), AUC_MARGIN)
    margin_bar(f"pipeline: engagement R² ≥ LightGBM's − {R2_MARGIN}", ("engagement", "r2"), R2_MARGIN)
    margin_bar("pipeline: anomaly AUC ≥ the peer's (IsolationForest + MLP autoencoder)", ("anomaly", "auc"), 0.0)
    margin_bar("pipeline: recommender HR@10 ≥ implicit ALS's", ("recommender", "hr@10"), 0.0)
    ev, pv = quality[("recommender", "popularity_hr@10")]
    name = "pipeline: same leave-one-out split and negatives (popularity HR@10 equal)"
    if ev is None or pv is None:
        board.skip(name, f"missing: engage {ev}, peer {pv}")
    else:
        board.check(name, abs(ev - pv) <= PROTOCOL_TOLERANCE, f"engage {ev:.6f}, peer {pv:.6f}")
    ensemble = versions.get("ensemble", {}).get("metrics", {})
    if "auc" in ensemble and "reference_auc" in ensemble:
        board.check("ensemble: test AUC ≥ the churn model's test AUC", ensemble["auc"] >= ensemble["reference_auc"],
                    f"ensemble {ensemble['auc']:.5f}, churn {ensemble['reference_auc']:.5f}, lift {ensemble['auc'] - ensemble['reference_auc']:+.5f}; "
                    f"peer ensemble {format_metric(quality[('ensemble', 'auc')][1])}")
    else:
        board.skip("ensemble: test AUC ≥ the churn model's test AUC", "no ensemble version with auc and reference_auc")
    board.check(f"pipeline: wall time < {WALL_GOAL_SECONDS:.0f} s on this machine (goal)", run["wallSeconds"] < WALL_GOAL_SECONDS,
                f"{run['wallSeconds']:.1f} s (data {run['dataSeconds']:.1f} s)")


def main():
    """`pipeline_bench.py --render measured.json`: the table and bars of a measured pipeline section again."""
    import argparse
    import sys

    sys.path.insert(0, HERE)
    from report import Scoreboard

    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--render", required=True, help="the measured.json that compare.py's pipeline section wrote")
    args = parser.parse_args()
    with open(args.render) as handle:
        result = json.load(handle)
    print(table(result).render())
    board = Scoreboard()
    bars(board, result)
    print(board.render())


if __name__ == "__main__":
    main()
