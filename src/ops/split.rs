//! `mdm dataset split NAME --folds K`: validation folds, computed inside the
//! dataset's database and stored there as `train_folds` (the train table's
//! ID columns, its row key and `fold`), with the settings in `_metadata`,
//! so that every client sees the same folds.
//!
//! - `random` and `stratified`: each row gets a pseudo-random number from
//!   its row key and the seed by integer arithmetic that every backend
//!   evaluates alike; within each stratum the rows are ranked by it and
//!   dealt to the folds in turn. Folds are balanced to a row per stratum,
//!   and the same seed gives the same folds on every backend.
//! - `group`: groups are counted, then placed whole, largest first, into
//!   the fold with the fewest rows so far.
//! - `time`: the distinct times are cut into K+1 consecutive blocks of
//!   about equal rows (a time is never split); block k validates fold k and
//!   every earlier block, less the `--gap` before it, trains it. Block 0
//!   only ever trains.
//!
//! A new split replaces the old one in one transaction.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::catalog::Catalog;
use crate::config::Settings;
use crate::dialect::{Dialect, ROW_KEY};
use crate::error::{Error, Result};
use crate::metadata::{self, DatasetMetadata, FoldSettings, TableInfo};
use crate::model::{Batch, ColumnData, ColumnDef, ColumnType, Value};
use crate::store::Store;
use crate::time::MICROS_PER_DAY;

choice!(
    /// How rows are dealt to folds.
    SplitBy {
        Random => "random",
        Stratified => "stratified" | "stratify",
        Group => "group",
        Time => "time" | "time-series" | "timeseries",
    }
);

/// The table holding the assignment.
pub const FOLDS_TABLE: &str = "train_folds";
/// The scratch table of value -> fold used while splitting.
const MAP_TABLE: &str = "_mdm_split_map";
pub const DEFAULT_SEED: u64 = 42;
/// The modulus of the row hash: a prime below 2^31, so that a square fits
/// in a signed 64-bit integer on every backend.
const HASH_PRIME: i64 = 2_147_483_647;

/// What the user asked for.
#[derive(Clone, Debug, Default)]
pub struct SplitOptions {
    pub folds: usize,
    pub by: Option<SplitBy>,
    /// Time units (days for dates and timestamps) left out of training
    /// before each validation block.
    pub gap: Option<i64>,
    pub seed: Option<u64>,
}

/// The current folds, as kept in `_metadata` and shown by `info`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Folds {
    pub table: String,
    /// How many folds, by what, the seed and the gap (what an export
    /// carries to make them again).
    #[serde(flatten)]
    pub settings: FoldSettings,
    /// The column the split follows (stratum, group or time).
    pub column: Option<String>,
    /// The columns of `train_folds` that name a train row.
    pub keys: Vec<String>,
    pub created_at: String,
    pub summary: Vec<FoldSummary>,
}

/// One fold (for time splits, one block; block 0 is never validated).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FoldSummary {
    pub fold: i64,
    /// Rows validated in this fold.
    pub rows: u64,
    /// Rows it trains on (none for block 0 of a time split).
    pub train_rows: Option<u64>,
    /// Time splits: the block's first and last time, and the time before
    /// which training rows lie.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub train_before: Option<String>,
}

/// The folds recorded in a dataset's metadata, if any.
pub fn recorded(metadata: &DatasetMetadata) -> Option<Folds> {
    metadata
        .fields
        .get(metadata::FOLDS_FIELD)
        .and_then(|v| serde_json::from_value(v.clone()).ok())
}

