"""Template resolution (catalog.choose) and the rollout rules (rollouts), as pure functions."""

from __future__ import annotations

from typing import Any

import pytest

from kodegen import errors
from kodegen.api import base, codegeneration
from kodegen.api import codetemplate as template_api
from kodegen.controller import catalog, rollouts

FAMILY = "svc"


def _spec(version: str, **fields: Any) -> template_api.CodeTemplateSpec:
    return template_api.CodeTemplateSpec.model_validate(
        {
            "family": FAMILY,
            "version": version,
            "language": "python",
            "category": "service",
            "specTypes": ["openapi"],
            "source": {"inline": {"files": {"a.txt": "a"}}},
            **fields,
        }
    )


def entry(
    version: str,
    *,
    ns: str | None = None,
    ready: bool = True,
    deprecated: bool = False,
    halted: bool = False,
    **fields: Any,
) -> catalog.Entry:
    kind: catalog.Kind = "CodeTemplate" if ns else "ClusterCodeTemplate"
    return catalog.Entry(
        kind=kind,
        namespace=ns,
        name=f"{FAMILY}-{version}",
        ready=ready,
        digest=None,
        halted=halted,
        spec=_spec(version, deprecated=deprecated, **fields),
    )


def ref(version: str, scope: str | None = None) -> codegeneration.TemplateRef:
    return codegeneration.TemplateRef(family=FAMILY, version=version, scope=scope)  # type: ignore[arg-type]


CLUSTER = [
    entry("1.0.0"),
    entry("1.1.0"),
    entry("1.2.0", ready=False),
    entry("1.3.0", deprecated=True),
    entry("2.0.0"),
]
TEAM = [entry("1.1.5", ns="team-a"), entry("1.4.0", ns="team-a", ready=False)]
OTHER = [entry("1.9.0", ns="team-b")]
ALL = CLUSTER + TEAM + OTHER


@pytest.mark.parametrize(
    ("wanted", "scope", "expected"),
    [
        ("^1.0", None, ("CodeTemplate", "1.1.5")),  # the namespace first, Ready only
        ("^1.0", "Cluster", ("ClusterCodeTemplate", "1.1.0")),  # 1.2.0 not Ready, 1.3.0 deprecated
        ("^1.0", "Namespace", ("CodeTemplate", "1.1.5")),
        ("~1.0.0", None, ("ClusterCodeTemplate", "1.0.0")),  # nothing in the namespace matches
        (">=1.0 <2", "Cluster", ("ClusterCodeTemplate", "1.1.0")),
        ("*", "Cluster", ("ClusterCodeTemplate", "2.0.0")),
        ("^2", None, ("ClusterCodeTemplate", "2.0.0")),
        ("1.3.0", None, ("ClusterCodeTemplate", "1.3.0")),  # an exact pin may take a deprecated one
        ("=1.0.0", None, ("ClusterCodeTemplate", "1.0.0")),
    ],
)
def test_resolution_matrix(wanted: str, scope: str | None, expected: tuple[str, str]) -> None:
    choice = catalog.choose(ALL, "team-a", ref(wanted, scope))
    assert (choice.entry.kind, choice.entry.version) == expected
    assert choice.deprecated_pin == (wanted == "1.3.0")


@pytest.mark.parametrize(
    ("wanted", "scope", "words"),
    [
        ("^1.2 <1.3", "Cluster", ["1.2.0", "not Ready"]),
        ("~1.3", "Cluster", ["1.3.0", "deprecated"]),
        ("^3", None, ["outside the range", "team-b", "not visible from namespace team-a"]),
        ("1.4.0", "Namespace", ["1.4.0", "not Ready", "namespace team-a"]),
    ],
)
def test_no_match_says_what_exists_and_why(
    wanted: str, scope: str | None, words: list[str]
) -> None:
    with pytest.raises(errors.TemplateError) as raised:
        catalog.choose(ALL, "team-a", ref(wanted, scope))
    for word in words:
        assert word in str(raised.value)


def test_another_namespace_is_never_used() -> None:
    with pytest.raises(errors.TemplateError, match="not visible from namespace team-a"):
        catalog.choose(OTHER, "team-a", ref("^1.0"))
    assert catalog.choose(OTHER, "team-b", ref("^1.0")).entry.version == "1.9.0"


