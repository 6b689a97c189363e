"""The social network: generators and edge-list input -> a compact CSR adjacency.

A :class:`Network` is a symmetric CSR adjacency (``indptr`` int64, ``indices`` int32,
neighbours sorted ascending, no self-loops, no duplicate ties) with one boolean
``strong`` flag per directed entry (symmetric): about 5 bytes per directed tie. Large
networks never live as networkx graphs: the generators below build edge arrays with
numpy directly (networkx is kept for analysis, :meth:`Network.to_networkx`, and as the
reference the tests compare the generators against).
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from diffusion_sim.errors import NetworkInputError
from diffusion_sim.scenario import TRAITS, NetworkParams


@dataclass(frozen=True)
class Network:
    """Symmetric CSR adjacency with tie strength.

    Attributes
    ----------
    indptr : ndarray of int64, shape (n + 1,)
    indices : ndarray of int32, shape (2 · ties,)
        Neighbours of person ``i`` are ``indices[indptr[i]:indptr[i + 1]]``, ascending.
    strong : ndarray of bool, shape (2 · ties,)
        Whether each directed entry is a strong tie (the same in both directions).
    notes : tuple of str
        What input handling did (dropped self-loops, merged duplicates, ...).
    """

    indptr: np.ndarray
    indices: np.ndarray
    strong: np.ndarray
    notes: tuple[str, ...] = ()
    _degree: np.ndarray = field(default=None, repr=False, compare=False)

    @property
    def n(self) -> int:
        """Number of people."""
        return int(self.indptr.shape[0] - 1)

    @property
    def n_ties(self) -> int:
        """Number of undirected ties."""
        return int(self.indices.shape[0] // 2)

    @property
    def degree(self) -> np.ndarray:
        """Ties per person (int64)."""
        if self._degree is None:
            object.__setattr__(self, "_degree", np.diff(self.indptr))
        return self._degree

    def csr(self, strong_weight: float = 1.0, weak_weight: float = 1.0) -> sp.csr_matrix:
        """The weighted adjacency as a scipy CSR matrix (float64)."""
        data = np.where(self.strong, strong_weight, weak_weight).astype(np.float64)
        return sp.csr_matrix((data, self.indices, self.indptr), shape=(self.n, self.n))

    def to_networkx(self):
        """A networkx Graph with edge attribute ``strong`` (for analysis, small graphs)."""
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(range(self.n))
        rows = np.repeat(np.arange(self.n), self.degree)
        upper = rows < self.indices
        g.add_edges_from((int(a), int(b), {"strong": bool(s)}) for a, b, s in
                         zip(rows[upper], self.indices[upper], self.strong[upper]))
        return g

    def nbytes(self) -> int:
        """Memory held by the adjacency arrays."""
        return self.indptr.nbytes + self.indices.nbytes + self.strong.nbytes

    def ties_of(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every tie of ``rows`` (ascending), in CSR order, in one C-level pass.

        Returns ``(targets, strong, row_start)``: the neighbour and strength (int8) of
        each tie, and where each row's ties start (length ``len(rows) + 1``).
        Many rows: scipy's CSR row indexing on a view that shares this network's
        arrays (one C loop); few rows: the same with numpy, which has less overhead
        per call (the results are identical).
        """
        if rows.size > 2000:
            sub = self._strength_matrix()[rows]
            return sub.indices, sub.data, sub.indptr
        starts = self.indptr[rows]
        counts = self.indptr[rows + 1] - starts
        row_start = np.zeros(rows.size + 1, dtype=np.int64)
        np.cumsum(counts, out=row_start[1:])
        pos = np.arange(row_start[-1], dtype=np.int64) + np.repeat(starts - row_start[:-1],
                                                                   counts)
        return self.indices[pos], self.strong.view(np.int8)[pos], row_start

    def _strength_matrix(self) -> sp.csr_matrix:
        cached = self.__dict__.get("_strength_csr")
        if cached is None:
            idx_dtype = np.int32 if self.indices.size < 2**31 - 1 else np.int64
            cached = sp.csr_matrix(
                (self.strong.view(np.int8), self.indices.astype(idx_dtype, copy=False),
                 self.indptr.astype(idx_dtype, copy=False)),
                shape=(self.n, self.n), copy=False)
            object.__setattr__(self, "_strength_csr", cached)
        return cached


