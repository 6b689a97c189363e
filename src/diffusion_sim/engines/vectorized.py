"""The vectorised engine: one step of the model over arrays, no Python loop over people.

Semantics and random draws are exactly those of the per-agent rules in
:mod:`diffusion_sim.engines.agents` (the draw protocol is in
:mod:`diffusion_sim.engines`). Exposure works on the ties of the people who act this
step: the ties of all sharers are gathered from the CSR adjacency in one C-level pass
(``Network.ties_of``), so the cost of a step grows with the number of ties of *active*
people rather than with the whole graph; what reached each person is kept as bits of
one byte per person, and the response runs on the exposed people only.
"""

from __future__ import annotations

import numpy as np

from diffusion_sim.decision import AVOID, choose, utilities
from diffusion_sim.rules import Rules
from diffusion_sim.state import BROADCASTER, Reach, RunState, State, StepEvents
from diffusion_sim.world import World

# bits of the per-person "what reached me this step" byte
FIRST_HAND, SECOND_HAND, BROADCAST, COMPARED_HIGHER, NOT_ONLY_COMPARED = 1, 2, 4, 8, 16
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


def note_exposers(state: RunState, r: int, persons: np.ndarray, peers: np.ndarray) -> None:
    """Count the distinct peers who exposed each person, up to the threshold ``r``
    (stage 2 reinforcement): the array form of ``Step.note_exposer``."""
    if persons.size == 0:
        return
    width = int(max(persons.max(), peers.max())) + 3  # peers >= BROADCASTER = -2
    key = np.unique(persons.astype(np.int64) * width + (peers.astype(np.int64) + 2))
    persons, peers = key // width, key % width - 2
    count = state.n_exposers[persons].astype(np.int64)
    fresh = count < r
    fresh &= ~(state.exposers[persons] == peers[:, None]).any(axis=1)
    persons, peers, count = persons[fresh], peers[fresh], count[fresh]
    if persons.size == 0:
        return
    # persons ascend: the rank of each new peer among the person's new peers
    first = np.flatnonzero(np.r_[True, persons[1:] != persons[:-1]])
    rank = np.arange(persons.size) - np.repeat(first, np.diff(np.r_[first, persons.size]))
    slot = count + rank
    keep = slot < r - 1
    state.exposers[persons[keep], slot[keep]] = peers[keep]
    who = persons[first]
    added = np.diff(np.r_[first, persons.size])
    state.n_exposers[who] = np.minimum(r, state.n_exposers[who] + added)