/// Splits dataset `name`'s train table into folds and stores them.
pub fn split(settings: &Settings, name: &str, options: &SplitOptions) -> Result<Folds> {
    let mut record = Catalog::new(settings).get(name)?;
    let backend = crate::backend::for_settings(settings)?;
    backend.check_writer(&record, crate::backend::WriteScope::Tables)?;
    let _lock = super::DatasetLock::exclusive(settings, name)?;
    let mut store = backend.open(&record)?;
    let metadata = metadata::load(store.as_mut())?;
    metadata.apply_fields(&mut record);
    let train = metadata
        .table("train")
        .ok_or_else(|| Error::InvalidArgument(format!("dataset '{name}' has no train table")))?
        .clone();
    if metadata.row_key() != Some(ROW_KEY) {
        return Err(Error::General(format!(
            "dataset '{name}' was registered without a row key ({ROW_KEY}); register it again (`mdm dataset register {name} PATH --force`) to split it"
        )));
    }
    if options.folds < 2 {
        return Err(Error::InvalidArgument(format!(
            "--folds: {} folds; give 2 or more",
            options.folds
        )));
    }
    if train.rows < options.folds as u64 {
        return Err(Error::InvalidArgument(format!(
            "--folds: {} folds for {} train rows",
            options.folds, train.rows
        )));
    }
    let annotations = &record.annotations;
    let classification = annotations
        .problem_type
        .is_some_and(|p| p.is_a(crate::backend::record::ProblemType::Classification));
    let by = options.by.unwrap_or(if annotations.time_column.is_some() {
        SplitBy::Time
    } else if annotations.group_column.is_some() {
        SplitBy::Group
    } else if annotations.stratify_column.is_some()
        || (classification && annotations.target.is_some())
    {
        SplitBy::Stratified
    } else {
        SplitBy::Random
    });
    if options.gap.is_some() && by != SplitBy::Time {
        return Err(Error::InvalidArgument(format!(
            "--gap: only a time split has a gap (this split is by {by})"
        )));
    }
    if options.gap.is_some_and(|g| g < 0) {
        return Err(Error::InvalidArgument("--gap: give 0 or more".into()));
    }
    let column = match by {
        SplitBy::Random => None,
        SplitBy::Stratified => Some(
            annotations
                .stratify_column
                .clone()
                .or_else(|| annotations.target.clone())
                .ok_or_else(|| {
                    missing(
                        name,
                        "stratified",
                        "a stratify column or a target",
                        "--stratify-column",
                    )
                })?,
        ),
        SplitBy::Group => Some(
            annotations
                .group_column
                .clone()
                .ok_or_else(|| missing(name, "group", "a group column", "--group-column"))?,
        ),
        SplitBy::Time => Some(
            annotations
                .time_column
                .clone()
                .ok_or_else(|| missing(name, "time", "a time column", "--time-column"))?,
        ),
    };
    let def = match &column {
        Some(column) => Some(
            train
                .column(column)
                .ok_or_else(|| {
                    Error::InvalidArgument(format!(
                        "--by {by}: column '{column}' is not in table train (columns: {})",
                        train.column_list()
                    ))
                })?
                .def(),
        ),
        None => None,
    };
    let mut keys: Vec<String> = annotations.id_columns.clone();
    keys.push(ROW_KEY.to_string());
    let seed = matches!(by, SplitBy::Random | SplitBy::Stratified)
        .then(|| options.seed.unwrap_or(DEFAULT_SEED));
    let mut folds = Folds {
        table: FOLDS_TABLE.to_string(),
        settings: FoldSettings {
            folds: options.folds,
            by: by.to_string(),
            seed,
            gap: options.gap.filter(|_| by == SplitBy::Time),
        },
        column: column.clone(),
        keys,
        created_at: crate::time::now_rfc3339(),
        summary: Vec::new(),
    };
    let plan = match (by, def) {
        (SplitBy::Time, Some(def)) => Assignment::Map(time_blocks(
            store.as_mut(),
            &def,
            options.folds,
            options.gap.unwrap_or(0),
            &mut folds,
        )?),
        (SplitBy::Group, Some(def)) => {
            Assignment::Map(group_folds(store.as_mut(), &def, options.folds)?)
        }
        (SplitBy::Stratified, Some(def)) => {
            check_strata(store.as_mut(), &train, &def, options.folds)?;
            Assignment::Hashed {
                stratum: Some(def.name),
            }
        }
        _ => Assignment::Hashed { stratum: None },
    };
    store.begin()?;
    let mut key_defs: Vec<ColumnDef> = folds
        .keys
        .iter()
        .map(|key| {
            train.column(key).map_or_else(
                || ColumnDef {
                    name: key.clone(),
                    column_type: ColumnType::Integer,
                },
                |c| c.def(),
            )
        })
        .collect();
    key_defs.push(ColumnDef {
        name: "fold".into(),
        column_type: ColumnType::Integer,
    });
    let stored = store_folds(
        store.as_mut(),
        &mut folds,
        &key_defs,
        &plan,
        seed.unwrap_or(0),
        by == SplitBy::Time,
    );
    match stored {
        Ok(()) => store.commit()?,
        Err(err) => {
            let _ = store.rollback();
            return Err(err);
        }
    }
    Ok(folds)
}

