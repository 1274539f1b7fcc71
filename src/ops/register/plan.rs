//! Registration step 3: roles and forced types applied to the inferred
//! tables, and every check that needs no database. A dry run stops after
//! this step.

use super::checks::check_min_rows;
use super::RegisterOptions;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::ingest::plan::TablePlan;
use crate::ingest::roles;
use crate::ingest::schema::{apply_forced_types, check_columns, unify_types, ForcedTypes};
use crate::model::ColumnType;
use crate::ui::Ui;

/// Step 3's result: the options with an implied target.
pub(super) struct Planned {
    pub(super) options: RegisterOptions,
    /// The target a sample submission implied (none given).
    pub(super) implied_target: Option<String>,
}

/// Step 3: roles and forced types applied to the inferred tables, and
/// every check that needs no database.
pub(super) fn plan_tables(
    settings: &Settings,
    options: &RegisterOptions,
    mut plans: Vec<TablePlan>,
    ui: &Ui,
) -> Result<(Vec<TablePlan>, Planned)> {
    let implied_target =
        roles::implied_target(&plans, options.target.as_deref(), &options.id_columns)
            .filter(|target| !options.ignore_columns.contains(target));
    let options = RegisterOptions {
        target: implied_target.clone().or_else(|| options.target.clone()),
        ..options.clone()
    };
    unify_types(&mut plans);
    let roles = roles_of(&options);
    check_roles(&plans, &roles, &options)?;
    let datetime_columns = with_time_column(&plans, &options, ui)?;
    apply_forced_types(
        &mut plans,
        &ForcedTypes {
            column_types: &options.column_types,
            numeric_columns: &options.numeric_columns,
            datetime_columns: &datetime_columns,
            text_columns: &options.text_columns,
            categorical_columns: &options.categorical_columns,
        },
    )?;
    check_columns(&plans, options.target.as_deref(), &options.id_columns)?;
    for extra in &options.extra_targets {
        check_columns(&plans, Some(extra), &[])?;
    }
    if let Some(column) = &options.partition_by {
        let dialect = crate::dialect::for_backend(settings.backend());
        crate::ops::partition::check(
            dialect.as_ref(),
            settings.backend(),
            &plans[0].columns,
            column,
        )?;
    }
    plan_column_groups(&mut plans, &options, settings)?;
    if plans[0].source.reader.counts_rows_upfront() {
        check_min_rows(&plans[0], settings)?;
    }
    Ok((
        plans,
        Planned {
            options,
            implied_target,
        },
    ))
}

/// Headroom below a database's column limit before a table is stored as
/// column groups.
const COLUMN_HEADROOM: usize = 10;

/// Decides which tables are stored as column groups: those wider than the
/// backend takes in one table (or than `database.column_group_size`,
/// when set). The columns with a role stay in the table itself, so that
/// SQL over them (features, folds) needs no join.
fn plan_column_groups(
    plans: &mut [TablePlan],
    options: &RegisterOptions,
    settings: &Settings,
) -> Result<()> {
    let dialect = crate::dialect::for_backend(settings.backend());
    // Tables of more columns than `widest` (the row key is one more) are
    // stored in groups of `size`.
    let (widest, size) = match settings.config.database.column_group_size {
        0 => (
            dialect.max_columns() - COLUMN_HEADROOM,
            dialect.column_group_size(),
        ),
        size => (size, size),
    };
    let mut roles: Vec<String> = options.targets();
    roles.extend(options.id_columns.iter().cloned());
    roles.extend(
        [
            &options.time_column,
            &options.group_column,
            &options.stratify_column,
        ]
        .into_iter()
        .flatten()
        .cloned(),
    );
    for plan in plans.iter_mut() {
        if plan.columns.len() <= widest {
            // Stored whole, but with the row key when its feature table
            // will join it rather than copy it.
            if crate::features::joins_source(
                plan.columns.len(),
                &settings.config.feature_engineering,
            ) {
                plan.column_groups = vec![(0..plan.columns.len()).collect()];
            }
            continue;
        }
        if plan
            .columns
            .iter()
            .any(|c| c.name.eq_ignore_ascii_case(crate::dialect::ROW_KEY))
        {
            return Err(Error::InvalidArgument(format!(
                "{}: {} columns, one of them named {}: a table this wide is stored in column groups joined on mdm's row key of that name; rename the column",
                plan.source.path.display(),
                plan.columns.len(),
                crate::dialect::ROW_KEY
            )));
        }
        let first: Vec<usize> = roles
            .iter()
            .filter_map(|role| plan.columns.iter().position(|c| &c.name == role))
            .collect();
        plan.column_groups = crate::store::groups::split(plan.columns.len(), &first, size);
    }
    Ok(())
}

