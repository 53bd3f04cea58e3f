"""`make bench` (AI part): what the AI layer costs beyond the provider itself.

    python benchmarks/ai_bench.py [--calls 300] [--e2e-runs 3] [--json PATH]

router    per provider dialect (Anthropic, OpenAI, Gemini, Ollama), against a local server that
          speaks its wire protocol (`kodegen.ai.wire`, in its own thread), `--calls` sequential
          calls each, p50 and p95 of:
            raw      a bare `httpx` POST of the same request body to the same endpoint: the
                     server's own latency as any client sees it (loopback, JSON, the handler)
            adapter  `provider.generate(request)`: the official SDK and kodegen's translation
            router   `Router.ask(prompt, parse)`: adapter + budget check, breaker, retries
                     wrapper, cost, metrics, transcript and parsing of the file protocol
          overhead = router p50 - raw p50 (DESIGN target: at most 5 ms)
e2e       `kodegen generate examples/user-story.yaml` through `kodegen.cli.main`, mode full, with
          the scripted model of `tests/integration/ai_shortener.py` behind the Ollama wire
          protocol: plan, a buggy first version, the repair, every quality gate run twice;
          `--e2e-runs` runs without the answer cache (median, per stage), then one served
          entirely from the cache
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO / "tests" / "integration"))

import ai_shortener  # noqa: E402  (the scripted model lives with the tests)

from kodegen import cli  # noqa: E402
from kodegen.ai import (  # noqa: E402
    breaker,
    budget,
    metrics,
    protocol,
    providers,
    router,
    transcript,
    types,
    wire,
)

DIALECTS: tuple[wire.Dialect, ...] = ("anthropic", "openai", "google", "ollama")
ANSWER = protocol.format(
    {"app.py": "VALUE = 1\n" * 40, "tests/test_app.py": "def test():\n    pass\n"}
)
PROMPT = router.Prompt(
    "write", "You write code.", (types.Message("user", "Write the service. " * 50),), 1024
)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def timed(calls: int, function: Callable[[], Awaitable[object]]) -> list[float]:
    for _ in range(10):  # warm-up: connections, imports, caches
        await function()
    seconds = []
    for _ in range(calls):
        started = time.perf_counter()
        await function()
        seconds.append(time.perf_counter() - started)
    return seconds


async def wire_body(dialect: wire.Dialect, provider: types.Provider) -> tuple[str, dict[str, Any]]:
    """The path and JSON body the SDK sent, recorded by a throwaway server."""
    async with wire.WireServer(dialect, [wire.Reply(ANSWER)]) as server:
        probe = providers.build(_settings(dialect, server.base_url))
        await probe.generate(_request(provider.model))
        await probe.aclose()
    seen = server.requests[0]
    return seen.path, seen.body


def _settings(dialect: str, base_url: str) -> types.ProviderSettings:
    return types.ProviderSettings(
        provider=dialect,  # type: ignore[arg-type]
        model="bench-model",
        api_key="bench-key-0123456789",
        base_url=base_url,
        timeout_seconds=30,
    )


def _request(model: str) -> types.Request:
    return types.Request(
        model=model, system=PROMPT.system, messages=PROMPT.messages, max_tokens=PROMPT.max_tokens
    )


async def router_bench(dialect: wire.Dialect, calls: int) -> dict[str, Any]:
    with wire.in_thread(dialect, [wire.Reply(ANSWER)]) as server:
        provider = providers.build(_settings(dialect, server.base_url))
        path, body = await wire_body(dialect, provider)
        async with httpx.AsyncClient(base_url=server.url) as raw_client:

            async def raw() -> object:
                answer = await raw_client.post(path, json=body)
                return answer.json()

            raw_times = await timed(calls, raw)
        adapter_times = await timed(calls, lambda: provider.generate(_request(provider.model)))

        ask = router.Router(
            [provider],
            budget=budget.Budget(max_cost_usd=1e9),
            breakers=breaker.Breakers(),
            metrics=metrics.Metrics(),
            transcript=transcript.Transcript(),
        )

        def parse(response: types.Response) -> dict[str, str]:
            return protocol.files(response.text, provider=response.provider).files

        router_times = await timed(calls, lambda: ask.ask(PROMPT, parse))
        await ask.aclose()
    result: dict[str, Any] = {"dialect": dialect, "calls": calls}
    for name, values in (("raw", raw_times), ("adapter", adapter_times), ("router", router_times)):
        result[name] = {"p50": percentile(values, 0.5), "p95": percentile(values, 0.95)}
    result["overhead_p50"] = result["router"]["p50"] - result["raw"]["p50"]
    result["router_only_p50"] = result["router"]["p50"] - result["adapter"]["p50"]
    return result


def e2e(runs: int) -> dict[str, Any]:
    example = REPO / "examples" / "user-story.yaml"
    saved = {
        key: os.environ.get(key)
        for key in (
            "ANTHROPIC_API_KEY",
            "OPENAI_API_KEY",
            "GEMINI_API_KEY",
            "OLLAMA_HOST",
            "XDG_CACHE_HOME",
        )
    }
    for key in saved:
        os.environ.pop(key, None)
    walls: list[float] = []
    stages: list[dict[str, float]] = []
    try:
        with (
            tempfile.TemporaryDirectory(prefix="kodegen-ai-bench-") as scratch,
            wire.in_thread("ollama", ai_shortener.answer) as server,
        ):
            os.environ["OLLAMA_HOST"] = server.url
            for run in range(runs + 1):
                cached = run == runs  # the last run reuses the cache the run before filled
                cache_dir = Path(scratch) / f"cache{run - 1 if cached else run}"
                os.environ["XDG_CACHE_HOME"] = str(cache_dir)
                argv = ["generate", str(example), "--out", str(Path(scratch) / f"out{run}")]
                calls_before = len(server.requests)
                started = time.perf_counter()
                with contextlib.redirect_stdout(io.StringIO()) as out:
                    code = cli.main(argv)
                wall = time.perf_counter() - started
                if code != 0:
                    raise SystemExit(f"e2e run {run} failed ({code}):\n{out.getvalue()}")
                if cached:
                    cached_wall, cached_requests = wall, len(server.requests) - calls_before
                else:
                    walls.append(wall)
                    stages.append(_stage_times(out.getvalue()))
            requests = len(server.requests)
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    per_stage = {stage: statistics.median(s.get(stage, 0.0) for s in stages) for stage in stages[0]}
    return {
        "runs": runs,
        "wall_p50": statistics.median(walls),
        "walls": walls,
        "stages_p50": per_stage,
        "cached_wall": cached_wall,
        "model_requests": requests,
        "cached_requests": cached_requests,
    }


def _stage_times(text: str) -> dict[str, float]:
    """Seconds per stage from the CLI's plain progress lines (`<stage> <seconds> s`); repeated
    stages (format, ai, gates of each attempt) add up."""
    found: dict[str, float] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[2] == "s":
            try:
                found[parts[0]] = found.get(parts[0], 0.0) + float(parts[1])
            except ValueError:
                continue
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--e2e-runs", type=int, default=3)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()

    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cpus)")
    results: dict[str, Any] = {"router": []}
    print(f"\nRouter overhead per call, {args.calls} sequential calls, local wire-protocol server")
    print(
        f"{'provider':<10} {'raw p50':>9} {'SDK p50':>9} {'router p50':>11} {'router p95':>11}"
        f" {'overhead':>9} {'(router-SDK)':>12}  target <= 5 ms"
    )
    for dialect in DIALECTS:
        print(f"  {dialect} ...", file=sys.stderr)
        found = asyncio.run(router_bench(dialect, args.calls))
        results["router"].append(found)
        ms = {k: found[k]["p50"] * 1000 for k in ("raw", "adapter", "router")}
        verdict = "met" if found["overhead_p50"] <= 0.005 else "MISSED"
        print(
            f"{dialect:<10} {ms['raw']:>7.2f}ms {ms['adapter']:>7.2f}ms {ms['router']:>9.2f}ms "
            f"{found['router']['p95'] * 1000:>9.2f}ms {found['overhead_p50'] * 1000:>7.2f}ms "
            f"{found['router_only_p50'] * 1000:>10.2f}ms  {verdict}"
        )

    print(
        f"\nEnd to end, mode full, examples/user-story.yaml, scripted model (Ollama wire), "
        f"every gate, {args.e2e_runs} runs without cache"
    )
    print("  e2e ...", file=sys.stderr)
    found = e2e(args.e2e_runs)
    results["e2e"] = found
    print(
        f"wall p50 {found['wall_p50']:.2f} s (runs: "
        + ", ".join(f"{w:.2f}" for w in found["walls"])
        + ")"
    )
    print("per stage p50: " + ", ".join(f"{k} {v:.2f} s" for k, v in found["stages_p50"].items()))
    print(
        f"served from the cache: {found['cached_wall']:.2f} s with "
        f"{found['cached_requests']} model requests; model requests in all: "
        f"{found['model_requests']}"
    )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
