"""Stock levels: how many of each product are on hand and how many are reserved."""

from __future__ import annotations

from dataclasses import dataclass, field


class OutOfStock(Exception):
    """Raised when a reservation asks for more than is available."""

    def __init__(self, sku: str, wanted: int, available: int) -> None:
        super().__init__(f"{sku}: wanted {wanted}, only {available} available")
        self.sku = sku
        self.wanted = wanted
        self.available = available


@dataclass
class Inventory:
    """On-hand and reserved quantities per SKU."""

    on_hand: dict[str, int] = field(default_factory=dict)
    reserved: dict[str, int] = field(default_factory=dict)

    def available(self, sku: str) -> int:
        """Return how many units can still be reserved."""
        return self.on_hand.get(sku, 0) - self.reserved.get(sku, 0)

    def receive(self, sku: str, quantity: int) -> None:
        """Add delivered units to the stock."""
        self.on_hand[sku] = self.on_hand.get(sku, 0) + quantity

    def reserve(self, sku: str, quantity: int) -> None:
        """Hold units for an order, or raise OutOfStock."""
        if quantity > self.available(sku):
            raise OutOfStock(sku, quantity, self.available(sku))
        self.reserved[sku] = self.reserved.get(sku, 0) + quantity

    def release(self, sku: str, quantity: int) -> None:
        """Give back units an order no longer needs."""
        self.reserved[sku] = max(0, self.reserved.get(sku, 0) - quantity)

    def ship(self, sku: str, quantity: int) -> None:
        """Take reserved units out of the stock when they leave the warehouse."""
        self.release(sku, quantity)
        self.on_hand[sku] = self.on_hand.get(sku, 0) - quantity
