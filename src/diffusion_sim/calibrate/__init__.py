"""Calibration to observed data: posterior estimates of the behavioural parameters.

``diffusion-sim calibrate SPEC.toml`` reads a spec (:mod:`.spec`) naming a base
scenario, the parameters to estimate with their priors (:mod:`.priors`) and a targets
file of observed figures (:mod:`.targets`), and runs ABC-SMC (:mod:`.abc`, pyabc) for a
posterior or Optuna (:mod:`.optimise`) for a point estimate; :mod:`.runner` keeps the
output folder, resume and the outputs (:mod:`.outputs`, :mod:`.figures`).

The inference libraries are the optional ``calib`` extra
(``pip install 'diffusion-sim[calib]'``); this package imports without them (the
spec and targets readers need only the core), and the command says how to install
them when they are missing.
"""

from diffusion_sim.calibrate.priors import Prior, parse_prior
from diffusion_sim.calibrate.spec import CalibrationSpec, load_calibration
from diffusion_sim.calibrate.targets import Target, TargetSet, check_targets, read_targets

__all__ = ["CalibrationSpec", "Prior", "Target", "TargetSet", "check_targets",
           "load_calibration", "parse_prior", "read_targets"]