/// Writes `train_folds`, the per-fold summary and the settings in
/// `_metadata` (inside the caller's transaction).
fn store_folds(
    store: &mut dyn Store,
    folds: &mut Folds,
    key_defs: &[ColumnDef],
    plan: &Assignment,
    seed: u64,
    timed: bool,
) -> Result<()> {
    write_folds(store, folds, key_defs, plan, seed)?;
    // A time split's summary (with each block's times) is made already.
    if !timed {
        let mut counts = BTreeMap::new();
        let sql = format!(
            "SELECT fold, COUNT(*) FROM {} GROUP BY fold",
            store.dialect().quote_identifier(FOLDS_TABLE)
        );
        store.query(&sql, &[], &mut |row| {
            if let (Some(fold), Some(rows)) = (row[0].as_i64(), row[1].as_i64()) {
                counts.insert(fold, rows as u64);
            }
            Ok(())
        })?;
        let total: u64 = counts.values().sum();
        folds.summary = counts
            .into_iter()
            .map(|(fold, rows)| FoldSummary {
                fold,
                rows,
                train_rows: Some(total - rows),
                first: None,
                last: None,
                train_before: None,
            })
            .collect();
    }
    let upsert = store.dialect().upsert_metadata();
    let value = serde_json::to_string(&*folds).expect("folds serialize");
    store.execute(
        &upsert,
        &[
            Value::Text(metadata::FOLDS_FIELD.into()),
            Value::Text(value),
        ],
    )
}

fn missing(name: &str, by: &str, what: &str, flag: &str) -> Error {
    Error::InvalidArgument(format!(
        "--by {by}: dataset '{name}' has no {what}; set one with `mdm dataset update {name} {flag} COLUMN`"
    ))
}

/// How fold numbers are computed in the database.
enum Assignment {
    /// Ranked by the row hash within a stratum (or the whole table).
    Hashed { stratum: Option<String> },
    /// Looked up from a table of value -> fold written first.
    Map(ValueFolds),
}

/// Fold numbers per distinct value of a column.
struct ValueFolds {
    def: ColumnDef,
    folds: Vec<(Key, i64)>,
    /// The fold of rows whose value is NULL (none: no fold).
    null_fold: Option<i64>,
}

/// A column value as a map key, ordered within its type.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Key {
    Null,
    Boolean(bool),
    Integer(i64),
    Float(OrderedFloat),
    Date(i32),
    Datetime(i64),
    Text(String),
}

#[derive(Clone, Copy, Debug)]
struct OrderedFloat(f64);

impl PartialEq for OrderedFloat {
    fn eq(&self, other: &Self) -> bool {
        self.0.total_cmp(&other.0).is_eq()
    }
}
impl Eq for OrderedFloat {}
impl PartialOrd for OrderedFloat {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for OrderedFloat {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.0.total_cmp(&other.0)
    }
}

impl Key {
    fn of(data: &ColumnData, row: usize) -> Key {
        match data {
            ColumnData::Boolean(v) => v[row].map_or(Key::Null, Key::Boolean),
            ColumnData::Integer(v) => v[row].map_or(Key::Null, Key::Integer),
            ColumnData::Float(v) => v[row].map_or(Key::Null, |f| Key::Float(OrderedFloat(f))),
            ColumnData::Date(v) => v[row].map_or(Key::Null, Key::Date),
            ColumnData::Datetime(v) => v[row].map_or(Key::Null, Key::Datetime),
            ColumnData::Text(v) => v.get(row).map_or(Key::Null, |t| Key::Text(t.to_string())),
        }
    }

