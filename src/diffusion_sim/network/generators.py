"""Network generators, by registry: ``kind`` -> a function building the ties.

Every generator is one entry of :data:`GENERATORS`; a new one is a function
``(n, groups, params, rng) -> (src, dst)`` added there, and nothing else changes
(the scenario's ``network.kind`` choices are this table's keys plus ``"edgelist"``).
The generators build edge arrays with numpy directly (no networkx graph, no Python
loop over people); :func:`build_network` turns them into the CSR adjacency.

Every random draw comes from the ``numpy.random.Generator`` passed in; the same
generator state gives the identical network.

Measured build times (``build_network``, n = 10^6 people, mean degree 20, i.e. 10^7
ties, 2-core container, numpy 2.4): Erdős–Rényi ≈ 2.3 s, SBM (5 groups) ≈ 1.5 s,
Barabási–Albert (m = 10) ≈ 3.6 s, Watts–Strogatz ≈ 1.2 s; the adjacency takes 108 MB.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

from diffusion_sim.network.csr import Network, _unique, from_pairs, unique_in_place

if TYPE_CHECKING:
    from diffusion_sim.scenario import NetworkParams

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
    small = np.int32 if max(n_a, width) < 2**31 else np.int64

    def draw(k: int) -> np.ndarray:
        """Sorted distinct keys of k drawn pairs. The draws are int32 (numpy gives the
        same values as int64) and the keys are made a block at a time and de-duplicated
        in place: about 16 bytes per pair at the peak instead of about 50."""
        i = rng.integers(0, n_a, size=k, dtype=small)
        j = rng.integers(0, width, size=k, dtype=small)
        keys = np.empty(k, np.int64)
        size = 0
        for lo in range(0, k, 1 << 20):
            a = i[lo:lo + (1 << 20)].astype(np.int64)
            b = j[lo:lo + (1 << 20)].astype(np.int64)
            if n_b is None:
                ok = a != b
                a, b = a[ok], b[ok]
                block = np.minimum(a, b) * n_a + np.maximum(a, b)
            else:
                block = a * n_b + b
            keys[size:size + block.size] = block
            size += block.size
        del i, j
        keys = keys[:size]
        keys.sort()
        return keys[:unique_in_place(keys)]

    keys = draw(m)
    while keys.size < m:
        new = draw(m - keys.size)
        at = np.searchsorted(keys, new)
        present = keys[np.minimum(at, keys.size - 1)] == new
        new = new[~present]
        if new.size > m - keys.size:  # more than needed: a uniform subset of them
            new = np.sort(rng.choice(new, size=m - keys.size, replace=False))
        keys = np.sort(np.concatenate([keys, new]), kind="stable")  # merges two runs
    first, second = np.empty(keys.size, small), np.empty(keys.size, small)
    for lo in range(0, keys.size, 1 << 20):  # decoded a block at a time, as int32
        q, r = np.divmod(keys[lo:lo + (1 << 20)], width)
        first[lo:lo + q.size], second[lo:lo + q.size] = q, r
    return first, second


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
    inside, between, W, B = sbm_demand(sizes, mean_degree, homophily)
    return (min(1.0, inside / W) if W else 0.0), (min(1.0, between / B) if B else 0.0)


def sbm_demand(sizes: np.ndarray, mean_degree: float, homophily: float
               ) -> tuple[float, float, float, float]:
    """(expected ties inside groups, ties between groups, within-group pairs ``W``,
    between-group pairs ``B``) of the homophilous SBM (:func:`sbm_probabilities`):
    ``h · c · n / 2`` and ``(1 − h) · c · n / 2``, or all the ties on the only kind of
    pair there is."""
    sizes = np.asarray(sizes, dtype=float)
    n = sizes.sum()
    W = float(np.sum(sizes * (sizes - 1) / 2))
    B = float((n * n - np.sum(sizes**2)) / 2)
    ties = mean_degree * n / 2
    if B == 0:
        return ties, 0.0, W, B
    if W == 0:
        return 0.0, ties, W, B
    return homophily * ties, (1 - homophily) * ties, W, B


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
    small = np.int32 if groups.size < 2**31 else np.int64
    members = [by_group[bounds[g] : bounds[g + 1]].astype(small) for g in range(G)]
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


def degree_problem(n: int, sizes: np.ndarray, kind: str, mean_degree: float,
                   homophily: float) -> str | None:
    """Why a ``kind`` network of ``n`` people (``sizes`` per group) cannot have the
    requested mean degree (and, for the SBM, homophily), or None if it can.

    The generators cap what cannot be (a person has at most ``n − 1`` ties; a block
    holds only so many pairs), which would give fewer ties, or less homophily, than
    the scenario says, silently; the scenario is refused instead."""
    if kind == "edgelist":
        return None
    k = _lattice_degree(mean_degree) if kind == "watts_strogatz" else mean_degree
    if k > n - 1:
        return (f"mean degree {mean_degree:g} needs at least {math.ceil(k) + 1:,} people "
                f"(a person can have n - 1 ties), but there are {n:,}")
    if kind != "sbm":
        return None
    inside, between, within, across = sbm_demand(sizes, mean_degree, homophily)
    if inside > within * (1 + 1e-12) or between > across * (1 + 1e-12):
        return (f"mean degree {mean_degree:g} with homophily {homophily:g} needs "
                f"{inside:,.0f} ties inside groups and {between:,.0f} between them, "
                f"but {n:,} people in groups of {', '.join(f'{x:,.0f}' for x in sizes)} "
                f"have only {within:,.0f} and {across:,.0f} pairs")
    return None


# ---------------------------------------------------------------------- registry
def _lattice_degree(c: float) -> int:
    """Watts–Strogatz lattice degree: the mean degree rounded to the nearest even ≥ 2."""
    return max(2, int(round(c / 2)) * 2)


Generator = Callable[[int, np.ndarray, "NetworkParams", np.random.Generator],
                     tuple[np.ndarray, np.ndarray]]

#: kind -> ``(n, groups, params, rng) -> (src, dst)``: every generator, in one table.
GENERATORS: dict[str, Generator] = {
    "erdos_renyi": lambda n, groups, p, rng: erdos_renyi(n, p.mean_degree, rng),
    "watts_strogatz": lambda n, groups, p, rng: watts_strogatz(
        n, _lattice_degree(p.mean_degree), p.rewire_prob, rng),
    "barabasi_albert": lambda n, groups, p, rng: barabasi_albert(
        n, max(1, int(round(p.mean_degree / 2))), rng),
    "sbm": lambda n, groups, p, rng: sbm(groups, p.mean_degree, p.homophily, rng),
}
#: Every value of ``network.kind``: the generators, and a user's edge list.
NETWORK_KINDS: tuple[str, ...] = (*GENERATORS, "edgelist")


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
        For ``kind = "edgelist"`` (use :func:`~diffusion_sim.network.files.load_edge_list`)
        or an unknown kind.
    """
    make = GENERATORS.get(params.kind)
    if make is None:
        raise ValueError(f"build_network cannot generate kind {params.kind!r}")
    n = len(groups)
    src, dst = make(n, np.asarray(groups), params, rng)
    del make
    net, _ = from_pairs(n, src, dst, strong_fraction=params.strong_fraction, rng=rng)
    return net
