"""The finance scorer: artifact, reproducible training, honest evaluation, the CLI."""

from __future__ import annotations

import csv
import hashlib
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from velo.cli import app
from velo.sentiment import datasets
from velo.sentiment.datasets import Example, all_examples
from velo.sentiment.evaluate import figures
from velo.sentiment.model import ARTIFACT_PATH, LABELS, FinanceModel, Prediction, load_model
from velo.sentiment.train import train

runner = CliRunner()


def test_artifact_is_plain_json_and_its_version_is_its_content_hash() -> None:
    artifact = json.loads(ARTIFACT_PATH.read_text())
    body = {k: v for k, v in artifact.items() if k not in ("version", "evaluation")}
    body["training"] = {k: v for k, v in body["training"].items() if k != "dev_macro_f1_by_l2"}
    digest = hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()
    assert artifact["version"] == f"1.{digest[:10]}"
    assert len(artifact["features"]) == len(artifact["idf"]) == len(artifact["weights"])
    assert ARTIFACT_PATH.stat().st_size < 2_000_000  # small enough for the Lambda zip


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("Acme cuts full-year guidance, shares plunge after profit warning", "negative"),
        ("Acme beats estimates and raises its outlook; shares jump 8%", "positive"),
        ("Acme to present at the industry conference on Tuesday", "neutral"),
        ("$ACME: Morgan Stanley downgrades to Underweight https://t.co/x", "negative"),
    ],
)
def test_scores_finance_language_deterministically(text: str, label: str) -> None:
    model = load_model()
    first = model.predict(text)
    assert (
        first
        == model.predict(text)
        == FinanceModel(json.loads(ARTIFACT_PATH.read_text())).predict(text)
    )
    assert first.label == label
    assert -1 <= first.score <= 1
    assert (first.score > 0) == (label == "positive") or label == "neutral"


def test_test_split_never_meets_training_or_dev_rows() -> None:
    examples = all_examples()
    held_out = {e.text for e in examples if e.split == "test"}
    fitted = {e.text for e in examples if e.split != "test"}
    assert held_out and fitted and not held_out & fitted
    # splits are fixed by the text, not by file order
    assert [e.split for e in examples] == [e.split for e in all_examples()]


class Fixed:
    """A scorer answering from a table, to check the figures by hand."""

    name, version = "fixed", "0"

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers

    def predict(self, text: str) -> Prediction:
        return Prediction(self.answers[text], 0.0)


def test_accuracy_macro_f1_and_confusion_by_hand() -> None:
    rows = [("a", "positive", "positive"), ("b", "positive", "neutral"),
            ("c", "negative", "negative"), ("d", "neutral", "neutral")]  # fmt: skip
    examples = [Example(text, true, "s", "test") for text, true, _ in rows]
    result = figures(Fixed({text: predicted for text, _, predicted in rows}), examples)
    assert result["accuracy"] == 0.75
    # F1: negative 1, neutral 2*1/(2+1)=2/3, positive 2*1/(1+2)=2/3 -> mean 7/9
    assert result["macro_f1"] == round(7 / 9, 4)
    assert result["confusion"]["positive"] == {"negative": 0, "neutral": 1, "positive": 1}


def small_data(target: Path) -> Path:
    """A few hundred rows of each packaged source, same formats."""
    target.mkdir()
    for name, keep in (("sent_train.csv", 300), ("sent_valid.csv", 100)):
        with (datasets.DATA_DIR / name).open(newline="", encoding="utf-8") as fh:
            rows = list(csv.reader(fh))[: keep + 1]
        with (target / name).open("w", newline="", encoding="utf-8") as fh:
            csv.writer(fh).writerows(rows)
    paragraphs = json.loads((datasets.DATA_DIR / "FinEntity.json").read_text())[:80]
    (target / "FinEntity.json").write_text(json.dumps(paragraphs))
    return target


def test_training_is_reproducible_byte_for_byte(tmp_path: Path) -> None:
    data = small_data(tmp_path / "data")
    first = train(data, tmp_path / "first.json")
    train(data, tmp_path / "second.json")

    assert (tmp_path / "first.json").read_bytes() == (tmp_path / "second.json").read_bytes()
    model = FinanceModel(json.loads((tmp_path / "first.json").read_text()))
    assert model.version == first["version"] != load_model().version
    assert model.predict("Shares plunge after profit warning").label in LABELS
    assert set(first["evaluation"]["sources"]) == {
        "twitter", "finentity", "finentity_sentences", "simulated_news"
    }  # fmt: skip


def test_evaluate_json_on_a_users_file(tmp_path: Path) -> None:
    labelled = tmp_path / "mine.csv"
    labelled.write_text(
        "text,label\n"
        '"Acme cuts guidance, shares plunge",negative\n'
        "Acme beats estimates and raises outlook,positive\n"
        "Acme schedules its annual meeting for May 3,neutral\n"
    )
    result = runner.invoke(app, ["sentiment", "evaluate", "--data", str(labelled), "--json"])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    assert body["rows"] == 3
    assert body["model"]["version"] == load_model().version
    for scorer in ("model", "vader"):
        assert 0 <= body[scorer]["accuracy"] <= 1 and 0 <= body[scorer]["macro_f1"] <= 1
        confusion = body[scorer]["confusion"]
        assert sum(sum(row.values()) for row in confusion.values()) == 3


def test_evaluate_titles_the_table_by_the_users_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("mine.csv").write_text("text,label\nAcme beats estimates and raises outlook,positive\n")
    result = runner.invoke(app, ["sentiment", "evaluate", "--data", "mine.csv"])
    assert result.exit_code == 0, result.output
    text = " ".join(result.output.split())  # unwrapped
    assert f"sentiment model {load_model().version} vs VADER (rows of mine.csv)" in text
    assert "test rows" not in text


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("words,label\nx,positive\n", "must name the columns text,label"),
        ("text,label\nfine,positive\nodd,bullish\n", "row 3: label 'bullish' is not one of"),
    ],
)
def test_evaluate_rejects_bad_files_with_one_line(
    tmp_path: Path, content: str, message: str
) -> None:
    labelled = tmp_path / "bad.csv"
    labelled.write_text(content)
    result = runner.invoke(app, ["sentiment", "evaluate", "--data", str(labelled)])
    assert result.exit_code == 2
    assert message in result.output and "Traceback" not in result.output
