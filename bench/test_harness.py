"""Unit tests of the benchmark harness itself (no engage binary, no training):

    bench/.venv/bin/python -m unittest discover -s bench -p 'test_*.py'
"""
import os
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import dataset  # noqa: E402
import engage_cli  # noqa: E402
import measure  # noqa: E402
import peer_params  # noqa: E402
import recommender_bench  # noqa: E402
import recommender_real  # noqa: E402
import scoring  # noqa: E402
from report import Scoreboard, Table, number  # noqa: E402


class EngageOutputTests(unittest.TestCase):
    def test_training_seconds_are_read_from_the_summary_line(self):
        output = "note: x\ntrained 300 trees on 80000 rows × 53 features in 15.88 s → /tmp/m\n  test r2 = 0.9\n"
        self.assertEqual(engage_cli.training_seconds(output, "engage train"), 15.88)

    def test_missing_summary_line_is_an_error_naming_the_command(self):
        with self.assertRaises(engage_cli.EngageOutputError) as caught:
            engage_cli.training_seconds("wrote nothing\n", "engage train --kind ncf")
        self.assertIn("engage train --kind ncf", str(caught.exception))

    def test_subcommands_are_read_from_the_top_level_help(self):
        help_text = ("OVERVIEW: x\n\nOPTIONS:\n  --version  Show the version.\n\nSUBCOMMANDS:\n"
                     "  run                     Run the pipeline once: the coordinator plus the local\n"
                     "                          workers cluster.yaml lists.\n  fairness                Audit.\n"
                     "  registry                Query.\n\n  See 'engage help <subcommand>' for detailed help.\n")
        self.assertEqual(engage_cli._subcommands(help_text), ["run", "fairness", "registry"])

    def test_kind_values_come_from_the_kind_option_only(self):
        help_text = engage_cli._flat("""
          --kind <kind>           Model kind: gbdt, anomaly. (values: gbdt, anomaly,
                                  ncf; default: gbdt)
          --objective <objective> regression, binary or quantile. (values: regression, binary)
        """)
        self.assertEqual(engage_cli._option_values(help_text, "kind"), ["gbdt", "anomaly", "ncf"])
        self.assertEqual(engage_cli._option_values("--kind <kind> Model kind. --objective <o> (values: a, b)", "kind"), [])


