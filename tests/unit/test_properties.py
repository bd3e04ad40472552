"""Every boundary a student's bytes cross, fed random and adversarial input (Hypothesis).

Each test states what may come out: a value, or the one error type that boundary defines.
Anything else escaping would stop a batch or break a writer, so it fails the test.
"""

from __future__ import annotations

import base64
import contextlib
import json
import math
import os
import shutil
import struct
import threading
import unicodedata
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autograder.atomic import write_atomically
from autograder.batch.store import RecordStore
from autograder.exercise import release_notebook
from autograder.feedback.pages import write_feedback_pages
from autograder.feedback.report import check_pass_rates, write_class_report
from autograder.inside.observations import (
    INPUT_NAMES,
    MAX_PARAMETER_VALUES,
    MAX_VALUES,
    LossQuestion,
    LossRun,
    LossTrainingQuestion,
    MalformedObservation,
    UpdateQuestion,
    answer_from_json,
    packed,
    question_from_json,
)
from autograder.intake.ids import MAX_FILE_NAME, course_folder, file_name, name_of, student_id
from autograder.intake.notebook import InvalidNotebook, load_release, plan_notebook
from autograder.judge.record import CheckResult, Mistake, Record, RecordError, Status
from autograder.judge.session import RemoteSession
from autograder.judge.student import StudentUnavailable
from autograder.lesson import Lesson, fit_for_training
from autograder.outputs.autograded import autograded_path, write_autograded_notebooks
from autograder.outputs.publish import WritersLoading
from autograder.outputs.tables import grades_csv, results_json
from autograder.sandbox.protocol import ProtocolError, decode, encode
from autograder.text import one_line, printable, spreadsheet_cell
from tests.support.lesson import lesson_in_process

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
# Text as hostile as Unicode allows: lone surrogates, controls, bidi overrides, formula starts.
hostile_text = st.text(
    alphabet=st.one_of(
        st.characters(),
        st.sampled_from(["\udc80", "\x1b", "\u202e", "\x00", "=", "+", "-", "@", "\n", "\r"]),
    ),
    max_size=60,
)
numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=True, allow_infinity=True),
)
json_values = st.recursive(
    st.none() | st.booleans() | numbers | hostile_text,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(hostile_text, children, max_size=5)
    ),
    max_leaves=15,
)
# Lists of numbers as they travel (`packed`), or anything else in their place: any JSON, and
# base64 of any bytes (a length that is no whole number of float64s among them).
number_lists = st.one_of(
    st.lists(st.floats(allow_nan=False), max_size=5).map(packed),
    st.binary(max_size=50).map(lambda data: base64.b64encode(data).decode("ascii")),
    json_values,
)
# Observation-shaped objects: the right keys, values of any type.
loss_keys = [
    "error", "undefined", "returned", "shape", "values", "problem", "tracks_gradient",
    "grad", "grad_error", "changed",
]  # fmt: skip
update_keys = ["start", "calls", "after_each_call", "error", "undefined"]
state_keys = ["values", "grad", "still_bound", "is_parameter", "is_leaf", "requires_grad"]


def shaped_like(keys: list[str]) -> st.SearchStrategy[dict[str, Any]]:
    """The right keys, each with any value; where numbers go, packed numbers too."""
    holds_numbers = {"values", "grad", "start"}
    return st.fixed_dictionaries(
        {key: number_lists if key in holds_numbers else json_values for key in keys}
    )


loss_shaped = shaped_like(loss_keys)
shaped = st.one_of(
    loss_shaped,
    st.fixed_dictionaries(
        {
            "in_update": st.lists(loss_shaped, max_size=3),
            "by_the_cell": st.lists(loss_shaped, max_size=3),
            "by_the_cell_at": st.lists(st.integers(-3, 3) | json_values, max_size=3),
            "replay_failed": json_values,
        }
    ),
    st.tuples(shaped_like(update_keys), st.lists(shaped_like(state_keys), max_size=4)).map(
        lambda parts: {**parts[0], "after_each_call": parts[1]}
    ),
    json_values,
)


