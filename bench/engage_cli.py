"""The engage binary as the benchmark drives it: what it can do, and its train/predict commands.

Capabilities are read from `--help`, so the harness works against a binary that does not have
every command yet (the anomaly and recommender kinds, `predict --shap`) and reports "n/a".
"""
import os
import re

import measure


class EngageOutputError(Exception):
    """engage ran but printed something the harness cannot read; names the command and the text."""


class Engage:
    """One engage executable, its detected capabilities and the commands the benchmark runs."""

    def __init__(self, path):
        if not os.path.isfile(path) or not os.access(path, os.X_OK):
            raise FileNotFoundError(f"{path}: no engage executable here (build it with `swift build -c release`)")
        self.path = os.path.abspath(path)
        self.subcommands = _subcommands(measure.run([self.path, "--help"], check=False).output)
        self.train_help = _flat(measure.run([self.path, "train", "--help"], check=False).output)
        self.predict_help = _flat(measure.run([self.path, "predict", "--help"], check=False).output)
        self.train_kinds = _option_values(self.train_help, "kind")
        self.has_shap = "--shap" in self.predict_help

    def supports_kind(self, kind):
        return kind in self.train_kinds

    def generate(self, rows, seed, out):
        return measure.run([self.path, "generate", "--rows", str(rows), "--seed", str(seed), "--out", out])

    def train(self, arguments):
        """Runs `engage train ARGUMENTS…`; returns the measurement and the training seconds that
        engage prints (the time after the CSV files are loaded)."""
        measured = measure.run([self.path, "train"] + list(arguments))
        return measured, training_seconds(measured.output, "engage train " + " ".join(arguments))

    def predict(self, model_dir, data, out, shap=False):
        argv = [self.path, "predict", "--model", model_dir, "--data", data, "--out", out]
        if shap:
            argv.append("--shap")
        return measure.run(argv)


def training_seconds(output, command):
    """The seconds in engage train's summary line: `trained … in 12.34 s → DIR`."""
    match = re.search(r"^trained .* in ([0-9]+(?:\.[0-9]+)?) s\b", output, re.MULTILINE)
    if not match:
        raise EngageOutputError(f"{command}: no 'trained … in N s' line in its output:\n{output[-2000:]}")
    return float(match.group(1))


def _subcommands(help_text):
    """The names listed under SUBCOMMANDS: in swift-argument-parser's top-level help."""
    names, listing = [], False
    for line in help_text.splitlines():
        if line.strip() == "SUBCOMMANDS:":
            listing = True
        elif listing and re.match(r"^  [a-z][a-z0-9-]*( |$)", line):
            names.append(line.split()[0])
        elif listing and line and not line.startswith(" "):
            listing = False
    return names


def _flat(text):
    return " ".join(text.split())


def _option_values(help_text, option):
    """The `(values: a, b, c; …)` list that swift-argument-parser prints for an enum option."""
    start = help_text.find(f"--{option} <{option}>")
    if start < 0:
        return []
    entry = help_text[start:]
    following = entry.find(" --", len(option) + 2)
    entry = entry if following < 0 else entry[:following]
    match = re.search(r"\(values: ([^;)]*)", entry)
    if not match:
        return []
    return [v.strip() for v in match.group(1).split(",") if v.strip()]
