from decimal import Decimal

import pytest
from inventory.models import Order, OrderStatus, Product
from inventory.orders import OrderService
from inventory.reports import best_sellers, revenue
from inventory.stock import Inventory, OutOfStock
from inventory.storage import OrderBook

MUG = Product("MUG", "Mug", Decimal("8.00"))
BOOK = Product("BOOK", "Book", Decimal("12.50"), taxable=False)


def service() -> OrderService:
    inventory = Inventory()
    inventory.receive("MUG", 5)
    inventory.receive("BOOK", 2)
    return OrderService(inventory, OrderBook())


def test_placing_an_order_reserves_stock_and_prices_it():
    shop = service()
    order = Order("o1", "ana")
    order.add(MUG, 2)
    order.add(BOOK, 1)
    assert shop.place(order) == "o1: 31.70"
    assert shop.inventory.available("MUG") == 3
    assert order.status is OrderStatus.PLACED


def test_a_failed_reservation_releases_what_was_reserved():
    shop = service()
    order = Order("o2", "ben")
    order.add(MUG, 1)
    order.add(BOOK, 3)
    with pytest.raises(OutOfStock):
        shop.place(order)
    assert shop.inventory.available("MUG") == 5


def test_cancel_releases_and_reports_skip_it():
    shop = service()
    order = Order("o3", "cy", discount_code="welcome10")
    order.add(MUG, 3)
    shop.place(order)
    shop.cancel("o3")
    assert shop.inventory.available("MUG") == 5
    assert revenue(shop.book) == Decimal("0")
    assert best_sellers(shop.book) == []
