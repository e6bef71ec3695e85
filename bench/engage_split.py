"""engage's row assignments, reproduced bit for bit in Python, so that a peer trains and tests on
exactly the rows engage does.

- `SeededRandom` is Sources/Dataset/SeededRandom.swift (xoshiro256** seeded through splitmix64,
  Lemire's unbiased `index(below:)`, its Fisher–Yates `shuffle`);
- `stratified` and `folds` are `Splitter.stratified` / `Splitter.folds` (Sources/Dataset/Split.swift):
  strata by value for at most 10 distinct labels, else 10 equal-count rank bins, NaN a stratum of
  its own; test rows apportioned by largest remainders;
- `run_layout` is what `DataPreparer.prepare` does with them: the test split on the first binary
  target (non-finite labels as −1) with `data.seed`, K folds of the train rows with `data.seed + 1`,
  and the training table laid out fold by fold (the order of the run's train shards);
- `splitmix_streams` is Sources/ModelZoo/Support/SplitMix64.swift's `init(seed:stream:)` stream,
  the j-th draw of every stream at once (numpy, wrapping uint64 arithmetic).

bench/test_engage_split.py checks them against numbers taken from the Swift implementation, and
pipeline_bench.py checks the layout against the shards of the engage run it measures.
"""
import numpy as np

MASK = (1 << 64) - 1
GOLDEN = 0x9E3779B97F4A7C15
MIX1 = 0xBF58476D1CE4E5B9
MIX2 = 0x94D049BB133111EB
STREAM = 0xD1B54A32D192ED03
MAX_DISCRETE_VALUES = 10
QUANTILE_BINS = 10


def _rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK


class SeededRandom:
    """xoshiro256**, seeded through splitmix64, as engage's `SeededRandom`."""

    def __init__(self, seed):
        state = seed & MASK
        words = []
        for _ in range(4):
            state = (state + GOLDEN) & MASK
            z = state
            z = ((z ^ (z >> 30)) * MIX1) & MASK
            z = ((z ^ (z >> 27)) * MIX2) & MASK
            words.append(z ^ (z >> 31))
        self.s = words

    def next(self):
        s0, s1, s2, s3 = self.s
        result = (_rotl((s1 * 5) & MASK, 7) * 9) & MASK
        t = (s1 << 17) & MASK
        s2 ^= s0
        s3 ^= s1
        s1 ^= s2
        s0 ^= s3
        s2 ^= t
        s3 = _rotl(s3, 45)
        self.s = [s0, s1, s2, s3]
        return result

    def index_below(self, bound):
        product = self.next() * bound
        if (product & MASK) < bound:
            threshold = ((1 << 64) - bound) % bound
            while (product & MASK) < threshold:
                product = self.next() * bound
        return product >> 64

    def shuffle(self, values):
        """Fisher–Yates in place, as `SeededRandom.shuffle`."""
        i = len(values)
        while i > 1:
            j = self.index_below(i)
            i -= 1
            values[i], values[j] = values[j], values[i]


def strata(labels):
    """Row indices grouped by stratum, each ascending, groups in `Splitter.strata`'s order."""
    labels = np.asarray(labels, dtype=np.float64)
    missing = np.flatnonzero(np.isnan(labels))
    present = np.flatnonzero(~np.isnan(labels))
    distinct = np.unique(labels[present])
    if len(distinct) <= MAX_DISCRETE_VALUES:
        groups = [present[labels[present] == value] for value in distinct]
    else:
        ranked = present[np.lexsort((present, labels[present]))]
        bins = np.arange(len(ranked)) * QUANTILE_BINS // len(ranked)
        groups = [np.sort(ranked[bins == b]) for b in range(QUANTILE_BINS)]
    if len(missing):
        groups.append(missing)
    return [g.tolist() for g in groups if len(g)]


def apportion(total, sizes):
    n = sum(sizes)
    if n == 0:
        return [0] * len(sizes)
    exact = [s * total / n for s in sizes]
    parts = [int(np.floor(e)) for e in exact]
    left = total - sum(parts)
    order = sorted(range(len(sizes)), key=lambda i: (exact[i] - parts[i], -i), reverse=True)
    for i in order:
        if left > 0 and parts[i] < sizes[i]:
            parts[i] += 1
            left -= 1
    return parts


def stratified(labels, test_fraction, seed):
    """(train, test): ascending row indices, as `Splitter.stratified`."""
    random = SeededRandom(seed)
    groups = []
    for group in strata(labels):
        random.shuffle(group)
        groups.append(group)
    # Swift's `(Double(n) * f).rounded()` rounds half away from zero.
    total = int(np.floor(len(labels) * test_fraction + 0.5))
    counts = apportion(total, [len(g) for g in groups])
    train, test = [], []
    for group, count in zip(groups, counts):
        test.extend(group[:count])
        train.extend(group[count:])
    return np.array(sorted(train), dtype=np.int64), np.array(sorted(test), dtype=np.int64)


def folds(labels, k, seed):
    """A fold id in 0..<k for each element, as `Splitter.folds`."""
    random = SeededRandom(seed)
    fold = np.zeros(len(labels), dtype=np.int64)
    following = 0
    for group in strata(labels):
        random.shuffle(group)
        for row in group:
            fold[row] = following
            following = 0 if following + 1 == k else following + 1
    return fold


class RunLayout:
    """The rows of one engage run: `train` in the order of its train shards (fold 0's rows
    ascending, then fold 1's, …), `train_fold` the fold of each of those, `test` ascending."""

    def __init__(self, train, train_fold, test):
        self.train = train
        self.train_fold = train_fold
        self.test = test

    def fold_rows(self, k):
        """Positions (into `train`) of fold k's rows."""
        return np.flatnonzero(self.train_fold == k)

    def other_rows(self, k):
        return np.flatnonzero(self.train_fold != k)


def run_layout(stratify_labels, test_fraction, k, seed):
    labels = np.where(np.isfinite(stratify_labels), stratify_labels, -1.0)
    train, test = stratified(labels, test_fraction, seed)
    assignment = folds(labels[train], k, (seed + 1) & MASK)
    by_fold = [train[assignment == f] for f in range(k)]
    ordered = np.concatenate(by_fold)
    fold_of = np.concatenate([np.full(len(rows), f, dtype=np.int64) for f, rows in enumerate(by_fold)])
    return RunLayout(ordered, fold_of, test)


def _mix(z):
    z = (z ^ (z >> np.uint64(30))) * np.uint64(MIX1)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(MIX2)
    return z ^ (z >> np.uint64(31))


def splitmix_streams(seed, streams, draws):
    """`draws` successive `next()` values of `SplitMix64(seed: seed, stream: s)` for each s in
    `streams`: a (len(streams), draws) uint64 array."""
    with np.errstate(over="ignore"):
        streams = np.asarray(streams, dtype=np.uint64)
        start = _mix((np.uint64(seed) ^ (streams * np.uint64(STREAM))) + np.uint64(GOLDEN))
        steps = (np.arange(1, draws + 1, dtype=np.uint64) * np.uint64(GOLDEN))[None, :]
        return _mix(start[:, None] + steps)
