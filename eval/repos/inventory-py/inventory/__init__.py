from .stock import Stock
from .pricing import apply_discount
from .report import format_report

__all__ = ["Stock", "apply_discount", "format_report"]
