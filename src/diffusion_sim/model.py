"""The Mesa model: :class:`DiffusionModel` and its :class:`Person` agents.

State lives in numpy arrays owned by the model, one row per person. A
:class:`Person` is a ``mesa.Agent`` whose attributes read and write its row, and
whose methods are the per-agent rules of MODEL.md, written in plain Python: the
readable reference engine (``engine="agents"``). The default engine
(``engine="vectorized"``, :mod:`diffusion_sim.engine`) applies the same rules to whole
arrays. Both engines draw the same random numbers in the same order (the *draw
protocol* below), so given the same seed they produce identical trajectories.

Draw protocol of one step (all from ``model.rng``; "ascending" = by person index):

1. ``share``: one uniform per engaged person with digital access, ascending (not
   drawn in ``share_once`` mode).
2. ``choice``: one uniform per decider, ascending (only when the temperature is
   > 0 and no strategy is forced).
3. ``tie``: one uniform per tie of each sharer (decision other than avoid); sharers
   ascending, each sharer's ties ascending. A tie outside the audience, or to a
   person without access, draws but cannot transmit.
4. ``reshare``: one uniform per person exposed first-hand this step, ascending
   (only when ``reshare_prob > 0``).
5. ``reshare tie``: one uniform per tie of each resharer; resharers ascending,
   ties ascending (ties to the original sharer or to people without access draw
   but cannot transmit).
6. ``broadcast``: one uniform per person not (yet) engaged, ascending (only when
   ``broadcast_rate > 0``).
7. ``engage``: one uniform per exposed person who is aware after step 5, ascending.
8. ``attrition``: one uniform per person engaged before this step, ascending (only
   when ``attrition > 0``).

Persons are created lazily: the vectorised engine never needs them, so a sweep run
does not pay ~450 bytes and ~10 µs per person for a ``mesa.Agent``; they are built
the first time ``model.agents`` (or the per-agent engine) needs them.
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

import mesa
import numpy as np

from diffusion_sim import network as network_mod
from diffusion_sim.decision import (
    ALLOCATE,
    AVOID,
    EMBED,
    NO_DECISION,
    OPEN,
    StrategyArrays,
    choose,
    strategy_code,
    utilities,
)
from diffusion_sim.engine import vectorized_step
from diffusion_sim.population import Population, draw_groups, draw_population
from diffusion_sim.scenario import STRATEGIES, Scenario, default_scenario

# person states
UNAWARE, AWARE, ENGAGED, DISENGAGED = 0, 1, 2, 3
STATES = ("unaware", "aware", "engaged", "disengaged")
# how a person was first reached / came to engage
NOT_REACHED, BY_SEED, BY_BROADCAST, BY_PEER = 0, 1, 2, 3
NEVER = np.iinfo(np.int32).min  # engaged_step of a person who never engaged

#: Per-step counters kept per group (row t = after step t; row 0 = the start).
#: Stocks: aware / engaged (ever), engaged_now (currently engaged), peer_aware /
#: peer_engaged (reached / engaged through a peer exposure). Flows during the step:
#: decisions per strategy (by the decider's group), exposures (successful first-hand
#: exposures, by the sharer's group) and unwanted (second-hand exposures outside the
#: audience the original sharer chose, by the original sharer's group).
COUNT_COLUMNS: tuple[str, ...] = (
    "aware",
    "engaged",
    "engaged_now",
    "peer_aware",
    "peer_engaged",
    "decisions_avoid",
    "decisions_allocate",
    "decisions_embed",
    "decisions_open",
    "exposures",
    "unwanted",
)
COL = {name: i for i, name in enumerate(COUNT_COLUMNS)}


@dataclass
class StepEvents:
    """What changed in one step; both engines report it and one recorder counts it."""

    new_aware: np.ndarray
    new_aware_peer: np.ndarray
    new_engaged: np.ndarray
    new_engaged_peer: np.ndarray
    new_disengaged: np.ndarray
    deciders: np.ndarray
    choices: np.ndarray
    exposure_sources: np.ndarray
    unwanted_sources: np.ndarray


@dataclass
class RunStreams:
    """The three independent random streams of one run (network, people, dynamics)."""

    seed_sequence: np.random.SeedSequence
    network: np.random.Generator = field(init=False)
    population: np.random.Generator = field(init=False)
    dynamics: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        ss = self.seed_sequence
        key = tuple(ss.spawn_key)

        def child(k: int) -> np.random.Generator:
            return np.random.default_rng(
                np.random.SeedSequence(entropy=ss.entropy, spawn_key=(*key, k))
            )

        self.network, self.population, self.dynamics = child(0), child(1), child(2)


def run_seed_sequence(seed: int | None, key: tuple[int, ...] = ()) -> np.random.SeedSequence:
    """The seed of one run: ``SeedSequence(entropy=seed, spawn_key=key)``.

    ``key`` is the run's identity, e.g. ``(point, replicate)`` in a sweep or
    ``(replicate,)`` for ``diffusion-sim run``, so a run's result depends only on
    ``(seed, key)``, never on which process ran it or when.
    """
    return np.random.SeedSequence(entropy=seed, spawn_key=tuple(int(k) for k in key))


class Person(mesa.Agent):
    """One person: a node of the network and a view onto row ``index`` of the model.

    The methods below are the per-agent rules of one step, in the order the model
    calls them (see :meth:`DiffusionModel.step`). They are the readable reference:
    :mod:`diffusion_sim.engine` does exactly the same to whole arrays.
    """

    def __init__(self, model: DiffusionModel, index: int) -> None:
        super().__init__(model)
        self.index = index
        self._reset_step()

    # -------------------------------------------------------------- attributes
    @property
    def group(self) -> int:
        """0-based group (0 = most deprived)."""
        return int(self.model.group[self.index])

    @property
    def privacy_concern(self) -> float:
        return float(self.model.traits["privacy_concern"][self.index])

    @property
    def identity_sensitivity(self) -> float:
        return float(self.model.traits["identity_sensitivity"][self.index])

    @property
    def other_regard(self) -> float:
        return float(self.model.traits["other_regard"][self.index])

    @property
    def receptiveness(self) -> float:
        return float(self.model.traits["receptiveness"][self.index])

    @property
    def digital_access(self) -> bool:
        return bool(self.model.access[self.index])

    @property
    def state(self) -> int:
        return int(self.model.state[self.index])

    @state.setter
    def state(self, value: int) -> None:
        self.model.state[self.index] = value

    @property
    def state_name(self) -> str:
        return STATES[self.state]

    @property
    def strategy(self) -> str | None:
        """What this person did last step (None if it had nothing to share)."""
        code = int(self.model.strategy[self.index])
        return None if code == NO_DECISION else STRATEGIES[code]

    def ties(self) -> list[tuple[int, bool]]:
        """(neighbour index, is strong) for each tie, neighbours ascending."""
        net = self.model.network
        lo, hi = int(net.indptr[self.index]), int(net.indptr[self.index + 1])
        return [(int(net.indices[e]), bool(net.strong[e])) for e in range(lo, hi)]

    def _reset_step(self) -> None:
        self._deciding = False
        self._exposed_first = False
        self._exposed_second = False
        self._source = -1
        self._source_strategy = -1
        self._open_from_higher = False
        self._not_only_open = False
        self._resharing = False
        self._broadcast = False

    # -------------------------------------------------------------- the rules
    def consider_sharing(self) -> None:
        """Step 1a: an engaged person on the platform has something to share (share_rate)."""
        m = self.model
        if self.state != ENGAGED or not self.digital_access:
            return
        if m.scenario.decision.share_once:
            self._deciding = int(m.engaged_step[self.index]) == m.t - 1
        else:
            self._deciding = m.rng.random() < m.scenario.decision.share_rate

    def decide(self) -> None:
        """Step 1b: choose avoid / allocate / embed / open by the multinomial logit."""
        m = self.model
        if not self._deciding:
            m.strategy[self.index] = NO_DECISION
            return
        dec = m.scenario.decision
        draw = m.rng.random() if m.draw_choice else None
        degree = int(m.degree[self.index])
        seen = int(m.seen_sharing[self.index]) / max(degree, 1)
        u = utilities(m.table, self.privacy_concern, self.identity_sensitivity,
                      self.other_regard, seen, dec.norm_weight)
        code = m.forced if m.forced is not None else int(choose(u, draw, dec.temperature))
        m.strategy[self.index] = code
        m._events["deciders"].append(self.index)
        m._events["choices"].append(code)

    def share(self) -> None:
        """Step 2: expose each tie in the audience with chance 1 − exp(−T·fidelity·weight)."""
        m = self.model
        s = int(m.strategy[self.index])
        if s in (NO_DECISION, AVOID):
            return
        for k, strong in self.ties():
            draw = m.rng.random()
            if m.table.strong_only[s] and not strong:
                continue  # allocation reaches strong ties only
            m.seen_next[k] += 1
            if m.access[k] and draw < m.p_tie[s, int(strong)]:  # no access: unreachable
                m.person(k).receive(self, s)

    def receive(self, sharer: Person, s: int) -> None:
        """Note a first-hand exposure from ``sharer`` using strategy ``s``."""
        if not self._exposed_first:
            self._exposed_first = True
            self._source, self._source_strategy = sharer.index, s
        if s == OPEN:
            if sharer.group > self.group:
                self._open_from_higher = True
        else:
            self._not_only_open = True
        self.model._events["exposure_sources"].append(sharer.index)

    def consider_resharing(self) -> None:
        """Step 2b: a first-hand receiver passes the content on (reshare_prob): loss of control."""
        m = self.model
        if self._exposed_first and m.scenario.transmission.reshare_prob > 0:
            self._resharing = m.rng.random() < m.scenario.transmission.reshare_prob

    def reshare(self) -> None:
        """Step 2c: pass the first source's content to all ties; count unwanted disclosure."""
        if not self._resharing:
            return
        m = self.model
        origin, s = self._source, self._source_strategy
        for k, strong in self.ties():
            draw = m.rng.random()
            if k == origin or not m.access[k]:
                continue
            if draw < m.p_tie[s, int(strong)]:
                m.person(k)._exposed_second = True
                if not m.in_audience(origin, s, k):
                    m._events["unwanted_sources"].append(origin)

    def hear_broadcast(self) -> None:
        """Step 2d: the intervention's broadcast reaches a not-yet-engaged person."""
        m = self.model
        rate = m.scenario.intervention.broadcast_rate
        if rate > 0 and self.state in (UNAWARE, AWARE):
            self._broadcast = m.rng.random() < rate

    def respond(self) -> None:
        """Step 3: become aware when exposed; an aware person engages (receptiveness)."""
        m = self.model
        peer = self._exposed_first or self._exposed_second
        if not (peer or self._broadcast):
            return
        via = BY_BROADCAST if self._broadcast else BY_PEER
        if self.state == UNAWARE:
            self.state = AWARE
            m.reached_by[self.index] = via
            m._events["new_aware"].append(self.index)
        if self.state == AWARE:
            only_open_from_higher = (self._open_from_higher and not self._not_only_open
                                     and not self._exposed_second and not self._broadcast)
            penalty = m.scenario.transmission.comparison_penalty if only_open_from_higher else 1.0
            if m.rng.random() < self.receptiveness * penalty:
                self.state = ENGAGED
                m.engaged_step[self.index] = m.t
                m.engaged_via[self.index] = via
                m._events["new_engaged"].append(self.index)

    def drop_out(self) -> None:
        """Step 3b: optional attrition of people engaged before this step."""
        m = self.model
        rate = m.scenario.transmission.attrition
        if rate > 0 and self.state == ENGAGED and int(m.engaged_step[self.index]) < m.t:
            if m.rng.random() < rate:
                self.state = DISENGAGED
                m._events["new_disengaged"].append(self.index)


