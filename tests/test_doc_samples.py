"""The samples operators copy: the README's order and the Stripe Checkout how-to's steps, in order."""

import json
import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_the_readme_sample_order_grants_each_seat_once():
    readme = (ROOT / "README.rst").read_text()
    sample = re.search(r'\{"store": "shop", "order_number": "1001",.*?\]\}', readme, re.S).group(0)
    mapped = dict(re.findall(r"commerce_product shop (\S+) --seat (\S+)", readme))
    # A SKU the README maps grants its seat; one it does not (a bundle) grants seats of its own.
    seats = [
        mapped.get(line["sku"], f"sku {line['sku']}") if "sku" in line else f"{line['course_id']}:{line['mode']}"
        for line in json.loads(sample)["lines"]
    ]
    assert len(seats) == len(set(seats)), seats


def test_the_stripe_checkout_howto_creates_the_store_before_mapping_products_to_it():
    howto = (ROOT / "docs/howto/stripe-checkout.rst").read_text()
    assert howto.index("commerce_store stripe") < howto.index("commerce_product stripe")
