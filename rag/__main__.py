"""`python -m rag ask …` and `python -m rag eval …`: questions in, cited answers out; figures for a question set."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from errors import InputError, SanadError
from rag.eval import SPLITS, format_table, run_eval
from records import Answer, Filters
from settings import load_settings


def _questions(path: Path) -> list[tuple[object, str]]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(str(path), f"cannot read questions: {error}") from None
    questions = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as error:
            raise InputError(str(path), f"malformed JSON line: {error.msg}", number) from None
        if not isinstance(record, dict) or not isinstance(record.get("question"), str) or not record["question"].strip():
            raise InputError(str(path), 'each line needs {"id": ..., "question": "..."}', number)
        questions.append((record.get("id"), record["question"]))
    return questions


def _print_answer(answer: Answer) -> None:
    print(answer.text)
    for note in answer.notes:
        print(f"note: {note}")
    label = "  (closest passage; it does not answer the question)" if answer.abstained else ""
    for n, passage in enumerate(answer.passages, start=1):
        chunk = passage.chunk
        byline = ", ".join(part for part in (chunk.author, chunk.published) if part)
        print(f"\n[{n}] {chunk.title}" + (f" ({byline})" if byline else "") + label + f"\n    {chunk.url or chunk.source}")
        print("    " + chunk.text.replace("\n", "\n    "))


def _evaluate(args: argparse.Namespace) -> int:
    try:
        figures = run_eval(
            args.dataset, load_settings(), args.db, args.k, args.add_questions, args.removed, args.split,
            log=lambda line: print(line, file=sys.stderr),
        )
    except SanadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(json.dumps(figures, indent=2) if args.json else format_table(figures))
    return 0


def _train(args: argparse.Namespace) -> int:
    from rag.scorer import SHIPPED
    from rag.train import collect, train

    try:
        extra = {}
        for pair in args.add_questions:
            name, _, path = pair.partition("=")
            if not path:
                raise InputError(pair, "expected DATASET_NAME=FILE, e.g. arcd=bench/data/arcd-english-questions.jsonl")
            extra[name] = Path(path)
        log = lambda line: print(line, file=sys.stderr)  # noqa: E731
        training = collect(args.datasets, load_settings(), extra, args.removed, args.db_root, log)
        scorer, record = train(training)
    except SanadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    out = args.out or SHIPPED
    out.write_text(scorer.to_text(record), encoding="utf-8")
    print(json.dumps(record, indent=2))
    print(f"wrote {out}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rag", description="Ask Sanad questions.")
    commands = parser.add_subparsers(dest="command", required=True)
    ask = commands.add_parser("ask", help="answer a question, or a JSON-lines file of questions")
    ask.add_argument("question", nargs="?", help="the question")
    ask.add_argument("--questions", type=Path, help='JSON lines of {"id", "question"}; answers go to stdout')
    ask.add_argument("--db", type=Path, help="data directory (default: SANAD_DATA_DIR or ./data)")
    ask.add_argument("-k", type=int, help="passages to return")
    ask.add_argument("--json", action="store_true", help="print the answer as JSON")
    ask.add_argument("--from", dest="published_from", metavar="DATE", default="", help="published on or after DATE")
    ask.add_argument("--to", dest="published_to", metavar="DATE", default="", help="published on or before DATE")
    ask.add_argument("--source", action="append", default=[], help="only this source (repeatable)")
    ask.add_argument("--author", action="append", default=[], help="only this author (repeatable)")
    ask.add_argument("--lang", action="append", default=[], help="only articles in this language, e.g. ar (repeatable)")
    evaluate = commands.add_parser("eval", help="score retrieval and answers on a question set")
    evaluate.add_argument("dataset", type=Path, help="a folder with articles/ and questions.jsonl")
    evaluate.add_argument("--db", type=Path, help="a data directory that already holds the articles")
    evaluate.add_argument("-k", type=int, default=10, help="passages fetched per question")
    evaluate.add_argument("--add-questions", type=Path, help="more questions about the same articles")
    evaluate.add_argument("--removed", type=int, default=200, metavar="N",
                          help="also ask N sampled answerable questions with their article removed (default 200)")
    evaluate.add_argument("--split", choices=SPLITS, default="all",
                          help="only the questions whose article is in this part of the article-level split")
    evaluate.add_argument("--json", action="store_true", help="print the figures as JSON")
    training = commands.add_parser("train", help="fit the answer scorer on the train part of dev datasets")
    training.add_argument("datasets", nargs="+", type=Path, help="folders with articles/ and questions.jsonl")
    training.add_argument("--db-root", type=Path, help="keep each dataset's store in DB_ROOT/<name> between runs")
    training.add_argument("--add-questions", action="append", default=[], metavar="NAME=FILE",
                          help="more questions about dataset NAME's articles (repeatable)")
    training.add_argument("--removed", type=int, default=200, metavar="N",
                          help="also learn from N sampled questions per dataset asked with their article removed")
    training.add_argument("--out", type=Path, help="where to write the scorer (default: the shipped rag/answer_scorer.json)")
    args = parser.parse_args(argv)
    if args.command == "train":
        return _train(args)
    if args.k is not None and not 1 <= args.k <= 100:
        parser.error("-k must be between 1 and 100")
    if args.command == "eval":
        return _evaluate(args)
    if bool(args.question) == bool(args.questions):
        parser.error("give either a QUESTION or --questions FILE")
    try:
        settings = load_settings(data_dir=args.db)
        filters = Filters(
            args.published_from, args.published_to, tuple(args.source), tuple(args.author), tuple(args.lang)
        )
        questions = _questions(args.questions) if args.questions else [(None, args.question)]
        from rag.pipeline import AskPipeline

        pipeline = AskPipeline.open(settings)
        k = args.k or settings.top_k
        for question_id, question in questions:
            answer = pipeline.ask(question, k, filters)
            if args.json or args.questions:
                print(json.dumps(answer.to_json(question_id), ensure_ascii=False), flush=True)
            else:
                _print_answer(answer)
    except SanadError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
