"""Bulk stock import of absolute counts from a CSV file (format: `service.py`).

`service` validates and applies, `parsing` reads and checks the file, `postgres` applies it
with COPY and set-based SQL, `portable` through the stock feed service (SQLite).
"""

from .parsing import DEFAULT_REASON, MAX_REPORTED_ERRORS, StockImportResult
from .service import stock_import

__all__ = ["DEFAULT_REASON", "MAX_REPORTED_ERRORS", "StockImportResult", "stock_import"]
