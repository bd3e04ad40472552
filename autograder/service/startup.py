"""Starting the service for a course: refused before anything runs when the course, its
gradebook or its exchange cannot be served; then the judge workers warm up, the lesson is
read (or taken from the records' run), and the loop starts."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from autograder.batch.grading import SandboxSettings, grader_hash, release_hash
from autograder.batch.store import RecordStore, RunInfo
from autograder.batch.worker import GradingSetup
from autograder.exercise import release_notebook
from autograder.feedback.paths import FeedbackPlace
from autograder.intake.roster import CanvasRoster
from autograder.judge.seeds import new_seed
from autograder.outputs.gradebook import check_course
from autograder.outputs.gradebook_stamp import GradebookStamp
from autograder.sandbox import Limits
from autograder.service.class_files import ClassFiles
from autograder.service.exchange import ExchangePlace
from autograder.service.health import HealthFile
from autograder.service.pool import JudgePool, Judges
from autograder.service.serving import ServeSettings, Service
from autograder.usage import UsageError


@dataclass(frozen=True)
class ServeOptions:
    course_root: Path
    out_dir: Path
    place: ExchangePlace
    limits: Limits
    workers: int
    poll: float
    class_every: float
    seed: int | None = None
    roster: CanvasRoster | None = None
    moodle: bool = False
    scheduler: str | None = None  # grade on this Dask cluster instead of local workers


def serve(options: ServeOptions, log: Callable[[str], None]) -> None:
    """Serve the course until stopped (Ctrl-C, SIGTERM)."""
    course = options.course_root
    if not options.place.inbound.is_dir():
        raise UsageError(
            f"{options.place.inbound} does not exist: run `nbgrader release_assignment` with "
            "this exchange root first (or pass --exchange-root)"
        )
    try:
        release = release_notebook(course)
    except FileNotFoundError as missing:
        raise UsageError(str(missing)) from None
    check_course(course, GradebookStamp.of(course, options.out_dir), release)
    store = RecordStore(options.out_dir)
    earlier = store.run()
    seed = options.seed if options.seed is not None else earlier.seed if earlier else None
    seed = new_seed() if seed is None else seed
    known = earlier.lesson_of(release_hash(release)) if earlier else None
    setup = GradingSetup(
        release=release,
        seed=seed,
        grader_hash=grader_hash(release),
        after_each=FeedbackPlace(options.out_dir, course).write,
        lesson=known,
    )
    hidden = (options.out_dir, course, options.place.root)
    pool = _judges(options, setup, SandboxSettings.for_release(options.limits, hidden, release))
    health = HealthFile(options.out_dir)
    health.update(state="starting")
    try:
        pool.start()
        log(f"{pool.workers} judge workers started for {course}")
        _serve_with(options, store, pool, earlier, health, log)
    except Exception as error:
        health.error(f"{type(error).__name__}: {error}")
        raise
    finally:
        pool.close()
        health.update(state="stopped", grading=0)


def _judges(options: ServeOptions, setup: GradingSetup, sandbox: SandboxSettings) -> Judges:
    """The Dask cluster's workers with `--scheduler`, this machine's own otherwise."""
    if options.scheduler is None:
        return JudgePool(setup, sandbox, options.workers)
    from autograder.service.dask_pool import DaskJudgePool  # Dask: only when asked for

    return DaskJudgePool(setup, sandbox, options.scheduler)


def _serve_with(
    options: ServeOptions,
    store: RecordStore,
    pool: Judges,
    earlier: RunInfo | None,
    health: HealthFile,
    log: Callable[[str], None],
) -> None:
    course = options.course_root
    students = set(earlier.students or ()) if earlier else set()
    students |= set(store.students())
    info = RunInfo(
        pool.setup.seed,
        str(course),
        canvas_roster=str(options.roster.path) if options.roster else None,
        moodle=options.moodle,
        students=tuple(sorted(students)),
        lesson=pool.setup.lesson,
    )
    store.save_run(info)
    checks = pool.facts.checks if pool.facts else ()
    class_files = ClassFiles(options.out_dir, info, checks, options.roster, options.class_every)
    settings = ServeSettings(course, options.out_dir, options.place, options.poll)
    log(f"serving {options.place.inbound}: feedback released to {options.place.feedback}")
    Service(settings, store, pool, class_files, health, log).run()
