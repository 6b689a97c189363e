"""The compiled engine: the rules of a step as numba-compiled loops over plain arrays.

Semantics and random draws are exactly those of the per-agent reference
(:mod:`diffusion_sim.engines.agents`; the draw protocol is in
:mod:`diffusion_sim.engines`): the same uniforms, consumed in the same order, so the
trajectory is identical for the same seed (the engine-equality property test).

Passes of one step (``step_kernel``); "n" = a pass over all people, "ties" = a pass
over the ties of the people who act; the counters of the step are accumulated in the
passes themselves into ``counts[t + 1]``:

====  ====================  ==========================================  =============
pass  what                  draws (protocol number)                     cost
====  ====================  ==========================================  =============
 1    scan                  none: strategy := -1, seen_next := 0,       n
                            lists of the engaged (with access)
 2    deciders              1 share: one per engaged with access        #engaged
 3    choose                2 choice: one per decider (τ > 0, free)     #deciders
 4    share                 3 tie: one per tie of each sharer           ties of sharers
 5    pick resharers        4 reshare: one per first-hand exposed       n / 8 words
 6    reshare               5 reshare tie: one per tie of resharers     ties of resharers
 7    broadcast             6 broadcast: one per not-yet-engaged        n (if rate > 0)
 8    become aware          none; collects the engagement candidates    n / 8 words
 9    engage                7 engage: one per candidate                 #candidates
10    attrition             8 attrition: one per engaged at the start   #engaged (if > 0)
11    learn                 none (stage 2)                              #losses of control
====  ====================  ==========================================  =============

The share pass does all the per-tie work in one loop: draw, seen-sharing count,
exposure, the "reached" bits, the first source, reinforcement's distinct exposers and
the exposure counter; the reshare pass likewise does the draw, the second-hand bit
and the unwanted-disclosure test (a binary search of the origin's sorted row). What
reached each person is one byte, padded to a multiple of 8 so that passes 5 and 8 skip
8 untouched people per 64-bit word.

**Draws.** numpy's PCG64 ``next_double`` is inlined (one 64×64→128-bit multiply per
draw): the engine reads the Generator's state, advances it in compiled code and writes
it back, so the stream is numpy's bit for bit and the Generator continues from there.
Another bit generator is drawn from through its own ``next_double`` pointer.

**Exp.** The logit weights use ``exp1``, the scalar twin of
:func:`diffusion_sim.portable_math.exp` (the same bits on every CPU; no FMA: LLVM does
not contract without fast-math flags, checked by the tests).

**One run, one call.** :meth:`CompiledEngine.run` runs all remaining steps of a model
in one compiled call (``run_kernel``), which is how sweeps and comparisons run.

Compiled code is cached on disk (numba's ``cache=True``); the first use on a machine
compiles it (cold: measured in ``benchmarks/README.md``).
"""

from __future__ import annotations

import numba as nb
import numpy as np

from diffusion_sim.bitexact import exp1, next_uniform, pcg_state, put_pcg_state
from diffusion_sim.network.csr import tie_position
from diffusion_sim.rules import Rules
from diffusion_sim.state import BROADCASTER, STOCKS, Counter, Reach, RunState, State
from diffusion_sim.world import World

UNAWARE, AWARE, ENGAGED, DISENGAGED = (int(s) for s in State)
BY_BROADCAST, BY_PEER = int(Reach.BROADCAST), int(Reach.PEER)
FIRST, SECOND, BCAST, CMP_HIGHER, NOT_ONLY_CMP = 1, 2, 4, 8, 16
EXPOSED = FIRST | SECOND | BCAST
C_AWARE, C_ENGAGED, C_NOW, C_PEER_AWARE, C_PEER_ENGAGED = range(5)
C_DEC0 = len(STOCKS)
# float / int parameters, in the order of Rules (see _params)
F_TEMPERATURE, F_NORM_WEIGHT, F_RESHARE, F_PENALTY, F_BROADCAST, F_ATTRITION, \
    F_LEARNING = range(7)
I_SHARE_ONCE, I_FORCED, I_DRAW_CHOICE, I_REINFORCEMENT = range(4)


# ------------------------------------------------------------------ small helpers
@nb.njit(cache=True, inline="always")
def _note_exposer(n_exposers, exposers, r, person, peer):
    """Count ``peer`` among the distinct peers who exposed ``person``, up to ``r``
    (as ``Step.note_exposer`` of the per-agent engine)."""
    n = n_exposers[person]
    if n >= r:
        return
    for j in range(n):
        if exposers[person, j] == peer:
            return
    if n < r - 1:
        exposers[person, n] = peer
    n_exposers[person] = n + 1


