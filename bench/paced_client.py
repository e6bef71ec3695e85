"""An open-loop HTTP load client: requests go out on a fixed schedule, whatever the server does.

wrk (closed loop) sends the next request when the last answer came back, so a slow answer delays
the requests behind it and their wait is never measured (coordinated omission); wrk2, which fixes
that, is not packaged for Debian. Here request i is due at `start + i / rate`; its latency runs from
that scheduled time to the last byte of its answer, so time spent queued behind a slow answer (or
behind a late client) counts. Keep-alive HTTP/1.1 connections are reused; a request due while every
open connection is busy opens another one (up to `max_connections`, then it waits for one, and that
wait counts too).

The client's own floor is measured the same way against `TrivialServer`, a server that answers every
request with a fixed body at once: what the client adds to a measured latency is at most that.

    python bench/paced_client.py --url http://127.0.0.1:8080/v1/models/churn:predict --body body.json --rate 100 --seconds 10
    python bench/paced_client.py --trivial-server 0      # serve the trivial server on a free port (printed)
"""
import argparse
import asyncio
import json
import math
import socket
import sys
import time
from urllib.parse import urlsplit


def schedule(rate, seconds):
    """The send times of an open-loop run, in seconds from its start: one every 1/rate."""
    if rate <= 0 or seconds <= 0:
        raise ValueError(f"rate and seconds must be positive (got {rate}, {seconds})")
    return [i / rate for i in range(int(math.floor(rate * seconds)))]


def percentile(values, p):
    """The p-th percentile (0-100) by the nearest-rank method, as HdrHistogram and wrk report it."""
    if not values:
        raise ValueError("no values")
    ordered = sorted(values)
    rank = max(1, math.ceil(p / 100 * len(ordered)))
    return ordered[rank - 1]


def summarize(latencies, lags, errors, seconds, rate, connections, span=None):
    """The figures of one run: latencies from the scheduled send time, in milliseconds; answered
    requests per second over `span`, from the first scheduled send to the last answer (a server
    that falls behind answers fewer than `rate` a second)."""
    span = span if span and span > 0 else seconds
    result = {"rate": rate, "requests": len(latencies) + errors, "answered": len(latencies), "errors": errors,
              "seconds": seconds, "achieved_rps": len(latencies) / span, "connections": connections}
    if latencies:
        result.update({f"p{p}_ms": percentile(latencies, p) * 1000 for p in (50, 95, 99)})
        result["max_ms"] = max(latencies) * 1000
    if lags:
        result["send_lag_p99_ms"] = percentile(lags, 99) * 1000
    return result


class Connection:
    """One keep-alive HTTP/1.1 connection; answers must carry Content-Length (both servers send it)."""

    def __init__(self, reader, writer):
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, host, port):
        reader, writer = await asyncio.open_connection(host, port)
        writer.get_extra_info("socket").setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return cls(reader, writer)

    async def exchange(self, request):
        """Sends one request, reads its whole answer; returns the status code."""
        self.writer.write(request)
        await self.writer.drain()
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        length = None
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
            if name.strip().lower() == "transfer-encoding":
                raise RuntimeError("chunked answers are not read by this client")
        if length is None:
            raise RuntimeError("an answer without Content-Length")
        await self.reader.readexactly(length)
        return status

    def close(self):
        self.writer.close()


