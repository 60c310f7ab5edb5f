"""The statistics' known data set (``tests/insights/test_stats.py``) for the other modules here."""

from tests.insights.test_stats import shop  # noqa: F401
