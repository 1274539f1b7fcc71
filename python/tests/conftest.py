"""Each test gets its own mdm home (and, on PostgreSQL, its own database
prefix) configured for the backend ``MDM_TEST_PROFILE`` names, as the Rust
end-to-end suite does: ``embedded`` (default), ``sqlite-odbc``, ``duckdb`` or
``postgresql``. The package under test is the one installed from
``python/``; the ``mdm`` binary (``MDM_BINARY``) registers comparison data
where a test needs the command line's view."""

from __future__ import annotations

import os
import subprocess
import itertools
from pathlib import Path

import pytest

PROFILE = os.environ.get("MDM_TEST_PROFILE", "embedded")
_COUNTER = itertools.count()

CONFIGS = {
    "embedded": None,
    "sqlite-odbc": "database:\n  sqlite:\n    odbc: { driver: MDM SQLite3 }\n",
    "duckdb": "database:\n  default_backend: duckdb\n",
    "postgresql": (
        "database:\n  default_backend: postgresql\n  postgresql:\n"
        "    host: 127.0.0.1\n    user: postgres\n    database_prefix: {prefix}\n"
    ),
}

BACKENDS = {
    "embedded": "sqlite",
    "sqlite-odbc": "sqlite",
    "duckdb": "duckdb",
    "postgresql": "postgresql",
}

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


class Home:
    """An isolated mdm installation."""

    def __init__(self, root: Path):
        self.root = root
        self.home = root / "home"
        self.home.mkdir(parents=True)
        self.prefix = f"mdmpy{os.getpid()}x{next(_COUNTER)}_"
        self.profile = PROFILE
        self.backend = BACKENDS[PROFILE]
        config = CONFIGS[PROFILE]
        if config is not None:
            (self.home / "mdm.yaml").write_text(config.replace("{prefix}", self.prefix))

    def mdm(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """The command line against this home."""
        binary = os.environ.get("MDM_BINARY", "mdm")
        env = {k: v for k, v in os.environ.items() if not k.startswith("MDM_")}
        env["MDM_HOME"] = str(self.home)
        return subprocess.run(
            [binary, *args], env=env, capture_output=True, text=True, check=check
        )

    def dataset_file(self, name: str) -> Path:
        """The database file of a file-backed dataset."""
        suffix = "duckdb" if self.backend == "duckdb" else "sqlite"
        return self.home / "datasets" / name / f"dataset.{suffix}"

    def database(self, name: str) -> str:
        """The PostgreSQL database of a dataset."""
        return f"{self.prefix}{name}"


@pytest.fixture
def home(tmp_path, monkeypatch):
    for key in list(os.environ):
        if key.startswith("MDM_") and key not in ("MDM_TEST_PROFILE", "MDM_BINARY"):
            monkeypatch.delenv(key)
    env = Home(tmp_path)
    monkeypatch.setenv("MDM_HOME", str(env.home))
    yield env
    if env.backend == "postgresql":
        import mdm

        client = mdm.MDMClient()
        for dataset in client.list_datasets():
            try:
                client.remove_dataset(dataset.name)
            except mdm.MDMError:
                pass


@pytest.fixture
def client(home):
    import mdm

    return mdm.MDMClient()
