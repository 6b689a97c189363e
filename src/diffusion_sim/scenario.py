"""The scenario: a typed, validated parameter set, read from and written to TOML.

A scenario is a tree of frozen dataclasses. Its canonical form is a nested dict
(what TOML holds); :func:`Scenario.from_dict` validates such a dict and
:meth:`Scenario.to_dict` gives it back with every default filled in, so that
``Scenario.from_dict(s.to_dict()) == s``. Any value can be changed by its dotted path
(``traits.identity_sensitivity.group1.mean``) with :meth:`Scenario.with_overrides`,
which re-validates: sweeps and scenario comparisons use exactly this.

Every default is *illustrative* (chosen to respect the orderings described in
Lindberg et al. 2024, not estimated from data); see ``docs/ODD.md``.

Errors are :class:`~diffusion_sim.errors.ScenarioError` with one line naming the
file and the key, e.g. ``base.toml: network.mean_degre: unknown key (did you mean
'mean_degree'?)``.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from diffusion_sim.errors import ScenarioError

#: The four strategies, in the fixed order used by every array (codes 0..3).
STRATEGIES: tuple[str, ...] = ("avoid", "allocate", "embed", "open")
#: Strategies that actually share (everything but ``avoid``), with their own parameters.
SHARING_STRATEGIES: tuple[str, ...] = ("allocate", "embed", "open")
#: The per-person traits drawn from a Beta distribution per group.
TRAITS: tuple[str, ...] = (
    "privacy_concern",
    "identity_sensitivity",
    "other_regard",
    "receptiveness",
)
#: Illustrative default (mean, concentration) of each trait's Beta distribution.
TRAIT_DEFAULTS: dict[str, tuple[float, float]] = {
    "privacy_concern": (0.5, 10.0),
    "identity_sensitivity": (0.5, 10.0),
    "other_regard": (0.4, 10.0),
    "receptiveness": (0.4, 10.0),
}
NETWORK_KINDS = ("erdos_renyi", "watts_strogatz", "barabasi_albert", "sbm", "edgelist")
SEEDING_POLICIES = ("random", "highest_degree", "targeted", "clinician_referral")
AUDIENCES = ("strong", "all")


def _num(lo: float | None = None, hi: float | None = None, *, lo_open=False, hi_open=False,
         doc: str = "", integer: bool = False) -> dict:
    return {"lo": lo, "hi": hi, "lo_open": lo_open, "hi_open": hi_open, "doc": doc,
            "integer": integer}


def _choice(*options: str, doc: str = "") -> dict:
    return {"choices": options, "doc": doc}


@dataclass(frozen=True)
class PopulationParams:
    """Who lives in the model.

    Attributes
    ----------
    size : int
        Number of people (ignored when ``nodes_file`` or an edge list gives them), ≥ 2.
    group_shares : tuple of float
        Population share of each ordered group; group 1 (first) is the most deprived.
        Must sum to 1 (within 1e-6).
    nodes_file : str
        Optional CSV ``id,group[,trait...]``; relative paths resolve against the
        scenario file's folder.
    """

    size: int = field(default=2000, metadata=_num(2, 10**9, integer=True,
                                                    doc="number of people"))
    group_shares: tuple[float, ...] = field(
        default=(0.2, 0.2, 0.2, 0.2, 0.2),
        metadata={"doc": "population share per group, group 1 = most deprived; sums to 1"})
    nodes_file: str = field(default="", metadata={"doc": "CSV id,group[,traits] (optional)"})

    @property
    def n_groups(self) -> int:
        return len(self.group_shares)


@dataclass(frozen=True)
class TraitParams:
    """Beta distribution of one trait, per group (mean in [0,1], concentration > 0).

    A Beta(mean, concentration) has shape parameters ``a = mean·concentration`` and
    ``b = (1 − mean)·concentration``; larger concentration means less spread. A mean
    of exactly 0 or 1 gives everybody in the group that value (no draw).
    ``group_mean[g]`` / ``group_concentration[g]`` are the resolved values of group g+1.
    """

    mean: float = 0.5
    concentration: float = 10.0
    group_mean: tuple[float, ...] = ()
    group_concentration: tuple[float, ...] = ()


@dataclass(frozen=True)
class AccessParams:
    """Probability of digital access (being on the platform at all), per group."""

    probability: float = 0.95
    group_probability: tuple[float, ...] = ()


@dataclass(frozen=True)
class NetworkParams:
    """How the social network is built (see :mod:`diffusion_sim.network`)."""

    kind: str = field(default="sbm", metadata=_choice(*NETWORK_KINDS, doc="generator"))
    mean_degree: float = field(default=10.0, metadata=_num(0.0, None, lo_open=True,
                                                          doc="expected ties per person"))
    rewire_prob: float = field(default=0.1, metadata=_num(0.0, 1.0,
                                                          doc="Watts-Strogatz rewiring"))
    homophily: float = field(default=0.7, metadata=_num(0.0, 1.0,
                             doc="sbm: expected share of a person's ties inside own group"))
    strong_fraction: float = field(default=0.3, metadata=_num(0.0, 1.0,
                                   doc="chance that a generated tie is strong"))
    strong_weight: float = field(default=1.0, metadata=_num(0.0, None,
                                 doc="tie weight of a strong tie"))
    weak_weight: float = field(default=0.5, metadata=_num(0.0, None,
                               doc="tie weight of a weak tie"))
    edges_file: str = field(default="", metadata={"doc": "edgelist: CSV source,target[,strength]"})
    strong_threshold: float = field(default=0.5, metadata=_num(0.0, None,
                                    doc="edgelist: numeric strength >= this is a strong tie"))


@dataclass(frozen=True)
class StrategyParams:
    """Utility terms, fidelity and audience of one sharing strategy."""

    enabled: bool = field(default=True, metadata={"doc": "can people choose it at all"})
    benefit: float = field(default=1.0, metadata=_num(doc="motivating affordance"))
    control_loss: float = field(default=1.0, metadata=_num(0.0, None,
                                doc="risk of losing control over who sees"))
    identity_risk: float = field(default=1.0, metadata=_num(0.0, None,
                                 doc="risk to identity / stigma"))
    others_harm: float = field(default=1.0, metadata=_num(0.0, None,
                               doc="risk of affecting others negatively"))
    fidelity: float = field(default=1.0, metadata=_num(0.0, 1.0,
                            doc="how much of the health message gets through"))
    audience: str = field(default="all", metadata=_choice(*AUDIENCES,
                          doc="strong ties only, or all ties"))


_DEFAULT_STRATEGIES = {
    # Illustrative, ordered as Lindberg et al. describe: open is the most beneficial
    # and the most risky; allocating lowers the loss of control (narrow audience);
    # embedding lowers the identity risk and the message's fidelity.
    "allocate": StrategyParams(benefit=0.8, control_loss=0.3, identity_risk=0.7,
                               others_harm=0.3, fidelity=1.0, audience="strong"),
    "embed": StrategyParams(benefit=0.6, control_loss=0.6, identity_risk=0.2,
                            others_harm=0.4, fidelity=0.5, audience="all"),
    "open": StrategyParams(benefit=1.2, control_loss=1.0, identity_risk=1.0,
                           others_harm=1.0, fidelity=1.0, audience="all"),
}


@dataclass(frozen=True)
class StrategyTable:
    """The three sharing strategies (``avoid`` has zero benefit and zero risk)."""

    allocate: StrategyParams = _DEFAULT_STRATEGIES["allocate"]
    embed: StrategyParams = _DEFAULT_STRATEGIES["embed"]
    open: StrategyParams = _DEFAULT_STRATEGIES["open"]

    def get(self, name: str) -> StrategyParams:
        return getattr(self, name)


@dataclass(frozen=True)
class DecisionParams:
    """The multinomial-logit choice among avoid / allocate / embed / open."""

    temperature: float = field(default=0.3, metadata=_num(0.0, None,
                               doc="logit temperature; 0 = deterministic best response"))
    norm_weight: float = field(default=0.5, metadata=_num(
        doc="utility weight on the share of neighbours seen sharing last step"))
    share_rate: float = field(default=0.3, metadata=_num(0.0, 1.0,
                              doc="chance per step that an engaged person has something to share"))
    share_once: bool = field(default=False, metadata={
        "doc": "share exactly once, in the step after engaging (independent cascade)"})
    forced_strategy: str = field(default="", metadata=_choice("", *STRATEGIES,
                                 doc="if set, everybody uses this strategy"))


@dataclass(frozen=True)
class TransmissionParams:
    """Exposure, loss of control and response."""

    transmissibility: float = field(default=0.4, metadata=_num(0.0, None,
                                    doc="hazard per unit fidelity x tie weight"))
    reshare_prob: float = field(default=0.05, metadata=_num(0.0, 1.0,
                                doc="chance a first-hand receiver passes content to all ties"))
    comparison_penalty: float = field(default=0.7, metadata=_num(0.0, 1.0,
        doc="engagement multiplier when reached only by open sharing from a higher group"))
    attrition: float = field(default=0.0, metadata=_num(0.0, 1.0,
                             doc="chance per step that an engaged person disengages"))


@dataclass(frozen=True)
class InterventionParams:
    """Who is engaged at the start and the broadcast channel."""

    seeding: str = field(default="random", metadata=_choice(*SEEDING_POLICIES,
                         doc="seeding policy"))
    seed_fraction: float = field(default=0.01, metadata=_num(0.0, 1.0, lo_open=True,
                                 doc="share of the population engaged at the start"))
    target_group: int = field(default=1, metadata=_num(1, None, integer=True,
                              doc="targeted seeding: the group seeded"))
    referral_need: tuple[float, ...] = field(default=(), metadata={
        "doc": "clinician referral: relative need weight per group (default G, G-1, ..., 1)"})
    broadcast_rate: float = field(default=0.0, metadata=_num(0.0, 1.0,
                                  doc="chance per step that the broadcast reaches a person"))


@dataclass(frozen=True)
class Scenario:
    """A complete, validated scenario. Build with :meth:`from_dict` or :func:`load`."""

    name: str = "scenario"
    description: str = ""
    steps: int = 52
    population: PopulationParams = PopulationParams()
    traits: Mapping[str, TraitParams] = field(default_factory=dict)
    digital_access: AccessParams = AccessParams()
    network: NetworkParams = NetworkParams()
    strategies: StrategyTable = StrategyTable()
    decision: DecisionParams = DecisionParams()
    transmission: TransmissionParams = TransmissionParams()
    intervention: InterventionParams = InterventionParams()
    #: folder that relative file paths in the scenario resolve against
    base_dir: str = "."

    # ------------------------------------------------------------------ helpers
    @property
    def n_groups(self) -> int:
        return self.population.n_groups

    def resolve_path(self, path: str) -> Path:
        """A file path from the scenario, resolved against the scenario's folder."""
        p = Path(path)
        return p if p.is_absolute() else Path(self.base_dir) / p

    @property
    def uses_user_data(self) -> bool:
        """True when people or ties come from the user's own files (maybe real people)."""
        return bool(self.population.nodes_file) or self.network.kind == "edgelist"

    # ------------------------------------------------------------------ dict I/O
    @classmethod
    def from_dict(cls, data: Mapping[str, Any], source: str = "<scenario>",
                  base_dir: str | Path = ".") -> Scenario:
        """Validate a nested dict (as read from TOML) and build a Scenario.

        Raises
        ------
        ScenarioError
            One line naming ``source`` and the offending dotted key.
        """
        return _Loader(source).scenario(data, str(base_dir))

    def to_dict(self) -> dict[str, Any]:
        """The full nested dict, every default filled in (round-trips through TOML)."""
        out: dict[str, Any] = {"name": self.name, "description": self.description,
                               "steps": self.steps}
        out["population"] = _plain(self.population)
        out["traits"] = {}
        for t in TRAITS:
            tp = self.traits[t]
            d: dict[str, Any] = {"mean": tp.mean, "concentration": tp.concentration}
            for g in range(self.n_groups):
                over = {}
                if tp.group_mean[g] != tp.mean:
                    over["mean"] = tp.group_mean[g]
                if tp.group_concentration[g] != tp.concentration:
                    over["concentration"] = tp.group_concentration[g]
                if over:
                    d[f"group{g + 1}"] = over
            out["traits"][t] = d
        acc: dict[str, Any] = {"probability": self.digital_access.probability}
        for g, p in enumerate(self.digital_access.group_probability):
            if p != self.digital_access.probability:
                acc[f"group{g + 1}"] = {"probability": p}
        out["digital_access"] = acc
        out["network"] = _plain(self.network)
        out["strategies"] = {s: _plain(self.strategies.get(s)) for s in SHARING_STRATEGIES}
        out["decision"] = _plain(self.decision)
        out["transmission"] = _plain(self.transmission)
        out["intervention"] = _plain(self.intervention)
        if self.intervention.referral_need == default_referral_need(self.n_groups):
            out["intervention"]["referral_need"] = []  # "the default for however many groups"
        return out

    def to_toml(self) -> str:
        """The scenario as TOML text (every value explicit)."""
        return tomli_w.dumps(self.to_dict())

    def with_overrides(self, overrides: Mapping[str, Any], source: str = "<overrides>"
                       ) -> Scenario:
        """A copy with values replaced by dotted path, re-validated.

        ``s.with_overrides({"transmission.reshare_prob": 0.1,
        "traits.identity_sensitivity.group1.mean": 0.7})``
        """
        data = self.to_dict()
        for path, value in overrides.items():
            set_dotted(data, path, value, source)
        return Scenario.from_dict(data, source=source, base_dir=self.base_dir)

    def get(self, path: str) -> Any:
        """The value at a dotted path (as in :meth:`with_overrides`).

        Per-group paths (``traits.T.groupK.mean``, ``digital_access.groupK.probability``)
        give the resolved value of that group even when it equals the default.
        """
        parts = path.split(".")
        group = next((p for p in parts if p.startswith("group") and p[5:].isdigit()), None)
        if group is not None:
            g = int(group[5:]) - 1
            if 0 <= g < self.n_groups:
                if parts[0] == "traits" and len(parts) == 4 and parts[1] in self.traits:
                    tp = self.traits[parts[1]]
                    if parts[3] == "mean":
                        return tp.group_mean[g]
                    if parts[3] == "concentration":
                        return tp.group_concentration[g]
                if parts[:1] == ["digital_access"] and parts[2:] == ["probability"]:
                    return self.digital_access.group_probability[g]
        node: Any = self.to_dict()
        for part in parts:
            if not (isinstance(node, dict) and part in node):
                raise ScenarioError(f"{path}: no such scenario key")
            node = node[part]
        return node


