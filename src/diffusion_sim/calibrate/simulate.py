"""The simulator a calibration calls, and the distances between data and simulation.

One simulation: the spec's scenario with the estimated parameters set, one run of the
fast engine (:func:`~diffusion_sim.replicate.replicate`) seeded by an entropy the
caller derives from the calibration's seed, the targets read off its counters, and the
targets that carry ``n`` observed as the data were (binomial sampling, from a stream
of the same entropy): see :class:`~diffusion_sim.calibrate.targets.TargetSet`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from diffusion_sim.calibrate.spec import CalibrationSpec
from diffusion_sim.calibrate.targets import TargetSet
from diffusion_sim.replicate import replicate
from diffusion_sim.state import count_columns

#: spawn_key of the observation-noise stream of a simulation (the run uses key ()).
NOISE_KEY = (7,)


class Simulator:
    """Parameters -> the simulated targets, for one calibration spec."""

    def __init__(self, spec: CalibrationSpec) -> None:
        self.spec = spec
        self.targets = TargetSet(spec.targets, count_columns(spec.scenario.strategy_names))
        self.weights = distance_weights(spec.distance, self.targets)

    def counts(self, values: Mapping[str, float], entropy: int, key: tuple[int, ...] = ()):
        """The run's (counts, group sizes) at ``values`` (a dict by dotted key)."""
        res = replicate(self.spec.scenario_at(dict(values)), entropy, key)
        return res.counts, res.group_sizes

    def __call__(self, values: Mapping[str, float], entropy: int,
                 key: tuple[int, ...] = ()) -> np.ndarray:
        """The simulated targets (observed as the data were), in the file's order."""
        counts, sizes = self.counts(values, entropy, key)
        noise = np.random.default_rng(np.random.SeedSequence(entropy,
                                                             spawn_key=(*key, *NOISE_KEY)))
        return self.targets.observe(self.targets.simulate(counts, sizes), noise)

    def distance(self, simulated: np.ndarray) -> float:
        """The fixed-weight distance (``binomial`` or ``euclidean``) to the data."""
        return weighted_rms(simulated, self.targets.observed, self.weights)


def distance_weights(distance: str, targets: TargetSet) -> np.ndarray:
    """Per-target weights of the fixed distances.

    ``binomial``: the binomial precision ``n / (v (1 - v))`` at the observed value ``v``
    (clipped to [0.5/n, 1 - 0.5/n], so a 0 or 1 does not get infinite weight), scaled to
    average 1; ``euclidean`` (and ``adaptive``, whose weights pyabc fits): all 1.
    """
    if distance != "binomial":
        return np.ones(len(targets))
    n = targets.n.astype(float)
    v = np.clip(targets.observed, 0.5 / n, 1 - 0.5 / n)
    w = n / (v * (1 - v))
    return w / w.mean()


def weighted_rms(x: np.ndarray, y: np.ndarray, w: np.ndarray) -> float:
    """``sqrt(mean(w (x - y)^2))``."""
    return float(np.sqrt(np.mean(w * (np.asarray(x) - np.asarray(y)) ** 2)))


def entropy_of(words: Sequence[int]) -> int:
    """A 63-bit entropy derived from integers (``SeedSequence(words)``)."""
    return int(np.random.SeedSequence(list(words)).generate_state(1, np.uint64)[0] >> 1)