def from_edges(n: int, src: np.ndarray, dst: np.ndarray, strong: np.ndarray | None = None,
               notes: tuple[str, ...] = (), strong_fraction: float | None = None,
               rng: np.random.Generator | None = None) -> tuple[Network, dict[str, int]]:
    """Build a :class:`Network` from undirected edge arrays (vectorised, no Python loop).

    Self-loops are dropped and duplicate pairs merged (a merged tie is strong if any
    copy is). With ``strong_fraction`` and ``rng`` instead of ``strong``, each distinct
    tie is strong with that probability: one uniform per tie, in ascending (min, max)
    order. Returns the network and the counts ``{"self_loops", "duplicates"}``.

    The CSR arrays are filled by a counting sort: the distinct ties sorted by
    (min, max) give every row's higher neighbours in order; a stable sort by max gives
    every row's lower neighbours in order; a row is its lower then its higher ones.
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    loop = src == dst
    n_loops = int(loop.sum())
    keep = ~loop
    a, b = np.minimum(src[keep], dst[keep]), np.maximum(src[keep], dst[keep])
    del src, dst
    key = a * n + b
    del a, b
    if strong is None:
        key.sort()  # (numpy's hash-based unique is several times slower here)
        distinct = np.empty(key.shape[0], dtype=bool)
        distinct[:1] = True
        np.not_equal(key[1:], key[:-1], out=distinct[1:])
        uniq = key[distinct]
        n_dupes = int(key.shape[0] - uniq.shape[0])
        if rng is not None and strong_fraction is not None:
            s_u = rng.random(uniq.shape[0]) < strong_fraction
        else:
            s_u = np.zeros(uniq.shape[0], bool)
    else:
        uniq, inverse = np.unique(key, return_inverse=True)
        n_dupes = int(key.shape[0] - uniq.shape[0])
        s_u = np.zeros(uniq.shape[0], bool)
        np.logical_or.at(s_u, inverse, np.asarray(strong, bool)[keep])
        del inverse
    del key
    lo, hi = uniq // n, uniq % n
    del uniq
    lower_count = np.bincount(hi, minlength=n)  # neighbours below the row
    degree = lower_count + np.bincount(lo, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(degree, out=indptr[1:])
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    strong_flags = np.empty(int(indptr[-1]), dtype=bool)
    # higher neighbours of row lo: after the row's lower ones, in (lo, hi) order
    first_of_row = np.searchsorted(lo, lo, side="left")
    pos = indptr[lo] + lower_count[lo] + (np.arange(lo.shape[0]) - first_of_row)
    del first_of_row
    indices[pos] = hi
    strong_flags[pos] = s_u
    # lower neighbours of row hi: a stable sort by hi keeps lo ascending within a row
    order = np.argsort(hi, kind="stable")
    hi_sorted = hi[order]
    first_of_row = np.searchsorted(hi_sorted, hi_sorted, side="left")
    pos = indptr[hi_sorted] + (np.arange(hi_sorted.shape[0]) - first_of_row)
    indices[pos] = lo[order]
    strong_flags[pos] = s_u[order]
    net = Network(indptr, indices, strong_flags, tuple(notes))
    return net, {"self_loops": n_loops, "duplicates": n_dupes}


# ---------------------------------------------------------------------- generators
def _distinct_pairs(n_a: int, n_b: int | None, m: int, rng: np.random.Generator
                    ) -> tuple[np.ndarray, np.ndarray]:
    """``m`` distinct pairs drawn uniformly: unordered pairs ``i < j`` of ``range(n_a)``
    (``n_b is None``) or ordered pairs ``(i, j)`` of ``range(n_a) × range(n_b)``."""
    total = n_a * (n_a - 1) // 2 if n_b is None else n_a * n_b
    m = int(min(m, total))
    if m == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if total <= 4_000_000 or m > total // 4:  # dense: choose among all pairs
        pick = rng.choice(total, size=m, replace=False)
        if n_b is not None:
            return pick // n_b, pick % n_b
        # decode the index of pair (i, j), i < j, in row-major upper-triangular order
        i = (n_a - 2 - np.floor(np.sqrt(-8 * pick + 4 * n_a * (n_a - 1) - 7) / 2 - 0.5)
             ).astype(np.int64)
        j = pick + i + 1 - n_a * (n_a - 1) // 2 + (n_a - i) * ((n_a - i) - 1) // 2
        return i, j
    keys = np.zeros(0, np.int64)
    while keys.size < m:
        k = int((m - keys.size) * 1.1) + 16
        i = rng.integers(0, n_a, size=k)
        j = rng.integers(0, n_a if n_b is None else n_b, size=k)
        if n_b is None:
            ok = i != j
            i, j = np.minimum(i[ok], j[ok]), np.maximum(i[ok], j[ok])
            new = i * n_a + j
        else:
            new = i * n_b + j
        keys = np.concatenate([keys, new])
        _, first = np.unique(keys, return_index=True)
        keys = keys[np.sort(first)]  # keep draw order: the first m distinct pairs
    keys = keys[:m]
    width = n_a if n_b is None else n_b
    return keys // width, keys % width


def erdos_renyi(n: int, mean_degree: float, rng: np.random.Generator
                ) -> tuple[np.ndarray, np.ndarray]:
    """G(n, p) with ``p = mean_degree / (n − 1)``: a Binomial number of distinct pairs."""
    pairs = n * (n - 1) // 2
    p = min(1.0, mean_degree / max(n - 1, 1))
    m = int(rng.binomial(pairs, p)) if pairs else 0
    return _distinct_pairs(n, None, m, rng)


def watts_strogatz(n: int, k: int, p: float, rng: np.random.Generator
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Ring lattice with ``k`` nearest neighbours (k even), each tie's far end rewired
    with probability ``p`` to a uniformly chosen other person (duplicates merged later)."""
    k = max(2, min(k - k % 2, n - 1 - (n - 1) % 2))
    src = np.repeat(np.arange(n, dtype=np.int64), k // 2)
    dst = (src + np.tile(np.arange(1, k // 2 + 1, dtype=np.int64), n)) % n
    rewire = rng.random(src.size) < p
    new = rng.integers(0, n - 1, size=int(rewire.sum()))
    s = src[rewire]
    dst[rewire] = new + (new >= s)  # uniform over everybody but the source
    return src, dst


def barabasi_albert(n: int, m: int, rng: np.random.Generator
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Linear preferential attachment (Batagelj & Brandes 2005), vectorised.

    As networkx's ``barabasi_albert_graph``: a star of ``m + 1`` people (person 0 at the
    centre) to start; then each person ``v > m`` brings ``m`` ties whose other end is a
    uniformly chosen end of an earlier tie (so chosen with probability ∝ degree). The
    algorithm's array of tie ends is resolved by pointer jumping instead of a
    sequential loop. A person that picks the same target twice keeps one tie (networkx
    redraws instead), so the mean degree is a little below ``2m`` (by < 1 % at m ≤ 10).
    """
    m = max(1, int(m))
    if n <= m + 1:  # only the star
        v = np.arange(1, n, dtype=np.int64)
        return v, np.zeros_like(v)
    E = m + (n - m - 1) * m
    e = np.arange(E, dtype=np.int64)

    def source(k: np.ndarray) -> np.ndarray:
        return np.where(k < m, k + 1, (k - m) // m + m + 1)

    v = source(e)
    hi = np.where(e < m, 0, 2 * m * (v - m))  # the tie ends of earlier people
    r = np.floor(rng.random(E) * hi).astype(np.int64)
    target = np.zeros(E, dtype=np.int64)  # the star's ties end at person 0
    pos = r.copy()
    todo = np.flatnonzero(hi > 0)
    while todo.size:
        p = pos[todo]
        even = p % 2 == 0
        target[todo[even]] = source(p[even] // 2)
        odd = todo[~even]
        nxt = (pos[odd] - 1) // 2  # the end is the target of an earlier tie...
        star = nxt < m
        target[odd[star]] = 0  # ... of the star: person 0
        rest = odd[~star]
        pos[rest] = r[nxt[~star]]  # ... or whatever that tie's own draw pointed to
        todo = rest
    return v, target


def sbm_probabilities(sizes: np.ndarray, mean_degree: float, homophily: float
                      ) -> tuple[float, float]:
    """Within- and between-group tie probabilities of the homophilous SBM.

    Chosen so that the expected number of ties is ``mean_degree · n / 2`` and their
    expected share inside groups is ``homophily``:
    ``p_in = h·c·n / (2W)``, ``p_out = (1 − h)·c·n / (2B)`` with ``W`` the number of
    within-group pairs and ``B`` of between-group pairs (capped at 1).
    """
    sizes = np.asarray(sizes, dtype=float)
    n = sizes.sum()
    W = float(np.sum(sizes * (sizes - 1) / 2))
    B = float((n * n - np.sum(sizes**2)) / 2)
    ties = mean_degree * n / 2
    if B == 0:
        return min(1.0, ties / W) if W else 0.0, 0.0
    if W == 0:
        return 0.0, min(1.0, ties / B)
    return min(1.0, homophily * ties / W), min(1.0, (1 - homophily) * ties / B)


def sbm(groups: np.ndarray, mean_degree: float, homophily: float, rng: np.random.Generator
        ) -> tuple[np.ndarray, np.ndarray]:
    """Stochastic block model with homophily by group (see :func:`sbm_probabilities`)."""
    groups = np.asarray(groups)
    G = int(groups.max()) + 1 if groups.size else 0
    members = [np.flatnonzero(groups == g) for g in range(G)]
    sizes = np.array([len(x) for x in members])
    p_in, p_out = sbm_probabilities(sizes, mean_degree, homophily)
    srcs, dsts = [], []
    for g in range(G):
        for h in range(g, G):
            a, b = members[g], members[h]
            if g == h:
                pairs, p = len(a) * (len(a) - 1) // 2, p_in
                count = int(rng.binomial(pairs, p)) if pairs else 0
                i, j = _distinct_pairs(len(a), None, count, rng)
                srcs.append(a[i])
                dsts.append(a[j])
            else:
                pairs, p = len(a) * len(b), p_out
                count = int(rng.binomial(pairs, p)) if pairs else 0
                i, j = _distinct_pairs(len(a), len(b), count, rng)
                srcs.append(a[i])
                dsts.append(b[j])
    if not srcs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(srcs).astype(np.int64), np.concatenate(dsts).astype(np.int64)


def build_network(params: NetworkParams, groups: np.ndarray, rng: np.random.Generator
                  ) -> Network:
    """Generate the network of ``params.kind`` for people with these ``groups``.

    Tie strength: one uniform per undirected tie in ascending (min, max) order; a tie
    is strong with probability ``params.strong_fraction``.
    """
    n = len(groups)
    c = params.mean_degree
    if params.kind == "erdos_renyi":
        src, dst = erdos_renyi(n, c, rng)
    elif params.kind == "watts_strogatz":
        src, dst = watts_strogatz(n, int(round(c / 2)) * 2, params.rewire_prob, rng)
    elif params.kind == "barabasi_albert":
        src, dst = barabasi_albert(n, max(1, int(round(c / 2))), rng)
    elif params.kind == "sbm":
        src, dst = sbm(groups, c, params.homophily, rng)
    else:
        raise ValueError(f"build_network cannot generate kind {params.kind!r}")
    net, _ = from_edges(n, src, dst, strong_fraction=params.strong_fraction, rng=rng)
    return net


# ---------------------------------------------------------------------- user files
@dataclass
class NodeTable:
    """People described by a user's files.

    ``traits`` arrays and ``access`` hold NaN where the files say nothing (the model
    draws those values from the scenario's distributions).
    """

    ids: list[str]
    group: np.ndarray  # int8, 0-based
    traits: dict[str, np.ndarray]
    access: np.ndarray | None  # float: 1, 0 or NaN
    notes: list[str] = field(default_factory=list)


_TRUE = {"1", "true", "yes", "strong"}
_FALSE = {"0", "false", "no", "weak"}


def read_nodes_file(path: Path, n_groups: int) -> NodeTable:
    """Read ``id,group[,traits...][,digital_access]`` (CSV with header).

    Raises
    ------
    NetworkInputError
        ``path:LINE: what is wrong`` for a missing or unknown column, a bad group or
        trait value, or a duplicate id.
    """
    path = Path(path)
    optional = [*TRAITS, "digital_access"]
    try:
        fh = open(path, newline="")
    except OSError as exc:
        raise NetworkInputError(f"{path}: cannot read: {exc.strerror}") from None
    with fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise NetworkInputError(f"{path}:1: empty file (expected a header id,group,...)")
        header = [h.strip() for h in header]
        for need in ("id", "group"):
            if need not in header:
                raise NetworkInputError(f"{path}:1: missing column '{need}' (header: "
                                        f"{','.join(header)})")
        for h in header:
            if h not in ("id", "group", *optional):
                raise NetworkInputError(
                    f"{path}:1: unknown column '{h}' (valid: id, group, {', '.join(optional)})")
        col = {h: i for i, h in enumerate(header)}
        ids: list[str] = []
        seen: dict[str, int] = {}
        group: list[int] = []
        values: dict[str, list[float]] = {h: [] for h in optional if h in col}
        for line, row in enumerate(reader, start=2):
            if not row or (len(row) == 1 and not row[0].strip()):
                continue
            if len(row) != len(header):
                raise NetworkInputError(f"{path}:{line}: expected {len(header)} fields, "
                                        f"got {len(row)}")
            pid = row[col["id"]].strip()
            if not pid:
                raise NetworkInputError(f"{path}:{line}: empty id")
            if pid in seen:
                raise NetworkInputError(f"{path}:{line}: duplicate id '{pid}' "
                                        f"(first at line {seen[pid]})")
            seen[pid] = line
            g = row[col["group"]].strip()
            if not g.isdigit() or not 1 <= int(g) <= n_groups:
                raise NetworkInputError(f"{path}:{line}: group '{g}' is not an integer "
                                        f"from 1 to {n_groups}")
            ids.append(pid)
            group.append(int(g) - 1)
            for h in values:
                raw = row[col[h]].strip()
                if raw == "":
                    values[h].append(math.nan)
                    continue
                if h == "digital_access":
                    low = raw.lower()
                    if low not in _TRUE | _FALSE:
                        raise NetworkInputError(f"{path}:{line}: digital_access '{raw}' is "
                                                "not 0/1/true/false")
                    values[h].append(1.0 if low in _TRUE else 0.0)
                    continue
                try:
                    x = float(raw)
                except ValueError:
                    x = math.nan
                if not 0.0 <= x <= 1.0:
                    raise NetworkInputError(f"{path}:{line}: {h} '{raw}' is not a number "
                                            "in [0, 1]")
                values[h].append(x)
    access = np.array(values.pop("digital_access"), float) if "digital_access" in values \
        else None
    return NodeTable(ids, np.array(group, dtype=np.int8),
                     {h: np.array(v, float) for h, v in values.items()}, access)


def _strength(raw: str, threshold: float, path: Path, line: int) -> bool:
    low = raw.strip().lower()
    if low in ("strong", "true"):
        return True
    if low in ("weak", "false"):
        return False
    try:
        x = float(low)
    except ValueError:
        x = math.nan
    if not x >= 0:
        raise NetworkInputError(f"{path}:{line}: strength '{raw}' is not strong/weak, "
                                "true/false or a number >= 0")
    return x >= threshold


def load_edge_list(path: Path, strong_threshold: float, nodes: NodeTable | None,
                   n_groups: int, group_shares: tuple[float, ...], rng: np.random.Generator
                   ) -> tuple[Network, np.ndarray, NodeTable]:
    """Read a CSV edge list ``source,target[,strength]`` (header optional).

    Ids are strings; people are indexed in the order of the node file, then of first
    appearance in the edge list. Blank lines and lines starting with ``#`` are skipped.
    Self-loops are dropped and duplicate ties merged — both reported in
    ``Network.notes`` with their counts and first line. People in the edge list but not
    in the node file get a group drawn from ``group_shares`` (reported).

    Returns the network, the 0-based group of every person, and a :class:`NodeTable`
    covering everybody (NaN where nothing was given).
    """
    path = Path(path)
    index: dict[str, int] = {}
    ids: list[str] = []
    if nodes is not None:
        for pid in nodes.ids:
            index[pid] = len(ids)
            ids.append(pid)
    src: list[int] = []
    dst: list[int] = []
    strong: list[bool] = []
    # parsed ties are moved into compact arrays every `chunk` lines, so a file of 10^7
    # lines never holds 10^7 Python objects at once
    parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []
    chunk = 1 << 20

    def flush() -> None:
        if src:
            parts.append((np.array(src, np.int64), np.array(dst, np.int64),
                          np.array(strong, bool)))
            src.clear()
            dst.clear()
            strong.clear()

    first_loop = 0
    has_strength = None
    try:
        fh = open(path, newline="")
    except OSError as exc:
        raise NetworkInputError(f"{path}: cannot read: {exc.strerror}") from None
    with fh:
        for line, text in enumerate(fh, start=1):
            text = text.strip()
            if not text or text.startswith("#"):
                continue
            fields = [f.strip() for f in text.split(",")]
            if has_strength is None:
                has_strength = len(fields) == 3
                if fields[0].lower() == "source":
                    if fields[1:2] != ["target"] or fields[2:] not in ([], ["strength"]):
                        raise NetworkInputError(f"{path}:{line}: header must be "
                                                "source,target[,strength]")
                    continue
            if len(fields) != (3 if has_strength else 2):
                want = "source,target,strength" if has_strength else "source,target"
                raise NetworkInputError(f"{path}:{line}: expected {want} "
                                        f"({3 if has_strength else 2} fields), got "
                                        f"{len(fields)} fields")
            a, b = fields[0], fields[1]
            if not a or not b:
                raise NetworkInputError(f"{path}:{line}: empty id")
            ia = index.get(a)
            if ia is None:
                ia = index[a] = len(ids)
                ids.append(a)
            ib = index.get(b)
            if ib is None:
                ib = index[b] = len(ids)
                ids.append(b)
            if ia == ib and not first_loop:
                first_loop = line
            src.append(ia)
            dst.append(ib)
            strong.append(_strength(fields[2], strong_threshold, path, line)
                          if has_strength else False)
            if len(src) >= chunk:
                flush()
    flush()
    n = len(ids)
    if n == 0 or not parts:
        raise NetworkInputError(f"{path}: no ties found")
    notes = []
    net, counts = from_edges(n, np.concatenate([p[0] for p in parts]),
                             np.concatenate([p[1] for p in parts]),
                             np.concatenate([p[2] for p in parts]))
    parts.clear()
    if counts["self_loops"]:
        notes.append(f"{path.name}: {counts['self_loops']} self-loops dropped "
                     f"(first at line {first_loop})")
    if counts["duplicates"]:
        notes.append(f"{path.name}: {counts['duplicates']} duplicate ties merged "
                     "(strong if any copy is strong)")
    if not has_strength:
        notes.append(f"{path.name}: no strength column: every tie is weak")
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
        group[known:] = rng.choice(n_groups, size=n - known, p=np.asarray(group_shares))
        what = "in the edge list have no attributes" if nodes is not None else \
            "have no node file"
        notes.append(f"{n - known} people {what}: group drawn from group_shares")
    net = Network(net.indptr, net.indices, net.strong, tuple(notes))
    return net, group, NodeTable(ids, group, traits, access, notes)
