"""Benchmark: how many human labels the model in the loop needs when the review queue follows its
uncertainty, against the same queue in random order; and how well its confidence is calibrated.

A few thousand short reviews are generated with a fixed seed in three classes: each draws two to four
words from its class's cue words, some from a neighbouring class's (the hard, mixed cases), and filler.
A simulated annotator answers from the gold label. Each round, `gleaner.labeling.active.model_pass`
trains on what people labelled so far and predicts the rest; the next `--batch` records people label are
the top of its queue (uncertainty order) or a random draw (random order). The published labels are the
human labels plus the model's predictions for the rest, DataFlirt's loop; in Gleaner the model never
publishes alone (it votes, ranks the queue and flags label issues), so the figure says how quickly the
queue order makes those signals good. Reported: human labels needed to reach `--target` accuracy in
each order, their ratio `labels_saved_factor` (random / uncertainty), and at the end of the uncertainty
run the expected calibration error of the model's confidence on the records nobody labelled, raw
(`ece_raw`) and calibrated (`gleaner.labeling.calibration`: Platt scaling below 1,000 labels, isotonic from
there) two ways: `ece_calibrated` fitted on the audit slice (`--audit-fraction`, as the labels step fits it),
`ece_calibrated_on_queue` fitted on the records the uncertainty queue had people label, the biased sample
the audit slice exists to avoid.

    .venv/bin/python benchmarks/active_learning.py [--records 3000] [--target 0.95] [--batch 25] [--seed 7]

The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from gleaner.labeling import RecordView, in_audit  # noqa: E402
from gleaner.labeling.active import ModelPass, model_pass  # noqa: E402
from gleaner.labeling.calibration import expected_calibration_error, fit_source  # noqa: E402

CUES = {
    "positive": ["great", "love", "excellent", "perfect", "sturdy", "recommend", "happy", "superb", "brilliant"],
    "negative": ["broken", "awful", "refund", "flimsy", "useless", "returned", "disappointed", "leaks", "faulty"],
    "neutral": ["okay", "average", "fine", "decent", "expected", "adequate", "ordinary", "acceptable", "so-so"],
}
NEIGHBOUR = {"positive": "neutral", "negative": "neutral", "neutral": "positive"}
FILLER = [
    "the",
    "it",
    "arrived",
    "box",
    "week",
    "and",
    "with",
    "my",
    "was",
    "kettle",
    "blender",
    "toaster",
    "lamp",
    "after",
    "on",
    "in",
    "for",
    "this",
]


def generate(n: int, seed: int) -> tuple[list[RecordView], dict[str, str]]:
    rng = random.Random(seed)
    views, gold = [], {}
    for i in range(n):
        label = rng.choice(list(CUES))
        words = rng.sample(CUES[label], rng.randint(1, 3))
        if rng.random() < 0.4:  # a hard case: cue words of a neighbouring class too
            words += rng.sample(CUES[NEIGHBOUR[label]], rng.randint(1, 2))
        words += rng.sample(FILLER, rng.randint(3, 7))
        rng.shuffle(words)
        record_id = f"r{i:05d}"
        views.append(RecordView(record_id, " ".join(words), None))
        gold[record_id] = label
    return views, gold


def published_accuracy(views: list[RecordView], gold: dict[str, str], humans: dict[str, str], run: ModelPass) -> float:
    predicted = {v["record_id"]: v["label"] for v in run.votes}
    correct = sum((humans.get(v.record_id) or predicted.get(v.record_id)) == gold[v.record_id] for v in views)
    return correct / len(views)


def simulate(
    views, gold, order: str, target: float, batch: int, seed: int, budget: int
) -> tuple[int | None, ModelPass]:
    rng = random.Random(seed)
    start = [r for label in CUES for r in [v.record_id for v in views if gold[v.record_id] == label][:10]]
    humans = {r: gold[r] for r in start}
    while True:
        run = model_pass(views, {r: (label, "human") for r, label in humans.items()})
        accuracy = published_accuracy(views, gold, humans, run)
        if accuracy >= target:
            return len(humans), run
        if len(humans) >= budget:
            return None, run
        pending = [v.record_id for v in views if v.record_id not in humans]
        if order == "uncertainty":
            chosen = sorted(pending, key=lambda r: (-run.priority[r], r))[:batch]
        else:
            chosen = rng.sample(pending, batch)
        humans.update({r: gold[r] for r in chosen})


def calibration(gold, run: ModelPass, humans: set[str], fraction: float) -> dict[str, float]:
    """ECE of the model's confidence on held-out records (nobody labelled them, not in the audit slice): raw,
    calibrated on the audit slice (`in_audit`, `fraction` of records by a hash of their id, labelled by
    people: here, their gold label), as the labels step does once the slice has enough human labels, and
    calibrated on the records the uncertainty queue had people label (a biased sample: the slice's reason)."""
    audit = [v for v in run.votes if in_audit(v["record_id"], fraction)]
    queue = [v for v in run.votes if v["record_id"] in humans]  # out-of-fold votes
    held_out = [v for v in run.votes if v["record_id"] not in humans and not in_audit(v["record_id"], fraction)]
    raw = [v["confidence"] for v in held_out]
    correct = [v["label"] == gold[v["record_id"]] for v in held_out]

    def ece_after(sample: list[dict]) -> float:
        fitted = fit_source(
            "model", [v["confidence"] for v in sample], [v["label"] == gold[v["record_id"]] for v in sample]
        )
        return round(expected_calibration_error(list(map(fitted.calibrate, raw)), correct), 4)

    return {
        "ece_raw": round(expected_calibration_error(raw, correct), 4),
        "ece_calibrated": ece_after(audit),
        "ece_calibrated_on_queue": ece_after(queue),
        "audit_records": len(audit),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=3000)
    parser.add_argument("--target", type=float, default=0.95)
    parser.add_argument("--batch", type=int, default=25)
    parser.add_argument("--budget", type=int, default=1500, help="Human labels at most, per order.")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--audit-fraction", type=float, default=0.05, help="review.audit_fraction")
    args = parser.parse_args()

    views, gold = generate(args.records, args.seed)
    figures: dict[str, object] = {"records": args.records, "target_accuracy": args.target, "batch": args.batch}
    runs = {}
    for order in ("uncertainty", "random"):
        started = time.perf_counter()
        needed, run = simulate(views, gold, order, args.target, args.batch, args.seed, args.budget)
        runs[order] = (needed, run)
        figures[f"labels_needed_{order}"] = needed
        print(f"{order}: {needed} human labels to reach {args.target} ({time.perf_counter() - started:.1f}s)")
    uncertain, random_order = figures["labels_needed_uncertainty"], figures["labels_needed_random"]
    budget_note = random_order or args.budget  # random order not done within the budget: a lower bound
    figures["labels_saved_factor"] = round(budget_note / uncertain, 3) if uncertain else None
    figures["labels_saved_factor_is_lower_bound"] = random_order is None
    needed, run = runs["uncertainty"]
    humans = {v["record_id"] for v in run.votes} - set(run.priority)  # labelled: out-of-fold votes
    figures |= calibration(gold, run, humans, args.audit_fraction)
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
