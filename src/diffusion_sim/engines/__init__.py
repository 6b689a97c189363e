"""The engines: one contract, two implementations, one draw protocol.

An engine advances a run by one step::

    engine.step(world, state, rules, rng, counter) -> None

reading the fixed :class:`~diffusion_sim.world.World`, changing the
:class:`~diffusion_sim.state.RunState` in place, following the
:class:`~diffusion_sim.rules.Rules`, drawing from ``rng`` and recording the step's
counts in the :class:`~diffusion_sim.state.Counter` (row ``state.t + 1``); the caller
then calls ``state.advance()``. ``engine.run(world, state, rules, rng, counter,
steps)`` runs every remaining step (the compiled engine in one call). No engine
reaches into the model. :data:`ENGINES` lists them by name:

- ``"compiled"`` (:mod:`~diffusion_sim.engines.compiled`, the default; also accepted
  as ``"vectorized"``, the name of the numpy engine it replaced): numba-compiled loops
  over arrays, one fused pass over the active ties per step;
- ``"agents"`` (:mod:`~diffusion_sim.engines.agents`): each ``Person`` (a
  ``mesa.Agent``) applies the rules in plain Python; the readable reference.

**Draw protocol** of one step (all from ``rng``; "ascending" = by person index). Both
engines consume exactly these uniforms in this order, so given the same seed their
trajectories are identical:

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
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from diffusion_sim.engines.agents import AgentEngine, Person
from diffusion_sim.engines.compiled import CompiledEngine
from diffusion_sim.errors import ScenarioError
from diffusion_sim.rules import Rules
from diffusion_sim.state import Counter, RunState
from diffusion_sim.world import World


class Engine(Protocol):
    """What an engine is: a name and a step (see the module docstring)."""

    name: str

    def step(self, world: World, state: RunState, rules: Rules, rng: np.random.Generator,
             counter: Counter) -> None: ...


def run_steps(engine: Engine, world: World, state: RunState, rules: Rules,
              rng: np.random.Generator, counter: Counter, steps: int) -> None:
    """Every remaining step: the engine's own ``run`` if it has one, else step by step."""
    run = getattr(engine, "run", None)
    if run is not None:
        run(world, state, rules, rng, counter, steps)
        return
    while state.t < steps:
        engine.step(world, state, rules, rng, counter)
        state.advance()


#: name -> factory given a way to get the model's people (built only if needed).
ENGINES: dict[str, Callable[[Callable[[], Sequence[Person]]], Engine]] = {
    "compiled": lambda people: CompiledEngine(),
    "vectorized": lambda people: CompiledEngine(),  # the fast engine's earlier name
    "agents": lambda people: AgentEngine(people()),
}


def make_engine(name: str, people: Callable[[], Sequence[Person]]) -> Engine:
    """The engine called ``name``; ``people()`` builds the agents if it needs them."""
    if name not in ENGINES:
        raise ScenarioError(f"engine: {name!r} is not one of {', '.join(map(repr, ENGINES))}")
    return ENGINES[name](people)


__all__ = ["ENGINES", "AgentEngine", "CompiledEngine", "Engine", "Person", "make_engine",
           "run_steps"]
