"""mdm, the ML Data Manager, from Python.

``MDMClient`` registers, lists, loads, queries, exports and removes datasets
on the backend ``mdm.yaml`` configures (embedded SQLite, or SQLite, DuckDB
and PostgreSQL over ODBC), through the same Rust code as the ``mdm``
command line. Tables arrive as Arrow and become pandas or polars frames
without per-value Python objects.
"""

from ._mdm import __version__
from .exceptions import (
    AccessDeniedError,
    BackendError,
    ConfigError,
    DatasetAlreadyExistsError,
    DatasetNotFoundError,
    MDMError,
    StorageError,
    ValidationError,
)
from .api import DatasetInfo, MDMClient

__all__ = [
    "MDMClient",
    "DatasetInfo",
    "MDMError",
    "DatasetNotFoundError",
    "DatasetAlreadyExistsError",
    "ValidationError",
    "ConfigError",
    "BackendError",
    "StorageError",
    "AccessDeniedError",
    "__version__",
]
