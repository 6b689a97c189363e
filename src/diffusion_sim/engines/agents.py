"""The per-agent engine: each :class:`Person` applies the rules of one step in plain
Python. The readable reference that a modeller reads and extends (as Mesa's examples
keep the rules in ``agents.py``); the compiled engine does exactly the same in
compiled loops over arrays, with the same random draws (the draw protocol in :mod:`diffusion_sim.engines`).

A :class:`Person` is a ``mesa.Agent`` and a view onto row ``index`` of its model's
arrays: reading ``person.state`` reads the array, setting it writes the array. The
rule methods (verbs, in the order a step runs them) receive a :class:`Step`: the
world, the run state, the rules, the random stream and the step's event log.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from diffusion_sim.decision import AVOID, NO_DECISION, choose, utilities
from diffusion_sim.mesa_api import mesa
from diffusion_sim.rules import Rules
from diffusion_sim.state import (
    BROADCASTER,
    STATES,
    Counter,
    Reach,
    RunState,
    State,
    StepEvents,
)
from diffusion_sim.world import World

if TYPE_CHECKING:
    from diffusion_sim.model import DiffusionModel


@dataclass
class Step:
    """What a person's rules see during one step, and the events they report."""

    world: World
    state: RunState
    rules: Rules
    rng: np.random.Generator
    people: Sequence[Person]
    events: dict[str, list[int]] = field(default_factory=lambda: {k: [] for k in (
        "deciders", "choices", "exposure_sources", "unwanted_sources", "new_aware",
        "new_engaged", "new_disengaged")})

    def note_exposer(self, person: int, peer: int) -> None:
        """Count ``peer`` among the distinct peers who exposed ``person`` (stage 2
        reinforcement; up to the threshold; the broadcast is peer ``BROADCASTER``)."""
        r = self.rules.reinforcement
        if r <= 1:
            return
        n = int(self.state.n_exposers[person])
        slots = self.state.exposers[person]
        if n >= r or peer in slots[:n]:
            return
        if n < r - 1:
            slots[n] = peer
        self.state.n_exposers[person] = n + 1

    def in_audience(self, sharer: int, strategy: int, other: int) -> bool:
        """Whether ``other`` is in the audience ``sharer`` chose with ``strategy``."""
        net = self.world.network
        lo, hi = int(net.indptr[sharer]), int(net.indptr[sharer + 1])
        pos = bisect_left(net.indices, other, lo, hi)
        if pos == hi or int(net.indices[pos]) != other:
            return False
        return bool(net.strong[pos]) or not bool(self.rules.table.strong_only[strategy])


