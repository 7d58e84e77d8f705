from .stock import Stock
from .pricing import apply_discount, bulk_price
from .report import format_report

__all__ = ["Stock", "apply_discount", "bulk_price", "format_report"]
