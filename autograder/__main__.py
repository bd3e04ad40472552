"""Command line: `check` one notebook, `grade` a class, rebuild its `feedback`, `serve` a
course as its students submit, `selftest`, or build a `gradescope` autograder.

Each command imports what it alone uses. The judge (numpy, pytest, the checks), nbgrader's API
and the feedback pages' matplotlib are imported only by the commands that use them in this
process: `grade` leaves the judge and the pages to its worker processes, so that they start at
once, and `check` starts its fork server before loading anything a class run needs, then loads
the judge while it starts.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from autograder.exercise import release_above, release_notebook
from autograder.judge.fault import GraderFault
from autograder.judge.record import CheckSpec
from autograder.judge.results import as_table
from autograder.judge.seeds import new_seed
from autograder.lesson import IllPosedLesson, Lesson
from autograder.loaded import leave
from autograder.sandbox import Limits, SandboxError
from autograder.text import one_line
from autograder.usage import UsageError

if TYPE_CHECKING:
    from autograder.intake.roster import CanvasRoster
    from autograder.outputs.publish import WritersLoading

KIT_ROOT = Path(__file__).resolve().parent.parent


def check_command(arguments: argparse.Namespace) -> int:
    from autograder.judge.one_notebook import check_notebook

    path = Path(arguments.notebook)
    if not path.is_file():
        raise UsageError(f"no such notebook: {path}")
    seed = new_seed() if arguments.seed is None else arguments.seed
    release = _release(_course_here())
    record, lesson = check_notebook(path, _limits(arguments.timeout), release, seed)
    if arguments.json:
        document = {
            "notebook": str(path),
            "lesson": _lesson_summary(lesson),
            "status": str(record.status),
            "score": record.score,
            "max_score": record.max_score,
            "message": record.message,
            "notes": list(record.notes),
            "checks": [result.to_json() for result in record.checks],
        }
        print(json.dumps(document, indent=2))
        return 0
    print(lesson.describe())
    if record.checks:
        print(as_table(record.checks))
    for line in [record.message, *record.notes]:
        if line:
            print(f"note: {one_line(line)}")
    return 0


def _lesson_summary(lesson: Lesson) -> dict[str, object]:
    """The lesson a notebook was graded against, as `check --json` and the summary show it."""
    return {
        "points": lesson.n,
        "first_guess": list(lesson.first_guess),
        "lr": lesson.lr,
        "epochs": lesson.epochs,
        "hash": lesson.hash,
    }


def grade_command(arguments: argparse.Namespace) -> int:
    """Grade what is new or changed; nothing is written before the command line is known to
    be good, and a run stopped with Ctrl-C keeps every record it finished."""
    from autograder.outputs.publish import WritersLoading

    with WritersLoading() as loading:
        return _grade(arguments, loading)


def _grade(arguments: argparse.Namespace, loading: WritersLoading) -> int:
    from autograder.batch.grading import SandboxSettings, grade_all, grader_hash, release_hash
    from autograder.batch.store import RecordStore, RunInfo
    from autograder.batch.worker import GradingSetup
    from autograder.feedback.paths import FeedbackPlace
    from autograder.intake.submissions import collect
    from autograder.outputs.gradebook import check_course
    from autograder.outputs.gradebook_stamp import GradebookStamp
    from autograder.outputs.publish import Published
    from autograder.outputs.published_from import publish_class
    from autograder.outputs.summary import print_summary, progress

    limits = _limits(arguments.timeout)
    _at_least_one("--workers", arguments.workers)
    roster = _canvas_roster(arguments.canvas)
    _scheduler(arguments.scheduler)
    out = Path(arguments.out)
    with tempfile.TemporaryDirectory(prefix="unzipped-") as scratch:
        batch = collect(arguments.submissions, Path(scratch))
        release = _release(batch.course_root or _course_here())
        if batch.course_root:
            check_course(batch.course_root, GradebookStamp.of(batch.course_root, out), release)
        store = RecordStore(out)
        earlier = store.run()
        seed = arguments.seed if arguments.seed is not None else earlier.seed if earlier else None
        seed = new_seed() if seed is None else seed
        course = str(batch.course_root) if batch.course_root else None
        canvas = str(roster.path) if roster else None
        known = earlier.lesson_of(release_hash(release)) if earlier else None
        students = tuple(submission.student for submission in batch.submissions)
        info = RunInfo(
            seed,
            course,
            canvas_roster=canvas,
            moodle=arguments.moodle,
            students=students,
            lesson=known,
        )
        hidden = [out, Path(scratch), *(Path(p) for p in arguments.submissions)]
        if batch.course_root:
            hidden.append(batch.course_root)
        pages = FeedbackPlace(out, batch.course_root)
        setup = GradingSetup(
            release=release,
            seed=seed,
            grader_hash=grader_hash(release),
            after_each=pages.write,
            lesson=known,
            prepare=pages.set_up,
        )
        sandbox = SandboxSettings.for_release(limits, tuple(hidden), release)
        with progress(len(batch.submissions)) as advance:
            run = grade_all(
                batch.submissions,
                store,
                setup,
                sandbox,
                arguments.workers,
                arguments.force,
                advance,
                arguments.scheduler,
                on_lesson=lambda lesson: store.save_run(replace(info, lesson=lesson)),
                while_grading=lambda grading: loading.start(
                    store,
                    [each.student for each in batch.submissions if each.student not in grading],
                    batch.course_root,
                ),
            )
    info = replace(info, lesson=run.lesson or known)
    students = list(info.students or ())
    if run.interrupted:
        done = sum(1 for student in students if store.has(student))
        print(
            f"interrupted: {done} of {len(students)} submissions are recorded in {out}; run "
            "the same command again to grade the rest",
            file=sys.stderr,
        )
        return 130
    recorded = earlier.checks_of(setup.grader_hash) if earlier else None
    checks = run.checks or recorded or _hidden_checks()
    graded = run.new + run.regraded
    store.save_run(
        replace(
            info, seconds=run.seconds, graded=graded, checks=checks, grader_hash=setup.grader_hash
        )
    )
    published = Published(
        out,
        batch.course_root,
        students,
        run.seconds,
        checks,
        roster,
        arguments.moodle,
        info.lesson,
        tuple(batch.submissions),
    )
    loading.ready()
    summary, written = publish_class(store, published, setup.grader_hash)
    print_summary(summary, run, batch.skipped, written)
    return 1 if summary.grader_failed else 0


def _hidden_checks() -> tuple[CheckSpec, ...]:
    """The hidden checks, collected here when no worker has reported them."""
    from autograder.judge.runner import hidden_checks

    return hidden_checks()


def _limits(timeout: float) -> Limits:
    try:
        return Limits.for_wall_clock(timeout)
    except ValueError as error:
        raise UsageError(f"--timeout {error}") from None


def _scheduler(scheduler: str | None) -> None:
    """Refuse a `--scheduler local:N` without a good N before anything starts."""
    if scheduler is not None:
        from autograder.batch.cluster import local_workers

        local_workers(scheduler)


def _at_least_one(option: str, value: int) -> None:
    if value < 1:
        raise UsageError(f"{option} must be at least 1, not {value}")


def _canvas_roster(path: str | None) -> CanvasRoster | None:
    """The Canvas roster a run writes grades for, read (and refused if bad) before anything
    else, by `grade` from its option and by `feedback` from the run it rebuilds."""
    from autograder.intake.roster import read_canvas_roster

    return read_canvas_roster(Path(path)) if path else None


def _release(course_root: Path | None) -> Path:
    try:
        return release_notebook(course_root)
    except FileNotFoundError as missing:
        raise UsageError(str(missing)) from None


def feedback_command(arguments: argparse.Namespace) -> int:
    """Rebuild feedback pages and the class report from the records of an earlier `grade`,
    in the places that `grade` wrote them, with its recorded grading time, for the class it
    graded: a student whose record is missing or cannot be read gets a grader error row."""
    from autograder.batch.store import RecordStore
    from autograder.outputs.class_summary import ClassSummary
    from autograder.outputs.publish import Published, publish, rows
    from autograder.outputs.summary import print_rebuilt

    out = Path(arguments.out)
    if not (out / "records").is_dir():
        raise UsageError(f"{out} holds no graded records; run `grade --out {out}` first")
    store = RecordStore(out)
    earlier = store.run()
    unknown: list[str] = []
    if earlier is not None and earlier.students is not None:
        students = list(earlier.students)
    else:  # a folder graded before runs kept their class
        students, unknown = list(store.students()), store.unreadable()
    if not students:
        raise UsageError(f"{out} holds no graded records; run `grade --out {out}` first")
    if earlier is None or earlier.lesson is None:
        raise UsageError(
            f"{out} records no lesson (it was graded by an older version of the kit): run "
            f"`grade --force --out {out}` again"
        )
    course = arguments.course or earlier.course_root
    course_root = Path(course) if course else None
    roster = _canvas_roster(earlier.canvas_roster)
    published = Published(
        out,
        course_root,
        students,
        earlier.seconds,
        earlier.checks or _hidden_checks(),
        roster,
        earlier.moodle,
        earlier.lesson,
    )
    found = rows(store, published)
    written = publish(store, published, found, pages=True)
    summary = ClassSummary.of(found)
    print_rebuilt(summary, unknown, written)
    return 1 if unknown or summary.grader_failed else 0


def serve_command(arguments: argparse.Namespace) -> int:
    """Grade an nbgrader course's submissions as they arrive in its exchange, until stopped."""
    from autograder.service.exchange import exchange_place
    from autograder.service.serving import print_line
    from autograder.service.startup import ServeOptions, serve

    course = Path(arguments.course).resolve()
    if not (course / "source").is_dir():
        raise UsageError(f"{course} is not an nbgrader course (it has no source/ folder)")
    _at_least_one("--workers", arguments.workers)
    _scheduler(arguments.scheduler)
    if arguments.poll <= 0 or arguments.class_every < 0:
        raise UsageError("--poll must be above 0 seconds and --class-every at least 0")
    place = exchange_place(course, arguments.exchange_root, arguments.course_id)
    if not place.course_id:
        raise UsageError(f"{course}/nbgrader_config.py names no course id: pass --course-id")
    options = ServeOptions(
        course_root=course,
        out_dir=Path(arguments.out).resolve() if arguments.out else course / "grading",
        place=place,
        limits=_limits(arguments.timeout),
        workers=arguments.workers,
        poll=arguments.poll,
        class_every=arguments.class_every,
        seed=arguments.seed,
        roster=_canvas_roster(arguments.canvas),
        moodle=arguments.moodle,
        scheduler=arguments.scheduler,
    )
    serve(options, print_line)
    return 0


