"""Issue 14's scale bar: `engage run` with the shipped cluster.yaml at the main row count
(`--rows`, 100,000) and then at `--large-rows` (1,000,000), back to back on the same machine, each
in a fresh directory. Prints wall time, data time, worker-seconds, the ratio large/small against
the 12× bar, and the peak RSS of the coordinator and of each worker as the run's JSON summary
reports them (each worker measures its own, VmHWM, and reports it on HEARTBEAT and RESULT).
"""
import os
import re
import shutil

import measure
from gbdt_report import SCALING_LIMIT
from pipeline_bench import parse_summary

HERE = os.path.dirname(os.path.abspath(__file__))
MIB = 1024 * 1024


class ScaleBench:
    def __init__(self, engage, work_dir, log, config=None):
        self.engage = engage
        self.work_dir = work_dir
        self.config = config or os.path.join(os.path.dirname(HERE), "cluster.yaml")
        self.log = log

    def run_once(self, rows):
        directory = os.path.join(self.work_dir, f"scale-{rows}")
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory)
        with open(self.config) as source, open(os.path.join(directory, "cluster.yaml"), "w") as copy:
            copy.write(any_port(source.read()))
        self.log(f"engage run --config cluster.yaml --rows {rows} --json (fresh directory, load {os.getloadavg()[0]:.1f})")
        load_start = os.getloadavg()[0]
        measured = measure.run([self.engage.path, "run", "--config", "cluster.yaml", "--rows", str(rows), "--json"], cwd=directory)
        summary = parse_summary(measured.output)
        shutil.rmtree(directory, ignore_errors=True)
        return summarize(rows, summary, measured, load_start, os.getloadavg()[0])

    def run(self, small_rows, large_rows):
        result = {"small": self.run_once(small_rows)}
        if large_rows:
            result["large"] = self.run_once(large_rows)
            result["ratio"] = result["large"]["wall_seconds"] / result["small"]["wall_seconds"]
        return result


def any_port(config_text):
    """The config with its coordinator bound to a free loopback port (`:*`) instead of the fixed
    one, so the runs do not fail when another engage on this machine holds it; nothing else changes."""
    return re.sub(r'bind: "tcp://127\.0\.0\.1:\d+"', 'bind: "tcp://127.0.0.1:*"', config_text, count=1)


def summarize(rows, summary, measured, load_start, load_end):
    """The figures of one run, from its JSON summary; RSS in MiB."""
    peak = summary.get("peakRSS", {})
    jobs = summary.get("jobs", [])
    return {
        "rows": rows,
        "wall_seconds": summary["wallSeconds"],
        "data_seconds": summary["dataSeconds"],
        "worker_seconds": sum(job["seconds"] for job in jobs),
        "jobs": len(jobs),
        "versions": len(summary.get("versions", [])),
        "failure": summary.get("failure"),
        "process_wall_seconds": measured.wall_seconds,
        "coordinator_peak_rss_mib": peak["coordinator"] / MIB if peak.get("coordinator") is not None else None,
        "worker_peak_rss_mib": {name: value / MIB for name, value in sorted(peak.get("workers", {}).items())},
        "load_average": [load_start, load_end],
    }


def table(result):
    """Column 'engage' is the large run, the first peer column the small one, so the ratio column
    is the growth large/small; without a large run, 'engage' is the small run alone."""
    from report import Table

    small, large = result["small"], result.get("large")
    main, base = (large, small) if large else (small, None)
    t = Table(f"Scale — `engage run` with the shipped cluster.yaml at {main['rows']:,} rows"
              + (f" beside {base['rows']:,}" if base else ""), peers=(f"{base['rows']:,} rows" if base else "-", "-"))
    for label, key, unit in (("wall seconds", "wall_seconds", "s"), ("data: generate, check, shard", "data_seconds", "s"),
                             ("worker-seconds over all jobs", "worker_seconds", "s")):
        t.add(label, main[key], base[key] if base else None, unit=unit)
    t.add("peak RSS coordinator", main["coordinator_peak_rss_mib"], base["coordinator_peak_rss_mib"] if base else None, unit="MiB")
    for name in sorted(set(main["worker_peak_rss_mib"]) | set(base["worker_peak_rss_mib"] if base else [])):
        t.add(f"peak RSS worker {name.split('@')[0]}", main["worker_peak_rss_mib"].get(name),
              base["worker_peak_rss_mib"].get(name) if base else None, unit="MiB")
    t.add("load average at start / end", f"{main['load_average'][0]:.1f} / {main['load_average'][1]:.1f}",
          f"{base['load_average'][0]:.1f} / {base['load_average'][1]:.1f}" if base else None)
    t.notes.append(f"the ratio column is the growth {main['rows']:,} / {base['rows']:,} rows; the bar is ≤ {SCALING_LIMIT:g}× on wall seconds"
                   if base else "no large run (--skip-1m)")
    return t


def bars(board, result, large_rows):
    name = f"scale: engage run wall time {large_rows:,} rows ≤ {SCALING_LIMIT:g} × {result['small']['rows']:,} rows"
    large = result.get("large")
    if large is None:
        board.skip(name, "skipped (--skip-1m)")
        return
    small = result["small"]
    failed = [f"{r['rows']:,}: {r['failure']}" for r in (small, large) if r["failure"]]
    workers = ", ".join(f"{n.split('@')[0]} {v:.0f}" for n, v in large["worker_peak_rss_mib"].items())
    board.check(name, result["ratio"] <= SCALING_LIMIT and not failed,
                f"{small['wall_seconds']:.1f} s → {large['wall_seconds']:.1f} s, {result['ratio']:.2f}×; "
                f"peak RSS at {large['rows']:,}: coordinator {large['coordinator_peak_rss_mib'] or 0:.0f} MiB, workers {workers or 'none'} MiB"
                + (f"; failed: {'; '.join(failed)}" if failed else ""))
