"""Unit tests of the real-data anomaly section (no engage binary):

    bench/.venv/bin/python -m unittest discover -s bench -p 'test_*.py'
"""
import os
import sys
import tempfile
import unittest

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import real_anomaly  # noqa: E402
import real_data  # noqa: E402
import rule_emulation  # noqa: E402


class RuleEmulationTests(unittest.TestCase):
    def test_confirmation_matches_the_swift_test(self):
        a = np.array([100 + j if j < 10 else j / 1000 for j in range(1000)], dtype=np.float64)
        self.assertAlmostEqual(rule_emulation.confirmed(a, -a, 0.01), rule_emulation.calibrated(-a)[:10].mean())
        tied = np.array([np.nan] + [1.0] * 19)
        top = rule_emulation.confirmed(tied, np.arange(20, dtype=np.float64), 0.01)
        self.assertAlmostEqual(top, rule_emulation.calibrated(np.arange(20, dtype=np.float64))[1:11].mean())

    def test_calibration_is_increasing_and_inside_the_unit_interval(self):
        scores = np.random.default_rng(3).normal(size=500)
        levels = rule_emulation.calibrated(scores)
        order = np.argsort(scores)
        self.assertTrue(np.all(np.diff(levels[order]) > 0))
        self.assertTrue(np.all((levels > 0) & (levels < 1)))

    def test_robust_scale_falls_back_to_the_standard_deviation(self):
        self.assertEqual(rule_emulation.robust_scale(np.array([1.0, 2.0, 3.0, 4.0, 100.0])), (3.0, 1.4826))
        median, spread = rule_emulation.robust_scale(np.array([0.0] * 9 + [10.0]))
        self.assertEqual(median, 0.0)
        self.assertAlmostEqual(spread, 3.0)


class RealDataTests(unittest.TestCase):
    def test_outliers_are_subsampled_to_the_stated_share(self):
        with tempfile.TemporaryDirectory() as directory:
            (wine,) = real_data.prepare(directory, [t for t in real_data.TABLES if t.name == "wine"])
            again = real_data.prepare(directory, [wine.table])[0]
        self.assertEqual((wine.rows, wine.anomalies, wine.features), (129, 10, 13))
        self.assertEqual(again, wine)

    def test_scikit_learns_float32_cast_and_constant_rule_cannot_act_on_the_tables(self):
        """scikit-learn casts X to float32 and treats a node's feature as constant when its range is
        ≤ 1e-7; engage splits doubles. On these tables neither can change a tree: float32 merges no
        two distinct values of a column, and every column's distinct values are > 1e-7 apart."""
        for prepared in real_data.prepare():
            x = real_anomaly.Benchmark(prepared.table.name, "", "", prepared.csv).x
            for j in range(x.shape[1]):
                column = x[:, j][np.isfinite(x[:, j])]
                distinct = np.unique(column)
                self.assertEqual(len(np.unique(column.astype(np.float32))), len(distinct), (prepared.table.name, j))
                if len(distinct) > 1:
                    self.assertGreater(np.diff(distinct).min(), 1e-7, (prepared.table.name, j))


class VerdictTests(unittest.TestCase):
    def test_bars_use_the_better_part_and_the_forest_seeds(self):
        table = {"auc_mean": {"combined": 0.95, "forest": 0.97, "autoencoder": 0.90}, "combinations": ["autoencoderOnly"],
                 "forest_auc_mean": 0.80, "forest_auc_sd": 0.05, "forest_seeds": list(range(30)),
                 "sklearn": {"forest_seeds_auc_mean": 0.804, "auc_sd": 0.05}}
        (combined, _), (forest, detail) = real_anomaly.verdicts(table)
        self.assertFalse(combined)
        self.assertTrue(forest)
        self.assertIn("30 seeds", detail)
        self.assertEqual(real_anomaly.forest_seeds((5, 6, 7), 5), (5, 6, 7, 8, 9))
        self.assertIn("ABOVE the 0.002", detail)

    def test_forest_seed_count_reaches_the_standard_error_aimed_at(self):
        for name, sd in real_anomaly.PRIOR_SEED_SD.items():
            n = real_anomaly.forest_seed_count(name)
            self.assertGreaterEqual(n, real_anomaly.MIN_FOREST_SEEDS)
            self.assertLessEqual(np.sqrt(2 * sd * sd / n), real_anomaly.FOREST_SE_TARGET + 1e-12, name)
            if n > real_anomaly.MIN_FOREST_SEEDS:
                self.assertGreater(np.sqrt(2 * sd * sd / (n - 1)), real_anomaly.FOREST_SE_TARGET, name)
        self.assertEqual(real_anomaly.forest_seed_count("digits"), 1152)
        self.assertEqual(real_anomaly.forest_seed_count("breast_cancer"), real_anomaly.MIN_FOREST_SEEDS)
        self.assertEqual(real_anomaly.forest_seed_count("unknown"), real_anomaly.MIN_FOREST_SEEDS)

    def test_parallel_scikit_learn_aucs_equal_the_sequential_ones(self):
        rng = np.random.default_rng(1)
        x = rng.normal(size=(300, 4))
        x[:15] += 3
        bench = real_anomaly._Matrix(x, np.array([1] * 15 + [0] * 285))
        sequential = [r["auc"] for r in real_anomaly.sklearn_runs(bench, (3, 4, 5), 1)]
        self.assertEqual(real_anomaly.sklearn_aucs_parallel(bench, (3, 4, 5), 2), sequential)


if __name__ == "__main__":
    unittest.main()
