"""Canvas's gradebook import file, from the records and the instructor's Canvas roster.

Canvas imports a CSV with its identifying columns, one column per assignment (a column named
`<title> (<id>)` updates that assignment, any other name creates one) and an optional
`    Points Possible` row. A blank cell leaves a grade alone, so roster students without a
submission stay blank rather than getting a zero. Whoever cannot be matched either way is
listed, so nobody's grade goes missing silently.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from autograder.intake.roster import IDENTITY, CanvasRoster, RosterRow
from autograder.judge.record import Record
from autograder.outputs.tables import lms_score
from autograder.text import csv_text, listed

POINTS_POSSIBLE = "    Points Possible"
UNMATCHED_HEADER = ("problem", "student id", "name", "section")
NOT_ON_ROSTER = "graded, but matches no roster row"
ROW_TAKEN = "graded, but its roster row matches another student id too"
NO_SUBMISSION = "on the roster, but no submission"


@dataclass(frozen=True)
class CanvasGrades:
    """The import file's rows, and who could not be placed in it."""

    roster: CanvasRoster
    scores: dict[RosterRow, Record]  # each matched roster row and the record it gets
    not_on_roster: list[tuple[Record, str]]  # (record, which problem)

    @property
    def not_submitted(self) -> list[RosterRow]:
        return [row for row in self.roster.students if row not in self.scores]

    def import_csv(self, max_score: float) -> str:
        """The file Canvas imports: identity, this exercise's score; blanks where unknown."""
        points = [POINTS_POSSIBLE, "", "", "", "", max_score]
        rows = [points]
        for row in self.roster.students:
            record = self.scores.get(row)
            rows.append([*row.identity(), lms_score(record) if record else None])
        return csv_text([*IDENTITY, self.roster.assignment_column], rows)

    def unmatched_csv(self) -> str:
        """Every graded student Canvas would not know and every roster student not graded."""
        rows = [[problem, r.student, r.name, ""] for r, problem in self.not_on_roster]
        rows += [[NO_SUBMISSION, row.id, row.student, row.section] for row in self.not_submitted]
        return csv_text(UNMATCHED_HEADER, rows)

    def summary_lines(self) -> list[str]:
        """One line per kind of unmatched student, naming the first few, for the summary."""
        lines = []
        if self.not_on_roster:
            lines.append(
                f"{len(self.not_on_roster)} graded students match no Canvas roster row ("
                + listed((record.student for record, _ in self.not_on_roster), "; ")
                + "), listed in"
            )
        if self.not_submitted:
            lines.append(
                f"{len(self.not_submitted)} Canvas roster students have no submission ("
                + listed((f"{row.student}, {row.id}" for row in self.not_submitted), "; ")
                + "), listed in"
            )
        return lines


def canvas_grades(roster: CanvasRoster, records: Iterable[Record]) -> CanvasGrades:
    """Each record placed on its roster row, matched by its student id (see `roster.find`)."""
    scores: dict[RosterRow, Record] = {}
    not_on_roster = []
    for record in records:
        row = roster.find(record.student)
        if row is None:
            not_on_roster.append((record, NOT_ON_ROSTER))
        elif row in scores:
            not_on_roster.append((record, ROW_TAKEN))
        else:
            scores[row] = record
    return CanvasGrades(roster, scores, not_on_roster)