def request_bytes(url, body):
    parts = urlsplit(url)
    path = parts.path + (f"?{parts.query}" if parts.query else "")
    head = (f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n")
    return head.encode("latin-1") + body


async def paced_run(url, body, rate, seconds, max_connections=64, warmup_seconds=1.0):
    """Sends `body` to `url` at `rate` requests/s for `seconds` (after a warm-up at the same rate
    whose answers are not counted); returns `summarize`'s figures."""
    parts = urlsplit(url)
    host, port = parts.hostname, parts.port or 80
    request = request_bytes(url, body)
    idle = []
    opened = 0
    available = asyncio.Condition()
    latencies, lags = [], []
    errors = 0
    last_answer = 0.0
    loop = asyncio.get_running_loop()

    async def acquire():
        nonlocal opened
        async with available:
            while not idle and opened >= max_connections:
                await available.wait()
            if idle:
                return idle.pop()
            opened += 1
        try:
            return await Connection.open(host, port)
        except OSError:
            async with available:
                opened -= 1
                available.notify()
            raise

    async def release(connection):
        async with available:
            if connection is None:
                nonlocal opened
                opened -= 1
            else:
                idle.append(connection)
            available.notify()

    async def one(due, counted):
        nonlocal errors, last_answer
        connection = None
        try:
            connection = await acquire()
            status = await connection.exchange(request)
            done = loop.time()
            if counted:
                last_answer = max(last_answer, done)
                if status == 200:
                    latencies.append(done - due)
                else:
                    errors += 1
        except (OSError, asyncio.IncompleteReadError, RuntimeError, ValueError):
            if connection is not None:
                connection.close()
                connection = None
            if counted:
                errors += 1
        await release(connection)

    tasks = []
    warmup = schedule(rate, warmup_seconds) if warmup_seconds > 0 else []
    times = warmup + [warmup_seconds + t for t in schedule(rate, seconds)]
    start = loop.time() + 0.05
    for index, offset in enumerate(times):
        due = start + offset
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        counted = index >= len(warmup)
        if counted:
            lags.append(max(0.0, loop.time() - due))
        tasks.append(asyncio.ensure_future(one(due, counted)))
    await asyncio.gather(*tasks)
    for connection in idle:
        connection.close()
    first_due = start + (warmup_seconds if warmup else 0.0)
    return summarize(latencies, lags, errors, seconds, rate, opened, span=last_answer - first_due)


def run(url, body, rate, seconds, max_connections=64, warmup_seconds=1.0):
    return asyncio.run(paced_run(url, body, rate, seconds, max_connections, warmup_seconds))


class TrivialServer:
    """An HTTP/1.1 server that answers every request at once with a fixed JSON body, optionally
    stalling (`stall_every`-th request waits `stall_seconds`): the client's floor, and the tests'
    server."""

    ANSWER = b'{"predictions":[{"prediction":0.5}]}'

    def __init__(self, stall_every=0, stall_seconds=0.0):
        self.stall_every, self.stall_seconds = stall_every, stall_seconds
        self.count = 0

    async def handle(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.decode("latin-1").split("\r\n")[1:]:
                    name, _, value = line.partition(":")
                    if name.strip().lower() == "content-length":
                        length = int(value.strip())
                await reader.readexactly(length)
                self.count += 1
                if self.stall_every and self.count % self.stall_every == 0:
                    await asyncio.sleep(self.stall_seconds)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
                             + str(len(self.ANSWER)).encode() + b"\r\n\r\n" + self.ANSWER)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def serve(self, port, ready=None):
        server = await asyncio.start_server(self.handle, "127.0.0.1", port)
        bound = server.sockets[0].getsockname()[1]
        if ready is not None:
            ready(bound)
        async with server:
            await server.serve_forever()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url")
    parser.add_argument("--body", help="a file whose bytes are POSTed")
    parser.add_argument("--rate", type=float, default=100)
    parser.add_argument("--seconds", type=float, default=10)
    parser.add_argument("--trivial-server", type=int, metavar="PORT", help="run the trivial server on PORT (0: a free one) instead")
    args = parser.parse_args()
    if args.trivial_server is not None:
        def ready(port):
            print(f"trivial server on {port}", flush=True)
        asyncio.run(TrivialServer().serve(args.trivial_server, ready))
        return
    if not args.url or not args.body:
        parser.error("--url and --body are required")
    with open(args.body, "rb") as f:
        body = f.read()
    started = time.time()
    result = run(args.url, body, args.rate, args.seconds)
    result["wall_seconds"] = time.time() - started
    print("PACED " + json.dumps(result), flush=True)


if __name__ == "__main__":
    sys.exit(main())
