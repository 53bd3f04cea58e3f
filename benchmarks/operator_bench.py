"""`make bench`, operator part: the targets of DESIGN.md §6 for the kopf operator.

    python benchmarks/operator_bench.py [--batches 10] [--batch-size 100] [--noop-calls 300]
                                        [--stock-kmock] [--json PATH] [--log PATH]

What runs: the real operator (`main.build` with the job executor, limits 10,000/10,000 so
nothing queues, `main.run(op, standalone=True)`: kopf, its watches, the sync handlers in kopf's
thread pool, the official `kubernetes` client) in this process, against kmock's
`KubernetesEmulator` over HTTP on 127.0.0.1. The emulator runs in a child process (this file
with `--emulator`), so this process holds the operator alone (its RSS is the operator's) and the
emulator does not compete for this process's GIL, as an API server would not. Logging is set up
as `kodegen operator` does (INFO, same format), written to /dev/null.

kmock records every request and matches each new one against all it has recorded (TESTING.md,
"Scale": quadratic), and scans every object to answer a read by name. The child serves a
subclass that matches each request against the requests in flight only (watch streams and the
request itself) and keeps no history, finds an object by name with a dict lookup, and honours
equality label selectors on lists as the API server does (the stock class ignores them, so the
operator's `list jobs -l ...` would get every Job of the namespace back). Every answer is
otherwise the stock emulator's, and a request costs about the same at the 10,000th as at the
first, so the figures below are the operator's, not kmock's. `--stock-kmock` uses the
unmodified class (then keep `--batches` small: 100 objects take minutes).

1. Admission: `--batches` bursts of `--batch-size` CodeGenerations (examples/petstore.yaml,
   inline spec), each burst POSTed by the child over HTTP as fast as the emulator takes them,
   all into one running operator. Per burst: wall time from the first POST to the last Job
   created (`kodegen_generations_started_total` counts right after `create_job` returns), then
   the emulator is let go quiet before the next burst. Rate = burst size / that time. Reported:
   the median burst, the slowest burst, and everything together; the operator's CPU time
   (getrusage, every thread) per admission from the first POST until the emulator went quiet,
   the part of it spent inside `reconcile.reconcile` (thread CPU time, by wrapping the module
   attribute the handlers call), and so the rate one core could carry (the handlers share one
   GIL); and `kodegen_reconcile_duration_seconds{outcome="started"}`, the wall time of one
   admitting reconcile under that concurrency.
2. No-op reconcile: one of those CodeGenerations is run to Succeeded for real (its Job's request
   through `main.run_job`, gates replaced by one passing gate, the Job's status patched; the
   operator's Job handler records the result), then `reconcile.reconcile(op, body)` on its body
   as read back, `--noop-calls` times, in this process with the operator stopped; the API calls
   it makes are counted on the client (`ApiClient.call_api`) and must be 0.
3. Memory: RSS of this process (VmRSS from /proc/self/status; VmHWM is the peak; psutil is not
   installed) once the operator has admitted all `--batches` x `--batch-size` CodeGenerations
   and holds them (kopf's per-object state, a timer per Running object, the slots), measured
   before step 2. The baseline (imports done, operator not started) is printed beside it, and
   on stderr the size of openapi-spec-validator's unbounded `iter_errors` cache.

One table on stdout (targets met / not met; a miss does not fail the run), progress on stderr,
`--json PATH` writes every raw number.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import copy
import json
import logging
import os
import platform
import statistics
import subprocess  # nosec B404: the emulator runs in a child process
import sys
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "petstore.yaml"
CG = "kodegen.dev/v1alpha1/codegenerations"
CG_PATH = "/apis/kodegen.dev/v1alpha1/namespaces/{namespace}/codegenerations"
NAMESPACE = "bench"
VERBS = ["list", "watch", "get", "create", "patch", "update", "delete"]
RESOURCES: dict[str, dict[str, Any]] = {
    CG: {"kind": "CodeGeneration", "namespaced": True, "subresources": ["status"]},
    "v1/configmaps": {"kind": "ConfigMap", "namespaced": True},
    "v1/secrets": {"kind": "Secret", "namespaced": True},
    "v1/events": {"kind": "Event", "namespaced": True},
    "v1/namespaces": {"kind": "Namespace", "namespaced": False},
    "batch/v1/jobs": {"kind": "Job", "namespaced": True, "subresources": ["status"]},
    "v1/serviceaccounts": {"kind": "ServiceAccount", "namespaced": True},
    "rbac.authorization.k8s.io/v1/rolebindings": {"kind": "RoleBinding", "namespaced": True},
}
"""What kodegen's kmock tests declare (tests/integration/conftest.py), and the CRD."""

