import unittest

from inventory.pricing import apply_discount


class DiscountPercentTest(unittest.TestCase):
    def test_percent_of_price(self):
        self.assertEqual(apply_discount(100.0, 15), 85.0)
        self.assertEqual(apply_discount(19.99, 10), 17.99)
        self.assertEqual(apply_discount(50.0, 100), 0.0)
