"""The multinomial-logit choice among the strategies: one formula for any number of
strategies, used by both engines.

Utility of strategy ``s`` for a person (MODEL.md, step 1)::

    U_s = benefit_s − privacy_concern·control_loss_s − identity_sensitivity·identity_risk_s
          − other_regard·others_harm_s + norm_weight·seen_sharing

for the sharing strategies; ``U_avoid = 0``. A disabled strategy has ``U = −inf``.
With temperature ``τ > 0`` the choice is the multinomial logit
``P(s) = exp(U_s/τ) / Σ_r exp(U_r/τ)``, drawn by inverting its cumulative
distribution with one uniform ``u`` per decider (strategies in code order: the first
``s`` whose cumulative weight exceeds ``u`` times the total). With ``τ = 0`` it is the
deterministic best response ``argmax_s U_s`` (ties go to the lower code) and no
uniform is used.

Because the last strategy is last in the cumulative order, for a fixed ``u`` a person
chooses it exactly when ``u > 1 − P(last)``: anything that lowers ``P(open)`` (the
last default strategy) can only turn open sharers into something else, draw by draw.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from diffusion_sim import portable_math
from diffusion_sim.scenario import STRATEGIES, Scenario

#: Codes of the default strategies (a scenario may add more after ``open``).
AVOID, ALLOCATE, EMBED, OPEN = range(4)
NO_DECISION = -1


@dataclass(frozen=True)
class StrategyArrays:
    """The strategy table as arrays indexed by strategy code (``avoid`` = 0, then the
    scenario's strategies in order)."""

    names: tuple[str, ...]
    benefit: np.ndarray
    control_loss: np.ndarray
    identity_risk: np.ndarray
    others_harm: np.ndarray
    fidelity: np.ndarray
    motivation: np.ndarray
    strong_only: np.ndarray  # audience is strong ties only
    comparison: np.ndarray  # invites social comparison (the comparison penalty)
    enabled: np.ndarray
    sharing: np.ndarray  # 0 for avoid, 1 for the others (the norm term applies to sharing)

    @classmethod
    def from_scenario(cls, scenario: Scenario) -> StrategyArrays:
        table = list(scenario.strategies.values())

        def col(attr: str) -> np.ndarray:
            return np.array([0.0] + [getattr(sp, attr) for sp in table], dtype=np.float64)

        def flags(test) -> np.ndarray:
            return np.array([False] + [bool(test(sp)) for sp in table])

        return cls(
            names=scenario.strategy_names,
            benefit=col("benefit"),
            control_loss=col("control_loss"),
            identity_risk=col("identity_risk"),
            others_harm=col("others_harm"),
            fidelity=col("fidelity"),
            motivation=col("motivation"),
            strong_only=flags(lambda sp: sp.audience == "strong"),
            comparison=flags(lambda sp: sp.comparison),
            enabled=np.array([True] + [sp.enabled for sp in table]),
            sharing=np.array([0.0] + [1.0] * len(table)),
        )

    @property
    def n(self) -> int:
        """Number of strategies, avoid included."""
        return len(self.names)

    def code(self, name: str) -> int:
        """Code of a strategy name (``"avoid"`` → 0)."""
        return self.names.index(name)


def utilities(
    table: StrategyArrays,
    privacy_concern: np.ndarray | float,
    identity_sensitivity: np.ndarray | float,
    other_regard: np.ndarray | float,
    seen_sharing: np.ndarray | float,
    norm_weight: float,
) -> np.ndarray:
    """Utilities of every strategy, strategy-major: shape ``(S,) + shape(person)``.

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
    """Strategy codes from strategy-major utilities ``(S, ...)`` and one uniform in
    [0, 1) per person.

    ``temperature == 0`` ignores the uniform (deterministic best response, ties to the
    lower code).
    """
    if temperature == 0.0 or uniform is None:
        return np.argmax(utility, axis=0)
    scaled = utility / temperature
    top = np.max(scaled, axis=0)
    weight = portable_math.exp(scaled - top)  # the same bits on every CPU
    cumulative = np.cumsum(weight, axis=0)  # sequential sums: w0, w0+w1, ...
    threshold = np.asarray(uniform) * cumulative[-1]
    # the first strategy whose cumulative weight exceeds the threshold
    code = np.sum(cumulative[:-1] <= threshold, axis=0, dtype=np.int64)
    # (u·total can round up to total: never pick a disabled last strategy then)
    positive = weight > 0
    last = weight.shape[0] - 1 - np.argmax(positive[::-1], axis=0)
    return np.minimum(code, last)


def strategy_code(name: str) -> int:
    """Code of a default strategy name (``"avoid"`` → 0 … ``"open"`` → 3); for a
    scenario's own table use :meth:`StrategyArrays.code`."""
    return STRATEGIES.index(name)
