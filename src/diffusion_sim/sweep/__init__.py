"""Parameter sweeps: specs and their identity, designs, a verified chunk store,
runners (local pools, MPI, any executor, Slurm shards), merge and Sobol indices.

- :mod:`~diffusion_sim.sweep.spec`: the TOML spec and the sweep's identity;
- :mod:`~diffusion_sim.sweep.designs`: grid, Latin hypercube, Sobol, one-at-a-time;
- :mod:`~diffusion_sim.sweep.chunks`: chunk files, records and their verification;
- :mod:`~diffusion_sim.sweep.runner`: running, resuming and sharding a sweep;
- :mod:`~diffusion_sim.sweep.merge`: the final tables;
- :mod:`~diffusion_sim.sweep.sobol`: sensitivity indices.
"""

from diffusion_sim.sweep.chunks import read_rows
from diffusion_sim.sweep.designs import DESIGNS, Parameter, expand
from diffusion_sim.sweep.merge import merge
from diffusion_sim.sweep.runner import parse_shard, run_chunk, run_sweep, shard_from_env
from diffusion_sim.sweep.sobol import SOBOL_OUTPUTS
from diffusion_sim.sweep.spec import SweepSpec, load_spec

__all__ = [
    "DESIGNS",
    "SOBOL_OUTPUTS",
    "Parameter",
    "SweepSpec",
    "expand",
    "load_spec",
    "merge",
    "parse_shard",
    "read_rows",
    "run_chunk",
    "run_sweep",
    "shard_from_env",
]
