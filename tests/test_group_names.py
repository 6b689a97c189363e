"""Scenarios name their groups and say whether the outcome is favourable."""

import pytest

from diffusion_sim.errors import ScenarioError
from diffusion_sim.measures import headlines
from diffusion_sim.scenario import describe, load

NAMES = ["Q1 (most deprived)", "Q2", "Q3", "Q4", "Q5 (least deprived)"]


def write(tmp_path, body):
    p = tmp_path / "s.toml"
    p.write_text(body)
    return p


def test_names_from_a_file_label_the_per_group_measures(tmp_path):
    sc = load(write(tmp_path, f"[population]\ngroup_names = {NAMES!r}\n"
                              'dimension = "IMD quintile"\nfavourable = false\n'))
    assert sc.population.names == tuple(NAMES)
    assert sc.population.dimension == "IMD quintile" and sc.population.favourable is False
    labels = {m.key: m.label for m in headlines(5, sc.population.names)}
    assert labels["engaged_final_g1"] == "Engaged in Q1 (most deprived) (% of group)"
    assert labels["engaged_final_g5"] == "Engaged in Q5 (least deprived) (% of group)"
    # round trip through TOML keeps them
    again = load(write(tmp_path, sc.to_toml()))
    assert again.population.names == tuple(NAMES)


def test_default_names_are_the_labels_tables_always_had(tmp_path):
    sc = load(write(tmp_path, "[population]\ngroup_shares = [0.5, 0.3, 0.2]\n"))
    assert sc.population.names == ("group 1 (most deprived)", "group 2",
                                   "group 3 (least deprived)")
    labels = {m.key: m.label for m in headlines(3)}
    assert labels["engaged_final_g1"] == "Engaged in group 1 (most deprived) (% of group)"
    assert labels["engaged_final_g2"] == "Engaged in group 2 (% of group)"


@pytest.mark.parametrize(("body", "match"), [
    ('group_names = ["a", "b"]', r"s\.toml: population\.group_names: needs one name per "
                                 r"group \(5\), got 2"),
    ('group_names = ["a", "b", "A ", "c", "d"]', r"population\.group_names: names must differ"),
    ('group_names = ["a", "", "c", "d", "e"]', r"population\.group_names\[1\]: must be a "
                                               r"non-empty string"),
    ('group_names = "Q1"', r"population\.group_names: must be a list of strings"),
    ('favourable = "yes"', r"population\.favourable: must be true or false"),
    ('dimension = " "', r"population\.dimension: must be a non-empty name"),
    ('group_name = ["a"]', r"population\.group_name: unknown key \(did you mean 'group_names'"),
])
def test_bad_names_are_one_line_naming_the_key(tmp_path, body, match):
    with pytest.raises(ScenarioError, match=match):
        load(write(tmp_path, f"[population]\n{body}\n"))


def test_describe_documents_the_new_keys():
    rows = {r["key"]: r for r in describe()}
    assert rows["population.group_names"]["type"] == "list"
    assert rows["population.favourable"]["default"] == "True"
    assert "HEAT" in rows["population.dimension"]["meaning"]
