//! `mdm._mdm`, the Python extension: thin wrappers over mdm's `ops`, the
//! same calls the command line makes. Records and reports cross as JSON
//! text (the CLI's `--json` shapes), tables as Arrow streams through the C
//! stream interface, errors as one exception class per exit code. The pure
//! Python package `mdm` beside this crate builds the public `MDMClient` on
//! top.

// A Python method's keyword arguments are its parameters, one to one.
#![allow(clippy::too_many_arguments)]

use std::path::PathBuf;
use std::sync::mpsc::{channel, sync_channel, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use arrow_array::ffi_stream::FFI_ArrowArrayStream;
use arrow_array::{RecordBatch, RecordBatchReader};
use arrow_schema::{ArrowError, SchemaRef};
use clap::Parser;
use pyo3::create_exception;
use pyo3::exceptions::{PyException, PyKeyboardInterrupt};
use pyo3::prelude::*;

use mdm::config::Settings;
use mdm::ops;
use mdm::ui::Ui;

create_exception!(
    _mdm,
    MDMError,
    PyException,
    "Any error of mdm; `exit_code` is the command line's."
);
create_exception!(
    _mdm,
    DatasetNotFoundError,
    MDMError,
    "No such dataset (exit code 3)."
);
create_exception!(
    _mdm,
    DatasetAlreadyExistsError,
    MDMError,
    "A dataset of that name exists (exit code 4)."
);
create_exception!(
    _mdm,
    ValidationError,
    MDMError,
    "Invalid arguments (exit code 2)."
);
create_exception!(
    _mdm,
    AccessDeniedError,
    MDMError,
    "Permission denied (exit code 5)."
);
create_exception!(
    _mdm,
    BackendError,
    MDMError,
    "The database failed (exit code 6)."
);
create_exception!(
    _mdm,
    ConfigError,
    MDMError,
    "Invalid configuration (exit code 7)."
);

/// The Python exception of an mdm error: the class of its exit code and the
/// command line's one-line message (which never holds a password).
fn to_python(err: mdm::Error) -> PyErr {
    let message = err.to_string();
    match err.exit_code() {
        2 => ValidationError::new_err(message),
        3 => DatasetNotFoundError::new_err(message),
        4 => DatasetAlreadyExistsError::new_err(message),
        5 => AccessDeniedError::new_err(message),
        6 => BackendError::new_err(message),
        7 => ConfigError::new_err(message),
        130 => PyKeyboardInterrupt::new_err(message),
        _ => MDMError::new_err(message),
    }
}

/// A closed word (problem type, format, ...) given as text, if given.
fn word<T: std::str::FromStr<Err = String>>(
    what: &str,
    text: Option<String>,
) -> PyResult<Option<T>> {
    text.map(|t| {
        t.parse()
            .map_err(|e: String| ValidationError::new_err(format!("{what}: {e}")))
    })
    .transpose()
}

fn json_text<T: serde::Serialize + ?Sized>(value: &T) -> PyResult<String> {
    serde_json::to_string(value).map_err(|e| MDMError::new_err(e.to_string()))
}

/// A quiet user interface: the Python API prints nothing.
const QUIET: Ui = Ui {
    quiet: true,
    show_progress: false,
};

/// Runs `work` on a thread of its own with the GIL released, checking for
/// Ctrl-C every tenth of a second: on one, mdm's interrupt flag stops the
/// work at its next batch (it cleans up as the CLI does), and
/// KeyboardInterrupt is raised once it has.
fn interruptible<T: Send + 'static>(
    py: Python<'_>,
    work: impl FnOnce() -> mdm::Result<T> + Send + 'static,
) -> PyResult<T> {
    let (sender, receiver) = sync_channel(1);
    let worker = std::thread::spawn(move || {
        let _ = sender.send(work());
    });
    // A receiver is not `Sync`: it moves into each wait and back out.
    let mut receiver = receiver;
    loop {
        let (back, outcome) = py.detach(move || {
            let outcome = receiver.recv_timeout(Duration::from_millis(100));
            (receiver, outcome)
        });
        receiver = back;
        match outcome {
            Ok(result) => {
                let _ = worker.join();
                return result.map_err(to_python);
            }
            Err(RecvTimeoutError::Timeout) => {
                if let Err(signal) = py.check_signals() {
                    mdm::interrupt::request();
                    py.detach(move || {
                        let _ = receiver.recv();
                        let _ = worker.join();
                    });
                    mdm::interrupt::clear();
                    return Err(signal);
                }
            }
            Err(RecvTimeoutError::Disconnected) => {
                let _ = worker.join();
                return Err(MDMError::new_err("the operation ended without a result"));
            }
        }
    }
}

