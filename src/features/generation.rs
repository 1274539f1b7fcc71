//! Feature generation from start to end: the transformer families in
//! order, naming, the feature-table column limit, the signal filter, then
//! the feature tables of train, test and validation.

use std::collections::{BTreeMap, HashSet};

use super::builder::{Builder, Candidate};
use super::fit::Train;
use super::signal::signal_filter;
use super::tables::{define_view, materialize, staging_name, swap_in, view_select};
use super::{CustomFeature, FeatureSet, FeatureTable, Roles, Transformer, TABLE_SUFFIX};
use crate::config::FeatureEngineering;
use crate::dialect::Dialect;
use crate::error::{Error, Result};
use crate::metadata::{DatasetMetadata, TableInfo};
use crate::model::name::distinct_name;
use crate::store::Store;

/// Tables that get a feature table (submission files carry no features).
const FEATURE_SOURCES: &[&str] = &["train", "test", "validation"];

/// The most columns a feature table has on any backend, so that a dataset
/// gets the same features wherever it is stored: below the narrowest
/// [`Dialect::max_columns`] of the supported databases, with room to spare
/// (see [`max_table_columns`]).
pub(super) const PORTABLE_TABLE_COLUMNS: usize = 1500;

/// Columns of a wide table that features are made from: its first ones, as
/// many as the narrowest column group of any backend holds (PostgreSQL's
/// 400), so that they are in the table itself everywhere and a wide
/// dataset gets the same features on every backend.
const WIDE_FEATURE_SOURCES: usize = 400;

/// The most columns a feature table may have on `dialect`'s database.
fn max_table_columns(dialect: &dyn Dialect) -> usize {
    PORTABLE_TABLE_COLUMNS.min(dialect.max_columns())
}

/// The number of stages [`generate`] moves its progress bar through.
pub const STAGES: u64 = 10;

/// Generates the feature tables of a dataset. With `replace`, existing
/// feature tables are swapped for the new ones in one transaction at the
/// end; otherwise the tables are created directly (a fresh database).
/// `bar` advances through [`STAGES`] steps and is cleared at the end.
#[allow(clippy::too_many_arguments)]
pub fn generate(
    store: &mut dyn Store,
    metadata: &DatasetMetadata,
    roles: &Roles,
    config: &FeatureEngineering,
    custom: &[CustomFeature],
    custom_file: Option<&std::path::Path>,
    replace: bool,
    batch_size: usize,
    bar: indicatif::ProgressBar,
) -> Result<FeatureSet> {
    let train_table = metadata
        .table("train")
        .ok_or_else(|| Error::Backend("the dataset has no train table".into()))?;
    let empty = BTreeMap::new();
    let stats = metadata.statistics.get("train").unwrap_or(&empty);
    // A wide train's features read its first columns only, the same on
    // every backend.
    let considered = joins(train_table, config).then_some(WIDE_FEATURE_SOURCES);
    let train = Train::new(train_table, stats, roles, considered);
    let mut stages = Stages::new(bar.clone());
    // Views are read by every client of the database: their SQL uses only
    // what every client has.
    let owned_dialect = if config.materialize {
        store.dialect().boxed()
    } else {
        store.dialect().portable()
    };
    let mut builder = Builder {
        dialect: owned_dialect.as_ref(),
        candidates: Vec::new(),
        fitted: BTreeMap::new(),
    };
    if config.enabled {
        stages.next("statistical");
        builder.numeric(store, &train, config, batch_size)?;
        stages.next("temporal");
        builder.temporal_columns(&train, config);
        builder.lag_columns(&train, roles, config);
        stages.next("categorical");
        builder.categorical_columns(store, &train, roles, config)?;
        stages.next("text");
        builder.text_columns(store, &train, config)?;
        stages.next("missing");
        builder.missing(&train, config);
    }
    stages.next("custom");
    builder.custom(store, &train, custom)?;

    let Builder {
        mut candidates,
        fitted,
        ..
    } = builder;
    let mut skipped: Vec<String> = train
        .sparse
        .iter()
        .map(|(name, ratio)| {
            format!(
                "`{name}`: {:.1}% missing in train, above validation.max_missing_ratio ({})",
                ratio * 100.0,
                roles.max_missing_ratio
            )
        })
        .collect();
    if train.left_out > 0 {
        skipped.push(format!(
            "{} columns of a wide table: features are made from its first {} columns (the same on every backend)",
            train.left_out,
            train.usable.len() + train.sparse.len()
        ));
    }
    name_features(&mut candidates, train.table)?;
    skipped.extend(keep_fair_share(&mut candidates, config.max_features));
    let limit = max_table_columns(owned_dialect.as_ref());
    // A feature table joining its source holds the row key and the
    // features only.
    let copied = if joins(train.table, config) {
        1
    } else {
        train.table.columns.len()
    };
    let room = limit.saturating_sub(copied);
    if candidates.len() > room {
        skipped.push(format!(
            "{} features beyond the {limit}-column limit of a feature table",
            candidates.len() - room
        ));
        candidates.truncate(room);
    }

    stages.next("signal filter");
    let dropped = signal_filter(store, &mut candidates)?;

    let mut set = FeatureSet {
        generated_at: crate::time::now_rfc3339(),
        dropped,
        skipped,
        custom_file: custom_file.map(|p| p.display().to_string()),
        fitted,
        ..Default::default()
    };
    let views = build_tables(
        store,
        metadata,
        config,
        &candidates,
        replace,
        &mut set,
        &mut stages,
    )?;
    if replace {
        swap_in(store, &set, &views)?;
    }
    stages.next("done");
    bar.finish_and_clear();
    Ok(set)
}

