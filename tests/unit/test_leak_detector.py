"""The leak detector the page tests rely on finds every hidden number a text shows, however it
is surrounded or escaped, and only numbers shown as numbers of their own."""

from __future__ import annotations

import html

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.secrets import MIN_EVIDENCE, _evidence, hidden_numbers, leaked

seeds = st.integers(min_value=0, max_value=2**63 - 1)
# Text around a number: anything that does not run into it as more of the same number.
before = st.text(max_size=20).filter(lambda text: not text or text[-1] not in "0123456789.")
after = st.text(max_size=20).filter(lambda text: not text or not text[0].isdigit())


@settings(max_examples=60, deadline=None)
@given(seeds, st.data(), before, after, st.booleans())
def test_every_hidden_number_shown_on_its_own_is_found(seed, data, left, right, escaped):
    shown = sorted(n for n in hidden_numbers(seed) if _evidence(n) >= MIN_EVIDENCE)
    number = data.draw(st.sampled_from(shown))
    text = f"{left}{number}{right}"
    assert number in leaked(html.escape(text) if escaped else text, seed)


@settings(max_examples=60, deadline=None)
@given(seeds, st.data(), st.integers(min_value=1, max_value=9))
def test_a_hidden_number_inside_a_longer_number_is_not_shown(seed, data, digit):
    plain = sorted(
        n for n in hidden_numbers(seed) if _evidence(n) >= MIN_EVIDENCE and n[-1].isdigit()
    )
    number = data.draw(st.sampled_from(plain))
    assert number not in leaked(f"x = {number}{digit}", seed)
