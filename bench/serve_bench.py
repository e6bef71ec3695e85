"""engage serve against `mlflow models serve`, same client (wrk), same machine, same run.

engage trains a churn GBDT through `engage run` on generated customers and serves it from the
registry (`engage serve --model churn@1`, V1 records endpoint); LightGBM trains a model of the same
size (trees, leaves, learning rate) on the same CSV rows and features, saved as an MLflow pyfunc
(a thin wrapper that gives the categorical columns their training categories, as engage's schema
does) and served by `mlflow models serve --env-manager local` on `/invocations` with
`dataframe_records`. Both get the same JSON records. Measured with wrk, alternating servers:

- single rows at about 100 requests/s (wrk, 1 connection, a 10 ms pause between requests): p50, p99;
- single rows flat out (2 threads, 16 connections): requests/s, p50, p99;
- 100-row requests flat out (2 threads, 8 connections): requests/s, p50, p99.

    python bench/serve_bench.py --engage .build/release/engage [--rows 20000] [--trees 100] [--seconds 8]
"""
import argparse
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request

import measure

HERE = os.path.dirname(os.path.abspath(__file__))
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{body}", "rb")
wrk.body = f:read("*a")
f:close()
local pause = {pause}
if pause > 0 then
  function delay() return pause end
end
function done(summary, latency, requests)
  local errors = summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.status + summary.errors.timeout
  io.write(string.format('WRK {{"requests": %d, "seconds": %f, "errors": %d, "p50_us": %f, "p99_us": %f, "max_us": %f}}\\n',
    summary.requests, summary.duration / 1e6, errors, latency:percentile(50), latency:percentile(99), latency.max))
end
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(url, seconds, process):
    deadline = time.time() + seconds
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: the server exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as reply:
                if reply.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{url}: not ready after {seconds} s")


