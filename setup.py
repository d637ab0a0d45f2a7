"""commerce_plugin: paid orders from an external store, fulfilled inside the Open edX LMS."""

import re
from pathlib import Path

from setuptools import find_packages, setup

HERE = Path(__file__).parent
VERSION = re.search(r'__version__ = "([^"]+)"', (HERE / "commerce_plugin" / "__init__.py").read_text()).group(1)

setup(
    name="commerce-plugin",
    version=VERSION,
    description="Open edX LMS plugin: paid orders from an external store become enrollments, no extra service.",
    long_description=(HERE / "README.rst").read_text(),
    long_description_content_type="text/x-rst",
    license="AGPL-3.0",
    packages=find_packages(include=["commerce_plugin", "commerce_plugin.*"]),
    # Templates and message catalogues live in folders that are not Python packages: they belong to
    # the top package as its data (MANIFEST.in puts the same files in the sdist).
    package_data={"commerce_plugin": ["templates/**/*.html", "templates/**/*.txt", "conf/locale/*/LC_MESSAGES/*.po"]},
    python_requires=">=3.11",
    install_requires=[
        "Django>=4.2,<6.0",
        "attrs",
        "celery>=5.2",
        "cryptography>=3.1",  # encrypts store secrets at rest (Fernet); the LMS already ships it
        "django-ratelimit>=4",  # limits seat-code redemption attempts; the LMS already ships it
        "djangorestframework",
        "drf-spectacular>=0.27",  # serves the API's OpenAPI description; the LMS already ships it
        "edx-ace>=1.7",  # the receipt email, through the LMS's own messaging; the LMS already ships it
        "edx-django-utils>=5.10",
        "edx-drf-extensions>=9",
        "edx-opaque-keys",
        "openedx-events>=9.0,<12",
        "openedx-filters>=1.8,<4",
        "requests>=2.28",  # backfill reads the stores' own APIs (the LMS already ships it)
        "stripe>=7",
    ],
    entry_points={
        "lms.djangoapp": ["commerce_plugin = commerce_plugin.apps:CommercePluginConfig"],
        # Store adapters, built-in or from any installed package: <kind> = <module>:<Adapter instance>.
        "commerce_plugin.stores": [
            "woocommerce = commerce_plugin.intake.stores.woocommerce:ADAPTER",
            "shopify = commerce_plugin.intake.stores.shopify:ADAPTER",
            "stripe = commerce_plugin.intake.stores.stripe:ADAPTER",
        ],
    },
    classifiers=[
        "Framework :: Django",
        "Framework :: Django :: 4.2",
        "Framework :: Django :: 5.2",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
    ],
)