def _plain(obj: Any) -> dict[str, Any]:
    out = {}
    for f in dataclasses.fields(obj):
        v = getattr(obj, f.name)
        out[f.name] = list(v) if isinstance(v, tuple) else v
    return out


def set_dotted(data: dict[str, Any], path: str, value: Any, source: str = "<overrides>"
               ) -> None:
    """Set ``data[a][b][c] = value`` for ``path = "a.b.c"``, creating tables as needed."""
    parts = path.split(".")
    node = data
    for part in parts[:-1]:
        nxt = node.get(part)
        if nxt is None:
            nxt = node[part] = {}
        elif not isinstance(nxt, dict):
            raise ScenarioError(f"{source}: {path}: '{part}' is a value, not a table")
        node = nxt
    if isinstance(value, tuple):
        value = list(value)
    node[parts[-1]] = value


# ---------------------------------------------------------------------- loading
class _Loader:
    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, msg: str) -> ScenarioError:
        return ScenarioError(f"{self.source}: {key}: {msg}")

    def check_keys(self, table: Mapping[str, Any], allowed: list[str], prefix: str) -> None:
        if not isinstance(table, Mapping):
            raise self.fail(prefix.rstrip("."), "must be a table")
        for k in table:
            if k not in allowed:
                close = difflib.get_close_matches(k, allowed, n=1, cutoff=0.6)
                hint = f" (did you mean '{close[0]}'?)" if close else (
                    f" (valid keys: {', '.join(allowed)})")
                raise self.fail(prefix + k, f"unknown key{hint}")

    def number(self, value: Any, key: str, meta: Mapping[str, Any]) -> float | int:
        integer = meta.get("integer", False)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            kind = "an integer" if integer else "a number"
            raise self.fail(key, f"must be {kind}, got {value!r}")
        if integer and (isinstance(value, float) and not value.is_integer()):
            raise self.fail(key, f"must be an integer, got {value!r}")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.fail(key, f"must be finite, got {value!r}")
        lo, hi = meta.get("lo"), meta.get("hi")
        lo_open, hi_open = meta.get("lo_open", False), meta.get("hi_open", False)
        bad = (lo is not None and (value < lo or (lo_open and value == lo))) or (
            hi is not None and (value > hi or (hi_open and value == hi)))
        if bad:
            lb = "(" if lo_open else "["
            rb = ")" if hi_open else "]"
            lo_s = "-inf" if lo is None else f"{lo:g}"
            hi_s = "inf" if hi is None else f"{hi:g}"
            raise self.fail(key, f"{value!r} is out of range {lb}{lo_s}, {hi_s}{rb}")
        return int(value) if integer else float(value)

    def dataclass_table(self, cls: type, table: Mapping[str, Any], prefix: str,
                        default: Any = None) -> Any:
        fields = {f.name: f for f in dataclasses.fields(cls)}
        self.check_keys(table, list(fields), prefix)
        base = default if default is not None else cls()
        values = {}
        for name, f in fields.items():
            if name not in table:
                continue
            v = table[name]
            key = prefix + name
            meta = f.metadata
            current = getattr(base, name)
            if "choices" in meta:
                if not isinstance(v, str) or v not in meta["choices"]:
                    opts = ", ".join(repr(c) for c in meta["choices"])
                    raise self.fail(key, f"{v!r} is not one of {opts}")
            elif isinstance(current, bool):
                if not isinstance(v, bool):
                    raise self.fail(key, f"must be true or false, got {v!r}")
            elif isinstance(current, str):
                if not isinstance(v, str):
                    raise self.fail(key, f"must be a string, got {v!r}")
            elif isinstance(current, tuple):
                if not isinstance(v, (list, tuple)):
                    raise self.fail(key, f"must be a list of numbers, got {v!r}")
                v = tuple(self.number(x, f"{key}[{i}]", {"lo": 0.0})
                          for i, x in enumerate(v))
            else:
                v = self.number(v, key, meta)
            values[name] = v
        return dataclasses.replace(base, **values)

    def trait(self, table: Mapping[str, Any], key: str, n_groups: int,
              default: tuple[float, float]) -> TraitParams:
        allowed = ["mean", "concentration"] + [f"group{g + 1}" for g in range(n_groups)]
        self.check_keys(table, allowed, key + ".")
        mean_meta = _num(0.0, 1.0)  # 0 and 1 mean "everybody exactly 0 / 1"
        conc_meta = _num(0.0, None, lo_open=True)
        mean = self.number(table.get("mean", default[0]), key + ".mean", mean_meta)
        conc = self.number(table.get("concentration", default[1]), key + ".concentration",
                           conc_meta)
        gm, gc = [], []
        for g in range(n_groups):
            gk = f"{key}.group{g + 1}"
            sub = table.get(f"group{g + 1}", {})
            self.check_keys(sub, ["mean", "concentration"], gk + ".")
            gm.append(self.number(sub.get("mean", mean), gk + ".mean", mean_meta))
            gc.append(self.number(sub.get("concentration", conc), gk + ".concentration",
                                  conc_meta))
        return TraitParams(mean, conc, tuple(gm), tuple(gc))

    def scenario(self, data: Mapping[str, Any], base_dir: str) -> Scenario:
        top = ["name", "description", "steps", "population", "traits", "digital_access",
               "network", "strategies", "decision", "transmission", "intervention"]
        self.check_keys(data, top, "")
        name = data.get("name", "scenario")
        if not isinstance(name, str) or not name:
            raise self.fail("name", f"must be a non-empty string, got {name!r}")
        desc = data.get("description", "")
        if not isinstance(desc, str):
            raise self.fail("description", f"must be a string, got {desc!r}")
        steps = self.number(data.get("steps", 52), "steps", _num(1, 100_000, integer=True))

        pop = self.dataclass_table(PopulationParams, data.get("population", {}), "population.")
        shares = pop.group_shares
        if not shares:
            raise self.fail("population.group_shares", "needs at least one group")
        if abs(sum(shares) - 1.0) > 1e-6:
            raise self.fail("population.group_shares",
                            f"shares must sum to 1, they sum to {sum(shares):.6g}")
        G = len(shares)

        traits_t = data.get("traits", {})
        self.check_keys(traits_t, list(TRAITS), "traits.")
        traits = {t: self.trait(traits_t.get(t, {}), f"traits.{t}", G, TRAIT_DEFAULTS[t])
                  for t in TRAITS}

        acc_t = data.get("digital_access", {})
        allowed = ["probability"] + [f"group{g + 1}" for g in range(G)]
        self.check_keys(acc_t, allowed, "digital_access.")
        pmeta = _num(0.0, 1.0)
        p = self.number(acc_t.get("probability", 0.95), "digital_access.probability", pmeta)
        gp = []
        for g in range(G):
            gk = f"digital_access.group{g + 1}"
            sub = acc_t.get(f"group{g + 1}", {})
            self.check_keys(sub, ["probability"], gk + ".")
            gp.append(self.number(sub.get("probability", p), gk + ".probability", pmeta))
        access = AccessParams(p, tuple(gp))

        net = self.dataclass_table(NetworkParams, data.get("network", {}), "network.")
        if net.kind == "edgelist" and not net.edges_file:
            raise self.fail("network.edges_file", "kind = 'edgelist' needs an edges_file")

        st = data.get("strategies", {})
        self.check_keys(st, list(SHARING_STRATEGIES), "strategies.")
        strategies = StrategyTable(**{
            s: self.dataclass_table(StrategyParams, st.get(s, {}), f"strategies.{s}.",
                                    default=_DEFAULT_STRATEGIES[s])
            for s in SHARING_STRATEGIES})

        dec = self.dataclass_table(DecisionParams, data.get("decision", {}), "decision.")
        if dec.forced_strategy in SHARING_STRATEGIES and not strategies.get(
                dec.forced_strategy).enabled:
            raise self.fail("decision.forced_strategy",
                            f"'{dec.forced_strategy}' is forced but disabled in strategies")
        tr = self.dataclass_table(TransmissionParams, data.get("transmission", {}),
                                  "transmission.")
        iv = self.dataclass_table(InterventionParams, data.get("intervention", {}),
                                  "intervention.")
        if iv.target_group > G:
            raise self.fail("intervention.target_group",
                            f"{iv.target_group} is out of range [1, {G}] (there are {G} groups)")
        if iv.referral_need:
            if len(iv.referral_need) != G:
                raise self.fail("intervention.referral_need",
                                f"needs one weight per group ({G}), got {len(iv.referral_need)}")
            if sum(iv.referral_need) <= 0:
                raise self.fail("intervention.referral_need", "weights must not all be 0")
        else:
            iv = dataclasses.replace(iv, referral_need=default_referral_need(G))
        return Scenario(name=name, description=desc, steps=steps, population=pop,
                        traits=traits, digital_access=access, network=net,
                        strategies=strategies, decision=dec, transmission=tr,
                        intervention=iv, base_dir=base_dir)


