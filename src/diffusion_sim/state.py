"""What a run is made of while it runs: state codes, the per-person arrays, the events
of a step and the per-group counters they are recorded in.

- :class:`State` (unaware → aware → engaged, optionally disengaged) and :class:`Reach`
  (how a person was first reached / came to engage) are the codes stored in the arrays;
- :class:`RunState` holds every per-person dynamic array of one run;
- :class:`StepEvents` is what both engines return from a step;
- :class:`Counter` turns events into the per-step, per-group counters
  (:func:`count_columns`, generated from the scenario's strategy list).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import IntEnum

import numpy as np

from diffusion_sim.scenario import STRATEGIES


class State(IntEnum):
    """Stage of a person (stored as int8)."""

    UNAWARE = 0
    AWARE = 1
    ENGAGED = 2
    DISENGAGED = 3


class Reach(IntEnum):
    """How a person was first reached, or came to engage (stored as int8)."""

    NOT_REACHED = 0
    SEED = 1
    BROADCAST = 2
    PEER = 3


#: ``strategy`` of a person who had nothing to share last step.
NO_DECISION = -1
#: The "peer" id of the intervention's broadcast among a person's exposers.
BROADCASTER = -2
#: ``engaged_step`` of a person who never engaged.
NEVER = np.iinfo(np.int32).min
STATES = tuple(s.name.lower() for s in State)

#: Counters kept per group that are stocks (carried from step to step).
STOCKS = ("aware", "engaged", "engaged_now", "peer_aware", "peer_engaged")
#: Counters kept per group that are flows (counted afresh each step).
FLOWS = ("exposures", "unwanted")


def count_columns(strategies: Sequence[str] = STRATEGIES) -> tuple[str, ...]:
    """The counter columns for a strategy list (``avoid`` first).

    Stocks: aware / engaged (ever), engaged_now (currently engaged), peer_aware /
    peer_engaged (reached / engaged through a peer exposure). Flows during the step:
    ``decisions_<strategy>`` (by the decider's group), exposures (successful first-hand
    exposures, by the sharer's group) and unwanted (second-hand exposures outside the
    audience the original sharer chose, by the original sharer's group).
    """
    return (*STOCKS, *(f"decisions_{s}" for s in strategies), *FLOWS)


#: The columns of the default four strategies (row t = after step t; row 0 = the start).
COUNT_COLUMNS: tuple[str, ...] = count_columns()
COL = {name: i for i, name in enumerate(COUNT_COLUMNS)}


@dataclass
class StepEvents:
    """What changed in one step; both engines report it, :class:`Counter` counts it.

    Every field is an int64 array of person indices (or of strategy codes for
    ``choices``, aligned with ``deciders``).
    """

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
class RunState:
    """Every per-person dynamic array of one run, and the step index ``t``.

    Attributes
    ----------
    state : int8, a :class:`State` per person.
    strategy : int8, the strategy code chosen this step (``NO_DECISION`` if none).
    engaged_step : int32, the step a person engaged (-1 for seeds, ``NEVER``).
    reached_by, engaged_via : int8, a :class:`Reach` per person.
    seen_sharing : int32, ties in whose audience the person was last step.
    seen_next : int32, the same being counted this step.
    privacy_concern : float64, the person's privacy concern now (stage 2: it grows with
        losses of control when ``learning_rate`` > 0; starts at the trait).
    last_act : int8, the strategy of the person's latest decision (``NO_DECISION`` if
        none yet): its motivation holds until the next decision (stage 2).
    acts : int32, sharing acts (decisions other than avoid) so far.
    n_exposers : int16, distinct peers who exposed the person so far, counted up to the
        ``reinforcement`` threshold (stage 2; the broadcast counts as one).
    exposers : int32 (n, reinforcement − 1), who they were, until the threshold is
        reached (-1 = free slot; the order of the slots carries no meaning).
    t : index of the step being run (0-based).
    """

    state: np.ndarray
    strategy: np.ndarray
    engaged_step: np.ndarray
    reached_by: np.ndarray
    engaged_via: np.ndarray
    seen_sharing: np.ndarray
    seen_next: np.ndarray
    privacy_concern: np.ndarray
    last_act: np.ndarray
    acts: np.ndarray
    n_exposers: np.ndarray
    exposers: np.ndarray
    t: int = 0

    @classmethod
    def start(cls, n: int, seeds: np.ndarray, privacy_concern: np.ndarray,
              reinforcement: int = 1) -> RunState:
        """Everybody unaware but the seeds, who are engaged (by seeding) before step 0."""
        s = cls(state=np.zeros(n, dtype=np.int8),
                strategy=np.full(n, NO_DECISION, dtype=np.int8),
                engaged_step=np.full(n, NEVER, dtype=np.int32),
                reached_by=np.zeros(n, dtype=np.int8),
                engaged_via=np.zeros(n, dtype=np.int8),
                seen_sharing=np.zeros(n, dtype=np.int32),
                seen_next=np.zeros(n, dtype=np.int32),
                privacy_concern=np.array(privacy_concern, dtype=np.float64),
                last_act=np.full(n, NO_DECISION, dtype=np.int8),
                acts=np.zeros(n, dtype=np.int32),
                n_exposers=np.zeros(n if reinforcement > 1 else 0, dtype=np.int16),
                exposers=np.full((n if reinforcement > 1 else 0, max(reinforcement - 1, 0)),
                                 -1, dtype=np.int32))
        s.state[seeds] = State.ENGAGED
        s.engaged_step[seeds] = -1
        s.reached_by[seeds] = Reach.SEED
        s.engaged_via[seeds] = Reach.SEED
        return s

    def advance(self) -> None:
        """End a step: what was seen this step becomes last step's; ``t`` moves on."""
        self.seen_sharing, self.seen_next = self.seen_next, self.seen_sharing
        self.seen_next[:] = 0
        self.t += 1

    def arrays(self) -> dict[str, np.ndarray]:
        """Copies of the arrays that make up a trajectory (for comparing engines)."""
        return {k: getattr(self, k).copy() for k in (
            "state", "strategy", "engaged_step", "reached_by", "engaged_via", "seen_sharing",
            "privacy_concern", "last_act", "acts", "n_exposers")}


