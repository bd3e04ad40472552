"""One student's page released to the exchange, as `nbgrader release_feedback` releases it.

nbgrader 0.9 names a released page `<md5(secret + notebook id)>.html` in
`<root>/<course_id>/feedback/`, the secret being the one the student's `submit` wrote beside
their submission; their `fetch_feedback` computes the same name from the secret it kept. The
page is written beside its final name and renamed into place, readable by everyone (as
`release_feedback`'s copy is), so a student fetches either the previous page or this one.
"""

from __future__ import annotations

import os
import stat
import tempfile
from pathlib import Path

from autograder.intake.course_tree import SECRET
from autograder.intake.handed_in import read_small
from autograder.service.exchange import ExchangePlace

READABLE = stat.S_IRUSR | stat.S_IWUSR | stat.S_IRGRP | stat.S_IROTH  # 0644, as nbgrader's copy
FOLDER = READABLE | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH  # 0755, as nbgrader makes it


def release_page(place: ExchangePlace, page: Path) -> Path | None:
    """Release `page` (in `feedback/<student>/<assignment>/`, beside the submission's secret)
    under the name its student's `fetch_feedback` looks for; None when there is no secret."""
    from nbgrader.utils import notebook_hash

    secret = read_small(page.parent / SECRET)
    if not secret:
        return None
    name = notebook_hash(secret=secret.decode("utf-8", "replace"), notebook_id=page.stem)
    if not place.feedback.is_dir():
        place.feedback.mkdir(parents=True, exist_ok=True)
        os.chmod(place.feedback, FOLDER)
    released = place.feedback / f"{name}.html"
    handle, temporary = tempfile.mkstemp(dir=place.feedback, prefix=".releasing-")
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(page.read_bytes())
        os.chmod(temporary, READABLE)
        os.replace(temporary, released)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return released