class Person(mesa.Agent):
    """One person: a node of the network and a view onto row ``index`` of the model.

    The verbs below are the per-agent rules of one step, in the order
    :data:`PHASES` runs them, each over everybody before the next.
    """

    def __init__(self, model: DiffusionModel, index: int) -> None:
        super().__init__(model)
        self.index = index
        self._reset_step()

    # -------------------------------------------------------------- attributes
    @property
    def group(self) -> int:
        """Group, 1-based as in every output (1 = most deprived)."""
        return int(self.model.world.group[self.index]) + 1

    def trait(self, name: str) -> float:
        return float(self.model.world.traits[name][self.index])

    @property
    def privacy_concern(self) -> float:
        return self.trait("privacy_concern")

    @property
    def identity_sensitivity(self) -> float:
        return self.trait("identity_sensitivity")

    @property
    def other_regard(self) -> float:
        return self.trait("other_regard")

    @property
    def receptiveness(self) -> float:
        return self.trait("receptiveness")

    @property
    def digital_access(self) -> bool:
        return bool(self.model.world.access[self.index])

    @property
    def state(self) -> int:
        return int(self.model.run_state.state[self.index])

    @state.setter
    def state(self, value: int) -> None:
        self.model.run_state.state[self.index] = value

    @property
    def state_name(self) -> str:
        return STATES[self.state]

    @property
    def strategy(self) -> str | None:
        """What this person did last step (None if it had nothing to share)."""
        code = int(self.model.run_state.strategy[self.index])
        return None if code == NO_DECISION else self.model.rules.table.names[code]

    def ties(self, world: World | None = None) -> list[tuple[int, bool]]:
        """(neighbour index, is strong) for each tie, neighbours ascending."""
        net = (world or self.model.world).network
        lo, hi = int(net.indptr[self.index]), int(net.indptr[self.index + 1])
        return [(int(net.indices[e]), bool(net.strong[e])) for e in range(lo, hi)]

    def _reset_step(self) -> None:
        self._deciding = False
        self._exposed_first = False
        self._exposed_second = False
        self._source = -1
        self._source_strategy = -1
        self._compared_higher = False
        self._not_only_compared = False
        self._resharing = False
        self._broadcast = False
        self._lost_control = False

    # -------------------------------------------------------------- the rules
    def consider_sharing(self, s: Step) -> None:
        """1a: an engaged person on the platform has something to share (its activity)."""
        i = self.index
        if s.state.state[i] != State.ENGAGED or not s.world.access[i]:
            return
        if s.rules.share_once:
            self._deciding = int(s.state.engaged_step[i]) == s.state.t - 1
        else:
            self._deciding = s.rng.random() < s.world.traits["activity"][i]

    def decide(self, s: Step) -> None:
        """1b: choose a strategy by the multinomial logit."""
        i, r = self.index, s.rules
        if not self._deciding:
            s.state.strategy[i] = NO_DECISION
            return
        draw = s.rng.random() if r.draw_choice else None
        seen = int(s.state.seen_sharing[i]) / max(int(s.world.degree[i]), 1)
        tr = s.world.traits
        u = utilities(r.table, float(s.state.privacy_concern[i]),
                      float(tr["identity_sensitivity"][i]), float(tr["other_regard"][i]),
                      seen, r.norm_weight)
        code = r.forced if r.forced is not None else int(choose(u, draw, r.temperature))
        s.state.strategy[i] = code
        s.state.last_act[i] = code  # its motivation holds until the next decision
        if code != AVOID:
            s.state.acts[i] += 1
        s.events["deciders"].append(i)
        s.events["choices"].append(code)

    def share(self, s: Step) -> None:
        """2: expose each tie in the audience with chance 1 − exp(−T·fidelity·weight)."""
        code = int(s.state.strategy[self.index])
        if code in (NO_DECISION, AVOID):
            return
        for k, strong in self.ties(s.world):
            draw = s.rng.random()
            if s.rules.table.strong_only[code] and not strong:
                continue  # allocation reaches strong ties only
            s.state.seen_next[k] += 1
            if s.world.access[k] and draw < s.rules.p_tie[code, int(strong)]:
                s.people[k].receive(s, self.index, code)  # no access: unreachable

    def receive(self, s: Step, sharer: int, code: int) -> None:
        """Note a first-hand exposure from person ``sharer`` using strategy ``code``."""
        if not self._exposed_first:
            self._exposed_first = True
            self._source, self._source_strategy = sharer, code
        s.note_exposer(self.index, sharer)
        if s.rules.table.comparison[code]:
            if s.world.group[sharer] > s.world.group[self.index]:
                self._compared_higher = True
        else:
            self._not_only_compared = True
        s.events["exposure_sources"].append(sharer)

    def consider_resharing(self, s: Step) -> None:
        """2b: a first-hand receiver passes the content on (reshare_prob): loss of control."""
        if self._exposed_first and s.rules.reshare_prob > 0:
            self._resharing = s.rng.random() < s.rules.reshare_prob

    def reshare(self, s: Step) -> None:
        """2c: pass the first source's content to all ties; count unwanted disclosure."""
        if not self._resharing:
            return
        origin, code = self._source, self._source_strategy
        for k, strong in self.ties(s.world):
            draw = s.rng.random()
            if k == origin or not s.world.access[k]:
                continue
            if draw < s.rules.p_tie[code, int(strong)]:
                s.people[k]._exposed_second = True
                s.note_exposer(k, self.index)
                if not s.in_audience(origin, code, k):
                    s.events["unwanted_sources"].append(origin)
                    s.people[origin]._lost_control = True

    def hear_broadcast(self, s: Step) -> None:
        """2d: the intervention's broadcast reaches a not-yet-engaged person."""
        rate = s.rules.broadcast_rate
        if rate > 0 and s.state.state[self.index] in (State.UNAWARE, State.AWARE):
            self._broadcast = s.rng.random() < rate
            if self._broadcast:
                s.note_exposer(self.index, BROADCASTER)

    def respond(self, s: Step) -> None:
        """3: become aware when exposed; an aware person engages (receptiveness) once
        enough distinct peers have exposed them (reinforcement)."""
        i = self.index
        if not (self._exposed_first or self._exposed_second or self._broadcast):
            return
        via = Reach.BROADCAST if self._broadcast else Reach.PEER
        if s.state.state[i] == State.UNAWARE:
            s.state.state[i] = State.AWARE
            s.state.reached_by[i] = via
            s.events["new_aware"].append(i)
        if s.state.state[i] == State.AWARE:
            only_compared = (self._compared_higher and not self._not_only_compared
                             and not self._exposed_second and not self._broadcast)
            penalty = s.rules.comparison_penalty if only_compared else 1.0
            reinforced = s.rules.reinforcement <= 1 or (
                s.state.n_exposers[i] >= s.rules.reinforcement)
            draw = s.rng.random()
            if reinforced and draw < float(s.world.traits["receptiveness"][i]) * penalty:
                s.state.state[i] = State.ENGAGED
                s.state.engaged_step[i] = s.state.t
                s.state.engaged_via[i] = via
                s.events["new_engaged"].append(i)

    def drop_out(self, s: Step) -> None:
        """3b: attrition of people engaged before this step; sharing lowers it by the
        motivation of the person's latest decision (stage 2)."""
        i = self.index
        if (s.rules.attrition > 0 and s.state.state[i] == State.ENGAGED
                and s.state.engaged_step[i] < s.state.t):
            rate = s.rules.attrition_after[int(s.state.last_act[i]) + 1]
            if s.rng.random() < rate:
                s.state.state[i] = State.DISENGAGED
                s.events["new_disengaged"].append(i)

    def learn(self, s: Step) -> None:
        """4: a sharer whose content reached people outside its audience this week moves
        its privacy concern toward 1 by ``learning_rate`` of the distance (stage 2)."""
        lr = s.rules.learning_rate
        if lr > 0 and self._lost_control:
            pc = s.state.privacy_concern[self.index]
            s.state.privacy_concern[self.index] = pc + lr * (1.0 - pc)