# ------------------------------------------------------------------ the passes
@nb.njit(cache=True)
def _scan(state, access, strategy, seen_next, can, eng):
    """Pass 1 (no draws): reset strategy and seen_next; list the engaged people with
    access (``can``, who may share) and all engaged people (``eng``), ascending."""
    n_can = 0
    n_eng = 0
    for i in range(state.shape[0]):
        strategy[i] = -1
        seen_next[i] = 0
        if state[i] == ENGAGED:
            eng[n_eng] = i
            n_eng += 1
            if access[i]:
                can[n_can] = i
                n_can += 1
    return n_can, n_eng


@nb.njit(cache=True)
def _deciders(src, t, share_once, activity, engaged_step, can, n_can):
    """Draws 1 (share): keep the deciders among ``can`` (compacted in place)."""
    n_dec = 0
    for j in range(n_can):
        i = can[j]
        if share_once:
            keep = engaged_step[i] == t - 1
        else:
            keep = next_uniform(src) < activity[i]
        if keep:
            can[n_dec] = i
            n_dec += 1
    return n_dec


@nb.njit(cache=True)
def _choose(src, dec, n_dec, cho, strategy, last_act, acts, group, indptr, seen_sharing,
            pc, ids, oreg, tab_f, tab_b, fpar, ipar, row):
    """Draws 2 (choice): each decider's strategy by the logit (as decision.choose, for
    any number of strategies S); decision counts."""
    forced = ipar[I_FORCED]
    draw_choice = ipar[I_DRAW_CHOICE] != 0
    temperature = fpar[F_TEMPERATURE]
    nw = fpar[F_NORM_WEIGHT]
    S = tab_f.shape[1]
    u = np.empty(S)
    w = np.empty(S)
    for j in range(n_dec):
        i = dec[j]
        if forced >= 0:
            code = forced
        else:
            draw = next_uniform(src) if draw_choice else 0.0
            seen = np.float64(seen_sharing[i]) / np.float64(max(indptr[i + 1] - indptr[i], 1))
            nws = nw * seen
            for s in range(S):
                v = (tab_f[0, s] - pc[i] * tab_f[1, s] - ids[i] * tab_f[2, s]
                     - oreg[i] * tab_f[3, s] + nws * tab_f[4, s])
                u[s] = v if tab_b[0, s] else -np.inf
            code = 0
            if not draw_choice:  # argmax, ties to the lower code
                best = u[0]
                for s in range(1, S):
                    if u[s] > best:
                        best = u[s]
                        code = s
            else:
                top = -np.inf
                for s in range(S):
                    u[s] = u[s] / temperature
                    if u[s] > top:
                        top = u[s]
                for s in range(S):
                    w[s] = exp1(u[s] - top)
                thr_total = 0.0
                for s in range(S):
                    thr_total += w[s]
                thr = draw * thr_total
                total = 0.0
                for s in range(S - 1):  # the first strategy whose cumulative weight > thr
                    total += w[s]
                    if total <= thr:
                        code += 1
                last = 0
                for s in range(S):
                    if w[s] > 0:
                        last = s
                code = min(code, last)
        strategy[i] = code
        last_act[i] = code
        cho[j] = code
        row[group[i], C_DEC0 + code] += 1
        if code != 0:
            acts[i] += 1


@nb.njit(cache=True)
def _share(src, dec, cho, n_dec, indptr, indices, strong, access, group, p_aud, in_aud,
           comparison, seen_next, reached, first_src, n_exposers, exposers, r, c_exp, row):
    """Draws 3 (tie): one pass over the ties of every sharer."""
    for j in range(n_dec):
        s = cho[j]
        if s == 0:
            continue
        i = dec[j]
        gi = group[i]
        base = 2 * s
        compared = comparison[s]
        hits = 0
        for e in range(indptr[i], indptr[i + 1]):
            d = next_uniform(src)
            code = base + (1 if strong[e] else 0)
            if not in_aud[code]:
                continue
            k = indices[e]
            seen_next[k] += 1
            if d < p_aud[code] and access[k]:
                hits += 1
                how = reached[k]
                if how & FIRST == 0:
                    first_src[k] = i
                how |= FIRST
                if compared:
                    if gi > group[k]:
                        how |= CMP_HIGHER
                else:
                    how |= NOT_ONLY_CMP
                reached[k] = how
                if r > 1:
                    _note_exposer(n_exposers, exposers, r, k, i)
        row[gi, c_exp] += hits


