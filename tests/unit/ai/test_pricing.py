"""ai.pricing and ai.budget: what a call costs, and stopping before the money is spent."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from kodegen import errors
from kodegen.ai import budget, pricing, types


def test_cost_per_million_tokens() -> None:
    prices = pricing.Pricing()
    usage = types.Usage(input_tokens=1_000_000, output_tokens=100_000)
    assert prices.cost("openai", "gpt-4.1", usage) == pytest.approx(2.0 + 0.8)
    assert prices.cost("ollama", "qwen2.5-coder:14b", usage) == 0.0


def test_dated_model_names_take_their_family_price() -> None:
    prices = pricing.Pricing()
    assert prices.price("anthropic", "claude-sonnet-4-5-20250929") == pricing.Price(3.0, 15.0)


def test_an_unknown_model_is_priced_at_the_dearest_of_its_provider() -> None:
    prices = pricing.Pricing()
    assert prices.price("anthropic", "claude-next") == pricing.Price(15.0, 75.0)
    assert prices.price("somewhere", "x") == pricing.Price(15.0, 75.0)


def test_operators_override_prices_from_a_file(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text(
        json.dumps(
            {
                "openai": {"gpt-4.1": {"input": 1, "output": 1}},
                "google": {"*": {"input": 0.5, "output": 0.5}},
            }
        )
    )
    prices = pricing.Pricing.load(path)
    assert prices.price("openai", "gpt-4.1") == pricing.Price(1.0, 1.0)
    assert prices.price("openai", "gpt-4o") == pricing.Price(2.5, 10.0)  # untouched
    assert prices.price("google", "gemini-2.5-pro") == pricing.Price(1.25, 10.0)
    assert prices.price("google", "gemini-9") == pricing.Price(0.5, 0.5)


def test_a_bad_pricing_file_says_the_expected_shape(tmp_path: Path) -> None:
    path = tmp_path / "prices.json"
    path.write_text('{"openai": {"gpt-4.1": {"input": 1}}}')
    with pytest.raises(errors.InputError, match=r"pricing file .*: 'output'; expected"):
        pricing.Pricing.load(path)


def request(chars: int = 3000, max_tokens: int = 1000) -> types.Request:
    return types.Request(
        model="gpt-4.1",
        system="",
        messages=(types.Message("user", "x" * chars),),
        max_tokens=max_tokens,
    )


def test_the_budget_checks_the_worst_case_of_the_next_call() -> None:
    prices = pricing.Pricing()
    wallet = budget.Budget(max_cost_usd=0.011)
    wallet.check("openai", request(), prices)  # ~1k in + 1k out at gpt-4.1: ~$0.0101
    wallet.spent_usd = 0.005
    with pytest.raises(errors.BudgetExceeded) as caught:
        wallet.check("openai", request(), prices)
    assert caught.value.limit == "maxCostUSD"
    assert "raise spec.ai.maxCostUSD" in str(caught.value)


def test_the_token_budget() -> None:
    wallet = budget.Budget(max_cost_usd=100, max_tokens=1500)
    with pytest.raises(errors.BudgetExceeded, match="maxTokens"):
        wallet.check("openai", request(max_tokens=1000), pricing.Pricing())
    response = types.Response("x", types.Usage(10, 20), "m", "stop", cost_usd=0.5)
    wallet.charge(response)
    assert (wallet.spent_tokens, wallet.spent_usd) == (30, 0.5)


def test_the_estimate_errs_high() -> None:
    text = "def f(x):\n    return x + 1\n" * 100
    estimate = budget.estimate_tokens(
        types.Request(model="m", system="", messages=(types.Message("user", text),))
    )
    assert estimate >= len(text) / 4
