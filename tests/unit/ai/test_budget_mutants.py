"""ai.budget, the rules its first tests left open (found by `make mutate`): the exact estimate,
the budget's memory of what was spent, and the limits themselves being allowed."""

from __future__ import annotations

import pytest

from kodegen import errors
from kodegen.ai import budget, pricing, types

# One dollar per input token, output free: a call's cost in dollars is its input tokens.
PRICES = pricing.Pricing(table={"p": {"m": pricing.Price(input=1_000_000.0, output=0.0)}})


def _request(chars: int = 30, max_tokens: int = 8, messages: int = 1) -> types.Request:
    per = chars // messages
    return types.Request(
        model="m",
        system="",
        messages=tuple(types.Message("user", "x" * per) for _ in range(messages)),
        max_tokens=max_tokens,
    )


def test_the_estimate_is_a_third_of_the_characters_plus_16_per_message() -> None:
    assert budget.estimate_tokens(_request(30)) == 10 + 16 * 2
    assert budget.estimate_tokens(_request(30, messages=3)) == 10 + 16 * 4
    system = types.Request(model="m", system="s" * 9, messages=())
    assert budget.estimate_tokens(system) == 3 + 16


def test_spending_is_remembered_across_calls() -> None:
    wallet = budget.Budget(max_cost_usd=10.0)
    wallet.charge(types.Response("a", types.Usage(10, 20), "m", "stop", cost_usd=0.5))
    wallet.charge(types.Response("b", types.Usage(1, 2), "m", "stop", cost_usd=0.25))
    assert (wallet.spent_usd, wallet.spent_tokens) == (0.75, 33)


def test_a_call_that_reaches_the_dollar_limit_exactly_is_allowed() -> None:
    needed = budget.estimate_tokens(_request())  # 42 dollars
    budget.Budget(max_cost_usd=float(needed)).check("p", _request(), PRICES)
    with pytest.raises(errors.BudgetExceeded) as caught:
        budget.Budget(max_cost_usd=needed - 0.5).check("p", _request(), PRICES)
    assert (caught.value.limit, caught.value.spent, caught.value.needed) == ("maxCostUSD", 0, 42)


def test_the_dollar_figures_are_rounded_to_the_microdollar() -> None:
    prices = pricing.Pricing(table={"p": {"m": pricing.Price(input=0.1234567e6 / 42, output=0)}})
    wallet = budget.Budget(max_cost_usd=0.2, spent_usd=0.1234567)
    with pytest.raises(errors.BudgetExceeded) as caught:
        wallet.check("p", _request(), prices)
    assert (caught.value.spent, caught.value.needed) == (0.123457, 0.123457)


def test_a_call_that_reaches_the_token_limit_exactly_is_allowed() -> None:
    needed = budget.estimate_tokens(_request()) + 8
    budget.Budget(max_cost_usd=100.0, max_tokens=needed).check("p", _request(), PRICES)
    wallet = budget.Budget(max_cost_usd=100.0, max_tokens=needed, spent_tokens=1)
    with pytest.raises(errors.BudgetExceeded) as caught:
        wallet.check("p", _request(), PRICES)
    assert (caught.value.limit, caught.value.spent, caught.value.needed) == ("maxTokens", 1, 50)
    assert str(caught.value) == (
        "AI budget: maxTokens would be exceeded (spent 1, the next call needs up to 50); raise "
        "the token budget (kodegen generate --ai-max-tokens) or shorten the specification"
    )


def test_no_token_limit_means_none() -> None:
    budget.Budget(max_cost_usd=100.0, spent_tokens=10**9).check("p", _request(), PRICES)
