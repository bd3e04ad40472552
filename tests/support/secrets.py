"""What no student may ever be shown: the hidden checks' source, the hidden inputs of a run,
and the reference solution; and where any of it shows in a file written for students."""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from pathlib import Path

from autograder.judge.check import CHECKS_DIR
from autograder.judge.hidden_inputs import draw
from autograder.judge.wording import vector
from tests.support.lesson import shipped_reference

REFERENCE_SOLUTION = "((y_guess - y) ** 2).mean()"


def check_source_lines() -> set[str]:
    lines = set()
    for path in Path(CHECKS_DIR).glob("*.py"):
        for line in path.read_text(encoding="utf-8").splitlines():
            if len(line.strip()) > 25:
                lines.add(line.strip())
    return lines


def printed(values: Sequence[float]) -> set[str]:
    """Numbers as messages and pages print them: to 4 and 6 significant digits."""
    return {f"{value:.6g}" for value in values} | {f"{value:.4g}" for value in values}


def public_numbers() -> set[str]:
    """Numbers the lesson itself makes public (its fit, first guess and where training
    ends): a hidden input that prints the same gives nothing away."""
    reference = shipped_reference()
    end = reference.descend(reference.first_guess, reference.epochs)[-1]
    positions = (reference.least_squares, reference.first_guess, end)
    return {number for position in positions for number in printed(position.tolist())}


def hidden_numbers(seed: int) -> set[str]:
    """The hidden inputs of a submission's `seed` as they would be printed, to full and to
    short precision."""
    shown = set()
    hidden = draw(seed, shipped_reference())
    for start in hidden.starts:
        shown |= {vector(list(start)), str(start), str(list(start))}
        shown |= printed(start)
    for pair in hidden.loss_pairs:
        for values in pair:
            for value in values:
                shown |= {repr(value), f"{value:.6g}", f"{value:.5g}"}
    return shown - public_numbers()


MIN_EVIDENCE = 4  # significant digits: a number with fewer ("7", "1.5", "0.0677") shows up by
# coincidence among the numbers a page or report prints


def _evidence(number: str) -> int:
    """The significant digits `number` shows (a vector's or list's, all of them together)."""
    mantissa = (
        re.split(r"[eE]", number)[0] if re.fullmatch(r"-?[\d.]+(e[-+]?\d+)?", number) else number
    )
    return len(re.sub(r"\D", "", mantissa).lstrip("0"))


def leaked(shown: str, seed: int) -> list[str]:
    """The secrets that `shown` (HTML or text, images aside) gives away, as written or as
    a browser renders them; `seed` is the submission's own (its record's)."""
    numbers = {number for number in hidden_numbers(seed) if _evidence(number) >= MIN_EVIDENCE}
    visible = re.sub(r"data:image/png;base64,[A-Za-z0-9+/=]*", "", shown)
    readable = html.unescape(visible)
    texts = check_source_lines() | {REFERENCE_SOLUTION}
    found = {secret for secret in texts if secret in visible or secret in readable}
    both = visible + "\n" + readable
    found |= {number for number in numbers if _shows_number(number, both)}
    return sorted(found)


def _shows_number(number: str, shown: str) -> bool:
    """Whether `number` is shown as a number of its own, not as the start or end of a longer
    one (the lesson's 4.507280349731445 shows no hidden 4.5072). Most hidden numbers are not
    in `shown` at all, which a plain search tells before any pattern is compiled."""
    if number not in shown:
        return False
    return re.search(rf"(?<![\d.]){re.escape(number)}(?![\d])", shown) is not None
