"""The network module: CSR construction, generators vs networkx, determinism, user files."""

import networkx as nx
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from diffusion_sim.errors import NetworkInputError
from diffusion_sim.network import (
    Network,
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
from diffusion_sim.network import files as netfiles
from diffusion_sim.scenario import TRAITS, NetworkParams


def rows_of(net: Network) -> list[list[int]]:
    return [net.indices[net.indptr[i] : net.indptr[i + 1]].tolist() for i in range(net.n)]


def assert_valid(net: Network) -> None:
    """CSR invariants: dtypes, sorted rows, no loops/duplicates, symmetric with strength."""
    assert net.indptr.dtype == np.int64 and net.indices.dtype == np.int32
    assert net.strong.dtype == bool and net.strong.shape == net.indices.shape
    assert net.indptr[0] == 0 and net.indptr[-1] == net.indices.size
    rows = np.repeat(np.arange(net.n), net.degree)
    assert np.all(rows != net.indices)
    same_row = rows[1:] == rows[:-1]
    assert np.all(net.indices[1:][same_row] > net.indices[:-1][same_row])  # sorted, distinct
    m = net.csr(strong_weight=2.0, weak_weight=1.0)
    assert (m != m.T).nnz == 0  # symmetric, and strength too


# ------------------------------------------------------------------ from_edges
def test_from_edges_small_example():
    src = np.array([0, 1, 2, 2, 3, 0, 1])
    dst = np.array([1, 0, 2, 3, 2, 3, 0])
    strong = np.array([False, True, True, False, False, False, False])
    net, counts = from_edges(5, src, dst, strong)
    assert_valid(net)
    assert counts["self_loops"] == 1 and counts["first_self_loop"] == 2
    assert counts["duplicates"] == 3 and counts["first_duplicate"] == 1  # 1-0 repeats 0-1
    assert rows_of(net) == [[1, 3], [0], [3], [0, 2], []]
    assert net.n == 5 and net.n_ties == 3
    assert net.degree.tolist() == [2, 1, 1, 2, 0] and net.degree.dtype == np.int64
    g = net.to_networkx()
    assert g.edges[0, 1]["strong"]  # merged pair: strong if any copy is
    assert not g.edges[2, 3]["strong"] and not g.edges[0, 3]["strong"]
    w = net.csr(strong_weight=1.0, weak_weight=0.5).toarray()
    assert w[0, 1] == w[1, 0] == 1.0 and w[2, 3] == w[3, 2] == 0.5 and w.dtype == np.float64
    assert net.nbytes() == 6 * 8 + 6 * 4 + 6


def test_from_edges_empty_and_isolated():
    net, counts = from_edges(3, np.array([], int), np.array([], int))
    assert net.n == 3 and net.n_ties == 0 and net.degree.tolist() == [0, 0, 0]
    assert counts == {"self_loops": 0, "duplicates": 0}


@settings(max_examples=150)
@given(n=st.integers(1, 30), data=st.data())
def test_from_edges_property_matches_networkx(n, data):
    m = data.draw(st.integers(0, 100))
    ends = st.lists(st.integers(0, n - 1), min_size=m, max_size=m)
    src, dst = np.array(data.draw(ends), int), np.array(data.draw(ends), int)
    strong = np.array(data.draw(st.lists(st.booleans(), min_size=m, max_size=m)), bool)
    net, counts = from_edges(n, src, dst, strong)
    assert_valid(net)
    ref = nx.Graph()
    ref.add_nodes_from(range(n))
    first_dup = -1
    for e, (a, b, s) in enumerate(zip(src.tolist(), dst.tolist(), strong.tolist())):
        if a == b:
            continue
        if ref.has_edge(a, b):
            first_dup = e if first_dup < 0 else first_dup
            ref.edges[a, b]["strong"] |= s
        else:
            ref.add_edge(a, b, strong=s)
    loops = np.flatnonzero(src == dst)
    assert counts["self_loops"] == loops.size
    assert counts["first_self_loop"] == (loops[0] if loops.size else -1)
    assert counts["duplicates"] == int((src != dst).sum()) - ref.number_of_edges()
    assert counts["first_duplicate"] == first_dup
    assert rows_of(net) == [sorted(ref.neighbors(i)) for i in range(n)]
    mine = net.to_networkx()
    assert all(mine.edges[a, b]["strong"] == s for a, b, s in ref.edges(data="strong"))
    # without strengths (the generators' path) the structure is the same
    plain, c2 = from_edges(n, src, dst)
    assert np.array_equal(plain.indices, net.indices) and not plain.strong.any()
    assert c2["duplicates"] == counts["duplicates"]


# ------------------------------------------------------------------ generators
def degrees(g: nx.Graph) -> np.ndarray:
    return np.array([k for _, k in g.degree()])


def test_erdos_renyi_mean_degree_and_degree_distribution():
    n, c = 2000, 10.0
    means = []
    for seed in range(3):
        net, counts = from_edges(n, *erdos_renyi(n, c, np.random.default_rng(seed)))
        assert counts == {"self_loops": 0, "duplicates": 0}  # distinct pairs by design
        means.append(net.degree.mean())
    # ties ~ Binomial(n(n-1)/2, p): sd of the mean degree = sqrt(2c(1-p)/n) ≈ 0.1
    sd = np.sqrt(2 * c * (1 - c / (n - 1)) / n)
    assert all(abs(x - c) < 4 * sd for x in means), means
    ref = degrees(nx.gnp_random_graph(n, c / (n - 1), seed=1))
    assert stats.ks_2samp(net.degree, ref).pvalue > 0.001


def test_erdos_renyi_dense_and_sparse_paths_both_uniform():
    # dense path (choice among all pairs): every pair equally likely
    hits = np.zeros((6, 6))
    rng = np.random.default_rng(0)
    for _ in range(3000):
        i, j = erdos_renyi(6, 2.0, rng)
        assert np.all(i < j)
        np.add.at(hits, (i, j), 1)
    upper = hits[np.triu_indices(6, 1)]
    assert stats.chisquare(upper).pvalue > 0.001
    # sparse path (rejection): distinct, inside range, about the right count
    n = 100_000
    i, j = erdos_renyi(n, 4.0, np.random.default_rng(1))
    keys = i * n + j
    assert np.unique(keys).size == keys.size and np.all((i >= 0) & (i < j) & (j < n))
    assert abs(2 * keys.size / n - 4.0) < 4 * np.sqrt(8.0 / n)


def test_barabasi_albert_like_networkx():
    n, m = 2000, 3
    net, counts = from_edges(n, *barabasi_albert(n, m, np.random.default_rng(3)))
    assert_valid(net)
    assert counts == {"self_loops": 0, "duplicates": 0}  # m distinct targets each
    assert net.n_ties == m * (n - m)  # exactly networkx's tie count
    assert net.degree.min() >= 1
    ref = degrees(nx.barabasi_albert_graph(n, m, seed=4))
    assert net.degree.mean() == pytest.approx(ref.mean())
    # whole degree distribution, tail included (KS is discrete here: conservative)
    assert stats.ks_2samp(net.degree, ref).pvalue > 0.001
    # heavy tail: the maximum is far above an ER graph's and of networkx's order
    assert 0.4 < net.degree.max() / ref.max() < 2.5
    assert net.degree.max() > 50
    assert abs(np.quantile(net.degree, 0.99) - np.quantile(ref, 0.99)) <= 0.3 * np.quantile(
        ref, 0.99
    )


def test_barabasi_albert_many_redraws_still_distinct():
    # m close to the number of early people forces many repeated picks
    for seed in range(5):
        src, dst = barabasi_albert(300, 8, np.random.default_rng(seed))
        net, counts = from_edges(300, src, dst)
        assert counts == {"self_loops": 0, "duplicates": 0}
        assert np.all(dst < src)  # ties point to earlier people
    star_src, star_dst = barabasi_albert(3, 5, np.random.default_rng(0))
    assert star_src.tolist() == [1, 2] and star_dst.tolist() == [0, 0]


def test_watts_strogatz_clustering_and_degree():
    n, k = 2000, 10
    net0, _ = from_edges(n, *watts_strogatz(n, k, 0.0, np.random.default_rng(5)))
    assert np.all(net0.degree == k)
    c0 = nx.average_clustering(net0.to_networkx())
    assert c0 == pytest.approx(3 * (k - 2) / (4 * (k - 1)))  # ring lattice value, 2/3
    net, _ = from_edges(n, *watts_strogatz(n, k, 0.1, np.random.default_rng(5)))
    mine = nx.average_clustering(net.to_networkx())
    ref = nx.average_clustering(nx.watts_strogatz_graph(n, k, 0.1, seed=6))
    # C(p) ≈ C(0)(1-p)^3 ≈ 0.486; run-to-run sd at n=2000 is ≈ 0.005
    assert abs(mine - ref) < 0.025, (mine, ref)
    assert abs(net.degree.mean() - k) < 0.05  # merged duplicates are rare
    # odd k is rounded down to even; no self loops after rewiring
    src, dst = watts_strogatz(50, 5, 1.0, np.random.default_rng(0))
    assert src.size == 50 * 2 and np.all(src != dst)


@pytest.mark.parametrize("h", [0.2, 0.6, 0.95])
def test_sbm_homophily_and_mean_degree(h):
    rng = np.random.default_rng(7)
    groups = np.repeat(np.arange(4), 1000)
    rng.shuffle(groups)
    src, dst = sbm(groups, 10.0, h, np.random.default_rng(8))
    net, counts = from_edges(groups.size, src, dst)
    assert counts == {"self_loops": 0, "duplicates": 0}
    ties = src.size
    within = (groups[src] == groups[dst]).mean()
    assert abs(within - h) < 4 * np.sqrt(h * (1 - h) / ties), (h, within)
    # per person, equal groups: own-group share ≈ h for each group
    for g in range(4):
        mine = groups == g
        touches = np.bincount(src[mine[src]], minlength=groups.size) + np.bincount(
            dst[mine[dst]], minlength=groups.size
        )
        inside = np.bincount(src[mine[src] & mine[dst]], minlength=groups.size) + np.bincount(
            dst[mine[src] & mine[dst]], minlength=groups.size
        )
        assert abs(inside.sum() / touches.sum() - h) < 0.03
    # ties ~ sum of Binomials: sd of the mean degree ≈ sqrt(2c/n) = 0.07
    assert abs(net.degree.mean() - 10.0) < 4 * np.sqrt(2 * 10.0 / groups.size)


def test_sbm_random_mixing_is_erdos_renyi_and_unequal_sizes():
    sizes = np.array([200, 600, 1200])
    n = sizes.sum()
    W = (sizes * (sizes - 1) / 2).sum()
    B = (n * n - (sizes**2).sum()) / 2
    p_in, p_out = sbm_probabilities(sizes, 8.0, W / (W + B))
    assert p_in == pytest.approx(p_out) == pytest.approx(8.0 / (n - 1))
    p_in, p_out = sbm_probabilities(sizes, 8.0, 0.7)
    assert p_in * W + p_out * B == pytest.approx(8.0 * n / 2)
    assert p_in * W / (p_in * W + p_out * B) == pytest.approx(0.7)
    groups = np.repeat(np.arange(3), sizes)
    src, dst = sbm(groups, 8.0, 0.7, np.random.default_rng(1))
    within = (groups[src] == groups[dst]).mean()
    assert abs(within - 0.7) < 4 * np.sqrt(0.21 / src.size)
    # a single group: everything inside it
    p_in, p_out = sbm_probabilities(np.array([100]), 5.0, 0.3)
    assert p_out == 0 and p_in == pytest.approx(5.0 / 99)


# ------------------------------------------------------------------ build_network
KINDS = ["erdos_renyi", "watts_strogatz", "barabasi_albert", "sbm"]


@pytest.mark.parametrize("kind", KINDS)
def test_build_network_deterministic_valid_and_strength(kind):
    groups = np.random.default_rng(0).integers(0, 3, 2000).astype(np.int8)
    params = NetworkParams(kind=kind, mean_degree=8.0, strong_fraction=0.3)
    a = build_network(params, groups, np.random.default_rng(11))
    b = build_network(params, groups, np.random.default_rng(11))
    c = build_network(params, groups, np.random.default_rng(12))
    assert_valid(a)
    assert a.n == 2000
    for x in ("indptr", "indices", "strong"):
        assert np.array_equal(getattr(a, x), getattr(b, x))
    assert not (np.array_equal(a.indices, c.indices) and np.array_equal(a.strong, c.strong))
    assert abs(a.strong.mean() - 0.3) < 4 * np.sqrt(0.3 * 0.7 / a.n_ties)
    assert abs(a.degree.mean() - 8.0) < 0.5


def test_build_network_strength_order_and_errors():
    # strength: one uniform per tie in ascending (min, max) order after the structure
    params = NetworkParams(kind="erdos_renyi", mean_degree=4.0, strong_fraction=0.5)
    rng = np.random.default_rng(3)
    net = build_network(params, np.zeros(300, np.int8), rng)
    rng2 = np.random.default_rng(3)
    i, j = erdos_renyi(300, 4.0, rng2)
    expect = rng2.random(i.size) < 0.5
    order = np.lexsort((j, i))
    g = net.to_networkx()
    assert [g.edges[a, b]["strong"] for a, b in zip(i[order], j[order])] == expect.tolist()
    with pytest.raises(ValueError, match="edgelist"):
        build_network(NetworkParams(kind="edgelist", edges_file="e.csv"), np.zeros(10, np.int8),
                      rng)
    # watts_strogatz with a mean degree below 1 still gets the minimum lattice k = 2
    ws = build_network(
        NetworkParams(kind="watts_strogatz", mean_degree=0.6, rewire_prob=0.0),
        np.zeros(20, np.int8),
        rng,
    )
    assert np.all(ws.degree == 2)


# ------------------------------------------------------------------ edge-list files
def write(tmp_path, name, text, mode="w"):
    p = tmp_path / name
    if mode == "wb":
        p.write_bytes(text)
    else:
        p.write_text(text)
    return p


def load(p, threshold=0.5, nodes=None, shares=(1.0,), seed=0):
    return load_edge_list(p, threshold, nodes, len(shares), shares, np.random.default_rng(seed))


def test_edge_list_round_trip_of_a_generated_network(tmp_path):
    params = NetworkParams(kind="sbm", mean_degree=6.0, strong_fraction=0.4)
    groups = np.random.default_rng(1).integers(0, 2, 500).astype(np.int8)
    net = build_network(params, groups, np.random.default_rng(2))
    g = net.to_networkx()
    lines = [f"p{a},p{b},{'strong' if s else 'weak'}" for a, b, s in g.edges(data="strong")]
    p = write(tmp_path, "e.csv", "source,target,strength\n" + "\n".join(lines) + "\n")
    back, group, nodes = load(p, shares=(0.5, 0.5))
    assert_valid(back)
    assert back.n_ties == net.n_ties and back.n == len(nodes.ids)
    h = back.to_networkx()
    relabel = {i: int(pid[1:]) for i, pid in enumerate(nodes.ids)}
    assert {
        (min(relabel[a], relabel[b]), max(relabel[a], relabel[b]), s)
        for a, b, s in h.edges(data="strong")
    } == {(min(a, b), max(a, b), s) for a, b, s in g.edges(data="strong")}
    assert group.dtype == np.int8 and set(group.tolist()) <= {0, 1}
    assert back.notes == (
        f"e.csv: {back.n} people have no node file: group drawn from group_shares",
    )


def test_ids_in_order_of_first_appearance_and_header_detection(tmp_path):
    with_header = write(tmp_path, "a.csv", "source,target\nb,a\nc,b\n")
    without = write(tmp_path, "b.csv", "b,a\nc,b\n")
    upper = write(tmp_path, "c.csv", "Source , Target\nb,a\nc,b\n")
    for p in (with_header, without, upper):
        net, _, nodes = load(p)
        assert nodes.ids == ["b", "a", "c"] and rows_of(net) == [[1, 2], [0], [0]]
    # "source" as an id later in the file is just an id
    net, _, nodes = load(write(tmp_path, "d.csv", "x,y\nsource,x\n"))
    assert nodes.ids == ["x", "y", "source"]


def test_comments_blank_lines_crlf_bom_blanks_and_last_line(tmp_path):
    text = "\ufeff# a comment\r\n\r\nsource,target,strength\r\n a , b ,STRONG\r\nb,c,0.1\r\nc,a,1"
    p = write(tmp_path, "e.csv", text.encode("utf-8"), mode="wb")
    net, _, nodes = load(p)
    assert nodes.ids == ["a", "b", "c"]
    g = net.to_networkx()
    assert g.edges[0, 1]["strong"] and not g.edges[1, 2]["strong"] and g.edges[0, 2]["strong"]
    assert net.notes[:-1] == ()  # nothing dropped or merged


@pytest.mark.parametrize(
    "token,threshold,strong",
    [
        ("strong", 0.5, True),
        ("weak", 0.5, False),
        ("True", 0.5, True),
        ("FALSE", 0.5, False),
        ("1", 0.5, True),
        ("0", 0.5, False),
        ("1", 5.0, True),
        ("0", 0.0, False),
        ("0.7", 0.5, True),
        ("0.5", 0.5, True),
        ("0.49", 0.5, False),
        ("3", 2.5, True),
        ("1.0", 2.0, False),
        ("0.0", 0.0, True),
        ("1e-3", 0.01, False),
    ],
)
def test_strength_parsing(tmp_path, token, threshold, strong):
    p = write(tmp_path, "e.csv", f"a,b,{token}\n")
    net, _, _ = load(p, threshold=threshold)
    assert net.strong.tolist() == [strong, strong]


def test_missing_strength_column_means_weak_and_is_noted(tmp_path):
    net, _, _ = load(write(tmp_path, "e.csv", "a,b\nb,c\n"))
    assert not net.strong.any()
    assert "e.csv: no strength column: every tie is weak" in net.notes


def test_self_loops_and_duplicates_reported_with_counts_and_lines(tmp_path):
    text = "source,target,strength\na,b,weak\nb,b,weak\n\nb,a,strong\nc,c,1\na,b,weak\nc,a,0\n"
    net, _, _ = load(write(tmp_path, "e.csv", text))
    assert net.n_ties == 2
    assert net.notes[0] == "e.csv: 2 self-loops dropped (first at line 3)"
    assert net.notes[1].startswith("e.csv: 2 duplicate ties merged (first at line 5;")
    assert net.to_networkx().edges[0, 1]["strong"]  # one strong copy makes it strong


def test_nodes_without_attributes_get_drawn_groups_and_a_note(tmp_path):
    nodes = read_nodes_file(
        write(tmp_path, "n.csv", "id,group,privacy_concern\na,1,0.2\nb,3,\nlonely,2,0.9\n"), 3, TRAITS
    )
    edges = write(tmp_path, "e.csv", "a,b\nb,x\ny,a\nx,y\n")
    net, group, full = load(edges, nodes=nodes, shares=(0.0, 1.0, 0.0))
    assert full.ids == ["a", "b", "lonely", "x", "y"]
    assert net.degree.tolist() == [2, 2, 0, 2, 2]
    assert group.tolist() == [0, 2, 1, 1, 1]  # x, y drawn from the shares: all group 2
    assert "e.csv: 2 people in the edge list have no attributes" in net.notes[-1]
    pc = full.traits["privacy_concern"]
    assert pc[0] == 0.2 and np.isnan(pc[1]) and pc[2] == 0.9 and np.isnan(pc[3:]).all()
    assert full.access is None
    # everybody known: no note about attributes, and the rng is not used
    net2, _, _ = load(write(tmp_path, "e2.csv", "a,b\n"), nodes=nodes, shares=(0.0, 1.0, 0.0))
    assert net2.notes == ("e2.csv: no strength column: every tie is weak",)


def test_group_draw_is_deterministic_given_the_rng(tmp_path):
    p = write(tmp_path, "e.csv", "".join(f"{i},{i + 1}\n" for i in range(300)))
    _, g1, _ = load(p, shares=(0.2, 0.3, 0.5), seed=4)
    _, g2, _ = load(p, shares=(0.2, 0.3, 0.5), seed=4)
    assert np.array_equal(g1, g2)
    assert abs((g1 == 2).mean() - 0.5) < 0.1


@pytest.mark.parametrize(
    "text,line,what",
    [
        ("source,target\na,b\na,b,c\n", 3, "expected source,target (2 fields), got 3 fields"),
        ("a,b,strong\nb,c\n", 2, "expected source,target,strength (3 fields), got 2"),
        ("# c\n\na,b\nc\n", 4, "expected source,target (2 fields), got 1"),
        ("source,target,strength\na,b,very\n", 2, "strength 'very' is not"),
        ("source,target,strength\na,b,-1\n", 2, "strength '-1' is not"),
        ("source,target,strength\na,b,nan\n", 2, "strength 'nan' is not"),
        ("source,target,strength\na,b,\n", 2, "strength '' is not"),
        ("source,target\na,\n", 2, "empty id"),
        ("source,target\n,b\n", 2, "empty id"),
        ("source,goal\na,b\n", 1, "cannot tell whether 'source,goal' is a header or a tie"),
        ("\n\nsource,target,type\na,b,1\n", 3, "cannot tell whether"),
    ],
)
def test_malformed_edge_list_names_file_and_line(tmp_path, text, line, what):
    p = write(tmp_path, "bad.csv", text)
    with pytest.raises(NetworkInputError) as info:
        load(p)
    msg = str(info.value)
    assert msg.startswith(f"{p}:{line}: "), msg
    assert what in msg and "\n" not in msg


def test_edge_list_unreadable_or_empty(tmp_path):
    with pytest.raises(NetworkInputError, match=r"missing\.csv: no such file"):
        load(tmp_path / "missing.csv")
    with pytest.raises(NetworkInputError, match="no ties found"):
        load(write(tmp_path, "empty.csv", "source,target\n# nothing\n"))


def test_many_blocks_fast_and_slow_paths_agree(tmp_path, monkeypatch):
    rng = np.random.default_rng(9)
    a, b = rng.integers(0, 400, 3000), rng.integers(0, 400, 3000)
    w = rng.random(3000).round(2)
    clean = "".join(f"n{x},n{y},{z}\n" for x, y, z in zip(a, b, w))
    spaced = "".join(f"n{x} , n{y},{z}\n" for x, y, z in zip(a, b, w))  # needs stripping
    ref, ref_group, ref_nodes = load(write(tmp_path, "one.csv", clean))
    monkeypatch.setattr(netfiles, "_BLOCK_BYTES", 257)  # many blocks, lines cut across reads
    for text in (clean, spaced):
        net, group, nodes = load(write(tmp_path, "e.csv", text))
        assert nodes.ids == ref_nodes.ids and np.array_equal(group, ref_group)
        for x in ("indptr", "indices", "strong"):
            assert np.array_equal(getattr(net, x), getattr(ref, x))
        assert net.notes == tuple(n.replace("one.csv", "e.csv") for n in ref.notes)
    # an error deep in the file, in a later block, still names its own line
    bad = clean.splitlines(keepends=True)
    bad[2500] = "n1,n2,oops\n"
    with pytest.raises(NetworkInputError, match=r"bad.csv:2501: strength 'oops'"):
        load(write(tmp_path, "bad.csv", "".join(bad)))
    bad[1200] = "n1,n2\n"
    with pytest.raises(NetworkInputError, match=r"bad.csv:1201: expected source,target,str"):
        load(write(tmp_path, "bad.csv", "".join(bad)))


# ------------------------------------------------------------------ nodes files
def test_nodes_file_reads_all_columns(tmp_path):
    p = write(
        tmp_path,
        "n.csv",
        "id,group,privacy_concern,identity_sensitivity,other_regard,"
        "receptiveness,digital_access\n"
        "a,1,0,0.5,1,0.25,1\n\nb,2,0.1,,0.2,0.3,false\nc,2,1,1,1,1,\n",
    )
    t = read_nodes_file(p, 2, TRAITS)
    assert t.ids == ["a", "b", "c"]
    assert t.group.dtype == np.int8 and t.group.tolist() == [0, 1, 1]
    assert set(t.traits) == {
        "privacy_concern",
        "identity_sensitivity",
        "other_regard",
        "receptiveness",
    }
    assert t.traits["receptiveness"].tolist() == [0.25, 0.3, 1.0]
    assert np.isnan(t.traits["identity_sensitivity"][1])
    assert t.access[:2].tolist() == [1.0, 0.0] and np.isnan(t.access[2])
    only = read_nodes_file(write(tmp_path, "m.csv", "group,id\n2,x\n"), 2, TRAITS)
    assert only.ids == ["x"] and only.group.tolist() == [1] and only.traits == {}
    assert only.access is None


@pytest.mark.parametrize(
    "text,line,what",
    [
        ("id,grp\na,1\n", 1, "missing column 'group'"),
        ("group\n1\n", 1, "missing column 'id'"),
        (
            "id,group,privacy_concen\na,1,0.3\n",
            1,
            "unknown column 'privacy_concen': did you mean 'privacy_concern'?",
        ),
        ("id,group,group\na,1,1\n", 1, "column 'group' appears twice"),
        ("id,group,Group\na,1,1\n", 1, "column 'group' appears twice (columns 2 and 3)"),
        ("", 1, "empty file"),
        ("id,group\na,3\n", 2, "group '3' is not an integer from 1 to 2"),
        ("id,group\na,0\n", 2, "group '0' is not an integer"),
        ("id,group\na,x\n", 2, "group 'x' is not an integer"),
        ("id,group\na,1\n\nb,1\na,2\n", 5, "duplicate id 'a' (first at line 2)"),
        ("id,group\n,1\n", 2, "empty id"),
        ("id,group,privacy_concern\na,1,1.5\n", 2, "privacy_concern '1.5' is not a number in"),
        ("id,group,receptiveness\na,1,-0.1\n", 2, "receptiveness '-0.1'"),
        ("id,group,other_regard\na,1,nan\n", 2, "other_regard 'nan'"),
        ("id,group,other_regard\na,1,high\n", 2, "other_regard 'high'"),
        ("id,group,digital_access\na,1,maybe\n", 2, "digital_access 'maybe'"),
        ("id,group\na,1,9\n", 2, "expected 2 fields, got 3"),
    ],
)
def test_malformed_nodes_file_names_file_and_line(tmp_path, text, line, what):
    p = write(tmp_path, "n.csv", text)
    with pytest.raises(NetworkInputError) as info:
        read_nodes_file(p, 2, TRAITS)
    msg = str(info.value)
    assert msg.startswith(f"{p}:{line}: "), msg
    assert what in msg and "\n" not in msg


@settings(max_examples=60, deadline=None)
@given(n=st.integers(1, 120), m=st.integers(0, 600), hub=st.booleans(),
       fraction=st.sampled_from([None, 0.0, 0.3, 1.0]), seed=st.integers(0, 2**32 - 1))
def test_compiled_builder_equals_the_reference(n, m, hub, fraction, seed):
    """``from_pairs`` (compiled: scatter, per-row sort, de-duplicate; short rows by
    insertion sort) gives exactly :func:`from_edges`'s network, counts and strength
    draws, leaving the Generator in the same state, with self-loops, repeats and a hub
    whose row is longer than the insertion-sort cut-off."""
    from diffusion_sim.network.csr import from_edges, from_pairs

    rng = np.random.default_rng(seed)
    src = rng.integers(0, n, m)
    dst = rng.integers(0, n, m)
    if hub:  # person 0 tied to (nearly) everybody, twice over
        src = np.concatenate([src, np.zeros(2 * n, np.int64)])
        dst = np.concatenate([dst, np.tile(np.arange(n), 2)])
    r1, r2 = np.random.default_rng(seed + 1), np.random.default_rng(seed + 1)
    a, ca = from_edges(n, src, dst, strong_fraction=fraction, rng=r1 if fraction is not None
                       else None)
    b, cb = from_pairs(n, src.astype(np.int32), dst.astype(np.int32), fraction,
                       r2 if fraction is not None else None)
    np.testing.assert_array_equal(a.indptr, b.indptr)
    np.testing.assert_array_equal(a.indices, b.indices)
    np.testing.assert_array_equal(a.strong, b.strong)
    assert (ca["self_loops"], ca["duplicates"]) == (cb["self_loops"], cb["duplicates"])
    assert r1.random() == r2.random()


# ------------------------------------------------------------------ what can be asked of a generator
@settings(max_examples=200, deadline=None)
@given(n=st.integers(2, 400), k=st.floats(0.1, 60), h=st.floats(0, 1),
       shares=st.lists(st.floats(0.01, 1), min_size=1, max_size=6),
       kind=st.sampled_from(["erdos_renyi", "watts_strogatz", "barabasi_albert", "sbm"]))
def test_a_degree_the_scenario_accepts_is_one_the_generator_need_not_cap(n, k, h, shares,
                                                                         kind):
    """degree_problem is None exactly when nothing would be capped: ER's and the SBM's
    tie probabilities stay <= 1, the lattice degree and BA's m fit n people."""
    from diffusion_sim.network.generators import _lattice_degree, degree_problem
    from diffusion_sim.scenario import PopulationParams

    total = sum(shares)
    pop = PopulationParams(size=n, group_shares=tuple(x / total for x in shares))
    sizes = pop.group_counts()
    assert sizes.sum() == n
    problem = degree_problem(n, sizes, kind, k, h)
    if kind == "sbm":
        p_in, p_out = sbm_probabilities(sizes, k, h)
        fits = k <= n - 1 and _uncapped(sizes, k, h)
        assert (problem is None) == fits, problem
        if problem is None:
            assert p_in <= 1 and p_out <= 1
    elif kind == "watts_strogatz":
        assert (problem is None) == (_lattice_degree(k) <= n - 1)
    else:
        assert (problem is None) == (k <= n - 1)
        if problem is None and kind == "barabasi_albert":
            assert max(1, round(k / 2)) < n


def _uncapped(sizes, k, h):
    sizes = np.asarray(sizes, float)
    n = sizes.sum()
    within = np.sum(sizes * (sizes - 1) / 2)
    between = (n * n - np.sum(sizes**2)) / 2
    ties = k * n / 2
    inside, outside = (ties, 0.0) if between == 0 else (0.0, ties) if within == 0 else (
        h * ties, (1 - h) * ties)
    return inside <= within * (1 + 1e-12) and outside <= between * (1 + 1e-12)


def test_a_degree_that_cannot_be_is_refused_naming_why(tmp_path):
    from diffusion_sim.errors import ScenarioError
    from diffusion_sim.scenario import Scenario, load
    from diffusion_sim.world import read_inputs

    with pytest.raises(ScenarioError, match=r"network\.mean_degree: mean degree 50 needs at "
                                            r"least 51 people .* but there are 10$"):
        Scenario().with_overrides({"population.size": 10, "network.mean_degree": 50.0})
    with pytest.raises(ScenarioError, match=r"mean degree 2 with homophily 0\.9 needs 9 ties "
                       r"inside groups and 1 between them, but 10 people in groups of 2, 2, "
                       r"2, 2, 2 have only 5 and 40 pairs"):
        Scenario().with_overrides({"population.size": 10, "network.mean_degree": 2.0,
                                   "network.homophily": 0.9})
    ok = Scenario().with_overrides({"population.size": 10, "network.mean_degree": 2.0,
                                    "network.homophily": 0.5})
    assert ok.network.mean_degree == 2.0
    # people from a node file: checked when the file is read, before any run
    (tmp_path / "nodes.csv").write_text("id,group\na,1\nb,2\nc,3\n")
    (tmp_path / "s.toml").write_text('name = "s"\n[population]\nnodes_file = "nodes.csv"\n')
    with pytest.raises(NetworkInputError, match=r"nodes\.csv: network\.mean_degree of s: mean "
                                                r"degree 10 needs at least 11 people"):
        read_inputs(load(tmp_path / "s.toml"))
