"""Network generators and user files: structure, statistics against networkx, errors."""

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from diffusion_sim.errors import NetworkInputError
from diffusion_sim.network import (
    barabasi_albert,
    build_network,
    erdos_renyi,
    from_edges,
    load_edge_list,
    read_nodes_file,
    sbm,
    sbm_probabilities,
    watts_strogatz,
)
from diffusion_sim.scenario import NetworkParams


def nx_from(net):
    g = nx.Graph()
    g.add_nodes_from(range(net.n))
    for i in range(net.n):
        for e in range(net.indptr[i], net.indptr[i + 1]):
            g.add_edge(i, int(net.indices[e]))
    return g


@settings(max_examples=150)
@given(n=st.integers(1, 40), data=st.data())
def test_from_edges_matches_networkx_graph(n, data):
    m = data.draw(st.integers(0, 120))
    src = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), int)
    dst = np.array(data.draw(st.lists(st.integers(0, n - 1), min_size=m, max_size=m)), int)
    strong = np.array(data.draw(st.lists(st.booleans(), min_size=m, max_size=m)), bool)
    net, counts = from_edges(n, src, dst, strong)
    ref = nx.Graph()
    ref.add_nodes_from(range(n))
    for a, b, s in zip(src, dst, strong):
        if a != b:
            prev = ref.edges[a, b]["s"] if ref.has_edge(a, b) else False
            ref.add_edge(a, b, s=prev or s)
    assert counts["self_loops"] == int((src == dst).sum())
    assert counts["duplicates"] == int((src != dst).sum()) - ref.number_of_edges()
    assert net.n_ties == ref.number_of_edges()
    for i in range(n):
        row = net.indices[net.indptr[i]:net.indptr[i + 1]]
        assert list(row) == sorted(ref.neighbors(i))  # sorted, symmetric, no loops
        for e in range(net.indptr[i], net.indptr[i + 1]):
            assert net.strong[e] == ref.edges[i, int(net.indices[e])]["s"]


def degree_stats(net):
    d = net.degree
    return d.mean(), d


def test_erdos_renyi_mean_degree_and_poisson_degrees():
    n, c = 20_000, 8.0
    net, _ = from_edges(n, *erdos_renyi(n, c, np.random.default_rng(1)))
    mean, d = degree_stats(net)
    # the number of ties is Binomial(n(n-1)/2, p): sd of the mean degree ≈ sqrt(2c/n)
    assert abs(mean - c) < 4 * np.sqrt(2 * c / n)
    assert abs(d.var() - c) < 0.3  # Poisson: variance = mean
    ref = nx.fast_gnp_random_graph(n, c / (n - 1), seed=2)
    ref_deg = np.array([k for _, k in ref.degree()])
    assert stats.ks_2samp(d, ref_deg).pvalue > 0.001


def test_barabasi_albert_matches_networkx_tail():
    n, m = 20_000, 3
    net, _ = from_edges(n, *barabasi_albert(n, m, np.random.default_rng(3)))
    d = net.degree
    ref = np.array([k for _, k in nx.barabasi_albert_graph(n, m, seed=4).degree()])
    assert abs(d.mean() - 2 * m) < 0.1  # merged repeats cost a little
    assert d.min() >= 1
    # heavy tail like networkx's: upper quantiles agree, max degree same order
    for q in (0.5, 0.9, 0.99, 0.999):
        assert abs(np.quantile(d, q) - np.quantile(ref, q)) <= max(2, 0.2 * np.quantile(ref, q))
    assert 0.4 < d.max() / ref.max() < 2.5


def test_watts_strogatz_clustering_like_networkx():
    n, k = 4000, 10
    for p in (0.0, 0.1):
        net, _ = from_edges(n, *watts_strogatz(n, k, p, np.random.default_rng(5)))
        mine = nx.average_clustering(nx_from(net))
        ref = nx.average_clustering(nx.watts_strogatz_graph(n, k, p, seed=6))
        assert abs(mine - ref) < 0.03, (p, mine, ref)
        assert abs(net.degree.mean() - k) < 0.05


