"""One feedback page per student: score, checks, likely mistakes and pictures of their run."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

from autograder.atomic import write_atomically
from autograder.feedback.markup import embedded_png, page, text
from autograder.feedback.observed import Observed, observed
from autograder.feedback.paths import feedback_path
from autograder.feedback.plots import Plotter, loss_curve
from autograder.feedback.statuses import EXPLANATIONS
from autograder.inside.observations import UpdateRun
from autograder.judge.expect import close
from autograder.judge.record import CheckResult, Mistake, Record, Status
from autograder.judge.reference import Reference, as_floats, reference_for
from autograder.judge.results import by_category, shows_own_training
from autograder.judge.wording import vector
from autograder.lesson import Lesson


def category_title(category: str, reference: Reference) -> str:
    titles = {
        "loss": "The loss: mean_squared_error(y, y_guess)",
        "update": "Every step: update()",
        "zero_grad": "Zeroing the gradient",
        "convergence": f"Training: {reference.epochs} calls of update()",
    }
    return titles.get(category, category)


PASSED = '<span class="pass">✓ pass</span>'
FAILED = '<span class="fail">✗ fail</span>'


def _score(record: Record) -> str:
    again = (
        f"<p class='muted regraded'>Graded again: {text(record.regraded)}.</p>"
        if record.regraded
        else ""
    )
    late = "<p class='late'>Submitted late: after the due date.</p>" if record.late else ""
    return (
        f'<section><h2>Score</h2><p class="score">{record.score:g} / '
        f"{record.max_score:g}</p>{late}<p>{text(record.message)}</p>{again}</section>"
    )


def _what_happened(status: Status) -> str:
    explanation = EXPLANATIONS.get(status)
    if explanation is None:
        return ""
    return (
        '<section class="problem"><h2>What happened</h2>'
        f"<p>{text(explanation.happened)}</p><h3>What to do</h3>"
        f"<p>{text(explanation.to_do)}</p></section>"
    )


def _mistake(mistake: Mistake, where: str) -> str:
    return (
        f'<div class="mistake" data-mistake="{text(mistake.key)}">'
        f"<p><strong>Likely mistake:</strong> {text(mistake.title)} (in <code>{where}</code>)</p>"
        f"<p>Hint: {text(mistake.hint)}</p></div>"
    )


def _diagnosis(record: Record) -> str:
    found = [
        _mistake(mistake, "mean_squared_error" if category == "loss" else "update()")
        for category, mistake in record.mistakes
    ]
    if found:
        body = "".join(found)
    elif record.status != Status.GRADED:
        return ""
    elif record.score >= record.max_score:
        body = "<p>Every check passed. Well done!</p>"
    else:
        body = (
            "<p>Your answers do not match one of the common mistakes the grader knows; the "
            "failed checks below say what went wrong.</p>"
        )
    return f"<section><h2>Diagnosis</h2>{body}</section>"


def _checks(checks: tuple[CheckResult, ...], reference: Reference) -> str:
    if not checks:
        return ""
    parts = ["<section><h2>Checks</h2>"]
    for category, group in by_category(checks):
        points = sum(c.points for c in group)
        most = sum(c.max_points for c in group)
        title = category_title(category, reference)
        parts.append(f"<h3>{text(title)} — {points:g} of {most:g} points</h3><ul class='checks'>")
        for check in group:
            verdict = PASSED if check.passed else FAILED
            message = f": {text(check.message)}" if check.message else ""
            parts.append(f"<li>{verdict} <code>{text(check.id)}</code>{message}</li>")
        parts.append("</ul>")
    parts.append("</section>")
    return "".join(parts)


def _figure(png: bytes, description: str, caption: str) -> str:
    image = embedded_png(png, description)
    return f"<figure>{image}<figcaption class='muted'>{caption}</figcaption></figure>"


def _pictures(record: Record, seen: Observed, reference: Reference, plotter: Plotter) -> str:
    parts = []
    run = _plottable(seen.trajectory)
    if run is not None:
        positions = [state.values or [] for state in run.after_each_call]
        stopped = " (then it raised an error)" if run.error else ""
        parts.append(
            _figure(
                plotter.fit(positions[-1]),
                "the lesson data, the least-squares line and your line",
                "The lesson's data, the least-squares line, and your line: after "
                f"{run.completed} calls of <code>update()</code>{stopped} your <code>a</code> "
                f"was {vector(positions[-1])}; the least-squares fit is "
                f"{vector(reference.least_squares)}.",
            )
        )
        curve = loss_curve(reference, positions)
        parts.append(
            _figure(
                plotter.loss(curve),
                "loss per epoch: yours against correct updates",
                "The loss on the lesson data after each of your calls of <code>update()</code> "
                "(dashed) and after correct ones (solid). The vertical scale is logarithmic."
                + _diverged(curve, plotter.loss_ceiling),
            )
        )
    parts.append(_own_training(record, seen, reference, plotter))
    parts.append(_loss_value_picture(seen, reference, plotter))
    body = "".join(parts)
    return f"<section><h2>Your run, in pictures</h2>{body}</section>" if body else ""


def _plottable(run: UpdateRun | None) -> UpdateRun | None:
    """A run whose every position is the two numbers of a line, or None."""
    if run is None or not run.completed:
        return None
    if all(state.values is not None and len(state.values) == 2 for state in run.after_each_call):
        return run
    return None


def _own_training(record: Record, seen: Observed, reference: Reference, plotter: Plotter) -> str:
    """When update() was judged with a correct loss in place of the student's, say so, and
    show what training did in the student's own notebook, with their own loss."""
    if not shows_own_training(record.checks) or seen.trajectory is None:
        return ""
    sentence = (
        "<p class='stand-in'>Your <code>update()</code> was checked with a correct loss in "
        "place of your <code>mean_squared_error</code>, so that one mistake costs points "
        "once; the pictures above show what it does with a correct loss."
    )
    run = _plottable(seen.training)
    if run is None:
        return sentence + "</p>"
    curve = loss_curve(reference, [state.values or [] for state in run.after_each_call])
    return (
        sentence
        + " Below is what training did in your notebook, with your own loss.</p>"
        + (
            _figure(
                plotter.loss(curve),
                "loss per epoch in your notebook, with your own loss",
                "The loss on the lesson data after each call of <code>update()</code> in your "
                "notebook's training cell, where it used your <code>mean_squared_error</code> "
                "(dashed), and after correct updates (solid)."
                + _diverged(curve, plotter.loss_ceiling),
            )
        )
    )


