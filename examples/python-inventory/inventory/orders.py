"""Placing, cancelling and shipping orders, keeping the stock right."""

from __future__ import annotations

from inventory.models import Order, OrderStatus
from inventory.pricing import order_total
from inventory.stock import Inventory, OutOfStock
from inventory.storage import OrderBook


class OrderService:
    """The operations on orders; every one keeps the inventory consistent."""

    def __init__(self, inventory: Inventory, book: OrderBook) -> None:
        self.inventory = inventory
        self.book = book

    def place(self, order: Order) -> str:
        """Reserve stock for every line, then record the order as placed.

        If any line cannot be reserved, the lines already reserved are released again.
        """
        reserved = []
        try:
            for line in order.lines:
                self.inventory.reserve(line.product.sku, line.quantity)
                reserved.append(line)
        except OutOfStock:
            for line in reserved:
                self.inventory.release(line.product.sku, line.quantity)
            raise
        order.status = OrderStatus.PLACED
        self.book.save(order)
        return f"{order.order_id}: {order_total(order)}"

    def cancel(self, order_id: str) -> None:
        """Cancel a placed order and release its stock."""
        order = self.book.get(order_id)
        if order.status is not OrderStatus.PLACED:
            raise ValueError(
                f"only placed orders can be cancelled, {order_id} is {order.status.value}"
            )
        for line in order.lines:
            self.inventory.release(line.product.sku, line.quantity)
        order.status = OrderStatus.CANCELLED
        self.book.save(order)

    def ship(self, order_id: str) -> None:
        """Ship a placed order: its reserved stock leaves the warehouse."""
        order = self.book.get(order_id)
        for line in order.lines:
            self.inventory.ship(line.product.sku, line.quantity)
        order.status = OrderStatus.SHIPPED
        self.book.save(order)
