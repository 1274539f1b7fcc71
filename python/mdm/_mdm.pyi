"""Type stubs of the Rust extension; ``mdm.MDMClient`` is the public API."""

from typing import List, Optional

__version__: str

class MDMError(Exception): ...
class DatasetNotFoundError(MDMError): ...
class DatasetAlreadyExistsError(MDMError): ...
class ValidationError(MDMError): ...
class AccessDeniedError(MDMError): ...
class BackendError(MDMError): ...
class ConfigError(MDMError): ...

class TableStream:
    def export_to(self, address: int) -> None: ...
    def raise_error(self) -> None: ...

class Client:
    def __init__(self, config: Optional[str] = None) -> None: ...
    def backend(self) -> str: ...
    @staticmethod
    def odbc_support() -> bool: ...
    def list_json(self, filter: Optional[str] = None) -> str: ...
    def info_json(self, name: str) -> str: ...
    def search_json(
        self,
        pattern: Optional[str] = None,
        tags: List[str] = ...,
        problem_type: Optional[str] = None,
        min_rows: Optional[int] = None,
        max_rows: Optional[int] = None,
        data_source: Optional[str] = None,
    ) -> str: ...
    def stats_json(
        self, name: str, table: str, columns: List[str] = ..., extended: bool = False
    ) -> str: ...
    def register_json(self, arguments: List[str]) -> str: ...
    def update_json(
        self,
        name: str,
        description: Optional[str] = None,
        target: Optional[str] = None,
        problem_type: Optional[str] = None,
        tags: Optional[List[str]] = None,
        id_columns: Optional[List[str]] = None,
        time_column: Optional[str] = None,
        group_column: Optional[str] = None,
        stratify_column: Optional[str] = None,
        data_source: Optional[str] = None,
    ) -> str: ...
    def split_json(
        self,
        name: str,
        folds: int = 5,
        by: Optional[str] = None,
        gap: Optional[int] = None,
        seed: Optional[int] = None,
    ) -> str: ...
    def export_json(
        self,
        name: str,
        format: Optional[str] = None,
        compression: Optional[str] = None,
        output_dir: Optional[str] = None,
        output: Optional[str] = None,
        tables: List[str] = ...,
        columns: List[str] = ...,
        include_metadata: bool = False,
        no_metadata: bool = False,
        force: bool = False,
        no_features: bool = False,
    ) -> str: ...
    def remove(self, name: str) -> None: ...
    def open_table(
        self,
        name: str,
        table: str,
        columns: List[str] = ...,
        condition: Optional[str] = None,
        limit: Optional[int] = None,
        batch_size: Optional[int] = None,
        whole: bool = False,
    ) -> TableStream: ...
    def query(self, name: str, sql: str) -> TableStream: ...
