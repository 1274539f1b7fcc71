//! `mdm dataset register`: the clap structs (files or an ODBC source, the
//! column and unpacking flags) and their conversion to
//! [`RegisterOptions`](crate::ops::register::RegisterOptions).

use std::path::PathBuf;

use clap::Args;

use super::read;
use super::{clean, parse_choice};
use crate::backend::record::ProblemType;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::ops::register::{self, RegisterOptions};
use crate::ui::{self, Ui};

#[derive(Debug, Args)]
pub struct RegisterOpt {
    /// Dataset name: letters, digits, `_` and `-`, starting with a letter, at most 63 characters.
    pub name: String,
    /// A data file (CSV/TSV, JSON, Parquet, Excel; .gz/.zst/.bz2/.xz/.zip), a folder (train/test/validation/sample_submission, or one table per file) or a zipped folder.
    #[arg(required_unless_present_any = ["odbc", "train"], conflicts_with_all = ["odbc", "train"])]
    pub path: Option<PathBuf>,
    /// The train table's file, instead of PATH (any format mdm reads).
    #[arg(long, value_name = "FILE", conflicts_with = "odbc")]
    pub train: Option<PathBuf>,
    /// The test table's file (with --train).
    #[arg(long, value_name = "FILE", requires = "train")]
    pub test: Option<PathBuf>,
    /// The validation table's file (with --train).
    #[arg(long, value_name = "FILE", requires = "train")]
    pub validation: Option<PathBuf>,
    /// The submission table's file (with --train).
    #[arg(long, value_name = "FILE", requires = "train")]
    pub submission: Option<PathBuf>,
    /// The original MDM's name for registering named files (--train, --test, ...) instead of
    /// discovering them in PATH.
    #[arg(long, requires = "train")]
    pub no_auto: bool,
    #[command(flatten)]
    pub odbc: OdbcSourceOpt,
    /// The column to predict; must exist in the train table. Several, comma-separated
    /// (`y1,y2`), for multilabel classification or multi-output regression.
    #[arg(long, short = 't')]
    pub target: Option<String>,
    /// ID columns (comma-separated); detected from names and uniqueness when omitted.
    #[arg(long, short = 'i', value_delimiter = ',')]
    pub id_columns: Vec<String>,
    /// The task; inferred from the target when omitted.
    #[arg(long, value_parser = parse_choice::<ProblemType>)]
    pub problem_type: Option<ProblemType>,
    /// Tags (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Free-text description.
    #[arg(long, short = 'd')]
    pub description: Option<String>,
    /// Replace an existing dataset of the same name (only after the new one loaded).
    #[arg(long, short = 'f')]
    pub force: bool,
    /// Skip feature generation.
    #[arg(long)]
    pub no_features: bool,
    /// PostgreSQL: store train range-partitioned on this date, timestamp or numeric column
    /// (by month, or in equal ranges).
    #[arg(long, value_name = "COLUMN")]
    pub partition_by: Option<String>,
    /// Custom features (YAML) instead of the dataset's file under custom_features/.
    #[arg(long, value_name = "FILE", conflicts_with = "no_features")]
    pub features_file: Option<PathBuf>,
    /// Columns to treat as categorical (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub categorical_columns: Vec<String>,
    /// Columns to store as timestamps (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub datetime_columns: Vec<String>,
    /// Columns to store as numbers (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub numeric_columns: Vec<String>,
    /// Columns to store as text (comma-separated).
    #[arg(long, value_delimiter = ',')]
    pub text_columns: Vec<String>,
    /// Columns kept in the tables but never turned into features nor chosen as ID or target
    /// (comma-separated).
    #[arg(long, value_delimiter = ',', value_name = "COLUMNS")]
    pub ignore_columns: Vec<String>,
    #[command(flatten)]
    pub roles: ColumnRolesOpt,
    /// The sheet of an Excel workbook to read (default: the first).
    #[arg(long, value_name = "NAME")]
    pub sheet: Option<String>,
    /// Most bytes unpacked from zip archives and compressed files that must be unpacked (e.g. 64GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size, default_value = "64GiB")]
    pub max_unpacked_size: u64,
    /// Most unpacked bytes per compressed byte before an archive is refused as a bomb.
    #[arg(long, value_name = "RATIO", default_value_t = crate::ingest::archive::DEFAULT_MAX_RATIO)]
    pub max_unpack_ratio: u64,
    /// Print the registered dataset's record as JSON on stdout.
    #[arg(long)]
    pub json: bool,
    /// Read and check the files and print what would be registered (tables, rows, columns
    /// with types and roles, how each file is read); write nothing.
    #[arg(long)]
    pub dry_run: bool,
    #[command(flatten)]
    pub read: read::ReadOpt,
}

