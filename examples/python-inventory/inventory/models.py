"""The shop's records: products, order lines and orders."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import Enum


class OrderStatus(Enum):
    """Where an order is in its life."""

    DRAFT = "draft"
    PLACED = "placed"
    CANCELLED = "cancelled"
    SHIPPED = "shipped"


@dataclass(frozen=True)
class Product:
    """Something the shop sells."""

    sku: str
    name: str
    unit_price: Decimal
    taxable: bool = True


@dataclass(frozen=True)
class OrderLine:
    """A quantity of one product in an order."""

    product: Product
    quantity: int

    def subtotal(self) -> Decimal:
        """Return the line's price before discounts and tax."""
        return self.product.unit_price * self.quantity


@dataclass
class Order:
    """A customer's order."""

    order_id: str
    customer: str
    lines: list[OrderLine] = field(default_factory=list)
    status: OrderStatus = OrderStatus.DRAFT
    discount_code: str | None = None

    def add(self, product: Product, quantity: int) -> None:
        """Add a line to a draft order."""
        if self.status is not OrderStatus.DRAFT:
            raise ValueError(f"order {self.order_id} is {self.status.value}, not a draft")
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        self.lines.append(OrderLine(product, quantity))