@SETTINGS
@given(st.binary(max_size=400) | json_values.map(lambda v: json.dumps(v).encode()))
def test_the_decoder_returns_a_message_or_refuses_it(data: bytes):
    try:
        message = decode(data)
    except ProtocolError:
        return
    assert isinstance(message, dict)
    encode(message)  # anything accepted can be handled without surprises


@SETTINGS
@given(st.dictionaries(hostile_text, json_values, max_size=5))
def test_whatever_a_student_process_encodes_the_judge_accepts_or_refuses(message):
    try:
        decode(encode(message))
    except ProtocolError:
        return


@SETTINGS
@given(
    json_values
    | st.dictionaries(
        st.from_regex(r"[A-Za-z_][A-Za-z0-9_]{0,8}", fullmatch=True) | hostile_text,
        numbers | st.booleans() | hostile_text | st.text(min_size=190, max_size=210) | json_values,
        max_size=40,
    )
)
def test_a_lessons_names_for_training_are_the_notebooks_own_plain_values_or_refused(raw: Any):
    facts = {**lesson_in_process().to_json(), "names_for_training": raw}
    del facts["hash"]
    try:
        lesson = Lesson.from_json(facts)
    except ValueError:
        return
    assert all(fit_for_training(name, value) for name, value in lesson.names_for_training)
    assert Lesson.from_json(json.loads(json.dumps(lesson.to_json()))) == lesson


question_shaped = st.one_of(
    st.tuples(
        st.just("loss"), number_lists, number_lists, st.integers(-2, 12) | json_values, json_values
    ),
    st.tuples(st.just("loss_training"), st.lists(number_lists, max_size=3) | json_values),
    st.tuples(st.just("updates"), number_lists, st.integers(-2, 1002) | json_values),
).map(list)


@SETTINGS
@given(json_values | question_shaped)
def test_questions_parse_or_are_refused(raw: Any):
    try:
        question = question_from_json(raw)
    except MalformedObservation:
        return
    assert question_from_json(question.to_json()) == question


QUESTIONS = [
    LossQuestion((1.0, 2.0), (0.5, 1.5)),
    LossQuestion((1.0,), (0.5,), plain=True),
    LossTrainingQuestion(((-1.0, 1.0), (0.5, 0.5))),
    UpdateQuestion((-1.0, 1.0), 2),
]


@SETTINGS
@given(st.sampled_from(QUESTIONS), shaped)
def test_answers_parse_or_are_refused(question, raw: Any):
    try:
        answer = answer_from_json(question, raw)
    except MalformedObservation:
        return
    assert answer_from_json(question, answer.to_json()) == answer


A_LOSS_RUN = {
    "error": None, "undefined": False, "returned": "tensor", "shape": [], "values": packed([1.0]),
    "problem": None, "tracks_gradient": True, "grad": None, "grad_error": None,
    "changed": [],
}  # fmt: skip


any_float64 = st.integers(0, 2**64 - 1).map(
    lambda bits: struct.unpack("<d", bits.to_bytes(8, "little"))[0]
)


@SETTINGS
@given(st.lists(any_float64, max_size=8))
def test_numbers_travel_bit_for_bit(values: list[float]):
    """Every float64 (NaN payloads, infinities, signed zeros) reaches the judge as it was
    read; no more numbers than a field may hold."""
    run = LossRun.from_json({**A_LOSS_RUN, "values": packed(values), "grad": packed(values)})
    layout = f"<{len(values)}d"
    assert struct.pack(layout, *run.values) == struct.pack(layout, *values)
    assert struct.pack(layout, *run.grad) == struct.pack(layout, *values)
    with pytest.raises(MalformedObservation):
        question_from_json(["updates", packed([*values, *[0.0] * 65]), 1])


