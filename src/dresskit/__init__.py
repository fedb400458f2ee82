"""dresskit: care and study of DRESS syndrome and severe drug eruptions."""

__version__ = "0.1.0"

__all__ = ["__version__"]
