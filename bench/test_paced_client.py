"""The open-loop client's pacing: sends on schedule, and a stalled answer's queue is measured."""
import asyncio
import os
import sys
import threading
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import paced_client  # noqa: E402


def serve_in_thread(server):
    ports = []
    started = threading.Event()

    def ready(port):
        ports.append(port)
        started.set()

    thread = threading.Thread(target=lambda: asyncio.run(server.serve(0, ready)), daemon=True)
    thread.start()
    assert started.wait(10), "the trivial server did not start"
    return ports[0]


class PacedClientTests(unittest.TestCase):
    def test_schedule_is_evenly_spaced_at_the_rate(self):
        times = paced_client.schedule(100, 2)
        self.assertEqual(len(times), 200)
        self.assertEqual(times[0], 0)
        self.assertAlmostEqual(times[-1], 1.99)
        self.assertTrue(all(abs((b - a) - 0.01) < 1e-12 for a, b in zip(times, times[1:])))
        with self.assertRaises(ValueError):
            paced_client.schedule(0, 1)

    def test_percentile_is_nearest_rank(self):
        values = list(range(1, 101))
        self.assertEqual(paced_client.percentile(values, 50), 50)
        self.assertEqual(paced_client.percentile(values, 99), 99)
        self.assertEqual(paced_client.percentile(values, 100), 100)
        self.assertEqual(paced_client.percentile([7], 99), 7)

    def test_sends_at_the_rate_against_a_fast_server(self):
        port = serve_in_thread(paced_client.TrivialServer())
        result = paced_client.run(f"http://127.0.0.1:{port}/x", b"{}", rate=200, seconds=1.0, warmup_seconds=0.2)
        self.assertEqual(result["requests"], 200)
        self.assertEqual(result["errors"], 0)
        self.assertEqual(result["answered"], 200)

    def test_a_stall_counts_for_every_request_scheduled_behind_it(self):
        # One answer in 50 waits 300 ms on one connection-at-most client: a closed-loop client would
        # record one slow request; the open-loop one records the whole queue behind it (at 100/s,
        # about 30 requests late by up to 300 ms), so p95 is far above the trivial server's floor.
        port = serve_in_thread(paced_client.TrivialServer(stall_every=50, stall_seconds=0.3))
        result = paced_client.run(f"http://127.0.0.1:{port}/x", b"{}", rate=100, seconds=1.0, max_connections=1, warmup_seconds=0)
        self.assertEqual(result["answered"], 100)
        self.assertGreater(result["max_ms"], 250)
        self.assertGreater(result["p95_ms"], 100, "requests queued behind the stall must count their wait")
        self.assertEqual(result["connections"], 1)

    def test_a_busy_connection_opens_another_instead_of_waiting(self):
        port = serve_in_thread(paced_client.TrivialServer(stall_every=50, stall_seconds=0.3))
        result = paced_client.run(f"http://127.0.0.1:{port}/x", b"{}", rate=100, seconds=1.0, max_connections=8, warmup_seconds=0)
        self.assertEqual(result["answered"], 100)
        self.assertGreater(result["connections"], 1)
        self.assertLess(result["p95_ms"], 100, "with a free connection the others are not held up")


if __name__ == "__main__":
    unittest.main()
