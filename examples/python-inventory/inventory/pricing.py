"""Prices: subtotals, discount codes and tax."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from inventory.models import Order

TAX_RATE = Decimal("0.20")
DISCOUNTS = {"WELCOME10": Decimal("0.10"), "VIP25": Decimal("0.25")}


def order_subtotal(order: Order) -> Decimal:
    """Return the sum of the order's lines."""
    return sum((line.subtotal() for line in order.lines), Decimal("0"))


def discount_rate(code: str | None) -> Decimal:
    """Return the discount a code gives (0 for none or an unknown code)."""
    return DISCOUNTS.get((code or "").upper(), Decimal("0"))


def order_total(order: Order) -> Decimal:
    """Return what the customer pays: discounted subtotal plus tax on taxable lines."""
    rate = discount_rate(order.discount_code)
    total = Decimal("0")
    for line in order.lines:
        net = line.subtotal() * (1 - rate)
        total += net * (1 + TAX_RATE) if line.product.taxable else net
    return total.quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
