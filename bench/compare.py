#!/usr/bin/env python3
"""`make bench`: engage side by side with LightGBM, XGBoost, scikit-learn and shap, in one run,
on the same data, the same cores and the same settings.

    python bench/compare.py --engage .build/release/engage            # everything, 100K and 1M rows
    python bench/compare.py --engage ENGAGE --skip-1m                 # without the 1,000,000-row repeat
    python bench/compare.py --engage ENGAGE --rows 20000 --trees 50 --skip-1m --sections gbdt   # a smoke run
    python bench/compare.py --engage ENGAGE --rows 20000 --sections pipeline   # engage run vs the Ray peer, small

Prints one table per comparison (engage, the peers, engage/peer ratios), then every bar of issues
3, 4 and 5 as PASS / FAIL / SKIP with its numbers, and ends with `N passed, M failed`. Writes
everything to OUT/results.json. A failed bar is reported, not raised: the exit status is 0 unless
something crashed (a command that failed, output that could not be read).
"""
import argparse
import importlib.metadata
import json
import os
import platform
import subprocess
import sys
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import anomaly_bench  # noqa: E402
import curve_bench  # noqa: E402
import dataset  # noqa: E402
import drift_bench  # noqa: E402
import engage_cli  # noqa: E402
import gbdt_bench  # noqa: E402
import gbdt_report  # noqa: E402
import measure  # noqa: E402
import pipeline_bench  # noqa: E402
import real_anomaly  # noqa: E402
import real_tables  # noqa: E402
import recommender_bench  # noqa: E402
import recommender_real  # noqa: E402
import scale_bench  # noqa: E402
import serve_bench  # noqa: E402
from peer_params import Settings  # noqa: E402
from report import Scoreboard  # noqa: E402

SECTIONS = ("gbdt", "anomaly", "recommender", "pipeline", "scale", "curve", "fairness", "registry", "drift", "real", "real-tables", "serve")
PEER_PACKAGES = ("lightgbm", "xgboost-cpu", "xgboost", "scikit-learn", "shap", "pandas", "numpy", "scipy", "fairlearn", "ray", "implicit")


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engage", required=True, help="the engage executable (a release build)")
    parser.add_argument("--out", default=os.path.join(HERE, "out"), help="results.json and the work files go here")
    parser.add_argument("--threads", type=int, default=0, help="threads for every side (default: this machine's cores)")
    parser.add_argument("--rows", type=int, default=100_000, help="customers for the main comparison")
    parser.add_argument("--large-rows", type=int, default=1_000_000, help="customers for the scaling repeat")
    parser.add_argument("--skip-1m", action="store_true", help="skip the scaling repeats at --large-rows (GBDT training and the scale section's pipeline run)")
    parser.add_argument("--curve-rows", type=int, default=None, help="rows for the CURVE on/off runs (default: cluster.yaml's)")
    parser.add_argument("--seed", type=int, default=42, help="generator seed")
    parser.add_argument("--pipeline-rounds", type=int, default=2,
                        help="rounds of the pipeline section: engage run and the Ray peer, alternating (medians)")
    parser.add_argument("--sections", default=",".join(SECTIONS), help=f"comma-separated subset of {', '.join(SECTIONS)}")
    parser.add_argument("--omp-wait-policy", choices=("auto", "default", "passive"), default="auto",
                        help="OpenMP wait policy of the peers: the library default (spinning), passive (sleeping), or auto: "
                             "passive when the machine is already busy at the start (see docs/benchmarks.md)")
    Settings.add_arguments(parser)
    args = parser.parse_args()
    unknown = set(s.strip() for s in args.sections.split(",") if s.strip()) - set(SECTIONS)
    if unknown:
        parser.error(f"--sections: unknown section(s) {', '.join(sorted(unknown))}; choose from {', '.join(SECTIONS)}")
    return args


def package_versions():
    versions = {}
    for name in PEER_PACKAGES:
        try:
            versions[name] = importlib.metadata.version(name)
        except importlib.metadata.PackageNotFoundError:
            pass
    return versions


