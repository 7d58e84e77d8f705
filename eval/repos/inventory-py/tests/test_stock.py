import unittest

from inventory.stock import Stock


class StockTest(unittest.TestCase):
    def test_add_accumulates(self):
        s = Stock()
        s.add("ABC-001", 2, 1.5)
        s.add("ABC-001", 3, 1.5)
        self.assertEqual(s.quantity("ABC-001"), 5)

    def test_rejects_bad_sku(self):
        with self.assertRaises(ValueError):
            Stock().add("abc", 1, 1.0)

    def test_remove_some(self):
        s = Stock()
        s.add("ABC-001", 5, 2.0)
        s.remove("ABC-001", 2)
        self.assertEqual(s.quantity("ABC-001"), 3)


if __name__ == "__main__":
    unittest.main()
