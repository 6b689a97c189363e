"""Command-line arguments: the option types (each parses one option's text or says, in
one line, why not) and the parser whose usage errors are one line and exit status 2.

Imports nothing heavy, so ``diffusion-sim --help`` stays fast.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Callable


def count(least: int, most: int | None = None) -> Callable[[str], int]:
    """An argparse type: an integer ≥ ``least`` (and ≤ ``most`` if given)."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not an integer") from None
        if value < least:
            raise argparse.ArgumentTypeError(f"must be at least {least}, got {value}")
        if most is not None and value > most:
            raise argparse.ArgumentTypeError(f"must be at most {most}, got {value}")
        return value

    return parse


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def unit_float(text: str) -> float:
    value = positive_float(text)
    if value > 1:
        raise argparse.ArgumentTypeError(f"must be in (0, 1], got {text}")
    return value


#: Size suffixes: powers of 1024, as in Slurm.
_UNITS = {"": 1, "K": 2**10, "M": 2**20, "G": 2**30, "T": 2**40, "P": 2**50}


def parse_size(text: str) -> int:
    """Bytes of ``"500M"``, ``"64G"``, ``"1.5T"``, ``"2GiB"`` or plain bytes
    (powers of 1024). Raises ValueError (with the reason) otherwise."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([KMGTP]?)(?:i?B)?\s*", text, re.IGNORECASE)
    if not m:
        raise ValueError(f"{text!r} is not a size like 500M, 64G or 1.5T")
    value = float(m.group(1)) * _UNITS[m.group(2).upper()]
    if value < 1:
        raise ValueError(f"{text!r} is not a positive size")
    return int(value)


def size(text: str) -> int:
    """An argparse type: a memory size such as 500M, 64G or 1.5T (:func:`parse_size`)."""
    try:
        return parse_size(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line like every other error
    (``diffusion-sim: error: run: argument --seed: ...``) and exit status 2."""

    def error(self, message: str) -> None:  # type: ignore[override]
        command = self.prog.partition(" ")[2]
        where = f"{command}: " if command else ""
        print_error(f"{where}{message}")
        raise SystemExit(2)


def print_error(message: str) -> None:
    """Print ``diffusion-sim: error: MESSAGE`` as one line: a newline or other control
    character in it (from a file name, a value) is shown as its escape."""
    shown = "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in message)
    print(f"diffusion-sim: error: {shown}", file=sys.stderr)