/// The command line's `dataset register` options, parsed from flags the
/// Python wrapper builds from keyword arguments.
#[derive(Parser)]
#[command(name = "register_dataset", no_binary_name = true)]
struct RegisterArgs {
    #[command(flatten)]
    opt: mdm::cli::register::RegisterOpt,
}

/// An mdm configuration: `mdm.yaml` (or the file given), `MDM_HOME` and the
/// `MDM_*` variables, read as the command line reads them.
#[pyclass(module = "mdm._mdm", frozen)]
struct Client {
    settings: Settings,
}

#[pymethods]
impl Client {
    #[new]
    #[pyo3(signature = (config=None))]
    fn new(config: Option<PathBuf>) -> PyResult<Self> {
        let settings = Settings::load(config.as_deref()).map_err(to_python)?;
        Ok(Client { settings })
    }

    /// The configured backend (`sqlite`, `duckdb` or `postgresql`).
    fn backend(&self) -> String {
        self.settings.backend().to_string()
    }

    /// Whether the ODBC backends are built in.
    #[staticmethod]
    fn odbc_support() -> bool {
        cfg!(feature = "odbc")
    }

    /// The current backend's datasets with rows and sizes, as JSON.
    #[pyo3(signature = (filter=None))]
    fn list_json(&self, py: Python<'_>, filter: Option<String>) -> PyResult<String> {
        let settings = &self.settings;
        let listed = py
            .detach(|| {
                let options = ops::list::ListOptions {
                    sort_by: ops::list::SortBy::Name,
                    reverse: false,
                    limit: None,
                    all_backends: false,
                    filter_backend: None,
                    filter,
                };
                ops::list::list(settings, &options)
            })
            .map_err(to_python)?;
        json_text(&listed)
    }

    /// `dataset info --json --show-columns --show-features`.
    fn info_json(&self, py: Python<'_>, name: &str) -> PyResult<String> {
        let settings = &self.settings;
        let value = py
            .detach(|| {
                let info = ops::info::dataset_info(settings, name)?;
                ops::info::dataset_json(&info, true, true)
            })
            .map_err(to_python)?;
        json_text(&value)
    }

    /// `dataset search --json`.
    #[pyo3(signature = (pattern=None, tags=Vec::new(), problem_type=None, min_rows=None, max_rows=None, data_source=None))]
    fn search_json(
        &self,
        py: Python<'_>,
        pattern: Option<String>,
        tags: Vec<String>,
        problem_type: Option<String>,
        min_rows: Option<u64>,
        max_rows: Option<u64>,
        data_source: Option<String>,
    ) -> PyResult<String> {
        let problem_type = word("problem_type", problem_type)?;
        let options = ops::search::SearchOptions {
            pattern,
            tags,
            problem_type,
            min_rows,
            max_rows,
            data_source,
        };
        let settings = &self.settings;
        let found = py
            .detach(|| ops::search::search(settings, &options))
            .map_err(to_python)?;
        json_text(&ops::listed::with_sizes(settings, found))
    }

    /// `dataset stats --json` of one table.
    #[pyo3(signature = (name, table, columns=Vec::new(), extended=false))]
    fn stats_json(
        &self,
        py: Python<'_>,
        name: &str,
        table: String,
        columns: Vec<String>,
        extended: bool,
    ) -> PyResult<String> {
        let options = ops::stats::StatsOptions {
            table,
            columns,
            extended,
            refresh: false,
        };
        let settings = &self.settings;
        let report = py
            .detach(|| ops::stats::stats(settings, name, &options))
            .map_err(to_python)?;
        json_text(&report)
    }

    /// Registers a dataset from command-line flags; returns its record as
    /// JSON.
    fn register_json(&self, py: Python<'_>, arguments: Vec<String>) -> PyResult<String> {
        let parsed = RegisterArgs::try_parse_from(&arguments).map_err(|e| {
            let text = e.to_string();
            let first = text.lines().next().unwrap_or("invalid arguments");
            ValidationError::new_err(first.trim_start_matches("error: ").to_string())
        })?;
        let options = mdm::cli::register::options(parsed.opt).map_err(to_python)?;
        let settings = self.settings.clone();
        let record = interruptible(py, move || {
            ops::register::register(&settings, &options, &QUIET)
        })?;
        json_text(&record)
    }