class VectorizedEngine:
    """The default engine: the rules as array operations (see the module docstring)."""

    name = "vectorized"

    def step(self, world: World, state: RunState, rules: Rules, rng: np.random.Generator
             ) -> StepEvents:
        """Advance ``state`` by one step; returns the step's events."""
        n = world.n
        net = world.network
        table = rules.table
        traits = world.traits
        st_all = state.state

        # 1. decide ------------------------------------------------------------
        can_share = np.flatnonzero((st_all == State.ENGAGED) & world.access)
        if rules.share_once:
            deciders = can_share[state.engaged_step[can_share] == state.t - 1]
        else:
            deciders = can_share[rng.random(can_share.size) < traits["activity"][can_share]]
        state.strategy.fill(-1)
        if rules.forced is not None:
            choices = np.full(deciders.size, rules.forced, dtype=np.int64)
        else:
            draw = rng.random(deciders.size) if rules.draw_choice else None
            seen = state.seen_sharing[deciders] / np.maximum(world.degree[deciders], 1)
            u = utilities(table, state.privacy_concern[deciders],
                          traits["identity_sensitivity"][deciders],
                          traits["other_regard"][deciders], seen, rules.norm_weight)
            choices = choose(u, draw, rules.temperature)
        state.strategy[deciders] = choices
        state.last_act[deciders] = choices  # its motivation holds until the next decision
        state.acts[deciders[choices != AVOID]] += 1

        # 2. share: first-hand exposures (one draw per tie of each sharer) ------
        act = choices != AVOID
        sharers = deciders[act]
        tgt, tie_strong, start = net.ties_of(sharers)
        per_sharer = np.diff(start)
        # code = 2·strategy + strong indexes the small per-tie tables
        code = np.repeat((choices[act] * 2).astype(np.int16), per_sharer) + tie_strong
        draws = rng.random(tgt.size)
        in_aud = rules.in_audience.ravel()[code]
        state.seen_next += np.bincount(tgt[in_aud], minlength=n).astype(np.int32)
        hit = np.flatnonzero((draws < rules.p_tie_audience[code]) & world.access.take(tgt))
        h_tgt = tgt[hit]
        h_src = np.repeat(sharers, per_sharer)[hit]
        compared = table.comparison[code[hit] >> 1]
        # what reached each person this step, as bits of one byte per person
        reached = np.zeros(n, dtype=np.uint8)
        reached[h_tgt] |= FIRST_HAND
        reached[h_tgt[compared & (world.group[h_src] > world.group[h_tgt])]] |= COMPARED_HIGHER
        reached[h_tgt[~compared]] |= NOT_ONLY_COMPARED

        pairs = [(h_tgt, h_src)]  # (exposed person, exposing peer), for reinforcement

        # 2b-c. reshares: loss of control ----------------------------------------
        unwanted_sources = self._reshare(world, state, rules, rng, reached, h_tgt, h_src, pairs)

        # 2d. broadcast ------------------------------------------------------------
        if rules.broadcast_rate > 0:
            open_to = np.flatnonzero(st_all <= State.AWARE)
            heard = open_to[rng.random(open_to.size) < rules.broadcast_rate]
            reached[heard] |= BROADCAST
            pairs.append((heard, np.full(heard.size, BROADCASTER, dtype=np.int64)))
        if rules.reinforcement > 1:
            note_exposers(state, rules.reinforcement, np.concatenate([p for p, _ in pairs]),
                          np.concatenate([q for _, q in pairs]))

        # 3. respond, 3b. attrition ----------------------------------------------
        new_aware, new_engaged = self._respond(world, state, rules, rng, reached)
        new_disengaged = np.zeros(0, dtype=np.int64)
        if rules.attrition > 0:
            old = np.flatnonzero((st_all == State.ENGAGED) & (state.engaged_step < state.t))
            rate = rules.attrition_after[state.last_act[old].astype(np.int64) + 1]
            new_disengaged = old[rng.random(old.size) < rate]
            st_all[new_disengaged] = State.DISENGAGED

        # 4. learning from loss of control -----------------------------------------
        if rules.learning_rate > 0 and unwanted_sources.size:
            lost = np.unique(unwanted_sources)
            pc = state.privacy_concern[lost]
            state.privacy_concern[lost] = pc + rules.learning_rate * (1.0 - pc)

        return StepEvents(
            new_aware=new_aware,
            new_aware_peer=new_aware[state.reached_by[new_aware] == Reach.PEER],
            new_engaged=new_engaged,
            new_engaged_peer=new_engaged[state.engaged_via[new_engaged] == Reach.PEER],
            new_disengaged=new_disengaged,
            deciders=deciders,
            choices=choices,
            exposure_sources=h_src,
            unwanted_sources=unwanted_sources,
        )

    @staticmethod
    def _reshare(world: World, state: RunState, rules: Rules, rng: np.random.Generator,
                 reached: np.ndarray, h_tgt: np.ndarray, h_src: np.ndarray,
                 pairs: list[tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
        """Reshares of first-hand receivers; returns the original sharer of every
        unwanted disclosure (second-hand exposure outside its chosen audience)."""
        rp = rules.reshare_prob
        if rp <= 0:
            return np.zeros(0, dtype=np.int64)
        net = world.network
        n = world.n
        # the first source of each receiver is its lowest-index sharer (sharers ascend)
        first_src = np.full(n, n, dtype=np.int64)
        np.minimum.at(first_src, h_tgt, h_src)
        exposed1_idx = np.flatnonzero(reached & FIRST_HAND)
        resharers = exposed1_idx[rng.random(exposed1_idx.size) < rp]
        origin = first_src[resharers]
        # the source's strategy: the decision of the origin this step
        o_strategy = state.strategy[origin].astype(np.int64)
        tgt2, strong2, start2 = net.ties_of(resharers)
        draws2 = rng.random(tgt2.size)
        per_resharer = np.diff(start2)
        e_origin = np.repeat(origin, per_resharer)
        p2 = rules.p_tie.ravel()[np.repeat(o_strategy * 2, per_resharer) + strong2]
        hit2 = np.flatnonzero((draws2 < p2) & (tgt2 != e_origin) & world.access[tgt2])
        tgt2, e_origin = tgt2[hit2].astype(np.int64), e_origin[hit2]
        reached[tgt2] |= SECOND_HAND
        pairs.append((tgt2, np.repeat(resharers, per_resharer)[hit2]))
        where = _has_tie(net.indptr, net.indices, e_origin, tgt2)
        inside = where >= 0
        inside[inside] = (net.strong[where[inside]]
                          | ~rules.table.strong_only[state.strategy[e_origin[inside]]])
        return e_origin[~inside]

    @staticmethod
    def _respond(world: World, state: RunState, rules: Rules, rng: np.random.Generator,
                 reached: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Exposed people become aware; aware ones engage. Returns (new aware, new engaged)."""
        exposed = np.flatnonzero(reached & EXPOSED)
        how = reached[exposed]
        via = np.where(how & BROADCAST, Reach.BROADCAST, Reach.PEER).astype(np.int8)
        st = state.state[exposed]
        newly = st == State.UNAWARE
        new_aware = exposed[newly]
        st[newly] = State.AWARE
        state.reached_by[new_aware] = via[newly]
        aware = st == State.AWARE
        candidates = exposed[aware]
        how_c = how[aware]
        # reached only first-hand by comparison-inviting sharing, once from a higher group
        penalised = (how_c & ~np.uint8(COMPARED_HIGHER)) == FIRST_HAND
        penalised &= (how_c & COMPARED_HIGHER) > 0
        p_engage = world.traits["receptiveness"][candidates] * np.where(
            penalised, rules.comparison_penalty, 1.0)
        engage = rng.random(candidates.size) < p_engage
        if rules.reinforcement > 1:  # only once enough distinct peers exposed them
            engage &= state.n_exposers[candidates] >= rules.reinforcement
        new_engaged = candidates[engage]
        st[np.flatnonzero(aware)[engage]] = State.ENGAGED
        state.state[exposed] = st
        state.engaged_step[new_engaged] = state.t
        state.engaged_via[new_engaged] = via[aware][engage]
        return new_aware, new_engaged
