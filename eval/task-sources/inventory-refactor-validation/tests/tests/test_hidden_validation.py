import pathlib
import unittest

from inventory.validation import validate_sku


class ValidationTest(unittest.TestCase):
    def test_validate_sku(self):
        self.assertEqual(validate_sku("ABC-123"), "ABC-123")
        for bad in ["abc-123", "ABC123", "", "ABCD-123"]:
            with self.assertRaises(ValueError) as ctx:
                validate_sku(bad)
            self.assertIn(repr(bad), str(ctx.exception))

    def test_stock_uses_it(self):
        root = pathlib.Path(__file__).resolve().parent.parent / "inventory"
        stock = (root / "stock.py").read_text()
        self.assertIn("validate_sku", stock)
        self.assertNotIn("re.compile", stock)
