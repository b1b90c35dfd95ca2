"""`velo sentiment train`: fit the finance scorer with numpy and write its JSON artifact.

Multinomial logistic regression on l2-normalised tf-idf vectors (word 1-2-grams and in-word
character 4-grams, :func:`velo.sentiment.model.features`), fitted by full-batch Adam on a
weighted cross-entropy with an l2 penalty. Every source weighs the same in total and, inside a
source, every class does (so 9,000 tweets do not drown 600 news paragraphs, nor "neutral" the
rest). The l2 strength is chosen on the dev split; the final model is refitted on train + dev
and scored once on test, whose figures are written into the artifact.

Deterministic: fixed splits, sorted vocabulary, zero initialisation, full-batch updates with a
fixed number of steps, sums in a fixed order, and weights rounded before they are written, so
the same data gives a byte-identical artifact (``tests/sentiment`` checks it).
"""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from velo.sentiment.datasets import DATA_DIR, TRAINING_DATASETS, Example, all_examples
from velo.sentiment.model import ARTIFACT_PATH, LABELS, MODEL_NAME, FinanceModel, features

ARTIFACT_FORMAT = 1
MIN_DF = 3
L2_GRID = (1e-5, 3e-5)
STEPS = 250
LEARNING_RATE = 0.1
DECIMALS = 4


@dataclass(frozen=True)
class Matrix:
    """A CSR-like sparse matrix in plain numpy arrays (rows sorted, one entry per feature)."""

    rows: np.ndarray
    columns: np.ndarray
    values: np.ndarray
    shape: tuple[int, int]

    def dot(self, weights: np.ndarray) -> np.ndarray:
        products = self.values[:, None] * weights[self.columns]
        return np.stack(
            [np.bincount(self.rows, products[:, k], self.shape[0]) for k in range(len(LABELS))],
            axis=1,
        )

    def transpose_dot(self, gradient: np.ndarray) -> np.ndarray:
        products = self.values[:, None] * gradient[self.rows]
        return np.stack(
            [np.bincount(self.columns, products[:, k], self.shape[1]) for k in range(len(LABELS))],
            axis=1,
        )


def vocabulary_of(counts: list[dict[str, int]]) -> tuple[list[str], np.ndarray]:
    """Features seen in at least MIN_DF texts, sorted, and their smoothed idf."""
    df = Counter(feature for row in counts for feature in row)
    vocabulary = sorted(feature for feature, n in df.items() if n >= MIN_DF)
    n = len(counts)
    idf = np.array([math.log((1 + n) / (1 + df[f])) + 1 for f in vocabulary])
    return vocabulary, np.round(idf, DECIMALS)


def matrix_of(counts: list[dict[str, int]], vocabulary: list[str], idf: np.ndarray) -> Matrix:
    """The same values :class:`FinanceModel` computes: (1 + ln tf) * idf, l2-normalised per row."""
    index = {feature: i for i, feature in enumerate(vocabulary)}
    rows, columns, values = [], [], []
    for row, row_counts in enumerate(counts):
        found = sorted((index[f], 1.0 + math.log(c)) for f, c in row_counts.items() if f in index)
        entries = [(column, tf * idf[column]) for column, tf in found]
        norm = math.sqrt(sum(value * value for _, value in entries)) or 1.0
        for column, value in entries:
            rows.append(row)
            columns.append(column)
            values.append(value / norm)
    return Matrix(
        np.array(rows, dtype=np.int64),
        np.array(columns, dtype=np.int64),
        np.array(values),
        (len(counts), len(vocabulary)),
    )


def sample_weights(examples: list[Example]) -> np.ndarray:
    """Each source the same total weight, each class within a source too; mean weight 1."""
    groups = Counter((example.source, example.label) for example in examples)
    classes_per_source = Counter(source for source, _ in groups)
    weights = np.array(
        [1.0 / (groups[(e.source, e.label)] * classes_per_source[e.source]) for e in examples]
    )
    return weights * len(examples) / weights.sum()