@SETTINGS
@given(st.integers(0, 3), st.integers(-2, 2), st.sampled_from(["", "=", "==", "A", "AA==", "AAAA"]))
def test_a_field_takes_as_many_packed_numbers_as_it_may_hold_and_no_more(
    field: int, beyond: int, tail: str
):
    """At each field's limit: one packed number more is refused, whatever text follows; what
    is taken is never more numbers than the field holds, and the limit itself is taken."""
    most, build, numbers = [
        (MAX_PARAMETER_VALUES, lambda text: ["updates", text, 1], lambda q: q.start),
        (MAX_PARAMETER_VALUES, lambda text: ["loss_training", [text]], lambda q: q.positions[0]),
        (MAX_VALUES, lambda text: ["loss", text, packed([0.0]), 0, False], lambda q: q.y),
        (MAX_VALUES, lambda text: ["loss", packed([0.0]), text, 0, False], lambda q: q.y_guess),
    ][field]
    text = packed([1.5] * (most + beyond)) + tail
    try:
        question = question_from_json(build(text))
    except MalformedObservation:
        assert beyond > 0 or tail
        return
    assert beyond <= 0
    assert len(numbers(question)) <= most
    if not tail:
        assert numbers(question) == (1.5,) * (most + beyond)


@SETTINGS
@given(st.lists(st.sampled_from([*INPUT_NAMES, "z", "Y", ""]) | json_values, max_size=6))
def test_the_inputs_a_loss_call_changed_are_named_once_each_or_refused(names: list[Any]):
    """A call's changed inputs reach the judge only as names it knows, each once."""
    fits = all(isinstance(name, str) and name in INPUT_NAMES for name in names) and len(
        set(names)
    ) == len(names)
    try:
        run = LossRun.from_json({**A_LOSS_RUN, "changed": names})
    except MalformedObservation:
        assert not fits
        return
    assert fits
    assert run.changed == tuple(names)
    assert LossRun.from_json(run.to_json()) == run


@SETTINGS
@given(
    positions=st.integers(0, 5),
    update_calls_off_by=st.sampled_from([0, 0, 0, -1, 1]),
    at=st.lists(st.integers(-3, 8) | json_values, max_size=6),
    cell_calls_off_by=st.sampled_from([0, 0, 0, -1, 1]),
)
def test_a_loss_along_training_is_accepted_exactly_when_its_calls_fit_the_question(
    positions: int, update_calls_off_by: int, at: list[Any], cell_calls_off_by: int
):
    """Well-formed calls in any number, at any indexes: accepted when update() made one call
    per position and each of the cell's own calls names a position asked about, or none."""
    in_update = max(positions + update_calls_off_by, 0)
    calls_by_the_cell = max(len(at) + cell_calls_off_by, 0)
    question = LossTrainingQuestion(tuple((float(i), 0.0) for i in range(positions)))
    raw = {
        "in_update": [A_LOSS_RUN] * in_update,
        "by_the_cell": [A_LOSS_RUN] * calls_by_the_cell,
        "by_the_cell_at": at,
        "replay_failed": None,
    }
    fits = (
        in_update == positions
        and len(at) == calls_by_the_cell
        and all(type(index) is int and -1 <= index < positions for index in at)
    )
    try:
        answer = answer_from_json(question, raw)
    except MalformedObservation:
        assert not fits
        return
    assert fits
    assert answer_from_json(question, answer.to_json()) == answer


class Replies:
    """A student process that answers with whatever the test gives it, in turn."""

    def __init__(self, replies: list[Any]) -> None:
        self.replies = replies

    def request(self, message: dict[str, Any], timeout: float) -> dict[str, Any]:
        reply = self.replies.pop(0) if self.replies else {}
        return decode(encode(reply if isinstance(reply, dict) else {"not": reply}))

    def answer_seconds(self) -> float:
        return 10.0


@settings(SETTINGS, max_examples=60)
@given(
    st.lists(
        st.one_of(
            shaped,
            st.fixed_dictionaries({"id": st.integers(0, 3), "answers": st.lists(shaped)}),
            st.fixed_dictionaries(
                {"at": json_values, "ran": json_values, "training": shaped, "notes": json_values}
            ),
        ),
        max_size=4,
    )
)
def test_whatever_a_student_process_replies_the_judge_gets_answers_or_a_broken_student(
    replies,
):
    student = RemoteSession(Replies(replies))  # type: ignore[arg-type]
    for step in (
        lambda: student._arrived(student._request({"op": "start"})),
        lambda: student.reach("loss"),
        lambda: student.ask(QUESTIONS),
    ):
        try:
            step()
        except StudentUnavailable:
            continue