def default_referral_need(n_groups: int) -> tuple[float, ...]:
    """Default clinician-referral weights: G, G−1, …, 1 (more need in deprived groups)."""
    return tuple(float(n_groups - g) for g in range(n_groups))


def default_scenario() -> Scenario:
    """The documented default scenario (all values illustrative)."""
    return Scenario.from_dict({})


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.

    A file may start from another one with ``extends = "baseline.toml"`` (a path
    relative to the file): its tables are merged key by key over the other file's,
    so a variant states only what it changes.

    Raises
    ------
    ScenarioError
        If the file is missing, is not valid TOML, or any value is invalid; the message
        names the file and the key (or the TOML line).
    """
    path = Path(path)
    data = load_dict(path)
    return Scenario.from_dict(data, source=str(path), base_dir=path.parent)


def load_dict(path: Path, _seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The scenario dict of a file with its ``extends`` chain merged in."""
    data = read_toml(path)
    parent = data.pop("extends", None)
    if parent is None:
        return data
    if not isinstance(parent, str):
        raise ScenarioError(f"{path}: extends: must be a file name, got {parent!r}")
    parent_path = (path.parent / parent).resolve()
    if parent_path in _seen:
        raise ScenarioError(f"{path}: extends: '{parent}' extends itself (a cycle)")
    base = load_dict(parent_path, (*_seen, path.resolve()))
    return merge_dicts(base, data)


def merge_dicts(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    """``over`` merged into a copy of ``base``, table by table."""
    out = dict(base)
    for k, v in over.items():
        if isinstance(v, Mapping) and isinstance(out.get(k), Mapping):
            out[k] = merge_dicts(dict(out[k]), v)
        else:
            out[k] = v
    return out


def read_toml(path: Path) -> dict[str, Any]:
    """Parse a TOML file, turning I/O and syntax errors into one-line ScenarioErrors."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ScenarioError(f"{path}: no such file") from None
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(f"{path}: not valid TOML: {exc}") from None
    except OSError as exc:
        raise ScenarioError(f"{path}: cannot read: {exc.strerror}") from None


def save(scenario: Scenario, path: str | Path) -> None:
    """Write a scenario as TOML (every value explicit)."""
    Path(path).write_text(scenario.to_toml())
