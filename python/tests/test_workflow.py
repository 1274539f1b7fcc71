"""A modeller's day from Python: the original MDM's documented examples run
as written (only the import line may differ), a submission, and the
register -> load -> export -> register again -> remove cycle."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pandas as pd
import pytest

import mdm
from conftest import EXAMPLES

# "Complete Example: ML Workflow" of the original MDM's Programmatic API
# document, unchanged.
ORIGINAL_WORKFLOW = '''
from mdm.api import MDMClient
import pandas as pd
from sklearn.model_selection import train_test_split
from sklearn.ensemble import RandomForestClassifier
from sklearn.metrics import accuracy_score

# Initialize MDM client
client = MDMClient()

# Register Titanic dataset
client.register_dataset(
    name="titanic",
    path="data/titanic.csv",
    target_column="Survived",
    problem_type="binary_classification",
    id_columns=["PassengerId"]
)

# Load data with automatic feature engineering
df = client.load_dataset("titanic")

# Get dataset info
info = client.get_dataset_info("titanic")
print(f"Features: {len(info.feature_columns)} columns")
print(f"Target distribution: {df[info.target_column].value_counts().to_dict()}")

# Prepare data for modeling
X = df[info.feature_columns]
y = df[info.target_column]

# Split data
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.2, random_state=42, stratify=y
)

# Train model
rf = RandomForestClassifier(n_estimators=100, random_state=42)
rf.fit(X_train, y_train)

# Evaluate
y_pred = rf.predict(X_test)
accuracy = accuracy_score(y_test, y_pred)
print(f"Accuracy: {accuracy:.4f}")

# Export results
client.export_dataset(
    "titanic",
    format="parquet",
    output_dir="./exports/titanic"
)
'''

# Its "Dataset Information and Statistics" and "Error Handling" snippets.
ORIGINAL_INFO_AND_ERRORS = '''
from mdm.api import MDMClient
client = MDMClient()

info = client.get_dataset_info("titanic")
print(f"Name: {info.name}")
print(f"Description: {info.description}")
print(f"Target: {info.target_column}")
print(f"Problem type: {info.problem_type}")
print(f"Row count: {info.row_count}")
print(f"Column count: {info.column_count}")
print(f"Features: {info.feature_columns}")
print(f"ID columns: {info.id_columns}")
print(f"Tables: {info.tables}")
print(f"Size: {info.size_mb:.2f} MB")
print(f"Backend: {info.backend}")

stats = client.get_dataset_stats("titanic")
print(f"Missing values: {stats['missing_percentage']:.2f}%")
print(f"Numeric columns: {stats['numeric_columns']}")
print(f"Categorical columns: {stats['categorical_columns']}")
print(f"Target distribution: {stats['target_distribution']}")

column_stats = client.get_column_stats("titanic", "Age")
print(f"Mean: {column_stats['mean']:.2f}")
print(f"Std: {column_stats['std']:.2f}")
print(f"Missing: {column_stats['missing_count']} ({column_stats['missing_percentage']:.2f}%)")

from mdm.exceptions import (
    DatasetNotFoundError,
    DatasetAlreadyExistsError,
    ValidationError,
    StorageError
)

try:
    df = client.load_dataset("nonexistent")
except DatasetNotFoundError as e:
    print(f"Dataset not found: {e}")

try:
    client.register_dataset(
        name="titanic",
        path="data/titanic.csv",
        target_column="Survived"
    )
except DatasetAlreadyExistsError as e:
    print(f"Dataset already exists: {e}")

try:
    client.register_dataset(
        name="invalid dataset name!",
        path="/nonexistent/path",
        target_column="target"
    )
except ValidationError as e:
    print(f"Validation error: {e}")

datasets = client.list_datasets()
for ds in datasets:
    print(f"{ds.name}: {ds.row_count} rows, {ds.problem_type}")
results = client.search_datasets("tit")
print("found", [r.name for r in results])
'''


def run_script(home, cwd, source):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MDM_")}
    env["MDM_HOME"] = str(home.home)
    return subprocess.run(
        [sys.executable, "-c", source], cwd=cwd, env=env, capture_output=True, text=True
    )


def test_the_original_documentations_examples_run_as_written(home, tmp_path):
    work = tmp_path / "notebook"
    (work / "data").mkdir(parents=True)
    shutil.copy(EXAMPLES / "titanic" / "train.csv", work / "data" / "titanic.csv")
    done = run_script(home, work, ORIGINAL_WORKFLOW)
    assert done.returncode == 0, done.stderr
    assert "Accuracy: " in done.stdout
    accuracy = float(done.stdout.split("Accuracy: ")[1].split()[0])
    assert 0.5 <= accuracy <= 1.0
    assert "Target distribution: {0: 111, 1: 89}" in done.stdout
    assert (work / "exports" / "titanic" / "train.parquet").exists()
    exported = pd.read_parquet(work / "exports" / "titanic" / "train.parquet")
    assert len(exported) == 200

    done = run_script(home, work, ORIGINAL_INFO_AND_ERRORS)
    assert done.returncode == 0, done.stderr
    out = done.stdout
    assert "Problem type: binary_classification" in out
    assert "Row count: 200" in out
    assert "ID columns: ['PassengerId']" in out
    assert f"Backend: {home.backend}" in out
    assert "Target distribution: {0: 111, 1: 89}" in out
    assert "Dataset not found: dataset 'nonexistent' not found" in out
    assert "Dataset already exists:" in out
    assert "Validation error:" in out
    assert "titanic: 200 rows, binary_classification" in out
    assert "found ['titanic']" in out


def test_load_xy_and_a_submission_from_the_kaggle_folder(client, tmp_path):
    client.register_dataset("titanic", EXAMPLES / "titanic", target_column="Survived")
    X, y = client.load_xy("titanic")
    info = client.get_dataset_info("titanic")
    assert list(X.columns) == info.feature_columns
    assert "Survived" not in X.columns and "PassengerId" not in X.columns
    assert y.name == "Survived" and len(y) == len(X) == 200
    from sklearn.linear_model import LogisticRegression

    numeric = X.astype("float64").fillna(0.0)
    model = LogisticRegression(max_iter=5000).fit(numeric, y)
    test = client.load_table("titanic", "test_features")
    predictions = model.predict(test[info.feature_columns].astype("float64").fillna(0.0))
    path = client.create_submission("titanic", predictions, tmp_path / "submission.csv")
    written = pd.read_csv(path)
    sample = pd.read_csv(EXAMPLES / "titanic" / "sample_submission.csv")
    assert list(written.columns) == list(sample.columns) == ["PassengerId", "Survived"]
    assert written["PassengerId"].tolist() == sample["PassengerId"].tolist()
    assert written["Survived"].tolist() == list(predictions)
    with pytest.raises(mdm.ValidationError, match="3 values for 80 rows"):
        client.create_submission("titanic", [0, 1, 0], tmp_path / "short.csv")


def test_register_load_export_register_again_remove(client, home, tmp_path):
    info = client.register_dataset(
        "sales",
        EXAMPLES / "titanic" / "train.csv",
        target_column="Fare",
        description="Passengers as sales",
        tags=["demo", "python"],
        no_features=True,
    )
    assert info.backend == home.backend
    assert info.problem_type == "regression"
    assert info.tags == ["demo", "python"]
    original = client.load_table("sales", format="arrow")
    files = client.export_dataset("sales", format="parquet", output_dir=tmp_path / "out")
    assert any(f.endswith("train.parquet") for f in files)
    assert any(f.endswith("sales_metadata.yaml") for f in files)
    client.register_dataset("sales_copy", tmp_path / "out", no_features=True)
    again = client.load_table("sales_copy", format="arrow")
    assert again.equals(original)
    copy = client.get_dataset_info("sales_copy")
    assert copy.target_column == "Fare"
    assert copy.description == "Passengers as sales"
    updated = client.update_dataset("sales", description="changed", tags=["x"])
    assert updated.description == "changed" and updated.tags == ["x"]
    assert [d.name for d in client.search_datasets(tag="x")] == ["sales"]
    assert {d.name for d in client.list_datasets()} == {"sales", "sales_copy"}
    client.remove_dataset("sales")
    client.remove_dataset("sales_copy", force=True)
    assert client.list_datasets() == []
    with pytest.raises(mdm.DatasetNotFoundError):
        client.load_table("sales")


def test_the_cli_sees_what_python_registered(client, home):
    client.register_dataset("titanic", EXAMPLES / "titanic", target_column="Survived",
                            no_features=True)
    listed = home.mdm("dataset", "list", "--json").stdout
    assert '"titanic"' in listed
    shown = home.mdm("dataset", "info", "titanic", "--json").stdout
    assert '"binary_classification"' in shown


def test_a_ctrl_c_during_a_long_load_stops_it_cleanly(client, home, tmp_path):
    rows = 400_000
    path = tmp_path / "long.csv"
    with open(path, "w") as out:
        out.write("id,value,label\n")
        for i in range(rows):
            out.write(f"{i},{i * 0.5},label {i % 13}\n")
    client.register_dataset("long", path, no_features=True)
    script = textwrap.dedent(
        """
        import _thread, threading, time, mdm
        client = mdm.MDMClient()
        threading.Timer(0.2, _thread.interrupt_main).start()
        try:
            for batch in client.iter_batches("long", batch_size=1000):
                time.sleep(0.01)
            print("finished")
        except KeyboardInterrupt:
            print("interrupted")
        table = client.load_table("long", format="arrow")
        print("rows", table.num_rows)
        """
    )
    done = run_script(home, tmp_path, script)
    assert done.returncode == 0, done.stderr
    assert "interrupted" in done.stdout
    assert f"rows {rows}" in done.stdout


def test_list_filters_and_column_roles_from_python(client, tmp_path):
    client.register_dataset(
        "titanic", EXAMPLES / "titanic", target_column="Survived", no_features=True,
        time_column=None, group_column="Pclass", ignore_columns=["Cabin"], source="kaggle",
    )
    client.register_dataset("plain", EXAMPLES / "titanic" / "test.csv", no_features=True)
    info = client.get_dataset_info("titanic")
    assert info.group_column == "Pclass"
    assert info.ignored_columns == ["Cabin"]
    assert info.data_source == "kaggle"
    assert "Cabin" not in (info.feature_columns or [])
    assert [d.name for d in client.list_datasets(filter="source = kaggle")] == ["titanic"]
    assert [d.name for d in client.list_datasets(filter="has_test = false")] == ["plain"]
    assert [d.name for d in client.search_datasets(source="KAGGLE")] == ["titanic"]
    with pytest.raises(mdm.ValidationError, match="unknown field 'rows'"):
        client.list_datasets(filter="rows > 1")
    updated = client.update_dataset("titanic", stratify_column="Survived", source="")
    assert updated.stratify_column == "Survived" and updated.data_source is None


def test_files_written_by_pandas_register_by_name_with_a_time_column(client, home, tmp_path):
    days = pd.date_range("2024-01-01", "2024-03-31", freq="D")
    kept = days.delete([9, 10, 40])
    frame = pd.DataFrame({"day": kept, "store": "s1", "sales": range(len(kept))})
    frame.to_parquet(tmp_path / "train.parquet")  # written by pyarrow
    frame.head(10).drop(columns="sales").to_csv(tmp_path / "test.csv", index=False)
    info = client.register_dataset(
        "daily", train=tmp_path / "train.parquet", test=tmp_path / "test.csv",
        target_column="sales", time_column="day", no_features=True,
    )
    assert info.time_column == "day" and info.table_rows == {"train": len(kept), "test": 10}
    loaded = client.load_table("daily")
    assert pd.to_datetime(loaded["day"]).tolist() == list(kept)
    report = json.loads(home.mdm("dataset", "stats", "daily", "--time", "--json").stdout)
    missing = sorted(set(days) - set(kept))
    assert report["missing_steps"] == len(missing) == 3
    assert report["step"] == "1 day"
    assert [m[:10] for m in report["first_missing"]] == [str(d.date()) for d in missing]


def test_folds_from_python_feed_scikit_learn_and_never_leak(client, tmp_path):
    from sklearn.linear_model import LogisticRegression

    client.register_dataset(
        "titanic", EXAMPLES / "titanic", target_column="Survived", no_features=True
    )
    with pytest.raises(mdm.ValidationError, match="has no folds"):
        next(client.get_folds("titanic"))
    folds = client.split_dataset("titanic", folds=4)
    assert folds["by"] == "stratified" and folds["keys"] == ["PassengerId", "_mdm_row"]
    whole = client.load_table("titanic")
    assert "_mdm_row" not in whole.columns
    share = whole["Survived"].mean()
    seen = []
    scores = []
    for train, valid in client.get_folds("titanic", columns=["PassengerId", "Pclass", "Fare", "Survived"]):
        assert not set(train["PassengerId"]) & set(valid["PassengerId"])
        assert len(train) + len(valid) == len(whole)
        assert abs(valid["Survived"].mean() - share) <= 0.03
        seen.extend(valid["PassengerId"])
        X, y = train[["Pclass", "Fare"]].fillna(0), train["Survived"]
        model = LogisticRegression().fit(X, y)
        scores.append(model.score(valid[["Pclass", "Fare"]].fillna(0), valid["Survived"]))
    assert sorted(seen) == sorted(whole["PassengerId"])
    assert len(scores) == 4 and all(0.5 < s <= 1.0 for s in scores)

    # A time split from a file pandas wrote: every fold trains strictly
    # before its validation block, less the gap.
    days = pd.date_range("2024-01-01", "2024-06-30", freq="D").repeat(3)
    frame = pd.DataFrame({"day": days, "sales": range(len(days))})
    frame.to_parquet(tmp_path / "daily.parquet")
    client.register_dataset(
        "daily", tmp_path / "daily.parquet", target_column="sales", time_column="day",
        no_features=True,
    )
    folds = client.split_dataset("daily", folds=3, gap=7)
    assert folds["by"] == "time" and folds["gap"] == 7
    pairs = list(client.get_folds("daily"))
    assert len(pairs) == 3
    for train, valid in pairs:
        first = pd.to_datetime(valid["day"]).min()
        assert pd.to_datetime(train["day"]).max() <= first - pd.Timedelta(days=8)
    # The last fold trains on the most rows.
    assert len(pairs[-1][0]) > len(pairs[0][0])


def test_several_targets_give_a_frame_of_targets_for_multi_output_models(client, tmp_path):
    from sklearn.multioutput import MultiOutputClassifier
    from sklearn.tree import DecisionTreeClassifier

    rows = 200
    frame = pd.DataFrame({
        "x1": [i % 17 for i in range(rows)],
        "x2": [(i * 7) % 11 for i in range(rows)],
        "tag_a": [i % 2 for i in range(rows)],
        "tag_b": [(i // 3) % 2 for i in range(rows)],
    })
    frame.to_csv(tmp_path / "tags.csv", index=False)  # written by pandas
    info = client.register_dataset("tags", tmp_path / "tags.csv", target_column=["tag_a", "tag_b"])
    assert info.target_columns == ["tag_a", "tag_b"]
    assert info.problem_type == "multilabel"
    assert not {"tag_a", "tag_b"} & set(info.feature_columns)
    X, y = client.load_xy("tags")
    assert list(y.columns) == ["tag_a", "tag_b"] and len(y) == rows
    model = MultiOutputClassifier(DecisionTreeClassifier(random_state=0)).fit(X, y)
    assert model.predict(X).shape == (rows, 2)


def test_lag_features_match_pandas_shift_and_rolling(home, tmp_path):
    # The same lags computed by pandas over a pandas-written file whose rows
    # are out of time order.
    rows = []
    for store in ["a", "b", "c"]:
        for day in range(40):
            rows.append({"store": store, "day": pd.Timestamp("2024-01-01") + pd.Timedelta(days=day),
                         "units": (day * 7919 + ord(store) * 104729) % 97, "price": day % 5 + 0.5})
    frame = pd.DataFrame(rows).sample(frac=1, random_state=3)
    frame.to_csv(tmp_path / "sales.csv", index=False)
    base = home.home / "mdm.yaml"
    config = tmp_path / "lags.yaml"
    config.write_text((base.read_text() if base.exists() else "")
                      + "feature_engineering:\n  temporal:\n    include_lag: true\n"
                      + "    lag_periods: [1, 2]\n    rolling_window: 3\n")
    client = mdm.MDMClient(config=config)
    client.register_dataset("sales", tmp_path / "sales.csv", target_column="price",
                            time_column="day", group_column="store")
    got = client.query_dataset(
        "sales", "SELECT t.store, t.day, f.units_lag_1, f.units_lag_2, f.units_rolling_mean_3 "
                 "FROM train t JOIN train_features f ON t._mdm_row = f._mdm_row")
    got["day"] = pd.to_datetime(got["day"])
    expected = frame.sort_values(["store", "day"]).copy()
    grouped = expected.groupby("store")["units"]
    expected["units_lag_1"] = grouped.shift(1)
    expected["units_lag_2"] = grouped.shift(2)
    expected["units_rolling_mean_3"] = grouped.transform(
        lambda s: s.shift(1).rolling(3, min_periods=1).mean())
    merged = expected.merge(got, on=["store", "day"], suffixes=("", "_mdm"))
    assert len(merged) == len(frame)
    for column in ["units_lag_1", "units_lag_2", "units_rolling_mean_3"]:
        pd.testing.assert_series_equal(
            merged[column].astype(float), merged[f"{column}_mdm"].astype(float),
            check_names=False)