class DiffusionModel(mesa.Model):
    """Peer-to-peer diffusion of health information with avoid / allocate / embed / open.

    Parameters
    ----------
    scenario : Scenario, optional
        The validated parameters (default: :func:`~diffusion_sim.scenario.default_scenario`).
    seed : int, optional
        Entropy of the run's ``SeedSequence``; ``None`` draws fresh entropy (recorded
        in ``model.seed_sequence``).
    key : tuple of int
        The run's identity (``spawn_key``), e.g. ``(point, replicate)``.
    engine : {"vectorized", "agents"}
        Array engine (fast, default) or per-agent reference engine; identical results.
    rng : ignored
        Accepted so that ``mesa.batch_run`` (which passes ``rng=`` on mesa ≥ 3.4) works;
        use ``seed`` and ``key``.

    Attributes
    ----------
    counts : ndarray of int64, shape (steps + 1, n_groups, len(COUNT_COLUMNS))
        The per-step, per-group counters (see :data:`COUNT_COLUMNS`).
    datacollector : mesa.DataCollector
        Model-level fractions per step (aware, engaged, peer_engaged, sharing_acts).
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        seed: int | None = None,
        key: tuple[int, ...] = (),
        engine: str = "vectorized",
        rng: object = None,
    ) -> None:
        if engine not in ("vectorized", "agents"):
            raise ValueError(f"engine must be 'vectorized' or 'agents', not {engine!r}")
        if seed is None and isinstance(rng, (int, np.integer)):
            seed = int(rng)  # mesa.batch_run >= 3.4 passes the replicate seed as rng
        self.scenario = scenario if scenario is not None else default_scenario()
        self.engine = engine
        self.seed_sequence = run_seed_sequence(seed, key)
        streams = RunStreams(self.seed_sequence)
        super().__init__(rng=streams.dynamics)
        self.t = 0  # index of the step being run (0-based)
        self._people: list[Person] | None = None

        sc = self.scenario
        self.network, self.population, self.input_notes = build_world(sc, streams)
        pop = self.population
        self.n = pop.n
        self.group = pop.group
        self.traits = pop.traits
        self.access = pop.access
        self.degree = self.network.degree
        self.n_groups = sc.n_groups
        self.group_sizes = pop.group_sizes(self.n_groups)

        # per-person dynamic state
        self.state = np.zeros(self.n, dtype=np.int8)
        self.strategy = np.full(self.n, NO_DECISION, dtype=np.int8)
        self.engaged_step = np.full(self.n, NEVER, dtype=np.int32)
        self.reached_by = np.zeros(self.n, dtype=np.int8)
        self.engaged_via = np.zeros(self.n, dtype=np.int8)
        self.seen_sharing = np.zeros(self.n, dtype=np.int32)
        self.seen_next = np.zeros(self.n, dtype=np.int32)

        # constants of the rules
        self.table = StrategyArrays.from_scenario(sc)
        dec = sc.decision
        self.forced = strategy_code(dec.forced_strategy) if dec.forced_strategy else None
        self.draw_choice = dec.temperature > 0 and self.forced is None
        weights = np.array([sc.network.weak_weight, sc.network.strong_weight])
        # p_tie[s, strong]: chance that one tie transmits under strategy s
        self.p_tie = -np.expm1(-sc.transmission.transmissibility
                               * np.outer(self.table.fidelity, weights))
        # the same, 0 outside the audience; flat index 2·strategy + strong
        in_audience = np.column_stack([~self.table.strong_only, np.ones(4, bool)])
        self.p_tie_audience = np.where(in_audience, self.p_tie, 0.0).ravel()
        self.in_audience_flat = in_audience.ravel()

        self.seeds = choose_seeds(sc, pop, self.network.degree, streams.population)
        self.state[self.seeds] = ENGAGED
        self.engaged_step[self.seeds] = -1
        self.reached_by[self.seeds] = BY_SEED
        self.engaged_via[self.seeds] = BY_SEED

        self.counts = np.zeros((sc.steps + 1, self.n_groups, len(COUNT_COLUMNS)), np.int64)
        first = np.bincount(self.group[self.seeds], minlength=self.n_groups)
        for col in ("aware", "engaged", "engaged_now"):
            self.counts[0, :, COL[col]] = first
        self._events: dict[str, list[int]] = {}
        self.datacollector = mesa.DataCollector(model_reporters={
            "aware": lambda m: m.counts[m.t, :, COL["aware"]].sum() / m.n,
            "engaged": lambda m: m.counts[m.t, :, COL["engaged"]].sum() / m.n,
            "peer_engaged": lambda m: m.counts[m.t, :, COL["peer_engaged"]].sum() / m.n,
            "sharing_acts": lambda m: m.counts[m.t, :, COL["decisions_allocate"]:
                                               COL["decisions_open"] + 1].sum(),
        })
        self.datacollector.collect(self)

    # ------------------------------------------------------------------ agents
    @property
    def agents(self) -> mesa.agent.AgentSet:
        """All :class:`Person` agents (created on first use; see module docstring)."""
        self._ensure_people()
        return super().agents

    def _ensure_people(self) -> list[Person]:
        if self._people is None:
            self._people = [Person(self, i) for i in range(self.n)]
        return self._people

    def person(self, index: int) -> Person:
        """The :class:`Person` of row ``index``."""
        return self._ensure_people()[index]

    def in_audience(self, sharer: int, strategy: int, other: int) -> bool:
        """Whether ``other`` is in the audience ``sharer`` chose with ``strategy``."""
        net = self.network
        lo, hi = int(net.indptr[sharer]), int(net.indptr[sharer + 1])
        pos = bisect_left(net.indices, other, lo, hi)
        if pos == hi or int(net.indices[pos]) != other:
            return False
        return bool(net.strong[pos]) or not bool(self.table.strong_only[strategy])

    # ------------------------------------------------------------------ stepping
    def step(self) -> None:
        """One step (one week): decide, share, respond, record."""
        if self.t >= self.scenario.steps:
            self.running = False
            return
        if self.engine == "agents":
            events = self._step_agents()
        else:
            events = vectorized_step(self)
        self._record(events)
        self.seen_sharing, self.seen_next = self.seen_next, self.seen_sharing
        self.seen_next[:] = 0
        self.t += 1
        self.datacollector.collect(self)
        if self.t >= self.scenario.steps:
            self.running = False

    def _step_agents(self) -> StepEvents:
        people = self._ensure_people()
        self._events = {k: [] for k in ("deciders", "choices", "exposure_sources",
                                        "unwanted_sources", "new_aware", "new_engaged",
                                        "new_disengaged")}
        for p in people:
            p._reset_step()
        # each phase runs over everybody before the next starts (draw protocol)
        for phase in ("consider_sharing", "decide", "share", "consider_resharing", "reshare",
                      "hear_broadcast", "respond", "drop_out"):
            for p in people:
                getattr(p, phase)()
        ev = {k: np.asarray(v, dtype=np.int64) for k, v in self._events.items()}
        return StepEvents(
            new_aware=ev["new_aware"],
            new_aware_peer=ev["new_aware"][self.reached_by[ev["new_aware"]] == BY_PEER],
            new_engaged=ev["new_engaged"],
            new_engaged_peer=ev["new_engaged"][self.engaged_via[ev["new_engaged"]] == BY_PEER],
            new_disengaged=ev["new_disengaged"],
            deciders=ev["deciders"],
            choices=ev["choices"],
            exposure_sources=ev["exposure_sources"],
            unwanted_sources=ev["unwanted_sources"],
        )

    def _record(self, ev: StepEvents) -> None:
        G = self.n_groups
        row = self.counts[self.t + 1]
        row[:] = self.counts[self.t]
        for col in ("decisions_avoid", "decisions_allocate", "decisions_embed",
                    "decisions_open", "exposures", "unwanted"):
            row[:, COL[col]] = 0
        group = self.group

        def by_group(idx: np.ndarray) -> np.ndarray:
            return np.bincount(group[idx], minlength=G)

        row[:, COL["aware"]] += by_group(ev.new_aware)
        row[:, COL["peer_aware"]] += by_group(ev.new_aware_peer)
        row[:, COL["engaged"]] += by_group(ev.new_engaged)
        row[:, COL["peer_engaged"]] += by_group(ev.new_engaged_peer)
        row[:, COL["engaged_now"]] += by_group(ev.new_engaged) - by_group(ev.new_disengaged)
        if ev.deciders.size:
            flat = np.bincount(group[ev.deciders].astype(np.int64) * 4 + ev.choices,
                               minlength=4 * G).reshape(G, 4)
            row[:, COL["decisions_avoid"]:COL["decisions_open"] + 1] = flat
        row[:, COL["exposures"]] = by_group(ev.exposure_sources)
        row[:, COL["unwanted"]] = by_group(ev.unwanted_sources)

    def run(self) -> DiffusionModel:
        """Run all the scenario's steps; returns self."""
        while self.running and self.t < self.scenario.steps:
            self.step()
        return self

    # ------------------------------------------------------------------ results
    def trajectory(self) -> dict[str, np.ndarray]:
        """Every per-person state array (for comparing engines and debugging)."""
        return {
            "state": self.state.copy(),
            "strategy": self.strategy.copy(),
            "engaged_step": self.engaged_step.copy(),
            "reached_by": self.reached_by.copy(),
            "engaged_via": self.engaged_via.copy(),
            "seen_sharing": self.seen_sharing.copy(),
        }