@nb.njit(cache=True)
def _pick_resharers(src, reached, reshare_prob, res):
    """Draws 4 (reshare): one per first-hand exposed person, ascending (the ``reached``
    bytes read 8 at a time)."""
    words = reached.view(np.uint64)
    n_res = 0
    for wd in range(words.shape[0]):
        if words[wd] == 0:
            continue
        for b in range(8):
            i = wd * 8 + b
            if reached[i] & FIRST:
                if next_uniform(src) < reshare_prob:
                    res[n_res] = i
                    n_res += 1
    return n_res


@nb.njit(cache=True)
def _reshare(src, res, n_res, first_src, strategy, indptr, indices, strong, access, group,
             p_tie, strong_only, reached, n_exposers, exposers, r, lost, lost_list, n_lost,
             c_unwanted, row):
    """Draws 5 (reshare tie): one pass over the resharers' ties; second-hand exposures
    and unwanted disclosures (outside the origin's chosen audience). Returns the number
    of sharers who lost control this step (listed in ``lost_list``)."""
    for j in range(n_res):
        i = res[j]
        origin = first_src[i]
        os_ = strategy[origin]
        base = 2 * os_
        so = strong_only[os_]
        g_origin = group[origin]
        for e in range(indptr[i], indptr[i + 1]):
            d = next_uniform(src)
            k = indices[e]
            if k == origin or not access[k]:
                continue
            if d < p_tie[base + (1 if strong[e] else 0)]:
                reached[k] |= SECOND
                if r > 1:
                    _note_exposer(n_exposers, exposers, r, k, i)
                pos = tie_position(indptr, indices, origin, k)
                if not (pos >= 0 and (strong[pos] or not so)):
                    row[g_origin, c_unwanted] += 1
                    if lost[origin] == 0:
                        lost[origin] = 1
                        lost_list[n_lost] = origin
                        n_lost += 1
    return n_lost


@nb.njit(cache=True)
def _broadcast(src, state, reached, rate, n_exposers, exposers, r):
    """Draws 6 (broadcast): one per person not (yet) engaged, ascending."""
    for i in range(state.shape[0]):
        if state[i] <= AWARE:
            if next_uniform(src) < rate:
                reached[i] |= BCAST
                if r > 1:
                    _note_exposer(n_exposers, exposers, r, i, BROADCASTER)


@nb.njit(cache=True)
def _aware(reached, state, reached_by, group, cand, row):
    """No draws: the exposed become aware; list the engagement candidates."""
    words = reached.view(np.uint64)
    n_cand = 0
    for wd in range(words.shape[0]):
        if words[wd] == 0:
            continue
        for b in range(8):
            i = wd * 8 + b
            how = reached[i]
            if how & EXPOSED:
                st = state[i]
                if st == UNAWARE:
                    via = BY_BROADCAST if how & BCAST else BY_PEER
                    state[i] = AWARE
                    reached_by[i] = via
                    row[group[i], C_AWARE] += 1
                    if via == BY_PEER:
                        row[group[i], C_PEER_AWARE] += 1
                    st = AWARE
                if st == AWARE:
                    cand[n_cand] = i
                    n_cand += 1
    return n_cand


@nb.njit(cache=True)
def _engage(src, cand, n_cand, reached, state, engaged_step, engaged_via, recept, group,
            penalty, t, n_exposers, r, row):
    """Draws 7 (engage): one per candidate, ascending; reinforcement gates it."""
    for j in range(n_cand):
        i = cand[j]
        how = reached[i]
        # reached only first-hand by comparison-inviting sharing, once from a higher group
        penalised = (how & ~CMP_HIGHER) == FIRST and (how & CMP_HIGHER) != 0
        p = recept[i] * (penalty if penalised else 1.0)
        d = next_uniform(src)
        if d < p and (r <= 1 or n_exposers[i] >= r):
            state[i] = ENGAGED
            engaged_step[i] = t
            via = BY_BROADCAST if how & BCAST else BY_PEER
            engaged_via[i] = via
            g = group[i]
            row[g, C_ENGAGED] += 1
            row[g, C_NOW] += 1
            if via == BY_PEER:
                row[g, C_PEER_ENGAGED] += 1


@nb.njit(cache=True)
def _attrition(src, eng, n_eng, state, engaged_step, last_act, attrition_after, t, group,
               row):
    """Draws 8 (attrition): one per person engaged before this step, ascending; the
    rate is lowered by the motivation of the person's latest decision."""
    for j in range(n_eng):
        i = eng[j]
        if state[i] == ENGAGED and engaged_step[i] < t:
            if next_uniform(src) < attrition_after[last_act[i] + 1]:
                state[i] = DISENGAGED
                row[group[i], C_NOW] -= 1


