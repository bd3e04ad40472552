"""The instructor's view of a batch: report.html with its charts, and mistakes.csv."""

from __future__ import annotations

import os
import statistics
from collections import Counter
from pathlib import Path
from urllib.parse import quote

from autograder.atomic import write_atomically
from autograder.feedback.class_charts import pass_rates, score_histogram
from autograder.feedback.markup import page, text
from autograder.feedback.paths import feedback_path
from autograder.judge.record import Mistake, Record, Status
from autograder.text import csv_text


def mistakes_csv(records: list[Record], found: list[list[Mistake]]) -> str:
    """One row per student, for sorting and filtering in a spreadsheet."""
    rows = [
        [record.student, str(record.status), record.score, ";".join(m.key for m in mistakes)]
        for record, mistakes in zip(records, found, strict=True)
    ]
    return csv_text(["student", "status", "score", "mistakes"], rows)


def check_pass_rates(records: list[Record]) -> dict[str, float]:
    """Share of all submissions passing each check; a check never run counts as failed."""
    passed: Counter[str] = Counter()
    for record in records:
        for check in record.checks:
            passed[check.id] += check.passed  # listed even when nobody passed
    return {check: count / len(records) for check, count in passed.items()}


def _overview(records: list[Record], seconds: float | None) -> str:
    scores = [record.score for record in records]
    counts = Counter(record.status for record in records)
    rows = "".join(
        f"<tr><td>{text(status)}</td><td class='number'>{counts[status]}</td></tr>"
        for status in Status
        if counts[status]
    )
    if seconds is None:
        timing = " (grading time not recorded)"
    else:
        each = f" ({1000 * seconds / len(records):.0f} ms per submission)" if records else ""
        timing = f", graded in {seconds:.1f} s{each}"
    mean = f"{statistics.mean(scores):.2f}" if scores else "—"
    median = f"{statistics.median(scores):g}" if scores else "—"
    most = records[0].max_score if records else 0
    return (
        f"<section><h2>Overview</h2><p>{len(records)} submissions{timing}. "
        f"Mean score {mean}, median {median}, out of {most:g}.</p>"
        f"<table><tr><th>status</th><th>submissions</th></tr>{rows}</table></section>"
    )


def _common_mistakes(records: list[Record], found: list[list[Mistake]]) -> str:
    students: dict[str, list[str]] = {}
    titles: dict[str, list[str]] = {}
    for record, mistakes in zip(records, found, strict=True):
        for mistake in mistakes:
            students.setdefault(mistake.key, []).append(record.student)
            if mistake.title not in titles.setdefault(mistake.key, []):
                titles[mistake.key].append(mistake.title)
    if not students:
        return "<section><h2>Most common mistakes</h2><p>None recognised.</p></section>"
    rows = []
    for key in sorted(students, key=lambda k: (-len(students[k]), k)):
        names = ", ".join(text(student) for student in students[key])
        rows.append(
            f"<tr><td>{text('; '.join(titles[key]))} <code class='muted'>{text(key)}</code>"
            f"<details><summary>who</summary>{names}</details></td>"
            f"<td class='number'>{len(students[key])}</td></tr>"
        )
    return (
        "<section><h2>Most common mistakes</h2><table><tr><th>mistake</th><th>students</th>"
        f"</tr>{''.join(rows)}</table></section>"
    )


def _not_graded(records: list[Record]) -> str:
    rows = "".join(
        f"<tr><td>{text(record.student)}</td><td>{text(record.status)}</td>"
        f"<td>{text(record.message)}</td></tr>"
        for record in records
        if record.status != Status.GRADED
    )
    body = (
        f"<table><tr><th>student</th><th>status</th><th>what happened</th></tr>{rows}</table>"
        if rows
        else "<p>Every submission ran to the end.</p>"
    )
    return f"<section><h2>Timed out, crashed or not gradable</h2>{body}</section>"


def _charts(records: list[Record]) -> str:
    most = records[0].max_score if records else 0.0
    rates = check_pass_rates(records) if records else {}
    rows = "".join(
        f"<tr><td><code>{text(check)}</code></td><td class='number'>{rate:.0%}</td></tr>"
        for check, rate in rates.items()
    )
    return (
        "<section><h2>Scores</h2>"
        f"{score_histogram([record.score for record in records], most)}</section>"
        f"<section><h2>Pass rate per check</h2>{pass_rates(rates)}"
        f"<table><tr><th>check</th><th>passed</th></tr>{rows}</table></section>"
    )


SORT_TABLES = """
document.querySelectorAll("table.sortable th").forEach((header, column) => {
  header.addEventListener("click", () => {
    const body = header.closest("table").tBodies[0];
    const ascending = header.dataset.order !== "ascending";
    header.dataset.order = ascending ? "ascending" : "descending";
    const key = (row) => row.cells[column].dataset.value ?? row.cells[column].textContent;
    const numeric = header.dataset.type === "number";
    const rows = Array.from(body.rows).sort((a, b) => {
      const order = numeric ? Number(key(a)) - Number(key(b)) : key(a).localeCompare(key(b));
      return ascending ? order : -order;
    });
    rows.forEach((row) => body.appendChild(row));
  });
});
"""


def page_link(page: Path, out_dir: Path) -> str:
    """The address of `page` relative to the report in `out_dir`: every byte of its path
    that a URL would read as something else (`%`, `#`, `?`, a space) or that is not ASCII
    percent-encoded, which the browser decodes back into the file's own name."""
    return quote(os.fsencode(Path(os.path.relpath(page, out_dir)).as_posix()), safe="/")


def _students(
    records: list[Record], found: list[list[Mistake]], out_dir: Path, course_root: Path | None
) -> str:
    """Every student with score, status and likely mistake, linked to their page; sortable."""
    rows = []
    for record, mistakes in zip(records, found, strict=True):
        link = page_link(feedback_path(record.student, out_dir, course_root), out_dir)
        mistake = mistakes[0].title if mistakes else ""
        rows.append(
            f"<tr><td><a href='{text(link)}'>{text(record.student)}</a></td>"
            f"<td class='number' data-value='{record.score:g}'>{record.score:g}</td>"
            f"<td>{text(record.status)}</td><td>{text(mistake)}</td></tr>"
        )
    return (
        "<section><h2>Students</h2><p class='muted'>Click a heading to sort.</p>"
        "<table class='sortable'><thead><tr><th>student</th><th data-type='number'>score</th>"
        f"<th>status</th><th>likely mistake</th></tr></thead><tbody>{''.join(rows)}</tbody>"
        "</table></section>"
    )


def write_class_report(
    records: list[Record],
    out_dir: Path,
    seconds: float | None,
    course_root: Path | None = None,
) -> Path:
    """Write report.html (its charts inside it) and mistakes.csv into `out_dir`; returns the page.
    Only the checks' results are used, so each record may come without its observations."""
    found = [[mistake for _, mistake in record.mistakes] for record in records]
    write_atomically(out_dir / "mistakes.csv", mistakes_csv(records, found), durable=False)
    body = "\n".join(
        [
            "<h1>Gradient descent from scratch — class report</h1>",
            _overview(records, seconds),
            _charts(records),
            _common_mistakes(records, found),
            _not_graded(records),
            _students(records, found, out_dir, course_root),
        ]
    )
    target = out_dir / "report.html"
    report = page("Class report: gradient descent", body, script=SORT_TABLES)
    write_atomically(target, report, durable=False)
    return target
