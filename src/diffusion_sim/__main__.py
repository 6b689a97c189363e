"""python -m diffusion_sim: the command line (also what MPI ranks run).

Guarded, because mpi4py.futures worker ranks import the main module under another
name to unpickle tasks; only the manager rank must run the command.
"""

import sys

from diffusion_sim.cli import main

if __name__ == "__main__":
    sys.exit(main())
