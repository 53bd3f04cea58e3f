"""slots and conditions at their edges (found by `make mutate`): the exact limits, who waits
and who is freed; when a condition's transition time moves, its order, its message length."""

from __future__ import annotations

import datetime
import time

import pytest

from kodegen.api import codegeneration
from kodegen.controller import conditions, slots

T0 = datetime.datetime(2026, 12, 1, 10, 0, 0, 987654, tzinfo=datetime.UTC)
T1 = T0 + datetime.timedelta(minutes=1)


@pytest.mark.parametrize(("per_namespace", "cluster"), [(0, 1), (1, 0), (-1, 5)])
def test_limits_below_one_are_refused(per_namespace: int, cluster: int) -> None:
    with pytest.raises(ValueError, match=r"^concurrency limits must be at least 1$"):
        slots.Slots(per_namespace=per_namespace, cluster=cluster)


def test_the_cluster_limit_is_exact() -> None:
    unit = slots.Slots(per_namespace=5, cluster=2)
    assert unit.acquire(("a", "1"), "d1")
    assert unit.acquire(("b", "1"), "d1")
    assert not unit.acquire(("c", "1"), "d1")
    assert (unit.active, unit.waiting, unit.waiting_keys()) == (2, 1, [("c", "1")])


def test_the_namespace_limit_counts_only_that_namespace() -> None:
    unit = slots.Slots(per_namespace=1, cluster=5)
    assert unit.acquire(("a", "1"), "d1")
    assert not unit.acquire(("a", "2"), "d1")
    assert unit.acquire(("b", "1"), "d1")
    assert unit.held_keys() == [("a", "1"), ("b", "1")]


def test_a_held_slot_is_kept_for_a_newer_run_even_at_the_limit() -> None:
    unit = slots.Slots(per_namespace=1, cluster=1)
    assert unit.acquire(("a", "1"), "d1")
    assert unit.acquire(("a", "1"), "d2")
    assert unit.holder(("a", "1")) == "d2"
    assert unit.holder(("a", "2")) is None


def test_a_waiting_key_stops_waiting_when_it_gets_a_slot_or_is_released() -> None:
    unit = slots.Slots(per_namespace=1, cluster=1)
    unit.acquire(("a", "1"), "d1")
    assert not unit.acquire(("a", "2"), "d1")
    assert not unit.acquire(("a", "3"), "d1")
    assert unit.release(("a", "1"))
    assert unit.acquire(("a", "2"), "d1")
    assert unit.waiting_keys() == [("a", "3")]
    assert not unit.release(("a", "3"))  # it held nothing, but waits no more
    assert unit.waiting == 0


def test_release_frees_only_the_run_named() -> None:
    unit = slots.Slots(per_namespace=2, cluster=2)
    unit.acquire(("a", "1"), "d1")
    assert not unit.release(("a", "1"), "d0")
    assert unit.active == 1
    assert unit.release(("a", "1"), "d1")
    assert not unit.release(("a", "1"))
    assert unit.active == 0


def test_hold_ignores_the_limits() -> None:
    unit = slots.Slots(per_namespace=1, cluster=1)
    unit.acquire(("a", "1"), "d1")
    assert not unit.acquire(("b", "1"), "d1")
    unit.hold(("b", "1"), "d9")
    assert (unit.active, unit.waiting, unit.holder(("b", "1"))) == (2, 0, "d9")


def test_timestamps_are_utc_whole_seconds() -> None:
    assert conditions.timestamp(T0) == "2026-12-01T10:00:00Z"
    east = T0.astimezone(datetime.timezone(datetime.timedelta(hours=2)))
    assert conditions.timestamp(east) == "2026-12-01T10:00:00Z"


def test_timestamps_do_not_depend_on_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "Asia/Tokyo")
    time.tzset()
    try:
        east = T0.astimezone(datetime.timezone(datetime.timedelta(hours=2)))
        assert conditions.timestamp(east) == "2026-12-01T10:00:00Z"
    finally:
        monkeypatch.undo()
        time.tzset()


def test_the_transition_time_moves_only_when_the_status_does() -> None:
    first = conditions.merge(
        [],
        [("Ready", "False", "Running", "run 1"), ("Custom", "True", "X", "x")],
        generation=1,
        now=T0,
    )
    kept = conditions.merge(first, [("Ready", "False", "Queued", "run 2")], generation=2, now=T1)
    ready = next(c for c in kept if c["type"] == "Ready")
    assert ready == {
        "type": "Ready",
        "status": "False",
        "reason": "Queued",
        "message": "run 2",
        "observedGeneration": 2,
        "lastTransitionTime": "2026-12-01T10:00:00Z",
    }
    moved = conditions.merge(kept, [("Ready", "True", "Succeeded", "ok")], generation=2, now=T1)
    assert next(c for c in moved if c["type"] == "Ready")["lastTransitionTime"] == (
        "2026-12-01T10:01:00Z"
    )
    untimed = [{"type": "Ready", "status": "True", "reason": "R", "message": ""}]
    same = conditions.merge(untimed, [("Ready", "True", "R", "")], generation=None, now=T1)
    assert same == [
        {
            "type": "Ready",
            "status": "True",
            "reason": "R",
            "message": "",
            "lastTransitionTime": "2026-12-01T10:01:00Z",
        }
    ]


def test_conditions_come_in_the_fixed_order_then_by_type() -> None:
    known = list(codegeneration.CONDITION_TYPES)
    updates = [("Zeta", "True", "Z", ""), ("Alpha", "True", "A", "")] + [
        (kind, "True", "R", "") for kind in reversed(known)
    ]
    merged = conditions.merge([], updates, generation=1, now=T0)  # type: ignore[arg-type]
    assert [c["type"] for c in merged] == [*known, "Alpha", "Zeta"]


def test_messages_are_one_line_and_at_most_1024_characters() -> None:
    exact = "x" * conditions.MESSAGE_MAX
    longer = exact + "y"
    merged = conditions.merge(
        [],
        [("A", "True", "R", exact), ("B", "True", "R", longer), ("C", "True", "R", " a\n\tb  ")],
        generation=1,
        now=T0,
    )
    messages = {c["type"]: c["message"] for c in merged}
    assert messages["A"] == exact
    assert messages["B"] == "x" * (conditions.MESSAGE_MAX - 1) + "…"
    assert messages["C"] == "a b"