/// The columns the modeller named (`--time-column` and the like) with
/// their flags.
pub(super) fn roles_of(options: &RegisterOptions) -> Vec<(&'static str, String)> {
    [
        ("--time-column", &options.time_column),
        ("--group-column", &options.group_column),
        ("--stratify-column", &options.stratify_column),
    ]
    .into_iter()
    .filter_map(|(flag, column)| column.clone().map(|c| (flag, c)))
    .chain(
        options
            .ignore_columns
            .iter()
            .map(|c| ("--ignore-columns", c.clone())),
    )
    .collect()
}

/// Every named column exists in train (test may lack them); ignored
/// columns are not the target, an ID column or another role.
pub(super) fn check_roles(
    plans: &[TablePlan],
    roles: &[(&'static str, String)],
    options: &RegisterOptions,
) -> Result<()> {
    let train = &plans[0];
    for (flag, column) in roles {
        if !train.columns.iter().any(|c| &c.name == column) {
            let available: Vec<&str> = train.columns.iter().map(|c| c.name.as_str()).collect();
            return Err(Error::InvalidArgument(format!(
                "{flag}: column '{column}' not found in {} (columns: {})",
                train.source.path.display(),
                available.join(", ")
            )));
        }
    }
    for ignored in &options.ignore_columns {
        let clash = if options.is_target(ignored) {
            Some("--target")
        } else if options.id_columns.contains(ignored) {
            Some("--id-columns")
        } else {
            roles
                .iter()
                .find(|(flag, column)| *flag != "--ignore-columns" && column == ignored)
                .map(|(flag, _)| *flag)
        };
        if let Some(flag) = clash {
            return Err(Error::InvalidArgument(format!(
                "--ignore-columns: column '{ignored}' is also given to {flag}; an ignored column has no role"
            )));
        }
    }
    Ok(())
}

/// The `--datetime-columns` to force, with the time column added when it
/// was read as text (its values must then parse as dates or timestamps);
/// a time column of numbers or booleans is refused.
pub(super) fn with_time_column(
    plans: &[TablePlan],
    options: &RegisterOptions,
    ui: &Ui,
) -> Result<Vec<String>> {
    let mut datetime_columns = options.datetime_columns.clone();
    let Some(time) = &options.time_column else {
        return Ok(datetime_columns);
    };
    let column = plans[0]
        .columns
        .iter()
        .find(|c| &c.name == time)
        .expect("checked by check_roles");
    let forced = options.column_types.get(time).copied();
    match forced.unwrap_or(column.column_type) {
        ColumnType::Date | ColumnType::Datetime => {}
        ColumnType::Text if !datetime_columns.contains(time) => {
            ui.message(&format!(
                "--time-column: '{time}' was read as text; storing it as timestamps (every value must parse as one)"
            ));
            datetime_columns.push(time.clone());
        }
        ColumnType::Text => {}
        other => {
            return Err(Error::InvalidArgument(format!(
                "--time-column: column '{time}' holds {} values; a time column holds dates or timestamps",
                other.as_str()
            )))
        }
    }
    Ok(datetime_columns)
}
