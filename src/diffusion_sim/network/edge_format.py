"""The text rules of an edge list, line by line: which first line is a header, where a
comment starts, which words are a strength (stated for users in
:mod:`diffusion_sim.network.files`, whose fast and slow parsers both follow them).
"""

from __future__ import annotations

import math
from pathlib import Path

from diffusion_sim.errors import NetworkInputError
from diffusion_sim.network.text import check_utf8

#: Values of ``network.edges_header``: is the first line a header.
HEADER_MODES = ("auto", "yes", "no")
#: Names of the source column the automatic header rule knows (lower case).
SOURCE_NAMES = frozenset({b"source", b"src", b"from", b"node1", b"node_1", b"source_id",
                          b"from_id", b"ego", b"id1", b"id_1", b"person1", b"sender"})
#: Names of the target column it knows.
TARGET_NAMES = frozenset({b"target", b"dst", b"to", b"node2", b"node_2", b"target_id",
                          b"to_id", b"alter", b"id2", b"id_2", b"person2", b"receiver"})
#: Names of the strength column it knows (none is itself a valid strength).
STRENGTH_NAMES = frozenset({b"strength", b"weight", b"tie_strength", b"value"})
#: Names that make a first line a possible header (refused unless declared).
HEADER_LIKE = SOURCE_NAMES | TARGET_NAMES | STRENGTH_NAMES | {b"u", b"v", b"i", b"j"}
_BOM = b"\xef\xbb\xbf"


def uncomment(raw: bytes, path: Path, line: int) -> bytes:
    """``raw`` (one line, as bytes) without its comment.

    ``#`` starts a comment at the start of the line, after blanks only, or after a
    space or tab; any other ``#`` raises :class:`NetworkInputError` naming
    ``path:line``, so ids and strengths never contain ``#``.
    """
    cut = raw.find(b"#")
    if cut < 0:
        return raw
    if cut == 0 or raw[cut - 1] in b" \t" or not raw[:cut].strip():
        return raw[:cut]
    raise NetworkInputError(
        f"{path}:{line}: '#' inside a field (ids and strengths cannot contain '#'; "
        "a comment starts at the start of a line or after a blank)")


def column_name(field: bytes) -> bytes:
    """A field as a column name: lower case, blanks and double quotes around removed."""
    return field.strip().strip(b'"').strip().lower().replace(b" ", b"_").replace(b"-", b"_")


def is_number(field: bytes) -> bool:
    """Whether ``float`` reads the field (``1``, ``-0.5``, ``1e3``, ``nan``)."""
    try:
        float(field)
    except ValueError:
        return False
    return True


def first_lines(path: Path) -> list[tuple[int, list[bytes]]]:
    """``(line number, stripped fields)`` of the first two lines that are neither blank
    nor comments."""
    out: list[tuple[int, list[bytes]]] = []
    with open(path, "rb") as fh:
        for number, raw in enumerate(fh, 1):
            if number == 1 and raw.startswith(_BOM):
                raw = raw[3:]
            check_utf8(raw, path, number)  # a binary file is that, whatever '#' it holds
            text = uncomment(raw, path, number).strip()
            if text:
                out.append((number, [f.strip() for f in text.split(b",")]))
                if len(out) == 2:
                    break
    return out


def doubt(fields: list[bytes], after: list[bytes] | None) -> str:
    """Why a first line that is not a known header might still be one ("" if no doubt)."""
    name = next((f for f in fields if column_name(f) in HEADER_LIKE), None)
    if name is not None:
        return f"'{name.decode('utf-8', 'replace')}' is a column name"
    if len(fields) == 3 and fields[2] and not is_number(fields[2]) \
            and strength_of(fields[2], 0.0) is None:
        return f"'{fields[2].decode('utf-8', 'replace')}' is not a strength"
    if (after is not None and len(after) >= 2 and all(fields[:2])
            and not any(is_number(f) for f in fields[:2])
            and all(is_number(f) for f in after[:2])):
        return "two names above two numbers"
    return ""


def find_header(path: Path, mode: str) -> tuple[int, int | None]:
    """Where the header is, by the rule stated in :mod:`diffusion_sim.network.files`.

    Parameters
    ----------
    path : Path
        The edge list.
    mode : {"auto", "yes", "no"}
        The scenario's ``network.edges_header``.

    Returns
    -------
    header_line : int
        1-based line of the header, 0 without one (lines up to it are skipped).
    n_fields : int or None
        2 or 3, fixed by the first line (another width gives 2, for the parser to
        name that line); None if the file has no line but blanks and comments.

    Raises
    ------
    NetworkInputError
        ``path:LINE: cannot tell whether ...`` for a doubtful first line in ``"auto"``
        mode, a declared header without 2 or 3 columns, a ``#`` inside a field.
    """
    first = first_lines(path)
    if not first:
        return 0, None
    line, fields = first[0]
    width = 3 if len(fields) == 3 else 2  # other widths: the parser names the line
    if mode == "no":
        return 0, width
    if mode == "yes":
        if len(fields) not in (2, 3):
            raise NetworkInputError(
                f"{path}:{line}: the header has {len(fields)} columns, expected 2 or 3 "
                "(source,target[,strength])")
        return line, width
    names = [column_name(f) for f in fields]
    if len(fields) in (2, 3) and names[0] in SOURCE_NAMES and names[1] in TARGET_NAMES \
            and (len(names) == 2 or names[2] in STRENGTH_NAMES):
        return line, width
    if len(fields) in (2, 3):
        why = doubt(fields, first[1][1] if len(first) > 1 else None)
        if why:
            text = b",".join(fields).decode("utf-8", "replace")
            text = text if len(text) <= 60 else text[:57] + "..."
            raise NetworkInputError(
                f"{path}:{line}: cannot tell whether '{text}' is a header or a tie ({why}): "
                'set network.edges_header = "yes" (a header) or "no" (a tie), or name '
                "the columns source,target[,strength]")
    return 0, width


_STRONG_WORDS = {b"strong": True, b"true": True, b"1": True}
_WEAK_WORDS = {b"weak": False, b"false": False, b"0": False}


def strength_of(token: bytes, threshold: float) -> bool | None:
    """Strength of one token: strong/weak, true/false, 1/0, or a number ≥ 0 compared
    with ``threshold``; None if it is none of these."""
    low = token.strip().lower()
    word = _STRONG_WORDS.get(low, _WEAK_WORDS.get(low))
    if word is not None:
        return word
    try:
        x = float(low)
    except ValueError:
        return None
    if not (math.isfinite(x) and x >= 0):
        return None
    return x >= threshold


def bad_strength(path: Path, line: int, token: bytes) -> NetworkInputError:
    """The one-line error for a token that :func:`strength_of` does not read."""
    raw = token.decode("utf-8", "replace").strip()
    return NetworkInputError(
        f"{path}:{line}: strength '{raw}' is not strong/weak, true/false, 1/0 or a number >= 0"
    )
