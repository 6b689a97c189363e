"""Reading the project's TOML files: scenarios, comparisons and sweep specs.

One place for what all three share: parsing a file into one-line errors (missing,
unreadable, not UTF-8, not TOML), the ``extends`` chain of scenario files, dotted
overrides (``"traits.privacy_concern.mean" = 0.6``), the "unknown key, did you mean"
check, and typed settings tables (the ``[comparison]`` and ``[sweep]`` heads), so
that every file reports a mistake the same way: ``file: key: what is wrong``.
"""

from __future__ import annotations

import difflib
import math
import os
import re
import stat
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diffusion_sim.errors import DiffusionSimError, ScenarioError

_GROUP_KEY = re.compile(r"group(\d+)$")


def read_toml(path: str | Path, error: type[DiffusionSimError] = ScenarioError
              ) -> dict[str, Any]:
    """Parse a TOML file; every way it can fail is one line naming the file.

    Raises ``error`` (default :class:`ScenarioError`) for a missing file, a folder, an
    unreadable file, bytes that are not UTF-8 text, or invalid TOML (with its line).
    """
    path = Path(path)
    text = read_text(path, error, "TOML file")
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{path}: not valid TOML: {exc}") from None


#: The largest settings file read (scenario, comparison, sweep or calibration spec,
#: targets): a bigger one is not one of these (an edge list given by mistake?).
MAX_SETTINGS_BYTES = 16 * 2**20


def _a(what: str) -> str:
    return f"{'an' if what[:1] in 'aeiou' else 'a'} {what}"


