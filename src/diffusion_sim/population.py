"""People: ordered groups, per-group trait distributions and digital access.

All per-person state lives in numpy arrays (one row per person) so that both engines
and the metrics read the same memory; :class:`~diffusion_sim.model.Person` agents are
views onto a row.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from diffusion_sim.parameters import LATE_TRAITS, PopulationParams, TraitParams
from diffusion_sim.scenario import TRAITS, Scenario


@dataclass
class Population:
    """The people of one run.

    Attributes
    ----------
    group : ndarray of int8, shape (n,)
        0-based group index; 0 is the most deprived group ("group 1" in scenario files).
    traits : dict of str to ndarray of float64, shape (n,)
        ``privacy_concern``, ``identity_sensitivity``, ``other_regard``,
        ``receptiveness``, ``activity``, each in [0, 1].
    access : ndarray of bool, shape (n,)
        Digital access: on the platform at all.
    """

    group: np.ndarray
    traits: dict[str, np.ndarray]
    access: np.ndarray

    @property
    def n(self) -> int:
        return int(self.group.shape[0])

    def group_sizes(self, n_groups: int) -> np.ndarray:
        """Number of people per group (int64, length ``n_groups``)."""
        return np.bincount(self.group, minlength=n_groups).astype(np.int64)

    def nbytes(self) -> int:
        return self.group.nbytes + self.access.nbytes + sum(a.nbytes for a in self.traits.values())


def draw_groups(pop: PopulationParams, n: int, rng: np.random.Generator) -> np.ndarray:
    """Assign ``n`` people to groups with exact sizes, in random order.

    Group sizes follow the shares by the largest-remainder rule
    (:meth:`~diffusion_sim.parameters.PopulationParams.group_counts`), then a random
    permutation decides who is where.
    """
    sizes = pop.group_counts(n)
    group = np.repeat(np.arange(sizes.size, dtype=np.int8), sizes)
    return rng.permutation(group)


def draw_trait(tp: TraitParams, members: list[np.ndarray], n: int,
               rng: np.random.Generator) -> np.ndarray:
    """One trait for everybody: for each group in order, one Beta draw per member in
    ascending person index; none for a degenerate group (mean exactly 0 or 1, or
    concentration ``inf``), whose members all get the mean."""
    values = np.empty(n, dtype=np.float64)
    for g, idx in enumerate(members):
        m, c = tp.group_mean[g], tp.group_concentration[g]
        if 0.0 < m < 1.0 and c != math.inf:
            values[idx] = rng.beta(m * c, (1.0 - m) * c, size=idx.size)
        else:  # degenerate: nothing drawn
            values[idx] = m
    return values


def draw_population(
    scenario: Scenario,
    group: np.ndarray,
    rng: np.random.Generator,
    given_traits: dict[str, np.ndarray] | None = None,
    given_access: np.ndarray | None = None,
) -> Population:
    """Draw every person's traits and access from the scenario's per-group distributions.

    Draw order (part of the reproducibility contract): each trait of
    :data:`~diffusion_sim.scenario.TRAITS` but the late ones, in order
    (:func:`draw_trait`); then one uniform per person for access; then the
    :data:`~diffusion_sim.parameters.LATE_TRAITS` (``activity``), so that a stage-2
    trait switched on leaves every stage-1 draw as it was. Values given by a user's
    node file (``given_traits``, ``given_access``; NaN = not given) replace the draws
    person by person.
    """
    n = group.shape[0]
    members = [np.flatnonzero(group == g) for g in range(scenario.n_groups)]

    def trait(name: str) -> np.ndarray:
        values = draw_trait(scenario.traits[name], members, n, rng)
        if given_traits and name in given_traits:
            given = given_traits[name]
            values = np.where(np.isnan(given), values, given)
        return values

    traits = {name: trait(name) for name in TRAITS if name not in LATE_TRAITS}
    p_access = np.asarray(scenario.digital_access.group_probability)[group]
    access = rng.random(n) < p_access
    if given_access is not None:  # 1 / 0 where the user's file says, NaN elsewhere
        access = np.where(np.isnan(given_access), access, given_access > 0.5)
    traits.update({name: trait(name) for name in LATE_TRAITS})
    return Population(group=group.astype(np.int8), traits=traits, access=access)