def build_world(
    scenario: Scenario, streams: RunStreams
) -> tuple[network_mod.Network, Population, tuple[str, ...]]:
    """Build the network and the people of one run from their streams.

    Generated networks: groups are drawn first (population stream), then the network
    (network stream, which may use the groups for homophily), then traits and access.
    User files: people, groups and ties come from the files; values the files do not
    give are drawn from the scenario's distributions.
    """
    sc = scenario
    nodes = None
    if sc.population.nodes_file:
        nodes = network_mod.read_nodes_file(sc.resolve_path(sc.population.nodes_file),
                                            sc.n_groups)
    if sc.network.kind == "edgelist":
        net, group, nodes = network_mod.load_edge_list(
            sc.resolve_path(sc.network.edges_file), sc.network.strong_threshold, nodes,
            sc.n_groups, sc.population.group_shares, streams.population)
    elif nodes is not None:
        group = nodes.group
        net = network_mod.build_network(sc.network, group, streams.network)
    else:
        group = draw_groups(sc.population.size, sc.population.group_shares, streams.population)
        net = network_mod.build_network(sc.network, group, streams.network)
    given_traits = nodes.traits if nodes is not None else None
    given_access = nodes.access if nodes is not None else None
    pop = draw_population(sc, np.asarray(group), streams.population, given_traits, given_access)
    return net, pop, net.notes


