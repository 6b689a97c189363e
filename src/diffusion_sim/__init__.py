"""diffusion-sim: peer-to-peer diffusion of health information under privacy and identity concerns."""

from diffusion_sim.errors import (
    DiffusionSimError,
    NetworkInputError,
    OutputError,
    ScenarioError,
    SweepError,
)
from diffusion_sim.scenario import Scenario, default_scenario, load
from diffusion_sim.version import __version__

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