def _course_here() -> Path | None:
    """The nbgrader course the working directory is, or lies in: itself when it has a
    source/ folder, else the nearest folder above it that holds this assignment's release
    (grading from the course's own `grading/` folder uses the course's lesson)."""
    here = Path.cwd()
    if (here / "source").is_dir():
        return here
    try:
        return release_above(here).parents[2]
    except FileNotFoundError:
        return None


def selftest_command(arguments: argparse.Namespace) -> int:
    """Grade the reference, the release and the catalogue of typical answers; any row that
    is not what the catalogue expects makes the exit status 1."""
    from concurrent.futures import ThreadPoolExecutor

    from autograder.batch.catalogue import catalogue, source_notebook
    from autograder.batch.selftest import matrix, run_selftest
    from autograder.batch.source_run import failing_cells
    from autograder.judge.one_notebook import lesson_of_release
    from autograder.judge.reference import reference_for
    from autograder.outputs.summary import progress

    course = _course_here()
    source = Path(arguments.source) if arguments.source else source_notebook(course or KIT_ROOT)
    if not source.is_file():
        raise UsageError(f"no source notebook {source}: pass --source")
    release = Path(arguments.release) if arguments.release else _release(course)
    _at_least_one("--workers", arguments.workers)
    lesson = lesson_of_release(release, Limits.for_wall_clock(20.0))
    print(lesson.describe())
    total = len(catalogue(reference_for(lesson))) + 2
    with ThreadPoolExecutor(1) as kernel:  # the source notebook runs while the answers grade
        source_run = kernel.submit(failing_cells, source)
        with progress(total, "self-test") as advance:
            rows = run_selftest(source, release, lesson, arguments.workers, advance)
        failing = source_run.result()
    print(f"{source.name}, run top to bottom as nbgrader validate runs it: ", end="")
    print("every cell passes" if not failing else "")
    for line in failing:
        print(f"  ! {line}")
    print(matrix(rows))
    return 1 if failing or any(row.surprises for row in rows) else 0


