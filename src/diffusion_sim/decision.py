"""Strategies and the multinomial-logit choice: one formula, used by both engines.

Utility of strategy ``s`` for a person (MODEL.md, step 1)::

    U_s = benefit_s − privacy_concern·control_loss_s − identity_sensitivity·identity_risk_s
          − other_regard·others_harm_s + norm_weight·seen_sharing

for the sharing strategies; ``U_avoid = 0``. A disabled strategy has ``U = −inf``.
With temperature ``τ > 0`` the choice is the multinomial logit
``P(s) = exp(U_s/τ) / Σ_r exp(U_r/τ)``, drawn by inverting its cumulative
distribution with one uniform ``u`` per decider (strategies in code order: the first
``s`` whose cumulative weight exceeds ``u`` times the total). With ``τ = 0`` it is the
deterministic best response ``argmax_s U_s`` (ties go to the lower code:
avoid < allocate < embed < open) and no uniform is used.

Because ``open`` is the last code, for a fixed ``u`` a person shares openly exactly
when ``u > 1 − P(open)``: anything that lowers ``P(open)`` can only turn open sharers
into something else, draw by draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from diffusion_sim.scenario import SHARING_STRATEGIES, STRATEGIES, Scenario

AVOID, ALLOCATE, EMBED, OPEN = range(4)
NO_DECISION = -1


@dataclass(frozen=True)
class StrategyArrays:
    """The strategy table as arrays indexed by strategy code (avoid, allocate, embed, open)."""

    benefit: np.ndarray
    control_loss: np.ndarray
    identity_risk: np.ndarray
    others_harm: np.ndarray
    fidelity: np.ndarray
    strong_only: np.ndarray  # audience is strong ties only
    enabled: np.ndarray
    sharing: np.ndarray  # 0 for avoid, 1 for the others (the norm term applies to sharing)

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> StrategyArrays:
        def col(attr: str, avoid_value: float = 0.0) -> np.ndarray:
            return np.array(
                [avoid_value] + [getattr(scenario.strategies.get(s), attr) for s in SHARING_STRATEGIES],
                dtype=np.float64,
            )

        strong_only = np.array(
            [False] + [scenario.strategies.get(s).audience == "strong" for s in SHARING_STRATEGIES]
        )
        enabled = np.array([True] + [scenario.strategies.get(s).enabled for s in SHARING_STRATEGIES])
        return cls(
            benefit=col("benefit"),
            control_loss=col("control_loss"),
            identity_risk=col("identity_risk"),
            others_harm=col("others_harm"),
            fidelity=col("fidelity"),
            strong_only=strong_only,
            enabled=enabled,
            sharing=np.array([0.0, 1.0, 1.0, 1.0]),
        )


def utilities(
    table: StrategyArrays,
    privacy_concern: np.ndarray | float,
    identity_sensitivity: np.ndarray | float,
    other_regard: np.ndarray | float,
    seen_sharing: np.ndarray | float,
    norm_weight: float,
) -> np.ndarray:
    """Utilities of the four strategies, strategy-major: shape ``(4,) + shape(person)``.

    Parameters are per person (arrays of shape ``(k,)``) or one person's scalars;
    ``seen_sharing`` ∈ [0, 1] is the share of the person's ties seen sharing last step.
    Row ``s`` holds strategy ``s`` for everybody, so the arithmetic runs over long
    contiguous rows; it is elementwise IEEE double, so a person's utilities are
    bit-identical whether computed alone (per-agent engine) or in a batch.
    """
    pc = np.asarray(privacy_concern, dtype=np.float64)
    ids = np.asarray(identity_sensitivity, dtype=np.float64)
    oreg = np.asarray(other_regard, dtype=np.float64)
    seen = np.asarray(seen_sharing, dtype=np.float64)
    col = (slice(None),) + (None,) * pc.ndim

    def c(a: np.ndarray) -> np.ndarray:
        return a[col]

    u = (
        c(table.benefit)
        - pc * c(table.control_loss)
        - ids * c(table.identity_risk)
        - oreg * c(table.others_harm)
        + (norm_weight * seen) * c(table.sharing)
    )
    return np.where(c(table.enabled), u, -np.inf)


def choose(utility: np.ndarray, uniform: np.ndarray | float | None,
           temperature: float) -> np.ndarray:
    """Strategy codes from strategy-major utilities ``(4, ...)`` and one uniform in
    [0, 1) per person.

    ``temperature == 0`` ignores the uniform (deterministic best response, ties to the
    lower code).
    """
    if temperature == 0.0 or uniform is None:
        return np.argmax(utility, axis=0)
    scaled = utility / temperature
    top = np.maximum(np.maximum(scaled[0], scaled[1]), np.maximum(scaled[2], scaled[3]))
    weight = np.exp(scaled - top)
    c1 = weight[0] + weight[1]
    c2 = c1 + weight[2]
    c3 = c2 + weight[3]
    threshold = np.asarray(uniform) * c3
    # the first strategy whose cumulative weight exceeds the threshold
    code = (weight[0] <= threshold).astype(np.int64) + (c1 <= threshold) + (c2 <= threshold)
    # (u·total can round up to total: never pick a disabled last strategy then)
    last = np.where(weight[3] > 0, 3, np.where(weight[2] > 0, 2, np.where(weight[1] > 0, 1, 0)))
    return np.minimum(code, last)


def strategy_code(name: str) -> int:
    """Code of a strategy name (``"avoid"`` → 0 … ``"open"`` → 3)."""
    return STRATEGIES.index(name)
