import unittest

from inventory.report import format_report
from inventory.stock import Stock


class SortedReportTest(unittest.TestCase):
    def test_sorted_without_empty_lines(self):
        s = Stock()
        s.add("XYZ-002", 1, 1.0)
        s.add("ABC-001", 2, 1.0)
        s.add("MMM-003", 1, 1.0)
        s.remove("MMM-003", 1)
        lines = format_report(s).split("\n")
        self.assertEqual(lines, ["ABC-001  2 x 1.00", "XYZ-002  1 x 1.00", "TOTAL  3.00"])