RELEASE_PATH = release_notebook()
RELEASE = load_release(RELEASE_PATH)
RELEASE_GRADE_IDS = {c.metadata.nbgrader.grade_id for c in nbformat.read(RELEASE_PATH, 4).cells}


def _notebook(cells: list[Any]) -> dict[str, Any]:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}


cell_like = st.fixed_dictionaries(
    {
        "cell_type": st.sampled_from(["code", "markdown", "raw"]) | json_values,
        "source": hostile_text | st.lists(hostile_text, max_size=3) | json_values,
        "metadata": st.fixed_dictionaries(
            {
                "nbgrader": st.fixed_dictionaries(
                    {
                        "grade_id": st.sampled_from([c.grade_id for c in RELEASE.cells])
                        | json_values,
                        "solution": json_values,
                        "grade": json_values,
                        "locked": json_values,
                    }
                )
                | json_values
            }
        )
        | json_values,
        "id": hostile_text | json_values,
    }
)


@SETTINGS
@given(
    st.one_of(
        st.binary(max_size=300),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.lists(cell_like, max_size=8).map(
            lambda cells: json.dumps(_notebook(cells)).encode("utf-8", "surrogatepass")
        ),
    )
)
def test_any_file_is_planned_or_refused_as_invalid(tmp_path_factory, data: bytes):
    path = tmp_path_factory.mktemp("notebook") / "submission.ipynb"
    path.write_bytes(data)
    try:
        plan = plan_notebook(path, RELEASE)
    except InvalidNotebook:
        return
    encode({"op": "start", "steps": [step.to_json() for step in plan.steps]})


mistakes = st.builds(Mistake, hostile_text, hostile_text, hostile_text)
checks = st.builds(
    CheckResult,
    id=hostile_text,
    category=st.sampled_from(["loss", "update", "zero_grad", "convergence"]),
    points=st.floats(0, 2),
    max_points=st.floats(0, 2),
    passed=st.booleans(),
    message=hostile_text,
    mistake=st.none() | mistakes,
)
records = st.builds(
    Record,
    student=hostile_text,
    status=st.sampled_from(list(Status)),
    max_score=st.floats(0, 100),
    message=hostile_text,
    checks=st.lists(checks, max_size=4).map(tuple),
    notes=st.lists(hostile_text, max_size=3).map(tuple),
    output=hostile_text,
    observations=st.lists(st.dictionaries(hostile_text, json_values, max_size=3), max_size=3).map(
        tuple
    ),
    seed=st.none() | st.integers(0, 2**63),
)


@SETTINGS
@given(st.lists(records, max_size=4, unique_by=lambda record: record.student))
def test_any_record_is_stored_read_back_and_written_out(tmp_path_factory, batch):
    out = tmp_path_factory.mktemp("out")
    store = RecordStore(out)
    for record in batch:
        store.write(record)
    read = [store.read(record.student) for record in batch]
    assert [json.dumps(r.to_json()) for r in read] == [json.dumps(r.to_json()) for r in batch]
    assert sorted(store.students()) == sorted(record.student for record in batch)
    results_json(read, 12.0)
    grades_csv(read, ["loss.value_on_lesson_data"])


