"""Whole trees as nbgrader, an LMS or an instructor leaves them, generated with Hypothesis, each
with the students who must get exactly one row.

Each layout's tree mixes what real ones hold with what hostile or broken ones do: names of any
bytes, Jupyter copies, checkpoints, OS junk, hidden notebooks and folders, links, pipes, empty
folders, files that cannot be read (mode 000: where root's override does not apply), other
assignments, absurd timestamps, a Moodle participant's two folders, Gradescope metadata that
describes too little or too much. Who must get a row follows from each layout's documented
rule alone.
"""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

import yaml
from hypothesis import strategies as st

from autograder.intake.choice import copy_of, is_notebook
from autograder.intake.handed_in import is_junk
from autograder.intake.ids import student_id
from tests.support.layouts import NOTEBOOK

ASSIGNMENT = b"gradient_descent"
CANVAS_NAME = re.compile(rb"^[^_]+(_LATE)?_\d+_\d+_.+$", re.DOTALL)  # Canvas's documented naming
FILE, FOLDER, LINK, PIPE = "file", "folder", "link", "pipe"
MAX_NAME = 255  # bytes of one file name


@dataclass(frozen=True)
class Entry:
    path: bytes  # relative to the tree's root
    kind: str = FILE
    content: bytes = b""
    locked: bool = False  # mode 000: unreadable, where modes apply


@dataclass(frozen=True)
class Tree:
    layout: str
    top: bytes  # the folder `grade` is given, relative to where the tree is written
    entries: tuple[Entry, ...]
    students: frozenset[str]  # the ids that each get exactly one row, and nobody else

    def write(self, root: Path) -> Path:
        """Write the tree under `root`; returns the folder `grade` is given. An entry whose
        place another entry already took (a file where a folder must be, or the same name)
        is left out."""
        base = os.fsencode(root)
        os.makedirs(os.path.join(base, self.top), exist_ok=True)
        locked = []
        for entry in self.entries:
            path = os.path.join(base, self.top, entry.path)
            try:
                os.makedirs(os.path.dirname(path), exist_ok=True)
                if entry.kind == FOLDER:
                    os.makedirs(path, exist_ok=True)
                elif entry.kind == LINK:
                    os.symlink(b"nowhere", path)  # dangling: a link is never followed anyway
                elif entry.kind == PIPE:
                    os.mkfifo(path)
                else:
                    with open(path, "xb") as stream:
                        stream.write(entry.content)
            except (FileExistsError, NotADirectoryError, IsADirectoryError):
                continue
            if entry.locked and entry.kind != LINK:  # chmod would change the link's target
                locked.append(path)
        for path in reversed(locked):  # deepest first, so that each can still be reached
            os.chmod(path, 0)
        return Path(os.fsdecode(os.path.join(base, self.top)))

    def notebooks(self) -> list[bytes]:
        """The regular notebook files handed in, but for OS and Jupyter junk."""
        return [
            entry.path
            for entry in self.entries
            if entry.kind == FILE
            and is_notebook(os.fsdecode(entry.path))
            and not any(is_junk(os.fsdecode(part)) for part in entry.path.split(b"/"))
        ]


def unlock(root: Path) -> None:
    """Give back every mode a tree took away, so that it can be deleted."""
    for folder, folders, files in os.walk(os.fsencode(root)):
        for name in folders + files:
            path = os.path.join(folder, name)
            if not os.path.islink(path):
                os.chmod(path, stat.S_IRWXU)
        os.chmod(folder, stat.S_IRWXU)


def _component(name: bytes) -> bool:
    return bool(name) and b"/" not in name and b"\0" not in name and name not in (b".", b"..")


names = st.one_of(
    st.sampled_from(
        [
            b"ana.smith@uni.edu",
            "José Núñez".encode(),
            b"50% #1?",
            b"a\\b",
            b"caf\xe9",
            b"evil\n\x1b[2Jname",
            b'=HYPERLINK("x")',
            "名前 😀".encode(),
            b"x" * 200,
        ]
    ),
    st.binary(min_size=1, max_size=24),
).filter(_component)
visible_names = names.filter(
    lambda name: not name.startswith(b".") and not is_junk(os.fsdecode(name))
)
people = names.filter(lambda name: not name.startswith(b"._"))  # a name a file or folder starts
contents = st.one_of(
    st.sampled_from([NOTEBOOK, b"{}", b"", b"{broken", b'{"nbformat": 3}']),
    st.binary(max_size=40),
)
timestamps = st.one_of(
    st.sampled_from(
        [
            b"2026-11-20 10:22:11.123456 UTC",
            b"0001-01-01 00:00:00.000000 UTC",
            b"9999-12-31 23:59:59 -05:00",
            b"99999999999-01-01 00:00:00 UTC",
            b"2026-11-20 10:22:11 ../../../../dev/stdin",
            b"not a time",
        ]
    ),
    st.binary(max_size=30),
)
NOTEBOOK_NAMES = [
    b"gradient_descent.ipynb",
    b"gradient_descent-Copy1.ipynb",
    b"gradient_descent (1).ipynb",
    b"Copy of gradient_descent.ipynb",
    b"scratch.ipynb",
    b".gradient_descent.ipynb",
    b"work/gradient_descent.ipynb",
    b".hidden/gradient_descent.ipynb",
    b".ipynb_checkpoints/gradient_descent-checkpoint.ipynb",
    b"__MACOSX/._gradient_descent.ipynb",
    b"._gradient_descent.ipynb",
]
OTHER_NAMES = [b".DS_Store", b"Thumbs.db", b"notes.txt", b"empty"]