TARGET_RATE = 50.0  # CodeGenerations admitted to Job creation per second
TARGET_NOOP_MS = 20.0  # no-op reconcile
TARGET_RSS_MB = 250.0  # with 1,000 CodeGenerations
TARGET_OBJECTS = 1000


def log(message: str) -> None:
    print(f"[operator-bench] {message}", file=sys.stderr, flush=True)


# -- the emulator (child process) --------------------------------------------------------------


def _lean_emulator_class() -> type:
    import kmock

    class LeanEmulator(kmock.KubernetesEmulator):  # type: ignore[misc]
        """The stock emulator, but a request is matched against the requests in flight only
        (kmock's reactions see requests by iterating the root), and none is kept after it is
        answered: constant cost per request instead of one growing with the history."""

        def __attrs_post_init__(self) -> None:
            super().__attrs_post_init__()
            self.bench_inflight: dict[int, Any] = {}
            self.bench_served = 0
            self.bench_created: set[Any] = set()  # resources of objects created over HTTP

        def __iter__(self) -> Any:
            yield from list(self.bench_inflight.values())

        async def _handle(self, request: Any) -> Any:
            self.bench_inflight[id(request)] = request
            self.bench_served += 1
            if request.resource is not None and request.action == kmock.action.CREATE:
                self.bench_created.add(request.resource)
            self._requests.clear()  # appended by __call__ just before; nothing reads it again
            try:
                return await super()._handle(request)
            finally:
                self.bench_inflight.pop(id(request), None)

        def _KubernetesEmulator__get_objs(self, request: Any, strict: bool) -> list[Any]:
            # One object by name: a dict lookup instead of a scan of every object.
            if request.name is not None and request.namespace is not None:
                key = (request.resource, request.namespace, request.name)
                found = self._objects._objects.get(key)
                if found is not None:
                    return [found]
            return super()._KubernetesEmulator__get_objs(request, strict)  # type: ignore[no-any-return]

        def _get_resources(self) -> list[Any]:
            # Declared ones and those of objects created (the stock class scans every object).
            declared = kmock.KubernetesScaffold._get_resources(self)
            return list(set(declared) | self.bench_created)

        async def _serve_list(self, request: Any) -> Any:
            listed = await super()._serve_list(request)
            selector = request.params.get("labelSelector")
            if selector:  # as the API server does; the stock emulator ignores it
                wanted = _selector(selector)
                listed["items"] = [
                    item
                    for item in listed["items"]
                    if all(
                        ((item.get("metadata") or {}).get("labels") or {}).get(key) == value
                        for key, value in wanted.items()
                    )
                ]
            return listed

    return LeanEmulator


def _selector(selector: str) -> dict[str, str]:
    """An equality-based label selector (`a=b,c==d`, all the operator sends) as a dict."""
    wanted: dict[str, str] = {}
    for term in selector.split(","):
        key, sep, value = term.partition("=")
        if not sep or key.endswith("!"):
            raise ValueError(f"label selector {selector!r}: only a=b terms are emulated")
        wanted[key.strip()] = value.removeprefix("=").strip()
    return wanted


def _manifest(name: str, namespace: str) -> dict[str, Any]:
    import yaml

    body: dict[str, Any] = yaml.safe_load(EXAMPLE.read_text())
    body["metadata"] = {
        "name": name,
        "namespace": namespace,
        "uid": f"uid-{namespace}-{name}",
        "generation": 1,
        "resourceVersion": "1",
    }
    return body


