"""The world of one run: its random streams, its network, its people and its seeds.

Everything here is fixed once a run starts; the dynamic state is
:class:`~diffusion_sim.state.RunState`. A run's randomness comes from
``SeedSequence(entropy=seed, spawn_key=key)``, split into three independent streams:
``key + (0,)`` builds the network, ``key + (1,)`` the people and the seeds, and
``key + (2,)`` drives the dynamics, so a result depends only on ``(seed, key)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from diffusion_sim.errors import NetworkInputError
from diffusion_sim.network import Network, build_network, load_edge_list, read_nodes_file
from diffusion_sim.network.generators import degree_problem
from diffusion_sim.population import Population, draw_groups, draw_population
from diffusion_sim.scenario import TRAITS, Scenario
from diffusion_sim.seeding import choose_seeds

if TYPE_CHECKING:
    from diffusion_sim.network.node_file import NodeTable


def run_seed_sequence(seed: int | None, key: tuple[int, ...] = ()) -> np.random.SeedSequence:
    """The seed of one run: ``SeedSequence(entropy=seed, spawn_key=key)``.

    ``key`` is the run's identity, e.g. ``(point, replicate)`` in a sweep or
    ``(replicate,)`` for ``diffusion-sim run``, so a run's result depends only on
    ``(seed, key)``, never on which process ran it or when.
    """
    return np.random.SeedSequence(entropy=seed, spawn_key=tuple(int(k) for k in key))


@dataclass
class RunStreams:
    """The three independent random streams of one run (network, people, dynamics)."""

    seed_sequence: np.random.SeedSequence
    network: np.random.Generator = field(init=False)
    population: np.random.Generator = field(init=False)
    dynamics: np.random.Generator = field(init=False)

    def __post_init__(self) -> None:
        ss = self.seed_sequence
        key = tuple(ss.spawn_key)

        def child(k: int) -> np.random.Generator:
            return np.random.default_rng(
                np.random.SeedSequence(entropy=ss.entropy, spawn_key=(*key, k)))

        self.network, self.population, self.dynamics = child(0), child(1), child(2)


@dataclass
class World:
    """The fixed part of a run: network, people, seeds and what the input files did.

    Attributes
    ----------
    network : Network
    population : Population
    seeds : ndarray of int64, the people engaged at the start (ascending)
    notes : tuple of str, what reading the user's files did (dropped self-loops, ...)
    n_groups : int
    """

    network: Network
    population: Population
    seeds: np.ndarray
    notes: tuple[str, ...]
    n_groups: int

    @property
    def n(self) -> int:
        return self.population.n

    @property
    def group(self) -> np.ndarray:
        """0-based group per person (int8)."""
        return self.population.group

    @property
    def traits(self) -> dict[str, np.ndarray]:
        return self.population.traits

    @property
    def access(self) -> np.ndarray:
        return self.population.access

    @property
    def degree(self) -> np.ndarray:
        return self.network.degree

    @property
    def group_sizes(self) -> np.ndarray:
        return self.population.group_sizes(self.n_groups)


def _read_files(sc: Scenario, rng: np.random.Generator
                ) -> tuple[Network | None, np.ndarray | None, NodeTable | None]:
    """The scenario's data files, read as every run reads them: (network, groups,
    node table) from an edge list (``rng`` draws the groups its people lack), or
    (None, None, node table or None) when the network is generated. The one reader of
    both :func:`build_world` and :func:`read_inputs`, so the up-front check can never
    read a file differently from the run."""
    nodes = None
    if sc.population.nodes_file:
        path = sc.resolve_path(sc.population.nodes_file)
        nodes = read_nodes_file(path, sc.n_groups, TRAITS)
        net = sc.network
        problem = degree_problem(len(nodes.ids), np.bincount(nodes.group, minlength=sc.n_groups),
                                 net.kind, net.mean_degree, net.homophily)
        if problem:  # the scenario's own size was checked when it was made
            raise NetworkInputError(f"{path}: network.mean_degree of {sc.name}: {problem}")
    if sc.network.kind != "edgelist":
        return None, None, nodes
    return load_edge_list(sc.resolve_path(sc.network.edges_file), sc.network.strong_threshold,
                          nodes, sc.n_groups, sc.population.group_shares, rng,
                          sc.network.edges_header)


def build_world(scenario: Scenario, streams: RunStreams) -> World:
    """Build the network, the people and the seeds of one run from their streams.

    Generated networks: groups are drawn first (population stream), then the network
    (network stream, which may use the groups for homophily), then traits and access,
    then the seeds (population stream). User files: people, groups and ties come from
    the files; values the files do not give are drawn from the scenario's distributions.
    """
    sc = scenario
    net, group, nodes = _read_files(sc, streams.population)
    if net is None:  # generated, on the node file's groups or on drawn ones
        if nodes is not None:
            group = nodes.group
        else:
            group = draw_groups(sc.population, sc.population.size, streams.population)
        net = build_network(sc.network, group, streams.network)
    given_traits = nodes.traits if nodes is not None else None
    given_access = nodes.access if nodes is not None else None
    pop = draw_population(sc, np.asarray(group), streams.population, given_traits, given_access)
    seeds = choose_seeds(sc.intervention, pop.group, net, streams.population)
    notes = (*(nodes.notes if nodes is not None else ()), *net.notes)  # node file, then ties
    return World(network=net, population=pop, seeds=seeds, notes=notes,
                 n_groups=sc.n_groups)


@dataclass(frozen=True)
class Inputs:
    """What a scenario's data files hold, read and checked without building a run.

    Attributes
    ----------
    people : int, the number of people (the node file's or edge list's; else
        ``population.size``)
    directed_ties : int or None, ties counted in both directions (2 per distinct
        undirected tie), from the edge list; None for a generated network
    notes : tuple of str, what reading the files did (dropped self-loops, ...)
    """

    people: int
    directed_ties: int | None
    notes: tuple[str, ...]


def read_inputs(scenario: Scenario) -> Inputs:
    """Read and check the data files a scenario names (``network.edges_file``,
    ``population.nodes_file``) exactly as a run reads them, and nothing else: no
    network is generated, nobody is simulated.

    Raises :class:`~diffusion_sim.errors.NetworkInputError` (one line naming file and
    line) for a missing, unreadable, binary or malformed file.
    """
    sc = scenario
    net, _, nodes = _read_files(sc, np.random.default_rng(0))
    if net is not None:
        return Inputs(net.n, int(net.indices.size), net.notes)
    people = len(nodes.ids) if nodes is not None else sc.population.size
    return Inputs(people, None, tuple(nodes.notes) if nodes is not None else ())
