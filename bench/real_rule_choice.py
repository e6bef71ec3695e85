#!/usr/bin/env python3
"""How the default combination rule was chosen (docs/models.md): every candidate fit-time gate,
scored on the part scores that `real_anomaly.py --parts FILE` saved (seeds 0-4, the choosing
seeds), each table's worst gap to its better part.

    python bench/real_anomaly.py --engage ENGAGE --seeds 0-4 --parts bench/out/parts-0-4.json
    python bench/real_rule_choice.py bench/out/parts-0-4.json [CONTAMINATION]
"""
import json
import sys

import numpy as np

import rule_emulation
from scoring import anomaly_auc

CONTAMINATION = float(sys.argv[2]) if len(sys.argv) > 2 else 0.01


def gate(ratio, fallback):
    """bySeparation's shape: a part alone when its separation is ≥ ratio × the other's."""
    def choose(sf, sa):
        if sa > 0 and sa >= ratio * max(sf, 0):
            return "autoencoderOnly"
        if sf > 0 and sf >= ratio * max(sa, 0):
            return "forestOnly"
        return fallback
    return choose


def agreement_gate(margin):
    """The autoencoder alone when the forest confirms its top tail by `margin` more than the
    autoencoder confirms the forest's; otherwise the forest alone."""
    def choose(run):
        return "autoencoderOnly" if run["autoencoder_confirmed"] - run["forest_confirmed"] >= margin else "forestOnly"
    return choose


def candidates():
    out = {}
    for fallback in ("robustZMax", "robustZSum", "rankAverage", "forestOnly"):
        for ratio in (2, 4, 6):
            separation = gate(ratio, fallback)
            out[f"separation ratio {ratio}, else {fallback}"] = lambda run, separation=separation: separation(run["sf"], run["sa"])
    for margin in (0.01, 0.02, 0.03, 0.04, 0.05):
        out[f"agreement margin {margin}"] = agreement_gate(margin)
    for rule in ("robustZMax", "robustZSum", "rankAverage", "forestOnly", "autoencoderOnly"):
        out[f"always {rule}"] = lambda run, rule=rule: rule
    return out


def main(path):
    with open(path) as handle:
        saved = json.load(handle)
    rows = {}
    for table in saved["result"]["tables"]:
        y = np.asarray(saved["labels"][table["name"]])
        for run in table["runs"]:
            f, a = np.asarray(run["parts"]["forest"]), np.asarray(run["parts"]["autoencoder"])
            rules = rule_emulation.fixed_rules(f, a)
            aucs = {r: anomaly_auc(y, s) for r, s in rules.items()}
            sf = rule_emulation.separation(rule_emulation.z(f), CONTAMINATION)
            sa = rule_emulation.separation(rule_emulation.z(a), CONTAMINATION)
            rows.setdefault(table["name"], []).append({"aucs": aucs, "sf": sf, "sa": sa,
                                                       "forest_confirmed": rule_emulation.confirmed(f, a, CONTAMINATION),
                                                       "autoencoder_confirmed": rule_emulation.confirmed(a, f, CONTAMINATION)})
    print("per table (choosing seeds): forest, autoencoder AUC; separations forest / autoencoder")
    for name, runs in rows.items():
        print(f"  {name:14s} forest {np.mean([r['aucs']['forestOnly'] for r in runs]):.4f}  autoencoder "
              f"{np.mean([r['aucs']['autoencoderOnly'] for r in runs]):.4f}  "
              + "  ".join(f"{k} {np.mean([r['aucs'][k] for r in runs]):.4f}" for k in ("rankAverage", "robustZSum", "robustZMax"))
              + "\n    separation " + ", ".join(f"{r['sf']:.2f}/{r['sa']:.2f}" for r in runs)
              + "\n    autoencoder confirmed − forest confirmed "
              + ", ".join(f"{r['autoencoder_confirmed'] - r['forest_confirmed']:+.3f}" for r in runs))
    print("\ncandidate gates: mean AUC over seeds minus the better part's mean, per table (worst first)")
    results = []
    for label, choose in candidates().items():
        gaps = {}
        for name, runs in rows.items():
            combined = np.mean([r["aucs"][choose(r)] for r in runs])
            better = max(np.mean([r["aucs"]["forestOnly"] for r in runs]), np.mean([r["aucs"]["autoencoderOnly"] for r in runs]))
            gaps[name] = combined - better
        results.append((min(gaps.values()), label, gaps))
    for worst, label, gaps in sorted(results, reverse=True):
        print(f"  {worst:+.4f}  {label:28s} " + "  ".join(f"{n} {g:+.4f}" for n, g in gaps.items()))


if __name__ == "__main__":
    main(sys.argv[1])