def test_the_current_version_stays_until_upgrade_is_allowed() -> None:
    kept = catalog.choose(CLUSTER, "team-a", ref("^1.0"), current="1.0.0", upgrade=False)
    assert (kept.entry.version, kept.newer and kept.newer.version) == ("1.0.0", "1.1.0")
    moved = catalog.choose(CLUSTER, "team-a", ref("^1.0"), current="1.0.0", upgrade=True)
    assert (moved.entry.version, moved.newer) == ("1.1.0", None)
    # A current version that no longer qualifies (deprecated, halted) is left at once.
    gone = [entry("1.0.0", deprecated=True), entry("1.1.0")]
    assert (
        catalog.choose(gone, "x", ref("^1.0"), current="1.0.0", upgrade=False).entry.version
        == "1.1.0"
    )
    halted = [entry("1.0.0"), entry("1.1.0", halted=True)]
    assert catalog.choose(halted, "x", ref("^1.0")).entry.version == "1.0.0"


def test_catalog_is_keyed_by_resource() -> None:
    found = catalog.Catalog()
    for e in ALL:
        found.put(e)
    assert found.knows(FAMILY) and not found.knows("other")
    assert len(found.family(FAMILY)) == len(ALL)
    found.remove("CodeTemplate", "team-b", f"{FAMILY}-1.9.0")
    assert len(found.family(FAMILY)) == len(ALL) - 1
    assert found.get("ClusterCodeTemplate", None, f"{FAMILY}-2.0.0") is not None


# -- rollouts ----------------------------------------------------------------------------------


def user(
    name: str, labels: dict[str, str] | None = None, ns: str = "team-a", version: str = "^1.0"
) -> rollouts.User:
    return rollouts.User(ns, name, labels or {}, ref(version))


USERS = [user(f"u{i}", {"tier": "canary" if i < 2 else "main"}) for i in range(10)]


def test_canaries_by_percent_are_a_stable_share() -> None:
    new = entry("1.1.0", rollout={"strategy": "Canary", "percent": 30})
    chosen = rollouts.canaries(new, USERS)
    assert len(chosen) == 3 and chosen == rollouts.canaries(new, list(reversed(USERS)))
    assert rollouts.canaries(new, [*USERS, user("x", version="^2")]) == chosen  # ^2 excludes 1.1.0


def test_canaries_by_selector() -> None:
    selector = {"matchLabels": {"tier": "canary"}}
    new = entry("1.1.0", rollout={"strategy": "Canary", "percent": 10, "selector": selector})
    assert rollouts.canaries(new, USERS) == ["team-a/u0", "team-a/u1"]


def test_a_namespace_template_reaches_only_its_namespace() -> None:
    new = entry("1.1.0", ns="team-b", rollout={"strategy": "Canary", "percent": 100})
    assert rollouts.canaries(new, [*USERS, user("b", ns="team-b")]) == ["team-b/b"]


@pytest.mark.parametrize(
    ("strategy", "phase", "canary", "asked", "moves"),
    [
        ("Automatic", None, False, False, True),
        ("Manual", "Waiting", False, False, False),
        ("Manual", "Waiting", False, True, True),
        ("Canary", "Progressing", True, False, True),
        ("Canary", "Progressing", False, False, False),
        ("Canary", "Halted", True, False, False),
        ("Canary", "Complete", False, False, True),
    ],
)
def test_who_may_move(
    strategy: str, phase: str | None, canary: bool, asked: bool, moves: bool
) -> None:
    rollout: dict[str, Any] = {"strategy": strategy}
    if strategy == "Canary":
        rollout["percent"] = 50
    new = entry("1.1.0", rollout=rollout)
    state = (
        template_api.RolloutStatus(
            phase=phase,
            canaries=["team-a/u0"] if canary else [],  # type: ignore[arg-type]
        )
        if phase
        else None
    )
    assert rollouts.may_move(new, USERS[0], state, asked=asked) is moves


def test_label_selector_expressions() -> None:
    selector = base.LabelSelector.model_validate(
        {
            "matchLabels": {"app": "x"},
            "matchExpressions": [
                {"key": "tier", "operator": "In", "values": ["a", "b"]},
                {"key": "legacy", "operator": "DoesNotExist"},
            ],
        }
    )
    assert rollouts.selects(selector, {"app": "x", "tier": "a"})
    assert not rollouts.selects(selector, {"app": "x", "tier": "c"})
    assert not rollouts.selects(selector, {"app": "x", "tier": "a", "legacy": "1"})
    assert not rollouts.selects(selector, {"tier": "a"})
