"""Strategies and the multinomial-logit choice: one formula, used by both engines.

Utility of strategy ``s`` for a person (MODEL.md, step 1)::

    U_s = benefit_s − privacy_concern·control_loss_s − identity_sensitivity·identity_risk_s
          − other_regard·others_harm_s + norm_weight·seen_sharing

for the sharing strategies; ``U_avoid = 0``. A disabled strategy has ``U = −inf``.
With temperature ``τ > 0`` the person picks ``argmax_s (U_s/τ + G_s)`` with
``G_s`` standard Gumbel noise, which is exactly the multinomial logit
``P(s) ∝ exp(U_s/τ)``; with ``τ = 0`` it is the deterministic best response
``argmax_s U_s`` (ties go to the lower code: avoid < allocate < embed < open).
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
    """Utilities of the four strategies, shape ``(..., 4)``.

    Parameters are per person (arrays of shape ``(k,)``) or one person's scalars;
    ``seen_sharing`` ∈ [0, 1] is the share of the person's ties seen sharing last step.
    The arithmetic is elementwise IEEE double, so a person's row is bit-identical
    whether computed alone (per-agent engine) or in a batch (vectorised engine).
    """
    pc = np.asarray(privacy_concern, dtype=np.float64)[..., None]
    ids = np.asarray(identity_sensitivity, dtype=np.float64)[..., None]
    oreg = np.asarray(other_regard, dtype=np.float64)[..., None]
    seen = np.asarray(seen_sharing, dtype=np.float64)[..., None]
    u = (
        table.benefit
        - pc * table.control_loss
        - ids * table.identity_risk
        - oreg * table.others_harm
        + (norm_weight * seen) * table.sharing
    )
    return np.where(table.enabled, u, -np.inf)


def choose(utility: np.ndarray, gumbel: np.ndarray | None, temperature: float) -> np.ndarray:
    """Strategy codes from utilities ``(..., 4)`` and Gumbel noise of the same shape.

    ``temperature == 0`` ignores the noise (deterministic best response).
    """
    if temperature == 0.0 or gumbel is None:
        return np.argmax(utility, axis=-1)
    return np.argmax(utility / temperature + gumbel, axis=-1)


def strategy_code(name: str) -> int:
    """Code of a strategy name (``"avoid"`` → 0 … ``"open"`` → 3)."""
    return STRATEGIES.index(name)
