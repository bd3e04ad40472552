"""Refusing a course before grading: the kit's own read of nbgrader's gradebook answers, for
any gradebook nbgrader's API writes, what nbgrader's `find_assignment` answers; and anything
at `gradebook.db` that is not a readable gradebook is refused with why, never taken as one;
a gradebook whose writer was killed half-way is read as it was before that write."""

from __future__ import annotations

import shutil
import signal
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbgrader.api import Gradebook, MissingEntry

from autograder.exercise import ASSIGNMENT, CATEGORIES, graded_cell, release_notebook
from autograder.outputs.gradebook import check_course, graded_cells_missing, knows_assignment
from autograder.outputs.gradebook_stamp import GradebookStamp
from autograder.usage import UsageError

# Names an instructor may have given assignments: this one, its near misses, anything.
near_misses = st.sampled_from(
    [
        ASSIGNMENT,
        ASSIGNMENT.upper(),
        ASSIGNMENT.title(),
        f" {ASSIGNMENT}",
        f"{ASSIGNMENT} ",
        ASSIGNMENT[:-1],
        f"{ASSIGNMENT}%",
        ASSIGNMENT.replace("_", "%"),
    ]
)
RELEASE = release_notebook()  # the kit's own: a graded cell for every category
names = st.lists(near_misses | st.text(min_size=1, max_size=20), max_size=4, unique=True)


