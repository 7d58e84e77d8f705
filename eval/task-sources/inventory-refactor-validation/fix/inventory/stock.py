"""Quantities and unit prices of stock-keeping units (SKUs)."""

from .validation import validate_sku


class Stock:
    def __init__(self):
        self._items = {}

    def add(self, sku, quantity, unit_price):
        validate_sku(sku)
        if quantity <= 0:
            raise ValueError("quantity must be positive")
        held, _ = self._items.get(sku, (0, unit_price))
        self._items[sku] = (held + quantity, unit_price)

    def remove(self, sku, quantity):
        validate_sku(sku)
        held, price = self._items.get(sku, (0, 0))
        self._items[sku] = (held - quantity, price)

    def quantity(self, sku):
        return self._items.get(sku, (0, 0))[0]

    def items(self):
        """(sku, quantity, unit_price) for every SKU, in the order they were first added."""
        return [(sku, q, p) for sku, (q, p) in self._items.items()]

    def total_value(self):
        """The value of everything in stock, in currency units with cents."""
        return int(sum(q * p for q, p in self._items.values()))
