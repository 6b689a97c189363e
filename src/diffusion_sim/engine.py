"""The vectorised engine: one step of the model over arrays, no Python loop over people.

Semantics and random draws are exactly those of the per-agent rules in
:class:`diffusion_sim.model.Person` (see the draw protocol in :mod:`diffusion_sim.model`).
Exposure works on the ties of the people who act this step: the ties of all sharers
are gathered from the CSR adjacency in one C-level pass (``Network.ties_of``), so the
cost of a step grows with the number of ties of *active* people rather than with the
whole graph; what reached each person is kept as bits of one byte per person, and the
response runs on the exposed people only.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from diffusion_sim.decision import AVOID, OPEN, choose, utilities

if TYPE_CHECKING:
    from diffusion_sim.model import DiffusionModel, StepEvents


# bits of the per-person "what reached me this step" byte
FIRST_HAND, SECOND_HAND, BROADCAST, OPEN_FROM_HIGHER, NOT_ONLY_OPEN = 1, 2, 4, 8, 16
EXPOSED = FIRST_HAND | SECOND_HAND | BROADCAST


def _has_tie(indptr: np.ndarray, indices: np.ndarray, rows: np.ndarray, cols: np.ndarray
             ) -> np.ndarray:
    """Position of tie ``rows[j] -> cols[j]`` in the CSR arrays, or -1 (vectorised
    binary search within each row; rows' neighbours are sorted)."""
    if rows.size == 0:
        return np.zeros(0, dtype=np.int64)
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
    hit = np.flatnonzero((draws < m.p_tie_audience[code]) & m.access.take(tgt))
    h_tgt = tgt[hit]
    h_src = np.repeat(sharers, per_sharer)[hit]
    is_open = code[hit] >= 2 * OPEN
    # what reached each person this step, as bits of one byte per person
    reached = np.zeros(n, dtype=np.uint8)
    reached[h_tgt] |= FIRST_HAND
    reached[h_tgt[is_open & (m.group[h_src] > m.group[h_tgt])]] |= OPEN_FROM_HIGHER
    reached[h_tgt[~is_open]] |= NOT_ONLY_OPEN

    # 2b-c. reshares: loss of control ----------------------------------------
    unwanted_sources = np.zeros(0, dtype=np.int64)
    rp = sc.transmission.reshare_prob
    if rp > 0:
        # the first source of each receiver is its lowest-index sharer (sharers ascend)
        first_src = np.full(n, n, dtype=np.int64)
        np.minimum.at(first_src, h_tgt, h_src)
        exposed1_idx = np.flatnonzero(reached & FIRST_HAND)
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
        reached[tgt2] |= SECOND_HAND
        where = _has_tie(indptr, indices, e_origin, tgt2)
        inside = where >= 0
        inside[inside] = (strong[where[inside]]
                          | ~table.strong_only[m.strategy[e_origin[inside]]])
        unwanted_sources = e_origin[~inside]

    # 2d. broadcast ------------------------------------------------------------
    rate = sc.intervention.broadcast_rate
    if rate > 0:
        open_to = np.flatnonzero(state <= AWARE)
        reached[open_to[rng.random(open_to.size) < rate]] |= BROADCAST

    # 3. respond (on the exposed people only) ---------------------------------
    exposed = np.flatnonzero(reached & EXPOSED)
    how = reached[exposed]
    via = np.where(how & BROADCAST, BY_BROADCAST, BY_PEER).astype(np.int8)
    st = state[exposed]
    newly = st == UNAWARE
    new_aware = exposed[newly]
    st[newly] = AWARE
    m.reached_by[new_aware] = via[newly]
    aware = st == AWARE
    candidates = exposed[aware]
    how_c = how[aware]
    # reached only by open sharing, at least once from a higher group
    penalised = (how_c & ~np.uint8(OPEN_FROM_HIGHER)) == FIRST_HAND
    penalised &= (how_c & OPEN_FROM_HIGHER) > 0
    p_engage = m.traits["receptiveness"][candidates] * np.where(
        penalised, sc.transmission.comparison_penalty, 1.0)
    engage = rng.random(candidates.size) < p_engage
    new_engaged = candidates[engage]
    st[np.flatnonzero(aware)[engage]] = ENGAGED
    state[exposed] = st
    m.engaged_step[new_engaged] = m.t
    m.engaged_via[new_engaged] = via[aware][engage]

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
