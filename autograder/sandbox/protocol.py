"""Plain-data messages between the judge and a student process.

One message is one JSON object, sent over a SOCK_SEQPACKET socket in datagrams of at most
`DATAGRAM_BYTES`, each led by one byte that says whether more of the message follows: a
message as large as the largest lesson's answers (every call of a 1,000-epoch training run)
needs no socket buffer larger than a machine's default allows. Only JSON is accepted on the
judge's side: no pickle, no code, nothing a student process could make the judge execute.
The decoder takes exactly what the protocol defines and refuses the rest as a malformed
message: integers of at most 18 digits, strings of valid Unicode (no lone surrogates), objects
at the top. Messages are size-capped, and the judge can insist that a message comes from one
exact process (the kernel stamps the sender's pid; a grandchild the student forked cannot pose
as the process the judge started).
"""

from __future__ import annotations

import json
import re
import socket
import struct
import time
from typing import Any

# Bound at import, before any student code runs in a student process that uses this module.
_dumps, _loads = json.dumps, json.loads
MAX_MESSAGE_BYTES = 4 * 1024 * 1024  # a whole message
DATAGRAM_BYTES = 128 * 1024  # of a message, in one datagram
_MORE, _LAST = b"+", b"."  # the byte that leads each datagram
MAX_INTEGER_DIGITS = 18
_ESCAPED_SURROGATE = re.compile(rb"\\u[dD][89a-fA-F]")
_CREDENTIALS = struct.Struct("iII")  # pid, uid, gid as in struct ucred

# The judge's requests to the fork server on a control connection, each with file descriptors:
LAUNCH = b"launch"  # a student's channel end and a report socket
JOIN = b"join"  # the server's end of another judge's control connection
# The judge's words to the fork server on one student's report socket:
BEGIN = b"begin"  # the student has been handed its payload: its clock starts now
FINISH = b"finish"  # kill it if it still runs, then report how it ended (so does hanging up)


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed message."""


class ChannelClosed(ProtocolError):
    """The other side went away before answering."""


class ReplyTimeout(ProtocolError):
    """No answer came before the deadline."""


def channel_pair() -> tuple[socket.socket, socket.socket]:
    """A connected (judge end, student end) pair of message sockets."""
    judge_end, student_end = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    judge_end.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
    for end in (judge_end, student_end):
        end.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, DATAGRAM_BYTES * 4)
        end.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, DATAGRAM_BYTES * 4)
    return judge_end, student_end


def _constant(name: str) -> float:
    if name in ("NaN", "Infinity", "-Infinity"):
        return float(name.replace("Infinity", "inf"))
    raise ProtocolError(f"unexpected JSON constant {name!r}")


def _bounded_integer(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INTEGER_DIGITS:
        raise ProtocolError(f"an integer of {len(text.lstrip('-'))} digits")
    return int(text)


def encode(message: dict[str, Any]) -> bytes:
    """One message as bytes; a code point that UTF-8 cannot carry (a lone surrogate in an
    exception message, say) is sent as "?", so that odd text never stops the sender."""
    text = _dumps(message, separators=(",", ":"), ensure_ascii=False)
    data = text.encode("utf-8", errors="replace")
    if len(data) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {len(data)} bytes exceeds {MAX_MESSAGE_BYTES}")
    return data


def decode(data: bytes) -> dict[str, Any]:
    """The message in `data`, or `ProtocolError` for anything the protocol does not define."""
    if len(data) > MAX_MESSAGE_BYTES:
        raise ProtocolError(f"message of {len(data)} bytes exceeds {MAX_MESSAGE_BYTES}")
    try:
        message = _loads(data.decode("utf-8"), parse_constant=_constant, parse_int=_bounded_integer)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as error:
        raise ProtocolError(f"not a JSON message: {error}") from None
    if not isinstance(message, dict):
        raise ProtocolError("a message must be a JSON object")
    if _ESCAPED_SURROGATE.search(data) and not _valid_unicode(message):
        raise ProtocolError("a message holds text that is not valid Unicode")
    return message


def _valid_unicode(value: Any) -> bool:
    """No lone surrogate anywhere; JSON can carry them as escapes, UTF-8 cannot."""
    pending = [value]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return False
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)
    return True


def send_message(sock: socket.socket, message: dict[str, Any]) -> None:
    send_encoded(sock, encode(message))


def send_encoded(sock: socket.socket, data: bytes) -> None:
    """Send a message already encoded, in as many datagrams as it takes."""
    for start in range(0, max(len(data), 1), DATAGRAM_BYTES):
        more = start + DATAGRAM_BYTES < len(data)
        sock.sendall((_MORE if more else _LAST) + data[start : start + DATAGRAM_BYTES])


def receive_message(
    sock: socket.socket, timeout: float | None = None, sender_pid: int | None = None
) -> dict[str, Any]:
    """Wait for one message; with `sender_pid`, skip datagrams any other process sent."""
    deadline = None if timeout is None else time.monotonic() + timeout
    parts: list[bytes] = []
    size = 0
    while True:
        datagram = _receive_datagram(sock, deadline, timeout, sender_pid)
        lead, part = datagram[:1], datagram[1:]
        if lead not in (_MORE, _LAST):
            raise ProtocolError("a datagram that is not part of a message")
        size += len(part)
        if size > MAX_MESSAGE_BYTES:
            raise ProtocolError(f"message exceeds {MAX_MESSAGE_BYTES} bytes")
        parts.append(part)
        if lead == _LAST:
            return decode(b"".join(parts))


def _receive_datagram(
    sock: socket.socket, deadline: float | None, timeout: float | None, sender_pid: int | None
) -> bytes:
    """The next datagram (from `sender_pid`, if given) before `deadline`."""
    while True:
        remaining = None if deadline is None else deadline - time.monotonic()
        if remaining is not None and remaining <= 0:
            raise ReplyTimeout(f"no answer within {timeout:g} s")
        sock.settimeout(remaining)
        try:
            data, ancillary, flags, _ = sock.recvmsg(
                DATAGRAM_BYTES + 2, socket.CMSG_SPACE(_CREDENTIALS.size)
            )
        except TimeoutError:
            raise ReplyTimeout(f"no answer within {timeout:g} s") from None
        except ConnectionResetError:
            raise ChannelClosed("the student process closed the channel") from None
        if not data and not ancillary:
            raise ChannelClosed("the student process closed the channel")
        if flags & socket.MSG_TRUNC or len(data) > DATAGRAM_BYTES + 1:
            raise ProtocolError(f"a datagram exceeds {DATAGRAM_BYTES} bytes")
        if sender_pid is not None and _sender(ancillary) != sender_pid:
            continue
        return data


def _sender(ancillary: list[tuple[int, int, bytes]]) -> int | None:
    for level, kind, data in ancillary:
        if level == socket.SOL_SOCKET and kind == socket.SCM_CREDENTIALS:
            return _CREDENTIALS.unpack(data[: _CREDENTIALS.size])[0]
    return None
