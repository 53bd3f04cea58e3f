"""The budget of one generation: dollars (`spec.ai.maxCostUSD`) and tokens, checked before
every call against the worst case of that call, so a run stops with a reason, never a bill."""

from __future__ import annotations

from dataclasses import dataclass

from kodegen import errors
from kodegen.ai import pricing, types

__all__ = ["Budget", "estimate_tokens"]

CHARS_PER_TOKEN = 3.0
"""Conservative characters per token for the estimate of a prompt (English prose is ~4 and
code ~3.5 with current tokenizers): the estimate errs towards more tokens."""


def estimate_tokens(request: types.Request) -> int:
    """Upper estimate of the input tokens of `request`."""
    chars = len(request.system) + sum(len(m.content) for m in request.messages)
    return int(chars / CHARS_PER_TOKEN) + 16 * (len(request.messages) + 1)


@dataclass
class Budget:
    max_cost_usd: float
    max_tokens: int | None = None
    spent_usd: float = 0.0
    spent_tokens: int = 0

    def check(self, provider: str, request: types.Request, prices: pricing.Pricing) -> None:
        """Raise `BudgetExceeded` if `request` could take the run past a limit."""
        needed_tokens = estimate_tokens(request) + request.max_tokens
        usage = types.Usage(estimate_tokens(request), request.max_tokens)
        needed_usd = prices.cost(provider, request.model, usage)
        if self.spent_usd + needed_usd > self.max_cost_usd:
            raise errors.BudgetExceeded(
                limit="maxCostUSD", spent=round(self.spent_usd, 6), needed=round(needed_usd, 6)
            )
        if self.max_tokens is not None and self.spent_tokens + needed_tokens > self.max_tokens:
            raise errors.BudgetExceeded(
                limit="maxTokens",
                spent=self.spent_tokens,
                needed=needed_tokens,
                fix="raise the token budget (kodegen generate --ai-max-tokens) or shorten the "
                "specification",
            )

    def charge(self, response: types.Response) -> None:
        self.spent_usd += response.cost_usd
        self.spent_tokens += response.usage.total
