"""The cost of CURVE: `engage run` wall time with CURVE against without, in the same run.

Keys come from `engage keys generate --out keys --workers 2`; the config is the shipped
cluster.yaml (all six models; its 100,000 rows unless `rows` is given, e.g. `--curve-rows 20000`
for a quicker figure), with `security.curve` switched on or off. Runs alternate off, on, off, on
(`runs` of each) so that a machine getting busier or quieter weighs on both sides alike; each
run starts without worker caches, so every run sends every shard. Prints the medians and the
ratio on/off of the pipeline's own wall seconds (the summary's `wallSeconds`).

    python bench/curve_bench.py --engage .build/release/engage [--rows 20000] [--runs 2]
"""
import argparse
import os
import re
import shutil
import statistics

import measure
import pipeline_bench

HERE = os.path.dirname(os.path.abspath(__file__))
SECURITY_LINE = re.compile(r"^(\s*)security:.*$", re.MULTILINE)


class CurveBench:
    def __init__(self, engage, work_dir, log, rows=None, runs=2, config=None):
        self.engage = engage
        self.directory = os.path.join(work_dir, "curve")
        self.config = config or os.path.join(os.path.dirname(HERE), "cluster.yaml")
        self.rows = rows
        self.runs = runs
        self.log = log

    def run(self):
        shutil.rmtree(self.directory, ignore_errors=True)
        os.makedirs(self.directory)
        measure.run([self.engage.path, "keys", "generate", "--out", "keys", "--workers", "2"], cwd=self.directory)
        with open(self.config) as handle:
            text = handle.read()
        for curve in (False, True):
            self.write_config(text, curve)
        walls = {False: [], True: []}
        for index in range(self.runs):
            for curve in (False, True):
                walls[curve].append(self.one_run(curve, index))
        off, on = statistics.median(walls[False]), statistics.median(walls[True])
        return {"rows": self.rows or "cluster.yaml", "runs": self.runs, "curve_off_seconds": walls[False], "curve_on_seconds": walls[True],
                "curve_off_median": off, "curve_on_median": on, "ratio_on_off": on / off}

    def write_config(self, text, curve):
        security = f"security: {{ curve: {'true' if curve else 'false'}, keys: keys/ }}"
        patched, count = SECURITY_LINE.subn(lambda m: m.group(1) + security, text, count=1)
        if count == 0:
            raise ValueError(f"{self.config}: no cluster.security line to switch CURVE in")
        with open(self.config_path(curve), "w") as handle:
            handle.write(patched)

    def config_path(self, curve):
        return os.path.join(self.directory, f"cluster-curve-{'on' if curve else 'off'}.yaml")

    def one_run(self, curve, index):
        shutil.rmtree(os.path.join(self.directory, "work"), ignore_errors=True)
        argv = [self.engage.path, "run", "--config", self.config_path(curve), "--json", "--quiet",
                "--registry", f"registry-curve-{'on' if curve else 'off'}.sqlite", "--bind", "tcp://127.0.0.1:*"]
        if self.rows:
            argv += ["--rows", str(self.rows)]
        self.log(f"CURVE {'on ' if curve else 'off'} run {index + 1}/{self.runs}: {' '.join(argv[1:])}")
        summary = pipeline_bench.parse_summary(measure.run(argv, cwd=self.directory).output)
        if summary.get("failure"):
            raise RuntimeError(f"CURVE {'on' if curve else 'off'} run failed: {summary['failure']}")
        return summary["wallSeconds"]


def table(result):
    from report import Table

    t = Table(f"CURVE cost — `engage run` ({result['rows']} rows), CURVE on against off, alternating", peers=("-", "-"))
    t.add("CURVE off: median wall seconds", result["curve_off_median"], unit="s")
    t.add("CURVE on: median wall seconds", result["curve_on_median"], unit="s")
    t.add("ratio on / off", result["ratio_on_off"])
    t.notes.append("runs: off " + ", ".join(f"{s:.1f}" for s in result["curve_off_seconds"])
                   + " s; on " + ", ".join(f"{s:.1f}" for s in result["curve_on_seconds"]) + " s")
    return t


def main():
    import engage_cli

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engage", required=True)
    parser.add_argument("--out", default=os.path.join(HERE, "out"))
    parser.add_argument("--rows", type=int, default=None, help="override data.rows (default: cluster.yaml's)")
    parser.add_argument("--runs", type=int, default=2, help="runs of each side")
    args = parser.parse_args()
    result = CurveBench(engage_cli.Engage(args.engage), os.path.join(os.path.abspath(args.out), "work"), print, rows=args.rows, runs=args.runs).run()
    print(table(result).render())
    print(f"CURVE off median {result['curve_off_median']:.2f} s, on median {result['curve_on_median']:.2f} s, ratio on/off {result['ratio_on_off']:.3f}")


if __name__ == "__main__":
    main()
