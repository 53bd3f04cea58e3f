"""kodegen.gates: judge a generated project with quality gates, in parallel sandboxed subprocesses.

    runner.run_all(project, config) -> (GateReport, ...)   the entry point (async: run_gates)
    config.GateConfig                                     what to judge and how strictly
    report.GateReport, report.Finding                     what comes back

One module per gate, each `async def run(project, config) -> GateReport`, in report order:
`syntax`, `style` (ruff), `security` (bandit), `secrets` (detect-secrets), `tests` (pytest +
coverage), `contract` (schemathesis). `gate` holds what they share; `sandbox` runs their tools
with a time limit, a memory limit, a scrubbed environment and no network.
"""
