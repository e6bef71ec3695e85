"""engage's recommender evaluation protocol, reproduced, so a peer recommender is ranked on the same
held-out items among the same 99 sampled negatives as engage's NeuMF.

As Sources/ModelZoo/Recommendation/InteractionLog.swift and LeaveOneOutSplit.swift:
- users are numbered in order of first appearance in the interaction log; items are the catalogue's
  (items.csv, in its order) first, then any other item in order of first appearance;
- each user's interactions are ordered by timestamp (ties: row order); a repeated (user, item) pair
  counts once, at its latest time;
- each user with at least two interactions has the latest one held out, and 99 negatives drawn
  from `SplitMix64(seed: 0, stream: user)`: `next() % items`, skipping items the user has
  interacted with (held-out one included) and items already drawn;
- HR@10 and NDCG@10 are expected over random tie-breaking (`expectedHitAndGain`).

`popularity_ranking` ranks by training interaction counts, engage's popularity baseline: its HR@10
equal to engage's `popularity_hr@10` shows the split and the negatives are the same.
"""
import numpy as np
import pandas as pd

import engage_split

NEGATIVES = 99
CUTOFF = 10
CHUNK_USERS = 20_000


class LeaveOneOut:
    def __init__(self, interactions, items, user_column="user_id", item_column="item_id", time_column="timestamp",
                 item_id_column="item_id", seed=0, negatives=NEGATIVES):
        user_codes, user_ids = pd.factorize(interactions[user_column], sort=False)
        catalogue = pd.Index(pd.unique(items[item_id_column])) if items is not None else pd.Index([])
        extra = pd.Index(pd.unique(interactions[item_column])).difference(catalogue, sort=False)
        self.item_ids = catalogue.append(extra)
        item_codes = self.item_ids.get_indexer(interactions[item_column])
        self.user_ids = user_ids
        self.n_users, self.n_items = len(user_ids), len(self.item_ids)
        times = interactions[time_column].to_numpy(dtype=np.float64) if time_column in interactions else np.arange(len(interactions), dtype=np.float64)
        order = np.lexsort((np.arange(len(interactions)), times, user_codes))
        log = pd.DataFrame({"u": user_codes[order], "i": item_codes[order]})
        log = log.drop_duplicates(subset=["u", "i"], keep="last")
        u, i = log["u"].to_numpy(np.int64), log["i"].to_numpy(np.int64)
        counts = np.bincount(u, minlength=self.n_users)
        ends = np.cumsum(counts)
        last = ends - 1
        evaluated = counts >= 2
        held_positions = last[evaluated]
        keep = np.ones(len(u), dtype=bool)
        keep[held_positions] = False
        self.train_users, self.train_items = u[keep], i[keep]
        self.test_users = np.flatnonzero(evaluated)
        self.held_out = i[held_positions]
        self.seen_keys = np.sort(u * self.n_items + i)
        self.user_counts = counts
        self.negatives = self._negatives(seed, negatives)

    def _seen(self, users, items):
        keys = users * self.n_items + items
        at = np.searchsorted(self.seen_keys, keys)
        at = np.minimum(at, len(self.seen_keys) - 1)
        return self.seen_keys[at] == keys

    def _negatives(self, seed, count):
        out = np.empty((len(self.test_users), count), dtype=np.int64)
        draws = count + 64
        for start in range(0, len(self.test_users), CHUNK_USERS):
            users = self.test_users[start:start + CHUNK_USERS]
            candidates = (engage_split.splitmix_streams(seed, users, draws) % np.uint64(self.n_items)).astype(np.int64)
            seen = self._seen(users[:, None], candidates)
            order = np.argsort(candidates, axis=1, kind="stable")
            ordered = np.take_along_axis(candidates, order, axis=1)
            repeat_sorted = np.zeros_like(ordered, dtype=bool)
            repeat_sorted[:, 1:] = ordered[:, 1:] == ordered[:, :-1]
            repeat = np.zeros_like(repeat_sorted)
            np.put_along_axis(repeat, order, repeat_sorted, axis=1)
            valid = ~seen & ~repeat
            rank = np.cumsum(valid, axis=1)
            need = np.minimum(count, self.n_items - self.user_counts[users])
            for row, user in enumerate(users):
                chosen = candidates[row][valid[row] & (rank[row] <= need[row])]
                if len(chosen) < need[row]:
                    chosen = self._draw_sequentially(seed, int(user), int(need[row]))
                if len(chosen) < count:
                    chosen = np.concatenate([chosen, np.full(count - len(chosen), chosen[0] if len(chosen) else self.held_out[start + row])])
                out[start + row] = chosen
        return out

    def _draw_sequentially(self, seed, user, need):
        chosen, marked, draws = [], set(), need + 64
        while len(chosen) < need:
            stream = (engage_split.splitmix_streams(seed, [user], draws)[0] % np.uint64(self.n_items)).astype(np.int64)
            chosen, marked = [], set()
            for item in stream:
                if len(chosen) == need:
                    break
                if item not in marked and not self._seen(np.array([user]), np.array([item]))[0]:
                    marked.add(int(item))
                    chosen.append(int(item))
            draws *= 2
        return np.array(chosen, dtype=np.int64)

    def candidates(self):
        """(test users, candidate items): column 0 the held-out item, then the negatives."""
        return self.test_users, np.column_stack([self.held_out, self.negatives])

    def train_matrix(self):
        """The training interactions as a users × items CSR matrix of ones."""
        from scipy.sparse import csr_matrix

        data = np.ones(len(self.train_users), dtype=np.float32)
        return csr_matrix((data, (self.train_users, self.train_items)), shape=(self.n_users, self.n_items))

    def evaluate(self, scores):
        """HR@10 and NDCG@10 from a (test users, 100) score array, column 0 the held-out item."""
        target = scores[:, :1]
        above = np.sum(scores[:, 1:] > target, axis=1)
        tied = np.sum(scores[:, 1:] == target, axis=1)
        prefix = np.concatenate([[0.0], np.cumsum(1.0 / np.log2(np.arange(CUTOFF) + 2.0))])
        low, high = np.minimum(above, CUTOFF), np.minimum(above + tied + 1, CUTOFF)
        hits = (high - low) / (tied + 1.0)
        gains = (prefix[high] - prefix[low]) / (tied + 1.0)
        return {"hr@10": float(hits.mean()), "ndcg@10": float(gains.mean()), "evaluated_users": int(len(hits))}

    def popularity_ranking(self):
        counts = np.bincount(self.train_items, minlength=self.n_items).astype(np.float64)
        _, items = self.candidates()
        return self.evaluate(counts[items])
