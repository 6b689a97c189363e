"""Policy levers: graded versions of the bundled policy scenarios, for "what if" play.

Each of ``experiments/scenarios/{closed_groups,anti_stigma,embedding_support,
digital_inclusion}.toml`` changes a few settings of the baseline. A lever is that
change as a *strength* from 0 (the base scenario as it is) to 1 (the bundled policy's
change), applied relative to whatever base scenario it is given, so it also means
something on a user's own scenario. Every value is illustrative, as in the files.

========================  ===============================================================
lever                     at strength 1 (relative to the base scenario)
========================  ===============================================================
``closed_groups``         allocate: control loss x 1/3, identity risk x 5/7, benefit
                          x 9/8; strong ties x 4/3 (at most 1) -- closed_groups.toml
``anti_stigma``           identity risk of every sharing strategy x 0.6 -- anti_stigma.toml
``embedding_support``     embed: fidelity x 1.6 (at most 1), benefit x 7/6
                          -- embedding_support.toml
``digital_inclusion``     every group's platform access raised to the best group's
                          -- digital_inclusion.toml
========================  ===============================================================

In between, each value moves linearly: ``base + strength * (policy - base)``.
:class:`PolicyModel` is a :class:`~diffusion_sim.model.DiffusionModel` that takes the
levers as keyword arguments (what SolaraViz's sliders and ``mesa.batch_run`` pass).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from diffusion_sim.errors import ScenarioError
from diffusion_sim.model import DiffusionModel
from diffusion_sim.scenario import Scenario, default_scenario, load


@dataclass(frozen=True)
class Lever:
    """A named policy lever: its label and its settings at a given strength."""

    name: str
    label: str
    settings: Callable[[Scenario, float], dict[str, Any]]


def _toward(value: float, target: float, s: float) -> float:
    return value + s * (target - value)


def _closed_groups(sc: Scenario, s: float) -> dict[str, Any]:
    if "allocate" not in sc.strategies:
        return {}
    a = sc.strategies["allocate"]
    return {"strategies.allocate.control_loss": _toward(a.control_loss, a.control_loss / 3, s),
            "strategies.allocate.identity_risk": _toward(a.identity_risk,
                                                         a.identity_risk * 5 / 7, s),
            "strategies.allocate.benefit": _toward(a.benefit, a.benefit * 9 / 8, s),
            "network.strong_fraction": _toward(sc.network.strong_fraction, min(
                1.0, sc.network.strong_fraction * 4 / 3), s)}


def _anti_stigma(sc: Scenario, s: float) -> dict[str, Any]:
    return {f"strategies.{k}.identity_risk": _toward(p.identity_risk, 0.6 * p.identity_risk, s)
            for k, p in sc.strategies.items()}


def _embedding_support(sc: Scenario, s: float) -> dict[str, Any]:
    if "embed" not in sc.strategies:
        return {}
    e = sc.strategies["embed"]
    return {"strategies.embed.fidelity": _toward(e.fidelity, min(1.0, e.fidelity * 1.6), s),
            "strategies.embed.benefit": _toward(e.benefit, e.benefit * 7 / 6, s)}


def _digital_inclusion(sc: Scenario, s: float) -> dict[str, Any]:
    probs = sc.digital_access.group_probability
    best = max(probs)
    return {f"digital_access.group{g + 1}.probability": _toward(p, best, s)
            for g, p in enumerate(probs) if p < best}


#: The levers by name, in the order the app shows them.
LEVERS: dict[str, Lever] = {lv.name: lv for lv in (
    Lever("closed_groups", "Closed groups (allocation safer)", _closed_groups),
    Lever("anti_stigma", "Anti-stigma (identity risk lower)", _anti_stigma),
    Lever("embedding_support", "Embedding support (embedded posts carry more)",
          _embedding_support),
    Lever("digital_inclusion", "Digital inclusion (access gap closed)", _digital_inclusion),
)}


def lever_settings(base: Scenario, strengths: Mapping[str, float]) -> dict[str, Any]:
    """The dotted settings that apply ``strengths`` (lever name -> 0..1) to ``base``."""
    out: dict[str, Any] = {}
    for name, s in strengths.items():
        if name not in LEVERS:
            raise ScenarioError(f"lever {name!r}: not one of {', '.join(LEVERS)}")
        if isinstance(s, bool) or not isinstance(s, int | float) or not 0 <= s <= 1:
            raise ScenarioError(f"lever {name}: strength must be a number in [0, 1], got {s!r}")
        if s:
            out.update(LEVERS[name].settings(base, float(s)))
    return out


class PolicyModel(DiffusionModel):
    """A :class:`~diffusion_sim.model.DiffusionModel` with the policy levers as keyword
    arguments, each a strength in [0, 1] (0 = the base scenario; see the module
    docstring). Every other keyword is as in ``DiffusionModel``; a dotted setting given
    explicitly wins over a lever's.

    ``mesa.batch_run(PolicyModel, {"scenario": "baseline.toml", "anti_stigma": [0, 0.5,
    1], "seed": range(10)})`` grades a policy; the app's sliders use the same keywords.
    """

    def __init__(self, scenario: Scenario | str | Path | None = None, *,
                 closed_groups: float = 0.0, anti_stigma: float = 0.0,
                 embedding_support: float = 0.0, digital_inclusion: float = 0.0,
                 **kwargs: Any) -> None:
        base = (default_scenario() if scenario is None else
                scenario if isinstance(scenario, Scenario) else load(scenario))
        self.levers = {"closed_groups": closed_groups, "anti_stigma": anti_stigma,
                       "embedding_support": embedding_support,
                       "digital_inclusion": digital_inclusion}
        settings = lever_settings(base, self.levers)
        explicit = {k.replace("__", "."): v for k, v in kwargs.items()}
        own = {k: v for k, v in explicit.items() if k in ("seed", "key", "engine", "rng",
                                                          "collect")}
        super().__init__(base, **own, **{**settings, **{k: v for k, v in explicit.items()
                                                         if k not in own}})


__all__ = ["LEVERS", "Lever", "PolicyModel", "lever_settings"]
