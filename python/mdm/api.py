"""``MDMClient``: the original MDM's programmatic interface over mdm's Rust
core. Every method calls the same operation as the matching ``mdm dataset``
command; tables cross from the database as Arrow record batches.
"""

from __future__ import annotations

import ctypes
import json
import os
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple, Union

import pyarrow as pa

from . import _mdm
from .exceptions import MDMError, ValidationError

__all__ = ["MDMClient", "DatasetInfo"]

FORMATS = ("pandas", "arrow", "polars")

#: Kinds of columns that feed a model as they are stored.
_MODEL_KINDS = {"numeric", "boolean", "feature", "categorical"}
_MODEL_TYPES = {"integer", "float", "boolean"}


@dataclass
class DatasetInfo:
    """What mdm knows about a dataset (``mdm dataset info --json``)."""

    name: str
    backend: str
    description: Optional[str] = None
    tags: List[str] = field(default_factory=list)
    target_column: Optional[str] = None
    id_columns: List[str] = field(default_factory=list)
    problem_type: Optional[str] = None
    #: table -> the table's name in the database (feature tables included)
    tables: Dict[str, str] = field(default_factory=dict)
    #: table -> rows
    table_rows: Dict[str, int] = field(default_factory=dict)
    #: the model-ready columns of ``load_dataset``'s table: numbers and
    #: booleans, without ID, target and ignored columns (``None`` in listings)
    feature_columns: Optional[List[str]] = None
    row_count: int = 0
    column_count: int = 0
    size_mb: float = 0.0
    created_at: Optional[str] = None
    last_updated_at: Optional[str] = None
    source_path: Optional[str] = None
    data_source: Optional[str] = None
    time_column: Optional[str] = None
    group_column: Optional[str] = None
    stratify_column: Optional[str] = None
    target_columns: List[str] = field(default_factory=list)
    ignored_columns: List[str] = field(default_factory=list)
    #: table -> [{"name", "type", "kind"}, ...]
    columns: Dict[str, List[Dict[str, Any]]] = field(default_factory=dict)
    #: the record as mdm prints it with ``--json``
    raw: Dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def num_rows(self) -> int:
        """The original's ``DatasetManager`` name for ``row_count``."""
        return self.row_count

    @property
    def has_features(self) -> bool:
        return any(name.endswith("_features") for name in self.tables)

    @classmethod
    def _from_json(cls, value: Dict[str, Any]) -> "DatasetInfo":
        records = value.get("tables") or []
        schema = value.get("schema") or []
        tables = {t["name"]: t["name"] for t in records}
        table_rows = {t["name"]: int(t.get("rows", 0)) for t in records}
        columns: Dict[str, List[Dict[str, Any]]] = {}
        for table in schema:
            tables.setdefault(table["name"], table["name"])
            table_rows.setdefault(table["name"], int(table.get("rows", 0)))
            columns[table["name"]] = [
                {"name": c["name"], "type": c.get("type"), "kind": c.get("kind")}
                for c in table.get("columns", [])
            ]
        features = value.get("features") or {}
        for table in features.get("tables", []) if isinstance(features, dict) else []:
            name = table.get("name")
            source = table.get("source")
            if not name:
                continue
            tables[name] = name
            table_rows[name] = int(table.get("rows", table_rows.get(source, 0)))
            generated = [
                {"name": f["name"], "type": f.get("type"), "kind": "feature"}
                for f in table.get("features", [])
            ]
            columns[name] = list(columns.get(source, [])) + generated
        target = value.get("target")
        targets = value.get("target_columns") or ([target] if target else [])
        id_columns = list(value.get("id_columns") or [])
        ignored = list(value.get("ignore_columns") or value.get("ignored_columns") or [])
        main = "train" if "train" in columns else next(iter(columns), None)
        loaded = f"{main}_features" if main and f"{main}_features" in columns else main
        excluded = set(targets) | set(id_columns) | set(ignored) | {"_mdm_row"}
        feature_columns = [
            c["name"]
            for c in columns.get(loaded, [])
            if c["name"] not in excluded
            and c.get("kind") in _MODEL_KINDS
            and c.get("type") in _MODEL_TYPES
        ]
        size = value.get("size_bytes")
        return cls(
            name=value["name"],
            backend=value.get("backend", ""),
            description=value.get("description"),
            tags=list(value.get("tags") or []),
            target_column=target,
            id_columns=id_columns,
            problem_type=value.get("problem_type"),
            tables=tables,
            table_rows=table_rows,
            feature_columns=feature_columns if schema else None,
            row_count=table_rows.get("train", sum(t.get("rows", 0) for t in records)),
            column_count=len(columns.get(main, []))
            or next((int(t.get("columns", 0)) for t in records if t["name"] == main), 0),
            size_mb=(size or 0) / (1024 * 1024),
            created_at=value.get("created_at"),
            last_updated_at=value.get("updated_at"),
            source_path=value.get("source"),
            data_source=value.get("data_source"),
            time_column=value.get("time_column"),
            group_column=value.get("group_column"),
            stratify_column=value.get("stratify_column"),
            target_columns=list(targets),
            ignored_columns=ignored,
            columns=columns,
            raw=value,
        )


