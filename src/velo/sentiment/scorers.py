"""The scorers the sentiment function can use, chosen by the ``sentiment_scorer`` setting.

``finance`` (default) is the trained model in ``model.json``; ``vader`` is the general-purpose
VADER lexicon, kept as the baseline. Each has a name and a version that travel with every score
it lands, so the daily sentiment never mixes scorers silently.
"""

from __future__ import annotations

from functools import cache
from importlib.metadata import version
from typing import TYPE_CHECKING, Protocol

from velo.errors import UsageError
from velo.functions import label_for
from velo.sentiment.model import Prediction, load_model
from velo.settings import SENTIMENT_SCORERS

if TYPE_CHECKING:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer


class Scorer(Protocol):
    name: str
    version: str

    def predict(self, text: str) -> Prediction: ...


class VaderScorer:
    """VADER's compound score, labelled with its conventional +-0.05 thresholds."""

    name = "vader"

    def __init__(self) -> None:
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        self.version = version("vaderSentiment")
        self.analyzer: SentimentIntensityAnalyzer = SentimentIntensityAnalyzer()

    def predict(self, text: str) -> Prediction:
        score = self.analyzer.polarity_scores(text)["compound"]
        return Prediction(label_for(score), score)


@cache
def vader() -> VaderScorer:
    """One analyzer per process: loading VADER's lexicon is the slow part."""
    return VaderScorer()


def scorer_for(name: str) -> Scorer:
    if name == "finance":
        return load_model()
    if name == "vader":
        return vader()
    raise UsageError(
        f"unknown sentiment scorer {name!r}; choose one of {', '.join(SENTIMENT_SCORERS)}"
    )