/// What a modeller says about columns and the data's origin (`register`
/// and `update`; in `update` an empty value clears one).
#[derive(Debug, Args)]
pub struct ColumnRolesOpt {
    /// The column that orders rows in time: a date or timestamp column (at registration a
    /// column read as text is stored as timestamps).
    #[arg(long, value_name = "COLUMN")]
    pub time_column: Option<String>,
    /// The column grouping rows that belong together (a customer, a patient).
    #[arg(long, value_name = "COLUMN")]
    pub group_column: Option<String>,
    /// The column whose class shares validation folds keep.
    #[arg(long, value_name = "COLUMN")]
    pub stratify_column: Option<String>,
    /// Where the data comes from (`kaggle`, `internal`, ...): recorded as `data_source`.
    #[arg(long = "source", value_name = "TEXT")]
    pub data_source: Option<String>,
}

/// Reading the tables from an ODBC data source instead of files.
#[derive(Debug, Args)]
pub struct OdbcSourceOpt {
    /// An ODBC data source: `DSN=warehouse` or a full connection string. A password may come from MDM_SOURCE_PASSWORD instead; it is never stored.
    #[arg(long, value_name = "CONNECTION", requires = "train_query")]
    pub odbc: Option<String>,
    /// The train table's SQL (`@file.sql` reads it from a file).
    #[arg(long, value_name = "SQL", group = "train_query", requires = "odbc")]
    pub query: Option<String>,
    /// Shorthand for --query 'SELECT * FROM SCHEMA.TABLE'.
    #[arg(
        long,
        value_name = "SCHEMA.TABLE",
        group = "train_query",
        requires = "odbc"
    )]
    pub table: Option<String>,
    /// The test table's SQL (`@file.sql` reads it from a file).
    #[arg(long, value_name = "SQL", requires = "odbc")]
    pub test_query: Option<String>,
    /// The validation table's SQL (`@file.sql` reads it from a file).
    #[arg(long, value_name = "SQL", requires = "odbc")]
    pub validation_query: Option<String>,
    /// The submission table's SQL (`@file.sql` reads it from a file).
    #[arg(long, value_name = "SQL", requires = "odbc")]
    pub submission_query: Option<String>,
    /// Read each query in ranges of this integer, date or timestamp column of its result, over several connections at once (MIN/MAX first, then equal ranges). Rows are stored in the order they arrive, not the query's.
    #[arg(long, value_name = "COLUMN", requires = "odbc")]
    pub split_by: Option<String>,
    /// Ranges, and so source connections, read at once with --split-by [default: one per CPU, at most 4].
    #[arg(long, value_name = "N", requires = "split_by", value_parser = clap::value_parser!(u16).range(1..=crate::ingest::query::MAX_PARALLEL as i64))]
    pub parallel: Option<u16>,
}

impl OdbcSourceOpt {
    /// The source asked for, if any, with every query read.
    fn source(self) -> Result<Option<crate::ingest::query::OdbcSource>> {
        use crate::ingest::query;
        let OdbcSourceOpt {
            odbc,
            query: train_query,
            table,
            test_query,
            validation_query,
            submission_query,
            split_by,
            parallel,
        } = self;
        let Some(connection) = odbc else {
            return Ok(None);
        };
        let train = match (train_query, table) {
            (Some(sql), _) => query::query_text("--query", &sql)?,
            (None, Some(table)) => query::table_query(&table)?,
            (None, None) => {
                return Err(Error::InvalidArgument(
                    "--odbc needs --query SQL or --table NAME".into(),
                ))
            }
        };
        let mut queries = vec![("train".to_string(), train)];
        for (flag, table, sql) in [
            ("--test-query", "test", test_query),
            ("--validation-query", "validation", validation_query),
            ("--submission-query", "submission", submission_query),
        ] {
            if let Some(sql) = sql {
                queries.push((table.to_string(), query::query_text(flag, &sql)?));
            }
        }
        Ok(Some(query::OdbcSource {
            connection: query::connection_with_environment(&connection),
            queries,
            split: split_by.map(|column| query::Split {
                column,
                parallel: parallel.map_or_else(query::default_parallel, usize::from),
            }),
        }))
    }
}

