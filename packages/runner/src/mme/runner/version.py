"""Version of the mme-runner wheel."""

__version__ = "0.1.0"
