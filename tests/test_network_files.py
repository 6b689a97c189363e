"""The edge-list header rule, comments, and node files with columns the model does not
use (the readers' other behaviour is tested in test_network.py)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from diffusion_sim.errors import NetworkInputError
from diffusion_sim.model import DiffusionModel
from diffusion_sim.network import edge_format, load_edge_list, read_nodes_file
from diffusion_sim.network import files as netfiles
from diffusion_sim.scenario import TRAITS, default_scenario
from diffusion_sim.world import RunStreams, build_world, run_seed_sequence


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_bytes(text.encode("utf-8") if isinstance(text, str) else text)
    return p


def load(p, header="auto", nodes=None, threshold=0.5):
    return load_edge_list(p, threshold, nodes, 1, (1.0,), np.random.default_rng(0), header)


def header_names_in(ids):
    return [i for i in ids if edge_format.column_name(i.encode()) in edge_format.HEADER_LIKE]


# ------------------------------------------------------------------ the header rule
HEADER = "header"
TIE = "tie"
VARIANTS = [
    # (text, edges_header, outcome, ids or (line, first words of the error))
    ("source,target\na,b\n", "auto", HEADER, ["a", "b"]),
    ("from,to\na,b\n", "auto", HEADER, ["a", "b"]),
    ("src,dst\na,b\n", "auto", HEADER, ["a", "b"]),
    ("Source,Target,Weight\na,b,0.7\n", "auto", HEADER, ["a", "b"]),
    (" FROM , To \na,b\n", "auto", HEADER, ["a", "b"]),
    ('"source","target"\na,b\n', "auto", HEADER, ["a", "b"]),
    ("ego,alter,strength\na,b,weak\n", "auto", HEADER, ["a", "b"]),
    ("node1,node2,tie_strength\na,b,1\n", "auto", HEADER, ["a", "b"]),
    ("# made by hand\n\nsource,target  # the header\na,b\n", "auto", HEADER, ["a", "b"]),
    ("from,to\n", "auto", HEADER, []),  # a header and no tie: "no ties found"
    ("1,2\n2,3\n", "auto", TIE, ["1", "2", "3"]),
    ("alice,bob\nbob,carol\n", "auto", TIE, ["alice", "bob", "carol"]),
    ("1,2,0.7\nalice,bob,1\n", "auto", TIE, ["1", "2", "alice", "bob"]),
    ("a,b,0.7\n", "auto", TIE, ["a", "b"]),
    ("x,y\nsource,x\n", "auto", TIE, ["x", "y", "source"]),
    ("\n# only comments before\nx,y  # first tie\n", "auto", TIE, ["x", "y"]),
    ("a,b,-1\n", "auto", (1, "strength '-1' is not"), None),  # a number: a (bad) tie
    ("from,goal\na,b\n", "auto", (1, "cannot tell whether 'from,goal' is a header or a tie "
                                     "('from' is a column name)"), None),
    ("alice,to\n", "auto", (1, "cannot tell whether 'alice,to' is a header or a tie ('to'"),
     None),
    ("u,v\n1,2\n", "auto", (1, "cannot tell whether 'u,v' is a header or a tie"), None),
    ("person_a,person_b\n1,2\n", "auto",
     (1, "cannot tell whether 'person_a,person_b' is a header or a tie (two names above "
         "two numbers): set network.edges_header"), None),
    ("a,b,type\nc,d,1\n", "auto", (1, "cannot tell whether 'a,b,type' is a header or a tie "
                                      "('type' is not a strength)"), None),
    ("\n# c\nsource,target,type\na,b,1\n", "auto", (3, "cannot tell whether"), None),
    ("Source,Target,Type,Id,Weight\na,b,Undirected,0,1\n", "auto",
     (1, "expected source,target (2 fields), got 5 fields"), None),
    # declared
    ("person_a,person_b\n1,2\n", "yes", HEADER, ["1", "2"]),
    ("from,to,kind\na,b,strong\n", "yes", HEADER, ["a", "b"]),
    ("u,v\nv,w\n", "no", TIE, ["u", "v", "w"]),
    ("source,target\na,b\n", "no", TIE, ["source", "target", "a", "b"]),
    ("a,b,c,d\ne,f\n", "yes", (1, "the header has 4 columns, expected 2 or 3"), None),
]


@pytest.mark.parametrize("text,mode,outcome,ids", VARIANTS)
def test_header_variants(tmp_path, text, mode, outcome, ids):
    p = write(tmp_path, "e.csv", text)
    if isinstance(outcome, tuple):
        line, words = outcome
        with pytest.raises(NetworkInputError) as info:
            load(p, mode)
        msg = str(info.value)
        assert msg.startswith(f"{p}:{line}: {words}"), msg
        assert "\n" not in msg
        return
    if not ids:
        with pytest.raises(NetworkInputError, match="no ties found"):
            load(p, mode)
        return
    net, _, nodes = load(p, mode)
    assert nodes.ids == ids
    if mode == "auto":
        assert header_names_in(nodes.ids) == ([] if outcome == HEADER else
                                              header_names_in(ids))


@pytest.mark.parametrize("mode", ["auto", "yes"])
def test_header_after_many_comment_lines_in_a_later_block(tmp_path, monkeypatch, mode):
    text = "# about this file\n\n" * 40 + "From,To,Weight\n" + "".join(
        f"p{i},p{i + 1},{i % 3}\n" for i in range(200))
    monkeypatch.setattr(netfiles, "_BLOCK_BYTES", 64)  # the header is far past block 1
    net, _, nodes = load(write(tmp_path, "e.csv", text), mode)
    assert nodes.ids == [f"p{i}" for i in range(201)] and net.n_ties == 200
    assert net.strong.sum() == 2 * sum(1 for i in range(200) if i % 3 >= 1)  # 1, 2 >= 0.5


def test_refused_header_says_how_to_declare_it(tmp_path):
    p = write(tmp_path, "e.csv", "ego_id,alter_id\n1,2\n")
    with pytest.raises(NetworkInputError) as info:
        load(p)
    assert str(info.value).endswith(
        'set network.edges_header = "yes" (a header) or "no" (a tie), or name the columns '
        "source,target[,strength]")
    net, _, nodes = load(p, "yes")
    assert nodes.ids == ["1", "2"] and net.n_ties == 1


def test_edges_header_is_a_scenario_key_that_reaches_the_reader(tmp_path):
    write(tmp_path, "e.csv", "person_a,person_b\n1,2\n2,3\n")
    base = {"population.group_shares": [1.0], "network.kind": "edgelist",
            "network.edges_file": "e.csv", "steps": 2}
    sc = default_scenario().with_overrides(base)
    sc = type(sc).from_dict(sc.to_dict(), base_dir=tmp_path)
    assert sc.network.edges_header == "auto"
    with pytest.raises(NetworkInputError, match=r"e.csv:1: cannot tell"):
        DiffusionModel(sc, seed=1)
    yes = type(sc).from_dict({**sc.to_dict(), "network": {**sc.to_dict()["network"],
                                                          "edges_header": "yes"}},
                             base_dir=tmp_path)
    m = DiffusionModel(yes, seed=1)
    assert m.n == 3 and m.network.n_ties == 2
    # the up-front check (memory, notes) reads the file exactly as the run does
    from diffusion_sim.world import read_inputs

    assert (read_inputs(yes).people, read_inputs(yes).directed_ties) == (3, 4)
    with pytest.raises(NetworkInputError, match=r"e.csv:1: cannot tell"):
        read_inputs(sc)
    with pytest.raises(Exception, match=r"edges_header: 'maybe' is not one of 'auto'"):
        type(sc).from_dict({**sc.to_dict(), "network": {**sc.to_dict()["network"],
                                                        "edges_header": "maybe"}})


# ------------------------------------------------------------------ comments
def paths_used(monkeypatch):
    """Record which parser path (numpy or line by line) each block took."""
    used = []
    fast = netfiles._EdgeParser._fast

    def spy(self, block, line0):
        out = fast(self, block, line0)
        used.append(out is not None)
        return out

    monkeypatch.setattr(netfiles._EdgeParser, "_fast", spy)
    return used


def test_inline_comments_in_fast_and_slow_paths(tmp_path, monkeypatch):
    rng = np.random.default_rng(3)
    a, b = rng.integers(0, 300, 2000), rng.integers(0, 300, 2000)
    w = rng.random(2000).round(2)
    plain = [f"n{x},n{y},{z}\n" for x, y, z in zip(a, b, w)]
    ref_net, _, ref_nodes = load(write(tmp_path, "ref.csv", "".join(plain)))
    commented = list(plain)
    for i in range(0, 2000, 7):  # a comment after a tie (blank before '#')
        commented[i] = commented[i][:-1] + ("  # met at school\n" if i % 2 else "\t#x,y#z\n")
    for i in range(0, 2000, 11):  # comment lines, with '#' and commas inside
        commented[i] = "#c#d,e,f\n" + commented[i]
    text = "".join(commented)
    monkeypatch.setattr(netfiles, "_BLOCK_BYTES", 300)  # many blocks
    used = paths_used(monkeypatch)
    net, _, nodes = load(write(tmp_path, "e.csv", text))
    assert True in used and False in used  # both paths ran
    assert nodes.ids == ref_nodes.ids and not any("#" in i for i in nodes.ids)
    for x in ("indptr", "indices", "strong"):
        assert np.array_equal(getattr(net, x), getattr(ref_net, x))
    # and all line by line
    monkeypatch.setattr(netfiles._EdgeParser, "_fast", lambda self, block, line0: None)
    slow, _, slow_nodes = load(write(tmp_path, "e.csv", text))
    assert slow_nodes.ids == ref_nodes.ids and np.array_equal(slow.indices, ref_net.indices)


@pytest.mark.parametrize("bad", ["n1,n2#x\n", "apt#3,n2\n", "n1,n2,#0.5\n", "n1,#n2\n",
                                 "n1,n2,0.5#\n", "n1,n2\r#x\n"])
@pytest.mark.parametrize("block_bytes", [1 << 24, 300])
def test_hash_inside_a_field_is_refused_in_both_paths(tmp_path, monkeypatch, bad, block_bytes):
    k = bad.count(",") + 1  # 2 or 3 columns, like the bad line
    lines = [",".join([f"n{i}", f"n{i + 1}", "0.5"][:k]) + "\n" for i in range(1500)]
    lines[1234] = bad
    monkeypatch.setattr(netfiles, "_BLOCK_BYTES", block_bytes)
    p = write(tmp_path, "e.csv", "".join(lines))
    with pytest.raises(NetworkInputError) as info:
        load(p)
    assert str(info.value).startswith(f"{p}:1235: '#' inside a field"), str(info.value)
    # on the first line the header rule meets it first: same message
    with pytest.raises(NetworkInputError, match=r"e1.csv:1: '#' inside a field"):
        load(write(tmp_path, "e1.csv", lines[1234] + lines[0]))


# ------------------------------------------------------------------ fast = slow, always
FIELDS = st.sampled_from(["a", "b", "c", "1", "2", "10", "n_1", "x-y", "0.5", "strong", "weak",
                          "-1", "oops", "", " a", "b ", "\ta", "a\x0c", "\x0bb", "#", "#c", " #c",
                          '"a"', "é", "a b"])
HEADERS = st.sampled_from(["source,target", "from,to", "Src,Dst,Weight", "source,goal",
                           "u,v", "from,to,kind", "a,b", "1,2", "person_a,person_b",
                           '"from","to"', "# comment", "", "ego,alter # hdr", "to,from"])


@st.composite
def edge_files(draw):
    lines = [draw(HEADERS)]
    for _ in range(draw(st.integers(0, 12))):
        k = draw(st.integers(0, 4))
        line = ",".join(draw(st.lists(FIELDS, min_size=k, max_size=k)))
        lines.append(line + draw(st.sampled_from(["", "", "  # note", "#x", "\r"])))
    end = draw(st.sampled_from(["\n", "\r\n"]))
    return end.join(lines) + draw(st.sampled_from(["", end]))


def outcome(p, mode):
    try:
        net, group, nodes = load(p, mode)
    except NetworkInputError as exc:
        msg = str(exc)
        assert "\n" not in msg and msg.startswith(f"{p}"), msg
        return msg
    return (tuple(nodes.ids), net.indptr.tolist(), net.indices.tolist(), net.strong.tolist(),
            net.notes)


@settings(max_examples=200, deadline=None)
@given(text=edge_files(), mode=st.sampled_from(["auto", "auto", "yes", "no"]))
def test_random_edge_files_parse_or_refuse_in_one_line_and_paths_agree(tmp_path_factory, text,
                                                                       mode):
    p = write(tmp_path_factory.mktemp("h"), "e.csv", text)
    whole = outcome(p, mode)  # any other exception fails the test
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(netfiles, "_BLOCK_BYTES", 7)
        assert outcome(p, mode) == whole  # many tiny blocks
        mp.setattr(netfiles._EdgeParser, "_fast", lambda self, block, line0: None)
        assert outcome(p, mode) == whole  # line by line only
    if isinstance(whole, tuple):
        ids = whole[0]
        assert not any("#" in i for i in ids), ids
        if mode == "auto":  # the body has no column name: any id that is one was a header
            assert header_names_in(ids) == [], (text, ids)


@settings(max_examples=200, deadline=None)
@given(text=st.text(alphabet=st.sampled_from(list("ab1,# \t\r\n\x0c\"é")), max_size=60))
def test_arbitrary_text_parses_or_refuses_in_one_line(tmp_path_factory, text):
    p = write(tmp_path_factory.mktemp("t"), "e.csv", text)
    whole = outcome(p, "auto")
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(netfiles._EdgeParser, "_fast", lambda self, block, line0: None)
        assert outcome(p, "auto") == whole
    if isinstance(whole, tuple):
        assert not any("#" in i for i in whole[0])


# ------------------------------------------------------------------ node files
def test_node_file_extra_columns_are_ignored_with_a_note(tmp_path):
    p = write(tmp_path, "nodes.csv",
              "ID,name,Group,age,Privacy Concern,postcode,,digital-access\n"
              'a,"Smith, Ann",1,34,0.2,AB1,,yes\nb,Bo,2,,,CD2,x,0\n')
    t = read_nodes_file(p, 2, TRAITS)
    assert t.ids == ["a", "b"] and t.group.tolist() == [0, 1]
    assert set(t.traits) == {"privacy_concern"}
    assert t.traits["privacy_concern"][0] == 0.2 and np.isnan(t.traits["privacy_concern"][1])
    assert t.access.tolist() == [1.0, 0.0]
    assert t.notes == ["nodes.csv: columns name, age, postcode, (unnamed column 7) ignored "
                       "(not used by the model)"]
    one = read_nodes_file(write(tmp_path, "n.csv", "id,group,name\na,1,Ann\n"), 2, TRAITS)
    assert one.notes == ["n.csv: column name ignored (not used by the model)"]
    assert read_nodes_file(write(tmp_path, "m.csv", "id,group\na,1\n"), 2, TRAITS).notes == []


@pytest.mark.parametrize("text,line,what", [
    ("id,group,name,receptivness\na,1,A,0.5\n", 1,
     "unknown column 'receptivness': did you mean 'receptiveness'?"),
    ("id,group,digitalaccess\na,1,1\n", 1, "did you mean 'digital_access'?"),
    ("id,group,name\na,1\n", 2, "expected 3 fields, got 2"),
    ("id,group,name,other_regard\na,1,Ann,1.5\n", 2, "other_regard '1.5' is not a number"),
    ("name,id,group\nAnn,a,4\n", 2, "group '4' is not an integer from 1 to 2"),
])
def test_known_columns_keep_their_checks_beside_extra_ones(tmp_path, text, line, what):
    p = write(tmp_path, "n.csv", text)
    with pytest.raises(NetworkInputError) as info:
        read_nodes_file(p, 2, TRAITS)
    msg = str(info.value)
    assert msg.startswith(f"{p}:{line}: ") and what in msg and "\n" not in msg, msg


def test_a_look_alike_of_a_present_column_is_just_ignored(tmp_path):
    t = read_nodes_file(write(tmp_path, "n.csv", "id,group,groups\na,1,x\n"), 2, TRAITS)
    assert t.group.tolist() == [0] and t.notes == ["n.csv: column groups ignored (not used "
                                                   "by the model)"]


@pytest.mark.parametrize("kind", ["edgelist", "sbm"])
def test_node_file_notes_reach_the_world(tmp_path, kind):
    write(tmp_path, "nodes.csv", "id,group,name\n" + "".join(f"p{i},1,N{i}\n" for i in range(6)))
    write(tmp_path, "e.csv", "p0,p1\np1,p2\np2,p2\np6,p0\n")
    sc = default_scenario().with_overrides({
        "population.group_shares": [1.0], "population.nodes_file": "nodes.csv",
        "network.kind": kind, "network.edges_file": "e.csv", "network.mean_degree": 2.0,
        "steps": 2})
    sc = type(sc).from_dict(sc.to_dict(), base_dir=tmp_path)
    world = build_world(sc, RunStreams(run_seed_sequence(1)))
    first = "nodes.csv: column name ignored (not used by the model)"
    if kind == "sbm":
        assert world.notes == (first,)
        return
    assert world.notes == (
        first,
        "e.csv: 1 self-loops dropped (first at line 3)",
        "e.csv: no strength column: every tie is weak",
        "e.csv: 1 people in the edge list have no attributes (not in the node file): "
        "group drawn from group_shares",
    )
    assert DiffusionModel(sc, seed=1).input_notes == world.notes
