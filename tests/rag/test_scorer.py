"""The learned answer scorer: the shipped file, bad files, and training it with the article-level split."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from sklearn.ensemble import HistGradientBoostingClassifier

from errors import ConfigError
from rag.eval import load_dataset
from rag.features import FEATURES
from rag.scorer import SHIPPED, AnswerScorer, Trees
from tests.cli import run

FIXTURES = Path(__file__).parent.parent / "fixtures"


def test_the_shipped_scorer_loads_and_gives_probabilities():
    scorer = AnswerScorer.load(SHIPPED)
    probabilities = scorer.probabilities(np.tile(scorer.mean, (3, 1)))
    assert probabilities.shape == (3,) and np.all((0 < probabilities) & (probabilities < 1))
    # Across languages the same evidence scores lower, so its threshold is lower.
    assert 0 < scorer.thresholds[1] < scorer.thresholds[0] < 1
    saved = json.loads(SHIPPED.read_text(encoding="utf-8"))
    assert saved["features"] == list(FEATURES) and saved["trained_on"]["split"] == "train"


@pytest.mark.parametrize("content, problem", [
    ("", "is not usable: Expecting value"),
    ("{not json", "is not usable"),
    ('{"format": "sanad-answer-scorer/3", "features": ["similarity"]}', "trained on other features"),
    ('{"format": "sanad-answer-scorer/2"}', "not a sanad-answer-scorer/3 file"),
    ('["a list"]', "is not usable"),
])
def test_a_bad_scorer_file_is_a_one_line_error_naming_it(tmp_path, content, problem):
    path = tmp_path / "scorer.json"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(ConfigError, match=problem) as raised:
        AnswerScorer.load(path)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)


def fitted_trees() -> tuple[HistGradientBoostingClassifier, np.ndarray]:
    """Trees fitted to rows where a unit answers when it is similar and names what was asked, with some noise."""
    random = np.random.RandomState(0)
    rows = random.rand(3000, len(FEATURES))
    labels = (rows[:, 0] + rows[:, FEATURES.index("names_in_unit")] ** 2 + random.randn(3000) * 0.2 > 1).astype(int)
    model = HistGradientBoostingClassifier(min_samples_leaf=50, random_state=0).fit(rows, labels)
    return model, random.rand(400, len(FEATURES))


def test_trees_score_as_the_library_does_and_survive_the_file():
    model, rows = fitted_trees()
    rows[::7, 0] = np.nan  # a missing value goes the way the library sends it
    trees = Trees.of(model)
    expected = model.predict_proba(rows)[:, 1]
    assert np.allclose(1 / (1 + np.exp(-trees.logits(rows))), expected, rtol=0, atol=1e-12)
    assert np.array_equal(Trees.from_json(json.loads(json.dumps(trees.to_json()))).logits(rows), trees.logits(rows))


def test_units_in_the_questions_language_are_scored_by_the_trees_and_others_by_the_linear_model(tmp_path):
    shipped = json.loads(SHIPPED.read_text(encoding="utf-8"))
    model, rows = fitted_trees()
    shipped["trees"] = Trees.of(model).to_json()
    path = tmp_path / "scorer.json"
    path.write_text(json.dumps(shipped), encoding="utf-8")
    scorer = AnswerScorer.load(path)
    crossing = FEATURES.index("crosses_language")
    rows[:, crossing] = np.arange(len(rows)) % 2
    linear = 1 / (1 + np.exp(-(((rows - scorer.mean) / scorer.scale) @ scorer.weights + scorer.intercept)))
    probabilities = scorer.probabilities(rows)
    assert np.allclose(probabilities[1::2], linear[1::2], rtol=0, atol=1e-12)
    assert np.allclose(probabilities[::2], model.predict_proba(rows[::2])[:, 1], rtol=0, atol=1e-12)


@pytest.mark.parametrize("change, problem", [
    (lambda trees: trees["left"].__setitem__(0, 0), "not well formed"),  # a node that is its own child: no end
    (lambda trees: trees["feature"].__setitem__(0, len(FEATURES)), "not well formed"),
    (lambda trees: trees["value"].pop(), "differ in length"),
    (lambda trees: trees.pop("roots"), "roots"),
    (lambda trees: trees["roots"].clear(), "no trees"),
])
def test_broken_trees_are_a_one_line_error_naming_the_file(tmp_path, change, problem):
    saved = json.loads(SHIPPED.read_text(encoding="utf-8"))
    change(saved["trees"])
    path = tmp_path / "scorer.json"
    path.write_text(json.dumps(saved), encoding="utf-8")
    with pytest.raises(ConfigError, match=problem) as raised:
        AnswerScorer.load(path)
    assert str(path) in str(raised.value) and "\n" not in str(raised.value)


def test_a_missing_scorer_file_stops_the_command_with_one_line(settings, tmp_path):
    missing = tmp_path / "nowhere.json"
    result = run(["rag", "ask", "متى؟"], settings, SANAD_ANSWER_MODEL=str(missing))
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: cannot read the answer scorer {missing}:") and result.stderr.count("\n") == 1


def small_dataset(root: Path) -> Path:
    """Six articles of our own; questions about five of them (the train part of the split) and one (test)."""
    dataset = root / "set"
    (dataset / "articles").mkdir(parents=True)
    for folder in ("crosslingual", "news"):
        for article in (FIXTURES / folder).glob("*.md"):
            shutil.copy(article, dataset / "articles")
    questions = [
        ("من فاز ببطولة الشطرنج؟", ["جود الحسيني"], "chess-final.md"),
        ("Who won the chess championship?", ["جود الحسيني"], "chess-final.md"),
        ("كم مدرسة ستزور الفرق الطبية؟", ["ألفاً وخمسمئة مدرسة"], "vaccine-campaign.md"),
        ("How many schools will the vaccination teams visit?", ["ألفاً وخمسمئة مدرسة"], "vaccine-campaign.md"),
        ("كم طناً ينتج الهكتار؟", ["أربعة أطنان"], "wheat-harvest.md"),
        ("How much wheat does a hectare produce?", ["أربعة أطنان"], "wheat-harvest.md"),
        ("لماذا أغلق الجسر القديم؟", ["تشققات"], "bridge-closure.md"),
        ("Why was the old bridge closed?", ["تشققات"], "bridge-closure.md"),
        ("كم مركبا سمحت الوزارة لها بالصيد؟", ["لمئتين وأربعين مركبا"], "fishing-season.md"),
        ("What did Youssef al-Qasim say about the boats?", ["لمئتين وأربعين مركبا"], "fishing-season.md"),
        ("ماذا قالت فيدوروفا عن الممر؟", ["سيبقى مفتوحا اثنتي عشرة ساعة"], "relief-corridor.md"),
    ]
    lines = [{"id": f"q{i}", "question": q, "answers": a, "article": art} for i, (q, a, art) in enumerate(questions)]
    lines += [
        {"id": "u1", "question": "What did the president of France say about fishing?", "answers": [], "article": None,
         "answerable": False, "related_article": "fishing-season.md"},
        {"id": "u2", "question": "ما سعر الخبز في الوادي؟", "answers": [], "article": None, "answerable": False,
         "related_article": "bridge-closure.md"},
    ]
    (dataset / "questions.jsonl").write_text("\n".join(json.dumps(x, ensure_ascii=False) for x in lines), encoding="utf-8")
    return dataset


def test_training_writes_a_scorer_that_eval_uses_on_the_unseen_part(settings, tmp_path):
    dataset = small_dataset(tmp_path)
    train = {q.id for q in load_dataset(dataset, split="train")}
    test = {q.id for q in load_dataset(dataset, split="test")}
    assert not train & test and test == {"q10"}  # relief-corridor.md is in the test part, the rest in train
    out = tmp_path / "scorer.json"
    result = run(["rag", "train", str(dataset), "--db-root", str(tmp_path / "stores"), "--removed", "4",
                  "--out", str(out)], settings)
    assert result.returncode == 0, result.stderr
    record = json.loads(result.stdout)
    assert record["datasets"]["set"]["questions"] == 10 + 2 + 4 and record["rows"] > 50
    scorer = AnswerScorer.load(out)
    assert all(0 < threshold < 1 for threshold in scorer.thresholds)
    evaluated = run(["rag", "eval", str(dataset), "--db", str(tmp_path / "stores" / "set"), "--split", "test",
                     "--removed", "0", "--json"], settings, SANAD_ANSWER_MODEL=str(out))
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["all"]["questions"] == 1


def test_training_asks_each_store_other_datasets_questions_as_unanswerable(tmp_path):
    from rag.eval import EvalQuestion
    from rag.train import _foreign

    def question(n: int, article: str, answerable: bool = True) -> EvalQuestion:
        return EvalQuestion(f"q{n}", f"question {n}?", ("x",) if answerable else (), article, "en", answerable)

    news, wiki = tmp_path / "news", tmp_path / "wiki"
    parts = {
        news: [question(1, "a.md"), question(2, "b.md", answerable=False)],
        wiki: [question(3, "c.md"), question(4, "d.md")],
    }
    assert sorted(q.id for q in _foreign(parts, news, 10)) == ["q3", "q4"]
    assert [q.id for q in _foreign(parts, wiki, 10)] == ["q1"]  # only answerable ones: they are about something
    assert _foreign(parts, wiki, 0) == [] and _foreign(parts, news, 1) == _foreign(parts, news, 1)