    /// Changes a dataset's annotations; returns its record as JSON.
    #[pyo3(signature = (name, description=None, target=None, problem_type=None, tags=None, id_columns=None, time_column=None, group_column=None, stratify_column=None, data_source=None))]
    fn update_json(
        &self,
        py: Python<'_>,
        name: &str,
        description: Option<String>,
        target: Option<String>,
        problem_type: Option<String>,
        tags: Option<Vec<String>>,
        id_columns: Option<Vec<String>>,
        time_column: Option<String>,
        group_column: Option<String>,
        stratify_column: Option<String>,
        data_source: Option<String>,
    ) -> PyResult<String> {
        let problem_type = word("problem_type", problem_type)?;
        let options = ops::update::UpdateOptions {
            description,
            target,
            problem_type,
            tags,
            id_columns,
            time_column,
            group_column,
            stratify_column,
            data_source,
            ..Default::default()
        };
        let settings = &self.settings;
        let record = py
            .detach(|| ops::update::update(settings, name, &options))
            .map_err(to_python)?;
        json_text(&record)
    }

    /// `dataset split --json`: folds stored in the dataset.
    #[pyo3(signature = (name, folds=5, by=None, gap=None, seed=None))]
    fn split_json(
        &self,
        py: Python<'_>,
        name: &str,
        folds: usize,
        by: Option<String>,
        gap: Option<i64>,
        seed: Option<u64>,
    ) -> PyResult<String> {
        let options = ops::split::SplitOptions {
            folds,
            by: word("by", by)?,
            gap,
            seed,
        };
        let settings = &self.settings;
        let folds = py
            .detach(|| ops::split::split(settings, name, &options))
            .map_err(to_python)?;
        json_text(&folds)
    }

    /// Exports tables to files; returns the report as JSON.
    #[pyo3(signature = (name, format=None, compression=None, output_dir=None, output=None, tables=Vec::new(), columns=Vec::new(), include_metadata=false, no_metadata=false, force=false, no_features=false))]
    fn export_json(
        &self,
        py: Python<'_>,
        name: String,
        format: Option<String>,
        compression: Option<String>,
        output_dir: Option<PathBuf>,
        output: Option<PathBuf>,
        tables: Vec<String>,
        columns: Vec<String>,
        include_metadata: bool,
        no_metadata: bool,
        force: bool,
        no_features: bool,
    ) -> PyResult<String> {
        let format = word("format", format)?;
        let compression = word("compression", compression)?;
        let options = ops::export::ExportOptions {
            format,
            compression,
            output,
            output_dir,
            tables,
            columns,
            include_metadata,
            no_metadata,
            force,
            no_features,
            no_header: false,
            metadata_only: false,
            source_format: false,
        };
        let settings = self.settings.clone();
        let report = interruptible(py, move || {
            ops::export::export(&settings, &name, &options, &QUIET)
        })?;
        json_text(&report)
    }

    /// Removes a dataset and its data.
    fn remove(&self, py: Python<'_>, name: &str) -> PyResult<()> {
        let settings = &self.settings;
        py.detach(|| {
            let plan = ops::remove::plan(settings, name)?;
            ops::remove::execute(settings, &plan)
        })
        .map_err(to_python)
    }

    /// A stream of a table's rows (`columns`, `condition`, `limit` as
    /// given), read by a thread of its own while Python consumes batches.
    /// `whole`: the caller keeps every batch (a load, not a stream), so the
    /// thread reads on without waiting for Python to take each one.
    #[pyo3(signature = (name, table, columns=Vec::new(), condition=None, limit=None, batch_size=None, whole=false))]
    #[allow(clippy::too_many_arguments)]
    fn open_table(
        &self,
        py: Python<'_>,
        name: &str,
        table: String,
        columns: Vec<String>,
        condition: Option<String>,
        limit: Option<u64>,
        batch_size: Option<usize>,
        whole: bool,
    ) -> PyResult<TableStream> {
        let options = ops::load::LoadOptions {
            table,
            columns,
            condition,
            limit,
            batch_size,
        };
        let settings = &self.settings;
        let plan = py
            .detach(|| ops::load::plan(settings, name, &options))
            .map_err(to_python)?;
        // A stream has two batches in flight: the database fills the next
        // while Python converts the last, and memory stays at a few
        // batches. A whole load holds every batch in the end anyway.
        let (sender, receiver) = if whole {
            let (sender, receiver) = channel::<RecordBatch>();
            (BatchSender::Unbounded(sender), receiver)
        } else {
            let (sender, receiver) = sync_channel::<RecordBatch>(2);
            (BatchSender::Bounded(sender), receiver)
        };
        let failure = Arc::new(Mutex::new(None));
        let schema = plan.schema.clone();
        let settings = self.settings.clone();
        let failed = failure.clone();
        std::thread::spawn(move || {
            let result = ops::load::scan(&settings, &plan, &mut |batch| {
                sender
                    .send(batch)
                    .map_err(|()| mdm::Error::General("the reader of this table was closed".into()))
            });
            if let Err(err) = result {
                *failed.lock().expect("not poisoned") = Some(err);
            }
        });
        Ok(TableStream {
            stream: Mutex::new(Some(FFI_ArrowArrayStream::new(Box::new(ChannelReader {
                schema,
                receiver,
                failure: failure.clone(),
            })))),
            failure,
        })
    }

