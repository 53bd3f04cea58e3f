"""kodegen.ai: provider adapters, a router with failover, and what keeps AI honest and bounded.

    types        Request, Response, Usage, ProviderSettings; the `Provider` protocol
    providers/   one adapter per official SDK (anthropic_api, openai_api, google_api,
                 ollama_api), each the only importer of its SDK; `providers.build(settings)`
    router       providers in manifest order: cache, breaker, budget, retries, failover
    retry        exponential backoff with full jitter, Retry-After honoured, injected sleep
    breaker      circuit breakers per provider endpoint, shared by the process
    budget       spec.ai.maxCostUSD (and a token limit) checked before every call
    pricing      dollars per million tokens; operators override it with a JSON file
    cache        answers already paid for (in memory, or one file per request hash)
    transcript   every exchange, redacted: `.kodegen/transcript.jsonl`, digests for provenance
    redact       keys and bearer tokens masked in messages, transcripts and log records
    metrics      requests, failures by reason, latency, tokens, cost; a Prometheus collector
    keys         which environment variable holds each provider's key (`env_var`)
    protocol     the strict, tolerant `=== FILE: path ===` output format and its parser
    prompts      plan, write, fill, repair; the specification passed as delimited data
    author       the verbs over a router: write a project, fill regions, repair
    session      a router for one generation from spec.ai and the process's options
    scripted     a provider answering from a script (tests, benchmarks)
    wire         local HTTP servers speaking each provider's wire protocol (tests, benchmarks)

The pipeline (`pipeline.authoring`) calls this package; it never imports the pipeline, kopf
or the Kubernetes client (import-linter contracts).
"""