def _diverged(curve: list[float], ceiling: float) -> str:
    """A sentence for a loss that leaves the chart, so a missing line is not a mystery."""
    if any(math.isnan(value) for value in curve):
        return " Your loss stopped being a finite number: training diverged."
    if max(curve) > ceiling:
        return f" Your loss grew past the top of the chart, up to {max(curve):.3g}."
    return ""


def _loss_value_picture(seen: Observed, reference: Reference, plotter: Plotter) -> str:
    run = seen.lesson_loss
    value = run.value if run is not None else None
    expected = reference.loss_at(reference.first_guess)
    if value is None or not math.isfinite(value) or close([value], as_floats([expected])):
        return ""
    said = (
        f"On the lesson's data with <code>a = {vector(reference.first_guess)}</code>, your "
        f"<code>mean_squared_error</code> returned {value:.6g}; the mean of the squared "
        f"differences is {expected:.6g}."
    )
    picture = plotter.loss_value(value, expected)
    if picture is None:  # too large to chart: said in words alone
        return f"<p>{said}</p>"
    return _figure(picture, "your loss value against the right one", said)


def _notes_and_output(record: Record) -> str:
    parts = []
    if record.notes:
        items = "".join(f"<li>{text(note)}</li>" for note in record.notes)
        parts.append(f"<section><h2>Notes</h2><ul>{items}</ul></section>")
    if record.output:
        parts.append(
            "<section><h2>What your code printed</h2><p class='muted'>The start of it, while "
            f"the checks ran.</p><pre>{text(record.output)}</pre></section>"
        )
    return "".join(parts)


def feedback_sections(
    record: Record, reference: Reference, plotter: Plotter, checks: bool = True
) -> str:
    """The page's sections, as HTML without the page around them: Gradescope shows them,
    without the checks (`checks=False`), above its own list of tests."""
    seen = observed(record, reference)
    return "\n".join(
        [
            _score(record),
            _what_happened(record.status),
            _diagnosis(record),
            _pictures(record, seen, reference, plotter),
            _checks(record.checks, reference) if checks else "",
            _notes_and_output(record),
        ]
    )


def feedback_page(record: Record, reference: Reference, plotter: Plotter) -> str:
    """The whole page for one record, as HTML text."""
    title = f"<h1>Gradient descent from scratch — feedback for {text(record.student)}</h1>"
    body = title + "\n" + feedback_sections(record, reference, plotter)
    return page(f"Feedback: {record.student}", body)


@cache
def plotter_for(lesson: Lesson) -> Plotter:
    """The figures this process draws the lesson's pages on, set up once: the lesson's data
    and correct curves drawn as backgrounds (about 0.12 s, so a judge worker draws them while
    it waits for its fork server, `FeedbackPlace.set_up`)."""
    return Plotter(reference_for(lesson))


class FeedbackWriter:
    """Writes pages one record at a time, drawing on figures set up once per process."""

    def __init__(self, lesson: Lesson, out_dir: Path, course_root: Path | None = None) -> None:
        self.out_dir = out_dir
        self.course_root = course_root
        self.reference = reference_for(lesson)
        self.plotter = plotter_for(lesson)

    def write(self, record: Record) -> Path:
        path = feedback_path(record.student, self.out_dir, self.course_root)
        write_atomically(path, feedback_page(record, self.reference, self.plotter), durable=False)
        return path


@cache
def _writer(lesson: Lesson, out_dir: Path, course_root: Path | None) -> FeedbackWriter:
    return FeedbackWriter(lesson, out_dir, course_root)


def write_page(record: Record, lesson: Lesson, out_dir: Path, course_root: Path | None) -> Path:
    """One student's page, drawn with this process's figures (set up on first use)."""
    return _writer(lesson, out_dir, course_root).write(record)


def write_feedback_pages(
    records: list[Record], lesson: Lesson, out_dir: Path, course_root: Path | None = None
) -> list[Path]:
    """Write one self-contained page per record; returns the paths in the records' order."""
    writer = FeedbackWriter(lesson, out_dir, course_root)
    return [writer.write(record) for record in records]
