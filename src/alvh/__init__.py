"""alvh: what a layered VIX hedge really costs an SPX iron condor trader.

Data flows one way; nothing imports upward::

    errors, config -> calendar -> data -> pricing (kernels) -> market
        -> strategy / engine -> simulate -> analytics -> results -> report -> cli
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("alvh")
except PackageNotFoundError:  # running from a source tree without installation
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