def test_sbm_homophily_and_mean_degree():
    rng = np.random.default_rng(7)
    groups = rng.integers(0, 5, 20_000)
    for h in (0.2, 0.6, 0.9):
        src, dst = sbm(groups, 10.0, h, np.random.default_rng(8))
        within = (groups[src] == groups[dst]).mean()
        se = np.sqrt(h * (1 - h) / src.size)
        assert abs(within - h) < 5 * se + 0.005, (h, within)
        assert abs(2 * src.size / groups.size - 10.0) < 0.1


def test_sbm_probabilities_solve_the_two_equations():
    sizes = np.array([100, 300, 600])
    p_in, p_out = sbm_probabilities(sizes, 8.0, 0.7)
    W = (sizes * (sizes - 1) / 2).sum()
    B = (sizes.sum() ** 2 - (sizes**2).sum()) / 2
    assert np.isclose(p_in * W + p_out * B, 8.0 * sizes.sum() / 2)
    assert np.isclose(p_in * W / (p_in * W + p_out * B), 0.7)


@pytest.mark.parametrize("kind", ["erdos_renyi", "watts_strogatz", "barabasi_albert", "sbm"])
def test_build_network_is_deterministic_and_strength_fraction(kind):
    groups = np.random.default_rng(0).integers(0, 3, 3000).astype(np.int8)
    params = NetworkParams(kind=kind, mean_degree=8.0, strong_fraction=0.3)
    a = build_network(params, groups, np.random.default_rng(11))
    b = build_network(params, groups, np.random.default_rng(11))
    assert np.array_equal(a.indptr, b.indptr) and np.array_equal(a.indices, b.indices)
    assert np.array_equal(a.strong, b.strong)
    frac = a.strong.mean()
    assert abs(frac - 0.3) < 5 * np.sqrt(0.3 * 0.7 / a.n_ties)
    assert a.indices.dtype == np.int32


# ------------------------------------------------------------------ user files
def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_edge_list_round_trip_with_header_and_strength(tmp_path):
    p = write(tmp_path, "e.csv", "source,target,strength\na,b,strong\nb,c,0.2\nc,a,1\n")
    net, group, nodes = load_edge_list(p, 0.5, None, 2, (0.5, 0.5), np.random.default_rng(0))
    assert nodes.ids == ["a", "b", "c"]
    assert net.n_ties == 3
    g = net.to_networkx()
    assert g.edges[0, 1]["strong"] and not g.edges[1, 2]["strong"] and g.edges[0, 2]["strong"]
    assert set(group) <= {0, 1}


def test_edge_list_without_header_or_strength(tmp_path):
    p = write(tmp_path, "e.csv", "# comment\n1,2\n\n2,3\n")
    net, _, nodes = load_edge_list(p, 0.5, None, 1, (1.0,), np.random.default_rng(0))
    assert nodes.ids == ["1", "2", "3"] and net.n_ties == 2
    assert not net.strong.any()
    assert any("no strength column" in n for n in net.notes)


def test_self_loops_and_duplicates_are_reported_not_silent(tmp_path):
    p = write(tmp_path, "e.csv", "source,target\na,b\nb,a\nc,c\na,b\nc,a\n")
    net, _, _ = load_edge_list(p, 0.5, None, 1, (1.0,), np.random.default_rng(0))
    assert net.n_ties == 2
    notes = " ".join(net.notes)
    assert "1 self-loops dropped (first at line 4)" in notes
    assert "2 duplicate ties merged" in notes


@pytest.mark.parametrize("text,line,what", [
    ("source,target\na,b\na,b,c\n", 3, "expected source,target"),
    ("a,b,strong\nb,c\n", 2, "expected source,target,strength"),
    ("source,target,strength\na,b,very\n", 2, "strength 'very'"),
    ("source,target\na,\n", 2, "empty id"),
    ("source,goal\na,b\n", 1, "header must be"),
])
def test_malformed_edge_list_names_file_and_line(tmp_path, text, line, what):
    p = write(tmp_path, "bad.csv", text)
    with pytest.raises(NetworkInputError) as info:
        load_edge_list(p, 0.5, None, 1, (1.0,), np.random.default_rng(0))
    msg = str(info.value)
    assert msg.startswith(f"{p}:{line}:"), msg
    assert what in msg and "\n" not in msg


