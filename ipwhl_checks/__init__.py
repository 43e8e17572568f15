"""IPWHL: a curated Python wheel repository published on IPFS as one PEP 503 index."""

__all__ = ["__version__"]

__version__ = "0.1.0"
