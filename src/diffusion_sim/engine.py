"""The vectorised engine: one step of the model over arrays, no Python loop over people.

Semantics and random draws are exactly those of the per-agent rules in
:class:`diffusion_sim.model.Person` (see the draw protocol in :mod:`diffusion_sim.model`).
Exposure works on the ties of the people who act this step: the ties of all sharers
are gathered from the CSR adjacency in one ``np.repeat``/``arange`` pass, so the cost
of a step grows with the number of ties of *active* people, and is at most that of a
sparse matrix-vector product when everybody shares.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from diffusion_sim.decision import AVOID, OPEN, choose, utilities

if TYPE_CHECKING:
    from diffusion_sim.model import DiffusionModel, StepEvents


def ties_of(indptr: np.ndarray, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions in the CSR arrays of every tie of ``rows`` (ascending rows, ties in order).

    Returns ``(positions, owner)`` where ``owner[j]`` indexes ``rows``.
    """
    starts = indptr[rows]
    counts = indptr[rows + 1] - starts
    total = int(counts.sum())
    owner = np.repeat(np.arange(rows.size, dtype=np.int64), counts)
    if total == 0:
        return np.zeros(0, dtype=np.int64), owner
    shift = starts - (np.cumsum(counts) - counts)
    positions = np.arange(total, dtype=np.int64) + shift[owner]
    return positions, owner


def _flag(n: int, idx: np.ndarray) -> np.ndarray:
    out = np.zeros(n, dtype=bool)
    out[idx] = True
    return out


def _has_tie(indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray, cols: np.ndarray
             ) -> np.ndarray:
    """Position of tie ``rows[j] -> cols[j]`` in the CSR arrays, or -1 (vectorised
    binary search within each row; rows' neighbours are sorted)."""
    lo = indptr[rows].copy()
    hi = indptr[rows + 1].copy()
    while True:
        active = lo < hi
        if not active.any():
            break
        mid = (lo + hi) // 2
        go_right = active & (indices[np.minimum(mid, indices.size - 1)] < cols)
        lo = np.where(go_right, mid + 1, lo)
        hi = np.where(active & ~go_right, mid, hi)
    found = (lo < indptr[rows + 1]) & (indices[np.minimum(lo, indices.size - 1)] == cols)
    return np.where(found, lo, -1)


