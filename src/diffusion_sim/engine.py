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
    m.strategy[:] = -1
    if m.forced is not None:
        choices = np.full(deciders.size, m.forced, dtype=np.int64)
    else:
        noise = rng.gumbel(size=(deciders.size, 4)) if m.draw_gumbel else None
        seen = m.seen_sharing[deciders] / np.maximum(m.degree[deciders], 1)
        u = utilities(table, m.traits["privacy_concern"][deciders],
                      m.traits["identity_sensitivity"][deciders],
                      m.traits["other_regard"][deciders], seen, sc.decision.norm_weight)
        choices = choose(u, noise, sc.decision.temperature).astype(np.int64)
    m.strategy[deciders] = choices

    # 2. share: first-hand exposures ---------------------------------------
    act = choices != AVOID
    sharers, s_strategy = deciders[act], choices[act]
    pos, owner = ties_of(indptr, sharers)
    tgt = indices[pos].astype(np.int64)
    tie_strong = strong[pos]
    e_strategy = s_strategy[owner]
    in_aud = tie_strong | ~table.strong_only[e_strategy]
    m.seen_next += np.bincount(tgt[in_aud], minlength=n).astype(np.int32)
    aud_src = sharers[owner[in_aud]]
    aud_tgt = tgt[in_aud]
    aud_strategy = e_strategy[in_aud]
    aud_strong = tie_strong[in_aud]
    audience_keys = aud_src * n + aud_tgt  # ascending: sharers ascending, ties sorted
    reach = m.access[aud_tgt]
    d_src, d_tgt = aud_src[reach], aud_tgt[reach]
    d_strategy, d_strong = aud_strategy[reach], aud_strong[reach]
    hit = rng.random(d_tgt.size) < m.p_tie[d_strategy, d_strong.astype(np.intp)]
    h_src, h_tgt, h_strategy = d_src[hit], d_tgt[hit], d_strategy[hit]
    exposed1_idx, first = np.unique(h_tgt, return_index=True)  # first hit = lowest sharer
    exposed_first = _flag(n, exposed1_idx)
    source = h_src[first]
    source_strategy = h_strategy[first]
    is_open = h_strategy == OPEN
    open_from_higher = _flag(n, h_tgt[is_open & (m.group[h_src] > m.group[h_tgt])])
    not_only_open = _flag(n, h_tgt[~is_open])

    # 2b-c. reshares: loss of control ----------------------------------------
    exposed_second = np.zeros(n, dtype=bool)
    unwanted_sources = np.zeros(0, dtype=np.int64)
    rp = sc.transmission.reshare_prob
    if rp > 0 and exposed1_idx.size:
        resh = rng.random(exposed1_idx.size) < rp
        resharers = exposed1_idx[resh]
        origin, o_strategy = source[resh], source_strategy[resh]
        pos2, owner2 = ties_of(indptr, resharers)
        tgt2 = indices[pos2].astype(np.int64)
        e_origin = origin[owner2]
        ok = (tgt2 != e_origin) & m.access[tgt2]
        tgt2, e_origin, pos2 = tgt2[ok], e_origin[ok], pos2[ok]
        e_strategy2 = o_strategy[owner2[ok]]
        hit2 = rng.random(tgt2.size) < m.p_tie[e_strategy2, strong[pos2].astype(np.intp)]
        tgt2, e_origin = tgt2[hit2], e_origin[hit2]
        exposed_second[tgt2] = True
        keys = e_origin * n + tgt2
        where = np.searchsorted(audience_keys, keys)
        inside = where < audience_keys.size
        inside[inside] = audience_keys[where[inside]] == keys[inside]
        unwanted_sources = e_origin[~inside]

    # 2d. broadcast ------------------------------------------------------------
    broadcast = np.zeros(n, dtype=bool)
    rate = sc.intervention.broadcast_rate
    if rate > 0:
        open_to = np.flatnonzero(state <= AWARE)
        broadcast[open_to[rng.random(open_to.size) < rate]] = True

    # 3. respond -------------------------------------------------------------
    peer = exposed_first | exposed_second
    exposed = peer | broadcast
    via = np.where(broadcast, BY_BROADCAST, BY_PEER).astype(np.int8)
    new_aware = np.flatnonzero(exposed & (state == UNAWARE))
    state[new_aware] = AWARE
    m.reached_by[new_aware] = via[new_aware]
    candidates = np.flatnonzero(exposed & (state == AWARE))
    penalised = (open_from_higher & ~not_only_open & ~exposed_second & ~broadcast)[candidates]
    p_engage = m.traits["receptiveness"][candidates] * np.where(
        penalised, sc.transmission.comparison_penalty, 1.0)
    new_engaged = candidates[rng.random(candidates.size) < p_engage]
    state[new_engaged] = ENGAGED
    m.engaged_step[new_engaged] = m.t
    m.engaged_via[new_engaged] = via[new_engaged]

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
