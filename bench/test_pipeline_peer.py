"""Unit tests of the Ray peer's reproductions of engage (no engage binary, no Ray):

    bench/.venv/bin/python -m unittest discover -s bench -p 'test_*.py'

The end-to-end check against engage itself is in pipeline_bench.py (the run's shards, and the
popularity baseline's HR@10 on the same leave-one-out split).
"""
import os
import sys
import unittest

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import engage_split  # noqa: E402
import leave_one_out  # noqa: E402
import pipeline_jobs  # noqa: E402


class SplitTests(unittest.TestCase):
    def test_splitmix_stream_matches_the_scalar_definition(self):
        seed, stream = 7, 12345
        state = (seed ^ (stream * engage_split.STREAM)) & engage_split.MASK

        def mix(z):
            z = ((z ^ (z >> 30)) * engage_split.MIX1) & engage_split.MASK
            z = ((z ^ (z >> 27)) * engage_split.MIX2) & engage_split.MASK
            return z ^ (z >> 31)

        state = mix((state + engage_split.GOLDEN) & engage_split.MASK)
        expected = []
        for _ in range(5):
            state = (state + engage_split.GOLDEN) & engage_split.MASK
            expected.append(mix(state))
        self.assertEqual(engage_split.splitmix_streams(seed, [stream], 5)[0].tolist(), expected)

    def test_index_below_is_unbiased_and_in_range(self):
        random = engage_split.SeededRandom(1)
        draws = [random.index_below(3) for _ in range(3000)]
        self.assertEqual(set(draws), {0, 1, 2})
        self.assertTrue(all(abs(draws.count(v) - 1000) < 120 for v in range(3)))

    def test_stratified_split_keeps_the_class_shares(self):
        labels = np.array([1.0] * 250 + [0.0] * 750)
        train, test = engage_split.stratified(labels, 0.2, 42)
        self.assertEqual(len(test), 200)
        self.assertEqual(labels[test].sum(), 50)
        self.assertEqual(sorted(np.concatenate([train, test]).tolist()), list(range(1000)))

    def test_folds_balance_every_stratum(self):
        labels = np.array([1.0] * 23 + [0.0] * 77)
        folds = engage_split.folds(labels, 5, 43)
        for k in range(5):
            self.assertIn(int((folds == k).sum()), (19, 20, 21))
            self.assertIn(int(labels[folds == k].sum()), (4, 5))

    def test_continuous_labels_use_rank_bins(self):
        groups = engage_split.strata(np.arange(100, dtype=float)[::-1])
        self.assertEqual(len(groups), 10)
        self.assertEqual(groups[0], list(range(90, 100)))

    def test_layout_orders_train_rows_by_fold(self):
        labels = np.array([1.0, 0.0] * 50)
        layout = engage_split.run_layout(labels, 0.2, 5, 42)
        self.assertEqual(len(layout.train) + len(layout.test), 100)
        self.assertTrue(np.all(np.diff(layout.train_fold) >= 0))


class LeaveOneOutTests(unittest.TestCase):
    def make(self):
        interactions = pd.DataFrame({"user_id": [5, 5, 5, 6, 6, 7, 5],
                                     "item_id": [1, 2, 1, 3, 1, 2, 4],
                                     "timestamp": [1.0, 2.0, 3.0, 1.0, 2.0, 1.0, 0.5]})
        items = pd.DataFrame({"item_id": list(range(1, 120))})
        return leave_one_out.LeaveOneOut(interactions, items)

    def test_latest_interaction_is_held_out_and_repeats_count_once(self):
        split = self.make()
        # user 5 (index 0): items 4 (t 0.5), 2 (t 2), 1 (t 3, its latest repeat) → 1 held out.
        self.assertEqual(split.test_users.tolist(), [0, 1])
        self.assertEqual(split.item_ids[split.held_out].tolist(), [1, 1])
        # train: user 5 keeps 4 and 2, user 6 keeps 3, user 7 (one interaction) keeps 2.
        self.assertEqual(len(split.train_users), 4)

    def test_negatives_are_unseen_and_distinct(self):
        split = self.make()
        for row, user in enumerate(split.test_users):
            negatives = split.negatives[row]
            self.assertEqual(len(set(negatives.tolist())), leave_one_out.NEGATIVES)
            seen = split._seen(np.full(len(negatives), user), negatives)
            self.assertFalse(seen.any())

    def test_ties_are_expected_over_random_order(self):
        split = self.make()
        scores = np.zeros((2, 100))
        metrics = split.evaluate(scores)
        self.assertAlmostEqual(metrics["hr@10"], 10 / 100)


class JobTests(unittest.TestCase):
    def test_conformal_offset_is_the_ranked_score(self):
        y = np.array([0.0, 1.0, 2.0, 3.0])
        offset = pipeline_jobs.conformal_offset(y, low=np.full(4, 1.0), high=np.full(4, 2.0), coverage=0.5)
        # scores: 1, 0, 0, 1 → sorted 0, 0, 1, 1; rank ⌈5 × 0.5⌉ = 3 → 1.
        self.assertEqual(offset, 1.0)

    def test_calibrated_widens_the_outer_quantiles(self):
        out = pipeline_jobs.calibrated([np.array([1.0]), np.array([2.0]), np.array([3.0])], 0.5)
        self.assertEqual(out.tolist(), [[0.5, 2.0, 3.5]])


class TimelineRowsTests(unittest.TestCase):
    """The engage rows pipeline_bench.py prints from `engage run --json`'s timeline."""

    def test_sums_and_medians_of_the_timeline(self):
        import pipeline_bench

        def run(register, idle):
            return {"timeline": {
                "phases": [{"phase": "data: generate", "seconds": 1, "cpuSeconds": 0.5},
                           {"phase": "jobs (serving shards, registering results)", "seconds": 30, "cpuSeconds": 4}],
                "jobs": [{"registerCPUSeconds": register, "workerCPUSeconds": 10, "inputSeconds": 0.25},
                         {"registerCPUSeconds": 0, "workerCPUSeconds": None, "inputSeconds": None}],
                "workers": [{"worker": "w1", "idleSeconds": idle}]}}

        rows = dict(pipeline_bench.timeline_rows([run(1.0, 2.0), run(3.0, 4.0), {"jobs": []}]))
        self.assertEqual(rows["  engage: coordinator CPU seconds before the jobs (data, shards, binning)"], 0.5)
        self.assertEqual(rows["  engage: coordinator CPU seconds during the jobs"], 4)
        self.assertEqual(rows["    of which registering results"], 2.0)
        self.assertEqual(rows["  engage: workers' CPU seconds in their jobs"], 10)
        self.assertEqual(rows["  engage: workers' seconds reading job inputs"], 0.25)
        self.assertEqual(rows["  engage: w1 idle (first dispatch to end, less its jobs)"], 3.0)
        self.assertEqual(pipeline_bench.timeline_rows([{"jobs": []}]), [])


if __name__ == "__main__":
    unittest.main()