@st.composite
def handed_in(draw: st.DrawFn, flat: bool = False) -> tuple[Entry, ...]:
    """One student's files: notebooks named as students and systems name them, other files,
    folders, links, pipes, some unreadable. `flat`: no subfolders (Canvas)."""
    chosen = st.sampled_from(NOTEBOOK_NAMES + OTHER_NAMES) | names.map(lambda n: n + b".ipynb")
    if flat:
        chosen = chosen.filter(lambda name: b"/" not in name)
    found = []
    for name in draw(st.lists(chosen, max_size=4, unique=True)):
        kind = draw(st.sampled_from([FILE, FILE, FILE, FILE, FOLDER, LINK, PIPE]))
        kind = FILE if flat and kind == FOLDER else kind
        found.append(Entry(name, kind, draw(contents), draw(st.booleans())))
    return tuple(found)


def _inside(folder: bytes, entries: tuple[Entry, ...]) -> tuple[Entry, ...]:
    return tuple(
        Entry(folder + b"/" + entry.path, entry.kind, entry.content, entry.locked)
        for entry in entries
    )


@st.composite
def nbgrader_trees(draw: st.DrawFn) -> Tree:
    """`submitted/<student>/gradient_descent/`, beside students with other assignments or
    nothing, hidden folders and stray files."""
    entries: list[Entry] = []
    students = set()
    folders = draw(st.lists(visible_names, min_size=1, max_size=4, unique=True))
    for number, folder in enumerate(folders):
        kind = draw(st.sampled_from(["assignment", "assignment", "other", "empty"]))
        if kind == "assignment" or number == 0:
            assignment = folder + b"/" + ASSIGNMENT
            entries.append(Entry(assignment, FOLDER))
            entries += _inside(assignment, draw(handed_in()))
            if draw(st.booleans()):
                kind = draw(st.sampled_from([FILE, FILE, FILE, FOLDER, LINK, PIPE]))
                stamp = Entry(
                    assignment + b"/timestamp.txt", kind, draw(timestamps), draw(st.booleans())
                )
                entries.append(stamp)
            students.add(student_id(folder))
        elif kind == "other":
            entries += _inside(folder + b"/ps1", draw(handed_in()))
        else:
            entries.append(Entry(folder, FOLDER))
    entries += draw(st.lists(st.sampled_from(_STRAYS), max_size=3, unique=True))
    return Tree("nbgrader", b"course/submitted", tuple(entries), frozenset(students))


_STRAYS = [
    Entry(b".DS_Store"),
    Entry(b"notes.txt", content=b"notes"),
    Entry(b".hidden/gradient_descent/gradient_descent.ipynb"),
    Entry(b"__MACOSX/._ana", content=b"\0"),
    Entry(b"stray.ipynb", content=b"{}"),
]


@st.composite
def canvas_trees(draw: st.DrawFn) -> Tree:
    """Files named `<lastfirst>[_LATE]_<user id>_<submission id>_<file>`, with strangers."""
    entries: list[Entry] = []
    users = draw(st.lists(st.integers(1, 99_999), min_size=1, max_size=4, unique=True))
    for number, user in enumerate(users):
        person = draw(people.filter(lambda name: b"_" not in name))
        late = b"_LATE" if draw(st.booleans()) else b""
        prefix = b"%s%s_%d_%d_" % (person, late, user, number)
        files = [  # a longer name no file system takes
            entry for entry in draw(handed_in(flat=True)) if len(prefix + entry.path) <= MAX_NAME
        ] or [Entry(b"gradient_descent.ipynb")]
        entries += [
            Entry(prefix + entry.path, entry.kind, entry.content, entry.locked) for entry in files
        ]
    strangers = draw(st.lists(names.filter(lambda name: not CANVAS_NAME.match(name)), max_size=2))
    entries += [Entry(name, content=b"{}") for name in strangers]
    entries += draw(st.lists(st.sampled_from(_STRAYS), max_size=2, unique=True))
    return Tree("canvas", b"canvas", tuple(entries), frozenset(str(user) for user in users))