/// Keeps at most `max` candidates, shared fairly between the families
/// (each gets an equal share, a family needing less leaves the rest to
/// the others; within a family the first columns win), and says what was
/// left out: per family, how many and from which columns.
fn keep_fair_share(candidates: &mut Vec<Candidate>, max: usize) -> Option<String> {
    if candidates.len() <= max {
        return None;
    }
    let mut families: Vec<(Transformer, usize)> = Vec::new();
    for candidate in candidates.iter() {
        match families
            .iter_mut()
            .find(|(f, _)| *f == candidate.column.transformer)
        {
            Some((_, count)) => *count += 1,
            None => families.push((candidate.column.transformer, 1)),
        }
    }
    // Water-filling: the smallest families are served in full first.
    let mut by_size: Vec<(Transformer, usize)> = families.clone();
    by_size.sort_by_key(|(_, count)| *count);
    let mut left = max;
    let mut shares: Vec<(Transformer, usize)> = Vec::new();
    for (index, (family, count)) in by_size.iter().enumerate() {
        let share = (left / (by_size.len() - index)).min(*count);
        shares.push((*family, share));
        left -= share;
    }
    let share_of =
        |family: Transformer| shares.iter().find(|(f, _)| *f == family).map_or(0, |s| s.1);
    let mut taken: Vec<(Transformer, usize)> = Vec::new();
    let mut out: Vec<(Transformer, usize, String, String)> = Vec::new();
    candidates.retain(|candidate| {
        let family = candidate.column.transformer;
        let used = match taken.iter_mut().find(|(f, _)| *f == family) {
            Some((_, used)) => used,
            None => {
                taken.push((family, 0));
                &mut taken.last_mut().expect("just pushed").1
            }
        };
        if *used < share_of(family) {
            *used += 1;
            return true;
        }
        let column = &candidate.column;
        let from = column.source.clone().unwrap_or_else(|| column.name.clone());
        match out.iter_mut().find(|(f, ..)| *f == family) {
            Some((_, count, _, last)) => {
                *count += 1;
                *last = from;
            }
            None => out.push((family, 1, from.clone(), from)),
        }
        false
    });
    let parts: Vec<String> = out
        .iter()
        .map(|(family, count, first, last)| {
            if first == last {
                format!("{count} {family} (column {first})")
            } else {
                format!("{count} {family} (columns {first} to {last})")
            }
        })
        .collect();
    Some(format!(
        "{} features beyond feature_engineering.max_features ({max}), shared between the families: {}",
        out.iter().map(|o| o.1).sum::<usize>(),
        parts.join(", ")
    ))
}

/// Whether `table`'s feature table joins it (it has the key to join on).
fn joins(table: &TableInfo, config: &FeatureEngineering) -> bool {
    table.keyed && (!table.groups.is_empty() || super::joins_source(table.columns.len(), config))
}

