"""Reading a user's network: a CSV edge list (and, re-exported from
:mod:`~diffusion_sim.network.node_file`, the node-attribute file).

Errors are :class:`~diffusion_sim.errors.NetworkInputError`, one line
``file:LINE: what is wrong``; what the reader did to the data (dropped self-loops,
merged duplicates, people given a drawn group, columns ignored) is returned as notes,
one sentence each, which every command prints and every report states.

The edge list never silently invents a person from a header or a comment:

- **Header.** Whether the first line that is neither blank nor a comment is a header
  is set by the scenario's ``network.edges_header``: ``"yes"`` (it is, whatever it
  says: it only fixes the number of columns, 2 or 3), ``"no"`` (it is a tie), or
  ``"auto"`` (the default), which decides only when there is no doubt:

  * a **header** when its first two fields are a source and a target name and its
    third, if any, a strength name (case-insensitive, blanks and double quotes
    around a name ignored): ``source``/``src``/``from``/``node1``/``ego``/... then
    ``target``/``dst``/``to``/``node2``/``alter``/..., then ``strength``/``weight``/...
    (``SOURCE_NAMES``, ``TARGET_NAMES``, ``STRENGTH_NAMES`` in
    :mod:`~diffusion_sim.network.edge_format`);
  * a **tie** when no field is such a name nor ``u``, ``v``, ``i``, ``j``
    (``HEADER_LIKE``), the third field, if any, is a strength or a number, and it is
    not two non-numeric ids above a line of two numeric ones (``person_a,person_b``
    above ``1,2``);
  * **refused** otherwise (``from,goal``, ``u,v``, ``a,b,type``, ``ego_id,alter_id``
    above ``1,2``), with one line ``file:LINE: cannot tell whether ... is a header or a
    tie (...)`` that says to set ``network.edges_header``.

- **Comments.** ``#`` starts a comment at the start of a line (after blanks or not) or
  after a blank (space or tab): ``a,b  # met at school`` is the tie a-b. A ``#``
  anywhere else (``a,b#c``, ``apt#3,b``) is refused with ``file:LINE``: ids and
  strengths never contain ``#``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from diffusion_sim.config import regular_file
from diffusion_sim.errors import NetworkInputError
from diffusion_sim.network.csr import Network, _unique_first_inverse, from_edges
from diffusion_sim.network.edge_format import (
    HEADER_MODES,
    bad_strength,
    find_header,
    strength_of,
    uncomment,
)
from diffusion_sim.network.node_file import NodeTable, read_nodes_file
from diffusion_sim.network.text import check_utf8

__all__ = ["HEADER_MODES", "NodeTable", "load_edge_list", "read_nodes_file"]

# ---- edge-list reading -------------------------------------------------------------
# Whether the first line is a header is decided first, from the file's first two lines
# (edge_format.find_header). The file is then read in blocks of whole lines. A block
# without blanks, control characters (but CR LF) or '#' outside comment lines is parsed
# with numpy alone (newline and comma positions -> field bounds -> fixed-width byte tokens ->
# np.unique), so no Python object is made per line; ids are then mapped through a dict
# once per distinct id per block. A block that needs more care (spaces to strip, a
# malformed line, a comment after a tie) is parsed line by line, which also finds the
# first bad line exactly. Both paths give the same tokens (tests force many blocks).
# Measured (2-core container): 10^6 lines `u123456,u654321,0.123` (2·10^5 distinct
# ids) in ≈ 1.4 s; 10^7 lines (10^6 distinct ids, 217 MB) in ≈ 16 s.
_BLOCK_BYTES = 1 << 24
_MAX_FAST_WIDTH = 64
class _EdgeParser:
    """Turns blocks of whole lines into token arrays (see the comment above)."""

    def __init__(self, path: Path, threshold: float, header_line: int, n_fields: int | None):
        self.path = path
        self.threshold = threshold
        self.header_line = header_line  # lines up to this one are skipped (0: none)
        self.n_fields = n_fields  # 2 or 3; None if the file has no line at all
        self.strength_cache: dict[bytes, bool] = {}

    def parse(self, block: bytes, line0: int):
        """Tokens ``(src, dst, strength or None, line numbers)`` of a block that ends
        with a newline and whose first line is line ``line0``."""
        if self.n_fields is None:
            return None
        skip = self.header_line - line0 + 1  # lines of this block up to the header
        if skip > 0:
            if skip >= block.count(b"\n"):
                return None
            cut = -1
            for _ in range(skip):
                cut = block.index(b"\n", cut + 1)
            block, line0 = block[cut + 1:], line0 + skip
        fast = self._fast(block, line0)
        return fast if fast is not None else self._slow(block, line0)

    def _fast(self, block: bytes, line0: int):
        buf = np.frombuffer(block, dtype=np.uint8)
        low = np.flatnonzero(buf <= 32)  # newlines, blanks, control characters
        other = low[buf[low] != 10]
        if other.size and (np.any(buf[other] != 13) or np.any(buf[other + 1] != 10)):
            return None  # blanks to strip, or a control character: the slow path decides
        nl = low[buf[low] == 10]
        starts = np.empty_like(nl)
        starts[0] = 0
        starts[1:] = nl[:-1] + 1
        hashes = np.flatnonzero(buf == 35)  # '#': only comment lines may have one
        if hashes.size and np.any(buf[starts[np.searchsorted(nl, hashes)]] != 35):
            return None
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
            text = (uncomment(raw, path, line) if b"#" in raw else raw).strip()
            if not text:
                continue
            fields = [f.strip() for f in text.split(b",")]
            if len(fields) != k:
                want = "source,target,strength" if k == 3 else "source,target"
                other = next((name for sep, name in ((b";", "semicolons"), (b"\t", "tabs"),
                                                     (b" ", "spaces")) if sep in text), None)
                hint = (f" (fields are separated by commas; this line has {other})"
                        if other and len(fields) == 1 else "")
                raise NetworkInputError(f"{path}:{line}: expected {want} ({k} fields), got "
                                        f"{len(fields)} fields{hint}")
            if not fields[0] or not fields[1]:
                raise NetworkInputError(f"{path}:{line}: empty id")
            if k == 3:
                s = cache.get(fields[2])
                if s is None:
                    s = strength_of(fields[2], self.threshold)
                    if s is None:
                        raise bad_strength(path, line, fields[2])
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


def _read_ties(path: Path, parser: _EdgeParser, index: _IdIndex):
    """Every tie of the file: ``(source index, target index, strong, line)`` arrays."""
    src_parts, dst_parts, strong_parts, line_parts = [], [], [], []
    with open(path, "rb") as fh:
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
                values = [strength_of(t, parser.threshold) for t in su.tolist()]
                bad = [int(sfirst[i]) for i, v in enumerate(values) if v is None]
                if bad:
                    at = min(bad)
                    raise bad_strength(path, int(lines[at]), t_str[at])
                strong_parts.append(np.array(values, dtype=bool)[sinv])
            else:
                strong_parts.append(np.zeros(lines.size, dtype=bool))

    def cat(parts, dtype):
        return np.concatenate(parts) if parts else np.zeros(0, dtype)

    return (cat(src_parts, np.int64), cat(dst_parts, np.int64), cat(strong_parts, bool),
            cat(line_parts, np.int64))


def load_edge_list(
    path: Path,
    strong_threshold: float,
    nodes: NodeTable | None,
    n_groups: int,
    group_shares: tuple[float, ...],
    rng: np.random.Generator,
    header: str = "auto",
) -> tuple[Network, np.ndarray, NodeTable]:
    """Read a CSV edge list ``source,target[,strength]``.

    The first line that is neither blank nor a comment is a header or a tie as
    ``header`` says: ``"yes"``, ``"no"``, or ``"auto"``: a header if its first two fields
    name a source and a target column (``source,target``, ``from,to``, ``src,dst``,
    ``Source,Target,Weight``, ...), a tie if nothing in it looks like a header,
    refused otherwise (the module docstring gives the rule). Blank lines are skipped; ``#``
    starts a comment at the start of a line or after a blank (``a,b  # note``), and
    is refused anywhere else, so ids never contain ``#``. Blanks around fields are
    stripped. Ids are strings; people are indexed in the order of the node file, then
    of first appearance in the edge list (source before target). Strength:
    ``strong``/``weak``, ``true``/``false``, ``1``/``0`` (case insensitive), or any
    other number ≥ 0, strong iff ``>= strong_threshold``; without a strength column
    every tie is weak (reported in the notes).

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
    header : {"auto", "yes", "no"}
        Is the first line a header (the scenario's ``network.edges_header``).

    Returns
    -------
    network : Network
        Its ``notes`` say what reading the edge list did.
    group : ndarray of int8
        0-based group of every person.
    nodes : NodeTable
        Everybody: ids, group, and the node file's traits and access padded with NaN;
        its ``notes`` are the node file's (empty without one).

    Raises
    ------
    NetworkInputError
        One line ``path:LINE: what is wrong``: a first line that may or may not be a
        header, a wrong number of fields, an empty id, a bad strength, a ``#`` inside a
        field; or ``path: ...`` for an unreadable file or one without ties and without
        a node file.

    Notes
    -----
    Streams the file in 16 MiB blocks parsed with numpy; 10^6 lines take ≈ 1.4 s and
    10^7 lines ≈ 16 s on a 2-core container (see the comment above ``_BLOCK_BYTES``).
    """
    path = Path(path)
    if header not in HEADER_MODES:
        raise ValueError(f"header must be one of {HEADER_MODES}, got {header!r}")
    regular_file(path, NetworkInputError, "edge list")
    try:
        header_line, n_fields = find_header(path, header)
    except OSError as exc:
        raise NetworkInputError(f"{path}: cannot read: {exc.strerror}") from None
    index = _IdIndex(nodes.ids if nodes is not None else [])
    parser = _EdgeParser(path, strong_threshold, header_line, n_fields)
    src, dst, strong, lines = _read_ties(path, parser, index)
    ids = index.ids()
    n = len(ids)
    if n == 0:
        raise NetworkInputError(f"{path}: no ties found")
    net, counts = from_edges(n, src, dst, strong)
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
    return net, group, NodeTable(ids, group, traits, access,
                                 list(nodes.notes) if nodes is not None else [])
