import unittest

from inventory.report import format_report
from inventory.stock import Stock


class ReportTest(unittest.TestCase):
    def test_lists_items_and_total(self):
        s = Stock()
        s.add("ABC-001", 2, 1.0)
        text = format_report(s)
        self.assertIn("ABC-001  2 x 1.00", text)
        self.assertTrue(text.endswith("TOTAL  2.00"))


if __name__ == "__main__":
    unittest.main()
