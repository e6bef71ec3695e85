"""engage serve against `mlflow models serve`, same client (wrk), same machine, same run.

engage trains a churn GBDT through `engage run` on generated customers and serves it from the
registry (`engage serve --model churn@1`, V1 records endpoint); LightGBM trains a model of the same
size (trees, leaves, learning rate) on the same CSV rows and features, saved as an MLflow pyfunc
(a thin wrapper that gives the categorical columns their training categories, as engage's schema
does) and served by `mlflow models serve --env-manager local` on `/invocations` with
`dataframe_records`. Both get the same JSON records, alternating servers:

- single rows at exactly 100 requests/s with the open-loop client (bench/paced_client.py: sent on a
  fixed schedule over keep-alive connections, latency from each request's scheduled send time, so
  coordinated omission is counted): p50, p95, p99; the same client against a trivial server that
  answers at once gives the client's own floor;
- single rows flat out (wrk, 2 threads, 16 connections): requests/s, p50, p99;
- 100-row requests flat out (wrk, 2 threads, 8 connections): requests/s, p50, p99.

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
PACED_RATE = 100.0
WRK_SCRIPT = """
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local f = io.open("{body}", "rb")
wrk.body = f:read("*a")
f:close()
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
    def __init__(self, engage, work_dir, log, rows=20000, trees=100, leaves=31, seconds=8, seed=42, python=sys.executable,
                 paced_seconds=20):
        self.engage = engage
        self.directory = os.path.join(work_dir, "serve")
        self.log = log
        self.rows, self.trees, self.leaves, self.seconds, self.seed = rows, trees, leaves, seconds, seed
        self.python = python
        self.paced_seconds = paced_seconds

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
                      "engage_version": self.engage.path, "mlflow_workers": 2, "load_before": os.getloadavg()[0], "runs": [], "paced": [],
                      "paced_rate": PACED_RATE, "paced_seconds": self.paced_seconds}
            floor = self.trivial_floor(bodies["engage"][1])
            result["client_floor"] = floor
            self.log(f"serve: paced client against a trivial server at {PACED_RATE:.0f} req/s: p99 {floor['p99_ms']:.2f} ms, "
                     f"send lag p99 {floor['send_lag_p99_ms']:.2f} ms")
            for side in ("engage", "mlflow", "engage", "mlflow"):
                measured = self.paced(urls[side], bodies[side][1])
                measured.update(side=side, load=os.getloadavg()[0])
                self.log(f"serve: paced {PACED_RATE:.0f} req/s {side}: {measured['achieved_rps']:.1f} req/s answered, "
                         f"p50 {measured.get('p50_ms', float('nan')):.2f} ms, p99 {measured.get('p99_ms', float('nan')):.2f} ms, errors {measured['errors']}")
                result["paced"].append(measured)
            plan = [("single_max", 1, 2, 16), ("batch100_max", 100, 2, 8)]
            for label, rows, threads, connections in plan:
                for side in ("engage", "mlflow", "engage", "mlflow"):
                    measured = self.wrk(urls[side], bodies[side][rows], threads, connections)
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

    def paced(self, url, body):
        """One open-loop run of bench/paced_client.py in its own process (so it never shares an
        interpreter with this script)."""
        argv = [self.python, os.path.join(HERE, "paced_client.py"), "--url", url, "--body", body,
                "--rate", str(PACED_RATE), "--seconds", str(self.paced_seconds)]
        output = subprocess.run(argv, capture_output=True, text=True, timeout=self.paced_seconds + 120)
        found = re.search(r"^PACED (\{.*\})$", output.stdout, re.MULTILINE)
        if not found:
            raise RuntimeError(f"paced_client.py printed no summary:\n{output.stdout}\n{output.stderr}")
        return json.loads(found.group(1))

    def trivial_floor(self, body):
        """The paced client against a server that answers at once: what the client itself adds."""
        server = subprocess.Popen([self.python, os.path.join(HERE, "paced_client.py"), "--trivial-server", "0"],
                                  stdout=subprocess.PIPE, text=True, start_new_session=True)
        try:
            line = server.stdout.readline()
            found = re.match(r"trivial server on (\d+)", line)
            if not found:
                raise RuntimeError(f"the trivial server did not start: {line!r}")
            return self.paced(f"http://127.0.0.1:{found.group(1)}/invocations", body)
        finally:
            server.terminate()
            server.wait(timeout=10)

    def wrk(self, url, body, threads, connections):
        script = os.path.join(self.directory, f"wrk-{os.path.basename(body)}.lua")
        with open(script, "w") as f:
            f.write(WRK_SCRIPT.format(body=body))
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
        paced = [r for r in result["paced"] if r["side"] == side and "p99_ms" in r]
        chosen = min(paced, key=lambda r: r["p99_ms"]) if paced else {}
        for key in ("p50_ms", "p95_ms", "p99_ms", "achieved_rps"):
            result[f"{side}_paced_{key}"] = chosen.get(key)
        result[f"{side}_paced_errors"] = sum(r["errors"] for r in result["paced"] if r["side"] == side)
        for case in ("single_max", "batch100_max"):
            result[f"{side}_{case}_rps"] = best(side, case, "requests", max) / best(side, case, "seconds", max)
            result[f"{side}_{case}_p50_ms"] = best(side, case, "p50_us", min) / 1000
            result[f"{side}_{case}_p99_ms"] = best(side, case, "p99_us", min) / 1000
            result[f"{side}_{case}_errors"] = sum(r["errors"] for r in result["runs"] if r["side"] == side and r["case"] == case)
    if result["engage_paced_p99_ms"] and result["mlflow_paced_p99_ms"]:
        result["paced_p99_ratio"] = result["mlflow_paced_p99_ms"] / result["engage_paced_p99_ms"]
    result["throughput_ratio_single"] = result["engage_single_max_rps"] / result["mlflow_single_max_rps"]
    result["throughput_ratio_batch100"] = result["engage_batch100_max_rps"] / result["mlflow_batch100_max_rps"]
    return result


