"""The benchmark's text report: side-by-side tables and the pass/fail list of the issues' bars."""
import math
from dataclasses import dataclass, field

NOT_AVAILABLE = "n/a"


def number(value, unit=""):
    """A value for a table cell: seconds and MiB with fixed decimals, metrics with 6 significant
    digits, text passed through, None as n/a."""
    if value is None:
        return NOT_AVAILABLE
    if isinstance(value, str):
        return value
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    if unit == "s":
        return f"{value:.3f} s" if value < 10 else f"{value:.2f} s"
    if unit == "MiB":
        return f"{value:.0f} MiB"
    if unit == "x":
        return f"{value:.2f}×"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:.6g}"


def ratio(a, b):
    if not isinstance(a, (int, float)) or not isinstance(b, (int, float)) or b == 0:
        return None
    return a / b


@dataclass
class Row:
    """One measure, one cell per side (engage and up to two peers); the ratio columns are engage/peer."""

    measure: str
    engage: object
    first: object = None
    second: object = None
    unit: str = ""

    def cells(self):
        return [self.measure, number(self.engage, self.unit), number(self.first, self.unit), number(self.second, self.unit),
                number(ratio(self.engage, self.first), "x"), number(ratio(self.engage, self.second), "x")]

    def to_dict(self, peers):
        return {"measure": self.measure, "unit": self.unit, "engage": self.engage, peers[0]: self.first,
                peers[1]: self.second, f"engage_over_{peers[0]}": ratio(self.engage, self.first),
                f"engage_over_{peers[1]}": ratio(self.engage, self.second)}


@dataclass
class Table:
    """A titled list of rows, printed with aligned columns; `peers` renames the two peer columns."""

    title: str
    rows: list = field(default_factory=list)
    peers: tuple = ("lightgbm", "xgboost")
    notes: list = field(default_factory=list)

    def add(self, *args, **kwargs):
        self.rows.append(Row(*args, **kwargs))

    def render(self):
        header = ["measure", "engage", self.peers[0], self.peers[1], f"engage/{self.peers[0]}", f"engage/{self.peers[1]}"]
        body = [row.cells() for row in self.rows]
        widths = [max(len(line[i]) for line in [header] + body) for i in range(len(header))]
        lines = [self.title, "-" * len(self.title)]
        for index, line in enumerate([header] + body):
            lines.append("  ".join(cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i]) for i, cell in enumerate(line)))
            if index == 0:
                lines.append("  ".join("-" * w for w in widths))
        lines.extend(f"  note: {note}" for note in self.notes)
        return "\n".join(lines)

    def to_dict(self):
        return {"title": self.title, "peers": list(self.peers), "rows": [r.to_dict(self.peers) for r in self.rows], "notes": self.notes}


@dataclass
class Bar:
    """One check from the issues: passed, failed, or not measured (with the reason)."""

    name: str
    passed: object  # True, False, or None when not measured
    detail: str

    @property
    def status(self):
        return {True: "PASS", False: "FAIL", None: "SKIP"}[self.passed]


class Scoreboard:
    """Collects the bars in order and prints them with the closing `N passed, M failed` line."""

    def __init__(self):
        self.bars = []

    def check(self, name, passed, detail):
        self.bars.append(Bar(name, bool(passed), detail))

    def skip(self, name, reason):
        self.bars.append(Bar(name, None, reason))

    def counts(self):
        passed = sum(1 for b in self.bars if b.passed is True)
        failed = sum(1 for b in self.bars if b.passed is False)
        skipped = sum(1 for b in self.bars if b.passed is None)
        return passed, failed, skipped

    def render(self):
        width = max((len(b.name) for b in self.bars), default=0)
        lines = ["Bars (issues 3, 4, 5)", "---------------------"]
        lines += [f"{b.status}  {b.name.ljust(width)}  {b.detail}" for b in self.bars]
        return "\n".join(lines)

    def summary(self):
        passed, failed, skipped = self.counts()
        line = f"{passed} passed, {failed} failed"
        return line + (f", {skipped} skipped" if skipped else "")

    def to_list(self):
        return [{"name": b.name, "status": b.status, "detail": b.detail} for b in self.bars]