@nb.njit(cache=True)
def _learn(pc, lost, lost_list, n_lost, learning_rate):
    """Stage 2, no draws: every sharer who lost control this step moves its privacy
    concern toward 1 (once per step); clears the marks."""
    for j in range(n_lost):
        i = lost_list[j]
        if learning_rate > 0:
            pc[i] = pc[i] + learning_rate * (1.0 - pc[i])
        lost[i] = 0


@nb.njit(cache=True)
def _start_row(counts, t, n_stocks):
    """counts[t + 1] := counts[t] with the flow columns zeroed; returns the row."""
    row = counts[t + 1]
    prev = counts[t]
    for g in range(row.shape[0]):  # loops: a 2-D slice assignment is slow to compile
        for c in range(row.shape[1]):
            row[g, c] = prev[g, c] if c < n_stocks else 0
    return row


@nb.njit(cache=True)
def _record_concern(concern, t, pc, group):
    """Per-group sums of privacy concern after step t, in person order (as
    ``np.bincount``), into rows t + 1 onward."""
    G = concern.shape[1]
    sums = np.zeros(G)
    for i in range(pc.shape[0]):
        sums[group[i]] += pc[i]
    for tt in range(t + 1, concern.shape[0]):
        for g in range(G):
            concern[tt, g] = sums[g]


# ------------------------------------------------------------------ one step, one run
@nb.njit(cache=True)
def step_kernel(src, t, indptr, indices, strong, group, access, ids, oreg, recept, activity,
                state, strategy, engaged_step, reached_by, engaged_via, seen_sharing,
                seen_next, pc, last_act, acts, n_exposers, exposers, tab_f, tab_b, p_tie,
                p_aud, in_aud, attrition_after, fpar, ipar, counts, concern, work_i,
                work_b):
    """Step ``t``: changes the state arrays in place and writes counts[t + 1]. The
    caller swaps seen_sharing / seen_next afterwards (pass 1 zeroes seen_next).
    ``work_i``: int64 (5, n) scratch lists; ``work_b``: uint8 (2, n8) scratch bytes,
    n8 = n rounded up to a multiple of 8 (both left clean)."""
    S = tab_f.shape[1]
    r = ipar[I_REINFORCEMENT]
    c_exp, c_unwanted = C_DEC0 + S, C_DEC0 + S + 1
    can, eng, lst, first_src, lost_list = work_i[0], work_i[1], work_i[2], work_i[3], work_i[4]
    reached, lost = work_b[0], work_b[1]
    row = _start_row(counts, t, C_DEC0)
    n_can, n_eng = _scan(state, access, strategy, seen_next, can, eng)
    n_dec = _deciders(src, t, ipar[I_SHARE_ONCE] != 0, activity, engaged_step, can, n_can)
    choices = np.empty(n_dec, np.int8)
    _choose(src, can, n_dec, choices, strategy, last_act, acts, group, indptr, seen_sharing,
            pc, ids, oreg, tab_f, tab_b, fpar, ipar, row)
    _share(src, can, choices, n_dec, indptr, indices, strong, access, group, p_aud, in_aud,
           tab_b[2], seen_next, reached, first_src, n_exposers, exposers, r, c_exp, row)
    n_lost = 0
    if fpar[F_RESHARE] > 0:
        n_res = _pick_resharers(src, reached, fpar[F_RESHARE], lst)
        n_lost = _reshare(src, lst, n_res, first_src, strategy, indptr, indices, strong,
                          access, group, p_tie, tab_b[1], reached, n_exposers, exposers, r,
                          lost, lost_list, 0, c_unwanted, row)
    if fpar[F_BROADCAST] > 0:
        _broadcast(src, state, reached, fpar[F_BROADCAST], n_exposers, exposers, r)
    n_cand = _aware(reached, state, reached_by, group, lst, row)
    _engage(src, lst, n_cand, reached, state, engaged_step, engaged_via, recept, group,
            fpar[F_PENALTY], t, n_exposers, r, row)
    if fpar[F_ATTRITION] > 0:
        _attrition(src, eng, n_eng, state, engaged_step, last_act, attrition_after, t,
                   group, row)
    _learn(pc, lost, lost_list, n_lost, fpar[F_LEARNING])
    if fpar[F_LEARNING] > 0:
        _record_concern(concern, t, pc, group)
    for i in range(reached.shape[0]):
        reached[i] = 0
    return n_dec