    /// The result of one read-only statement, as a one-batch stream.
    fn query(&self, py: Python<'_>, name: String, sql: String) -> PyResult<TableStream> {
        let settings = self.settings.clone();
        let result = interruptible(py, move || ops::load::query(&settings, &name, &sql))?;
        let (sender, receiver) = sync_channel(1);
        sender
            .send(result.batch)
            .expect("the channel has room for one batch");
        drop(sender);
        let failure = Arc::new(Mutex::new(None));
        Ok(TableStream {
            stream: Mutex::new(Some(FFI_ArrowArrayStream::new(Box::new(ChannelReader {
                schema: result.schema,
                receiver,
                failure: failure.clone(),
            })))),
            failure,
        })
    }
}

/// Where the reading thread sends its batches.
enum BatchSender {
    Bounded(SyncSender<RecordBatch>),
    Unbounded(Sender<RecordBatch>),
}

impl BatchSender {
    /// Fails when the reader was closed.
    fn send(&self, batch: RecordBatch) -> Result<(), ()> {
        match self {
            BatchSender::Bounded(sender) => sender.send(batch).map_err(|_| ()),
            BatchSender::Unbounded(sender) => sender.send(batch).map_err(|_| ()),
        }
    }
}

/// Record batches arriving from the reading thread.
struct ChannelReader {
    schema: SchemaRef,
    receiver: Receiver<RecordBatch>,
    failure: Arc<Mutex<Option<mdm::Error>>>,
}

impl Iterator for ChannelReader {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        match self.receiver.recv() {
            Ok(batch) => Some(Ok(batch)),
            // The reader ended: cleanly, or with an error kept for
            // `TableStream.raise_error` to raise as mdm's exception.
            Err(_) => self
                .failure
                .lock()
                .expect("not poisoned")
                .as_ref()
                .map(|err| Err(ArrowError::ExternalError(err.to_string().into()))),
        }
    }
}

impl RecordBatchReader for ChannelReader {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

/// A table being read: exported once to pyarrow through the Arrow C stream
/// interface; the error that ended it, if any, raised as mdm's exception.
#[pyclass(module = "mdm._mdm", frozen)]
struct TableStream {
    stream: Mutex<Option<FFI_ArrowArrayStream>>,
    failure: Arc<Mutex<Option<mdm::Error>>>,
}

#[pymethods]
impl TableStream {
    /// Moves the stream into the `ArrowArrayStream` at `address` (what
    /// `pyarrow.RecordBatchReader._import_from_c` is then given).
    fn export_to(&self, address: usize) -> PyResult<()> {
        let stream = self
            .stream
            .lock()
            .expect("not poisoned")
            .take()
            .ok_or_else(|| MDMError::new_err("this table stream was already read"))?;
        // SAFETY: the caller passes the address of a writable, released
        // `ArrowArrayStream` struct allocated by pyarrow.
        unsafe { std::ptr::write(address as *mut FFI_ArrowArrayStream, stream) };
        Ok(())
    }

    /// Raises the mdm exception that ended the stream, if one did.
    fn raise_error(&self) -> PyResult<()> {
        match self.failure.lock().expect("not poisoned").take() {
            Some(err) => Err(to_python(err)),
            None => Ok(()),
        }
    }
}

#[pymodule]
fn _mdm(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    m.add_class::<Client>()?;
    m.add_class::<TableStream>()?;
    m.add("MDMError", py.get_type::<MDMError>())?;
    m.add(
        "DatasetNotFoundError",
        py.get_type::<DatasetNotFoundError>(),
    )?;
    m.add(
        "DatasetAlreadyExistsError",
        py.get_type::<DatasetAlreadyExistsError>(),
    )?;
    m.add("ValidationError", py.get_type::<ValidationError>())?;
    m.add("AccessDeniedError", py.get_type::<AccessDeniedError>())?;
    m.add("BackendError", py.get_type::<BackendError>())?;
    m.add("ConfigError", py.get_type::<ConfigError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
