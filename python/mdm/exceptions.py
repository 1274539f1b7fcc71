"""mdm's exceptions: one class per exit code of the command line, each
carrying the command line's one-line message.

=========================== ========== =================================
class                       exit code  when
=========================== ========== =================================
``ValidationError``         2          invalid arguments, SQL that writes
``DatasetNotFoundError``    3          no dataset of that name
``DatasetAlreadyExistsError`` 4        the name is taken (``force=True``)
``AccessDeniedError``       5          the database or a file refused
``BackendError``            6          the database failed or is down
``ConfigError``             7          ``mdm.yaml`` or the environment
``MDMError``                1          anything else; base of them all
=========================== ========== =================================
"""

from ._mdm import (
    AccessDeniedError,
    BackendError,
    ConfigError,
    DatasetAlreadyExistsError,
    DatasetNotFoundError,
    MDMError,
    ValidationError,
)

#: The original MDM's name for a failure of the storage backend.
StorageError = BackendError

__all__ = [
    "MDMError",
    "DatasetNotFoundError",
    "DatasetAlreadyExistsError",
    "ValidationError",
    "ConfigError",
    "BackendError",
    "StorageError",
    "AccessDeniedError",
]