    fn push_to(&self, data: &mut ColumnData) {
        match (self, data) {
            (Key::Boolean(b), ColumnData::Boolean(v)) => v.push(Some(*b)),
            (Key::Integer(i), ColumnData::Integer(v)) => v.push(Some(*i)),
            (Key::Float(f), ColumnData::Float(v)) => v.push(Some(f.0)),
            (Key::Date(d), ColumnData::Date(v)) => v.push(Some(*d)),
            (Key::Datetime(t), ColumnData::Datetime(v)) => v.push(Some(*t)),
            (Key::Text(t), ColumnData::Text(v)) => v.push(Some(t)),
            (_, data) => data.push_null(),
        }
    }

    /// A time as microseconds since the epoch.
    fn micros(&self) -> Option<i64> {
        match self {
            Key::Date(days) => Some(*days as i64 * MICROS_PER_DAY),
            Key::Datetime(micros) => Some(*micros),
            _ => None,
        }
    }
}

/// Rows per distinct value of a column, in value order.
fn value_counts(store: &mut dyn Store, def: &ColumnDef) -> Result<BTreeMap<Key, u64>> {
    let mut counts: BTreeMap<Key, u64> = BTreeMap::new();
    store.scan("train", std::slice::from_ref(def), 65_536, &mut |batch| {
        let data = &batch.columns[0];
        for row in 0..data.len() {
            *counts.entry(Key::of(data, row)).or_default() += 1;
        }
        crate::interrupt::check()
    })?;
    Ok(counts)
}

/// Groups placed whole, largest first, into the lightest fold.
fn group_folds(store: &mut dyn Store, def: &ColumnDef, k: usize) -> Result<ValueFolds> {
    let counts = value_counts(store, def)?;
    if counts.len() < k {
        return Err(Error::InvalidArgument(format!(
            "--by group: column '{}' has {} groups; {k} folds need at least {k}",
            def.name,
            counts.len()
        )));
    }
    let mut groups: Vec<(Key, u64)> = counts.into_iter().collect();
    groups.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
    let mut load = vec![0u64; k];
    let mut folds = Vec::with_capacity(groups.len());
    let mut null_fold = None;
    for (key, rows) in groups {
        let fold = (0..k).min_by_key(|&f| (load[f], f)).unwrap_or(0);
        load[fold] += rows;
        if key == Key::Null {
            null_fold = Some(fold as i64);
        } else {
            folds.push((key, fold as i64));
        }
    }
    Ok(ValueFolds {
        def: def.clone(),
        folds,
        null_fold,
    })
}