async def _serve_emulator(stock: bool) -> None:
    import kmock

    cls = kmock.KubernetesEmulator if stock else _lean_emulator_class()
    template = _manifest("template", NAMESPACE)
    async with cls() as emulator, kmock.Server(emulator):
        for resource, info in RESOURCES.items():
            emulator.resources[resource] = {**info, "verbs": VERBS}
        print(json.dumps({"url": str(emulator.url).rstrip("/")}), flush=True)

        async def create(namespace: str, name: str, gate: asyncio.Semaphore) -> int:
            body = copy.deepcopy(template)
            body["metadata"].update(name=name, namespace=namespace, uid=f"uid-{namespace}-{name}")
            async with gate:
                response = await emulator.post(CG_PATH.format(namespace=namespace), json=body)
                await response.read()
                return int(response.status)

        while True:
            line = await asyncio.to_thread(sys.stdin.readline)
            if not line:
                return
            command = json.loads(line)
            if command["op"] == "create":
                started = time.perf_counter()
                gate = asyncio.Semaphore(command.get("concurrency", 16))
                statuses = await asyncio.gather(
                    *(create(command["namespace"], name, gate) for name in command["names"])
                )
                reply: dict[str, Any] = {
                    "seconds": time.perf_counter() - started,
                    "failed": sum(1 for status in statuses if status >= 300),
                }
            elif command["op"] == "stats":
                reply = _stats(emulator, stock)
            else:
                reply = {"error": f"unknown op {command['op']!r}"}
            print(json.dumps(reply), flush=True)


def _stats(emulator: Any, stock: bool) -> dict[str, Any]:
    counts: dict[str, int] = {}
    phases: dict[str, int] = {}
    for (resource, _, _), obj in emulator.objects.items():
        if obj.deleted:
            continue
        path = "/".join(p for p in (resource.group, resource.version, resource.plural) if p)
        counts[path] = counts.get(path, 0) + 1
        if path == CG:
            phase = str(((obj.raw or {}).get("status") or {}).get("phase"))
            phases[phase] = phases.get(phase, 0) + 1
    served = len(emulator._requests) if stock else emulator.bench_served
    return {"requests": served, "objects": counts, "phases": phases}


class Emulator:
    """The child process and its line protocol (one JSON command, one JSON reply)."""

    def __init__(self, stock: bool) -> None:
        command = [sys.executable, str(Path(__file__).resolve()), "--emulator"]
        if stock:
            command.append("--stock-kmock")
        self.process = subprocess.Popen(  # nosec B603: this very file, as the emulator
            command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )
        self._lock = threading.Lock()
        self.url: str = self._read()["url"]

    def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the emulator exited ({self.process.wait()})")
        reply: dict[str, Any] = json.loads(line)
        return reply

    def call(self, **command: Any) -> dict[str, Any]:
        assert self.process.stdin is not None
        with self._lock:
            self.process.stdin.write(json.dumps(command) + "\n")
            self.process.stdin.flush()
            return self._read()

    async def acall(self, **command: Any) -> dict[str, Any]:
        return await asyncio.to_thread(lambda: self.call(**command))

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


# -- measurements ------------------------------------------------------------------------------