class _ArrowArrayStream(ctypes.Structure):
    """The Arrow C stream interface's ``struct ArrowArrayStream``."""

    _fields_ = [
        ("get_schema", ctypes.c_void_p),
        ("get_next", ctypes.c_void_p),
        ("get_last_error", ctypes.c_void_p),
        ("release", ctypes.c_void_p),
        ("private_data", ctypes.c_void_p),
    ]


def _reader(stream: Any) -> pa.RecordBatchReader:
    holder = _ArrowArrayStream()
    address = ctypes.addressof(holder)
    stream.export_to(address)
    return pa.RecordBatchReader._import_from_c(address)


def _read(reader: pa.RecordBatchReader, stream: Any) -> Iterator[pa.RecordBatch]:
    """The reader's batches; an error that ended the stream raised as mdm's.
    Ctrl-C stops between batches and closes the stream (the reading thread
    then stops too)."""
    try:
        while True:
            try:
                batch = reader.read_next_batch()
            except StopIteration:
                break
            except (pa.ArrowException, OSError) as error:
                stream.raise_error()
                raise MDMError(str(error)) from None
            yield batch
        stream.raise_error()
    finally:
        reader.close()


def _batches(stream: Any) -> Iterator[pa.RecordBatch]:
    return _read(_reader(stream), stream)


def _table(stream: Any) -> pa.Table:
    reader = _reader(stream)
    schema = reader.schema
    return pa.Table.from_batches(list(_read(reader, stream)), schema=schema)


def _to_pandas(table: pa.Table):
    """pandas with mdm's types: integers with NULLs as the nullable
    ``Int64`` (never float: IDs above 2**53 survive), booleans with NULLs as
    ``boolean``, dates as ``datetime.date``, timestamps as ``datetime64``."""
    import pandas as pd

    nullable = {
        index: (pd.Int64Dtype() if pa.types.is_integer(f.type) else pd.BooleanDtype())
        for index, f in enumerate(table.schema)
        if (pa.types.is_integer(f.type) or pa.types.is_boolean(f.type))
        and table.column(index).null_count > 0
    }
    if not nullable:
        return table.to_pandas()
    keep = [i for i in range(table.num_columns) if i not in nullable]
    frame = table.select(keep).to_pandas()
    for index, dtype in sorted(nullable.items()):
        column = table.column(index)
        series = column.to_pandas(types_mapper={column.type: dtype}.get)
        frame.insert(index, table.schema.field(index).name, series.values, allow_duplicates=True)
    return frame


def _convert(table: pa.Table, format: str):
    if format == "arrow":
        return table
    if format == "pandas":
        return _to_pandas(table)
    if format == "polars":
        import polars as pl

        return pl.from_arrow(table)
    raise ValidationError(f"format: `{format}` is not one of: {', '.join(FORMATS)}")


def _check_format(format: str) -> None:
    if format not in FORMATS:
        raise ValidationError(f"format: `{format}` is not one of: {', '.join(FORMATS)}")


