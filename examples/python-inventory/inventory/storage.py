"""Where orders are kept: an in-memory book with JSON export."""

from __future__ import annotations

import json

from inventory.models import Order


class OrderNotFound(KeyError):
    """No order has that id."""


class OrderBook:
    """Orders by id."""

    def __init__(self) -> None:
        self._orders: dict[str, Order] = {}

    def save(self, order: Order) -> None:
        """Store (or replace) an order."""
        self._orders[order.order_id] = order

    def get(self, order_id: str) -> Order:
        """Return an order, or raise OrderNotFound."""
        try:
            return self._orders[order_id]
        except KeyError:
            raise OrderNotFound(order_id) from None

    def all(self) -> list[Order]:
        """Return every order, oldest first."""
        return list(self._orders.values())

    def export_json(self) -> str:
        """Return the orders as JSON (ids, customers, statuses and lines)."""
        rows = [
            {
                "id": o.order_id,
                "customer": o.customer,
                "status": o.status.value,
                "lines": [[line.product.sku, line.quantity] for line in o.lines],
            }
            for o in self.all()
        ]
        return json.dumps(rows, indent=2)