@st.composite
def moodle_trees(draw: st.DrawFn) -> Tree:
    """`<Full Name>_<participant id>_assignsubmission_<plugin>_/`: a file folder, an online
    text folder or both for each participant, with strangers."""
    entries: list[Entry] = []
    participants = draw(st.lists(st.integers(1, 99_999), min_size=1, max_size=4, unique=True))
    for participant in participants:
        person = draw(people)
        plugins = draw(st.sampled_from([[b"file"], [b"onlinetext"], [b"file", b"onlinetext"]]))
        for plugin in plugins:
            folder = b"%s_%d_assignsubmission_%s_" % (person, participant, plugin)
            entries.append(Entry(folder, FOLDER))
            if plugin == b"onlinetext":
                entries.append(Entry(folder + b"/onlinetext.html", content=b"<p>hi</p>"))
            else:
                entries += _inside(folder, draw(handed_in()))
    entries += [Entry(b"not a participant/gradient_descent.ipynb", content=b"{}")]
    entries += draw(st.lists(st.sampled_from(_STRAYS), max_size=2, unique=True))
    return Tree("moodle", b"moodle", tuple(entries), frozenset(map(str, participants)))


ids = st.text(st.characters(blacklist_categories=("Cs",)), max_size=12)


@st.composite
def gradescope_trees(draw: st.DrawFn) -> Tree:
    """`submission_<n>/` folders and the metadata that names their submitters: some named by
    sid, some by e-mail, some by neither, a group, a folder the metadata forgets, an entry
    whose folder is gone, a time that is no time."""
    entries: list[Entry] = []
    metadata: dict[str, object] = {}
    students = set()
    for number in range(draw(st.integers(1, 4))):
        key = f"submission_{number + 1}"
        submitters = []
        for _ in range(draw(st.integers(0, 2))):
            sid, email = draw(ids), draw(ids)
            submitters.append({":name": draw(ids), ":sid": sid, ":email": email})
        if number == 0:  # someone to grade: an export naming nobody is a usage error
            submitters.append({":name": "Ana", ":sid": draw(ids.filter(str.strip)), ":email": ""})
        metadata[key] = {
            ":submitters": submitters,
            ":created_at": os.fsdecode(draw(timestamps)).encode("utf-8", "replace").decode(),
        }
        described = "folder" if number == 0 else draw(st.sampled_from(["folder", "folder", "gone"]))
        if described == "folder":
            entries.append(Entry(key.encode(), FOLDER))
            entries += _inside(key.encode(), draw(handed_in()))
            students |= {
                student_id(str(person[":sid"] or person[":email"]).strip())
                for person in submitters
                if str(person[":sid"] or person[":email"]).strip()
            }
    entries.append(Entry(b"submission_99/gradient_descent.ipynb", content=b"{}"))  # forgotten
    entries.append(Entry(b"submission_metadata.yml", content=yaml.safe_dump(metadata).encode()))
    return Tree("gradescope", b"gradescope", tuple(entries), frozenset(students))


@st.composite
def folder_trees(draw: st.DrawFn) -> Tree:
    """`<student>.ipynb` files, with Jupyter's copies of some, hidden notebooks, other files
    and folders."""
    found = draw(st.lists(names, min_size=1, max_size=5, unique=True))
    kinds = st.sampled_from([FILE, FILE, FILE, LINK, PIPE])
    entries = [
        Entry(name + b".ipynb", draw(kinds), draw(contents), draw(st.booleans())) for name in found
    ]
    copied = draw(st.lists(st.sampled_from(found), max_size=2, unique=True))
    entries += [Entry(name + b"-Copy1.ipynb", content=b"{}") for name in copied]
    entries += draw(st.lists(st.sampled_from(_STRAYS), max_size=3, unique=True))
    stems = {
        os.fsdecode(entry.path[: -len(b".ipynb")])
        for entry in entries
        if is_notebook(os.fsdecode(entry.path))
        and b"/" not in entry.path
        and not entry.path.startswith(b".")
        and not is_junk(os.fsdecode(entry.path))
    }
    students = {
        student_id(stem) for stem in stems if copy_of(stem) == stem or copy_of(stem) not in stems
    }
    if not students:  # a folder with no notebook is the usage error the README lists
        entries.append(Entry(b"ana.ipynb", content=b"{}"))
        students.add("ana")
    return Tree("folder", b"class", tuple(entries), frozenset(students))


TREES = {
    "nbgrader": nbgrader_trees(),
    "canvas": canvas_trees(),
    "moodle": moodle_trees(),
    "gradescope": gradescope_trees(),
    "folder": folder_trees(),
}