def machine(engage, threads):
    version = measure.run([engage.path, "--version"], check=False).output.strip()
    try:
        commit = subprocess.run(["git", "-C", HERE, "describe", "--always", "--dirty"], capture_output=True, text=True).stdout.strip()
    except OSError:
        commit = ""
    return {"host": platform.node(), "platform": platform.platform(), "python": platform.python_version(),
            "cores": measure.core_count(), "threads": threads, "engage": engage.path, "engage_version": version,
            "commit": commit, "packages": package_versions(), "load_average_start": os.getloadavg()[0],
            "started": time.strftime("%Y-%m-%d %H:%M:%S")}


class Run:
    """One benchmark run: its sections, the tables they print and the bars they check."""

    def __init__(self, args):
        self.args = args
        self.engage = engage_cli.Engage(args.engage)
        self.threads = args.threads or measure.core_count()
        self.settings = Settings.from_arguments(args)
        self.sections = [s.strip() for s in args.sections.split(",") if s.strip()]
        self.work = os.path.join(os.path.abspath(args.out), "work")
        os.makedirs(self.work, exist_ok=True)
        self.board = Scoreboard()
        self.tables = []
        self.results = {"machine": machine(self.engage, self.threads), "settings": self.settings.to_dict(), "errors": []}
        self.data = None
        self.results["machine"]["omp_wait_policy"] = self.choose_omp_wait_policy(args.omp_wait_policy)

    def choose_omp_wait_policy(self, choice):
        """LightGBM and XGBoost wait at OpenMP barriers by spinning; on a machine whose cores other
        processes also want, the spinning threads steal each other's time slices and training gets
        10–20× slower, which would flatter engage (its threads block). Auto switches the peers to
        passive waiting only when the machine is already busy."""
        busy = os.getloadavg()[0] > measure.core_count() / 2
        if choice == "passive" or (choice == "auto" and busy):
            os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
            return "passive" + (" (auto: machine busy at start)" if choice == "auto" else "")
        os.environ.pop("OMP_WAIT_POLICY", None)
        return "library default"

    def log(self, message):
        sys.stderr.write(f"[bench {time.strftime('%H:%M:%S')}] {message}\n")
        sys.stderr.flush()

    def show(self, table):
        self.tables.append(table)
        print(table.render())
        print(flush=True)

    def guarded(self, name, body):
        """Runs one section; a crash is recorded, printed and counted as a failed bar, and the
        other sections still run."""
        try:
            body()
        except Exception as error:  # noqa: BLE001 - every failure is reported, then the run goes on
            self.log(f"{name} crashed: {error}")
            traceback.print_exc(file=sys.stderr)
            self.results["errors"].append({"section": name, "error": str(error)})
            self.board.check(f"{name}: section ran to completion", False, str(error).splitlines()[0])

    def customers(self, rows):
        self.log(f"preparing {rows:,} customers (engage generate, 80/20 split)")
        return dataset.prepare(self.engage.path, rows, self.args.seed, self.work)

    def gbdt(self):
        bench = gbdt_bench.GBDTBench(self.engage, sys.executable, self.settings, self.threads, self.work, (0.1, 0.5, 0.9), self.log)
        data = self.data = self.customers(self.args.rows)
        small = bench.run(data, {"regression", "binary", "quantile"}, with_scoring=True)
        self.results["gbdt"] = {str(data.rows): small}
        for table in gbdt_report.tables(small, data, self.threads):
            self.show(table)
        gbdt_report.bars(self.board, small, self.settings == Settings())
        if self.args.skip_1m:
            for objective in small:
                self.board.skip(f"GBDT {objective}: training time {self.args.large_rows:,} rows ≤ 12 × {data.rows:,} rows",
                                "skipped (--skip-1m)")
            return
        large_data = self.customers(self.args.large_rows)
        large = bench.run(large_data, {"regression", "binary", "quantile"}, with_scoring=False)
        self.results["gbdt"][str(large_data.rows)] = large
        self.show(gbdt_report.scaling_table(small, large, data.rows, large_data.rows))
        gbdt_report.scaling_bars(self.board, small, large, data.rows, large_data.rows)

    def anomaly(self):
        data = self.data or self.customers(self.args.rows)
        result = anomaly_bench.AnomalyBench(self.engage, sys.executable, self.threads, self.work, self.log).run(data)
        self.results["anomaly"] = result
        self.show(anomaly_bench.table(result))
        anomaly_bench.bars(self.board, result)

    def recommender(self):
        data = self.data or self.customers(self.args.rows)
        result = recommender_bench.RecommenderBench(self.engage, self.threads, self.work, self.log).run(data)
        self.results["recommender"] = result
        for table in recommender_bench.tables(result):
            self.show(table)
        recommender_bench.bars(self.board, result)

    def pipeline(self):
        result = pipeline_bench.PipelineBench(self.engage, sys.executable, self.work, self.log, rows=self.args.rows,
                                              rounds=self.args.pipeline_rounds).run()
        self.results["pipeline"] = result
        with open(os.path.join(self.work, "pipeline", "measured.json"), "w") as handle:
            json.dump(result, handle, indent=1, default=str)  # kept before rendering: `pipeline_bench.py --render` redraws it
        self.show(pipeline_bench.table(result))
        pipeline_bench.bars(self.board, result)

    def scale(self):
        """`engage run` at --rows, then at --large-rows (unless --skip-1m): the 12× bar on wall time, peak RSS per process."""
        result = scale_bench.ScaleBench(self.engage, self.work, self.log).run(self.args.rows, None if self.args.skip_1m else self.args.large_rows)
        self.results["scale"] = result
        self.show(scale_bench.table(result))
        scale_bench.bars(self.board, result, self.args.large_rows)

    def curve(self):
        result = curve_bench.CurveBench(self.engage, self.work, self.log, rows=self.args.curve_rows).run()
        self.results["curve"] = result
        self.show(curve_bench.table(result))
        print(f"CURVE cost: off median {result['curve_off_median']:.2f} s, on median {result['curve_on_median']:.2f} s, "
              f"ratio on/off {result['ratio_on_off']:.3f}", flush=True)

    def serve(self):
        """engage serve against mlflow models serve (bench/serve_bench.py)."""
        name = "serve: mlflow models serve ran beside engage serve"
        try:
            import mlflow  # noqa: F401
        except ImportError as error:
            self.board.skip(name, f"n/a: mlflow is not installed here ({error})")
            return
        result = serve_bench.ServeBench(self.engage, self.work, self.log, seed=self.args.seed).run()
        self.results["serve"] = result
        self.show(serve_bench.table(result))
        p99 = result["engage_paced_p99_ms"]
        ratio = result["throughput_ratio_single"]
        print(f"serve: p99 at 100 req/s of single rows (open loop) {p99:.2f} ms (bar <= 5 ms), mlflow {result['mlflow_paced_p99_ms']:.2f} ms, "
              f"mlflow/engage {result.get('paced_p99_ratio', float('nan')):.1f}x; client floor p99 {result['client_floor']['p99_ms']:.2f} ms; "
              f"max throughput engage/mlflow {ratio:.2f}x single rows, {result['throughput_ratio_batch100']:.2f}x 100 rows (bar >= 5x)", flush=True)
        self.board.check("serve: p99 <= 5 ms at 100 req/s of single rows (open loop)", p99 is not None and p99 <= 5 and result["engage_paced_errors"] == 0,
                         f"{p99:.2f} ms, {result['engage_paced_errors']} errors")
        self.board.check("serve: max single-row throughput >= 5x mlflow models serve", ratio >= 5, f"{ratio:.2f}x")
        self.board.check("serve: no wrk errors on either side", result["engage_single_max_errors"] + result["mlflow_single_max_errors"] == 0,
                         f"engage {result['engage_single_max_errors']}, mlflow {result['mlflow_single_max_errors']}")

    def fairness(self):
        script = os.path.join(HERE, "fairness_agreement.py")
        name = "fairness: engage fairness equals Fairlearn within 1e-9"
        if not os.path.exists(script):
            self.board.skip(name, "n/a: bench/fairness_agreement.py is not there yet")
            return
        if "fairness" not in self.engage.subcommands:
            self.board.skip(name, "n/a (not built yet): engage has no fairness command")
            return
        self.log("fairness_agreement.py")
        measured = measure.run([sys.executable, script, "--engage", self.engage.path], check=False)
        lines = [line for line in measured.output.splitlines() if line.strip()]
        closing = next((line for line in reversed(lines) if " passed, " in line), None)
        if closing is None:
            closing = "no closing line; last output: " + (lines[-1] if lines else "(none)")
        print("Fairness agreement with Fairlearn (bench/fairness_agreement.py)")
        print("---------------------------------------------------------------")
        print("\n".join("  | " + line for line in lines[-15:]))
        print(flush=True)
        self.results["fairness"] = {"returncode": measured.returncode, "closing": closing, "output": measured.output[-20000:]}
        self.board.check(name, measured.returncode == 0, f"{closing} (exit status {measured.returncode})")

    def drift(self):
        if "drift" not in self.engage.subcommands:
            self.board.skip("drift: engage/scipy wall time ≤ 1.0", "n/a (not built yet): engage has no drift command")
            return
        result = drift_bench.DriftBench(self.engage, sys.executable, self.work, self.log).run()
        self.results["drift"] = result
        self.show(drift_bench.table(result))
        drift_bench.bars(self.board, result)

    def real_tables(self):
        result = real_tables.RealTablesBench(self.engage.path, sys.executable, self.settings, self.threads, self.work, self.log).run()
        self.results["real_tables"] = result
        self.show(real_tables.RealTablesTable(result, self.threads))
        real_tables.bars(self.board, result)

    def registry(self):
        self.board.skip("registry: list --where over 10,000 versions < 50 ms",
                        "measured by the Swift long test (make test-long), not by this driver")

    def real(self):
        result = real_anomaly.RealAnomalyBench(self.engage, self.threads, self.work, self.log).run()
        self.results["real"] = real_anomaly.without_parts(result)
        for table in real_anomaly.tables(result):
            self.show(table)
        real_anomaly.bars(self.board, result)
        recommender = recommender_real.RealRecommenderBench(self.engage, self.threads, self.work, self.log).run()
        self.results["real_recommender"] = recommender
        for table in recommender_real.tables(recommender):
            self.show(table)
        recommender_real.bars(self.board, recommender)

    def execute(self):
        started = time.perf_counter()
        m = self.results["machine"]
        print(f"engage bench — {m['engage_version']} ({m['commit']}), {m['cores']} cores, {self.threads} threads for every side")
        print("peers: " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()))
        print(f"settings: {self.settings.to_dict()}; peers' OpenMP wait policy: {m['omp_wait_policy']}")
        print(flush=True)
        for section in self.sections:
            self.guarded(section, getattr(self, section.replace("-", "_")))
        m["load_average_end"] = os.getloadavg()[0]
        m["seconds"] = time.perf_counter() - started
        samples = measure.load_samples + [m["load_average_start"], m["load_average_end"]]
        m["load_average_min"], m["load_average_max"] = min(samples), max(samples)
        if m["load_average_max"] > m["cores"]:
            print(f"warning: the machine was busy (1-minute load average {m['load_average_min']:.1f} to {m['load_average_max']:.1f} "
                  f"on {m['cores']} cores during the run): timings are noisy")
        print(self.board.render())
        print()
        self.results["tables"] = [t.to_dict() for t in self.tables]
        self.results["bars"] = self.board.to_list()
        self.results["summary"] = self.board.summary()
        path = os.path.join(os.path.abspath(self.args.out), "results.json")
        with open(path, "w") as handle:
            json.dump(self.results, handle, indent=1, default=str)
        print(f"results: {path} ({m['seconds']:.0f} s)")
        print(self.board.summary())
        return 1 if self.results["errors"] else 0


def main():
    args = parse_arguments()
    try:
        run = Run(args)
    except (FileNotFoundError, measure.CommandFailed) as error:
        sys.stderr.write(f"bench: {error}\n")
        return 2
    return run.execute()


if __name__ == "__main__":
    sys.exit(main())
