"""Command line: `check` one notebook, or `grade` a whole class."""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from .atomic import write_atomically
from .batch import BatchRun, GradingSetup, grade_all
from .catalogue import MISTAKES, source_notebook
from .checks.hidden_inputs import new_seed
from .feedback import FeedbackWriter, write_class_report
from .gradebook import check_course, record_scores
from .judge import check_notebook, secret_paths
from .lesson import release_notebook
from .outputs import grades_csv, results_json
from .record import Record, RecordError, Status
from .records import RecordStore
from .results import as_table, total
from .runner import GraderFault, catalogue, max_score
from .safe_text import one_line
from .sandbox import Limits
from .selftest import matrix, run_selftest
from .submissions import UsageError, collect
from .summary import print_summary, progress_bar

KIT_ROOT = Path(__file__).resolve().parent.parent


def check_command(arguments: argparse.Namespace) -> int:
    path = Path(arguments.notebook)
    if not path.is_file():
        raise UsageError(f"no such notebook: {path}")
    seed = new_seed() if arguments.seed is None else arguments.seed
    verdict = check_notebook(path, Limits.for_wall_clock(arguments.timeout), _release(None), seed)
    score, _ = total(verdict.results)
    if arguments.json:
        document = {
            "notebook": str(path),
            "score": score,
            "max_score": max_score(),
            "message": verdict.message,
            "notes": verdict.notes,
            "checks": [result.to_json() for result in verdict.results],
        }
        print(json.dumps(document, indent=2))
        return 0
    if verdict.results:
        print(as_table(verdict.results))
    for line in [verdict.message, *verdict.notes]:
        if line:
            print(f"note: {one_line(line)}")
    return 0


def grade_command(arguments: argparse.Namespace) -> int:
    out = Path(arguments.out)
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="unzipped-") as scratch:
        batch = collect(arguments.submissions, Path(scratch))
        if batch.course_root:
            check_course(batch.course_root)
        store = RecordStore(out)
        hidden = [out, Path(scratch), *(Path(p) for p in arguments.submissions)]
        if batch.course_root:
            hidden.append(batch.course_root)
        setup = GradingSetup(
            limits=Limits.for_wall_clock(arguments.timeout),
            hidden=tuple(secret_paths(*hidden)),
            out_dir=out,
            course_root=batch.course_root,
            release=_release(batch.course_root),
            seed=store.seed(arguments.seed),
        )
        with progress_bar(len(batch.submissions)) as advance:
            run: BatchRun = grade_all(
                batch.submissions, store, setup, arguments.workers, arguments.force, advance
            )
    students = [submission.student for submission in batch.submissions]
    rows = [_verdict(store, student) for student in students]
    write_atomically(out / "results.json", results_json(rows, max_score()))
    check_ids = [check["id"] for check in catalogue()]
    write_atomically(out / "grades.csv", grades_csv(rows, check_ids))
    if batch.course_root:
        record_scores(batch.course_root, rows)
    readable = [row.student for row in rows if store.has(row.student)]
    write_class_report(_readable(store, readable), out, run.seconds)  # reads observations again
    print_summary(rows, run, out)
    return 1 if any(row.status == Status.GRADER_ERROR for row in rows) else 0


def _release(course_root: Path | None) -> Path:
    try:
        return release_notebook(course_root)
    except FileNotFoundError as missing:
        raise UsageError(str(missing)) from None


def _verdict(store: RecordStore, student: str) -> Record:
    """A student's record without what the student's code produced; a damaged record file
    becomes a grader error row instead of stopping the outputs."""
    try:
        record = store.read(student)
    except RecordError as error:
        return Record(
            student=student,
            status=Status.GRADER_ERROR,
            max_score=max_score(),
            message=f"the stored record is damaged ({error}): regrade with --force",
        )
    return record.with_(observations=(), output="")


def _readable(store: RecordStore, students: list[str]) -> Iterator[Record]:
    for student in students:
        try:
            yield store.read(student)
        except RecordError:
            continue


def feedback_command(arguments: argparse.Namespace) -> int:
    """Rebuild feedback pages and the class report from the records of an earlier `grade`."""
    out = Path(arguments.out)
    store = RecordStore(out)
    students = list(store.students())
    if not students:
        raise UsageError(f"{out} holds no graded records; run `grade --out {out}` first")
    course_root = Path(arguments.course) if arguments.course else None
    writer = FeedbackWriter(out, course_root)
    for record in _readable(store, students):
        writer.write(record)
    report = write_class_report(_readable(store, students), out, seconds=None)
    print(f"{len(students)} feedback pages; class report: {report}")
    return 0


def selftest_command(arguments: argparse.Namespace) -> int:
    """Grade the reference, the release and the catalogue of typical answers; any row that
    is not what the catalogue expects makes the exit status 1."""
    course = Path.cwd() if (Path.cwd() / "source").is_dir() else None
    source = Path(arguments.source) if arguments.source else source_notebook(course or KIT_ROOT)
    if not source.is_file():
        raise UsageError(f"no source notebook {source}: pass --source")
    release = Path(arguments.release) if arguments.release else _release(course)
    with progress_bar(len(MISTAKES) + 2) as advance:
        rows = run_selftest(source, release, arguments.workers, advance)
    print(matrix(rows))
    return 1 if any(row.surprises for row in rows) else 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = main.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="grade one notebook and print every check")
    check.add_argument("notebook", help="path to a .ipynb file")
    check.add_argument("--json", action="store_true", help="print the verdicts as JSON")
    check.add_argument("--timeout", type=float, default=30.0, help="seconds for the student code")
    check.add_argument("--seed", type=int, help="seed of the hidden inputs (default: a new one)")
    check.set_defaults(run=check_command)

    grade = commands.add_parser("grade", help="grade a class of submissions")
    grade.add_argument(
        "submissions",
        nargs="+",
        help="an nbgrader submitted/ folder, a folder of <student>.ipynb, a .zip, or notebooks",
    )
    grade.add_argument("--out", required=True, help="folder for results.json, grades.csv, ...")
    grade.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="seconds each submission's code may run (default 10)",
    )
    grade.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="judge processes (default: one per core)",
    )
    grade.add_argument("--force", action="store_true", help="regrade students already recorded")
    grade.add_argument(
        "--seed",
        type=int,
        help="seed of the hidden inputs, to regrade as an earlier run did (default: the one "
        "stored in --out, or a new one)",
    )
    grade.set_defaults(run=grade_command)

    selftest = commands.add_parser(
        "selftest", help="check that every typical mistake loses exactly the right points"
    )
    selftest.add_argument("--source", help="the instructor's notebook (default: source/)")
    selftest.add_argument("--release", help="the student notebook (default: release/)")
    selftest.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    selftest.set_defaults(run=selftest_command)

    feedback = commands.add_parser("feedback", help="rebuild feedback pages from --out records")
    feedback.add_argument("--out", required=True, help="the --out folder of an earlier grade")
    feedback.add_argument("--course", help="nbgrader course root: pages go to its feedback/")
    feedback.set_defaults(run=feedback_command)
    return main


def main(argv: list[str] | None = None) -> int:
    arguments = parser().parse_args(argv)
    try:
        return arguments.run(arguments)
    except UsageError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except GraderFault as fault:
        print(f"grader fault: {fault}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
