"""Mesa DataCollector reporters: every headline figure per step, and the people.

Model reporters are read from the per-group counters of the step just recorded
(``model.counts[t]``), never from the people: one pass over ``n_groups`` numbers per
step, whatever the population. Their values at the last week equal
:func:`~diffusion_sim.metrics.summarize` of the run exactly (same formulas, same
order of operations): ``engaged`` is ``engaged_final``, ``engaged_gap`` is
``engaged_gap`` and so on, so a Mesa user's table and this package's tables agree.

:func:`model_reporters` (per step, one column each; ``gK`` = group K, 1 = most
deprived):

- ``aware``, ``aware_gK``: ever aware (reached), fraction of everybody / of group K;
- ``engaged``, ``engaged_gK``: ever engaged;
- ``sustained``, ``sustained_gK``: engaged now (not disengaged);
- ``peer_engaged``: engaged through a peer, fraction of everybody;
- ``sharing_acts``: decisions other than avoid in the step;
- ``mix_<strategy>``: share of the step's decisions (NaN when nobody decided);
- ``engaged_gap``, ``engaged_sii``, ``engaged_rii``, ``engaged_ci_erreygers`` and the
  same for ``sustained_``: equity across groups (see :func:`~diffusion_sim.metrics.equity`).

:data:`AGENT_REPORTERS`: ``state`` (name), ``strategy`` (what the person did in the
step, None if nothing to share), ``group`` (1-based), ``digital_access`` and the traits.

Cost (``benchmarks/bench_reporters.py``, baseline scenario, 2,000 people, 5 groups):
a run on the fast path costs about 5 ms (building the world and 52 weeks); the model
reporters add about 0.3 ms per step (mostly the two equity computations), the agent
reporters about 22 ms per step (they build and read 2,000 agents). The fast path (:func:`~diffusion_sim.replicate.replicate`,
every command, sweep and comparison) collects nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from diffusion_sim.metrics import equity

#: The equity measures reported per step, for ``engaged`` and ``sustained``.
EQUITY_PER_STEP = ("gap", "sii", "rii", "ci_erreygers")

#: Agent reporters: column -> Person attribute (or function of a Person).
AGENT_REPORTERS: dict[str, str | Callable[[Any], Any]] = {
    "state": "state_name",
    "strategy": "strategy",
    "group": "group",
    "digital_access": "digital_access",
    "privacy_concern": lambda p: float(p.model.run_state.privacy_concern[p.index]),
    "identity_sensitivity": "identity_sensitivity",
    "other_regard": "other_regard",
    "receptiveness": "receptiveness",
    "activity": lambda p: p.trait("activity"),
}


def step_figures(row: np.ndarray, sizes: np.ndarray, col: dict[str, int],
                 strategies: tuple[str, ...]) -> dict[str, float]:
    """Every per-step headline figure from one row of the counters.

    Parameters
    ----------
    row : ndarray of int, shape (n_groups, columns)
        ``model.counts[t]``: the counters after week ``t``.
    sizes : ndarray, shape (n_groups,)
        People per group.
    col : dict
        Counter column -> index (``model.counter.col``).
    strategies : tuple of str
        The strategy names in code order (``avoid`` first).

    Returns
    -------
    dict of str to float
        The columns listed in the module docstring; fractions in [0, 1].
    """
    sizes = np.asarray(sizes, dtype=float)
    n = sizes.sum()
    G = sizes.size
    out: dict[str, float] = {}
    total = row.sum(axis=0)
    for measure in ("aware", "engaged"):
        out[measure] = float(total[col[measure]] / n)
        for g in range(G):
            out[f"{measure}_g{g + 1}"] = (
                float(row[g, col[measure]] / sizes[g]) if sizes[g] else float("nan"))
    now = row[:, col["engaged_now"]].astype(float)
    out["sustained"] = float(now.sum() / n)
    sustained = np.divide(now, sizes, out=np.zeros(G), where=sizes > 0)
    for g in range(G):
        out[f"sustained_g{g + 1}"] = float(sustained[g]) if sizes[g] else float("nan")
    out["peer_engaged"] = float(total[col["peer_engaged"]] / n)
    decisions = np.array([total[col[f"decisions_{s}"]] for s in strategies])
    out["sharing_acts"] = float(decisions[1:].sum())
    for s, d in zip(strategies, decisions):
        out[f"mix_{s}"] = float(d / decisions.sum()) if decisions.sum() else float("nan")
    engaged = np.divide(row[:, col["engaged"]], sizes, out=np.zeros(G), where=sizes > 0)
    for name, shares in (("engaged", engaged), ("sustained", sustained)):
        eq = equity(shares, sizes)
        for k in EQUITY_PER_STEP:
            out[f"{name}_{k}"] = float(eq[k])
    return out


def _reporter(key: str) -> Callable[[Any], float]:
    def report(model: Any) -> float:
        return model.figures[key]

    report.__name__ = key
    return report


def model_reporters(n_groups: int, strategies: tuple[str, ...]
                    ) -> dict[str, Callable[[Any], float]]:
    """The DataCollector's model reporters for ``n_groups`` groups (column -> reporter
    reading ``model.figures``, the :func:`step_figures` of the model's current week)."""
    groups = [f"g{g}" for g in range(1, n_groups + 1)]
    keys = [*(k for m in ("aware", "engaged", "sustained")
              for k in (m, *(f"{m}_{g}" for g in groups))),
            "peer_engaged", "sharing_acts", *(f"mix_{s}" for s in strategies),
            *(f"{m}_{k}" for m in ("engaged", "sustained") for k in EQUITY_PER_STEP)]
    return {k: _reporter(k) for k in keys}


__all__ = ["AGENT_REPORTERS", "EQUITY_PER_STEP", "model_reporters", "step_figures"]