def fit(x: Matrix, y: np.ndarray, weights: np.ndarray, l2: float) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch Adam from zero on mean weighted cross-entropy + l2/2 * |W|^2."""
    n, k = x.shape[0], len(LABELS)
    w, b = np.zeros((x.shape[1], k)), np.zeros(k)
    moments = [np.zeros_like(w), np.zeros_like(w), np.zeros_like(b), np.zeros_like(b)]
    onehot = np.eye(k)[y]
    beta1, beta2, eps = 0.9, 0.999, 1e-8
    for step in range(1, STEPS + 1):
        logits = x.dot(w) + b
        logits -= logits.max(axis=1, keepdims=True)
        p = np.exp(logits)
        p /= p.sum(axis=1, keepdims=True)
        residual = (p - onehot) * weights[:, None] / n
        grads = (x.transpose_dot(residual) + l2 * w, residual.sum(axis=0))
        for i, (param, grad) in enumerate(zip((w, b), grads, strict=True)):
            m, v = moments[2 * i], moments[2 * i + 1]
            m *= beta1
            m += (1 - beta1) * grad
            v *= beta2
            v += (1 - beta2) * grad * grad
            m_hat = m / (1 - beta1**step)
            v_hat = v / (1 - beta2**step)
            param -= LEARNING_RATE * m_hat / (np.sqrt(v_hat) + eps)
    return w, b


def artifact_of(
    vocabulary: list[str], idf: np.ndarray, w: np.ndarray, b: np.ndarray, l2: float
) -> dict[str, Any]:
    weights = np.round(w, DECIMALS)
    body = {
        "format": ARTIFACT_FORMAT,
        "name": MODEL_NAME,
        "labels": list(LABELS),
        "training": {
            "sources": list(TRAINING_DATASETS),
            "l2": l2,
            "steps": STEPS,
            "min_df": MIN_DF,
            "features": "word 1-2-grams + in-word char 4-grams, (1 + ln tf) * idf, l2-norm",
        },
        "bias": [round(float(value), DECIMALS) for value in b],
        "features": vocabulary,
        "idf": [float(value) for value in idf],
        "weights": [[float(value) for value in row] for row in weights],
    }
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    return {"version": f"{ARTIFACT_FORMAT}.{digest[:10]}", **body}


def train_model(examples: list[Example], l2: float) -> dict[str, Any]:
    counts = [features(example.text) for example in examples]
    vocabulary, idf = vocabulary_of(counts)
    x = matrix_of(counts, vocabulary, idf)
    y = np.array([LABELS.index(example.label) for example in examples])
    w, b = fit(x, y, sample_weights(examples), l2)
    return artifact_of(vocabulary, idf, w, b, l2)


def select_l2(examples: list[Example]) -> tuple[float, dict[str, float]]:
    """The l2 strength with the best mean macro-F1 over the sources' dev splits."""
    from velo.sentiment.evaluate import figures

    train = [e for e in examples if e.split == "train"]
    dev = [e for e in examples if e.split == "dev"]
    results = {}
    for l2 in L2_GRID:
        model = FinanceModel(train_model(train, l2))
        per_source = [
            figures(model, [e for e in dev if e.source == source])["macro_f1"]
            for source in TRAINING_DATASETS
        ]
        results[l2] = round(sum(per_source) / len(per_source), 4)
    return max(L2_GRID, key=lambda l2: results[l2]), results


def train(data_dir: Path = DATA_DIR, out: Path = ARTIFACT_PATH) -> dict[str, Any]:
    """Choose l2 on dev, refit on train + dev, evaluate on test, write the artifact."""
    from velo.sentiment.evaluate import evaluation

    examples = all_examples(data_dir)
    l2, dev_scores = select_l2(examples)
    artifact = train_model([e for e in examples if e.split != "test"], l2)
    artifact["training"]["dev_macro_f1_by_l2"] = {str(k): v for k, v in dev_scores.items()}
    artifact["evaluation"] = evaluation(
        FinanceModel(artifact), [e for e in examples if e.split == "test"]
    )
    write_artifact(artifact, out)
    return artifact


def write_artifact(artifact: dict[str, Any], out: Path) -> None:
    out.write_text(json.dumps(artifact, separators=(",", ":")) + "\n", encoding="utf-8")