/// The text of `register --dry-run`.
fn render_plan(plan: &register::RegistrationPlan) -> String {
    let mut text = format!(
        "would register '{}' in the {} backend (nothing written):\n",
        plan.name, plan.backend
    );
    for table in &plan.tables {
        text.push_str(&format!(
            "  {} <- {} ({} rows, {} columns)\n",
            table.table,
            table.file.display(),
            table
                .rows
                .map_or_else(|| "?".to_string(), |r| r.to_string()),
            table.columns.len()
        ));
        if let Some(read) = &table.read {
            let field = |key: &str| read.get(key).map(|v| v.to_string()).unwrap_or_default();
            text.push_str(&format!(
                "    read: encoding {}, delimiter {}, quote {}, header rows {}\n",
                field("encoding"),
                field("delimiter"),
                field("quote"),
                field("header_rows")
            ));
        }
        let mut columns = crate::ui::Table::new(&["column", "type", "role"]);
        for column in &table.columns {
            columns.push(vec![
                column.name.clone(),
                column.column_type.as_str().to_string(),
                column.role.unwrap_or("-").to_string(),
            ]);
        }
        for line in columns.render().lines() {
            text.push_str(&format!("    {line}\n"));
        }
    }
    let or = |value: Option<String>, otherwise: &str| value.unwrap_or_else(|| otherwise.into());
    text.push_str(&format!(
        "target: {}\nproblem type: {}\nID columns: {}\n",
        or(plan.target.clone(), "-"),
        or(
            plan.problem_type.map(|p| p.to_string()),
            "inferred from the target when loaded"
        ),
        or(
            plan.id_columns.as_ref().map(|c| c.join(", ")),
            "detected from the loaded values"
        ),
    ));
    text.push_str(&if plan.features {
        format!(
            "features: generated from {} train columns\n",
            plan.feature_columns.len()
        )
    } else {
        "features: none\n".to_string()
    });
    text
}

/// `123`, `10MB`, `64GiB` -> bytes.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: u64 = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size (e.g. 500MB, 64GiB)"))?;
    let factor: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => return Err(format!("`{text}`: unknown unit (use B, KB, MB, GB or TB)")),
    };
    number
        .checked_mul(factor)
        .ok_or_else(|| format!("`{text}` is too large"))
}

/// Registers the dataset; prints its record as JSON when asked.
pub fn run(settings: &Settings, opt: RegisterOpt, ui: &Ui) -> Result<()> {
    let json = opt.json;
    if opt.dry_run {
        let plan = register::dry_run(settings, &options(opt)?, ui)?;
        return if json {
            ui::print_json(&plan)
        } else {
            ui::print(&render_plan(&plan))
        };
    }
    let record = register::register(settings, &options(opt)?, ui)?;
    if json {
        ui::print_json(&record)?;
    }
    Ok(())
}

/// The ops options of what was typed (the Python API's `register_dataset`
/// goes through here too, so both front ends take the same options).
pub fn options(opt: RegisterOpt) -> Result<RegisterOptions> {
    let RegisterOpt {
        name,
        path,
        train,
        test,
        validation,
        submission,
        no_auto: _,
        odbc,
        target,
        id_columns,
        problem_type,
        tags,
        description,
        force,
        no_features,
        partition_by,
        features_file,
        categorical_columns,
        datetime_columns,
        numeric_columns,
        text_columns,
        ignore_columns,
        roles:
            ColumnRolesOpt {
                time_column,
                group_column,
                stratify_column,
                data_source,
            },
        sheet,
        max_unpacked_size,
        max_unpack_ratio,
        json: _,
        dry_run: _,
        read,
    } = opt;
    let targets = clean(
        target
            .iter()
            .flat_map(|t| t.split(','))
            .map(str::to_string)
            .collect(),
    );
    let mut seen = std::collections::HashSet::new();
    if let Some(twice) = targets.iter().find(|t| !seen.insert(t.as_str())) {
        return Err(Error::InvalidArgument(format!(
            "--target: column '{twice}' is named twice"
        )));
    }
    Ok(RegisterOptions {
        name,
        path: path.unwrap_or_default(),
        files: [
            ("train", train),
            ("test", test),
            ("validation", validation),
            ("submission", submission),
        ]
        .into_iter()
        .filter_map(|(table, file)| file.map(|f| (table.to_string(), f)))
        .collect(),
        odbc: odbc.source()?,
        target: targets.first().cloned(),
        extra_targets: targets.iter().skip(1).cloned().collect(),
        split: None,
        id_columns: clean(id_columns),
        problem_type,
        tags: clean(tags),
        description,
        force,
        categorical_columns: clean(categorical_columns),
        datetime_columns: clean(datetime_columns),
        numeric_columns: clean(numeric_columns),
        text_columns: clean(text_columns),
        ignore_columns: clean(ignore_columns),
        time_column,
        group_column,
        stratify_column,
        data_source,
        column_types: Default::default(),
        no_features,
        partition_by,
        features_file,
        read: read.into(),
        ingest: crate::ingest::IngestOptions {
            sheet,
            limits: crate::ingest::archive::UnpackLimits {
                max_bytes: max_unpacked_size,
                max_ratio: max_unpack_ratio,
            },
        },
    })
}