class MeasureTests(unittest.TestCase):
    def test_peak_rss_is_that_of_the_child_alone(self):
        # A large driver and a large earlier child must not show in a small child's peak.
        ballast = np.ones(200 * 1024 * 1024 // 8)
        big = measure.run([sys.executable, "-c", "b = bytearray(300 * 1024 * 1024); b[::4096] = b'x' * len(b[::4096])"])
        small = measure.run([sys.executable, "-c", "pass"])
        del ballast
        self.assertGreater(big.peak_rss_mib, 300)
        self.assertLess(small.peak_rss_mib, 60)

    def test_failure_raises_with_the_output(self):
        with self.assertRaises(measure.CommandFailed) as caught:
            measure.run([sys.executable, "-c", "import sys; print('boom'); sys.exit(3)"])
        self.assertEqual(caught.exception.returncode, 3)
        self.assertIn("boom", str(caught.exception))


class SplitTests(unittest.TestCase):
    def test_split_is_deterministic_disjoint_and_verbatim(self):
        with tempfile.TemporaryDirectory() as directory:
            source = os.path.join(directory, "all.csv")
            with open(source, "w") as handle:
                handle.write("id,x\n" + "".join(f"{i},{i * 0.1!r}\n" for i in range(1000)))
            paths = [os.path.join(directory, name) for name in ("a.csv", "b.csv", "c.csv", "d.csv")]
            self.assertEqual(dataset.split_lines(source, paths[0], paths[1], seed=42, test_fraction=0.2), (800, 200))
            dataset.split_lines(source, paths[2], paths[3], seed=42, test_fraction=0.2)
            contents = [open(p).read() for p in paths]
            self.assertEqual(contents[0], contents[2])
            self.assertEqual(contents[1], contents[3])
            train, test = (c.splitlines() for c in contents[:2])
            self.assertEqual(train[0], "id,x")
            self.assertEqual(test[0], "id,x")
            self.assertEqual(sorted(train[1:] + test[1:]), sorted(open(source).read().splitlines()[1:]))


class PeerParameterTests(unittest.TestCase):
    def test_xgboost_mapping(self):
        settings = peer_params.Settings()
        regression = peer_params.xgboost(settings, "regression", threads=2)
        self.assertEqual((regression["grow_policy"], regression["max_leaves"], regression["max_depth"]), ("lossguide", 31, 0))
        self.assertEqual(regression["min_child_weight"], 20.0)
        binary = peer_params.xgboost(settings, "binary", threads=2, base_rate=0.25)
        self.assertAlmostEqual(binary["min_child_weight"], 20 * 0.25 * 0.75)
        with self.assertRaises(ValueError):
            peer_params.xgboost(settings, "binary", threads=2)

    def test_lightgbm_takes_engage_names(self):
        params = peer_params.lightgbm(peer_params.Settings(), "quantile", threads=2, alpha=0.9)
        self.assertEqual((params["num_leaves"], params["min_data_in_leaf"], params["max_bin"], params["alpha"]), (31, 20, 255, 0.9))


class ScoringTests(unittest.TestCase):
    def test_quantile_coverage_counts_the_outer_interval(self):
        y = np.array([0.0, 1.0, 2.0, 3.0])
        columns = np.array([[0.5, 1, 1.5], [0.5, 1, 1.5], [0.5, 1, 2.5], [0.5, 1, 2.5]])
        result = scoring.quantiles(y, columns, [0.1, 0.5, 0.9])
        self.assertEqual(result["coverage_q0.1_q0.9"], 0.5)
        self.assertIn("pinball_q0.5", result)

    def test_logit_inverts_the_sigmoid(self):
        z = np.array([-8.0, -0.5, 0.0, 3.0])
        np.testing.assert_allclose(scoring.logit(1 / (1 + np.exp(-z))), z, atol=1e-12)


class RankingMetricTests(unittest.TestCase):
    def test_models_and_kinds_are_recognised_and_test_split_wins(self):
        metrics = [{"name": "hr@10", "split": "train", "value": 0.9}, {"name": "hr@10", "split": "test", "value": 0.5},
                   {"name": "ndcg@10", "split": "test", "value": 0.3}, {"name": "popularity_hr@10", "split": "test", "value": 0.2},
                   {"name": "mf_ndcg@10", "split": "test", "value": 0.25}, {"name": "neumf_epoch_seconds", "split": "test", "value": 4}]
        self.assertEqual(recommender_bench.ranking_metrics(metrics),
                         {"neumf": {"hr@10": 0.5, "ndcg@10": 0.3}, "popularity": {"hr@10": 0.2}, "mf": {"ndcg@10": 0.25}})


class PeerRankingTests(unittest.TestCase):
    def test_ties_are_broken_at_random_in_expectation_as_engage_does(self):
        # Held-out item (column 0) first, tied with 1 negative, and constant scores over 100 candidates.
        top = np.array([[5.0, 5.0] + [0.0] * 98])
        constant = np.zeros((1, 100))
        last = np.array([[0.0] + [1.0] * 99])
        self.assertEqual(recommender_real.ranking(top)["hr@10"], 1.0)
        self.assertAlmostEqual(recommender_real.ranking(top)["ndcg@10"], (1 + 1 / np.log2(3)) / 2)
        self.assertAlmostEqual(recommender_real.ranking(constant)["hr@10"], 0.1)
        self.assertEqual(recommender_real.ranking(last), {"hr@10": 0.0, "ndcg@10": 0.0})


class ReportTests(unittest.TestCase):
    def test_summary_counts_and_ratio_cells(self):
        board = Scoreboard()
        board.check("a", True, "")
        board.check("b", False, "")
        board.skip("c", "not built")
        self.assertEqual(board.summary(), "1 passed, 1 failed, 1 skipped")
        table = Table("t")
        table.add("time", 2.0, 4.0, None, unit="s")
        self.assertEqual(table.rows[0].cells()[4:], ["0.50×", "n/a"])
        self.assertEqual(number(None), "n/a")


if __name__ == "__main__":
    unittest.main()
