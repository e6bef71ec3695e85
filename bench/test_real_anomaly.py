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


if __name__ == "__main__":
    unittest.main()
