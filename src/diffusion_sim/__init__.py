"""diffusion-sim: peer-to-peer diffusion of health information under privacy and identity concerns.

``load``, ``default_scenario`` and ``Scenario`` are imported on first use, so that the
command line (``diffusion-sim --help``) starts without loading numpy and scipy.
"""

from typing import TYPE_CHECKING, Any

from diffusion_sim.errors import (
    DiffusionSimError,
    NetworkInputError,
    OutputError,
    ScenarioError,
    SweepError,
)
from diffusion_sim.version import __version__

if TYPE_CHECKING:
    from diffusion_sim.scenario import Scenario, default_scenario, load

_LAZY = {"Scenario", "default_scenario", "load"}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        from diffusion_sim import scenario

        return getattr(scenario, name)
    raise AttributeError(f"module 'diffusion_sim' has no attribute {name!r}")


__all__ = [
    "DiffusionSimError",
    "NetworkInputError",
    "OutputError",
    "Scenario",
    "ScenarioError",
    "SweepError",
    "__version__",
    "default_scenario",
    "load",
]