/// K+1 consecutive blocks of distinct times with about equal rows.
fn time_blocks(
    store: &mut dyn Store,
    def: &ColumnDef,
    k: usize,
    gap: i64,
    folds: &mut Folds,
) -> Result<ValueFolds> {
    if !matches!(def.column_type, ColumnType::Date | ColumnType::Datetime) {
        return Err(Error::InvalidArgument(format!(
            "--by time: column '{}' is {}, not a date or timestamp",
            def.name,
            def.column_type.as_str()
        )));
    }
    let mut counts = value_counts(store, def)?;
    counts.remove(&Key::Null);
    let blocks = k + 1;
    if counts.len() < blocks {
        return Err(Error::InvalidArgument(format!(
            "--by time: column '{}' has {} distinct times; {k} folds need at least {blocks}",
            def.name,
            counts.len()
        )));
    }
    let total: u64 = counts.values().sum();
    // Each time goes to the block its middle row falls in, which keeps the
    // blocks in time order; a block left empty takes the next time.
    let mut assigned: Vec<(Key, i64, u64)> = Vec::with_capacity(counts.len());
    let mut before = 0u64;
    let mut block = 0i64;
    let distinct = counts.len();
    for (index, (key, rows)) in counts.into_iter().enumerate() {
        let middle = before as f64 + rows as f64 / 2.0;
        let wanted = ((middle * blocks as f64 / total as f64) as i64).min(blocks as i64 - 1);
        // Never skip a block, and leave enough times for the blocks after.
        let left_after = (distinct - index - 1) as i64;
        let mut next = wanted.clamp(block, block + 1);
        if blocks as i64 - 1 - next > left_after {
            next = blocks as i64 - 1 - left_after;
        }
        block = next;
        assigned.push((key, block, rows));
        before += rows;
    }
    let render = |micros: i64| match def.column_type {
        ColumnType::Date => crate::time::format_date(micros.div_euclid(MICROS_PER_DAY) as i32),
        _ => crate::time::format_datetime(micros),
    };
    let mut summary = Vec::with_capacity(blocks);
    for b in 0..blocks as i64 {
        let in_block: Vec<&(Key, i64, u64)> = assigned.iter().filter(|a| a.1 == b).collect();
        let first = in_block.first().and_then(|a| a.0.micros());
        let last = in_block.last().and_then(|a| a.0.micros());
        let rows = in_block.iter().map(|a| a.2).sum();
        let (train_rows, train_before) = match (b, first) {
            (0, _) | (_, None) => (None, None),
            (_, Some(start)) => {
                let before = start - gap * MICROS_PER_DAY;
                let rows = assigned
                    .iter()
                    .filter(|a| a.1 < b && a.0.micros().is_some_and(|t| t < before))
                    .map(|a| a.2)
                    .sum();
                (Some(rows), Some(render(before)))
            }
        };
        summary.push(FoldSummary {
            fold: b,
            rows,
            train_rows,
            first: first.map(render),
            last: last.map(render),
            train_before,
        });
    }
    if let Some(empty) = summary.iter().find(|s| s.train_rows == Some(0)) {
        return Err(Error::InvalidArgument(format!(
            "--gap: fold {} would train on no rows (its block starts {}); give a smaller gap or fewer folds",
            empty.fold,
            empty.first.as_deref().unwrap_or("-")
        )));
    }
    folds.summary = summary;
    Ok(ValueFolds {
        def: def.clone(),
        folds: assigned.into_iter().map(|(key, b, _)| (key, b)).collect(),
        null_fold: None,
    })
}

/// Refuses a stratified split on a column with more strata than rows per
/// fold (a continuous target, say).
fn check_strata(store: &mut dyn Store, train: &TableInfo, def: &ColumnDef, k: usize) -> Result<()> {
    let sql = store.dialect().count_distinct("train", &def.name);
    let mut distinct = 0i64;
    store.query(&sql, &[], &mut |row| {
        distinct = row.get(1).and_then(Value::as_i64).unwrap_or(0);
        Ok(())
    })?;
    let per_fold = train.rows / k as u64;
    if distinct as u64 > per_fold.max(1) {
        return Err(Error::InvalidArgument(format!(
            "--by stratified: column '{}' has {distinct} distinct values, more than the {per_fold} rows of a fold; stratify on a class column or split --by random",
            def.name
        )));
    }
    Ok(())
}

/// Replaces `train_folds` (inside the caller's transaction).
fn write_folds(
    store: &mut dyn Store,
    folds: &Folds,
    key_defs: &[ColumnDef],
    plan: &Assignment,
    seed: u64,
) -> Result<()> {
    let dialect = store.dialect().boxed();
    let q = |name: &str| dialect.quote_identifier(name);
    store.execute(&dialect.drop_table(FOLDS_TABLE), &[])?;
    let keys: Vec<String> = folds.keys.iter().map(|k| format!("t.{}", q(k))).collect();
    let keys = keys.join(", ");
    let sql = match plan {
        Assignment::Hashed { stratum } => hashed_select(
            dialect.as_ref(),
            &folds.keys,
            stratum.as_deref(),
            folds.settings.folds,
            seed,
        ),
        Assignment::Map(map) => {
            write_map(store, map)?;
            let fold = match map.null_fold {
                Some(null_fold) => format!("COALESCE(m.fold, {null_fold})"),
                None => "m.fold".to_string(),
            };
            format!(
                "SELECT {keys}, {fold} AS fold FROM {} t LEFT JOIN {} m ON t.{} = m.v ORDER BY t.{}",
                q("train"),
                q(MAP_TABLE),
                q(&map.def.name),
                q(ROW_KEY)
            )
        }
    };
    // Declared types, so that every client sees integers and the IDs' own
    // types (a `CREATE TABLE ... AS` leaves SQLite's columns untyped).
    store.execute(&dialect.create_table(FOLDS_TABLE, key_defs), &[])?;
    store.execute(&format!("INSERT INTO {} {sql}", q(FOLDS_TABLE)), &[])?;
    if matches!(plan, Assignment::Map(_)) {
        store.execute(&dialect.drop_table(MAP_TABLE), &[])?;
    }
    Ok(())
}