def vectorized_step(m: DiffusionModel) -> StepEvents:
    """Advance ``m`` by one step with array operations; returns the step's events."""
    from diffusion_sim.model import (
        AWARE,
        BY_BROADCAST,
        BY_PEER,
        DISENGAGED,
        ENGAGED,
        UNAWARE,
        StepEvents,
    )

    sc = m.scenario
    rng = m.rng
    n = m.n
    net = m.network
    indptr, indices, strong = net.indptr, net.indices, net.strong
    state = m.state
    table = m.table

    # 1. decide ------------------------------------------------------------
    can_share = np.flatnonzero((state == ENGAGED) & m.access)
    if sc.decision.share_once:
        deciders = can_share[m.engaged_step[can_share] == m.t - 1]
    else:
        deciders = can_share[rng.random(can_share.size) < sc.decision.share_rate]
    m.strategy.fill(-1)
    if m.forced is not None:
        choices = np.full(deciders.size, m.forced, dtype=np.int64)
    else:
        draw = rng.random(deciders.size) if m.draw_choice else None
        seen = m.seen_sharing[deciders] / np.maximum(m.degree[deciders], 1)
        u = utilities(table, m.traits["privacy_concern"][deciders],
                      m.traits["identity_sensitivity"][deciders],
                      m.traits["other_regard"][deciders], seen, sc.decision.norm_weight)
        choices = choose(u, draw, sc.decision.temperature)
    m.strategy[deciders] = choices

    # 2. share: first-hand exposures (one draw per tie of each sharer) ------
    act = choices != AVOID
    sharers = deciders[act]
    tgt, tie_strong, start = net.ties_of(sharers)
    per_sharer = np.diff(start)
    # code = 2·strategy + strong indexes the small per-tie tables
    code = np.repeat((choices[act] * 2).astype(np.int8), per_sharer) + tie_strong
    draws = rng.random(tgt.size)
    in_aud = m.in_audience_flat[code]
    m.seen_next += np.bincount(tgt[in_aud], minlength=n).astype(np.int32)
    hit = np.flatnonzero((draws < m.p_tie_audience[code]) & m.access[tgt])
    h_tgt = tgt[hit]
    h_src = np.repeat(sharers, per_sharer)[hit]
    h_strategy = code[hit] // 2
    # the first source of each receiver is its lowest-index sharer (sharers ascend)
    first_src = np.full(n, n, dtype=np.int64)
    np.minimum.at(first_src, h_tgt, h_src)
    exposed_first = first_src < n
    is_open = h_strategy == OPEN
    open_from_higher = _flag(n, h_tgt[is_open & (m.group[h_src] > m.group[h_tgt])])
    not_only_open = _flag(n, h_tgt[~is_open])

    # 2b-c. reshares: loss of control ----------------------------------------
    exposed_second = np.zeros(n, dtype=bool)
    unwanted_sources = np.zeros(0, dtype=np.int64)
    rp = sc.transmission.reshare_prob
    if rp > 0:
        exposed1_idx = np.flatnonzero(exposed_first)
        resharers = exposed1_idx[rng.random(exposed1_idx.size) < rp]
        origin = first_src[resharers]
        # the source's strategy: the decision of the origin this step
        o_strategy = m.strategy[origin].astype(np.int64)
        tgt2, strong2, start2 = net.ties_of(resharers)
        draws2 = rng.random(tgt2.size)
        per_resharer = np.diff(start2)
        e_origin = np.repeat(origin, per_resharer)
        p2 = m.p_tie.ravel()[np.repeat(o_strategy * 2, per_resharer) + strong2]
        hit2 = np.flatnonzero((draws2 < p2) & (tgt2 != e_origin) & m.access[tgt2])
        tgt2, e_origin = tgt2[hit2].astype(np.int64), e_origin[hit2]
        exposed_second[tgt2] = True
        where = _has_tie(indptr, indices, e_origin, tgt2)
        inside = where >= 0
        inside[inside] = (strong[where[inside]]
                          | ~table.strong_only[m.strategy[e_origin[inside]]])
        unwanted_sources = e_origin[~inside]

    # 2d. broadcast ------------------------------------------------------------
    broadcast = np.zeros(n, dtype=bool)
    rate = sc.intervention.broadcast_rate
    if rate > 0:
        open_to = np.flatnonzero(state <= AWARE)
        broadcast[open_to[rng.random(open_to.size) < rate]] = True

    # 3. respond -------------------------------------------------------------
    exposed = exposed_first | exposed_second | broadcast
    new_aware = np.flatnonzero(exposed & (state == UNAWARE))
    state[new_aware] = AWARE
    m.reached_by[new_aware] = np.where(broadcast[new_aware], BY_BROADCAST, BY_PEER)
    candidates = np.flatnonzero(exposed & (state == AWARE))
    penalised = (open_from_higher[candidates] & ~not_only_open[candidates]
                 & ~exposed_second[candidates] & ~broadcast[candidates])
    p_engage = m.traits["receptiveness"][candidates] * np.where(
        penalised, sc.transmission.comparison_penalty, 1.0)
    new_engaged = candidates[rng.random(candidates.size) < p_engage]
    state[new_engaged] = ENGAGED
    m.engaged_step[new_engaged] = m.t
    m.engaged_via[new_engaged] = np.where(broadcast[new_engaged], BY_BROADCAST, BY_PEER)

    # 3b. attrition ------------------------------------------------------------
    new_disengaged = np.zeros(0, dtype=np.int64)
    attrition = sc.transmission.attrition
    if attrition > 0:
        old = np.flatnonzero((state == ENGAGED) & (m.engaged_step < m.t))
        new_disengaged = old[rng.random(old.size) < attrition]
        state[new_disengaged] = DISENGAGED

    return StepEvents(
        new_aware=new_aware,
        new_aware_peer=new_aware[m.reached_by[new_aware] == BY_PEER],
        new_engaged=new_engaged,
        new_engaged_peer=new_engaged[m.engaged_via[new_engaged] == BY_PEER],
        new_disengaged=new_disengaged,
        deciders=deciders,
        choices=choices,
        exposure_sources=h_src,
        unwanted_sources=unwanted_sources,
    )