def choose_seeds(
    scenario: Scenario, pop: Population, degree: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """Indices (ascending) of the people engaged at the start, by the seeding policy.

    ``k = max(1, round(seed_fraction · n))`` people are seeded:

    - ``random``: uniformly without replacement;
    - ``highest_degree``: the k highest degrees (ties in random order);
    - ``targeted``: uniformly within ``target_group`` (all of it if smaller than k);
    - ``clinician_referral``: without replacement with chance proportional to
      ``referral_need`` of the person's group.
    """
    iv = scenario.intervention
    n = pop.n
    k = min(n, max(1, int(round(iv.seed_fraction * n))))
    if iv.seeding == "random":
        seeds = rng.choice(n, size=k, replace=False)
    elif iv.seeding == "highest_degree":
        tiebreak = rng.random(n)
        seeds = np.lexsort((tiebreak, -degree))[:k]
    elif iv.seeding == "targeted":
        members = np.flatnonzero(pop.group == iv.target_group - 1)
        seeds = rng.choice(members, size=min(k, members.size), replace=False)
    else:  # clinician_referral
        w = np.asarray(iv.referral_need, dtype=float)[pop.group]
        seeds = rng.choice(n, size=min(k, int(np.count_nonzero(w))), replace=False,
                           p=w / w.sum())
    return np.sort(seeds.astype(np.int64))


__all__ = [
    "ALLOCATE",
    "AVOID",
    "COUNT_COLUMNS",
    "EMBED",
    "OPEN",
    "DiffusionModel",
    "Person",
    "StepEvents",
    "choose_seeds",
    "run_seed_sequence",
]
