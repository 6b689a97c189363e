"""Reading a user's network: a CSV edge list and a node-attribute file.

Errors are :class:`~diffusion_sim.errors.NetworkInputError`, one line
``file:LINE: what is wrong``; what the reader did to the data (dropped self-loops,
merged duplicates, people given a drawn group, columns ignored) is returned as notes,
one sentence each, which every command prints and every report states.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from diffusion_sim.errors import NetworkInputError
from diffusion_sim.network.csr import Network, _unique_first_inverse, from_edges
from diffusion_sim.network.text import CsvRows, check_utf8


@dataclass
class NodeTable:
    """People described by a user's files.

    Attributes
    ----------
    ids : list of str
        Person ids, in index order.
    group : ndarray of int8
        0-based group of each person.
    traits : dict of str -> ndarray of float64
        The trait columns the files give (values in [0, 1]); NaN where a row leaves the
        value empty (the model draws those from the scenario's distributions).
    access : ndarray of float64 or None
        Digital access: 1.0, 0.0, or NaN where not given; None without the column.
    notes : list of str
        What input handling did.
    """

    ids: list[str]
    group: np.ndarray
    traits: dict[str, np.ndarray]
    access: np.ndarray | None
    notes: list[str] = field(default_factory=list)


_ACCESS_TRUE = {"1", "true", "yes"}
_ACCESS_FALSE = {"0", "false", "no"}


def read_nodes_file(path: Path, n_groups: int, traits: Sequence[str]) -> NodeTable:
    """Read a node-attribute CSV ``id,group[,traits...][,digital_access]``.

    The header is required. ``id`` is any non-empty string (unique); ``group`` an
    integer from 1 (most deprived) to ``n_groups``; optional columns are the traits
    (``privacy_concern``, ``identity_sensitivity``, ``other_regard``,
    ``receptiveness``: numbers in [0, 1]) and ``digital_access`` (0/1, true/false,
    yes/no). An empty optional cell means "not given". Blank lines are skipped.

    Parameters
    ----------
    path : Path
    n_groups : int
        Number of groups in the scenario.
    traits : sequence of str
        The trait columns the file may have (the scenario's
        :data:`~diffusion_sim.scenario.TRAITS`).

    Returns
    -------
    NodeTable

    Raises
    ------
    NetworkInputError
        One line ``path:LINE: what is wrong`` for a missing or unknown column (line 1),
        a wrong number of fields, an empty or duplicate id, a bad group, trait or
        access value.
    """
    path = Path(path)
    optional = [*traits, "digital_access"]
    try:
        fh = open(path, newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise NetworkInputError(f"{path}: cannot read: {exc.strerror}") from None
    with fh:
        reader = CsvRows(fh, path)
        header = next(reader, None)
        if header is None:
            raise NetworkInputError(f"{path}:1: empty file (expected a header id,group,...)")
        header = [h.strip() for h in header]
        for need in ("id", "group"):
            if need not in header:
                raise NetworkInputError(
                    f"{path}:1: missing column '{need}' (header: {','.join(header)})"
                )
        for h in header:
            if h not in ("id", "group", *optional):
                raise NetworkInputError(
                    f"{path}:1: unknown column '{h}' (valid: id, group, {', '.join(optional)})"
                )
        dup = next((h for h in header if header.count(h) > 1), None)
        if dup is not None:
            raise NetworkInputError(f"{path}:1: column '{dup}' appears twice")
        col = {h: i for i, h in enumerate(header)}
        ids: list[str] = []
        seen: dict[str, int] = {}
        group: list[int] = []
        values: dict[str, list[float]] = {h: [] for h in optional if h in col}
        for row in reader:
            line = reader.line_num
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(header):
                raise NetworkInputError(
                    f"{path}:{line}: expected {len(header)} fields, got {len(row)}"
                )
            pid = row[col["id"]].strip()
            if not pid:
                raise NetworkInputError(f"{path}:{line}: empty id")
            if pid in seen:
                raise NetworkInputError(
                    f"{path}:{line}: duplicate id '{pid}' (first at line {seen[pid]})"
                )
            seen[pid] = line
            g = row[col["group"]].strip()
            if not (g.isascii() and g.isdigit()) or not 1 <= int(g) <= n_groups:
                raise NetworkInputError(
                    f"{path}:{line}: group '{g}' is not an integer from 1 to {n_groups}"
                )
            ids.append(pid)
            group.append(int(g) - 1)
            for h in values:
                raw = row[col[h]].strip()
                if raw == "":
                    values[h].append(math.nan)
                    continue
                if h == "digital_access":
                    low = raw.lower()
                    if low not in _ACCESS_TRUE | _ACCESS_FALSE:
                        raise NetworkInputError(
                            f"{path}:{line}: digital_access '{raw}' is not 0/1/true/false"
                        )
                    values[h].append(1.0 if low in _ACCESS_TRUE else 0.0)
                    continue
                try:
                    x = float(raw)
                except ValueError:
                    x = math.nan
                if not 0.0 <= x <= 1.0:
                    raise NetworkInputError(f"{path}:{line}: {h} '{raw}' is not a number in [0, 1]")
                values[h].append(x)
    access = np.array(values.pop("digital_access"), float) if "digital_access" in values else None
    return NodeTable(
        ids,
        np.array(group, dtype=np.int8),
        {h: np.array(v, float) for h, v in values.items()},
        access,
    )


# ---- edge-list reading -------------------------------------------------------------
# The file is read in blocks of whole lines. A block without blanks/tabs is parsed with
# numpy alone (newline and comma positions -> field bounds -> fixed-width byte tokens ->
# np.unique), so no Python object is made per line; ids are then mapped through a dict
# once per distinct id per block. A block that needs more care (spaces to strip, a
# malformed line) is parsed line by line, which also finds the first bad line exactly.
# Measured (2-core container): 10^6 lines `u123456,u654321,0.123` (2·10^5 distinct
# ids) in ≈ 1.4 s; 10^7 lines (10^6 distinct ids, 217 MB) in ≈ 16 s.
_BLOCK_BYTES = 1 << 24
_MAX_FAST_WIDTH = 64
_STRONG_WORDS = {b"strong": True, b"true": True, b"1": True}
_WEAK_WORDS = {b"weak": False, b"false": False, b"0": False}


def _strength_of(token: bytes, threshold: float) -> bool | None:
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


def _bad_strength(path: Path, line: int, token: bytes) -> NetworkInputError:
    raw = token.decode("utf-8", "replace").strip()
    return NetworkInputError(
        f"{path}:{line}: strength '{raw}' is not strong/weak, true/false, 1/0 or a number >= 0"
    )


class _EdgeParser:
    """Turns blocks of whole lines into token arrays (see the comment above)."""

    def __init__(self, path: Path, threshold: float):
        self.path = path
        self.threshold = threshold
        self.n_fields: int | None = None  # 2 or 3, fixed by the first data/header line
        self.header = False
        self.strength_cache: dict[bytes, bool] = {}

    def parse(self, block: bytes, line0: int):
        """Tokens ``(src, dst, strength or None, line numbers)`` of a block that ends
        with a newline and whose first line is line ``line0``."""
        if self.n_fields is None:
            block, line0 = self._first_line(block, line0)
            if self.n_fields is None:
                return None
        if not block:
            return None
        fast = self._fast(block, line0)
        return fast if fast is not None else self._slow(block, line0)

    def _first_line(self, block: bytes, line0: int) -> tuple[bytes, int]:
        """Consume lines up to the first data or header line, which fixes the format."""
        start = 0
        while start < len(block):
            end = block.index(b"\n", start)
            text = block[start:end].strip()
            line_start, start, line = start, end + 1, line0
            line0 += 1
            if not text or text.startswith(b"#"):
                continue
            fields = [f.strip() for f in text.split(b",")]
            self.n_fields = 3 if len(fields) == 3 else 2
            if fields[0].lower() == b"source":  # a header (case-insensitive)
                names = [f.lower() for f in fields]
                if names[1:2] != [b"target"] or names[2:] not in ([], [b"strength"]):
                    raise NetworkInputError(
                        f"{self.path}:{line}: header must be source,target[,strength]"
                    )
                self.header = True
                return block[start:], line0
            return block[line_start:], line  # a data line: parse it with the rest
        return b"", line0

    def _fast(self, block: bytes, line0: int):
        buf = np.frombuffer(block, dtype=np.uint8)
        if np.any((buf == 32) | (buf == 9)):
            return None
        nl = np.flatnonzero(buf == 10)
        starts = np.empty_like(nl)
        starts[0] = 0
        starts[1:] = nl[:-1] + 1
        ends = nl - ((nl > starts) & (buf[np.maximum(nl - 1, 0)] == 13))
        lines = line0 + np.arange(nl.size, dtype=np.int64)
        keep = (ends > starts) & (buf[np.minimum(starts, buf.size - 1)] != ord("#"))
        starts, ends, lines = starts[keep], ends[keep], lines[keep]
        if lines.size == 0:
            return None
        commas = np.flatnonzero(buf == ord(","))
        c0 = np.searchsorted(commas, starts)
        c1 = np.searchsorted(commas, ends)
        if np.any(c1 - c0 != self.n_fields - 1):
            return None
        bounds = [starts]
        for f in range(self.n_fields - 1):
            bounds.append(commas[c0 + f])
        bounds.append(ends)
        field_s = [bounds[0]] + [b + 1 for b in bounds[1:-1]]
        field_e = bounds[1:]
        widths = [e - s for s, e in zip(field_s, field_e)]
        if any(int(w.min()) == 0 or int(w.max()) > _MAX_FAST_WIDTH for w in widths):
            return None  # empty field (an error: found by the slow path) or very long ids
        toks = [_tokens(buf, s, w) for s, w in zip(field_s, widths)]
        return toks[0], toks[1], (toks[2] if self.n_fields == 3 else None), lines

    def _slow(self, block: bytes, line0: int):
        path, k = self.path, self.n_fields
        src, dst, stg, lines = [], [], [], []
        cache = self.strength_cache
        pieces = block.split(b"\n")
        pieces.pop()  # the block ends with a newline
        for i, raw in enumerate(pieces):
            line = line0 + i
            text = raw.strip()
            if not text or text.startswith(b"#"):
                continue
            fields = [f.strip() for f in text.split(b",")]
            if len(fields) != k:
                want = "source,target,strength" if k == 3 else "source,target"
                raise NetworkInputError(
                    f"{path}:{line}: expected {want} ({k} fields), got {len(fields)} fields"
                )
            if not fields[0] or not fields[1]:
                raise NetworkInputError(f"{path}:{line}: empty id")
            if k == 3:
                s = cache.get(fields[2])
                if s is None:
                    s = _strength_of(fields[2], self.threshold)
                    if s is None:
                        raise _bad_strength(path, line, fields[2])
                    cache[fields[2]] = s
                stg.append(fields[2])
            src.append(fields[0])
            dst.append(fields[1])
            lines.append(line)
        if not lines:
            return None
        return (
            np.array(src, dtype=bytes),
            np.array(dst, dtype=bytes),
            np.array(stg, dtype=bytes) if k == 3 else None,
            np.array(lines, dtype=np.int64),
        )


def _tokens(buf: np.ndarray, start: np.ndarray, width: np.ndarray) -> np.ndarray:
    """Fixed-width byte strings (numpy ``S`` dtype) of ``buf[start:start + width]``."""
    W = int(width.max())
    cols = np.arange(W, dtype=np.int64)
    valid = cols[None, :] < width[:, None]
    idx = np.where(valid, start[:, None] + cols[None, :], 0)
    mat = buf[idx]
    mat[~valid] = 0
    return np.ascontiguousarray(mat).view(f"S{W}").ravel()


def _blocks(fh):
    """``(block, first line number)`` of whole lines, each block ending with a newline."""
    rest = b""
    line = 1
    first = True
    while True:
        data = fh.read(_BLOCK_BYTES)
        if first:
            first = False
            if data.startswith(b"\xef\xbb\xbf"):  # UTF-8 byte-order mark
                data = data[3:]
        if not data:
            if rest:
                yield rest + b"\n", line
            return
        data = rest + data
        cut = data.rfind(b"\n")
        if cut < 0:
            rest = data
            continue
        block, rest = data[: cut + 1], data[cut + 1 :]
        yield block, line
        line += block.count(b"\n")


class _IdIndex:
    """Id (bytes) -> person index, as sorted arrays: look-ups and insertions of a whole
    block's distinct ids at once (no Python loop over ids)."""

    def __init__(self, known: list[str]):
        toks = np.array([k.encode("utf-8") for k in known], dtype=bytes)
        if not known:
            toks = np.zeros(0, dtype="S1")
        order = np.argsort(toks, kind="stable")
        self.known = list(known)
        self.keys = toks[order]
        self.vals = order.astype(np.int64)
        self.new: list[np.ndarray] = []
        self.size = len(known)

    def lookup(self, uniq: np.ndarray, first: np.ndarray) -> np.ndarray:
        """Indices of the sorted distinct ids ``uniq``; unknown ones are added, numbered
        in the order of ``first`` (their first position in the block)."""
        dt = np.result_type(self.keys.dtype, uniq.dtype)
        keys, u = self.keys.astype(dt, copy=False), uniq.astype(dt, copy=False)
        at = np.searchsorted(keys, u)
        found = np.zeros(u.size, dtype=bool)
        inside = np.flatnonzero(at < keys.size)
        found[inside] = keys[at[inside]] == u[inside]
        code = np.empty(u.size, dtype=np.int64)
        code[found] = self.vals[at[found]]
        new = np.flatnonzero(~found)  # sorted by id
        if new.size:
            by_first = new[np.argsort(first[new], kind="stable")]
            code[by_first] = self.size + np.arange(new.size, dtype=np.int64)
            self.size += new.size
            self.new.append(u[by_first])
            self.keys = np.insert(keys, at[new], u[new])
            self.vals = np.insert(self.vals, at[new], code[new])
        return code

    def ids(self) -> list[str]:
        """Every id, in index order."""
        out = list(self.known)
        for block in self.new:
            out.extend(t.decode("utf-8", "replace") for t in block.tolist())
        return out


def load_edge_list(
    path: Path,
    strong_threshold: float,
    nodes: NodeTable | None,
    n_groups: int,
    group_shares: tuple[float, ...],
    rng: np.random.Generator,
) -> tuple[Network, np.ndarray, NodeTable]:
    """Read a CSV edge list ``source,target[,strength]``.

    The header is optional: the first non-blank line is a header if its first field is
    ``source`` (then it must be exactly ``source,target`` or
    ``source,target,strength``). Blank lines and lines starting with ``#`` are skipped;
    blanks around fields are stripped. Ids are strings; people are indexed in the
    order of the node file, then of first appearance in the edge list (source before
    target). Strength: ``strong``/``weak``, ``true``/``false``, ``1``/``0`` (case
    insensitive), or any other number ≥ 0, strong iff ``>= strong_threshold``;
    without a strength column every tie is weak (reported in the notes).

    Self-loops are dropped and duplicate ties merged (strong if any copy is strong);
    both are reported in ``Network.notes`` with their count and first line. People in
    the edge list but not in the node file (or all of them, without one) get a group
    drawn with ``rng`` from ``group_shares`` (reported).

    Parameters
    ----------
    path : Path
    strong_threshold : float
        A numeric strength at or above this is a strong tie (≥ 0).
    nodes : NodeTable or None
        The people of the node file (:func:`read_nodes_file`), if any; they keep their
        order and indices, and people without ties are kept.
    n_groups : int
    group_shares : sequence of float
        Probability of each group for people without attributes (sums to 1).
    rng : numpy.random.Generator
        Used only to draw those groups.

    Returns
    -------
    network : Network
    group : ndarray of int8
        0-based group of every person.
    nodes : NodeTable
        Everybody: ids, group, and the node file's traits and access padded with NaN.

    Raises
    ------
    NetworkInputError
        One line ``path:LINE: what is wrong``: a bad header, a wrong number of fields,
        an empty id, a bad strength; or ``path: ...`` for an unreadable file or one
        without ties and without a node file.

    Notes
    -----
    Streams the file in 16 MiB blocks parsed with numpy; 10^6 lines take ≈ 1.4 s and
    10^7 lines ≈ 16 s on a 2-core container (see the comment above ``_BLOCK_BYTES``).
    """
    path = Path(path)
    index = _IdIndex(nodes.ids if nodes is not None else [])
    parser = _EdgeParser(path, strong_threshold)
    src_parts, dst_parts, strong_parts, line_parts = [], [], [], []
    try:
        fh = open(path, "rb")
    except OSError as exc:
        raise NetworkInputError(f"{path}: cannot read: {exc.strerror}") from None
    with fh:
        for block, line0 in _blocks(fh):
            check_utf8(block, path, line0)  # ids are text
            parsed = parser.parse(block, line0)
            if parsed is None:
                continue
            t_src, t_dst, t_str, lines = parsed
            # ids -> indices, in order of first appearance (source before target)
            tok = np.empty(2 * lines.size, dtype=np.result_type(t_src.dtype, t_dst.dtype))
            tok[0::2] = t_src
            tok[1::2] = t_dst
            uniq, first, inverse = _unique_first_inverse(tok)
            code = index.lookup(uniq, first)
            codes = code[inverse]
            src_parts.append(codes[0::2])
            dst_parts.append(codes[1::2])
            line_parts.append(lines)
            if t_str is not None:
                su, sfirst, sinv = _unique_first_inverse(t_str)
                values = [_strength_of(t, strong_threshold) for t in su.tolist()]
                bad = [int(sfirst[i]) for i, v in enumerate(values) if v is None]
                if bad:
                    at = min(bad)
                    raise _bad_strength(path, int(lines[at]), t_str[at])
                strong_parts.append(np.array(values, dtype=bool)[sinv])
            else:
                strong_parts.append(np.zeros(lines.size, dtype=bool))
    ids = index.ids()
    n = len(ids)
    if n == 0:
        raise NetworkInputError(f"{path}: no ties found")

    def cat(parts, dtype):
        return np.concatenate(parts) if parts else np.zeros(0, dtype)

    lines = cat(line_parts, np.int64)
    net, counts = from_edges(
        n, cat(src_parts, np.int64), cat(dst_parts, np.int64), cat(strong_parts, bool)
    )
    name = path.name
    notes = []
    if counts["self_loops"]:
        notes.append(
            f"{name}: {counts['self_loops']} self-loops dropped "
            f"(first at line {lines[counts['first_self_loop']]})"
        )
    if counts["duplicates"]:
        notes.append(
            f"{name}: {counts['duplicates']} duplicate ties merged (first at line "
            f"{lines[counts['first_duplicate']]}; a merged tie is strong if any copy is)"
        )
    if parser.n_fields == 2:
        notes.append(f"{name}: no strength column: every tie is weak")
    known = len(nodes.ids) if nodes is not None else 0
    group = np.empty(n, dtype=np.int8)
    traits: dict[str, np.ndarray] = {}
    access = None
    if nodes is not None:
        group[:known] = nodes.group
        for t, vals in nodes.traits.items():
            traits[t] = np.concatenate([vals, np.full(n - known, np.nan)])
        if nodes.access is not None:
            access = np.concatenate([nodes.access, np.full(n - known, np.nan)])
    if n > known:
        shares = np.asarray(group_shares, dtype=float)
        group[known:] = rng.choice(n_groups, size=n - known, p=shares / shares.sum())
        if nodes is not None:
            notes.append(
                f"{name}: {n - known} people in the edge list have no attributes "
                "(not in the node file): group drawn from group_shares"
            )
        else:
            notes.append(
                f"{name}: {n - known} people have no node file: group drawn from group_shares"
            )
    net = Network(net.indptr, net.indices, net.strong, tuple(notes))
    return net, group, NodeTable(ids, group, traits, access, list(notes))