#: The verbs of one step, in order; each runs over everybody before the next starts.
PHASES = ("consider_sharing", "decide", "share", "consider_resharing", "reshare",
          "hear_broadcast", "respond", "drop_out", "learn")


class AgentEngine:
    """The per-agent reference engine over a fixed list of :class:`Person` agents."""

    name = "agents"

    def __init__(self, people: Sequence[Person]) -> None:
        self.people = people

    def step(self, world: World, state: RunState, rules: Rules, rng: np.random.Generator,
             counter: Counter) -> None:
        """Advance ``state`` by step ``state.t`` and record it in ``counter``."""
        counter.record(state.t, self.events(world, state, rules, rng),
                       state.privacy_concern if rules.learning_rate > 0 else None)

    def events(self, world: World, state: RunState, rules: Rules, rng: np.random.Generator
               ) -> StepEvents:
        """Run the phases of one step over every person; what happened."""
        s = Step(world, state, rules, rng, self.people)
        for p in self.people:
            p._reset_step()
        for phase in PHASES:
            for p in self.people:
                getattr(p, phase)(s)
        ev = {k: np.asarray(v, dtype=np.int64) for k, v in s.events.items()}
        return StepEvents(
            new_aware=ev["new_aware"],
            new_aware_peer=ev["new_aware"][state.reached_by[ev["new_aware"]] == Reach.PEER],
            new_engaged=ev["new_engaged"],
            new_engaged_peer=ev["new_engaged"][
                state.engaged_via[ev["new_engaged"]] == Reach.PEER],
            new_disengaged=ev["new_disengaged"],
            deciders=ev["deciders"],
            choices=ev["choices"],
            exposure_sources=ev["exposure_sources"],
            unwanted_sources=ev["unwanted_sources"],
        )


__all__ = ["PHASES", "AgentEngine", "Person", "Step"]
