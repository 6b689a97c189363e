"""The rules of a step as an engine needs them: the scenario's parameters turned, once
per run, into arrays and plain numbers.

Both engines read only this (and the world and the run state), never the model or the
scenario tree, so a step is ``engine.step(world, state, rules, rng)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from diffusion_sim import portable_math
from diffusion_sim.decision import StrategyArrays
from diffusion_sim.scenario import Scenario


@dataclass(frozen=True)
class Rules:
    """Everything a step needs from the scenario.

    Attributes
    ----------
    table : StrategyArrays
        The strategy table by code (avoid = 0).
    p_tie : ndarray, shape (S, 2)
        ``p_tie[s, strong]``: chance that one tie transmits under strategy ``s``,
        ``1 − exp(−transmissibility · fidelity_s · weight)``, weight of a weak (0) or
        strong (1) tie.
    in_audience : ndarray of bool, shape (S, 2)
        Whether a weak / strong tie is in the audience of strategy ``s``.
    p_tie_audience : ndarray, shape (2·S,)
        ``p_tie`` with 0 outside the audience, flat index ``2·s + strong``.
    attrition_after : ndarray, shape (S + 1,)
        Weekly chance to disengage by the person's latest decision, index ``code + 1``
        (index 0: no decision yet): ``attrition · (1 − motivation_code)``.
    forced : int or None
        The code every decider uses, if a strategy is forced.
    draw_choice : bool
        Whether the choice consumes a uniform (temperature > 0 and nothing forced).
    """

    table: StrategyArrays
    p_tie: np.ndarray
    in_audience: np.ndarray
    p_tie_audience: np.ndarray
    forced: int | None
    draw_choice: bool
    temperature: float
    norm_weight: float
    share_once: bool
    reshare_prob: float
    comparison_penalty: float
    attrition: float
    attrition_after: np.ndarray
    learning_rate: float
    reinforcement: int
    broadcast_rate: float

    @classmethod
    def from_scenario(cls, sc: Scenario) -> Rules:
        table = StrategyArrays.from_scenario(sc)
        dec, tr = sc.decision, sc.transmission
        forced = table.code(dec.forced_strategy) if dec.forced_strategy else None
        p_tie = _p_tie(sc.transmission.transmissibility, tuple(table.fidelity.tolist()),
                       sc.network.weak_weight, sc.network.strong_weight).copy()
        in_audience = np.column_stack([~table.strong_only, np.ones(table.n, bool)])
        return cls(
            table=table,
            p_tie=p_tie,
            in_audience=in_audience,
            p_tie_audience=np.where(in_audience, p_tie, 0.0).ravel(),
            forced=forced,
            draw_choice=dec.temperature > 0 and forced is None,
            temperature=dec.temperature,
            norm_weight=dec.norm_weight,
            share_once=dec.share_once,
            reshare_prob=tr.reshare_prob,
            comparison_penalty=tr.comparison_penalty,
            attrition=tr.attrition,
            attrition_after=tr.attrition * (1.0 - np.concatenate([[0.0], table.motivation])),
            learning_rate=tr.learning_rate,
            reinforcement=tr.reinforcement,
            broadcast_rate=sc.intervention.broadcast_rate,
        )


@lru_cache(maxsize=256)
def _p_tie(transmissibility: float, fidelity: tuple[float, ...], weak: float,
           strong: float) -> np.ndarray:
    """Per-tie transmission chance by strategy (rows) and tie strength (weak, strong),
    with the same bits on every CPU (:func:`portable_math.expm1`, ~70 numpy calls);
    cached, read-only, as every replicate of a scenario needs the same table."""
    out = -portable_math.expm1(-transmissibility * np.outer(fidelity, [weak, strong]))
    out.flags.writeable = False
    return out

