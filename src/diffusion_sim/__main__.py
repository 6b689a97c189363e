"""python -m diffusion_sim: the command line (also what MPI ranks run)."""

import sys

from diffusion_sim.cli import main

sys.exit(main())
