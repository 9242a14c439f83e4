"""The version, read by hatch at build time and by ``lark_async.__version__``."""

__version__ = "0.1.0"
