"""What a request costs in money: per-model prices per million tokens, tiered by the size of
the request's input as DashScope bills Qwen3-Coder, or the user's own flat prices.

Built in: qwen3-coder-plus and qwen3-coder-flash on DashScope. In China (region "cn") the
prices are Model Studio's published CNY tiers (help.aliyun.com/zh/model-studio/qwen-coder,
checked 2026-11-30); elsewhere the international USD tiers of Model Studio's price list (not
re-checked on 2026-11-30: no route to it from here; the user's own prices override them).
A model served locally costs nothing; a model we have no price for is not guessed: its cost
shows as unknown until `price_input_per_mtok` and `price_output_per_mtok` are set (in the
user config or a profile).
"""

from __future__ import annotations

from dataclasses import dataclass

from assistant.config import Settings
from assistant.llm.types import Usage

LOCAL_PROFILES = ("local", "vllm", "sglang", "ollama", "llamacpp")
# (input tokens up to, input price, output price) per million tokens.
Tiers = tuple[tuple[int, float, float], ...]
_CNY: dict[str, Tiers] = {
    "qwen3-coder-plus": ((32_000, 4.0, 16.0), (128_000, 6.0, 24.0), (256_000, 10.0, 40.0),
                         (1_000_000, 20.0, 200.0)),
    "qwen3-coder-flash": ((32_000, 1.0, 4.0), (128_000, 1.5, 6.0), (256_000, 2.5, 10.0),
                          (1_000_000, 5.0, 25.0)),
}  # fmt: skip
_USD: dict[str, Tiers] = {
    "qwen3-coder-plus": ((32_000, 1.0, 5.0), (128_000, 1.8, 9.0), (256_000, 3.0, 15.0),
                         (1_000_000, 6.0, 60.0)),
    "qwen3-coder-flash": ((32_000, 0.3, 1.5), (128_000, 0.5, 2.5), (256_000, 0.8, 4.0),
                          (1_000_000, 1.6, 9.6)),
}  # fmt: skip


@dataclass(frozen=True)
class Pricing:
    """The prices of one model: tiers by input size, and the currency."""

    tiers: Tiers
    currency: str

    def cost(self, usage: Usage) -> float:
        """Return what one request with this usage costs."""
        tier = next((t for t in self.tiers if usage.prompt_tokens <= t[0]), self.tiers[-1])
        return (usage.prompt_tokens * tier[1] + usage.completion_tokens * tier[2]) / 1_000_000


def pricing_for(settings: Settings) -> Pricing | None:
    """Return the prices of the configured chat model, or None when they are not known."""
    if settings.price_input_per_mtok >= 0 and settings.price_output_per_mtok >= 0:
        flat = ((10**12, settings.price_input_per_mtok, settings.price_output_per_mtok),)
        return Pricing(flat, "USD" if settings.region != "cn" else "CNY")
    if settings.profile in LOCAL_PROFILES:
        return Pricing(((10**12, 0.0, 0.0),), "")
    table = _CNY if settings.region == "cn" else _USD
    model = settings.model.lower()
    for name, tiers in table.items():
        if model == name or model.startswith(f"{name}-"):
            return Pricing(tiers, "CNY" if settings.region == "cn" else "USD")
    return None


def format_cost(amount: float | None, currency: str) -> str:
    """Return an amount for people: `$0.0123`, `¥0.41`, `free`, or `?` when unknown."""
    if amount is None:
        return "?"
    if not currency:
        return "free"
    symbol = {"USD": "$", "CNY": "¥"}.get(currency, f"{currency} ")
    return f"{symbol}{amount:.4f}" if amount < 1 else f"{symbol}{amount:.2f}"
