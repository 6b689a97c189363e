"""The adjacency of a network: a compact symmetric CSR with a strength flag per tie.

A :class:`Network` is a symmetric CSR adjacency (``indptr`` int64, ``indices`` int32,
neighbours sorted ascending, no self-loops, no duplicate ties) with one boolean
``strong`` flag per directed entry (symmetric): about 5 bytes per directed tie. Large
networks never live as networkx graphs: :func:`from_edges` builds the arrays from edge
arrays with numpy directly (networkx is kept for analysis, :meth:`Network.to_networkx`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numba as nb
import numpy as np
import scipy.sparse as sp

from diffusion_sim.bitexact import next_uniform, pcg_state, put_pcg_state


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


@nb.njit(cache=True)
def unique_in_place(x: np.ndarray) -> int:
    """Move the distinct values of a sorted array to its front; returns their count."""
    if x.size == 0:
        return 0
    out = 1
    for k in range(1, x.size):
        if x[k] != x[out - 1]:
            x[out] = x[k]
            out += 1
    return out


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


# ---------------------------------------------------------------------- generated ties
@nb.njit(cache=True, inline="always")
def tie_position(indptr, indices, row, col):
    """Position of tie row -> col in compiled code (each row's columns sorted), or -1."""
    lo = indptr[row]
    hi = indptr[row + 1]
    while lo < hi:
        mid = (lo + hi) >> 1
        if indices[mid] < col:
            lo = mid + 1
        else:
            hi = mid
    if lo < indptr[row + 1] and indices[lo] == col:
        return lo
    return -1


@nb.njit(cache=True)
def _csr_kernel(n, src, dst, fraction, draws, source):
    """The CSR of generated ties in place of a sort of int64 keys (see
    :func:`from_pairs`): counts, scatters, sorts and de-duplicates each row, then draws
    the strength of each distinct tie in ascending (min, max) order."""
    ptr = np.zeros(n + 1, np.int64)
    loops = 0
    for e in range(src.shape[0]):
        a, b = src[e], dst[e]
        if a == b:
            loops += 1
        else:
            ptr[a + 1] += 1
            ptr[b + 1] += 1
    for i in range(n):
        ptr[i + 1] += ptr[i]
    indices = np.empty(ptr[n], np.int32)
    fill = ptr[:n].copy()
    for e in range(src.shape[0]):
        a, b = src[e], dst[e]
        if a != b:
            indices[fill[a]] = b
            fill[a] += 1
            indices[fill[b]] = a
            fill[b] += 1
    out = 0
    for i in range(n):  # sort each row, drop repeats, compact
        lo, hi = ptr[i], ptr[i + 1]
        if hi - lo <= 48:  # insertion sort: a short row sorts faster than a sort call
            for k in range(lo + 1, hi):
                v = indices[k]
                q = k - 1
                while q >= lo and indices[q] > v:
                    indices[q + 1] = indices[q]
                    q -= 1
                indices[q + 1] = v
        else:
            indices[lo:hi].sort()
        ptr[i] = out
        prev = -1
        for k in range(lo, hi):
            v = indices[k]
            if v != prev:
                indices[out] = v
                out += 1
                prev = v
    duplicates = (ptr[n] - out) // 2
    ptr[n] = out
    strong = np.zeros(out, np.bool_)
    if draws:
        for i in range(n):
            for k in range(ptr[i], ptr[i + 1]):
                j = indices[k]
                if j > i and next_uniform(source) < fraction:
                    strong[k] = True
                    strong[tie_position(ptr, indices, j, i)] = True  # the same tie from j
    return ptr, indices, out, strong, loops, duplicates


def from_pairs(n: int, src: np.ndarray, dst: np.ndarray, strong_fraction: float | None = None,
               rng: np.random.Generator | None = None) -> tuple[Network, dict[str, int]]:
    """A :class:`Network` from generated edge arrays: the same result (and the same
    strength draws) as :func:`from_edges` without ``strong``, built in compiled code
    with about a third of its temporaries.

    Beside the inputs it needs the final arrays and two arrays of ``n`` row offsets: a
    row's ties are scattered into place, then each row is sorted and its repeats
    dropped, so no array of 64-bit keys is made. With ``rng`` and ``strong_fraction``,
    one uniform per distinct tie in ascending (min, max) order, as :func:`from_edges`.
    """
    if src.shape != dst.shape:
        raise ValueError("src and dst must have the same length")
    draws = rng is not None and strong_fraction is not None
    pcg = pcg_state(rng) if draws else None
    source = pcg if pcg is not None else (rng if draws else np.zeros(4, np.uint64))
    ptr, buffer, out, strong, loops, dups = _csr_kernel(
        n, src, dst, float(strong_fraction or 0.0), draws, source)
    if pcg is not None:
        put_pcg_state(rng, pcg)
    indices = buffer if out == buffer.size else buffer[:out].copy()  # free the repeats' room
    return Network(ptr, indices, strong), {"self_loops": int(loops), "duplicates": int(dups)}