/// Rows ranked by a hash of their row key within their stratum, dealt to
/// the folds in turn from an offset the stratum's own hashes give.
fn hashed_select(
    dialect: &dyn Dialect,
    keys: &[String],
    stratum: Option<&str>,
    k: usize,
    seed: u64,
) -> String {
    let q = |name: &str| dialect.quote_identifier(name);
    let key_list: Vec<String> = keys.iter().map(|k| q(k)).collect();
    let key_list = key_list.join(", ");
    let salts = salts(seed);
    let stratum_expr = stratum.map_or_else(|| "0".to_string(), q);
    let p = HASH_PRIME;
    format!(
        "WITH mdm_h0 AS (SELECT {key_list}, {stratum_expr} AS mdm_s, ({row} + {a}) % {p} AS mdm_x FROM {train}), \
         mdm_h1 AS (SELECT {key_list}, mdm_s, (mdm_x * mdm_x + {b}) % {p} AS mdm_x FROM mdm_h0), \
         mdm_h2 AS (SELECT {key_list}, mdm_s, (mdm_x * mdm_x + {c}) % {p} AS mdm_x FROM mdm_h1) \
         SELECT {key_list}, (ROW_NUMBER() OVER (PARTITION BY mdm_s ORDER BY mdm_x, {row}) - 1 \
         + MIN(mdm_x) OVER (PARTITION BY mdm_s)) % {k} AS fold FROM mdm_h2 ORDER BY {row}",
        row = q(ROW_KEY),
        train = q("train"),
        a = salts[0],
        b = salts[1],
        c = salts[2],
    )
}

/// Three salts below the hash prime from a seed (SplitMix64).
fn salts(seed: u64) -> [i64; 3] {
    let mut state = seed;
    let mut next = || {
        state = state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % HASH_PRIME as u64) as i64
    };
    [next(), next(), next()]
}

/// Writes the value -> fold table.
fn write_map(store: &mut dyn Store, map: &ValueFolds) -> Result<()> {
    let dialect = store.dialect().boxed();
    let columns = [
        ColumnDef {
            name: "v".into(),
            column_type: map.def.column_type,
        },
        ColumnDef {
            name: "fold".into(),
            column_type: ColumnType::Integer,
        },
    ];
    store.execute(&dialect.drop_table(MAP_TABLE), &[])?;
    store.execute(&dialect.create_table(MAP_TABLE, &columns), &[])?;
    for chunk in map.folds.chunks(16_384) {
        let mut batch = Batch::new(&columns, chunk.len());
        for (key, fold) in chunk {
            key.push_to(&mut batch.columns[0]);
            if let ColumnData::Integer(v) = &mut batch.columns[1] {
                v.push(Some(*fold));
            }
        }
        store.append(MAP_TABLE, &columns, &batch)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn salts_are_below_the_prime_and_follow_the_seed() {
        let a = salts(42);
        assert_eq!(a, salts(42));
        assert_ne!(a, salts(43));
        assert!(a.iter().all(|s| (0..HASH_PRIME).contains(s)));
    }

    #[test]
    fn split_words_parse() {
        assert_eq!("stratified".parse::<SplitBy>(), Ok(SplitBy::Stratified));
        assert_eq!("TIME".parse::<SplitBy>(), Ok(SplitBy::Time));
        assert!("kfold".parse::<SplitBy>().is_err());
    }
}
