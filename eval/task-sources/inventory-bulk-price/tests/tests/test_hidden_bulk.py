import unittest

import inventory
from inventory.pricing import bulk_price


class BulkPriceTest(unittest.TestCase):
    def test_tiers(self):
        self.assertEqual(bulk_price(2.0, 9), 18.0)
        self.assertEqual(bulk_price(2.0, 10), 18.0)
        self.assertEqual(bulk_price(1.0, 100), 80.0)
        self.assertIs(inventory.bulk_price, bulk_price)

    def test_rejects_no_units(self):
        with self.assertRaises(ValueError):
            bulk_price(2.0, 0)
