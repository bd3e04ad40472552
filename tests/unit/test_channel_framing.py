"""A message crosses the channel in datagrams of at most `DATAGRAM_BYTES`, each led by a byte
saying whether more follows. Whatever size a message is, it arrives whole; whatever datagrams
a student process sends instead, the judge gets the message they frame or `ProtocolError`,
never another exception and never a message the datagrams do not frame."""

from __future__ import annotations

import contextlib
import json
import threading
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from autograder.sandbox.protocol import (
    DATAGRAM_BYTES,
    MAX_MESSAGE_BYTES,
    ChannelClosed,
    ProtocolError,
    channel_pair,
    decode,
    encode,
    receive_message,
    send_encoded,
    send_message,
)

MORE, LAST = b"+", b"."
# Sizes of an encoded message around every boundary between one datagram and the next.
near_a_boundary = st.builds(
    lambda datagrams, off: datagrams * DATAGRAM_BYTES + off, st.integers(0, 3), st.integers(-3, 3)
)
text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=20)


def sent_and_received(send: Any) -> dict[str, Any] | BaseException:
    """What `receive_message` gives for what `send` writes on the student's end, which is
    closed once it has written (so a message never finished ends the channel). The judge
    stops reading at the end of a message or at a refusal; what is sent after that finds the
    channel closed."""
    judge_end, student_end = channel_pair()

    def student() -> None:
        with student_end, contextlib.suppress(BrokenPipeError, ConnectionResetError):
            send(student_end)

    writer = threading.Thread(target=student)
    writer.start()
    try:
        with judge_end:
            return receive_message(judge_end, timeout=30)
    except ProtocolError as refused:
        return refused
    finally:
        writer.join()


@settings(max_examples=40, deadline=None)
@given(size=near_a_boundary, words=text)
def test_a_message_of_any_size_arrives_whole(size: int, words: str) -> None:
    """Padded to `size` bytes encoded, where it can be."""
    bare = len(encode({"padding": "", "words": words}))
    message = {"padding": "x" * max(0, size - bare), "words": words}
    assert len(encode(message)) == max(size, bare)
    assert sent_and_received(lambda end: send_message(end, message)) == message


# A datagram's lead byte (any byte, the protocol's two most often, or none), then what it
# carries: any bytes, or pieces of JSON.
leads = st.sampled_from([MORE, LAST]) | st.binary(max_size=1)
datagrams = st.lists(
    st.tuples(leads, st.binary(max_size=40) | st.sampled_from([b'{"a":', b"1}", b"[]", b"{}"])),
    max_size=6,
)


def framed(sent: list[bytes]) -> dict[str, Any] | type[ProtocolError]:
    """What the datagrams frame, by the protocol's definition: the parts up to the first
    datagram led by LAST, joined and decoded."""
    parts = []
    for datagram in sent:
        lead, part = datagram[:1], datagram[1:]
        if lead not in (MORE, LAST):
            return ProtocolError
        parts.append(part)
        if lead == LAST:
            try:
                return decode(b"".join(parts))
            except ProtocolError:
                return ProtocolError
    return ChannelClosed


@settings(max_examples=150, deadline=None)
@given(datagrams)
def test_any_datagrams_give_the_message_they_frame_or_are_refused(
    sent: list[tuple[bytes, bytes]],
) -> None:
    raw = [lead + part for lead, part in sent]

    def send(end: Any) -> None:
        for datagram in raw:
            end.sendall(datagram)

    got, expected = sent_and_received(send), framed(raw)
    if isinstance(expected, dict):
        assert got == expected
    else:
        assert isinstance(got, expected), (got, expected)


def test_a_message_past_the_cap_is_refused_before_it_is_all_read() -> None:
    filler = b"+" + b" " * DATAGRAM_BYTES
    datagrams_past_the_cap = MAX_MESSAGE_BYTES // DATAGRAM_BYTES + 1

    def send(end: Any) -> None:
        for _ in range(datagrams_past_the_cap):
            end.sendall(filler)
        end.sendall(b"." + json.dumps({}).encode())

    refused = sent_and_received(send)
    assert isinstance(refused, ProtocolError) and "exceeds" in str(refused)


@pytest.mark.parametrize("size", [0, 1, DATAGRAM_BYTES - 1, DATAGRAM_BYTES, DATAGRAM_BYTES + 1])
def test_an_encoded_message_splits_at_each_datagram(size: int) -> None:
    judge_end, student_end = channel_pair()
    with judge_end:
        writer = threading.Thread(target=write_and_close, args=(student_end, b"x" * size))
        writer.start()
        judge_end.settimeout(30)
        leads = []
        while datagram := judge_end.recv(DATAGRAM_BYTES + 1):
            leads.append(datagram[:1])
        writer.join()
    assert leads == [MORE] * (max(size - 1, 0) // DATAGRAM_BYTES) + [LAST]


def write_and_close(end: Any, data: bytes) -> None:
    with end:
        send_encoded(end, data)
