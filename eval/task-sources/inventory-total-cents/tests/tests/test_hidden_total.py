import unittest

from inventory.report import format_report
from inventory.stock import Stock


class TotalCentsTest(unittest.TestCase):
    def test_total_keeps_cents(self):
        s = Stock()
        s.add("ABC-001", 3, 2.5)
        s.add("XYZ-002", 1, 0.99)
        self.assertAlmostEqual(s.total_value(), 8.49, places=2)
        self.assertTrue(format_report(s).endswith("TOTAL  8.49"))
