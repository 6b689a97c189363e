"""How a test gives ``mesa.batch_run`` its seeds on every supported Mesa.

mesa 3.3 has no seed argument: the seeds are a parameter (``"seed": [1, 2]``). mesa
3.4 added ``batch_run(rng=...)`` and sets the model's ``seed`` (or ``rng``) keyword
from it for every run, overriding a ``seed`` given among the parameters (with no
``rng``, to None: unseeded runs). Either way the table has a ``seed`` column.
"""

from diffusion_sim.mesa_api import MESA_VERSION


def batch_run_seeds(parameters: dict, seeds: list[int]) -> dict:
    """``mesa.batch_run`` keyword arguments running ``parameters`` once per seed."""
    if MESA_VERSION >= (3, 4):
        return {"parameters": parameters, "rng": seeds}
    return {"parameters": {**parameters, "seed": seeds}}