@nb.njit(cache=True)
def run_kernel(src, t0, steps, indptr, indices, strong, group, access, ids, oreg, recept,
               activity, state, strategy, engaged_step, reached_by, engaged_via,
               seen_sharing, seen_next, pc, last_act, acts, n_exposers, exposers, tab_f,
               tab_b, p_tie, p_aud, in_aud, attrition_after, fpar, ipar, counts, concern,
               work_i, work_b):
    """Steps t0 .. steps-1 in one call. Returns the number of steps run (odd: the
    caller's ``seen_next`` array now holds the current seen-sharing counts)."""
    a = seen_sharing
    b = seen_next
    for t in range(t0, steps):
        step_kernel(src, t, indptr, indices, strong, group, access, ids, oreg, recept,
                    activity, state, strategy, engaged_step, reached_by, engaged_via, a, b,
                    pc, last_act, acts, n_exposers, exposers, tab_f, tab_b, p_tie, p_aud,
                    in_aud, attrition_after, fpar, ipar, counts, concern, work_i, work_b)
        a, b = b, a
    return steps - t0


# ------------------------------------------------------------------ the engine
class CompiledEngine:
    """The fast engine (see the module docstring): ``step`` for one step, ``run`` for
    every remaining step of a run in one compiled call."""

    name = "compiled"

    def __init__(self) -> None:
        self._work: tuple[np.ndarray, np.ndarray] | None = None
        self._tables: tuple[Rules, tuple] | None = None

    def _rule_tables(self, rules: Rules) -> tuple:
        """The rules as the kernel takes them (made once per run: they do not change)."""
        if self._tables is None or self._tables[0] is not rules:
            tb = rules.table
            self._tables = (rules, (
                np.ascontiguousarray(np.vstack([tb.benefit, tb.control_loss, tb.identity_risk,
                                                tb.others_harm, tb.sharing])),
                np.ascontiguousarray(np.vstack([tb.enabled, tb.strong_only, tb.comparison])),
                np.ascontiguousarray(rules.p_tie.ravel()), rules.p_tie_audience,
                np.ascontiguousarray(rules.in_audience.ravel()), rules.attrition_after,
                np.array([rules.temperature, rules.norm_weight, rules.reshare_prob,
                          rules.comparison_penalty, rules.broadcast_rate, rules.attrition,
                          rules.learning_rate], dtype=np.float64),
                np.array([rules.share_once, -1 if rules.forced is None else rules.forced,
                          rules.draw_choice, rules.reinforcement], dtype=np.int64)))
        return self._tables[1]

    def _arguments(self, world: World, state: RunState, rules: Rules, counter: Counter
                   ) -> tuple:
        n = world.n
        if self._work is None or self._work[0].shape[1] != n:
            self._work = (np.zeros((5, n), np.int64), np.zeros((2, -(-n // 8) * 8), np.uint8))
        net = world.network
        tr = world.traits
        return (
            net.indptr, net.indices, net.strong, world.group, world.access,
            tr["identity_sensitivity"], tr["other_regard"], tr["receptiveness"],
            tr["activity"], state.state, state.strategy, state.engaged_step,
            state.reached_by, state.engaged_via, state.seen_sharing, state.seen_next,
            state.privacy_concern, state.last_act, state.acts, state.n_exposers,
            state.exposers, *self._rule_tables(rules), counter.counts, counter.concern,
            *self._work)

    def step(self, world: World, state: RunState, rules: Rules, rng: np.random.Generator,
             counter: Counter) -> None:
        """Advance ``state`` by step ``state.t`` and record it in ``counter``."""
        pcg = pcg_state(rng)
        step_kernel(rng if pcg is None else pcg, state.t,
                    *self._arguments(world, state, rules, counter))
        if pcg is not None:
            put_pcg_state(rng, pcg)

    def run(self, world: World, state: RunState, rules: Rules, rng: np.random.Generator,
            counter: Counter, steps: int) -> None:
        """Steps ``state.t .. steps − 1`` in one compiled call (``state.t`` ends at
        ``steps``, as after as many ``step`` + ``RunState.advance`` calls)."""
        if state.t >= steps:
            return
        pcg = pcg_state(rng)
        done = run_kernel(rng if pcg is None else pcg, state.t, steps,
                          *self._arguments(world, state, rules, counter))
        if pcg is not None:
            put_pcg_state(rng, pcg)
        if done % 2:
            state.seen_sharing, state.seen_next = state.seen_next, state.seen_sharing
        state.seen_next[:] = 0
        state.t = steps