def regular_file(path: Path, error: type[DiffusionSimError], what: str) -> os.stat_result:
    """The ``os.stat`` of ``path``, a regular file; else one ``error`` naming it: missing, a
    folder (not a ``what``), or a device, pipe or socket (``/dev/zero`` or a named pipe
    would be read for ever; a file is read twice, to check it and to hash it)."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        raise error(f"{path}: no such file") from None
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise error(f"{path}: is a folder, not {_a(what)}")
    if not stat.S_ISREG(st.st_mode):
        raise error(f"{path}: is a device, pipe or socket, not {_a(what)} (a regular file)")
    return st


def read_text(path: Path, error: type[DiffusionSimError], what: str) -> str:
    """A whole UTF-8 text file (a leading byte-order mark dropped); every way reading
    it can fail is one ``error`` naming the file: missing, a folder or device (not a
    ``what``), over :data:`MAX_SETTINGS_BYTES`, unreadable, or bytes that are not
    UTF-8 (with the line of the first bad byte)."""
    size = regular_file(path, error, what).st_size
    if size > MAX_SETTINGS_BYTES:
        raise error(f"{path}: {size / 2**20:.0f} MiB is too large for {_a(what)} (at most "
                    f"{MAX_SETTINGS_BYTES // 2**20} MiB); is it the right file?")
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise error(f"{path}: cannot read: {exc.strerror or exc}") from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise error(f"{path}:{line}: not UTF-8 text (a binary or mis-encoded file?)") from None


def did_you_mean(key: str, allowed: Sequence[str]) -> str:
    """`` (did you mean 'x'?)`` for the closest allowed key, else the list of keys."""
    close = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
    if close:
        return f" (did you mean '{close[0]}'?)"
    return f" (valid keys: {', '.join(allowed)})" if allowed else ""


def check_keys(table: Any, allowed: Sequence[str], prefix: str, source: str,
               error: type[DiffusionSimError] = ScenarioError) -> None:
    """Refuse a value that is not a table, or a key not in ``allowed``.

    ``prefix`` is the dotted path of the table (``"network."``; ``""`` at the top).
    """
    if not isinstance(table, Mapping):
        where = prefix.rstrip(".") or "(top level)"
        raise error(f"{source}: {where}: must be a table, got {table!r}")
    for k in table:
        if k not in allowed:
            raise error(f"{source}: {prefix}{k}: unknown key{did_you_mean(k, allowed)}")


def merge_dicts(base: Mapping[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` merged into a copy of ``base``, table by table."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = merge_dicts(out[k], v)
        else:
            out[k] = v
    return out


def set_dotted(data: dict[str, Any], path: str, value: Any, source: str = "<overrides>"
               ) -> None:
    """Set ``data[a][b][c] = value`` for ``path = "a.b.c"``, creating tables as needed."""
    parts = path.split(".")
    if not all(parts):
        raise ScenarioError(f"{source}: {path!r}: not a dotted key")
    node = data
    for part in parts[:-1]:
        nxt = node.get(part)
        if nxt is None:
            nxt = node[part] = {}
        elif not isinstance(nxt, dict):
            raise ScenarioError(f"{source}: {path}: '{part}' is a value, not a table")
        node = nxt
    if isinstance(value, tuple):
        value = list(value)
    node[parts[-1]] = value


def drop_groups_beyond(data: dict[str, Any], n_groups: int) -> dict[str, Any]:
    """A copy of a scenario dict without per-group tables ``groupK`` for ``K > n_groups``.

    Used when a variant that ``extends`` a file sets fewer ``group_shares``: the
    parent's ``traits.T.group5`` (or ``digital_access.group5``) then no longer exist.
    """
    out: dict[str, Any] = {}
    for k, v in data.items():
        m = _GROUP_KEY.match(k)
        if m and int(m.group(1)) > n_groups:
            continue
        out[k] = drop_groups_beyond(v, n_groups) if isinstance(v, Mapping) else v
    return out


def load_dict(path: Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """A scenario file's dict with its ``extends`` chain merged in.

    ``extends = "baseline.toml"`` (relative to the file) starts from that file: its
    tables are merged key by key under this file's. If this file sets
    ``population.group_shares``, the parent's per-group tables for groups it no longer
    has are dropped (a variant may have fewer groups).
    """
    path = Path(path)
    data = read_toml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent:
        raise ScenarioError(f"{path}: extends: must be a file name, got {parent!r}")
    parent_path = (path.parent / parent).resolve()
    if parent_path in _seen or parent_path == path.resolve():
        raise ScenarioError(f"{path}: extends: '{parent}' extends itself (a cycle)")
    try:
        base = load_dict(parent_path, (*_seen, path.resolve()))
    except ScenarioError as exc:
        raise ScenarioError(f"{path}: extends: {exc}") from None
    shares = data.get("population", {}).get("group_shares") if isinstance(
        data.get("population"), Mapping) else None
    if isinstance(shares, list):
        base = drop_groups_beyond(base, len(shares))
    return merge_dicts(base, data)


# ---------------------------------------------------------------------- settings
@dataclass(frozen=True)
class Setting:
    """One typed key of a settings table (``[comparison]``, ``[sweep]``).

    ``kind`` is ``"int"``, ``"float"``, ``"str"``, ``"bool"``, ``"path"`` (a
    non-empty string naming a file relative to the settings file) or ``"raw"`` (any
    value, checked by the code that reads it).
    """

    name: str
    kind: str
    default: Any = None
    lo: float | None = None
    hi: float | None = None
    choices: tuple[str, ...] = ()
    required: bool = False
    doc: str = ""


def read_settings(table: Any, settings: Sequence[Setting], prefix: str, source: str,
                  error: type[DiffusionSimError]) -> dict[str, Any]:
    """Typed values of a settings table, defaults filled in; one-line errors.

    Checked: unknown keys (did you mean), types (an integer is not a bool, a float
    accepts an integer), ranges, choices, required keys.
    """
    names = [s.name for s in settings]
    check_keys(table, names, prefix, source, error)
    out: dict[str, Any] = {}
    for s in settings:
        key = f"{prefix}{s.name}"
        if s.name not in table:
            if s.required:
                raise error(f"{source}: {key}: missing ({s.doc or s.kind})")
            out[s.name] = s.default
            continue
        out[s.name] = check_value(table[s.name], s, key, source, error)
    return out


def check_value(v: Any, s: Setting, key: str, source: str,
                error: type[DiffusionSimError]) -> Any:
    """One setting's value, type- and range-checked (see :func:`read_settings`)."""
    def fail(msg: str) -> DiffusionSimError:
        return error(f"{source}: {key}: {msg}")

    if s.kind == "raw":
        return v
    if s.kind in ("str", "path"):
        if not isinstance(v, str) or (s.kind == "path" and not v):
            raise fail(f"must be {'a file name' if s.kind == 'path' else 'a string'}, got {v!r}")
        if s.choices and v not in s.choices:
            raise fail(f"{v!r} is not one of {', '.join(map(repr, s.choices))}")
        return v
    if s.kind == "bool":
        if not isinstance(v, bool):
            raise fail(f"must be true or false, got {v!r}")
        return v
    integer = s.kind == "int"
    if isinstance(v, bool) or not isinstance(v, int | float) or (
            integer and not isinstance(v, int)):
        raise fail(f"must be {'an integer' if integer else 'a number'}, got {v!r}")
    if not math.isfinite(v):
        raise fail(f"must be finite, got {v!r}")
    if (s.lo is not None and v < s.lo) or (s.hi is not None and v > s.hi):
        lo = "-inf" if s.lo is None else f"{s.lo:g}"
        hi = "inf" if s.hi is None else f"{s.hi:g}"
        raise fail(f"{v!r} is out of range [{lo}, {hi}]")
    return int(v) if integer else float(v)