def table(result):
    from report import Table

    t = Table(f"engage serve against mlflow models serve — churn GBDT, {result['trees']} trees × {result['leaves']} leaves, "
              f"{result['features']} features, the open-loop client and wrk on the same machine", peers=("mlflow", "-"))
    rate = result["paced_rate"]
    floor = result["client_floor"]
    t.add(f"single row at {rate:.0f} req/s (open loop): answered/s", result["engage_paced_achieved_rps"], result["mlflow_paced_achieved_rps"])
    for key in ("p50", "p95", "p99"):
        t.add(f"single row at {rate:.0f} req/s (open loop): {key} latency", result[f"engage_paced_{key}_ms"], result[f"mlflow_paced_{key}_ms"], unit="ms")
    t.add(f"client floor at {rate:.0f} req/s (trivial server): p99 latency", floor.get("p99_ms"), None, unit="ms")
    for case, title in (("single_max", "single row, flat out (wrk)"), ("batch100_max", "100 rows, flat out (wrk)")):
        t.add(f"{title}: requests/s", result[f"engage_{case}_rps"], result[f"mlflow_{case}_rps"])
        t.add(f"{title}: p50 latency", result[f"engage_{case}_p50_ms"], result[f"mlflow_{case}_p50_ms"], unit="ms")
        t.add(f"{title}: p99 latency", result[f"engage_{case}_p99_ms"], result[f"mlflow_{case}_p99_ms"], unit="ms")
    t.notes.append(f"open loop: {result['paced_seconds']} s per run at {rate:.0f} req/s after 1 s of warm-up, latency from the scheduled "
                   f"send time; client send lag p99 {floor.get('send_lag_p99_ms', float('nan')):.2f} ms on the trivial server; errors: "
                   + ", ".join(f"{s} {result[f'{s}_paced_errors']}" for s in ("engage", "mlflow")))
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
    parser.add_argument("--paced-seconds", type=int, default=20, help="seconds per open-loop run at 100 req/s")
    args = parser.parse_args()
    log = lambda message: sys.stderr.write(f"[serve {time.strftime('%H:%M:%S')}] {message}\n")
    result = ServeBench(engage_cli.Engage(args.engage), os.path.join(os.path.abspath(args.out), "work"), log,
                        rows=args.rows, trees=args.trees, seconds=args.seconds, paced_seconds=args.paced_seconds).run()
    print(table(result).render())
    print(f"p99 at {result['paced_rate']:.0f} req/s single rows (open loop): engage {result['engage_paced_p99_ms']:.2f} ms (bar ≤ 5 ms), "
          f"mlflow {result['mlflow_paced_p99_ms']:.2f} ms: mlflow/engage {result.get('paced_p99_ratio', float('nan')):.1f}×")
    print(f"max throughput engage/mlflow: single rows {result['throughput_ratio_single']:.2f}×, "
          f"100 rows {result['throughput_ratio_batch100']:.2f}× (bar ≥ 5×)")
    with open(os.path.join(os.path.abspath(args.out), "serve.json"), "w") as f:
        json.dump(result, f, indent=2)


if __name__ == "__main__":
    main()
