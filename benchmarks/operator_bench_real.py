"""`make bench-real`: operator_bench.py's three measurements against a real kube-apiserver.

    python benchmarks/operator_bench_real.py [--batches 10] [--batch-size 100]
                                             [--noop-calls 300] [--json PATH] [--log PATH]

The server is the real control plane of the cluster test tier (tests/cluster/controlplane.py:
etcd, kube-apiserver and kube-controller-manager built by `make cluster-tools`, on 127.0.0.1;
without them, one line says so and the run ends with 0). The API server runs as in that tier:
RBAC and Node authorizers, the admission plugins of a production cluster (PodSecurity,
ResourceQuota, OwnerReferencesPermissionEnforcement, ...), the audit log (blocking, the
kodegen.dev writes with their bodies). The CRDs of `crds/` are installed and `deploy/rbac.yaml`
applied; the operator connects with a token of its own ServiceAccount from the TokenRequest
API, through a kubeconfig, as `kodegen operator` does. The controller manager runs without the
Job controller (`CONTROLLERS`): nothing runs the 1,000 Jobs, as against kmock.

What is measured, and how, is operator_bench.py's (read its docstring), with these
differences:

- the CodeGenerations are POSTed by a child process (this file with `--poster`, aiohttp, 16 at
  a time, the admin token), so this process holds the operator alone;
- "quiet" (the burst's end, for its CPU time) is the audit log not growing for 0.3 s: it
  records every write to a CodeGeneration and every Job, ConfigMap and Event created;
- the no-op CodeGeneration's run ends through `main.run_job` (gates replaced by one passing
  gate) against the real server, and its end is recorded by `reconcile.complete`, the function
  the operator's Job handler calls, with the Job's state `Succeeded` (no Job controller here).

One table on stdout (operator_bench.table), progress on stderr, `--json PATH` every raw number.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import shutil
import ssl
import subprocess  # nosec B404: the poster runs in a child process
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import operator_bench as bench_kmock

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "cluster"))

import controlplane  # noqa: E402  (tests/cluster, put on the path just above)

NAMESPACE = bench_kmock.NAMESPACE
CONTROLLERS = "serviceaccount,serviceaccount-token,namespace"
"""No Job controller: the Jobs are created and never run, as against kmock."""


def log(message: str) -> None:
    print(f"[operator-bench-real] {message}", file=sys.stderr, flush=True)


# -- the poster (child process) ----------------------------------------------------------------


def _manifest(name: str) -> dict[str, Any]:
    body = bench_kmock._manifest(name, NAMESPACE)
    body["metadata"] = {"name": name, "namespace": NAMESPACE}
    return body


async def _serve_poster(url: str, token: str, ca: str) -> None:
    import aiohttp

    context = ssl.create_default_context(cafile=ca)
    headers = {"Authorization": f"Bearer {token}"}
    path = bench_kmock.CG_PATH.format(namespace=NAMESPACE)
    connector = aiohttp.TCPConnector(ssl=context, limit=64)
    async with aiohttp.ClientSession(url, headers=headers, connector=connector) as session:
        print(json.dumps({"ready": True}), flush=True)
        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                return
            command = json.loads(line)
            gate = asyncio.Semaphore(command.get("concurrency", 16))

            async def create(name: str, gate: asyncio.Semaphore = gate) -> int:
                async with gate, session.post(path, json=_manifest(name)) as answer:
                    await answer.read()
                    return int(answer.status)

            started = time.perf_counter()
            statuses = await asyncio.gather(*(create(name) for name in command["names"]))
            reply = {
                "seconds": time.perf_counter() - started,
                "failed": sum(1 for status in statuses if status >= 300),
                "statuses": sorted(set(statuses)),
            }
            print(json.dumps(reply), flush=True)


class Poster:
    """The child process and its line protocol (one JSON command, one JSON reply)."""

    def __init__(self, plane: controlplane.ControlPlane) -> None:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            "--poster",
            plane.url,
            plane.admin_token,
            str(plane.pki.ca_cert),
        ]
        self.process = subprocess.Popen(  # nosec B603: this very file, as the poster
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self._lock = threading.Lock()
        self._read()

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the poster exited ({self.process.wait()})")
        reply: dict[str, Any] = json.loads(line)
        return reply

    async def create(self, names: list[str]) -> dict[str, Any]:
        def call() -> dict[str, Any]:
            assert self.process.stdin is not None
            with self._lock:
                self.process.stdin.write(json.dumps({"names": names}) + "\n")
                self.process.stdin.flush()
                return self._read()

        return await asyncio.to_thread(call)

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- the cluster -------------------------------------------------------------------------------


def prepare(plane: controlplane.ControlPlane) -> Path:
    """CRDs, deploy/peering.yaml and deploy/rbac.yaml, the namespace; the operator's
    kubeconfig (a token of its ServiceAccount)."""
    import yaml
    from kubernetes import client

    admin = controlplane.api_client(plane, plane.admin_token)
    try:
        extensions = client.ApiextensionsV1Api(admin)
        created = []
        for path in sorted((REPO / "crds").glob("*.yaml")):
            body = yaml.safe_load(path.read_text())
            extensions.create_custom_resource_definition(body)
            created.append(body["metadata"]["name"])

        def established() -> bool:
            return all(
                any(
                    c.type == "Established" and c.status == "True"
                    for c in extensions.read_custom_resource_definition(name).status.conditions
                    or []
                )
                for name in created
            )

        controlplane.wait_for(established, timeout=60, message=lambda: f"{created}")
        for manifest in ("peering.yaml", "rbac.yaml"):
            controlplane.apply(admin, REPO / "deploy" / manifest)
        client.CoreV1Api(admin).create_namespace({"metadata": {"name": NAMESPACE}})
        token = controlplane.token(admin, "kodegen-system", "kodegen-operator")
    finally:
        admin.close()
    return controlplane.kubeconfig(
        plane.folder / "operator.kubeconfig", server=plane.url, ca=plane.pki.ca_cert, token=token
    )


async def quiet(
    plane: controlplane.ControlPlane, *, settle: float = 0.3, timeout: float = 120.0
) -> int:
    """Wait until the audit log has not grown for `settle` seconds; its size."""
    deadline = time.perf_counter() + timeout
    last, since = -1, time.perf_counter()
    while time.perf_counter() < deadline:
        size = plane.audit_log.stat().st_size if plane.audit_log.exists() else 0
        now = time.perf_counter()
        if size != last:
            last, since = size, now
        elif now - since >= settle:
            return size
        await asyncio.sleep(0.05)
    raise TimeoutError("the API server did not go quiet")


# -- the measurements --------------------------------------------------------------------------


async def bench(args: argparse.Namespace, plane: controlplane.ControlPlane) -> dict[str, Any]:
    from kodegen.controller import jobs, kube, main, names, reconcile, settings

    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=open(args.log or os.devnull, "a"),  # noqa: SIM115  (for the life of the process)
    )
    results: dict[str, Any] = {"memory_baseline": bench_kmock.memory()}
    kubeconfig = prepare(plane)
    client = kube.connect(kubeconfig=str(kubeconfig))
    op = main.build(
        settings.Settings(
            executor="job",
            metrics_port=0,
            limits=settings.LimitSettings(per_namespace=10_000, cluster=10_000),
        ),
        client,
    )
    poster = Poster(plane)

    def counted(metric: Any, name: str, **labels: str) -> float:
        for family in metric.collect():
            for found in family.samples:
                if found.name == name and all(found.labels.get(k) == v for k, v in labels.items()):
                    return float(found.value)
        return 0.0

    def started() -> float:
        return counted(op.metrics.started, "kodegen_generations_started_total", executor="job")

    def reconciled() -> float:
        name = "kodegen_reconcile_duration_seconds_count"
        return counted(op.metrics.reconcile_seconds, name, outcome="started")

    def sample(name: str, **labels: str) -> float:
        return op.metrics.registry.get_sample_value(name, labels) or 0.0

    inside = {"seconds": 0.0}
    inside_lock = threading.Lock()
    real_reconcile = reconcile.reconcile

    def timed_reconcile(memo: Any, body: Any) -> str:
        began = time.thread_time()
        try:
            return real_reconcile(memo, body)
        finally:
            with inside_lock:
                inside["seconds"] += time.thread_time() - began

    reconcile.reconcile = timed_reconcile  # type: ignore[assignment]
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(main.run(op, standalone=True, stop_flag=stop, ready_flag=ready))
    name = "cg-00-0000"
    try:
        t0 = time.perf_counter()
        await asyncio.wait_for(ready.wait(), 60)
        await quiet(plane)
        log(f"operator ready in {time.perf_counter() - t0:.2f} s")
        results["memory_ready"] = bench_kmock.memory()
        bursts: list[dict[str, Any]] = []
        total = 0
        for index in range(args.batches):
            batch = [f"cg-{index:02d}-{n:04d}" for n in range(args.batch_size)]
            total += len(batch)
            cpu, cpu_inside = bench_kmock.cpu_seconds(), inside["seconds"]
            began = time.perf_counter()
            created = await poster.create(batch)
            await bench_kmock.until(
                lambda total=total: started() >= total, timeout=300, what_for=f"{total} Jobs"
            )
            admitted = time.perf_counter() - began
            await bench_kmock.until(
                lambda total=total: reconciled() >= total, timeout=120, what_for="status patches"
            )
            await quiet(plane)
            burst = {
                "objects": len(batch),
                "admitted_seconds": admitted,
                "rate": len(batch) / admitted,
                "cpu_seconds": bench_kmock.cpu_seconds() - cpu,
                "cpu_seconds_in_reconcile": inside["seconds"] - cpu_inside,
                "create_seconds": created["seconds"],
                "create_failed": created["failed"],
                "rss_mb": bench_kmock.memory().get("VmRSS"),
            }
            bursts.append(burst)
            log(
                f"burst {index + 1}/{args.batches}: {len(batch)} admitted in {admitted:.2f} s "
                f"({burst['rate']:.0f}/s; POSTs took {created['seconds']:.2f} s, "
                f"{created['failed']} failed), RSS {burst['rss_mb']:.0f} MB"
            )
        results["bursts"] = bursts
        results["memory_loaded"] = bench_kmock.memory()
        results["validator_cache"] = bench_kmock.validator_cache()
        results["handler"] = {
            "count": sample("kodegen_reconcile_duration_seconds_count", outcome="started"),
            "seconds": sample("kodegen_reconcile_duration_seconds_sum", outcome="started"),
        }

        # One CodeGeneration to Succeeded: its request run for real, its end recorded.
        await bench_kmock.run_request(op, name)
        body = op.kube.read_generation(NAMESPACE, name)
        assert body is not None
        run = names.hash8(body["status"]["inputHash"])
        state = jobs.JobState(phase="Succeeded", attempts=1)
        done = await asyncio.to_thread(reconcile.complete, op, NAMESPACE, name, run, state)
        assert done == "succeeded", done
        await quiet(plane)
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 30)
        reconcile.reconcile = real_reconcile  # type: ignore[assignment]
        poster.close()

    try:
        results["noop"] = bench_kmock.noop_reconciles(op, name, args.noop_calls)
    finally:
        op.kube.client.close()
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--noop-calls", type=int, default=300)
    parser.add_argument("--json", metavar="PATH", help="write every raw number here")
    parser.add_argument("--log", metavar="PATH", help="the operator's log (default: discarded)")
    parser.add_argument("--keep", action="store_true", help="keep the control plane's folder")
    parser.add_argument("--poster", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.poster:
        asyncio.run(_serve_poster(*args.poster))
        return 0
    if args.noop_calls < 200 or args.batches < 1 or args.batch_size < 1:
        parser.error("--noop-calls must be at least 200, --batches and --batch-size at least 1")
    binaries, reason = controlplane.binaries()
    if binaries is None:
        print(f"operator benchmark against the real API server skipped: {reason}")
        return 0
    folder = Path(tempfile.mkdtemp(prefix="kodegen-bench-real-"))
    started = time.perf_counter()
    plane = controlplane.ControlPlane.start(folder, binaries, controllers=CONTROLLERS)
    try:
        log(f"control plane ready in {time.perf_counter() - started:.1f} s at {plane.url}")
        results = asyncio.run(bench(args, plane))
    finally:
        plane.stop()
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    results["wall_seconds"] = time.perf_counter() - started
    results["machine"] = {"cores": os.cpu_count(), "loadavg": os.getloadavg()}
    args.stock_kmock = False
    version = binaries.name.split("-")[1]  # ~/.cache/kodegen/k8s-<version>-<hash>
    print(bench_kmock.table(results, args, server=SERVER.format(version=version)))
    log(f"done in {results['wall_seconds']:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


SERVER = (
    "the real kube-apiserver {version} + etcd on 127.0.0.1 (tests/cluster/controlplane.py: RBAC, "
    "admission plugins, audit log), the operator's ServiceAccount token; no Job controller"
)


if __name__ == "__main__":
    sys.exit(main())
