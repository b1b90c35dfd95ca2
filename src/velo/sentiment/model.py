"""Score finance headlines with the trained model artifact (standard library only).

The artifact (``model.json`` next to this module, written by ``velo sentiment train``) holds a
vocabulary of word 1-2-grams and in-word character 4-grams, each feature's idf and its weight
per class, and the class biases of a multinomial logistic regression. Scoring one text is the
same featurisation as training, an l2-normalised tf-idf vector, one dot product per class and a
softmax: plain Python, so the Lambda package needs neither numpy nor scikit-learn.

Per text the scorer answers a label (the most probable class) and a score in [-1, 1]: the
probability of positive minus the probability of negative.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from velo.errors import VeloError

ARTIFACT_PATH = Path(__file__).with_name("model.json")
MODEL_NAME = "velo-finance"
LABELS = ("negative", "neutral", "positive")

URL = re.compile(r"https?://\S+|www\.\S+")
CASHTAG = re.compile(r"\$[a-z][a-z.]{0,6}\b")
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
TOKEN = re.compile(r"[a-z0-9_]+(?:'[a-z]+)?|[%+\-!?]")
CHAR_NGRAMS = (4,)


def normalise(text: str) -> str:
    """Lower case; links, tickers and numbers become placeholders (tweets and news differ there)."""
    text = URL.sub(" _url_ ", text.lower())
    text = CASHTAG.sub(" _ticker_ ", text)
    return NUMBER.sub("0", text)


def features(text: str) -> dict[str, int]:
    """Feature -> count: words (``w:``), word bigrams (``b:``), in-word char 4-grams (``c:``)."""
    tokens = TOKEN.findall(normalise(text))
    counts: dict[str, int] = {}
    grams = [f"w:{token}" for token in tokens]
    grams += [f"b:{a} {b}" for a, b in itertools.pairwise(tokens)]
    for token in tokens:
        grams += char_grams(token)
    for gram in grams:
        counts[gram] = counts.get(gram, 0) + 1
    return counts


@lru_cache(maxsize=65536)
def char_grams(token: str) -> tuple[str, ...]:
    """In-word character n-grams of a token (cached: news repeats its words)."""
    if len(token) < 3 or token.startswith("_"):
        return ()
    padded = f"<{token}>"
    return tuple(f"c:{padded[i : i + n]}" for n in CHAR_NGRAMS for i in range(len(padded) - n + 1))


@dataclass(frozen=True)
class Prediction:
    label: str
    score: float  # P(positive) - P(negative), in [-1, 1]


class FinanceModel:
    """The trained artifact, loaded once; :meth:`predict` is deterministic."""

    name = MODEL_NAME

    def __init__(self, artifact: dict[str, Any]) -> None:
        self.version: str = artifact["version"]
        self.artifact = artifact
        self.bias: list[float] = artifact["bias"]
        self.vocabulary: dict[str, tuple[float, list[float]]] = {
            feature: (idf, weights)
            for feature, idf, weights in zip(
                artifact["features"], artifact["idf"], artifact["weights"], strict=True
            )
        }

    def predict(self, text: str) -> Prediction:
        found = []
        vocabulary = self.vocabulary
        for feature, count in features(text).items():
            entry = vocabulary.get(feature)
            if entry is not None:
                found.append(((1.0 + math.log(count)) * entry[0], entry[1]))
        norm = math.sqrt(sum(value * value for value, _ in found)) or 1.0
        logits = [
            bias + sum(value * weights[k] for value, weights in found) / norm
            for k, bias in enumerate(self.bias)
        ]
        top = max(logits)
        exps = [math.exp(logit - top) for logit in logits]
        total = sum(exps)
        probabilities = dict(zip(LABELS, (e / total for e in exps), strict=True))
        label = max(LABELS, key=lambda name: probabilities[name])
        score = round(probabilities["positive"] - probabilities["negative"], 4)
        return Prediction(label, score)


def read_artifact(path: Path = ARTIFACT_PATH) -> dict[str, Any]:
    try:
        artifact = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise VeloError(
            f"sentiment model {path} cannot be read ({exc}); run `velo sentiment train`"
        ) from None
    if artifact.get("labels") != list(LABELS):
        raise VeloError(f"sentiment model {path} is not a {MODEL_NAME} artifact")
    return artifact


@cache
def load_model(path: Path = ARTIFACT_PATH) -> FinanceModel:
    """One model per process: parsing the artifact is the slow part."""
    return FinanceModel(read_artifact(path))
