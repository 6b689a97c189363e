"""The Mesa model: :class:`DiffusionModel` = world + run state + engine + counter.

State lives in numpy arrays owned by the model (one row per person): the fixed
:class:`~diffusion_sim.world.World` and the dynamic
:class:`~diffusion_sim.state.RunState`. Each :meth:`DiffusionModel.step` asks the
engine for one step (``engine.step(world, state, rules, rng, counter)``),
records the events in the per-group counters and lets Mesa's DataCollector read them.

Engines (see :mod:`diffusion_sim.engines`): ``"compiled"`` (default, numba) and
``"agents"`` (per-agent Python rules, the readable reference); both consume the same
random numbers in the same order and produce identical trajectories.

People are :class:`~diffusion_sim.engines.agents.Person` agents created lazily: the
vectorised engine never needs them, so a sweep run does not pay ~450 bytes and
~10 µs per person for a ``mesa.Agent``; they are built the first time
``model.agents`` (or the per-agent engine) needs them.
"""

from __future__ import annotations

import mesa
import numpy as np

from diffusion_sim.engines import AgentEngine, Engine, Person, make_engine, run_steps
from diffusion_sim.rules import Rules
from diffusion_sim.scenario import Scenario, default_scenario
from diffusion_sim.state import COL, COUNT_COLUMNS, Counter, RunState, StepEvents, count_columns
from diffusion_sim.world import RunStreams, World, build_world, run_seed_sequence


def _fraction(column: str):
    def reporter(m: DiffusionModel) -> float:
        return float(m.counts[m.run_state.t, :, m.counter.col[column]].sum() / m.world.n)

    reporter.__name__ = f"{column}_fraction"
    return reporter


def sharing_acts(m: DiffusionModel) -> int:
    """Decisions other than avoid in the last step."""
    first = m.counter.col["decisions_" + m.rules.table.names[1]] if m.rules.table.n > 1 else 0
    last = m.counter.col["decisions_" + m.rules.table.names[-1]] + 1
    return int(m.counts[m.run_state.t, :, first:last].sum())


