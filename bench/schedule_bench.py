"""Shared bins and cost-packed scheduling, side by side: `engage run --config cluster.yaml` with two
engage binaries (a build from before the change and one from after), alternately, each in a fresh
directory, on the same port-shifted copy of the shipped config.

Prints, per binary and round: wall seconds, the jobs' worker-seconds by model and in total, each
worker's idle seconds (the jobs' wall less its own job seconds), the critical path (the longest
job the ensemble waits for plus the ensemble) and the test metrics; then the after/before ratios of
the medians. Standard library only:

    python3 bench/schedule_bench.py --before /tmp/engage-base --after .build/release/engage --rounds 2
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def summary(output):
    """The JSON summary `engage run --json` prints after its log lines."""
    lines = output.splitlines()
    start = max(i for i, line in enumerate(lines) if line == "{")
    return json.loads("\n".join(lines[start:]))


def figures(result):
    jobs = result["jobs"]
    jobs_wall = result["wallSeconds"] - result["dataSeconds"]
    by_model, busy = {}, {}
    for job in jobs:
        by_model[job["model"]] = by_model.get(job["model"], 0.0) + job["seconds"]
        busy[job["worker"]] = busy.get(job["worker"], 0.0) + job["seconds"]
    ensemble = [j["seconds"] for j in jobs if j["model"] == "ensemble"]
    others = [j["seconds"] for j in jobs if j["model"] != "ensemble"]
    metrics = {v["model"]: v["metrics"] for v in result["versions"]}
    return {
        "wall": result["wallSeconds"],
        "data": result["dataSeconds"],
        "jobs_wall": jobs_wall,
        "worker_seconds": sum(j["seconds"] for j in jobs),
        "by_model": by_model,
        "idle": {w: max(0.0, jobs_wall - b) for w, b in sorted(busy.items())},
        "critical_path": (max(others) if others else 0.0) + (sum(ensemble) if ensemble else 0.0),
        "metrics": metrics,
    }


def run(binary, directory, config):
    shutil.rmtree(directory, ignore_errors=True)
    os.makedirs(directory)
    shutil.copy(config, os.path.join(directory, "cluster.yaml"))
    load = os.getloadavg()[0]
    started = time.monotonic()
    done = subprocess.run([binary, "run", "--config", "cluster.yaml", "--json"], cwd=directory,
                          stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    output = done.stdout.decode("utf-8", errors="replace")
    with open(os.path.join(directory, "output.txt"), "w") as handle:
        handle.write(output)
    if done.returncode != 0:
        sys.exit(f"{binary} failed ({done.returncode}); see {directory}/output.txt")
    result = figures(summary(output))
    result["process_seconds"] = time.monotonic() - started
    result["load_before"] = load
    result["load_after"] = os.getloadavg()[0]
    return result


def show(label, r):
    models = ", ".join(f"{m} {s:.1f}" for m, s in sorted(r["by_model"].items(), key=lambda item: -item[1]))
    idle = ", ".join(f"{w} {s:.1f}" for w, s in r["idle"].items())
    print(f"{label}: wall {r['wall']:.1f} s (data {r['data']:.1f}), {r['worker_seconds']:.1f} worker-s [{models}], "
          f"idle [{idle}], critical path {r['critical_path']:.1f} s, load {r['load_before']:.1f}→{r['load_after']:.1f}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", required=True, help="engage built before the change")
    parser.add_argument("--after", required=True, help="engage built after it")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--port", type=int, default=5731, help="coordinator port of the copied config")
    parser.add_argument("--out", default=os.path.join(HERE, "out", "schedule"))
    args = parser.parse_args()
    with open(os.path.join(os.path.dirname(HERE), "cluster.yaml")) as handle:
        text = handle.read().replace("tcp://127.0.0.1:5555", f"tcp://127.0.0.1:{args.port}")
    os.makedirs(args.out, exist_ok=True)
    config = os.path.join(args.out, "cluster.yaml")
    with open(config, "w") as handle:
        handle.write(text)
    results = {"before": [], "after": []}
    for round_ in range(args.rounds):
        for side, binary in (("before", args.before), ("after", args.after)):
            r = run(os.path.abspath(binary), os.path.join(args.out, f"{side}-{round_}"), config)
            results[side].append(r)
            show(f"round {round_ + 1} {side}", r)
    with open(os.path.join(args.out, "results.json"), "w") as handle:
        json.dump(results, handle, indent=2)
    print("after / before, medians over the rounds:")
    for key in ("wall", "jobs_wall", "worker_seconds", "critical_path"):
        before = statistics.median(r[key] for r in results["before"])
        after = statistics.median(r[key] for r in results["after"])
        print(f"  {key}: {after:.1f} / {before:.1f} = {after / before:.3f}")
    models = sorted(results["before"][0]["by_model"])
    for model in models:
        before = statistics.median(r["by_model"].get(model, 0) for r in results["before"])
        after = statistics.median(r["by_model"].get(model, 0) for r in results["after"])
        print(f"  {model} worker-s: {after:.1f} / {before:.1f} = {after / max(before, 1e-9):.3f}")
    idle_before = statistics.median(sum(r["idle"].values()) for r in results["before"])
    idle_after = statistics.median(sum(r["idle"].values()) for r in results["after"])
    print(f"  idle worker-s (all workers): {idle_after:.1f} / {idle_before:.1f}")
    print("test metrics (first round):")
    for model in sorted(results["before"][0]["metrics"]):
        b, a = results["before"][0]["metrics"][model], results["after"][0]["metrics"].get(model, {})
        keys = [k for k in ("auc", "r2", "pinball_p50", "coverage_p10_p90", "hit_rate_at_10", "auc_lift") if k in b]
        print(f"  {model}: " + ", ".join(f"{k} {b[k]:.4f} → {a.get(k, float('nan')):.4f}" for k in keys))


if __name__ == "__main__":
    main()
