"""The scenario: typed, frozen parameters, validated whenever they are built.

A scenario is a tree of frozen dataclasses. Every field states its default once, with
its type, range and meaning in the field's metadata; that metadata validates the value
on construction (``Scenario()``, ``dataclasses.replace(s, steps=-5)`` and the TOML
loader alike), documents it (``diffusion-sim describe``) and drives the loader's
type checks. The canonical form is a nested dict (what TOML holds):
:meth:`Scenario.from_dict` validates one and :meth:`Scenario.to_dict` gives it back
with every default filled in, so ``Scenario.from_dict(s.to_dict()) == s``. Any value
can be changed by its dotted path (``traits.identity_sensitivity.group1.mean``) with
:meth:`Scenario.with_overrides`, which re-validates: sweeps and comparisons use it.

**Vocabulary in one place.** The strategies are a table (``strategies``, name ->
:class:`StrategyParams`); ``avoid`` (zero benefit, zero risk) is always code 0 and
the table's entries follow in order, so a scenario file can add a fifth strategy with
one ``[strategies.NAME]`` table. Traits are a table sized from :data:`TRAITS`.

Every default is *illustrative* (chosen to respect the orderings described in
Lindberg et al. 2024, not estimated from data); see ``docs/ODD.md``. Errors are
:class:`~diffusion_sim.errors.ScenarioError`, one line naming the file and the key,
e.g. ``base.toml: network.mean_degre: unknown key (did you mean 'mean_degree'?)``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import tomli_w

from diffusion_sim.config import check_keys, did_you_mean, load_dict, set_dotted
from diffusion_sim.draws import apply_draw, check_draws
from diffusion_sim.errors import ScenarioError
from diffusion_sim.network.generators import degree_problem
from diffusion_sim.parameters import (
    AUDIENCES,
    AVOID,
    DEFAULT_STRATEGIES,
    SHARING_STRATEGIES,
    STRATEGIES,
    STRATEGY_NAME,
    TRAIT_DEFAULTS,
    TRAITS,
    AccessParams,
    DecisionParams,
    FieldError,
    InterventionParams,
    NetworkParams,
    Params,
    PopulationParams,
    StrategyParams,
    Table,
    TraitParams,
    TransmissionParams,
    default_referral_need,
    default_traits,
    num,
    range_text,
    text,
)
from diffusion_sim.store import write_text


@dataclass(frozen=True)
class Scenario(Params):
    """A complete, validated scenario (see the module docstring).

    Build it directly (every argument optional), with :meth:`from_dict` or with
    :func:`load`; it is validated either way. Per-group values left empty are
    resolved to the number of groups.
    """

    name: str = text("scenario", doc="short name; labels outputs")
    description: str = text("", doc="one sentence saying what the scenario is")
    steps: int = num(52, 1, 100_000, integer=True, doc="number of steps (weeks) to run")
    population: PopulationParams = PopulationParams()
    traits: Table[str, TraitParams] = field(default_factory=default_traits)
    digital_access: AccessParams = AccessParams()
    network: NetworkParams = NetworkParams()
    strategies: Table[str, StrategyParams] = DEFAULT_STRATEGIES
    decision: DecisionParams = DecisionParams()
    transmission: TransmissionParams = TransmissionParams()
    intervention: InterventionParams = InterventionParams()
    parameters_from: str = text("", doc="CSV of parameter draws (a calibration's "
                                "posterior_draws.csv): replicate r uses draw r mod D, the "
                                "same in every scenario; '' = none")
    #: folder that relative file paths in the scenario resolve against
    base_dir: str = "."

    def check(self) -> None:
        if not self.name:
            raise FieldError("name", f"must be a non-empty string, got {self.name!r}")
        for key, cls in (("population", PopulationParams), ("digital_access", AccessParams),
                         ("network", NetworkParams), ("decision", DecisionParams),
                         ("transmission", TransmissionParams),
                         ("intervention", InterventionParams)):
            if not isinstance(getattr(self, key), cls):
                raise FieldError(key, f"must be a {cls.__name__}")
        G = self.population.n_groups
        self._check_traits(G)
        try:
            object.__setattr__(self, "digital_access", self.digital_access.resolved(G))
        except FieldError as exc:
            raise FieldError(f"digital_access.{exc.key}", exc.msg) from None
        self._check_strategies()
        self._check_intervention(G)
        pop, net = self.population, self.network
        problem = None if pop.nodes_file else degree_problem(  # else: when the file is read
            pop.size, pop.group_counts(), net.kind, net.mean_degree, net.homophily)
        if problem:
            raise FieldError("network.mean_degree", problem)
        if self.parameters_from:
            self._check_draws()

    def _check_draws(self) -> None:
        try:
            check_draws(self)
        except ScenarioError as exc:
            raise FieldError("parameters_from", str(exc)) from None

    def drawn(self, key: tuple[int, ...]) -> Scenario:
        """This replicate's scenario: its parameter draw applied (``parameters_from``:
        see :func:`diffusion_sim.draws.apply_draw`), else itself."""
        return apply_draw(self, key) if self.parameters_from else self

    def _check_traits(self, G: int) -> None:
        traits = dict(self.traits)
        unknown = [t for t in traits if t not in TRAITS]
        if unknown:
            raise FieldError(f"traits.{unknown[0]}", "unknown trait")
        resolved = {}
        for t in TRAITS:
            tp = traits.get(t, TraitParams(*TRAIT_DEFAULTS[t]))
            try:
                resolved[t] = tp.resolved(G)
            except FieldError as exc:
                raise FieldError(f"traits.{t}.{exc.key}", exc.msg) from None
        object.__setattr__(self, "traits", Table(resolved))

    def _check_strategies(self) -> None:
        if not isinstance(self.strategies, Table):
            object.__setattr__(self, "strategies", Table(self.strategies))
        for s, sp in self.strategies.items():
            if s == AVOID or not STRATEGY_NAME.match(s):
                raise FieldError(f"strategies.{s}", "a strategy needs a name of letters, digits "
                                 "and '_' (and 'avoid' is built in)")
            if not isinstance(sp, StrategyParams):
                raise FieldError(f"strategies.{s}", "must be a StrategyParams")
        forced = self.decision.forced_strategy
        if forced:
            if forced != AVOID and forced not in self.strategies:
                raise FieldError("decision.forced_strategy", f"{forced!r} is not one of "
                                 f"{', '.join(repr(s) for s in self.strategy_names)}")
            if forced != AVOID and not self.strategies[forced].enabled:
                raise FieldError("decision.forced_strategy",
                                 f"'{forced}' is forced but disabled in strategies")

    def _check_intervention(self, G: int) -> None:
        iv = self.intervention
        if iv.target_group > G:
            raise FieldError("intervention.target_group",
                             f"{iv.target_group} is out of range [1, {G}] (there are {G} groups)")
        if iv.referral_need:
            if len(iv.referral_need) != G:
                raise FieldError("intervention.referral_need", f"needs one weight per group "
                                 f"({G}), got {len(iv.referral_need)}")
            if sum(iv.referral_need) <= 0:
                raise FieldError("intervention.referral_need", "weights must not all be 0")
        else:
            object.__setattr__(self, "intervention", dataclasses.replace(
                iv, referral_need=default_referral_need(G)))

    # ------------------------------------------------------------------ helpers
    @property
    def n_groups(self) -> int:
        return self.population.n_groups

    @property
    def share_rate(self) -> float | None:
        """The activity everybody has when ``traits.activity`` is degenerate and the same
        in every group (what ``decision.share_rate`` sets), else None."""
        a = self.traits["activity"]
        if set(a.group_concentration) == {math.inf} and len(set(a.group_mean)) == 1 and (
                a.mean == a.group_mean[0] and a.concentration == math.inf):
            return a.mean
        return None

    @property
    def strategy_names(self) -> tuple[str, ...]:
        """Every strategy in code order: ``avoid`` then the table's."""
        return (AVOID, *self.strategies)

    def resolve_path(self, path: str) -> Path:
        """A file path from the scenario, resolved against the scenario's folder."""
        p = Path(path)
        return p if p.is_absolute() else Path(self.base_dir) / p

    @property
    def data_files(self) -> tuple[Path, ...]:
        """The user data files this scenario reads (edge list, node file)."""
        files = []
        if self.network.kind == "edgelist":
            files.append(self.resolve_path(self.network.edges_file))
        if self.population.nodes_file:
            files.append(self.resolve_path(self.population.nodes_file))
        return tuple(files)

    @property
    def uses_user_data(self) -> bool:
        """True when people or ties come from the user's own files (maybe real people)."""
        return bool(self.data_files)

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
                               "steps": self.steps, "population": _plain(self.population)}
        out["traits"] = {}
        for t, tp in self.traits.items():
            if t == "activity" and self.share_rate is not None:
                continue  # written as decision.share_rate (see share_rate)
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
        out["strategies"] = {s: _plain(sp) for s, sp in self.strategies.items()}
        out["decision"] = _plain(self.decision)
        if self.share_rate is not None:
            out["decision"]["share_rate"] = self.share_rate
        out["transmission"] = _plain(self.transmission)
        out["intervention"] = _plain(self.intervention)
        if self.intervention.referral_need == default_referral_need(self.n_groups):
            out["intervention"]["referral_need"] = []  # "the default for however many groups"
        if self.parameters_from:  # only when set: scenarios without it read as before
            out["parameters_from"] = self.parameters_from
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
        m = re.fullmatch(r"group(\d+)", parts[2] if parts[0] == "traits" and len(parts) == 4
                         else parts[1] if len(parts) == 3 else "")
        if m and 1 <= int(m.group(1)) <= self.n_groups:
            g = int(m.group(1)) - 1
            if parts[0] == "traits" and parts[1] in self.traits and parts[3] in (
                    "mean", "concentration"):
                return getattr(self.traits[parts[1]], f"group_{parts[3]}")[g]
            if parts[0] == "digital_access" and parts[2] == "probability":
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


