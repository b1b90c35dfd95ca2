"""`velo sentiment evaluate`: accuracy, macro-F1 and confusion matrix, ours next to VADER's.

By default on the test split of every source (never used for fitting or choosing the model),
per source and over all rows; ``--data FILE`` scores a user's own labelled CSV instead.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from velo.sentiment.datasets import Example
from velo.sentiment.model import LABELS
from velo.sentiment.scorers import Scorer, vader


def figures(scorer: Scorer, examples: Sequence[Example]) -> dict[str, Any]:
    """rows, accuracy, macro-F1 (mean of per-class F1) and confusion[true][predicted]."""
    confusion = {true: dict.fromkeys(LABELS, 0) for true in LABELS}
    for example in examples:
        confusion[example.label][scorer.predict(example.text).label] += 1
    rows = len(examples)
    correct = sum(confusion[label][label] for label in LABELS)
    f1s = []
    for label in LABELS:
        predicted = sum(confusion[true][label] for true in LABELS)
        actual = sum(confusion[label].values())
        hits = confusion[label][label]
        f1s.append(2 * hits / (predicted + actual) if predicted + actual else 0.0)
    return {
        "rows": rows,
        "accuracy": round(correct / rows, 4) if rows else None,
        "macro_f1": round(sum(f1s) / len(f1s), 4),
        "confusion": confusion,
    }


def evaluation(model: Scorer, examples: Sequence[Example]) -> dict[str, Any]:
    """``{"rows", "model": {...}, "vader": {...}, "sources": {name: {...}}}`` for these rows."""
    baseline = vader()

    def both(rows: Sequence[Example]) -> dict[str, Any]:
        return {
            "rows": len(rows),
            "model": {"version": model.version, **strip_rows(figures(model, rows))},
            "vader": {"version": baseline.version, **strip_rows(figures(baseline, rows))},
        }

    sources = sorted({example.source for example in examples})
    return {
        **both(examples),
        "sources": {s: both([e for e in examples if e.source == s]) for s in sources},
    }


def strip_rows(result: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in result.items() if key != "rows"}