@settings(SETTINGS, max_examples=60)
@given(
    st.binary(max_size=300)
    | st.lists(cell_like, max_size=8).map(
        lambda cells: json.dumps(_notebook(cells)).encode("utf-8", "surrogatepass")
    ),
    records,
    st.booleans(),
)
def test_any_submission_and_record_make_a_valid_autograded_notebook(
    tmp_path_factory, data: bytes, record: Record, submitted: bool
):
    course = tmp_path_factory.mktemp("course")
    if submitted:
        record = record.with_(student="student")
        folder = course / "submitted" / "student" / "gradient_descent"
        folder.mkdir(parents=True)
        (folder / "gradient_descent.ipynb").write_bytes(data)
    note = course / "made-from.json"
    assert write_autograded_notebooks(course, RELEASE_PATH, [record], None, note) == 1
    assert write_autograded_notebooks(course, RELEASE_PATH, [record], None, note) == 0
    path = autograded_path(course, record.student)
    assert path.parents[2] == course / "autograded"
    written = nbformat.read(path, as_version=4)
    nbformat.validate(written)
    grade_ids = [c.metadata["nbgrader"]["grade_id"] for c in written.cells if c.metadata]
    assert len(grade_ids) == len(set(grade_ids)) and set(grade_ids) <= RELEASE_GRADE_IDS
    for category in ("loss", "update", "zero_grad", "convergence"):
        assert f"{category}_checks" in grade_ids
    for cell in written.cells:
        assert all(printable(line) == line for line in cell.source.splitlines())
        if cell.cell_type == "markdown" and not cell.metadata:  # the student's: verbatim
            assert all(line.startswith("    ") for line in cell.source.splitlines())
        if cell.cell_type == "code" and not cell.metadata.get("nbgrader", {}).get("grade"):
            assert cell.outputs == []


@settings(SETTINGS, max_examples=20)
@given(st.lists(records, max_size=3))
def test_any_record_makes_a_feedback_page_and_a_class_report(tmp_path_factory, batch):
    out = tmp_path_factory.mktemp("out")
    write_feedback_pages(batch, lesson_in_process(), out)
    write_class_report(batch, out, seconds=1.0)