def post(url, body):
    request = urllib.request.Request(url, data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as reply:
        return json.loads(reply.read())


class Server:
    """A server process started for the benchmark and always stopped again."""

    def __init__(self, name, argv, cwd, ready_path, port, env=None):
        self.name = name
        self.port = port
        self.log = open(os.path.join(cwd, f"{name}.log"), "wb")
        self.process = subprocess.Popen(argv, cwd=cwd, stdout=self.log, stderr=subprocess.STDOUT, env=env, start_new_session=True)
        wait_for(f"http://127.0.0.1:{port}{ready_path}", 180, self.process)

    def stop(self):
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()


class ServeBench:
    def __init__(self, engage, work_dir, log, rows=20000, trees=100, leaves=31, seconds=8, seed=42, python=sys.executable):
        self.engage = engage
        self.directory = os.path.join(work_dir, "serve")
        self.log = log
        self.rows, self.trees, self.leaves, self.seconds, self.seed = rows, trees, leaves, seconds, seed
        self.python = python

    def run(self):
        if shutil.which("wrk") is None:
            raise RuntimeError("wrk is not installed (apt-get install -y wrk)")
        shutil.rmtree(self.directory, ignore_errors=True)
        os.makedirs(self.directory)
        d = self.directory
        self.log(f"serve: engage generate {self.rows} rows, engage run (churn, {self.trees} trees)")
        measure.run([self.engage.path, "generate", "--rows", str(self.rows), "--seed", str(self.seed), "--out", "data"], cwd=d)
        with open(os.path.join(d, "cluster.yaml"), "w") as f:
            f.write(f"""cluster:
  coordinator: {{ bind: "tcp://127.0.0.1:*", heartbeat_ms: 1000, liveness: 5, max_attempts: 2 }}
  hosts:
    - {{ host: localhost, workers: 1, threads: auto }}
data: {{ source: csv, path: data/customers.csv, seed: {self.seed}, shards: 4, test_fraction: 0.2, folds: 2 }}
registry: {{ path: registry/engage.sqlite }}
work_dir: work
models:
  churn: {{ kind: gbdt, objective: binary, target: churn_30_day, trees: {self.trees}, leaves: {self.leaves}, learning_rate: 0.1, shap_rows: 0, permutation_rows: 0 }}
""")
        measure.run([self.engage.path, "run", "--config", "cluster.yaml", "--quiet"], cwd=d)

        engage_port = free_port()
        servers = []
        try:
            engage = Server("engage", [self.engage.path, "serve", "--config", "cluster.yaml", "--model", "churn@1",
                                       "--bind", f"127.0.0.1:{engage_port}", "--log-sample", "0"], d, "/v2/health/ready", engage_port)
            servers.append(engage)
            with urllib.request.urlopen(f"http://127.0.0.1:{engage_port}/v2/models/churn", timeout=10) as reply:
                metadata = json.loads(reply.read())
            features = [(i["name"], i["datatype"] == "BYTES") for i in metadata["inputs"]]
            self.log(f"serve: LightGBM on the same {len(features)} features, saved as an MLflow pyfunc")
            model_dir = os.path.join(d, "mlflow-model")
            measure.run([self.python, os.path.join(HERE, "peer_serve.py"), "--data", os.path.join(d, "data", "customers.csv"),
                         "--features", json.dumps(features), "--target", "churn_30_day", "--trees", str(self.trees),
                         "--leaves", str(self.leaves), "--out", model_dir], cwd=d)
            mlflow_port = free_port()
            mlflow = shutil.which("mlflow", path=os.path.dirname(self.python)) or "mlflow"
            env = dict(os.environ, MLFLOW_TRACKING_URI=os.path.join(d, "mlruns"),
                       PATH=os.path.dirname(self.python) + os.pathsep + os.environ.get("PATH", ""))
            peer = Server("mlflow", [mlflow, "models", "serve", "-m", model_dir, "-h", "127.0.0.1", "-p", str(mlflow_port),
                                     "--env-manager", "local", "-w", "2"], d, "/ping", mlflow_port, env=env)
            servers.append(peer)

            bodies = self.bodies(features)
            urls = {"engage": f"http://127.0.0.1:{engage_port}/v1/models/churn:predict", "mlflow": f"http://127.0.0.1:{mlflow_port}/invocations"}
            check = {"engage": post(urls["engage"], open(bodies["engage"][100], "rb").read())["predictions"],
                     "mlflow": post(urls["mlflow"], open(bodies["mlflow"][100], "rb").read())["predictions"]}
            assert len(check["engage"]) == 100 and len(check["mlflow"]) == 100, "both servers answer 100 rows"

            result = {"rows": self.rows, "trees": self.trees, "leaves": self.leaves, "features": len(features),
                      "engage_version": self.engage.path, "mlflow_workers": 2, "load_before": os.getloadavg()[0], "runs": []}
            plan = [("single_100rps", 1, 1, 1, 10), ("single_max", 1, 2, 16, 0), ("batch100_max", 100, 2, 8, 0)]
            for label, rows, threads, connections, pause in plan:
                for side in ("engage", "mlflow", "engage", "mlflow"):
                    measured = self.wrk(urls[side], bodies[side][rows], threads, connections, pause)
                    measured.update(side=side, case=label, load=os.getloadavg()[0])
                    self.log(f"serve: {label} {side}: {measured['requests'] / measured['seconds']:.0f} req/s, "
                             f"p99 {measured['p99_us'] / 1000:.2f} ms, errors {measured['errors']}")
                    result["runs"].append(measured)
            result["load_after"] = os.getloadavg()[0]
            return summarize(result)
        finally:
            for server in servers:
                server.stop()

    def bodies(self, features):
        """The same customers as JSON records for both servers, 1 and 100 rows."""
        import csv

        with open(os.path.join(self.directory, "data", "customers.csv")) as f:
            rows = list(csv.DictReader(f))[:100]
        names = [name for name, _ in features]

        def value(text, categorical):
            if text == "":
                return None
            return text if categorical else float(text)

        records = [{name: value(row[name], cat) for name, cat in features} for row in rows]
        paths = {"engage": {}, "mlflow": {}}
        for count in (1, 100):
            for side, document in (("engage", {"instances": records[:count]}), ("mlflow", {"dataframe_records": records[:count]})):
                path = os.path.join(self.directory, f"{side}-{count}.json")
                with open(path, "w") as f:
                    json.dump(document, f)
                paths[side][count] = path
        assert names
        return paths

    def wrk(self, url, body, threads, connections, pause):
        script = os.path.join(self.directory, f"wrk-{os.path.basename(body)}-{pause}.lua")
        with open(script, "w") as f:
            f.write(WRK_SCRIPT.format(body=body, pause=pause))
        argv = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{self.seconds}s", "--timeout", "10s", "-s", script, url]
        output = subprocess.run(argv, capture_output=True, text=True, timeout=self.seconds + 60).stdout
        found = re.search(r"^WRK (\{.*\})$", output, re.MULTILINE)
        if not found:
            raise RuntimeError(f"wrk printed no summary:\n{output}")
        return json.loads(found.group(1))


def summarize(result):
    def best(side, case, key, pick):
        values = [r[key] for r in result["runs"] if r["side"] == side and r["case"] == case]
        return pick(values)

    for side in ("engage", "mlflow"):
        for case in ("single_100rps", "single_max", "batch100_max"):
            result[f"{side}_{case}_rps"] = best(side, case, "requests", max) / best(side, case, "seconds", max)
            result[f"{side}_{case}_p50_ms"] = best(side, case, "p50_us", min) / 1000
            result[f"{side}_{case}_p99_ms"] = best(side, case, "p99_us", min) / 1000
            result[f"{side}_{case}_errors"] = sum(r["errors"] for r in result["runs"] if r["side"] == side and r["case"] == case)
    result["throughput_ratio_single"] = result["engage_single_max_rps"] / result["mlflow_single_max_rps"]
    result["throughput_ratio_batch100"] = result["engage_batch100_max_rps"] / result["mlflow_batch100_max_rps"]
    return result


def table(result):
    from report import Table

    t = Table(f"engage serve against mlflow models serve — churn GBDT, {result['trees']} trees × {result['leaves']} leaves, "
              f"{result['features']} features, wrk on the same machine", peers=("mlflow", "-"))
    for case, title in (("single_100rps", "single row at ~100 req/s"), ("single_max", "single row, flat out"),
                        ("batch100_max", "100 rows, flat out")):
        t.add(f"{title}: requests/s", result[f"engage_{case}_rps"], result[f"mlflow_{case}_rps"])
        t.add(f"{title}: p50 latency", result[f"engage_{case}_p50_ms"], result[f"mlflow_{case}_p50_ms"], unit="ms")
        t.add(f"{title}: p99 latency", result[f"engage_{case}_p99_ms"], result[f"mlflow_{case}_p99_ms"], unit="ms")
    t.notes.append("each case twice per side, alternating; best of the two; wrk errors: "
                   + ", ".join(f"{s} {sum(r['errors'] for r in result['runs'] if r['side'] == s)}" for s in ("engage", "mlflow")))
    t.notes.append(f"load average before {result['load_before']:.2f}, after {result['load_after']:.2f}")
    return t


def main():
    import engage_cli

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--engage", required=True)
    parser.add_argument("--out", default=os.path.join(HERE, "out"))
    parser.add_argument("--rows", type=int, default=20000)
    parser.add_argument("--trees", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=8, help="seconds per wrk run")
    args = parser.parse_args()
    log = lambda message: sys.stderr.write(f"[serve {time.strftime('%H:%M:%S')}] {message}\n")
    result = ServeBench(engage_cli.Engage(args.engage), os.path.join(os.path.abspath(args.out), "work"), log,
                        rows=args.rows, trees=args.trees, seconds=args.seconds).run()
    print(table(result).render())
    print(f"p99 at ~100 req/s single rows: engage {result['engage_single_100rps_p99_ms']:.2f} ms (bar ≤ 5 ms)")
    print(f"max throughput engage/mlflow: single rows {result['throughput_ratio_single']:.2f}×, "
          f"100 rows {result['throughput_ratio_batch100']:.2f}× (bar ≥ 5×)")
    with open(os.path.join(os.path.abspath(args.out), "serve.json"), "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