/// Creates the feature table of train, test and validation (each with the
/// candidates whose columns it has), under staging names when replacing;
/// returns the views made (name and `SELECT`), to be defined again under
/// their own names by the swap.
fn build_tables(
    store: &mut dyn Store,
    metadata: &DatasetMetadata,
    config: &FeatureEngineering,
    candidates: &[Candidate],
    replace: bool,
    set: &mut FeatureSet,
    stages: &mut Stages,
) -> Result<Vec<(String, String)>> {
    let mut views = Vec::new();
    let staging = |name: &str| {
        if replace {
            staging_name(name)
        } else {
            name.to_string()
        }
    };
    // Nothing to add: no feature tables (they would only copy the data).
    let sources: &[&str] = if candidates.is_empty() {
        &[]
    } else {
        FEATURE_SOURCES
    };
    for source in sources {
        let Some(table) = metadata.table(source) else {
            continue;
        };
        stages.next(&format!("{source}{TABLE_SUFFIX}"));
        let present: HashSet<&str> = table.columns.iter().map(|c| c.name.as_str()).collect();
        let (chosen, missing): (Vec<&Candidate>, Vec<&Candidate>) = candidates
            .iter()
            .partition(|c| c.reads.iter().all(|r| present.contains(r.as_str())));
        for candidate in missing {
            set.skipped.push(format!(
                "{} in {source}: the table lacks a column it reads",
                candidate.column.name
            ));
        }
        let name = format!("{source}{TABLE_SUFFIX}");
        let chosen: Vec<&Candidate> = if *source == "train" {
            chosen
        } else {
            // Custom features are validated on train; elsewhere they must
            // also compile against the table.
            let mut kept = Vec::new();
            for candidate in chosen {
                if candidate.column.transformer == Transformer::Custom {
                    let sql = format!(
                        "SELECT {} FROM {} WHERE 1 = 0",
                        candidate.expression,
                        store.dialect().quote_identifier(source)
                    );
                    if store.query(&sql, &[], &mut |_| Ok(())).is_err() {
                        set.skipped.push(format!(
                            "{} in {source}: the expression does not apply to this table",
                            candidate.column.name
                        ));
                        continue;
                    }
                }
                kept.push(candidate);
            }
            kept
        };
        // Train's feature table keeps train's row key, so that folds and
        // features join on it.
        // So does a feature table joining a wide source: it holds the key
        // and the features.
        let joined = joins(table, config);
        let row_key = if joined {
            Some(crate::dialect::ROW_KEY)
        } else {
            metadata.row_key().filter(|_| *source == "train")
        };
        // A view unless asked for tables; a wide source's features are
        // stored (a view would join its column groups on every read).
        let view = !joined && !config.materialize;
        if view {
            let select = view_select(store.dialect(), table, row_key, &chosen);
            define_view(store, &staging(&name), &select)?;
            if *source != "train" {
                check_custom(store, table, &chosen)?;
            }
            views.push((name.clone(), select));
        } else {
            materialize(store, table, row_key, joined, &staging(&name), &chosen)?;
        }
        set.tables.push(FeatureTable {
            name,
            source: source.to_string(),
            rows: table.rows,
            features: chosen.iter().map(|c| c.column.clone()).collect(),
            joined,
            view,
        });
    }
    Ok(views)
}

/// Evaluates the custom features of a view over every row of its source,
/// so that an expression failing on a value of `test` (a division by zero
/// on PostgreSQL, say) fails the registration, as filling a table would,
/// rather than a later read. Train's were evaluated by the signal filter.
fn check_custom(store: &mut dyn Store, table: &TableInfo, chosen: &[&Candidate]) -> Result<()> {
    let custom: Vec<String> = chosen
        .iter()
        .filter(|c| c.column.transformer == Transformer::Custom)
        // MAX needs every value (a COUNT may be answered without them);
        // booleans have none on PostgreSQL.
        .map(|c| match c.column.column_type {
            crate::model::ColumnType::Boolean => format!("MAX(CAST({} AS INTEGER))", c.expression),
            _ => format!("MAX({})", c.expression),
        })
        .collect();
    if custom.is_empty() {
        return Ok(());
    }
    let sql = format!(
        "SELECT {} FROM {}",
        custom.join(", "),
        store.dialect().quote_identifier(&table.name)
    );
    store.query(&sql, &[], &mut |_| Ok(()))
}

/// Progress through the generation stages, each logged with its duration.
struct Stages {
    bar: indicatif::ProgressBar,
    current: Option<(String, std::time::Instant)>,
}

impl Stages {
    fn new(bar: indicatif::ProgressBar) -> Stages {
        Stages { bar, current: None }
    }

    fn next(&mut self, stage: &str) {
        if let Some((name, started)) = self.current.take() {
            log::info!("features: {name} took {:.2?}", started.elapsed());
            self.bar.inc(1);
        }
        self.bar.set_message(stage.to_string());
        self.current = Some((stage.to_string(), std::time::Instant::now()));
    }
}

/// Makes feature names distinct from the table's columns and from each
/// other (case-insensitively, as SQL compares names), with `_2`, `_3`, ...
fn name_features(candidates: &mut [Candidate], train: &TableInfo) -> Result<()> {
    let mut taken: HashSet<String> = train
        .columns
        .iter()
        .map(|c| c.name.to_lowercase())
        .collect();
    for candidate in candidates.iter_mut() {
        let base = candidate.column.name.clone();
        if candidate.column.transformer == Transformer::Custom
            && taken.contains(&base.to_lowercase())
        {
            return Err(Error::InvalidArgument(format!(
                "custom feature '{base}': the name is already a column or feature of the train table"
            )));
        }
        candidate.column.name = distinct_name(&base, &mut taken);
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::Backend;

    #[test]
    fn feature_tables_are_equally_wide_on_every_backend() {
        for name in Backend::ALL {
            let backend: Backend = name.parse().expect("a backend");
            let dialect = crate::dialect::for_backend(backend);
            assert!(PORTABLE_TABLE_COLUMNS <= dialect.max_columns(), "{name}");
            assert_eq!(max_table_columns(dialect.as_ref()), 1500, "{name}");
        }
    }
}