class _Bars(HTMLParser):
    """The numbers each chart's bars carry, chart by chart."""

    def __init__(self) -> None:
        super().__init__()
        self.charts: list[list[float]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.charts.append([])
        elif tag == "rect" and dict(attrs).get("class") == "bar":
            self.charts[-1].append(float(dict(attrs)["data-value"] or "nan"))


@settings(SETTINGS, max_examples=30)
@given(st.lists(records, max_size=5))
def test_the_class_reports_charts_show_each_whole_scores_count_and_each_checks_pass_rate(
    tmp_path_factory, batch
):
    out = tmp_path_factory.mktemp("out")
    write_class_report(batch, out, seconds=1.0)
    bars = _Bars()
    bars.feed((out / "report.html").read_text(encoding="utf-8"))
    histogram, rates = bars.charts
    most = int(batch[0].max_score) if batch else 0
    assert len(histogram) == most + 1 and sum(histogram) == len(batch)
    for score, count in enumerate(histogram):
        low = -math.inf if score == 0 else score - 0.5  # the ends take what lies beyond them
        high = math.inf if score == most else score + 0.5
        assert count == len([record for record in batch if low <= record.score < high])
    expected = check_pass_rates(batch) if batch else {}
    assert rates == pytest.approx(list(expected.values()), abs=5e-4)  # three digits


@SETTINGS
@given(st.lists(st.binary(max_size=20) | st.text(max_size=20), min_size=1, max_size=6))
def test_a_file_written_atomically_holds_the_last_content_and_is_left_alone_when_it_has_it(
    tmp_path_factory, contents
):
    path = tmp_path_factory.mktemp("atomic") / "file"
    held: bytes | None = None
    for content in contents:
        before = path.stat() if held is not None else None
        write_atomically(path, content)
        data = content if isinstance(content, bytes) else content.encode("utf-8", "replace")
        assert path.read_bytes() == data
        if before is not None:
            assert (before.st_ino == path.stat().st_ino) == (held == data)
        held = data
    assert [entry.name for entry in path.parent.iterdir()] == ["file"]


# Check-shaped JSON whose parts often coincide, in value or only nearly (1, 1.0 and True; 0.0
# and -0.0; "a" and ["a"]), so that results read one after another share and nearly share.
near_values = {
    "id": ["a", "b", ["a"], None, 1],
    "category": ["a", "b", ["a"], None],
    "points": [0, 0.0, -0.0, 1, 1.0, True, False, math.nan, math.inf, "1", 0.5],
    "max_points": [1, 1.0, True, -0.0, math.inf, 2],
    "passed": [True, False, 1, 0, None],
    "message": ["a", "b", "a\x00", ["a"], None],
    "mistake": [
        None,
        "a",
        {"key": "a", "title": "a", "hint": "a"},
        {"key": "a", "title": "a", "hint": ["a"]},
        {"key": "a", "title": "a"},
    ],
}
# Its texts may be anything a student's exception or output puts in a message.
few_texts = st.sampled_from(["a", "b"]) | hostile_text
valid_check = st.fixed_dictionaries(
    {
        "id": few_texts,
        "category": few_texts,
        "points": st.sampled_from([0, 0.0, 1, 0.5]),
        "max_points": st.sampled_from([1, 1.0, 2]),
        "passed": st.booleans(),
        "message": st.sampled_from(["a", "b", "a\x00"]) | hostile_text,
        "mistake": st.none()
        | st.fixed_dictionaries({"key": few_texts, "title": few_texts, "hint": few_texts}),
    }
)
# A check's JSON, then others that each differ from it in one part.
near_checks = st.tuples(
    valid_check,
    st.lists(
        st.sampled_from(sorted(near_values)).flatmap(
            lambda field: st.tuples(st.just(field), st.sampled_from(near_values[field]))
        ),
        max_size=30,
    ),
).map(lambda drawn: [drawn[0]] + [drawn[0] | {field: value} for field, value in drawn[1]])


def _made_alone(read, raw: dict[str, Any]) -> str:
    """What `read` makes of `raw`, exactly (a float's sign and type included); a refusal as
    its kind."""
    try:
        result = read(raw)
    except RecordError:
        return "refused"
    return repr(result) + repr([type(result.points), type(result.max_points)])


@SETTINGS
@given(near_checks)
def test_a_check_result_read_is_the_one_its_json_makes_whatever_was_read_before(raws):
    """Results read back are shared between rows; each is still exactly what its own JSON
    makes on its own, or refused as its own JSON is."""
    for raw in raws:
        assert _made_alone(CheckResult.from_json, raw) == _made_alone(CheckResult._made, raw)


@SETTINGS
@given(st.binary(max_size=300) | json_values.map(lambda v: json.dumps(v).encode()))
def test_a_damaged_record_file_is_refused_with_a_reason(tmp_path_factory, data: bytes):
    store = RecordStore(tmp_path_factory.mktemp("out"))
    store.folder.mkdir()
    (store.folder / f"{file_name('someone')}.json").write_bytes(data)
    with contextlib.suppress(RecordError):
        store.read("someone")
    list(store.students())


def _stored(read, student: str) -> str:
    """What `read` gives for `student`, as text to compare; a refusal as its kind."""
    try:
        return json.dumps(read(student).with_(observations=(), output="").to_json())
    except RecordError:
        return "refused"


record_file_changes = st.lists(
    st.one_of(
        records.map(lambda record: ("write", record)),
        st.binary(max_size=300).map(lambda data: ("replace", data)),
        st.just(("delete", None)),
    ),
    min_size=1,
    max_size=6,
)


def _change_record_file(store: RecordStore, student: str, action: str, value: Any) -> None:
    """One change of `student`'s record file: written by `store` (the student's own record or
    another's moved in its place), replaced by other bytes, or deleted."""
    record_file = store.record_file(student)
    if action == "write":
        store.write(value.with_(student=student) if len(value.student) % 2 else value)
        if value.student != student and len(value.student) % 2 == 0:  # another's record
            os.replace(store.record_file(value.student), record_file)
    elif action == "replace":
        record_file.parent.mkdir(parents=True, exist_ok=True)
        replacement = record_file.with_name(".replacing")
        replacement.write_bytes(value)
        os.replace(replacement, record_file)
    else:
        record_file.unlink(missing_ok=True)


@SETTINGS
@given(record_file_changes)
def test_a_row_is_always_its_record_without_what_the_code_produced(tmp_path_factory, changes):
    """Whatever happens to a record file between reads (written again, replaced by other
    bytes or another student's record, deleted), the student's row says what the record says,
    read by this store or by a new one."""
    out = tmp_path_factory.mktemp("out")
    store, student = RecordStore(out), "someone"
    for action, value in changes:
        _change_record_file(store, student, action, value)
        expected = _stored(store.read, student)
        assert _stored(store.row, student) == expected
        assert _stored(RecordStore(out).row, student) == expected


@SETTINGS
@given(records, records)
def test_a_record_replaced_while_its_row_is_made_is_read_again(tmp_path_factory, first, second):
    """A row is kept with the version of the record file taken before the file was read: a
    file replaced in between (by the run, while a thread reads rows) is read again next
    time, never taken for the row made from the file before it."""
    out, student = tmp_path_factory.mktemp("out"), "someone"
    RecordStore(out).write(first.with_(student=student))
    shutil.rmtree(out / "rows")
    store, replaced = RecordStore(out), RecordStore(out)
    reading = store.read

    def read_then_replaced(name: str) -> Record:
        found = reading(name)
        replaced.write(second.with_(student=student))
        return found

    store.read = read_then_replaced  # type: ignore[method-assign]
    store.row(student)
    store.read = reading  # type: ignore[method-assign]
    assert _stored(store.row, student) == _stored(reading, student)


@SETTINGS
@given(
    st.lists(
        st.tuples(hostile_text, record_file_changes, st.booleans(), record_file_changes),
        max_size=5,
        unique_by=lambda drawn: drawn[0],
    )
)
def test_rows_read_ahead_while_others_are_graded_are_the_rows_read_afresh(
    tmp_path_factory, class_changes
):
    """`grade` reads the rows of the students it is not grading in a thread while it grades
    the others (`WritersLoading`). Whatever their ids, whatever each record file went through
    before, and whatever happens to it while that thread reads (by the run, which grades its
    student, or by someone else), each row the run reads after the thread is the one a new
    store reads."""
    out = tmp_path_factory.mktemp("out")
    store = RecordStore(out)
    students = [student for student, _, _, _ in class_changes]
    for student, before, _, _ in class_changes:
        for action, value in before:
            _change_record_file(store, student, action, value)
    graded = {student for student, _, by_run, _ in class_changes if by_run}
    with WritersLoading() as loading:
        loading.start(store, [each for each in students if each not in graded], None)
        for student, _, _, during in class_changes:
            by = store if student in graded else RecordStore(out)  # the run, or someone else
            for action, value in during:
                _change_record_file(by, student, action, value)
        loading.ready()
    assert [_stored(store.row, each) for each in students] == [
        _stored(RecordStore(out).row, each) for each in students
    ]


def test_loading_rows_ahead_stops_between_two_rows(tmp_path):
    """A run stopped while rows are read ahead waits for the row being read, no more."""
    asked, entered, release = [], threading.Event(), threading.Event()

    class SlowStore(RecordStore):
        def row(self, student: str) -> Record:
            asked.append(student)
            entered.set()
            release.wait()
            return super().row(student)

    loading = WritersLoading()
    loading.start(SlowStore(tmp_path), ["first", "second", "third"], None)
    entered.wait()
    loading.stop()
    release.set()
    loading.ready()
    assert asked == ["first"]


file_names = st.binary(min_size=1, max_size=255).filter(lambda name: b"/" not in name)


@SETTINGS
@given(st.lists(file_names, min_size=2, max_size=6, unique=True))
def test_distinct_file_names_give_distinct_printable_ids_and_valid_record_names(names):
    ids = [student_id(name) for name in names]
    assert len(set(ids)) == len(ids)
    assert [student_id(name) for name in names] == ids  # stable
    assert len({file_name(student) for student in ids}) == len(ids)
    for student in ids:
        assert student.isprintable()
        name = file_name(student)
        assert "/" not in name and name not in (".", "..") and name and not name.startswith(".")
        assert len(name.encode("utf-8")) <= MAX_FILE_NAME


@SETTINGS
@given(file_names.filter(lambda name: b"\0" not in name))
def test_an_id_gives_back_the_name_it_came_from(name: bytes):
    student = student_id(name)
    assert name_of(student) == os.fsdecode(name)
    if name not in (b".", b".."):
        assert course_folder(student) == os.fsdecode(name)  # nbgrader's folder, exactly


@SETTINGS
@given(hostile_text)
def test_any_text_is_an_id_with_a_name_or_none(text: str):
    name = name_of(text)
    assert name is None or student_id(name) == text
    folder = course_folder(text)
    assert "/" not in folder and folder not in ("", ".", "..") and "\0" not in folder
    assert len(os.fsencode(folder)) <= 255


@pytest.mark.parametrize(
    ("student", "name"),
    [
        ("ana smith", "ana smith"),
        ("José Núñez", "José Núñez"),
        ("ana.smith@uni.edu", "ana.smith@uni.edu"),
        ("50% #1?", "50%25 #1?"),
        ("a/b", "a%2Fb"),
        (".hidden", "%2Ehidden"),
        ("..", "%2E."),
        ("", "%"),
        ("a\\b", "a\\b"),
        ("名前 😀", "名前 😀"),
    ],
)
def test_the_kits_file_names_escape_only_what_a_file_system_refuses(student, name):
    assert file_name(student) == name


def test_characters_beyond_the_first_plane_get_escapes_of_their_own():
    tag = "\U000e0001".encode()  # a format character, not printable
    private = "\ue000".encode() + b"1"  # a private-use character, then a 1
    assert student_id(tag) != student_id(private)
    assert [name_of(student_id(name)) for name in (tag, private)] == ["\U000e0001", "\ue0001"]


@SETTINGS
@given(hostile_text)
def test_text_is_safe_for_terminals_and_spreadsheets(text: str):
    shown = printable(text)
    shown.encode("utf-8")
    assert not any(unicodedata.category(c) in ("Cc", "Cs") and c not in "\n\t" for c in shown), (
        shown
    )
    assert "\u202e" not in shown
    assert "\n" not in one_line(text)
    cell = spreadsheet_cell(text)
    assert isinstance(cell, str) and not cell.startswith(("=", "+", "-", "@", "\t", "\r"))


@pytest.mark.parametrize("name", [b"caf\xe9", b"caf\\xe9", b"a\\b", b"a\\\\b"])
def test_escapes_never_collide_with_names_that_look_like_them(name):
    others = [b"caf\xe9", b"caf\\xe9", b"a\\b", b"a\\\\b"]
    assert len({student_id(other) for other in others}) == len(others)
    assert Path(file_name(student_id(name))).name == file_name(student_id(name))


@SETTINGS
@given(
    st.lists(records, min_size=2, max_size=4, unique_by=lambda record: record.student),
    st.sampled_from(["another's record", "damaged", "a row that names another"]),
)
def test_whose_record_each_file_holds_is_what_the_file_itself_says(
    tmp_path_factory, batch, tampering: str
):
    """The class of a folder is named from each record's small row only while the row was
    made from that very version of the file: a record file replaced since, or a row that
    names someone else, is read from the record itself."""
    store = RecordStore(tmp_path_factory.mktemp("out"))
    for record in batch:
        store.write(record)
    victim, other = batch[0].student, batch[1].student
    victim_file = store.folder / f"{file_name(victim)}.json"
    if tampering == "another's record":
        write_atomically(victim_file, (store.folder / f"{file_name(other)}.json").read_text())
    elif tampering == "damaged":
        write_atomically(victim_file, "{")
    else:
        row = store.out_dir / "rows" / f"{file_name(victim)}.json"
        raw = json.loads(row.read_text())
        raw["record"]["student"] = other
        row.write_text(json.dumps(raw))
    fresh = RecordStore(store.out_dir)
    named = sorted(fresh.students())
    expected = sorted(record.student for record in batch)
    if tampering == "a row that names another":
        assert named == expected and fresh.unreadable() == []
    else:
        assert named == sorted(set(expected) - {victim})
        [refused] = fresh.unreadable()
        assert refused.startswith(str(victim_file))
