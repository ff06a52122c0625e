"""Documents read from standard input, one per line (``lrnn predict -``): decoded as the
model's encoding says, or as a byte-order mark at the start says, and scored in batches so
that a long stream never waits for its end."""

from __future__ import annotations

import sys
import warnings
from collections.abc import Iterator
from typing import Any

from lrnn.data import limits
from lrnn.data.checks import Utf8ReadAsOneByte, bom_encoding
from lrnn.data.text import ENCODING_FIX, decode_document, is_wide
from lrnn.errors import DataError, user_stacklevel


def stdin_documents(encoding: str) -> tuple[list[str], list[str]]:
    """Standard input's documents and their names (``stdin:N``), all at once."""
    docs: list[str] = []
    names: list[str] = []
    for batch, batch_names in stdin_batches(encoding):
        docs += batch
        names += batch_names
    return docs, names


#: Lines of standard input scored together by ``lrnn predict -``: a stream of any length is
#: scored in batches, so memory stays that of one batch (30 MB of lines held 2.4 GB at once).
STDIN_BATCH = 10_000


def stdin_batches(encoding: str, size: int = STDIN_BATCH) -> Iterator[tuple[list[str], list[str]]]:
    """Standard input's documents and their names (``stdin:N``, N the line), ``size`` lines at
    a time. Blank lines are left out with a warning (a paragraph break or a trailing empty
    line is not a document; the names keep the line numbers, so nothing shifts)."""
    docs: list[str] = []
    names: list[str] = []
    blank: list[int] = []
    if sys.stdin is None:  # started with standard input closed (<&-)
        raise DataError(
            "standard input is closed; give one document per line on it, or name files."
        )
    number, misread = 0, Utf8ReadAsOneByte(encoding)
    for number, body in enumerate(_stdin_lines(sys.stdin.buffer, encoding), 1):
        if len(body) <= limits.MAX_DOCUMENT_BYTES and _blank(body, encoding):
            blank.append(number)
            continue
        docs.append(decode_document(body, f"standard input, line {number}", encoding))
        misread.see(body, f"line {number}")
        names.append(f"stdin:{number}")
        if len(docs) == size:
            if misread.names:  # said once, of the first batch that shows it (each batch is
                misread.say("standard input")  # scored before the next is read)
                misread.on, misread.names = False, []
            yield docs, names
            docs, names = [], []
    if number == 0:
        raise DataError("standard input is empty; give one document per line.")
    if len(blank) == number:
        raise DataError(
            f"standard input has only blank lines ({number}); give one document per line."
        )
    if number == 1 and cr_ended(docs):
        warnings.warn(
            "standard input: one line that holds carriage returns (CR) but no line feed, so "
            "it is read as one document; if each CR ends a document, convert them first "
            "(tr '\\r' '\\n').",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    if blank:
        shown = ", ".join(map(str, blank[:5])) + (", …" if len(blank) > 5 else "")
        warnings.warn(
            f"standard input: {len(blank)} blank line(s) left out (line {shown}); every other "
            "line is one document, named stdin:LINE.",
            UserWarning,
            stacklevel=user_stacklevel(),
        )
    misread.say("standard input")
    if docs:
        yield docs, names


def _after(head: bytes, stream: Any) -> Any:
    """``stream`` with ``head``, already read from it, in front again. BufferedReader.read(4)
    waits for four bytes (or the end), where peek gives what one read of a pipe brought: a
    BOM written a byte at a time was missed."""
    import io

    class Prefixed(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            nonlocal head
            if head:
                n = min(len(buffer), len(head))
                buffer[:n], head = head[:n], head[n:]
                return n
            data = (
                stream.read1(len(buffer)) if hasattr(stream, "read1") else stream.read(len(buffer))
            )
            buffer[: len(data)] = data
            return len(data)

    return io.BufferedReader(Prefixed())


def _stdin_lines(stream: Any, encoding: str) -> Iterator[bytes]:
    """Standard input's lines without their line breaks, as bytes in ``encoding``; UTF-16/32
    decoded first (see :func:`is_wide`) and read as text, a line at a time all the same."""
    limit = limits.MAX_DOCUMENT_BYTES + 1
    head = stream.read(4)  # a UTF-16/32 stream's BOM: split it as that encoding
    marked = bom_encoding(head)
    if marked is not None and is_wide(marked):
        encoding = marked
    stream = _after(head, stream)
    if not is_wide(encoding):
        for line in iter(lambda: stream.readline(limit), b""):
            yield line.rstrip(b"\r\n")
        return
    import io

    reader = io.TextIOWrapper(stream, encoding=encoding, newline="")
    number = 0
    try:
        while True:
            try:
                line = reader.readline(limit)
            except UnicodeDecodeError as e:
                raise DataError(
                    f"standard input, line {number + 1}: not valid {encoding} text "
                    f"({e.reason}); {ENCODING_FIX}."
                ) from None
            if not line:
                return
            number += 1
            yield line.rstrip("\r\n").encode(encoding)
    finally:
        reader.detach()  # standard input stays open for whoever reads it next


def _blank(line: bytes, encoding: str) -> bool:
    """Whether a line holds only white space (a no-break space too) once decoded; a line that
    does not decode is not blank, and its document says why."""
    if not line.strip():
        return True
    try:
        return not line.decode(encoding).strip()
    except UnicodeError:
        return False


def cr_ended(documents: list[str]) -> bool:
    """Whether one line of documents holds carriage returns inside it: old Mac line ends (CR
    alone), so the whole input is one line, and one document (standard input, a served
    text body)."""
    return len(documents) == 1 and "\r" in documents[0].rstrip("\r")
