"""The social network: generators (a registry) and users' files -> a CSR adjacency.

- :mod:`~diffusion_sim.network.csr`: :class:`Network`, the compact adjacency, and
  :func:`from_edges`;
- :mod:`~diffusion_sim.network.generators`: one registry entry per generator and
  :func:`build_network`;
- :mod:`~diffusion_sim.network.files`: edge lists (their text rules in
  :mod:`~diffusion_sim.network.edge_format`) and, from
  :mod:`~diffusion_sim.network.node_file`, node files.
"""

from diffusion_sim.network.csr import Network, from_edges
from diffusion_sim.network.files import NodeTable, load_edge_list, read_nodes_file
from diffusion_sim.network.generators import (
    GENERATORS,
    NETWORK_KINDS,
    barabasi_albert,
    build_network,
    erdos_renyi,
    sbm,
    sbm_probabilities,
    watts_strogatz,
)

__all__ = [
    "GENERATORS",
    "NETWORK_KINDS",
    "Network",
    "NodeTable",
    "barabasi_albert",
    "build_network",
    "erdos_renyi",
    "from_edges",
    "load_edge_list",
    "read_nodes_file",
    "sbm",
    "sbm_probabilities",
    "watts_strogatz",
]
