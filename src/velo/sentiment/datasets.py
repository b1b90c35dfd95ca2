"""The labelled finance texts the scorer is trained and evaluated on, and their fixed splits.

Sources (copies in ``training_data/``, provenance and licences in its README):

- ``twitter``: Twitter Financial News Sentiment (finance headline tweets). Its ``sent_valid.csv``
  is our test split; ``sent_train.csv`` is split into train and dev.
- ``finentity``: FinEntity news paragraphs whose entities all carry the same label.
- ``finentity_sentences``: the sentences of FinEntity paragraphs whose entities agree within the
  sentence; a sentence always lands in the split of its paragraph.
- ``simulated_news``: every template of the simulated news API (``velo.simulator.news``), its
  tone as the label; test only. These are the texts the platform scores by default, worded
  unlike both training sets (press-release style about a bicycle maker).

Splits are fixed by a hash of the text, so they never move between runs: ``train`` fits the
weights, ``dev`` chooses the hyper-parameters, ``test`` is only ever scored (the figures in the
README and in the artifact).
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from velo.errors import UsageError
from velo.sentiment.model import LABELS

DATA_DIR = Path(__file__).with_name("training_data")
TWITTER_LABELS = {"0": "negative", "1": "positive", "2": "neutral"}
FINENTITY_LABELS = {"Positive": "positive", "Negative": "negative", "Neutral": "neutral"}
# The datasets trained on (simulated_news is not).
TRAINING_DATASETS = ("twitter", "finentity", "finentity_sentences")
TONE_LABELS = {"good": "positive", "bad": "negative", "neutral": "neutral"}
# Share of FinEntity paragraphs per split (by text hash); tweets have their own test file.
TEST_SHARE, DEV_SHARE = 0.25, 0.15
TWITTER_DEV_SHARE = 0.15
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z\"(])")


@dataclass(frozen=True)
class Example:
    text: str
    label: str
    source: str
    split: str  # train | dev | test


def bucket(text: str) -> float:
    """A stable number in [0, 1) for a text: the split does not depend on file order."""
    return int(hashlib.sha256(text.encode()).hexdigest()[:8], 16) / 2**32


def split_of(text: str, test_share: float, dev_share: float) -> str:
    value = bucket(text)
    if value < test_share:
        return "test"
    return "dev" if value < test_share + dev_share else "train"


def twitter_examples(data_dir: Path = DATA_DIR) -> Iterator[Example]:
    for name, test in (("sent_train.csv", False), ("sent_valid.csv", True)):
        with (data_dir / name).open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                text = row["text"].strip()
                split = "test" if test else split_of(text, 0.0, TWITTER_DEV_SHARE)
                yield Example(text, TWITTER_LABELS[row["label"]], "twitter", split)


def finentity_examples(data_dir: Path = DATA_DIR) -> Iterator[Example]:
    """Paragraphs whose entities agree, and their sentences whose entities agree."""
    paragraphs = json.loads((data_dir / "FinEntity.json").read_text(encoding="utf-8"))
    for paragraph in paragraphs:
        text = paragraph["content"].strip()
        entities = paragraph["annotations"]
        split = split_of(text, TEST_SHARE, DEV_SHARE)
        labels = {FINENTITY_LABELS[entity["label"]] for entity in entities}
        if len(labels) == 1:
            yield Example(text, labels.pop(), "finentity", split)
        yield from sentence_examples(paragraph["content"], entities, split)


def sentence_examples(content: str, entities: list[dict], split: str) -> Iterator[Example]:
    start = 0
    for sentence in SENTENCE_END.split(content):
        begin = content.index(sentence, start)
        end = start = begin + len(sentence)
        labels = {
            FINENTITY_LABELS[entity["label"]]
            for entity in entities
            if begin <= entity["start"] < end
        }
        if len(labels) == 1 and len(sentence.split()) >= 4:
            yield Example(sentence.strip(), labels.pop(), "finentity_sentences", split)


def simulated_news_examples(seed: int = 0) -> Iterator[Example]:
    """Each news template once, filled in, as the sentiment function scores it (title. summary)."""
    from datetime import date

    import numpy as np

    from velo.simulator import news

    rng = np.random.default_rng(seed)
    templates = [*news.TEMPLATES, *(t for story in news.STORIES.values() for t in story)]
    for n, template in enumerate(templates):
        text = news.fill(template, rng, date(2024, 1 + n % 12, 15), n % len(news.PRODUCTS))
        yield Example(
            f"{text['title']}. {text['summary']}",
            TONE_LABELS[template.tone],
            "simulated_news",
            "test",
        )


def all_examples(data_dir: Path = DATA_DIR) -> list[Example]:
    return [
        *twitter_examples(data_dir),
        *finentity_examples(data_dir),
        *simulated_news_examples(),
    ]


def read_labelled_csv(path: Path) -> list[Example]:
    """A user's labelled CSV: a header naming text,label; labels negative|neutral|positive."""
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.DictReader(fh)
            missing = {"text", "label"} - set(reader.fieldnames or ())
            if missing:
                raise UsageError(
                    f"{path}: the header must name the columns text,label "
                    f"(missing {', '.join(sorted(missing))})"
                )
            examples = []
            for line_no, row in enumerate(reader, start=2):
                label = (row["label"] or "").strip().lower()
                if label not in LABELS:
                    raise UsageError(
                        f"{path} row {line_no}: label {row['label']!r} is not one of "
                        f"{', '.join(LABELS)}; fix or remove that row"
                    )
                examples.append(Example((row["text"] or "").strip(), label, path.name, "test"))
    except OSError as exc:
        raise UsageError(f"cannot read {path}: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise UsageError(f"{path} is not UTF-8 text (byte {exc.start}); save it as UTF-8") from None
    if not examples:
        raise UsageError(f"{path} has no labelled rows")
    return examples
