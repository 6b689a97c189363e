"""The social network: generators and edge-list input -> a compact CSR adjacency.

A :class:`Network` is a symmetric CSR adjacency (``indptr`` int64, ``indices`` int32,
neighbours sorted ascending, no self-loops, no duplicate ties) with one boolean
``strong`` flag per directed entry (symmetric): about 5 bytes per directed tie. Large
networks never live as networkx graphs: the generators below build edge arrays with
numpy directly (networkx is kept for analysis, :meth:`Network.to_networkx`, and as the
reference the tests compare the generators against).

Every random draw comes from the ``numpy.random.Generator`` passed in; the same
generator state gives the identical network.

Measured build times (``build_network``, n = 10^6 people, mean degree 20, i.e. 10^7
ties, 2-core container, numpy 2.4): Erdős–Rényi ≈ 2.3 s, SBM (5 groups) ≈ 1.5 s,
Barabási–Albert (m = 10) ≈ 3.6 s, Watts–Strogatz ≈ 1.2 s; the adjacency takes 108 MB.
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

__all__ = [
    "Network",
    "NodeTable",
    "barabasi_albert",
    "build_network",
    "erdos_renyi",
    "from_edges",
    "load_edge_list",
    "read_nodes_file",
    "sbm",
    "sbm_probabilities",
    "watts_strogatz",
]


@dataclass(frozen=True)
class Network:
    """Symmetric CSR adjacency with tie strength.

    Attributes
    ----------
    indptr : ndarray of int64, shape (n + 1,)
        Row ``i`` occupies ``indices[indptr[i]:indptr[i + 1]]``.
    indices : ndarray of int32, shape (2 · ties,)
        Neighbours of each person, ascending; symmetric, no self-loops, no duplicates.
    strong : ndarray of bool, shape (2 · ties,)
        Whether each directed entry is a strong tie (the same in both directions).
    notes : tuple of str
        What input handling did (dropped self-loops, merged duplicates, ...), one
        human-readable sentence each.
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
        """Ties per person (int64, shape (n,))."""
        if self._degree is None:
            object.__setattr__(self, "_degree", np.diff(self.indptr))
        return self._degree

    def csr(self, strong_weight: float = 1.0, weak_weight: float = 1.0) -> sp.csr_matrix:
        """The weighted adjacency as a scipy CSR matrix.

        Parameters
        ----------
        strong_weight, weak_weight : float
            Weight of a strong / weak tie (≥ 0).

        Returns
        -------
        scipy.sparse.csr_matrix
            Shape (n, n), float64, symmetric, sorted indices.
        """
        data = np.where(self.strong, strong_weight, weak_weight).astype(np.float64)
        return sp.csr_matrix((data, self.indices, self.indptr), shape=(self.n, self.n))

    def to_networkx(self):
        """A networkx Graph with edge attribute ``strong`` (bool); for small graphs."""
        import networkx as nx

        g = nx.Graph()
        g.add_nodes_from(range(self.n))
        rows = np.repeat(np.arange(self.n), self.degree)
        upper = rows < self.indices
        g.add_edges_from(
            (int(a), int(b), {"strong": bool(s)})
            for a, b, s in zip(rows[upper], self.indices[upper], self.strong[upper])
        )
        return g

    def nbytes(self) -> int:
        """Bytes held by the adjacency arrays (indptr, indices, strong)."""
        return self.indptr.nbytes + self.indices.nbytes + self.strong.nbytes

    def ties_of(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every tie of ``rows`` (ascending), in CSR order, in one C-level pass.

        Returns ``(targets, strong, row_start)``: the neighbour and strength (int8) of
        each tie, and where each row's ties start (length ``len(rows) + 1``).
        Many rows: scipy's CSR row indexing on a view that shares this network's
        arrays (one C loop); few rows: the same with numpy, which has far less overhead
        per call (the results are identical; tested).
        """
        if rows.size > 2000:
            sub = self._strength_matrix()[rows]
            return sub.indices, sub.data, sub.indptr
        starts = self.indptr[rows]
        counts = self.indptr[rows + 1] - starts
        row_start = np.zeros(rows.size + 1, dtype=np.int64)
        np.cumsum(counts, out=row_start[1:])
        pos = np.arange(row_start[-1], dtype=np.int64) + np.repeat(
            starts - row_start[:-1], counts
        )
        return self.indices[pos], self.strong.view(np.int8)[pos], row_start

    def _strength_matrix(self) -> sp.csr_matrix:
        cached = self.__dict__.get("_strength_csr")
        if cached is None:
            idx_dtype = np.int32 if self.indices.size < 2**31 - 1 else np.int64
            cached = sp.csr_matrix(
                (
                    self.strong.view(np.int8),
                    self.indices.astype(idx_dtype, copy=False),
                    self.indptr.astype(idx_dtype, copy=False),
                ),
                shape=(self.n, self.n),
                copy=False,
            )
            object.__setattr__(self, "_strength_csr", cached)
        return cached


def _unique(x: np.ndarray) -> np.ndarray:
    """Sorted distinct values (a sort and a mask: numpy ≥ 2.3's hash-based
    ``np.unique`` is many times slower on 10^7 int64)."""
    y = np.sort(x)
    keep = np.empty(y.shape[0], dtype=bool)
    keep[:1] = True
    np.not_equal(y[1:], y[:-1], out=keep[1:])
    return y[keep]


def _unique_first_inverse(x: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``np.unique(x, return_index=True, return_inverse=True)`` by a stable sort."""
    order = np.argsort(x, kind="stable")
    y = x[order]
    keep = np.empty(y.shape[0], dtype=bool)
    keep[:1] = True
    np.not_equal(y[1:], y[:-1], out=keep[1:])
    inverse = np.empty(x.shape[0], dtype=np.int64)
    inverse[order] = np.cumsum(keep) - 1
    return y[keep], order[keep], inverse


def _row_rank(rows_sorted: np.ndarray, n: int) -> np.ndarray:
    """Rank of each entry among the equal values before it in a sorted row array."""
    counts = np.bincount(rows_sorted, minlength=n)
    first = np.cumsum(counts) - counts
    return np.arange(rows_sorted.shape[0], dtype=np.int64) - first[rows_sorted]


def from_edges(
    n: int,
    src: np.ndarray,
    dst: np.ndarray,
    strong: np.ndarray | None = None,
    notes: tuple[str, ...] = (),
    strong_fraction: float | None = None,
    rng: np.random.Generator | None = None,
) -> tuple[Network, dict[str, int]]:
    """Build a :class:`Network` from undirected edge arrays (vectorised, no Python loop).

    Parameters
    ----------
    n : int
        Number of people; every id in ``src`` and ``dst`` must be in ``[0, n)``.
    src, dst : array of int
        The two ends of each edge (either direction; order does not matter).
    strong : array of bool, optional
        Strength of each edge. A pair given several times is strong if any copy is.
    notes : tuple of str
        Stored in :attr:`Network.notes`.
    strong_fraction, rng : float in [0, 1], Generator, optional
        Instead of ``strong``: each distinct tie is strong with this probability, one
        ``rng.random()`` per tie in ascending (min, max) order.

    Returns
    -------
    network : Network
    counts : dict
        ``self_loops`` and ``duplicates`` (number dropped / merged), and, when
        ``strong`` is given, ``first_self_loop`` and ``first_duplicate``: the index in
        ``src`` of the first self-loop and of the first repeat of an earlier pair
        (-1 if none).

    Notes
    -----
    Distinct ties are found by sorting int64 keys ``min·n + max``. The CSR arrays are
    then filled by counting: the ties in (min, max) order give every row's higher
    neighbours in order; the ties sorted by (max, min) give every row's lower
    neighbours in order; a row is its lower then its higher neighbours.
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    if src.shape != dst.shape:
        raise ValueError("src and dst must have the same length")
    loop = src == dst
    n_loops = int(np.count_nonzero(loop))
    counts = {"self_loops": n_loops, "duplicates": 0}
    if n_loops:
        kept = np.flatnonzero(~loop)
        src, dst = src[kept], dst[kept]
    else:
        kept = None
    key = np.minimum(src, dst) * n + np.maximum(src, dst)
    del src, dst
    if strong is None:
        key.sort()
        distinct = np.empty(key.shape[0], dtype=bool)
        distinct[:1] = True
        np.not_equal(key[1:], key[:-1], out=distinct[1:])
        uniq = key[distinct]
        if rng is not None and strong_fraction is not None:
            s_u = rng.random(uniq.shape[0]) < strong_fraction
        else:
            s_u = np.zeros(uniq.shape[0], bool)
    else:
        strong = np.asarray(strong, dtype=bool)
        if kept is not None:
            strong = strong[kept]
        order = np.argsort(key, kind="stable")
        ks = key[order]
        distinct = np.empty(ks.shape[0], dtype=bool)
        distinct[:1] = True
        np.not_equal(ks[1:], ks[:-1], out=distinct[1:])
        uniq = ks[distinct]
        del ks
        starts = np.flatnonzero(distinct)
        s_u = np.logical_or.reduceat(strong[order], starts) if starts.size else np.zeros(0, bool)
        repeats = order[~distinct]
        first_dup = int(repeats.min()) if repeats.size else -1
        first_loop = int(np.argmax(loop)) if n_loops else -1
        if first_dup >= 0 and kept is not None:
            first_dup = int(kept[first_dup])
        counts["first_self_loop"] = first_loop
        counts["first_duplicate"] = first_dup
        del order, repeats
    counts["duplicates"] = int(key.shape[0] - uniq.shape[0])
    del key
    lo, hi = np.divmod(uniq, n)
    lower_count = np.bincount(hi, minlength=n)  # neighbours below the row
    degree = lower_count + np.bincount(lo, minlength=n)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(degree, out=indptr[1:])
    indices = np.empty(int(indptr[-1]), dtype=np.int32)
    strong_flags = np.empty(int(indptr[-1]), dtype=bool)
    # higher neighbours of row lo: after the row's lower ones, in (lo, hi) order
    pos = indptr[lo] + lower_count[lo] + _row_rank(lo, n)
    indices[pos] = hi
    strong_flags[pos] = s_u
    # lower neighbours of row hi: sort the ties by (hi, lo), carrying the strength bit
    tkey = (hi * n + lo) * 2 + s_u
    del lo, hi, uniq
    tkey.sort()
    s_t = (tkey & 1).astype(bool)
    tkey >>= 1
    hi_t, lo_t = np.divmod(tkey, n)
    del tkey
    pos = indptr[hi_t] + _row_rank(hi_t, n)
    indices[pos] = lo_t
    strong_flags[pos] = s_t
    return Network(indptr, indices, strong_flags, tuple(notes)), counts


# ---------------------------------------------------------------------- generators
def _decode_triangular(pick: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Pair ``(i, j)``, ``i < j``, of the index ``pick`` in row-major upper-triangular order."""
    i = (n - 2 - np.floor(np.sqrt(-8 * pick + 4 * n * (n - 1) - 7) / 2 - 0.5)).astype(np.int64)
    j = pick + i + 1 - n * (n - 1) // 2 + (n - i) * ((n - i) - 1) // 2
    return i, j


def _distinct_pairs(
    n_a: int, n_b: int | None, m: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """``m`` distinct pairs, a uniformly random set of them.

    Unordered pairs ``i < j`` of ``range(n_a)`` (``n_b is None``) or ordered pairs
    ``(i, j)`` of ``range(n_a) × range(n_b)``. Dense cases choose among all pair
    indices; sparse ones draw pairs with replacement, keep the distinct ones and top
    up with fresh draws (rejection), which gives a uniform m-subset. Returned sorted by
    pair key.
    """
    total = n_a * (n_a - 1) // 2 if n_b is None else n_a * n_b
    m = int(min(m, total))
    if m <= 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    if total <= 4_000_000 or m > total // 4:  # dense: choose among all pair indices
        pick = np.sort(rng.choice(total, size=m, replace=False))
        if n_b is not None:
            return np.divmod(pick, n_b)
        return _decode_triangular(pick, n_a)
    width = n_a if n_b is None else n_b

    def draw(k: int) -> np.ndarray:
        i = rng.integers(0, n_a, size=k)
        j = rng.integers(0, width, size=k)
        if n_b is None:
            ok = i != j
            return np.minimum(i[ok], j[ok]) * n_a + np.maximum(i[ok], j[ok])
        return i * n_b + j

    keys = _unique(draw(m))
    while keys.size < m:
        new = _unique(draw(m - keys.size))
        at = np.searchsorted(keys, new)
        present = keys[np.minimum(at, keys.size - 1)] == new
        new = new[~present]
        if new.size > m - keys.size:  # more than needed: a uniform subset of them
            new = np.sort(rng.choice(new, size=m - keys.size, replace=False))
        keys = np.sort(np.concatenate([keys, new]), kind="stable")  # merges two runs
    return np.divmod(keys, width)


def erdos_renyi(
    n: int, mean_degree: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Erdős–Rényi G(n, p) with ``p = mean_degree / (n − 1)``.

    The number of ties is drawn from Binomial(n(n−1)/2, p), then that many distinct
    pairs uniformly (array based; n = 10^6 at mean degree 20 takes ≈ 2 s).

    Parameters
    ----------
    n : int
        Number of people (≥ 0).
    mean_degree : float
        Expected ties per person (> 0; capped at n − 1).
    rng : numpy.random.Generator

    Returns
    -------
    src, dst : ndarray of int64
        One entry per tie, ``src < dst``, no duplicates.
    """
    pairs = n * (n - 1) // 2
    p = min(1.0, mean_degree / max(n - 1, 1))
    m = int(rng.binomial(pairs, p)) if pairs else 0
    return _distinct_pairs(n, None, m, rng)


def watts_strogatz(
    n: int, k: int, p: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Watts–Strogatz small world: ring lattice, then rewiring.

    Each person is tied to its ``k / 2`` nearest neighbours on each side; then each
    tie's far end is rewired with probability ``p`` to a person drawn uniformly from
    everybody but the near end (no self-loop). A rewired tie that duplicates another
    is merged later by :func:`from_edges` (networkx redraws instead; the difference
    in mean degree is below ``p·k²/n``).

    Parameters
    ----------
    n : int
        Number of people (≥ 3).
    k : int
        Lattice degree; rounded down to even, at least 2 and at most n − 1.
    p : float
        Rewiring probability in [0, 1].
    rng : numpy.random.Generator

    Returns
    -------
    src, dst : ndarray of int64
    """
    k = max(2, min(k - k % 2, n - 1 - (n - 1) % 2))
    src = np.repeat(np.arange(n, dtype=np.int64), k // 2)
    dst = (src + np.tile(np.arange(1, k // 2 + 1, dtype=np.int64), n)) % n
    rewire = rng.random(src.size) < p
    new = rng.integers(0, n - 1, size=int(rewire.sum()))
    s = src[rewire]
    dst[rewire] = new + (new >= s)  # uniform over everybody but the source
    return src, dst


def barabasi_albert(n: int, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Barabási–Albert preferential attachment, as ``networkx.barabasi_albert_graph``.

    A star of ``m + 1`` people (person 0 at the centre) to start; then each person
    ``v > m`` brings ``m`` ties to ``m`` *distinct* earlier people, each chosen with
    probability proportional to degree (a uniformly chosen end of an earlier tie,
    Batagelj & Brandes 2005). Mean degree ``2m(n − m)/n`` → 2m, power-law
    tail with exponent 3.

    The linear-time algorithm's array of tie ends is resolved by pointer jumping in
    numpy instead of a sequential loop: a draw that lands on the *target* end of an
    earlier tie takes that tie's (recursively resolved) target. A person that picks
    the same target twice redraws the later copy, and the ties downstream of it are
    resolved again, until every person has ``m`` distinct targets (a few rounds; the
    rare redraws are checked against the then-current state, which is equivalent to
    networkx's rejection sampling up to a negligible ordering effect).
    n = 10^6, m = 10 takes ≈ 3.3 s (15 redraw rounds, ≈ 2000 redraws).

    Parameters
    ----------
    n : int
        Number of people.
    m : int
        Ties brought by each new person (≥ 1).
    rng : numpy.random.Generator

    Returns
    -------
    src, dst : ndarray of int64
        ``n_ties = m + (n − m − 1)·m`` ties, no duplicates, no self-loops.
    """
    m = max(1, int(m))
    if n <= m + 1:  # only (part of) the star
        v = np.arange(1, n, dtype=np.int64)
        return v, np.zeros_like(v)
    E = m + (n - m - 1) * m
    e = np.arange(E, dtype=np.int64)

    def source(k: np.ndarray) -> np.ndarray:
        return np.where(k < m, k + 1, (k - m) // m + m + 1)

    v = source(e)
    hi = np.where(e < m, 0, 2 * m * (v - m))  # number of tie ends of earlier people
    del e
    r = (rng.random(E) * hi).astype(np.int64)
    target = np.zeros(E, dtype=np.int64)  # the star's ties end at person 0

    def resolve(todo: np.ndarray) -> None:
        pos = r[todo]
        while todo.size:
            even = pos % 2 == 0
            target[todo[even]] = source(pos[even] // 2)  # the source end of a tie
            odd = ~even
            todo, nxt = todo[odd], (pos[odd] - 1) // 2  # the target end of tie nxt:
            star = nxt < m
            target[todo[star]] = 0  # ... of the star: person 0
            todo, pos = todo[~star], r[nxt[~star]]  # ... else that tie's own draw

    resolve(np.arange(m, E, dtype=np.int64))

    # Redraws. A tie's target depends on the ties its pointer chain passes through, so
    # after redrawing some ties only their descendants in the pointer forest (parent
    # of tie e = the tie whose target end r[e] is, always an earlier tie) change.
    def parent(ties: np.ndarray) -> np.ndarray:
        p = r[ties]
        return np.where((p % 2 == 1) & (p >= 2 * m + 1), (p - 1) // 2, -1)

    kids_ptr = kids = None
    extra_parent = extra_kid = np.zeros(0, np.int64)  # links added by redraws

    def descendants(roots: np.ndarray) -> np.ndarray:
        found, front = [roots], roots
        while front.size:
            start, stop = kids_ptr[front], kids_ptr[front + 1]
            cnt = stop - start
            at = np.repeat(start - np.cumsum(cnt) + cnt, cnt) + np.arange(cnt.sum())
            nxt = [kids[at]]
            if extra_kid.size:
                nxt.append(extra_kid[np.isin(extra_parent, front)])
            front = _unique(np.concatenate(nxt))
            found.append(front)
        return _unique(np.concatenate(found))

    rows = np.arange(n - m - 1, dtype=np.int64)  # persons m+1.. whose picks to check
    while rows.size:
        block = target[m:].reshape(-1, m)[rows]
        order = np.argsort(block, axis=1, kind="stable")
        srt = np.take_along_axis(block, order, axis=1)
        dup = srt[:, 1:] == srt[:, :-1]  # a later copy (stable sort keeps pick order)
        if not dup.any():
            break
        if kids is None:  # the forest's child lists (stale links only cost work)
            par = parent(np.arange(E, dtype=np.int64))
            linked = np.flatnonzero(par >= 0)
            by_par = np.argsort(par[linked], kind="stable")
            kids = linked[by_par]
            kids_ptr = np.zeros(E + 1, dtype=np.int64)
            np.cumsum(np.bincount(par[linked], minlength=E), out=kids_ptr[1:])
            del par, linked, by_par
        which = np.nonzero(dup)
        redo = m + rows[which[0]] * m + order[:, 1:][which]
        r[redo] = (rng.random(redo.size) * hi[redo]).astype(np.int64)
        new_par = parent(redo)
        extra_parent = np.concatenate([extra_parent, new_par[new_par >= 0]])
        extra_kid = np.concatenate([extra_kid, redo[new_par >= 0]])
        affected = descendants(redo)
        before = target[affected]
        resolve(affected)
        changed = affected[target[affected] != before]
        rows = _unique(np.concatenate([changed - m, redo - m]) // m)
    return v, target


def sbm_probabilities(
    sizes: np.ndarray, mean_degree: float, homophily: float
) -> tuple[float, float]:
    """Within- and between-group tie probabilities of the homophilous SBM.

    Solved from two equations over all pairs: the expected number of ties is
    ``mean_degree · n / 2`` and the expected share of them inside groups is
    ``homophily``::

        p_in  = h · c · n / (2W),    p_out = (1 − h) · c · n / (2B)

    with ``W`` the number of within-group pairs and ``B`` of between-group pairs. With
    equal group sizes every person's expected share of ties inside their own group is
    then ``h``; with unequal sizes ``h`` is the population-wide share (people in small
    groups have a smaller own-group share). ``h = W / (W + B)`` (≈ Σ share², i.e.
    random mixing) gives ``p_in = p_out``: Erdős–Rényi. A probability above 1 is capped
    at 1 (then the mean degree falls short of the target).

    Parameters
    ----------
    sizes : array of int
        People per group.
    mean_degree : float
        Expected ties per person (> 0).
    homophily : float
        Expected share of ties within groups, in [0, 1].

    Returns
    -------
    p_in, p_out : float
        Tie probability of a within-group and of a between-group pair, in [0, 1].
    """
    sizes = np.asarray(sizes, dtype=float)
    n = sizes.sum()
    W = float(np.sum(sizes * (sizes - 1) / 2))
    B = float((n * n - np.sum(sizes**2)) / 2)
    ties = mean_degree * n / 2
    if B == 0:
        return (min(1.0, ties / W) if W else 0.0), 0.0
    if W == 0:
        return 0.0, min(1.0, ties / B)
    return min(1.0, homophily * ties / W), min(1.0, (1 - homophily) * ties / B)


def sbm(
    groups: np.ndarray, mean_degree: float, homophily: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Stochastic block model with homophily by group.

    Block probabilities from :func:`sbm_probabilities`. For each block pair (in the
    order (0,0), (0,1), …, (1,1), …) the number of ties is drawn from a Binomial over
    the block's pairs and that many distinct pairs uniformly (array based).

    Parameters
    ----------
    groups : array of int
        0-based group of each person.
    mean_degree : float
        Expected ties per person (> 0).
    homophily : float
        Expected share of ties inside groups, in [0, 1].
    rng : numpy.random.Generator

    Returns
    -------
    src, dst : ndarray of int64
        One entry per tie, no duplicates, no self-loops.
    """
    groups = np.asarray(groups)
    G = int(groups.max()) + 1 if groups.size else 0
    by_group = np.argsort(groups, kind="stable")
    bounds = np.searchsorted(groups[by_group], np.arange(G + 1))
    members = [by_group[bounds[g] : bounds[g + 1]].astype(np.int64) for g in range(G)]
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
            else:
                pairs, p = len(a) * len(b), p_out
                count = int(rng.binomial(pairs, p)) if pairs else 0
                i, j = _distinct_pairs(len(a), len(b), count, rng)
            srcs.append(a[i])
            dsts.append(b[j])
    if not srcs:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    return np.concatenate(srcs), np.concatenate(dsts)


def build_network(params: NetworkParams, groups: np.ndarray, rng: np.random.Generator) -> Network:
    """Generate the network of ``params.kind`` for people with these ``groups``.

    ``erdos_renyi``: G(n, p) with the mean degree; ``watts_strogatz``: lattice degree
    ``k`` = mean degree rounded to the nearest even number ≥ 2, rewiring
    ``params.rewire_prob``; ``barabasi_albert``: ``m = max(1, round(mean_degree / 2))``;
    ``sbm``: homophily ``params.homophily`` by ``groups``.

    Tie strength: one ``rng.random()`` per undirected tie, in ascending (min, max)
    order, after the structure; a tie is strong if it is below
    ``params.strong_fraction``. Deterministic given the state of ``rng``.

    Parameters
    ----------
    params : NetworkParams
    groups : array of int
        0-based group of each person; its length is the number of people.
    rng : numpy.random.Generator
        The only source of randomness.

    Raises
    ------
    ValueError
        For ``kind = "edgelist"`` (use :func:`load_edge_list`) or an unknown kind.
    """
    n = len(groups)
    c = params.mean_degree
    if params.kind == "erdos_renyi":
        src, dst = erdos_renyi(n, c, rng)
    elif params.kind == "watts_strogatz":
        src, dst = watts_strogatz(n, max(2, int(round(c / 2)) * 2), params.rewire_prob, rng)
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


def read_nodes_file(path: Path, n_groups: int) -> NodeTable:
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
    optional = [*TRAITS, "digital_access"]
    try:
        fh = open(path, newline="", encoding="utf-8-sig")
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
