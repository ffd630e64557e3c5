"""Reports over the order book: revenue and best sellers."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal

from inventory.models import OrderStatus
from inventory.pricing import order_total
from inventory.storage import OrderBook


def revenue(book: OrderBook) -> Decimal:
    """Return the total of every placed or shipped order."""
    counted = (OrderStatus.PLACED, OrderStatus.SHIPPED)
    return sum((order_total(o) for o in book.all() if o.status in counted), Decimal("0"))


def best_sellers(book: OrderBook, top: int = 3) -> list[tuple[str, int]]:
    """Return the SKUs sold most, with their quantities, excluding cancelled orders."""
    sold: Counter[str] = Counter()
    for order in book.all():
        if order.status is OrderStatus.CANCELLED:
            continue
        for line in order.lines:
            sold[line.product.sku] += line.quantity
    return sold.most_common(top)
