"""Every exception class, each from a real failure, with the command line's
one-line message; and read-only SQL that refuses to write and changes
nothing."""

from __future__ import annotations

import threading

import pytest

import mdm
from mdm.exceptions import StorageError
from conftest import EXAMPLES


@pytest.fixture
def titanic(client):
    client.register_dataset("titanic", EXAMPLES / "titanic", target_column="Survived",
                            no_features=True)
    return client


def one_line(error: Exception) -> str:
    text = str(error)
    assert "\n" not in text.strip(), text
    return text


def test_a_missing_dataset_or_table_is_named(titanic):
    with pytest.raises(mdm.DatasetNotFoundError) as caught:
        titanic.load_table("nothing_here")
    assert "nothing_here" in one_line(caught.value)
    assert isinstance(caught.value, mdm.MDMError)
    with pytest.raises(mdm.DatasetNotFoundError):
        titanic.get_dataset_info("nothing_here")
    with pytest.raises(mdm.ValidationError) as caught:
        titanic.load_table("titanic", "validation")
    assert "no table 'validation'" in one_line(caught.value)
    with pytest.raises(mdm.ValidationError, match="format"):
        titanic.load_table("titanic", format="excel")


def test_registering_a_taken_name_needs_force(titanic):
    with pytest.raises(mdm.DatasetAlreadyExistsError) as caught:
        titanic.register_dataset("titanic", EXAMPLES / "titanic", no_features=True)
    assert "titanic" in one_line(caught.value)
    info = titanic.register_dataset("titanic", EXAMPLES / "titanic", target_column="Survived",
                                    force=True, no_features=True)
    assert info.table_rows["train"] == 200


def test_bad_register_arguments_are_validation_errors(client, tmp_path):
    with pytest.raises(mdm.ValidationError, match="no-such-flag"):
        client.register_dataset("x", EXAMPLES / "titanic", no_such_flag=True)
    with pytest.raises(mdm.ValidationError):
        client.register_dataset("x", tmp_path / "missing.csv")
    with pytest.raises(mdm.ValidationError):
        client.register_dataset("bad name!", EXAMPLES / "titanic")
    assert client.list_datasets() == []


def test_writing_statements_are_refused_and_change_nothing(titanic, home):
    before = titanic.query_dataset("titanic", "SELECT COUNT(*) AS n FROM train")["n"][0]
    statements = [
        "DELETE FROM train",
        "DROP TABLE train",
        "UPDATE train SET Age = 0",
        "SELECT 1; DELETE FROM train",
        "WITH gone AS (DELETE FROM train RETURNING *) SELECT COUNT(*) FROM gone",
        "CREATE TABLE x AS SELECT * FROM train",
        "ATTACH DATABASE '/tmp/x.db' AS x",
        "PRAGMA query_only = OFF",
    ]
    for sql in statements:
        with pytest.raises(mdm.ValidationError) as caught:
            titanic.query_dataset("titanic", sql)
        one_line(caught.value)
    assert titanic.query_dataset("titanic", "SELECT COUNT(*) AS n FROM train")["n"][0] == before == 200
    assert titanic.load_table("titanic", format="arrow").num_rows == 200


def test_bad_sql_is_a_backend_error_naming_the_database(titanic):
    with pytest.raises(mdm.BackendError) as caught:
        titanic.query_dataset("titanic", "SELECT no_such_column FROM train")
    assert isinstance(caught.value, StorageError)
    assert "no_such_column" in str(caught.value)


def test_a_server_that_is_down_is_a_backend_error(tmp_path, monkeypatch):
    home = tmp_path / "down"
    home.mkdir()
    (home / "mdm.yaml").write_text(
        "database:\n  default_backend: postgresql\n  connection_timeout: 2\n"
        "  postgresql:\n    host: 127.0.0.1\n    port: 1\n    user: postgres\n"
    )
    monkeypatch.setenv("MDM_HOME", str(home))
    client = mdm.MDMClient()
    with pytest.raises(mdm.BackendError) as caught:
        client.load_table("anything")
    one_line(caught.value)


def test_a_bad_configuration_is_a_config_error(tmp_path, monkeypatch):
    home = tmp_path / "bad"
    home.mkdir()
    (home / "mdm.yaml").write_text("database:\n  default_backend: oracle\n")
    monkeypatch.setenv("MDM_HOME", str(home))
    with pytest.raises(mdm.ConfigError) as caught:
        mdm.MDMClient()
    assert "default_backend" in one_line(caught.value)
    other = tmp_path / "other.yaml"
    other.write_text("database:\n  default_backend: sqlite\n")
    assert mdm.MDMClient(config=other).backend == "sqlite"
    monkeypatch.setenv("MDM_HOME", str(tmp_path / "env"))
    monkeypatch.setenv("MDM_DATABASE_DEFAULT_BACKEND", "duckdb")
    assert mdm.MDMClient().backend == "duckdb"


def test_two_threads_load_at_once(titanic):
    results = {}
    errors = []

    def load(key):
        try:
            for _ in range(5):
                results[key] = titanic.load_table("titanic", format="arrow")
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=load, args=(k,)) for k in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert results[0].equals(results[1])
    assert results[0].num_rows == 200