#: Model-level reporters of the DataCollector (one row per step, row 0 = the start).
MODEL_REPORTERS = {
    "aware": _fraction("aware"),
    "engaged": _fraction("engaged"),
    "peer_engaged": _fraction("peer_engaged"),
    "sharing_acts": sharing_acts,
}


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
    engine : {"compiled", "agents"}
        The compiled engine (fast, default; ``"vectorized"`` is accepted too) or the
        per-agent reference engine; identical results.
    collect : bool
        Fill the Mesa DataCollector after every step (default). ``False`` is the fast
        path of sweeps and comparisons: no reporter runs, and :meth:`run` runs every
        step in one compiled call.
    rng : int, optional
        What ``mesa.batch_run`` (mesa ≥ 3.4) passes as the replicate's seed: used as
        ``seed`` when ``seed`` is not given.

    Attributes
    ----------
    world : World
        Network, people, seeds (fixed during the run).
    run_state : RunState
        The per-person dynamic arrays and the step index ``run.t``.
    rules : Rules
        The scenario's parameters as the step needs them.
    counts : ndarray of int64, shape (steps + 1, n_groups, len(count_columns))
        The per-step, per-group counters (see :func:`~diffusion_sim.state.count_columns`).
    datacollector : mesa.DataCollector
        Model-level fractions per step (aware, engaged, peer_engaged, sharing_acts).
    """

    def __init__(
        self,
        scenario: Scenario | None = None,
        *,
        seed: int | None = None,
        key: tuple[int, ...] = (),
        engine: str = "compiled",
        rng: object = None,
        collect: bool = True,
    ) -> None:
        if seed is None and isinstance(rng, int | np.integer):
            seed = int(rng)  # mesa.batch_run >= 3.4 passes the replicate seed as rng
        self.scenario = scenario if scenario is not None else default_scenario()
        self.seed_sequence = run_seed_sequence(seed, key)
        streams = RunStreams(self.seed_sequence)
        super().__init__(rng=streams.dynamics)
        self._people: list[Person] | None = None
        sc = self.scenario
        self.world: World = build_world(sc, streams)
        self.rules = Rules.from_scenario(sc)
        self.run_state = RunState.start(self.world.n, self.world.seeds,
                                        self.world.traits["privacy_concern"],
                                        self.rules.reinforcement)
        self.counter = Counter(count_columns(sc.strategy_names), self.world.group,
                               sc.n_groups, sc.steps)
        self.counter.start(self.world.seeds, self.run_state.privacy_concern)
        self.engine_name = engine
        self.engine: Engine = make_engine(engine, self._ensure_people)
        self.collect = collect
        self.datacollector = mesa.DataCollector(model_reporters=MODEL_REPORTERS)
        if collect:
            self.datacollector.collect(self)

    # ------------------------------------------------------------------ views
    @property
    def counts(self) -> np.ndarray:
        return self.counter.counts

    @property
    def count_columns(self) -> tuple[str, ...]:
        return self.counter.columns

    @property
    def n(self) -> int:
        return self.world.n

    @property
    def n_groups(self) -> int:
        return self.world.n_groups

    @property
    def group_sizes(self) -> np.ndarray:
        return self.world.group_sizes

    @property
    def input_notes(self) -> tuple[str, ...]:
        return self.world.notes

    @property
    def t(self) -> int:
        """Index of the next step to run (= steps run so far)."""
        return self.run_state.t

    def __getattr__(self, name: str):
        # the per-person arrays, readable as model.state, model.group, ...
        if name in ("state", "strategy", "engaged_step", "reached_by", "engaged_via",
                    "seen_sharing", "seen_next"):
            if "run_state" in self.__dict__:
                return getattr(self.__dict__["run_state"], name)
        if name in ("network", "population", "group", "traits", "access", "degree", "seeds"):
            if "world" in self.__dict__:
                return getattr(self.__dict__["world"], name)
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    # ------------------------------------------------------------------ agents
    @property
    def agents(self) -> mesa.agent.AgentSet:
        """All :class:`Person` agents (created on first use; see module docstring)."""
        self._ensure_people()
        return super().agents

    def _ensure_people(self) -> list[Person]:
        if self._people is None:
            self._people = [Person(self, i) for i in range(self.world.n)]
        return self._people

    def person(self, index: int) -> Person:
        """The :class:`Person` of row ``index``."""
        return self._ensure_people()[index]

    # ------------------------------------------------------------------ stepping
    def step(self) -> None:
        """One step (one week): decide, share, respond, record.

        The call after the last week does nothing but end the run
        (``running = False``), and collects no row. This is what makes Mesa's
        ``batch_run`` (3.3) report the final week: it steps while
        ``running and model.steps <= max_steps`` and then reads the DataCollector's rows
        ``0 .. model.steps − 1`` by position, labelling row ``k`` "Step k". Row ``k``
        here is week ``k`` (row 0 = the start), so the last week ``T`` is reported only
        if ``model.steps`` reaches ``T + 1``: the closing call. Had the last week itself
        set ``running = False``, ``model.steps`` would stop at ``T`` and batch_run would
        report week ``T − 1`` as the last. ``model.steps`` keeps Mesa's meaning (calls
        of ``step()``); :attr:`t` counts the weeks run.
        """
        if self.run_state.t >= self.scenario.steps:
            self.running = False
            return
        self.engine.step(self.world, self.run_state, self.rules, self.rng, self.counter)
        self.run_state.advance()
        if self.collect:
            self.datacollector.collect(self)

    def run(self) -> DiffusionModel:
        """Run all the scenario's steps; returns self (with ``running`` False).

        Without data collection (``collect=False``) the engine runs every remaining
        step at once (the compiled engine in one call)."""
        if not self.collect:
            run_steps(self.engine, self.world, self.run_state, self.rules, self.rng,
                      self.counter, self.scenario.steps)
        while self.running and self.run_state.t < self.scenario.steps:
            self.step()
        self.running = False
        return self

    # ------------------------------------------------------------------ results
    def trajectory(self) -> dict[str, np.ndarray]:
        """Every per-person state array (for comparing engines and debugging)."""
        return self.run_state.arrays()


__all__ = [
    "COL",
    "COUNT_COLUMNS",
    "AgentEngine",
    "DiffusionModel",
    "Person",
    "StepEvents",
    "run_seed_sequence",
]