def _names(value: Union[None, str, Sequence[str]]) -> List[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [v.strip() for v in value.split(",") if v.strip()]
    return [str(v) for v in value]


#: The original MDM's keyword names for register flags that mdm spells differently.
_REGISTER_ALIASES = {
    "target_column": "target",
    "target_columns": "target",
    "dataset_path": "path",
    "train_path": "train",
    "test_path": "test",
    "validation_path": "validation",
    "submission_path": "submission",
}


class MDMClient:
    """mdm's datasets from Python, on the backend ``mdm.yaml`` configures.

    ``config`` is a path to another ``mdm.yaml``; ``MDM_HOME`` and the
    ``MDM_*`` variables apply as on the command line.
    """

    def __init__(self, config: Optional[Union[str, os.PathLike]] = None):
        self._client = _mdm.Client(os.fspath(config) if config is not None else None)

    @property
    def backend(self) -> str:
        """The configured backend: ``sqlite``, ``duckdb`` or ``postgresql``."""
        return self._client.backend()

    # -- finding datasets ---------------------------------------------------

    def list_datasets(
        self,
        problem_type: Optional[str] = None,
        min_rows: Optional[int] = None,
        max_rows: Optional[int] = None,
        tag: Optional[str] = None,
        limit: Optional[int] = None,
        sort_by: str = "name",
        filter: Optional[str] = None,
    ) -> List[DatasetInfo]:
        """The current backend's datasets (``mdm dataset list``); ``filter``
        is a ``--filter`` expression (``"row_count > 1000 AND has_test = true"``)."""
        found = json.loads(self._client.list_json(filter))
        if problem_type or min_rows is not None or max_rows is not None or tag:
            matching = {
                d["name"]
                for d in json.loads(
                    self._client.search_json(None, _names(tag), problem_type, min_rows, max_rows)
                )
            }
            found = [d for d in found if d["name"] in matching]
        infos = [self._listed(v) for v in found]
        key = {
            "name": lambda i: i.name,
            "registration_date": lambda i: i.created_at or "",
            "size": lambda i: i.size_mb,
            "rows": lambda i: i.row_count,
        }.get(sort_by)
        if key is None:
            raise ValidationError(
                "sort_by: one of name, registration_date, size, rows"
            )
        infos.sort(key=key)
        return infos[:limit] if limit is not None else infos

    @staticmethod
    def _listed(value: Dict[str, Any]) -> DatasetInfo:
        return DatasetInfo._from_json(value)

    def search_datasets(
        self,
        pattern: Optional[str] = None,
        tag: Optional[str] = None,
        problem_type: Optional[str] = None,
        deep: bool = False,
        source: Optional[str] = None,
    ) -> List[DatasetInfo]:
        """Datasets whose name or description matches ``pattern`` (a glob
        or a substring), with ``tag``, of ``problem_type`` and from
        ``source`` (the data-source label; ``mdm dataset search``)."""
        found = json.loads(
            self._client.search_json(pattern, _names(tag), problem_type, None, None, source)
        )
        return [self._listed(v) for v in found]

    def search_datasets_by_tag(self, tag: str) -> List[DatasetInfo]:
        """Datasets carrying ``tag``."""
        return self.search_datasets(tag=tag)

    def dataset_exists(self, name: str) -> bool:
        from .exceptions import DatasetNotFoundError

        try:
            self._client.info_json(name)
            return True
        except DatasetNotFoundError:
            return False

    def get_dataset_info(self, name: str) -> DatasetInfo:
        """Everything ``mdm dataset info --json`` says about ``name``."""
        return DatasetInfo._from_json(json.loads(self._client.info_json(name)))

    def get_dataset(self, name: str) -> DatasetInfo:
        """The original's alias of ``get_dataset_info``."""
        return self.get_dataset_info(name)

    def get_dataset_stats(
        self, name: str, table: str = "train", columns: Optional[Sequence[str]] = None,
        extended: bool = False,
    ) -> Dict[str, Any]:
        """Column statistics of a table (``mdm dataset stats --json``) with
        the original's summary keys: ``missing_percentage``,
        ``numeric_columns``, ``categorical_columns``, ``target_distribution``."""
        report = json.loads(
            self._client.stats_json(name, table, _names(columns), extended)
        )
        rows = report.get("rows") or 0
        stats = report.get("columns", [])
        missing = sum(c.get("nulls") or 0 for c in stats)
        cells = rows * len(stats)
        report["missing_percentage"] = 100.0 * missing / cells if cells else 0.0
        report["numeric_columns"] = [c["name"] for c in stats if c.get("kind") == "numeric"]
        report["categorical_columns"] = [
            c["name"] for c in stats if c.get("kind") in ("categorical", "boolean")
        ]
        info = self.get_dataset_info(name)
        distribution = None
        target = next((c for c in stats if c["name"] == info.target_column), None)
        classes = info.problem_type is not None and "classif" in info.problem_type
        if target is not None and (classes or target.get("type") in ("text", "boolean")):
            counts = self.query_dataset(
                name,
                f"SELECT {_quote(target['name'])} AS value, COUNT(*) AS n "
                f"FROM {_quote(table)} GROUP BY {_quote(target['name'])} "
                f"ORDER BY {_quote(target['name'])}",
                format="arrow",
            ).to_pylist()
            distribution = {row["value"]: row["n"] for row in counts}
        report["target_distribution"] = distribution
        return report

    def get_column_stats(self, name: str, column: str, table: str = "train") -> Dict[str, Any]:
        """One column's statistics, with ``missing_count`` and
        ``missing_percentage``."""
        report = json.loads(self._client.stats_json(name, table, [column], True))
        stats = dict(report["columns"][0])
        rows = report.get("rows") or 0
        stats["missing_count"] = stats.get("nulls", 0)
        stats["missing_percentage"] = 100.0 * stats["missing_count"] / rows if rows else 0.0
        return stats

    def get_feature_info(self, name: str) -> Dict[str, Any]:
        """The generated features: ``total_features``, ``numeric_features``,
        ``categorical_features``, ``generated_features``."""
        info = self.get_dataset_info(name)
        source = info.columns.get("train", [])
        generated = [
            c["name"] for cols in info.columns.values() for c in cols if c.get("kind") == "feature"
        ]
        return {
            "total_features": len(info.feature_columns or []),
            "numeric_features": [c["name"] for c in source if c.get("kind") == "numeric"],
            "categorical_features": [c["name"] for c in source if c.get("kind") == "categorical"],
            "generated_features": generated,
            "features": info.raw.get("features"),
        }

    # -- reading data -------------------------------------------------------

    def load_table(
        self,
        name: str,
        table: str = "train",
        columns: Optional[Sequence[str]] = None,
        where: Optional[str] = None,
        limit: Optional[int] = None,
        format: str = "pandas",
    ):
        """One table of the dataset (``train``, ``test``, ``train_features``,
        ...) as pandas (default), ``"arrow"`` (a ``pyarrow.Table``) or
        ``"polars"``. ``where`` is an SQL condition over its columns,
        ``limit`` a row count."""
        _check_format(format)
        stream = self._client.open_table(
            name, table, _names(columns), where, limit, None, True
        )
        # The table is being read meanwhile: the DataFrame library's first
        # import overlaps with it.
        if format == "pandas":
            import pandas  # noqa: F401
        elif format == "polars":
            import polars  # noqa: F401
        return _convert(_table(stream), format)

    def load_dataset(
        self,
        name: str,
        include_features: bool = True,
        columns: Optional[Sequence[str]] = None,
        sample_size: Optional[int] = None,
        where: Optional[str] = None,
        format: str = "pandas",
    ):
        """The training table: its feature table when there is one and
        ``include_features``, else ``train``. ``sample_size`` keeps the first
        that many rows."""
        info = self.get_dataset_info(name)
        main = "train" if "train" in info.tables else next(iter(info.tables), "train")
        table = main
        if include_features and f"{main}_features" in info.tables:
            table = f"{main}_features"
        return self.load_table(name, table, columns, where, sample_size, format)

    def iter_batches(
        self,
        name: str,
        table: str = "train",
        batch_size: int = 65536,
        columns: Optional[Sequence[str]] = None,
        where: Optional[str] = None,
    ) -> Iterator[pa.RecordBatch]:
        """``pyarrow.RecordBatch``es of at most ``batch_size`` rows, streamed
        from the database: a table larger than memory is read in flat
        memory."""
        if batch_size < 1:
            raise ValidationError("batch_size: must be at least 1")
        stream = self._client.open_table(
            name, table, _names(columns), where, None, batch_size
        )
        return _batches(stream)

    # -- validation folds ---------------------------------------------------

    def split_dataset(
        self,
        name: str,
        folds: int = 5,
        by: Optional[str] = None,
        gap: Optional[int] = None,
        seed: Optional[int] = None,
    ) -> Dict[str, Any]:
        """Stores validation folds in the dataset (``mdm dataset split``):
        ``by`` is ``"random"``, ``"stratified"``, ``"group"`` or ``"time"``
        (default: from the dataset's time, group and target columns);
        ``gap`` is in days for time splits. Returns the folds' description
        as ``info`` shows it."""
        return json.loads(self._client.split_json(name, folds, by, gap, seed))

    def get_folds(
        self,
        name: str,
        columns: Optional[Sequence[str]] = None,
        format: str = "pandas",
    ) -> Iterator[Tuple[Any, Any]]:
        """``(train, valid)`` tables for each fold stored by
        ``split_dataset``, read from the train table in the database. Time
        splits validate blocks 1..K, each trained on the earlier blocks less
        the gap."""
        _check_format(format)
        folds = json.loads(self._client.info_json(name)).get("folds")
        if not folds:
            raise ValidationError(
                f"dataset '{name}' has no folds; create them with "
                f"`mdm dataset split {name}` or client.split_dataset('{name}')"
            )
        table = _quote(folds["table"])
        row = _quote("_mdm_row")

        def rows(condition: str) -> str:
            return f"{row} IN (SELECT {row} FROM {table} WHERE {condition})"

        for fold in folds["summary"]:
            k = int(fold["fold"])
            if folds["by"] == "time":
                if fold.get("train_before") is None:
                    continue
                before = str(fold["train_before"]).replace("'", "''")
                train_where = (
                    f"{rows(f'fold < {k}')} AND {_quote(folds['column'])} < '{before}'"
                )
            else:
                train_where = rows(f"fold <> {k}")
            valid_where = rows(f"fold = {k}")
            yield (
                self.load_table(name, "train", columns, train_where, None, format),
                self.load_table(name, "train", columns, valid_where, None, format),
            )

    def query_dataset(self, name: str, sql: str, format: str = "pandas"):
        """The result of one read-only SQL statement on the dataset's own
        database, whatever its backend. A statement that writes is a
        ``ValidationError`` and changes nothing."""
        _check_format(format)
        return _convert(_table(self._client.query(name, sql)), format)

    def load_xy(self, name: str, include_features: bool = True, format: str = "pandas"):
        """``(X, y)`` for training: ``X`` the model-ready columns
        (``DatasetInfo.feature_columns``), ``y`` the target (a frame of the
        targets when there are several)."""
        info = self.get_dataset_info(name)
        targets = info.target_columns or ([info.target_column] if info.target_column else [])
        if not targets:
            raise ValidationError(
                f"dataset '{name}' has no target; set one with update_dataset(target_column=...)"
            )
        frame = self.load_dataset(name, include_features=include_features, format=format)
        features = [c for c in (info.feature_columns or []) if c in frame.columns]
        if not include_features:
            features = [
                c["name"]
                for c in info.columns.get("train", [])
                if c["name"] not in set(targets) | set(info.id_columns) | set(info.ignored_columns)
                and c.get("type") in _MODEL_TYPES
            ]
        if format == "arrow":
            return frame.select(features), frame.select(targets)
        y = frame[targets[0]] if len(targets) == 1 else frame[targets]
        return frame[features], y

    def prepare_data(self, name: str, include_features: bool = True):
        """The original's name for ``load_xy``."""
        return self.load_xy(name, include_features=include_features)

    def create_submission(
        self,
        name: str,
        predictions: Any,
        output_path: Union[str, os.PathLike],
    ) -> str:
        """Writes a submission CSV: the ID column(s) of the ``submission``
        table (else of ``test``) and the predictions under the target's
        name, in the table's row order. Returns the path written."""
        import pandas as pd

        info = self.get_dataset_info(name)
        if not info.target_column:
            raise ValidationError(f"dataset '{name}' has no target column")
        source = "submission" if "submission" in info.tables else "test"
        if source not in info.tables:
            raise ValidationError(f"dataset '{name}' has neither a submission nor a test table")
        source_columns = [c["name"] for c in info.columns.get(source, [])]
        ids = [c for c in info.id_columns if c in source_columns]
        if not ids:
            ids = [c for c in source_columns if c != info.target_column][:1]
        frame = self.load_table(name, source, columns=ids)
        values = predictions.to_numpy() if hasattr(predictions, "to_numpy") else list(predictions)
        if len(values) != len(frame):
            raise ValidationError(
                f"predictions: {len(values)} values for {len(frame)} rows of table '{source}'"
            )
        frame[info.target_column] = values
        path = os.fspath(output_path)
        frame.to_csv(path, index=False)
        return path

    # -- changing datasets --------------------------------------------------

    def register_dataset(
        self,
        name: str,
        path: Optional[Union[str, os.PathLike]] = None,
        target_column: Optional[str] = None,
        id_columns: Optional[Sequence[str]] = None,
        problem_type: Optional[str] = None,
        force: bool = False,
        **options: Any,
    ) -> DatasetInfo:
        """Registers a file or folder as ``mdm dataset register`` does; every
        register flag is a keyword (``description="..."``, ``tags=[...]``,
        ``no_features=True``, ``delimiter=";"``, ``bad_rows="skip"``, ...)."""
        arguments: List[str] = [name]
        if path is None and "dataset_path" in options:
            path = options.pop("dataset_path")
        if path is not None:
            arguments.append(os.fspath(path))
        flags: Dict[str, Any] = {
            "target": target_column,
            "id_columns": id_columns,
            "problem_type": problem_type,
            "force": force,
        }
        if options.pop("generate_features", True) is False:
            flags["no_features"] = True
        options.pop("auto_analyze", None)
        for key, value in options.items():
            flags[_REGISTER_ALIASES.get(key, key)] = value
        for key, value in flags.items():
            if value is None or value is False:
                continue
            flag = "--" + key.replace("_", "-")
            if value is True:
                arguments.append(flag)
            elif isinstance(value, (list, tuple)):
                arguments += [flag, ",".join(str(v) for v in value)]
            else:
                arguments += [flag, os.fspath(value) if isinstance(value, os.PathLike) else str(value)]
        self._client.register_json(arguments)
        return self.get_dataset_info(name)

    def update_dataset(
        self,
        name: str,
        description: Optional[str] = None,
        tags: Optional[Sequence[str]] = None,
        target_column: Optional[str] = None,
        problem_type: Optional[str] = None,
        id_columns: Optional[Sequence[str]] = None,
        time_column: Optional[str] = None,
        group_column: Optional[str] = None,
        stratify_column: Optional[str] = None,
        source: Optional[str] = None,
    ) -> DatasetInfo:
        """Changes what ``mdm dataset update`` changes (an empty string
        clears a column role or the source)."""
        self._client.update_json(
            name,
            description,
            target_column,
            problem_type,
            None if tags is None else _names(tags),
            None if id_columns is None else _names(id_columns),
            time_column,
            group_column,
            stratify_column,
            source,
        )
        return self.get_dataset_info(name)

    def export_dataset(
        self,
        name: str,
        format: Optional[str] = None,
        output_dir: Optional[Union[str, os.PathLike]] = None,
        compression: Optional[str] = None,
        tables: Optional[Sequence[str]] = None,
        columns: Optional[Sequence[str]] = None,
        include_metadata: bool = True,
        output: Optional[Union[str, os.PathLike]] = None,
        include_features: bool = True,
        force: bool = False,
    ) -> List[str]:
        """Writes tables as CSV, JSON Lines or Parquet files
        (``mdm dataset export``); returns the files written."""
        report = json.loads(
            self._client.export_json(
                name,
                format,
                compression,
                None if output_dir is None else os.fspath(output_dir),
                None if output is None else os.fspath(output),
                _names(tables),
                _names(columns),
                bool(include_metadata and output is not None),
                not include_metadata,
                force,
                not include_features,
            )
        )
        files = [f["path"] for f in report.get("files", [])]
        if report.get("metadata_file"):
            files.append(report["metadata_file"])
        return files

    def remove_dataset(self, name: str, force: bool = False) -> None:
        """Deletes the dataset and its data (no question asked)."""
        self._client.remove(name)


def _quote(identifier: str) -> str:
    return '"' + identifier.replace('"', '""') + '"'
