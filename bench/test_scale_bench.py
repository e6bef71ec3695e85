"""The scale section's own arithmetic: the port rewrite, the summary figures and the 12× bar."""
import os
import sys
import unittest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import scale_bench  # noqa: E402
from report import Scoreboard  # noqa: E402


class Measured:
    wall_seconds = 1.0


def summary(wall, coordinator=100 << 20, workers=None, failure=None):
    body = {"wallSeconds": wall, "dataSeconds": 1.0, "versions": [{}] * 6,
            "jobs": [{"seconds": 2.0, "model": "churn", "worker": "local-1@h"}, {"seconds": 3.0, "model": "anomaly", "worker": "local-2@h"}],
            "peakRSS": {"coordinator": coordinator, "workers": workers or {"local-1@h": 50 << 20, "local-2@h": 25 << 20}}}
    if failure:
        body["failure"] = failure
    return body


class ScaleBenchTests(unittest.TestCase):
    def test_only_the_coordinator_port_changes(self):
        text = 'cluster:\n  coordinator: { bind: "tcp://127.0.0.1:5555", heartbeat_ms: 1000 }\ndata: { rows: 100000 }\n'
        self.assertEqual(scale_bench.any_port(text), text.replace(":5555", ":*"))

    def test_summary_reads_worker_seconds_and_peak_rss_in_mib(self):
        figures = scale_bench.summarize(100_000, summary(10.0), Measured, 0.5, 0.7)
        self.assertEqual(figures["worker_seconds"], 5.0)
        self.assertEqual(figures["coordinator_peak_rss_mib"], 100.0)
        self.assertEqual(figures["worker_peak_rss_mib"], {"local-1@h": 50.0, "local-2@h": 25.0})

    def test_the_bar_fails_over_twelve_times_or_when_a_run_failed(self):
        small = scale_bench.summarize(100_000, summary(10.0), Measured, 0, 0)
        for large_summary, passed in ((summary(119.0), True), (summary(121.0), False), (summary(50.0, failure="worker lost"), False)):
            large = scale_bench.summarize(1_000_000, large_summary, Measured, 0, 0)
            board = Scoreboard()
            scale_bench.bars(board, {"small": small, "large": large, "ratio": large["wall_seconds"] / small["wall_seconds"]}, 1_000_000)
            self.assertEqual(board.bars[0].passed, passed, board.render())
        board = Scoreboard()
        scale_bench.bars(board, {"small": small}, 1_000_000)
        self.assertIsNone(board.bars[0].passed)


if __name__ == "__main__":
    unittest.main()
