"""Prices after discounts."""


def apply_discount(price, percent):
    """The price after a discount of `percent` per cent (0 to 100)."""
    if percent < 0 or percent > 100:
        raise ValueError("percent must be between 0 and 100")
    return round(price * (1 - percent), 2)


def bulk_price(unit_price, quantity):
    """Total for `quantity` units: 10% off from 10 units, 20% off from 100, rounded to cents."""
    if quantity < 1:
        raise ValueError("quantity must be at least 1")
    percent = 20 if quantity >= 100 else 10 if quantity >= 10 else 0
    return round(unit_price * quantity * (100 - percent) / 100, 2)
