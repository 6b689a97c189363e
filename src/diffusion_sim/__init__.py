"""diffusion-sim: peer-to-peer diffusion of health information under privacy and identity concerns."""

from diffusion_sim.errors import DiffusionSimError, NetworkInputError, ScenarioError, SweepError
from diffusion_sim.scenario import Scenario, default_scenario, load

__version__ = "0.1.0"

__all__ = [
    "DiffusionSimError",
    "NetworkInputError",
    "Scenario",
    "ScenarioError",
    "SweepError",
    "__version__",
    "default_scenario",
    "load",
]