def test_nodes_file_and_people_without_attributes(tmp_path):
    nodes = write(tmp_path, "n.csv", "id,group,receptiveness,digital_access\n"
                                     "a,1,0.9,1\nb,2,,0\nz,2,0.1,true\n")
    table = read_nodes_file(nodes, 2)
    assert list(table.group) == [0, 1, 1]
    assert np.isnan(table.traits["receptiveness"][1])
    edges = write(tmp_path, "e.csv", "a,b\nb,c\nc,d\n")
    net, group, full = load_edge_list(edges, 0.5, table, 2, (0.5, 0.5),
                                      np.random.default_rng(0))
    assert full.ids == ["a", "b", "z", "c", "d"]  # isolated z kept
    assert net.n == 5 and net.degree[2] == 0
    assert any("2 people in the edge list have no attributes" in n for n in net.notes)
    assert np.isnan(full.traits["receptiveness"][3:]).all()
    assert list(full.access[:3]) == [1.0, 0.0, 1.0]


@pytest.mark.parametrize("text,line,what", [
    ("id,grp\na,1\n", 1, "missing column 'group'"),
    ("id,group,shoe_size\na,1,3\n", 1, "unknown column 'shoe_size'"),
    ("id,group\na,3\n", 2, "group '3' is not an integer from 1 to 2"),
    ("id,group\na,1\na,2\n", 3, "duplicate id 'a' (first at line 2)"),
    ("id,group,privacy_concern\na,1,1.5\n", 2, "privacy_concern '1.5'"),
    ("id,group\na,1,9\n", 2, "expected 2 fields"),
])
def test_malformed_nodes_file_names_file_and_line(tmp_path, text, line, what):
    p = write(tmp_path, "n.csv", text)
    with pytest.raises(NetworkInputError) as info:
        read_nodes_file(p, 2)
    assert str(info.value).startswith(f"{p}:{line}:") and what in str(info.value)


def test_model_runs_on_user_files_and_uses_their_traits(tmp_path):
    from diffusion_sim.model import DiffusionModel
    from diffusion_sim.scenario import default_scenario

    write(tmp_path, "n.csv", "id,group,receptiveness\n" + "".join(
        f"p{i},{1 + i % 2},{0.5 if i % 2 else ''}\n" for i in range(60)))
    write(tmp_path, "e.csv", "".join(f"p{i},p{(i + 1) % 60},strong\n"
                                             for i in range(60)))
    sc = default_scenario().with_overrides({
        "population.group_shares": [0.5, 0.5], "population.nodes_file": "n.csv",
        "network.kind": "edgelist", "network.edges_file": "e.csv", "steps": 5})
    sc = type(sc).from_dict(sc.to_dict(), base_dir=tmp_path)
    m = DiffusionModel(sc, seed=1).run()
    assert m.n == 60 and m.network.n_ties == 60 and m.network.strong.all()
    assert np.all(m.traits["receptiveness"][1::2] == 0.5)
    assert not np.any(m.traits["receptiveness"][0::2] == 0.5)  # drawn where not given


def test_cli_run_reports_malformed_edge_list_in_one_line(tmp_path, capsys):
    from diffusion_sim.cli import main

    write(tmp_path, "e.csv", "a,b\nb\n")
    sc = write(tmp_path, "s.toml", '[network]\nkind = "edgelist"\nedges_file = "e.csv"\n'
                                   '[population]\ngroup_shares = [1.0]\n')
    assert main(["run", str(sc), "--reps", "1", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "e.csv:2:" in err


def test_ties_of_scipy_and_numpy_paths_agree():
    """Network.ties_of uses scipy's row indexing for many rows and numpy for few: both
    must return the same ties in the same (CSR) order."""
    rng = np.random.default_rng(5)
    groups = rng.integers(0, 3, 20_000).astype(np.int8)
    net = build_network(NetworkParams(kind="sbm", mean_degree=6.0), groups, rng)
    rows = np.sort(rng.choice(net.n, 5_000, replace=False))
    big = net.ties_of(rows)  # > 2000 rows: the scipy path
    parts = [net.ties_of(rows[i:i + 1000]) for i in range(0, rows.size, 1000)]  # numpy
    assert np.array_equal(big[0], np.concatenate([p[0] for p in parts]))
    assert np.array_equal(big[1], np.concatenate([p[1] for p in parts]))
    counts = np.diff(big[2])
    assert np.array_equal(counts, net.degree[rows])
    assert np.array_equal(big[0], np.concatenate(
        [net.indices[net.indptr[r]:net.indptr[r + 1]] for r in rows]))