@dataclass
class Counter:
    """The per-step, per-group counters of one run.

    ``counts[t, g, c]``: row t = after step t (row 0 = the start), group g (0-based),
    column c of :attr:`columns`. ``concern[t, g]``: the sum of the privacy concern of
    group g's members after step t (divide by the group's size for the mean).
    """

    columns: tuple[str, ...]
    group: np.ndarray
    n_groups: int
    steps: int
    counts: np.ndarray = field(init=False)
    concern: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        self.col = {c: i for i, c in enumerate(self.columns)}
        self.counts = np.zeros((self.steps + 1, self.n_groups, len(self.columns)), np.int64)
        self.concern = np.zeros((self.steps + 1, self.n_groups), np.float64)
        first = self.columns.index("decisions_" + STRATEGIES[0])
        self._decisions = slice(first, first + len(self.columns) - len(STOCKS) - len(FLOWS))

    def by_group(self, idx: np.ndarray) -> np.ndarray:
        return np.bincount(self.group[idx], minlength=self.n_groups)

    def concern_sums(self, privacy_concern: np.ndarray) -> np.ndarray:
        """Per-group sums of privacy concern (``np.bincount``: a sequential sum in
        person order, the same on every CPU)."""
        return np.bincount(self.group, weights=privacy_concern, minlength=self.n_groups)

    def start(self, seeds: np.ndarray, privacy_concern: np.ndarray) -> None:
        """Row 0: the seeds are aware, engaged and engaged now."""
        first = self.by_group(seeds)
        for c in ("aware", "engaged", "engaged_now"):
            self.counts[0, :, self.col[c]] = first
        self.concern[:] = self.concern_sums(privacy_concern)

    def record(self, t: int, ev: StepEvents, privacy_concern: np.ndarray | None = None
               ) -> None:
        """Row ``t + 1`` from row ``t`` and the events of step ``t`` (and the privacy
        concern after it, when it may have changed)."""
        if privacy_concern is not None:
            self.concern[t + 1:] = self.concern_sums(privacy_concern)
        col = self.col
        row = self.counts[t + 1]
        row[:] = self.counts[t]
        row[:, self._decisions] = 0
        row[:, col["aware"]] += self.by_group(ev.new_aware)
        row[:, col["peer_aware"]] += self.by_group(ev.new_aware_peer)
        row[:, col["engaged"]] += self.by_group(ev.new_engaged)
        row[:, col["peer_engaged"]] += self.by_group(ev.new_engaged_peer)
        row[:, col["engaged_now"]] += self.by_group(ev.new_engaged) - self.by_group(
            ev.new_disengaged)
        S = self._decisions.stop - self._decisions.start
        if ev.deciders.size:
            flat = np.bincount(self.group[ev.deciders].astype(np.int64) * S + ev.choices,
                               minlength=S * self.n_groups).reshape(self.n_groups, S)
            row[:, self._decisions] = flat
        row[:, col["exposures"]] = self.by_group(ev.exposure_sources)
        row[:, col["unwanted"]] = self.by_group(ev.unwanted_sources)