# ---------------------------------------------------------------------- loading
#: What a strategy that is not one of the defaults must state in a scenario file.
NEW_STRATEGY_KEYS = ("benefit", "control_loss", "identity_risk", "others_harm", "fidelity",
                     "audience")


class _Loader:
    """Builds a :class:`Scenario` from a nested dict; every error names source and key."""

    def __init__(self, source: str):
        self.source = source

    def fail(self, key: str, msg: str) -> ScenarioError:
        return ScenarioError(f"{self.source}: {key}: {msg}")

    def build(self, cls: type, table: Any, prefix: str, default: Any = None,
              **extra: Any) -> Any:
        """``cls`` from a TOML table over ``default``: unknown keys, types, ranges."""
        names = [f.name for f in dataclasses.fields(cls) if "kind" in f.metadata]
        check_keys(table, names, prefix, self.source)
        try:
            return dataclasses.replace(default if default is not None else cls(),
                                       **dict(table), **extra)
        except FieldError as exc:
            raise self.fail(prefix + exc.key, exc.msg) from None

    def trait(self, table: Any, key: str, G: int, default: tuple[float, float]) -> TraitParams:
        check_keys(table, ["mean", "concentration"] + [f"group{g + 1}" for g in range(G)],
                   key + ".", self.source)
        base = self.build(TraitParams, {k: v for k, v in table.items()
                                        if not k.startswith("group")}, key + ".",
                          TraitParams(*default))
        gm, gc = [], []
        for g in range(G):
            sub = table.get(f"group{g + 1}", {})
            check_keys(sub, ["mean", "concentration"], f"{key}.group{g + 1}.", self.source)
            gm.append(sub.get("mean", base.mean))
            gc.append(sub.get("concentration", base.concentration))
        try:
            return dataclasses.replace(base, group_mean=tuple(gm), group_concentration=tuple(gc))
        except FieldError as exc:
            raise self.fail(f"{key}.{exc.key}", exc.msg) from None

    def access(self, table: Any, G: int) -> AccessParams:
        check_keys(table, ["probability"] + [f"group{g + 1}" for g in range(G)],
                   "digital_access.", self.source)
        base = self.build(AccessParams, {k: v for k, v in table.items() if k == "probability"},
                          "digital_access.")
        gp = []
        for g in range(G):
            sub = table.get(f"group{g + 1}", {})
            check_keys(sub, ["probability"], f"digital_access.group{g + 1}.", self.source)
            gp.append(sub.get("probability", base.probability))
        try:
            return dataclasses.replace(base, group_probability=tuple(gp))
        except FieldError as exc:
            raise self.fail(f"digital_access.{exc.key}", exc.msg) from None

    def strategies(self, table: Any) -> Table[str, StrategyParams]:
        """The strategy table: the defaults, changed by the file, then any new ones.

        A new strategy must state every term that decides its use (a misspelt name
        must not silently become a strategy of default values).
        """
        check_keys(table, list(table) if isinstance(table, Mapping) else [], "strategies.",
                   self.source)
        out = {}
        for s in [*DEFAULT_STRATEGIES, *(k for k in table if k not in DEFAULT_STRATEGIES)]:
            if s == AVOID or not STRATEGY_NAME.match(s):
                raise self.fail(f"strategies.{s}", "a strategy needs a name of letters, "
                                "digits and '_' (and 'avoid' is built in)")
            sub = table.get(s, {})
            if s not in DEFAULT_STRATEGIES and isinstance(sub, Mapping):
                missing = [k for k in NEW_STRATEGY_KEYS if k not in sub]
                if missing:
                    close = did_you_mean(s, list(DEFAULT_STRATEGIES))
                    hint = close if "did you mean" in close else ""
                    raise self.fail(f"strategies.{s}", f"a new strategy must state "
                                    f"{', '.join(missing)}{hint}")
            out[s] = self.build(StrategyParams, sub, f"strategies.{s}.",
                                DEFAULT_STRATEGIES.get(s))
        return Table(out)

    def scenario(self, data: Mapping[str, Any], base_dir: str) -> Scenario:
        top = [f.name for f in dataclasses.fields(Scenario) if f.name != "base_dir"]
        check_keys(data, top, "", self.source)
        head = {k: data[k] for k in ("name", "description", "steps", "parameters_from")
                if k in data}
        pop = self.build(PopulationParams, data.get("population", {}), "population.")
        G = pop.n_groups
        traits_t = data.get("traits", {})
        check_keys(traits_t, list(TRAITS), "traits.", self.source)
        decision_t = data.get("decision", {})
        check_keys(decision_t, [*(f.name for f in dataclasses.fields(DecisionParams)),
                                "share_rate"], "decision.", self.source)
        if "share_rate" in decision_t:
            decision_t = dict(decision_t)
            rate = decision_t.pop("share_rate")
            activity = traits_t.get("activity", {"concentration": math.inf})
            if not isinstance(activity, Mapping):
                raise self.fail("traits.activity", "must be a table")
            if "mean" in activity:
                raise self.fail("decision.share_rate", "give either decision.share_rate (the "
                                "mean activity) or traits.activity.mean, not both")
            traits_t = {**traits_t, "activity": {**activity, "mean": rate}}
        parts = dict(
            population=pop,
            traits=Table({t: self.trait(traits_t.get(t, {}), f"traits.{t}", G,
                                        TRAIT_DEFAULTS[t]) for t in TRAITS}),
            digital_access=self.access(data.get("digital_access", {}), G),
            network=self.build(NetworkParams, data.get("network", {}), "network."),
            strategies=self.strategies(data.get("strategies", {})),
            decision=self.build(DecisionParams, decision_t, "decision."),
            transmission=self.build(TransmissionParams, data.get("transmission", {}),
                                    "transmission."),
            intervention=self.build(InterventionParams, data.get("intervention", {}),
                                    "intervention."),
        )
        try:
            return Scenario(**head, **parts, base_dir=base_dir)
        except FieldError as exc:
            raise self.fail(exc.key, exc.msg) from None


