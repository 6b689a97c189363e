"""Seeding policies: who is engaged at the start, one registry entry per policy.

A policy is a function ``(k, group, degree, params, rng, network=) -> indices`` in
:data:`POLICIES`; a new one is one entry there (the scenario's
``intervention.seeding`` choices are this table's keys). ``k = max(1,
round(seed_fraction · n))`` people are asked for; a policy may return fewer (a
targeted group smaller than k). Seeds are drawn whatever the person's digital access
(a participant without access is engaged but cannot share online).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from diffusion_sim.network import Network
    from diffusion_sim.scenario import InterventionParams


def random_seeds(k: int, group: np.ndarray, degree: np.ndarray, iv: InterventionParams,
                 rng: np.random.Generator, network: Network | None = None) -> np.ndarray:
    """``random``: k people uniformly without replacement."""
    return rng.choice(group.shape[0], size=k, replace=False)


def highest_degree(k: int, group: np.ndarray, degree: np.ndarray, iv: InterventionParams,
                   rng: np.random.Generator, network: Network | None = None) -> np.ndarray:
    """``highest_degree``: the k highest degrees (ties broken at random)."""
    tiebreak = rng.random(group.shape[0])
    return np.lexsort((tiebreak, -degree))[:k]


def targeted(k: int, group: np.ndarray, degree: np.ndarray, iv: InterventionParams,
             rng: np.random.Generator, network: Network | None = None) -> np.ndarray:
    """``targeted``: uniformly within ``target_group`` (all of it if smaller than k)."""
    members = np.flatnonzero(group == iv.target_group - 1)
    return rng.choice(members, size=min(k, members.size), replace=False)


def clinician_referral(k: int, group: np.ndarray, degree: np.ndarray,
                       iv: InterventionParams, rng: np.random.Generator,
                       network: Network | None = None) -> np.ndarray:
    """``clinician_referral``: without replacement, chance ∝ ``referral_need`` of the
    person's group."""
    w = np.asarray(iv.referral_need, dtype=float)[group]
    return rng.choice(group.shape[0], size=min(k, int(np.count_nonzero(w))), replace=False,
                      p=w / w.sum())


def clustered(k: int, group: np.ndarray, degree: np.ndarray, iv: InterventionParams,
              rng: np.random.Generator, network: Network | None = None) -> np.ndarray:
    """``clustered``: whole neighbourhoods: a uniformly drawn person and all their ties,
    then another, until k people are seeded (the last neighbourhood is cut to fit,
    its ties in ascending order). Complex contagion needs it (Centola 2010 seeded a
    node and its neighbours)."""
    n = group.shape[0]
    chosen = np.zeros(n, dtype=bool)
    count = 0
    for centre in rng.permutation(n):
        if count >= k:
            break
        lo, hi = network.indptr[centre], network.indptr[centre + 1]
        for person in (centre, *network.indices[lo:hi].tolist()):
            if count < k and not chosen[person]:
                chosen[person] = True
                count += 1
    return np.flatnonzero(chosen)


Policy = Callable[..., np.ndarray]

#: policy name -> function: every seeding policy, in one table.
POLICIES: dict[str, Policy] = {
    "random": random_seeds,
    "highest_degree": highest_degree,
    "targeted": targeted,
    "clinician_referral": clinician_referral,
    "clustered": clustered,
}
SEEDING_POLICIES: tuple[str, ...] = tuple(POLICIES)


def choose_seeds(iv: InterventionParams, group: np.ndarray, network: Network,
                 rng: np.random.Generator) -> np.ndarray:
    """Indices (ascending, int64) of the people engaged at the start, by ``iv.seeding``."""
    n = group.shape[0]
    k = min(n, max(1, int(round(iv.seed_fraction * n))))
    seeds = POLICIES[iv.seeding](k, group, network.degree, iv, rng, network=network)
    return np.sort(np.asarray(seeds).astype(np.int64))
