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
compiled engine never needs them, so a sweep run does not pay ~450 bytes and
~10 µs per person for a ``mesa.Agent``; they are built the first time
``model.agents`` (or the per-agent engine) needs them.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx
import numpy as np

from diffusion_sim.engines import AgentEngine, Engine, Person, make_engine, run_steps
from diffusion_sim.errors import ScenarioError
from diffusion_sim.mesa_api import Network, mesa
from diffusion_sim.reporters import AGENT_REPORTERS, model_reporters, step_figures
from diffusion_sim.rules import Rules
from diffusion_sim.scenario import Scenario, default_scenario, load
from diffusion_sim.state import COL, COUNT_COLUMNS, Counter, RunState, StepEvents, count_columns
from diffusion_sim.world import RunStreams, World, build_world, run_seed_sequence

#: What a model collects per step: nothing (the fast path), the model reporters, or
#: the model and the agent reporters (see :mod:`diffusion_sim.reporters`).
COLLECT = (None, "model", "agents")


def scenario_overrides(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Keyword arguments naming scenario settings -> ``{dotted.path: plain value}``.

    A name is the setting's dotted path (``"transmission.transmissibility"``, passed
    as ``**{...}`` or as a key of ``batch_run``'s parameters) or the same with ``__``
    for the dots (``transmission__transmissibility=0.5``, a Python identifier). numpy
    scalars become Python numbers (``np.linspace`` sweeps) and tuples lists.
    """
    out: dict[str, Any] = {}
    for name, value in settings.items():
        path = name.replace("__", ".")
        if isinstance(value, np.generic):
            value = value.item()
        elif isinstance(value, tuple | np.ndarray):
            value = [v.item() if isinstance(v, np.generic) else v for v in value]
        if path in out:
            raise ScenarioError(f"DiffusionModel: {path} given twice ({name!r})")
        out[path] = value
    return out


def _seed_from(seed: int | None, rng: object) -> int | None:
    """The run's seed from Mesa's two names for it (``rng`` since mesa 3.4)."""
    if rng is None:
        return seed
    if seed is not None:
        raise ScenarioError("DiffusionModel: give seed or rng, not both")
    if isinstance(rng, np.random.Generator):
        return int(rng.integers(2**63))
    if isinstance(rng, int | np.integer) and not isinstance(rng, bool) and rng >= 0:
        return int(rng)
    raise ScenarioError(f"DiffusionModel: rng must be an int >= 0 or a numpy Generator, "
                        f"got {rng!r}")


class DiffusionModel(mesa.Model):
    """Peer-to-peer diffusion of health information with avoid / allocate / embed / open.

    Parameters
    ----------
    scenario : Scenario or str or Path, optional
        The validated parameters, or the path of a scenario TOML file (default:
        :func:`~diffusion_sim.scenario.default_scenario`).
    seed : int, optional
        Entropy of the run's ``SeedSequence``; ``None`` draws fresh entropy (recorded
        in ``model.seed_sequence``).
    key : tuple of int
        The run's identity (``spawn_key``), e.g. ``(point, replicate)``.
    engine : {"compiled", "agents"}
        The compiled engine (fast, default; ``"vectorized"`` is accepted too) or the
        per-agent reference engine; identical results.
    rng : int or numpy.random.Generator, optional
        Mesa's name for the seed (mesa ≥ 3.4): an int is used as ``seed``; a Generator
        gives one draw as the seed. Give ``seed`` or ``rng``, not both.
    collect : {"model", "agents", None}
        What the DataCollector records per step: the model reporters (default), the
        model and the agent reporters, or nothing: the fast path of
        :func:`~diffusion_sim.replicate.replicate`, where :meth:`run` also runs every
        step in one compiled call; see :mod:`diffusion_sim.reporters`.
    **kwargs
        Scenario settings on top of ``scenario``, by dotted name
        (``**{"transmission.transmissibility": 0.5}``, which is what ``mesa.batch_run``
        and SolaraViz pass) or with ``__`` for the dots
        (``transmission__transmissibility=0.5``). Validated as a scenario file is;
        ``model.parameters`` holds them.

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
        Every headline figure per step (:func:`~diffusion_sim.reporters.model_reporters`)
        unless ``collect`` is None.
    grid : mesa.discrete_space.Network
        Mesa's network space over the people, built on first use (:attr:`grid`).
    """

    def __init__(
        self,
        scenario: Scenario | str | Path | None = None,
        *,
        seed: int | None = None,
        key: tuple[int, ...] = (),
        engine: str = "compiled",
        rng: object = None,
        collect: str | None = "model",
        **kwargs: Any,
    ) -> None:
        seed = _seed_from(seed, rng)
        if collect not in COLLECT:
            raise ScenarioError(f"DiffusionModel: collect={collect!r} is not one of "
                                f"{', '.join(map(repr, COLLECT))}")
        base = (default_scenario() if scenario is None else
                scenario if isinstance(scenario, Scenario) else load(scenario))
        self.parameters = scenario_overrides(kwargs)
        self.scenario = (base.with_overrides(self.parameters, source="DiffusionModel")
                         if self.parameters else base)
        self.seed_sequence = run_seed_sequence(seed, key)
        streams = RunStreams(self.seed_sequence)
        super().__init__(rng=streams.dynamics)
        self._people: list[Person] | None = None
        self._grid: Network | None = None
        self._figures: tuple[int, dict[str, float]] = (-1, {})
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
        self.datacollector = mesa.DataCollector(
            model_reporters=model_reporters(sc.n_groups, sc.strategy_names) if collect else None,
            agent_reporters=AGENT_REPORTERS if collect == "agents" else None)
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

    @property
    def figures(self) -> dict[str, float]:
        """Every headline figure of the current week, from the counters (what the
        DataCollector's model reporters read; see :mod:`diffusion_sim.reporters`)."""
        t = self.run_state.t
        if self._figures[0] != t:
            self._figures = (t, step_figures(self.counts[t], self.group_sizes,
                                             self.counter.col, self.rules.table.names))
        return self._figures[1]

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

    # ------------------------------------------------------------------ space
    @property
    def grid(self) -> Network:
        """Mesa's :class:`~mesa.discrete_space.Network` over the people (built on first
        use, so the fast path never pays for it): cell ``i`` is person ``i`` (its only
        agent, ``person.cell``), and cells are connected along the ties (edge attribute
        ``strong``). No layout is computed (mesa ≥ 3.5 would run a spring layout by
        default: ``layout=None``); a drawing brings its own positions.
        """
        if self._grid is None:
            net = self.world.network
            G = nx.Graph()
            G.add_nodes_from(range(self.world.n))
            rows = np.repeat(np.arange(self.world.n), np.diff(net.indptr))
            upper = rows < net.indices
            G.add_edges_from(zip(rows[upper].tolist(), net.indices[upper].tolist(),
                                 ({"strong": bool(x)} for x in net.strong[upper])))
            options = {"layout": None} if "layout" in inspect.signature(Network).parameters \
                else {}
            grid = Network(G, capacity=1, random=self.random, **options)
            for person, cell in zip(self._ensure_people(), (grid._cells[i] for i in
                                                             range(self.world.n))):
                cell.add_agent(person)
                person.cell = cell
            self._grid = grid
        return self._grid

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

        Without data collection (``collect=None``) the engine runs every remaining
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
