import unittest

from inventory.stock import Stock


class RemoveTooManyTest(unittest.TestCase):
    def test_cannot_remove_more_than_held(self):
        s = Stock()
        s.add("ABC-001", 3, 1.0)
        with self.assertRaises(ValueError):
            s.remove("ABC-001", 5)
        self.assertEqual(s.quantity("ABC-001"), 3)

    def test_quantity_must_be_positive(self):
        s = Stock()
        s.add("ABC-001", 3, 1.0)
        with self.assertRaises(ValueError):
            s.remove("ABC-001", 0)
        with self.assertRaises(ValueError):
            s.remove("ABC-001", -1)
        self.assertEqual(s.quantity("ABC-001"), 3)
