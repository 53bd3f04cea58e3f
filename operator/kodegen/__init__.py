"""kodegen: formal specifications in, tested, scanned, provenance-stamped code out."""

__version__ = "0.1.0"
GENERATOR = "kodegen"