def gradescope_command(arguments: argparse.Namespace) -> int:
    """Build the zip a Gradescope programming assignment takes as its autograder."""
    from autograder.outputs.gradescope_bundle import write_bundle
    from autograder.outputs.gradescope_run import BundleSettings

    _limits(arguments.timeout)
    settings = BundleSettings(arguments.seed, arguments.timeout)
    out = write_bundle(Path(arguments.out), settings, _release(_course_here()))
    print(f"Gradescope autograder: {out}")
    return 0


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(prog="python -m autograder", description=__doc__)
    commands = main.add_subparsers(dest="command", required=True)

    check = commands.add_parser("check", help="grade one notebook and print every check")
    check.add_argument("notebook", help="path to a .ipynb file")
    check.add_argument("--json", action="store_true", help="print the results as JSON")
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
    grade.add_argument("--force", action="store_true", help="grade everyone again, changed or not")
    grade.add_argument(
        "--scheduler",
        help="grade on a Dask cluster: a scheduler's address (tcp://host:8786), or local:N "
        "for N worker processes on this machine (default: local judge workers)",
    )
    grade.add_argument(
        "--seed",
        type=int,
        help="seed of the hidden inputs, to regrade as an earlier run did (default: the one "
        "stored in --out, or a new one)",
    )
    grade.add_argument(
        "--canvas",
        metavar="ROSTER.csv",
        help="Canvas gradebook export: also write canvas.csv, Canvas's gradebook import file",
    )
    grade.add_argument(
        "--moodle",
        action="store_true",
        help="also write moodle.csv, the Moodle assignment's grading worksheet",
    )
    grade.set_defaults(run=grade_command)

    serve = commands.add_parser(
        "serve", help="grade an nbgrader course's submissions as they arrive, until stopped"
    )
    serve.add_argument("course", help="the nbgrader course folder (with nbgrader_config.py)")
    serve.add_argument(
        "--out", help="folder for the records and class files (default: COURSE/grading)"
    )
    serve.add_argument(
        "--exchange-root",
        help="nbgrader's exchange root (default: Exchange.root in nbgrader_config.py)",
    )
    serve.add_argument(
        "--course-id", help="the course id (default: CourseDirectory.course_id in its config)"
    )
    serve.add_argument(
        "--timeout", type=float, default=10.0, help="seconds each submission's code may run"
    )
    serve.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="judge processes (default: one per core)",
    )
    serve.add_argument(
        "--poll", type=float, default=0.25, help="seconds between looks at the exchange"
    )
    serve.add_argument(
        "--class-every",
        type=float,
        default=5.0,
        help="seconds at least between rebuilds of results.json, grades.csv, report.html",
    )
    serve.add_argument(
        "--scheduler",
        help="grade on a Dask cluster: a scheduler's address (tcp://host:8786), or local:N "
        "for N workers on this machine (--workers is then unused)",
    )
    serve.add_argument("--seed", type=int, help="seed of the hidden inputs (default: as grade)")
    serve.add_argument("--canvas", metavar="ROSTER.csv", help="also keep canvas.csv current")
    serve.add_argument("--moodle", action="store_true", help="also keep moodle.csv current")
    serve.set_defaults(run=serve_command)

    selftest = commands.add_parser(
        "selftest", help="check that every typical mistake loses exactly the right points"
    )
    selftest.add_argument("--source", help="the instructor's notebook (default: source/)")
    selftest.add_argument("--release", help="the student notebook (default: release/)")
    selftest.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    selftest.set_defaults(run=selftest_command)

    gradescope = commands.add_parser("gradescope", help="build a Gradescope autograder zip")
    gradescope.add_argument("--out", required=True, help="the zip to write")
    gradescope.add_argument(
        "--timeout", type=float, default=10.0, help="seconds a submission's code may run"
    )
    gradescope.add_argument(
        "--seed",
        type=int,
        help="seed of the hidden inputs, to regrade as an earlier submission was graded "
        "(default: a new one for each submission)",
    )
    gradescope.set_defaults(run=gradescope_command)

    feedback = commands.add_parser("feedback", help="rebuild feedback pages from --out records")
    feedback.add_argument("--out", required=True, help="the --out folder of an earlier grade")
    feedback.add_argument("--course", help="nbgrader course root: pages go to its feedback/")
    feedback.set_defaults(run=feedback_command)
    return main


def main(argv: list[str] | None = None) -> int:
    return run(parser().parse_args(argv))


def run(arguments: argparse.Namespace) -> int:
    """The command's exit code; every refusal and fault becomes one line on stderr."""
    try:
        return arguments.run(arguments)
    except UsageError as error:
        print(f"error: {one_line(str(error))}", file=sys.stderr)
        return 2
    except IllPosedLesson as refusal:
        print(f"error: the lesson cannot be graded: {one_line(str(refusal))}", file=sys.stderr)
        return 2
    except (GraderFault, SandboxError) as fault:  # a sandbox that fails is the grader's fault
        print(f"grader fault: {one_line(str(fault))}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    command = parser().parse_args()
    code = run(command)
    if command.run in (check_command, grade_command):  # sandboxes, pools, files: all closed
        leave(code)
    sys.exit(code)
