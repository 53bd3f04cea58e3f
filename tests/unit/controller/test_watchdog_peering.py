"""The watchdog of a paused replica does nothing: kopf pauses the handlers of every replica but
the live one of highest priority in the peering (mandatory, `kodegen`), and the watchdog, which
is the operator's own loop, follows the same peering. Otherwise a paused replica would admit
Queued runs beside the active one, each counting only its own slots.

Same emulated cluster as test_reconcile_decisions.py (kmock behind the real `kube.Kube`)."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest

from kodegen.controller import handlers

from . import emulated
from .emulated import NS
from .test_reconcile_decisions import World, _manifest

OURS = 100


@pytest.fixture()
def queued(kmock: Any) -> Iterator[World]:
    api = emulated.api(kmock)
    try:
        yield World(kmock, api, per_namespace=1, cluster=5)
    finally:
        api.close()


async def _queue(world: World) -> World:
    """`second` Queued behind `first`, whose slot is then given back: a tick that runs admits
    `second`; one that waits leaves it Queued."""
    await world.apply(_manifest("first"))
    await world.apply(_manifest("second"))
    assert await world.reconcile("first") == "started"
    assert await world.reconcile("second") == "queued"
    world.op.slots.release((NS, "first"))
    world.op.peering, world.op.priority = handlers.PEERING, OURS
    return world


async def _peering(world: World, **peers: tuple[int, float]) -> None:
    """The peering object, with peers `identity=(priority, seconds since last seen)`."""
    now = datetime.datetime.now(datetime.UTC)
    status = {
        identity: {
            "priority": priority,
            "lifetime": 60,
            "lastseen": (now - datetime.timedelta(seconds=ago)).isoformat(),
        }
        for identity, (priority, ago) in peers.items()
    }
    body = {
        "apiVersion": "kopf.dev/v1",
        "kind": "ClusterKopfPeering",
        "metadata": {"name": handlers.PEERING},
        "status": status,
    }
    await world.call(
        world.custom.create_cluster_custom_object, "kopf.dev", "v1", "clusterkopfpeerings", body
    )


async def _ticked(world: World) -> str | None:
    await handlers.tick(world.op, checked=float("inf"))
    phase: str | None = world.status("second").get("phase")
    return phase


async def test_a_replica_outranked_by_a_live_peer_waits(queued: World) -> None:
    await _queue(queued)
    await _peering(queued, us=(OURS, 1), other=(OURS + 1, 5))
    assert await queued.call(handlers.outranked, queued.op) is True
    assert await _ticked(queued) == "Queued"


async def test_without_the_peering_object_the_replica_waits(queued: World) -> None:
    await _queue(queued)
    assert await _ticked(queued) == "Queued"


async def test_the_highest_live_replica_acts(queued: World) -> None:
    await _queue(queued)
    # A peer of higher priority whose keep-alive lapsed is dead; one below does not count.
    await _peering(queued, us=(OURS, 1), dead=(OURS + 1, 120), lower=(OURS - 1, 1))
    assert await queued.call(handlers.outranked, queued.op) is False
    assert await _ticked(queued) == "Running"


async def test_a_standalone_replica_acts_without_a_peering(queued: World) -> None:
    await _queue(queued)
    queued.op.peering = None
    assert await _ticked(queued) == "Running"
