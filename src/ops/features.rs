//! `mdm dataset features`: shows a dataset's generated features, or
//! regenerates them after a configuration change, an `update --target` or
//! an edited custom-features file. New feature tables are built beside the
//! old ones and swapped in with one transaction.

use std::path::PathBuf;

use crate::catalog::Catalog;
use crate::config::Settings;
use crate::error::{Error, Result};
use crate::features::{self, FeatureSet};
use crate::metadata;
use crate::store;
use crate::ui::Ui;

/// What `features` should do.
#[derive(Clone, Debug, Default)]
pub struct FeaturesOptions {
    /// Recompute the feature tables.
    pub regenerate: bool,
    /// Custom features to use instead of the dataset's default file.
    pub features_file: Option<PathBuf>,
}

/// The dataset's feature set, regenerated first when asked.
pub fn features(
    settings: &Settings,
    name: &str,
    options: &FeaturesOptions,
    ui: &Ui,
) -> Result<Option<FeatureSet>> {
    let catalog = Catalog::new(settings);
    let record = catalog.get(name)?;
    if !options.regenerate {
        if options.features_file.is_some() {
            return Err(Error::InvalidArgument(
                "--features-file applies with --regenerate".into(),
            ));
        }
        let mut store = super::open_store_read_only(settings, &record)?;
        let metadata = metadata::load(store.as_mut())?;
        return FeatureSet::from_metadata(&metadata);
    }
    let (custom_file, custom) =
        features::custom::load(settings, &record.name, options.features_file.as_deref())?;
    let _lock = super::DatasetLock::exclusive(settings, &record.name)?;
    let record = catalog.get(&record.name)?;
    // New feature tables replace the old ones, which only their owner may
    // drop.
    let backend = crate::backend::for_settings(settings)?;
    backend.check_writer(&record, crate::backend::WriteScope::Tables)?;
    let mut store = backend.open(&record)?;
    let metadata = metadata::load(store.as_mut())?;
    let set = generate(
        store.as_mut(),
        &metadata,
        &record,
        settings,
        (&custom, custom_file.as_deref()),
        true,
        ui,
    )?;
    super::index_tables(
        store.as_mut(),
        &metadata,
        &set,
        false,
        &record.annotations.id_columns,
    )?;
    let value = serde_json::to_string(&set).map_err(|e| Error::General(e.to_string()))?;
    store::write_metadata(store.as_mut(), &[(features::METADATA_KEY, value)])?;
    report_features(&set, ui);
    Ok(Some(set))
}

/// Generates the features of a dataset's store with the roles its record
/// names and the configured settings (at registration, and when
/// regenerating with `replace`).
pub(crate) fn generate(
    store: &mut dyn store::Store,
    metadata: &metadata::DatasetMetadata,
    record: &crate::backend::record::DatasetRecord,
    settings: &Settings,
    (custom, custom_file): (&[features::custom::CustomFeature], Option<&std::path::Path>),
    replace: bool,
    ui: &Ui,
) -> Result<FeatureSet> {
    let targets = record.annotations.targets();
    features::generate(
        store,
        metadata,
        &features::Roles {
            // Several targets: no target encoding against any one of them.
            target: record
                .annotations
                .target
                .as_deref()
                .filter(|_| targets.len() < 2),
            targets: &targets,
            id_columns: &record.annotations.id_columns,
            max_missing_ratio: settings.config.validation.max_missing_ratio,
            time_column: record.annotations.time_column.as_deref(),
            group_column: record.annotations.group_column.as_deref(),
        },
        &settings.config.feature_engineering,
        custom,
        custom_file,
        replace,
        settings.config.performance.batch_size,
        ui.progress_steps(features::STAGES, "features"),
    )
}

/// One line on what feature generation made.
pub fn report_features(set: &FeatureSet, ui: &Ui) {
    let count = set.tables.first().map_or(0, |t| t.features.len());
    let tables: Vec<&str> = set.tables.iter().map(|t| t.name.as_str()).collect();
    ui.message(&format!(
        "features: {count} generated into {}; {} constant or empty dropped{}",
        if tables.is_empty() {
            "-".to_string()
        } else {
            tables.join(", ")
        },
        set.dropped.len(),
        if set.skipped.is_empty() {
            String::new()
        } else {
            format!(
                "; {} skipped ({})",
                set.skipped.len(),
                set.skipped.join("; ")
            )
        }
    ));
}
