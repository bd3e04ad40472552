"""A course with a real nbgrader exchange in a temporary root, students who submit to it (with
the real `nbgrader submit`, or nbgrader's own `ExchangeSubmit` in this process when a burst
must arrive faster than one command every few seconds), and the grading service running on
it as a real subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import nbformat
import psutil

from tests.support.course import ASSIGNMENT, NOTEBOOK, copy_released, kernel_env, nbgrader
from tests.support.notebooks import write_submission

COURSE_ID = "gradient-descent"  # nbgrader_config.py's
HEALTH = "serve-health.json"


def exchange_options(root: Path) -> list[str]:
    return [f"--Exchange.root={root / 'exchange'}"]


def released_with_exchange(released: Path, root: Path) -> Path:
    """A course of its own under `root`, its assignment released to `root/exchange`."""
    course = root / "course"
    copy_released(released, course)
    (root / "exchange").mkdir()
    nbgrader("release_assignment", ASSIGNMENT, *exchange_options(root), cwd=course)
    return course


def student_home(root: Path, student: str) -> Path:
    return root / "students" / student


def student_options(root: Path, student: str) -> list[str]:
    """The options each of the student's nbgrader commands takes."""
    home = student_home(root, student)
    return [
        f"--course={COURSE_ID}",
        f"--Exchange.cache={home / '.cache'}",
        f"--student={student}",
        *exchange_options(root),
    ]


def submit(root: Path, student: str, notebook: nbformat.NotebookNode) -> None:
    """The student saves `notebook` and runs the real `nbgrader submit`."""
    home = student_home(root, student)
    write_submission(home / ASSIGNMENT / NOTEBOOK, notebook)
    nbgrader("submit", ASSIGNMENT, *student_options(root, student), cwd=home)


def submit_in_process(root: Path, student: str, notebook: nbformat.NotebookNode) -> None:
    """As `submit`, through nbgrader's own `ExchangeSubmit` in this process (milliseconds,
    where the command costs seconds)."""
    from nbgrader.auth import Authenticator
    from nbgrader.coursedir import CourseDirectory
    from nbgrader.exchange.default import ExchangeSubmit
    from traitlets.config import Config

    home = student_home(root, student)
    write_submission(home / ASSIGNMENT / NOTEBOOK, notebook)
    config = Config()
    config.CourseDirectory.course_id = COURSE_ID
    config.CourseDirectory.assignment_id = ASSIGNMENT
    config.CourseDirectory.student_id = student
    config.Exchange.root = str(root / "exchange")
    config.Exchange.cache = str(home / ".cache")
    config.Exchange.assignment_dir = str(home)
    coursedir = CourseDirectory(config=config)
    ExchangeSubmit(coursedir, Authenticator(config=config), config=config).start()


def fetched_pages(root: Path, student: str) -> dict[str, Path]:
    """Run the real `nbgrader fetch_feedback`; each fetched page by its submission's time."""
    home = student_home(root, student)
    nbgrader("fetch_feedback", ASSIGNMENT, *student_options(root, student), cwd=home)
    folder = home / ASSIGNMENT / "feedback"
    return {page.parent.name: page for page in folder.glob(f"*/{ASSIGNMENT}.html")}


def health(out: Path) -> dict:
    try:
        return json.loads((out / HEALTH).read_text())
    except (OSError, ValueError):
        return {}


def wait_for(what: Callable[[], object], seconds: float, step: float = 0.05) -> object:
    """`what()` once it is true; fails after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if found := what():
            return found
        time.sleep(step)
    raise AssertionError(f"not true after {seconds} s: {what}")


class Service:
    """`python -m autograder serve` on a course, as a subprocess logging to a file."""

    def __init__(self, course: Path, root: Path, workers: int = 2, *options: str) -> None:
        self.course = course
        self.out = course / "grading"
        self.log_path = root / f"serve-{time.monotonic_ns()}.log"
        command = [
            sys.executable,
            "-m",
            "autograder",
            "serve",
            str(course),
            f"--exchange-root={root / 'exchange'}",
            f"--workers={workers}",
            "--poll=0.1",
            "--class-every=1",
            *options,
        ]
        self.log_file = self.log_path.open("w")
        self.process = subprocess.Popen(
            command, cwd=course, env=kernel_env(), stdout=self.log_file, stderr=subprocess.STDOUT
        )
        wait_for(self._serving, 180)

    def _serving(self) -> bool:
        if self.process.poll() is not None:
            raise AssertionError(f"the service exited:\n{self.log()}")
        return health(self.out).get("state") == "serving" and health(self.out).get("pid") == (
            self.process.pid
        )

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def graded_lines(self) -> list[str]:
        return [line for line in self.log().splitlines() if " s after submission " in line]

    def children(self) -> list[int]:
        """The service's child processes (its judge workers), by /proc."""
        return _children(self.process.pid)

    def workers(self) -> list[int]:
        """The judge workers among its children (not multiprocessing's resource tracker)."""
        return [pid for pid in self.children() if b"spawn_main" in _cmdline(pid)]

    def grading(self) -> list[int]:
        """The judge workers whose student process is busy on a CPU now (through their fork
        server); a process forked ahead of its turn waits, and is not counted."""
        return [
            pid
            for pid in self.workers()
            if any(_busy(student) for server in _children(pid) for student in _children(server))
        ]

    def stop(self) -> int:
        """SIGTERM, as systemd stops it; its exit status."""
        self.process.terminate()
        try:
            return self.process.wait(timeout=60)
        finally:
            self.log_file.close()

    def kill(self) -> None:
        self.process.kill()
        self.process.wait()
        self.log_file.close()


@contextmanager
def service(course: Path, root: Path, workers: int = 2, *options: str) -> Iterator[Service]:
    running = Service(course, root, workers, *options)
    try:
        yield running
    finally:
        if running.process.poll() is None:
            running.process.kill()
            running.process.wait()
        running.log_file.close()


def _busy(pid: int) -> bool:
    """Whether the process is running or waiting only for a CPU."""
    try:
        return psutil.Process(pid).status() == psutil.STATUS_RUNNING
    except psutil.Error:
        return False


def _children(pid: int) -> list[int]:
    found = []
    try:
        for task in Path(f"/proc/{pid}/task").iterdir():
            found += [int(child) for child in (task / "children").read_text().split()]
    except OSError:
        pass
    return found


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie does not)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"
