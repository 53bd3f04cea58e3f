"""What a call costs: US dollars per million tokens, per provider and model; operators override.

The table is a default, not a promise: prices change. `Pricing.load` merges a JSON file
(`KODEGEN_AI_PRICING` in the CLI) over it:

    {"openai": {"gpt-4.1": {"input": 2.0, "output": 8.0}},
     "ollama": {"*": {"input": 0, "output": 0}}}

A model missing from the table is priced at the most expensive model of its provider (the key
`*` sets a provider-wide price): the budget errs towards stopping early, never towards a bill.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from kodegen import errors
from kodegen.ai import types

__all__ = ["DEFAULT", "Price", "Pricing"]


@dataclass(frozen=True)
class Price:
    input: float
    """US dollars per million input (prompt) tokens."""
    output: float
    """US dollars per million output (completion) tokens."""

    def cost(self, usage: types.Usage) -> float:
        return (usage.input_tokens * self.input + usage.output_tokens * self.output) / 1e6


DEFAULT: Mapping[str, Mapping[str, Price]] = {
    "anthropic": {
        "claude-opus-4-1": Price(15.0, 75.0),
        "claude-sonnet-4-5": Price(3.0, 15.0),
        "claude-haiku-4-5": Price(1.0, 5.0),
    },
    "openai": {
        "gpt-4.1": Price(2.0, 8.0),
        "gpt-4.1-mini": Price(0.4, 1.6),
        "gpt-4o": Price(2.5, 10.0),
        "gpt-5": Price(1.25, 10.0),
        "o3": Price(2.0, 8.0),
    },
    "google": {
        "gemini-2.5-pro": Price(1.25, 10.0),
        "gemini-2.5-flash": Price(0.3, 2.5),
    },
    "ollama": {"*": Price(0.0, 0.0)},
}
"""List prices at the time of writing (standard tier, short context)."""


@dataclass(frozen=True)
class Pricing:
    table: Mapping[str, Mapping[str, Price]] = field(default_factory=lambda: DEFAULT)

    def price(self, provider: str, model: str) -> Price:
        models = self.table.get(provider, {})
        if model in models:
            return models[model]
        # dated or suffixed names: claude-sonnet-4-5-20250929, gpt-4.1-2025-04-14
        for name in sorted(models, key=len, reverse=True):
            if name != "*" and model.startswith(name + "-"):
                return models[name]
        if "*" in models:
            return models["*"]
        if not models:
            return Price(0.0, 0.0) if provider == "ollama" else _dearest(self.table)
        return _dearest({provider: models})

    def cost(self, provider: str, model: str, usage: types.Usage) -> float:
        return self.price(provider, model).cost(usage)

    @classmethod
    def load(cls, path: Path, base: Pricing | None = None) -> Pricing:
        """`base` (the default table) with the prices of the JSON file at `path` over it."""
        try:
            data = json.loads(path.read_text())
            overrides = {
                str(provider): {
                    str(model): Price(float(price["input"]), float(price["output"]))
                    for model, price in models.items()
                }
                for provider, models in data.items()
            }
        except (OSError, ValueError, TypeError, KeyError, AttributeError) as exc:
            raise errors.InputError(
                f"pricing file {path}: {exc}; expected "
                '{"<provider>": {"<model>": {"input": <usd/Mtok>, "output": <usd/Mtok>}}}'
            ) from exc
        merged = {name: dict(models) for name, models in (base or cls()).table.items()}
        for provider, models in overrides.items():
            merged.setdefault(provider, {}).update(models)
        return cls(merged)


def _dearest(table: Mapping[str, Mapping[str, Price]]) -> Price:
    prices = [price for models in table.values() for price in models.values()]
    return Price(max(p.input for p in prices), max(p.output for p in prices))
