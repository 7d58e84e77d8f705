"""Checks shared by the stock operations."""

import re

_SKU = re.compile(r"^[A-Z]{3}-\d{3}$")


def validate_sku(sku):
    """The SKU itself when it has the form AAA-000; ValueError otherwise."""
    if not isinstance(sku, str) or not _SKU.match(sku):
        raise ValueError(f"invalid SKU: {sku!r}")
    return sku
