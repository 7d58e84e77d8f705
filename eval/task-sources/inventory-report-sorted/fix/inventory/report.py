"""Plain-text stock reports."""


def format_report(stock):
    """One line per SKU held, sorted by SKU: 'SKU  quantity x unit price', then a total line."""
    lines = [f"{sku}  {q} x {p:.2f}" for sku, q, p in sorted(stock.items()) if q != 0]
    lines.append(f"TOTAL  {stock.total_value():.2f}")
    return "\n".join(lines)