def default_scenario() -> Scenario:
    """The documented default scenario (all values illustrative)."""
    return Scenario()


def load(path: str | Path) -> Scenario:
    """Read and validate a scenario TOML file.

    A file may start from another one with ``extends = "baseline.toml"`` (a path
    relative to the file): its tables are merged key by key over the other file's,
    so a variant states only what it changes (see :func:`diffusion_sim.config.load_dict`).

    Raises
    ------
    ScenarioError
        If the file is missing, is not valid TOML, or any value is invalid; the message
        names the file and the key (or the TOML line).
    """
    path = Path(path)
    return Scenario.from_dict(load_dict(path), source=str(path), base_dir=path.parent)


def save(scenario: Scenario, path: str | Path) -> None:
    """Write a scenario as TOML (every value explicit)."""
    write_text(Path(path), scenario.to_toml())


# ---------------------------------------------------------------------- describe
def describe() -> list[dict[str, str]]:
    """Every scenario key: dotted path, type, range or choices, default, meaning.

    Read from the same field metadata that validates the values.
    """
    rows: list[dict[str, str]] = []

    def add(path: str, f: dataclasses.Field, default: Any) -> None:
        meta = f.metadata
        kind = meta.get("kind", "")
        if kind == "choice":
            rng = " | ".join(repr(c) for c in meta["choices"])
        elif kind in ("int", "float"):
            rng = range_text(meta)
        elif kind == "floats":
            rng = f"list of numbers >= {meta.get('lo', 0):g}"
        elif kind == "strs":
            rng = "list of names"
        elif kind == "bool":
            rng = "true | false"
        else:
            rng = "text"
        shown = list(default) if isinstance(default, tuple) else default
        rows.append({"key": path, "type": {"int": "integer", "float": "number",
                                           "floats": "list", "strs": "list", "choice": "text",
                                           "str": "text", "bool": "boolean"}.get(kind, kind),
                     "range": rng, "default": repr(shown), "meaning": meta.get("doc", "")})

    def table(prefix: str, obj: Any) -> None:
        for f in dataclasses.fields(obj):
            if "kind" in f.metadata:
                add(prefix + f.name, f, getattr(obj, f.name))

    sc = Scenario()
    for f in dataclasses.fields(Scenario):
        if "kind" in f.metadata:
            add(f.name, f, getattr(sc, f.name))
    table("population.", sc.population)
    for t, tp in sc.traits.items():
        table(f"traits.{t}.", tp)
        rows.append({"key": f"traits.{t}.groupK.mean / .concentration", "type": "number",
                     "range": "as above", "default": "the trait's value",
                     "meaning": f"{t} of group K only"})
    table("digital_access.", sc.digital_access)
    rows.append({"key": "digital_access.groupK.probability", "type": "number",
                 "range": "[0, 1]", "default": "probability",
                 "meaning": "digital access of group K only"})
    table("network.", sc.network)
    for s, sp in sc.strategies.items():
        table(f"strategies.{s}.", sp)
    rows.append({"key": "strategies.NAME.*", "type": "table", "range": "as above",
                 "default": "StrategyParams defaults",
                 "meaning": "a further strategy NAME (letters, digits, '_'), coded after the "
                            "others"})
    for key in ("decision", "transmission", "intervention"):
        table(f"{key}.", getattr(sc, key))
        if key == "decision":
            rows.append({"key": "decision.share_rate", "type": "number", "range": "[0, 1]",
                         "default": repr(sc.share_rate), "meaning": "chance per week that an "
                         "engaged person has something to share: everybody's activity "
                         "(traits.activity.mean with concentration inf)"})
    rows.append({"key": "extends", "type": "text", "range": "a file name", "default": "''",
                 "meaning": "start from another scenario file and state only what changes"})
    return rows


__all__ = [
    "AUDIENCES", "AVOID", "DEFAULT_STRATEGIES", "SHARING_STRATEGIES", "STRATEGIES",
    "TRAITS", "TRAIT_DEFAULTS", "AccessParams", "DecisionParams", "InterventionParams",
    "NetworkParams", "PopulationParams", "Scenario", "StrategyParams", "TraitParams",
    "TransmissionParams", "default_referral_need", "default_scenario", "describe", "load",
    "save"
]
