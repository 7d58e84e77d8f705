"""Prices after discounts."""


def apply_discount(price, percent):
    """The price after a discount of `percent` per cent (0 to 100)."""
    if percent < 0 or percent > 100:
        raise ValueError("percent must be between 0 and 100")
    return round(price * (1 - percent), 2)
