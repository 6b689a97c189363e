"""Users' files must be UTF-8 text (and CSV): the one-line refusals the readers share.

A binary, compressed (``edges.csv.gz``) or mis-encoded file given as an edge list or
node file is refused with ``file:LINE: not UTF-8 text (...)``, LINE being the line of
the first byte that is not UTF-8, and a CSV field the ``csv`` module cannot take (one
over 128 KiB) with ``file:LINE: ...``: never a ``UnicodeDecodeError`` or
``csv.Error`` traceback.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TextIO

from diffusion_sim.errors import NetworkInputError


def not_text(path: Path, line: int | None = None) -> NetworkInputError:
    """The error for a file that is not UTF-8 text; without ``line`` the file is read
    again to find the line of its first bad byte."""
    if line is None:
        line = 1
        try:
            raw = Path(path).read_bytes()
            raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            line = raw[: exc.start].count(b"\n") + 1
        except OSError:
            pass
    return NetworkInputError(f"{path}:{line}: not UTF-8 text (a binary, compressed or "
                             "mis-encoded file?)")


def text_lines(lines: Iterable[str], path: Path) -> Iterator[str]:
    """The lines of a file opened as UTF-8 text; :func:`not_text` if its bytes are not."""
    try:
        yield from lines
    except UnicodeDecodeError:
        raise not_text(path) from None


def check_utf8(block: bytes, path: Path, first_line: int) -> None:
    """Refuse a block of a file (starting at line ``first_line``) that is not UTF-8."""
    if block.isascii():
        return
    try:
        block.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise not_text(path, first_line + block[: exc.start].count(b"\n")) from None


class CsvRows:
    """``csv.reader`` over a file opened as UTF-8 text (``newline=""``), with
    ``line_num``; a byte that is not UTF-8 or a field ``csv`` refuses is one
    :class:`~diffusion_sim.errors.NetworkInputError` naming file and line."""

    def __init__(self, fh: TextIO, path: Path) -> None:
        self.path = path
        self._reader = csv.reader(text_lines(fh, path))

    @property
    def line_num(self) -> int:
        return self._reader.line_num

    def __iter__(self) -> CsvRows:
        return self

    def __next__(self) -> list[str]:
        try:
            return next(self._reader)
        except csv.Error as exc:
            raise NetworkInputError(f"{self.path}:{self._reader.line_num}: {exc}") from None
