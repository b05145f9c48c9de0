"""The installed alvh version (kept out of the package root so any layer can read it without importing ``alvh``)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("alvh")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"