def cpu_seconds() -> float:
    """User + system CPU time of this process (every thread), in seconds."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def validator_cache() -> int | None:
    """Validators held by openapi-spec-validator's unbounded `SpecValidator.iter_errors`
    cache (each with its document; python-openapi/openapi-spec-validator#523)."""
    try:
        from openapi_spec_validator.validation.validators import SpecValidator

        return int(SpecValidator.iter_errors.__wrapped__.cache_info().currsize)  # type: ignore[attr-defined]
    except (ImportError, AttributeError):
        return None


def memory() -> dict[str, float]:
    """VmRSS and VmHWM (peak) of this process, in MB (/proc), and ru_maxrss as a check."""
    found: dict[str, float] = {}
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                found[key] = int(value.split()[0]) / 1024
    import resource

    found["ru_maxrss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return found


async def until(
    what: Callable[[], Any], *, timeout: float, interval: float = 0.005, what_for: str = ""
) -> Any:
    """Poll `what` until it is truthy (the interval is the resolution, never the measure)."""
    deadline = time.perf_counter() + timeout
    while True:
        value = what()
        if value:
            return value
        if time.perf_counter() > deadline:
            raise TimeoutError(f"timed out after {timeout:g} s waiting for {what_for}")
        await asyncio.sleep(interval)


async def quiet(emulator: Emulator, *, settle: float = 0.3, timeout: float = 60.0) -> int:
    """Wait until the emulator has served no request for `settle` seconds; its request count."""
    deadline = time.perf_counter() + timeout
    last, since = -1, time.perf_counter()
    while time.perf_counter() < deadline:
        served = int((await emulator.acall(op="stats"))["requests"])
        now = time.perf_counter()
        if served != last:
            last, since = served, now
        elif now - since >= settle:
            return served
        await asyncio.sleep(0.05)
    raise TimeoutError("the emulator did not go quiet")


async def run_request(op: Any, name: str) -> Any:
    """Run the request of the Running CodeGeneration `name` for real (`main.run_job`, gates
    replaced by one passing gate), as its Job's pod would; its Job (the client's object)."""
    from kodegen.controller import main
    from kodegen.pipeline import generate

    body = op.kube.read_generation(NAMESPACE, name)
    assert body is not None and body["status"]["phase"] == "Running", body
    job = op.kube.batch.read_namespaced_job(body["status"]["job"]["name"], NAMESPACE)
    command = job.spec.template.spec.containers[0].command
    request = command[command.index("--request") + 1]
    fast = generate.Generator(run_gates=_passing_gates)
    code = await asyncio.to_thread(main.run_job, NAMESPACE, request, op.kube, fast)
    assert code == 0, f"run-job exited {code}"
    return job


def noop_reconciles(op: Any, name: str, count: int) -> dict[str, Any]:
    """`count` reconciles of the Succeeded CodeGeneration `name` as read back, in this thread
    with the operator stopped: their wall times, outcomes and the API calls they made."""
    from kodegen.controller import reconcile

    body = op.kube.read_generation(NAMESPACE, name)
    assert body is not None and body["status"]["phase"] == "Succeeded", body
    api, calls = op.kube.client, 0
    real_call_api = api.call_api

    def counted(*a: Any, **kw: Any) -> Any:
        nonlocal calls
        calls += 1
        return real_call_api(*a, **kw)

    api.call_api = counted
    timings: list[float] = []
    outcomes: set[str] = set()
    try:
        for _ in range(count):
            began = time.perf_counter()
            outcomes.add(reconcile.reconcile(op, body))
            timings.append(time.perf_counter() - began)
    finally:
        api.call_api = real_call_api
    log(f"no-op: {len(timings)} calls, outcomes {sorted(outcomes)}, {calls} API calls")
    return {"seconds": timings, "api_calls": calls, "outcomes": sorted(outcomes)}


def _passing_gates(project: Path, config: Any, *, progress: Any = None) -> tuple[Any, ...]:
    from kodegen.gates import report

    return (report.GateReport(name="syntax", passed=True, metrics={"coverage": 100.0}),)


async def bench(args: argparse.Namespace) -> dict[str, Any]:
    from kubernetes import client

    from kodegen.controller import kube, main, reconcile, settings

    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s %(message)s",
        stream=open(args.log or os.devnull, "a"),  # noqa: SIM115  (for the life of the process)
    )
    results: dict[str, Any] = {"memory_baseline": memory()}
    emulator = Emulator(args.stock_kmock)
    log(f"emulator at {emulator.url} ({'stock' if args.stock_kmock else 'lean'} kmock)")
    api = client.ApiClient(client.Configuration(host=emulator.url))
    op = main.build(
        settings.Settings(
            executor="job",
            metrics_port=0,
            limits=settings.LimitSettings(per_namespace=10_000, cluster=10_000),
        ),
        kube.Kube(api),
    )
    registry = op.metrics.registry

    def sample(name: str, **labels: str) -> float:
        return registry.get_sample_value(name, labels) or 0.0

    def counted(metric: Any, name: str, **labels: str) -> float:
        # One metric's samples (cheap enough to poll every few ms), not the whole registry.
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

    # CPU time spent inside reconcile() (the handlers call it through the module attribute):
    # what of the operator's CPU is kodegen's own, the rest being kopf, aiohttp, the watches.
    inside = {"seconds": 0.0, "calls": 0.0}
    inside_lock = threading.Lock()
    real_reconcile = reconcile.reconcile

    def timed_reconcile(memo: Any, body: Any) -> str:
        began = time.thread_time()
        try:
            return real_reconcile(memo, body)
        finally:
            spent = time.thread_time() - began
            with inside_lock:
                inside["seconds"] += spent
                inside["calls"] += 1

    reconcile.reconcile = timed_reconcile  # type: ignore[assignment]
    stop, ready = asyncio.Event(), asyncio.Event()
    task = asyncio.create_task(main.run(op, standalone=True, stop_flag=stop, ready_flag=ready))
    try:
        t0 = time.perf_counter()
        await asyncio.wait_for(ready.wait(), 60)
        await quiet(emulator)
        log(f"operator ready in {time.perf_counter() - t0:.2f} s")
        results["memory_ready"] = memory()

        # 1 + 3: bursts of CodeGenerations into the running operator.
        bursts: list[dict[str, Any]] = []
        total = 0
        for index in range(args.batches):
            names = [f"cg-{index:02d}-{n:04d}" for n in range(args.batch_size)]
            total += len(names)
            cpu, cpu_inside = cpu_seconds(), inside["seconds"]
            began = time.perf_counter()
            created = await emulator.acall(op="create", namespace=NAMESPACE, names=names)
            await until(
                lambda total=total: started() >= total,
                timeout=120,
                what_for=f"{total} Jobs",
            )
            admitted = time.perf_counter() - began
            await until(
                lambda total=total: reconciled() >= total, timeout=60, what_for="status patches"
            )
            served = await quiet(emulator)
            cpu, cpu_inside = cpu_seconds() - cpu, inside["seconds"] - cpu_inside
            burst = {
                "objects": len(names),
                "admitted_seconds": admitted,
                "rate": len(names) / admitted,
                "cpu_seconds": cpu,
                "cpu_seconds_in_reconcile": cpu_inside,
                "create_seconds": created["seconds"],
                "create_failed": created["failed"],
                "emulator_requests": served,
                "rss_mb": memory().get("VmRSS"),
            }
            bursts.append(burst)
            log(
                f"burst {index + 1}/{args.batches}: {len(names)} admitted in {admitted:.2f} s "
                f"({burst['rate']:.0f}/s; POSTs took {created['seconds']:.2f} s), "
                f"RSS {burst['rss_mb']:.0f} MB"
            )
        results["bursts"] = bursts
        results["memory_loaded"] = memory()
        results["validator_cache"] = validator_cache()
        stats = await emulator.acall(op="stats")
        results["emulator_stats"] = stats
        count = sample("kodegen_reconcile_duration_seconds_count", outcome="started")
        seconds = sample("kodegen_reconcile_duration_seconds_sum", outcome="started")
        results["handler"] = {"count": count, "seconds": seconds}
        other = {
            outcome: sample("kodegen_reconcile_duration_seconds_count", outcome=outcome)
            for outcome in ("unchanged", "running", "queued", "error", "suspended")
        }
        results["other_reconciles"] = other
        log(f"emulator holds {stats['objects']}; CodeGenerations by phase {stats['phases']}")
        log(f"openapi-spec-validator's iter_errors cache holds {results['validator_cache']}")

        # 2: one CodeGeneration to Succeeded, for real, then no-op reconciles.
        name = "cg-00-0000"
        job = await run_request(op, name)
        status = {
            "conditions": [{"type": "Complete", "status": "True", "reason": "Completed"}],
            "succeeded": 1,
        }
        await asyncio.to_thread(
            op.kube.batch.patch_namespaced_job_status,
            job.metadata.name,
            NAMESPACE,
            {"status": status},
        )
        succeeded = await until(
            lambda: sample("kodegen_generations_succeeded_total") >= 1,
            timeout=60,
            what_for="the run to be recorded",
        )
        assert succeeded
        await quiet(emulator)
    finally:
        stop.set()
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.wait_for(task, 30)
        reconcile.reconcile = real_reconcile  # type: ignore[assignment]

    try:
        results["noop"] = noop_reconciles(op, name, args.noop_calls)
    finally:
        api.close()
        emulator.close()
    return results


# -- report ------------------------------------------------------------------------------------


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def table(results: Mapping[str, Any], args: argparse.Namespace, server: str | None = None) -> str:
    """The report; `server` describes the API server when it is not kmock's emulator
    (operator_bench_real.py)."""
    bursts = results["bursts"]
    rates = [b["rate"] for b in bursts]
    total_objects = sum(b["objects"] for b in bursts)
    total_seconds = sum(b["admitted_seconds"] for b in bursts)
    handler = results["handler"]
    cpu_per = sum(b["cpu_seconds"] for b in bursts) / max(total_objects, 1)
    cpu_inside_per = sum(b["cpu_seconds_in_reconcile"] for b in bursts) / max(total_objects, 1)
    mean_handler_ms = 1000 * handler["seconds"] / handler["count"] if handler["count"] else 0.0
    noop = results["noop"]
    noop_ms = [1000 * s for s in noop["seconds"]]
    p50, p95 = percentile(noop_ms, 50), percentile(noop_ms, 95)
    rss = results["memory_loaded"]["VmRSS"]
    base = results["memory_baseline"]["VmRSS"]
    ready = results["memory_ready"]["VmRSS"]

    def mark(ok: bool) -> str:
        return "met" if ok else "NOT MET"

    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    kind = "stock" if args.stock_kmock else "lean (in-flight matching)"
    rows = [
        (
            "admission rate, median burst",
            f"{statistics.median(rates):.0f} /s",
            f">= {TARGET_RATE:g} /s",
            mark(statistics.median(rates) >= TARGET_RATE),
        ),
        ("  slowest burst", f"{min(rates):.0f} /s", "", ""),
        (
            f"  all {total_objects} together",
            f"{total_objects / total_seconds:.0f} /s",
            "",
            "",
        ),
        ("  operator CPU per admission", f"{1000 * cpu_per:.1f} ms", "", ""),
        ("    of which in reconcile()", f"{1000 * cpu_inside_per:.1f} ms", "", ""),
        ("  => rate one core could carry", f"{1 / cpu_per:.0f} /s", "", ""),
        ("  reconcile wall time (16 threads, one GIL)", f"{mean_handler_ms:.0f} ms", "", ""),
        (
            "no-op reconcile p50",
            f"{p50:.2f} ms",
            f"<= {TARGET_NOOP_MS:g} ms",
            mark(p50 <= TARGET_NOOP_MS),
        ),
        (
            "no-op reconcile p95",
            f"{p95:.2f} ms",
            f"<= {TARGET_NOOP_MS:g} ms",
            mark(p95 <= TARGET_NOOP_MS and noop["api_calls"] == 0),
        ),
        ("  API calls in the no-op calls", str(noop["api_calls"]), "0", ""),
        (
            f"RSS with {total_objects} CodeGenerations",
            f"{rss:.0f} MB",
            f"<= {TARGET_RSS_MB:g} MB",
            mark(rss <= TARGET_RSS_MB and total_objects >= TARGET_OBJECTS),
        ),
        ("  RSS before the operator / ready, 0 objects", f"{base:.0f} / {ready:.0f} MB", "", ""),
        (
            "  per CodeGeneration",
            f"{1024 * (rss - ready) / max(total_objects, 1):.0f} KB",
            "",
            "",
        ),
        ("  peak RSS (VmHWM)", f"{results['memory_loaded']['VmHWM']:.0f} MB", "", ""),
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(4)]
    lines = [
        f"kodegen operator benchmark (DESIGN.md §6) - {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} cores, load average {load}",
        "real kopf operator (job executor, limits 10000/10000) in this process; "
        + (server or f"kmock KubernetesEmulator over HTTP in a child process, {kind}"),
        f"admission: {args.batches} bursts of {args.batch_size} CodeGenerations (POSTed by "
        f"{'a child' if server else 'the emulator'} process), first POST to last Job created; "
        "CPU = this process, every thread",
        f"no-op: reconcile.reconcile(op, body) on a Succeeded CodeGeneration, unchanged input, "
        f"{len(noop_ms)} calls, outcome {'/'.join(noop['outcomes'])}",
        "memory: VmRSS of this process (operator + kopf + client; the server is elsewhere) "
        "after all were admitted and the operator went quiet",
        "",
    ]
    header = ("measure", "value", "target", "")
    lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip())
    lines.append("  ".join("-" * w for w in widths))
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=10)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--noop-calls", type=int, default=300)
    parser.add_argument("--stock-kmock", action="store_true", help="kmock's emulator unmodified")
    parser.add_argument("--json", metavar="PATH", help="write every raw number here")
    parser.add_argument("--log", metavar="PATH", help="the operator's log (default: discarded)")
    parser.add_argument("--emulator", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.emulator:
        asyncio.run(_serve_emulator(args.stock_kmock))
        return 0
    if args.noop_calls < 200 or args.batches < 1 or args.batch_size < 1:
        parser.error("--noop-calls must be at least 200, --batches and --batch-size at least 1")
    started = time.perf_counter()
    results = asyncio.run(bench(args))
    results["wall_seconds"] = time.perf_counter() - started
    results["machine"] = {"cores": os.cpu_count(), "loadavg": os.getloadavg()}
    print(table(results, args))
    log(f"done in {results['wall_seconds']:.0f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
