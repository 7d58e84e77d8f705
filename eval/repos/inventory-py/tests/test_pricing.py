import unittest

from inventory.pricing import apply_discount


class PricingTest(unittest.TestCase):
    def test_no_discount(self):
        self.assertEqual(apply_discount(80.0, 0), 80.0)

    def test_rejects_out_of_range(self):
        with self.assertRaises(ValueError):
            apply_discount(10.0, 120)


if __name__ == "__main__":
    unittest.main()
