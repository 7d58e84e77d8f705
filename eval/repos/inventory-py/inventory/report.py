"""Plain-text stock reports."""


def format_report(stock):
    """One line per SKU: 'SKU  quantity x unit price', then a total line."""
    lines = [f"{sku}  {q} x {p:.2f}" for sku, q, p in stock.items()]
    lines.append(f"TOTAL  {stock.total_value():.2f}")
    return "\n".join(lines)