@pytest.fixture(scope="module")
def empty_gradebook(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A gradebook as nbgrader makes it (seconds each, so made once and copied)."""
    database = tmp_path_factory.mktemp("empty") / "gradebook.db"
    with Gradebook(f"sqlite:///{database}"):
        pass
    return database


def nbgrader_says(database: Path) -> bool:
    with Gradebook(f"sqlite:///{database}") as gradebook:
        try:
            gradebook.find_assignment(ASSIGNMENT)
        except MissingEntry:
            return False
    return True


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(assignments=names, folder=st.sampled_from(["course", "a course", "cours é"]))
def test_the_kit_knows_the_assignment_exactly_when_nbgrader_does(
    tmp_path_factory: pytest.TempPathFactory,
    empty_gradebook: Path,
    assignments: list[str],
    folder: str,
) -> None:
    course = tmp_path_factory.mktemp("gradebooks") / folder
    course.mkdir()
    database = course / "gradebook.db"
    shutil.copyfile(empty_gradebook, database)
    with Gradebook(f"sqlite:///{database}") as gradebook:
        for name in assignments:
            gradebook.add_assignment(name)
    expected = nbgrader_says(database)
    assert knows_assignment(database) is expected
    stamp = GradebookStamp.of(course, course / "out")
    refusal = "but not its graded cells" if expected else f"has no assignment {ASSIGNMENT}"
    with pytest.raises(UsageError, match=refusal):  # no notebook was generated either way
        check_course(course, stamp, RELEASE)


def nbgrader_lacks(database: Path) -> list[str]:
    """The graded cells nbgrader's `find_grade_cell` cannot find, in the checks' order."""
    missing = []
    with Gradebook(f"sqlite:///{database}") as gradebook:
        for category in CATEGORIES:
            try:
                gradebook.find_grade_cell(graded_cell(category), ASSIGNMENT, ASSIGNMENT)
            except MissingEntry:
                missing.append(graded_cell(category))
    return missing


cell_names = st.sampled_from([graded_cell(c) for c in CATEGORIES] + ["update", "loss_checks "])


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    notebooks=st.lists(near_misses, max_size=2, unique=True),
    cells=st.lists(cell_names, max_size=6, unique=True),
)
def test_the_kit_finds_the_graded_cells_exactly_when_nbgrader_does(
    tmp_path_factory: pytest.TempPathFactory,
    empty_gradebook: Path,
    notebooks: list[str],
    cells: list[str],
) -> None:
    """A gradebook that knows the assignment but not the notebook's graded cells the kit
    writes to (the assignment added by hand, never generated) is refused before grading."""
    course = tmp_path_factory.mktemp("cells")
    database = course / "gradebook.db"
    shutil.copyfile(empty_gradebook, database)
    with Gradebook(f"sqlite:///{database}") as gradebook:
        gradebook.add_assignment(ASSIGNMENT)
        for notebook in notebooks:
            gradebook.add_notebook(notebook, ASSIGNMENT)
            for name in cells:
                gradebook.add_grade_cell(name, notebook, ASSIGNMENT, max_score=1, cell_type="code")
    expected = nbgrader_lacks(database)
    assert graded_cells_missing(database, CATEGORIES) == expected
    stamp = GradebookStamp.of(course, course / "out")
    if expected:
        with pytest.raises(UsageError, match="but not its graded cells"):
            check_course(course, stamp, RELEASE)
    else:
        check_course(course, stamp, RELEASE)


def not_sqlite(database: Path) -> None:
    database.write_bytes(b"{}\n")


def empty_file(database: Path) -> None:
    database.write_bytes(b"")


def another_database(database: Path) -> None:
    database.unlink()
    with sqlite3.connect(database) as connection:
        connection.execute("CREATE TABLE grades (student TEXT)")


def truncated_gradebook(database: Path) -> None:
    database.write_bytes(database.read_bytes()[:1000])


@pytest.mark.parametrize(
    "make",
    [not_sqlite, empty_file, another_database, truncated_gradebook],
    ids=lambda f: f.__name__,
)
def test_what_is_not_a_readable_gradebook_is_refused(
    tmp_path: Path, empty_gradebook: Path, make: Callable[[Path], None]
) -> None:
    database = tmp_path / "gradebook.db"
    shutil.copyfile(empty_gradebook, database)
    with Gradebook(f"sqlite:///{database}") as gradebook:
        gradebook.add_assignment(ASSIGNMENT)
    make(database)
    before = database.read_bytes()
    with pytest.raises(UsageError) as refusal:
        check_course(tmp_path, GradebookStamp.of(tmp_path, tmp_path / "out"), RELEASE)
    assert str(database) in str(refusal.value)
    assert database.read_bytes() == before  # read, never written


def test_a_course_without_a_gradebook_is_refused(tmp_path: Path) -> None:
    (tmp_path / "gradebook.db").mkdir()
    with pytest.raises(UsageError, match="does not exist: run `nbgrader generate_assignment"):
        check_course(tmp_path, GradebookStamp.of(tmp_path, tmp_path / "out"), RELEASE)


# A writer that changes the assignment table and enough pages that they spill to the file
# before it commits, then waits to be killed: the gradebook of a run killed mid-write.
KILLED_WRITER = """
import sqlite3, sys, time
connection = sqlite3.connect(sys.argv[1], isolation_level=None)
connection.execute("PRAGMA cache_size=1")
connection.execute("BEGIN IMMEDIATE")
connection.execute("CREATE TABLE padding (data BLOB)")
for _ in range(200):
    connection.execute("INSERT INTO padding VALUES (randomblob(4000))")
connection.execute(sys.argv[2], (sys.argv[3],))
print("half written", flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("known_before", [True, False], ids=["known", "unknown"])
@pytest.mark.parametrize(
    "change",
    [
        "DELETE FROM assignment WHERE name = ?",
        "UPDATE assignment SET name = ? || '_renamed'",
        "INSERT OR IGNORE INTO assignment (id, name, course_id) "
        "SELECT 'added', ?, course_id FROM assignment LIMIT 1",
    ],
    ids=["delete", "rename", "insert"],
)
def test_a_gradebook_left_half_written_by_a_killed_process_is_read_as_it_was_before(
    tmp_path: Path, empty_gradebook: Path, known_before: bool, change: str
) -> None:
    database = tmp_path / "gradebook.db"
    shutil.copyfile(empty_gradebook, database)
    with Gradebook(f"sqlite:///{database}") as gradebook:
        gradebook.add_assignment(ASSIGNMENT if known_before else "another")
    writer = subprocess.Popen(
        [sys.executable, "-c", KILLED_WRITER, str(database), change, ASSIGNMENT],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert writer.stdout is not None and writer.stdout.readline() == "half written\n"
    writer.send_signal(signal.SIGKILL)
    writer.wait()
    assert (tmp_path / "gradebook.db-journal").stat().st_size > 0  # a hot journal is left
    assert knows_assignment(database) is known_before
    assert not (tmp_path / "gradebook.db-journal").exists()  # rolled back
    assert nbgrader_says(database) is known_before
