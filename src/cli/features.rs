//! `mdm dataset features`: the clap struct, and the rendering of a feature
//! set (also shown by `dataset info --show-features`).

use std::path::PathBuf;

use clap::Args;

use super::short_time;
use crate::config::Settings;
use crate::error::Result;
use crate::features::FeatureSet;
use crate::ops::features::{self, FeaturesOptions};
use crate::ui::{self, Table, Ui};

#[derive(Debug, Args)]
pub struct FeaturesOpt {
    pub name: String,
    /// Recompute the feature tables from the current configuration, target and custom features.
    #[arg(long)]
    pub regenerate: bool,
    /// Custom features (YAML) instead of the dataset's file under custom_features/.
    #[arg(long, value_name = "FILE", requires = "regenerate")]
    pub features_file: Option<PathBuf>,
    /// Machine-readable JSON on stdout.
    #[arg(long)]
    pub json: bool,
}

/// Prints the dataset's features, regenerating them first when asked.
pub fn run(settings: &Settings, opt: FeaturesOpt, ui: &Ui) -> Result<()> {
    let FeaturesOpt {
        name,
        regenerate,
        features_file,
        json,
    } = opt;
    let options = FeaturesOptions {
        regenerate,
        features_file,
    };
    let set = features::features(settings, &name, &options, ui)?;
    if json {
        return ui::print_json(&set);
    }
    match set {
        Some(set) => ui::print(&render_features(&set)),
        None => ui::print(&format!(
            "dataset '{name}' has no generated features; run mdm dataset features {name} --regenerate\n"
        )),
    }
}

/// The feature tables and the features of each.
pub(crate) fn render_features(set: &FeatureSet) -> String {
    let mut text = format!(
        "features generated {} ({} constant or empty dropped{}):\n",
        short_time(&set.generated_at),
        set.dropped.len(),
        set.custom_file
            .as_ref()
            .map(|f| format!(", custom features from {f}"))
            .unwrap_or_default()
    );
    for table in &set.tables {
        text.push_str(&format!(
            "\n{} ({} rows, {} features, {}):\n",
            table.name,
            table.rows,
            table.features.len(),
            if table.view {
                "a view computing them when read"
            } else {
                "stored"
            }
        ));
        let mut rows = Table::new(&["FEATURE", "TRANSFORMER", "SOURCE", "TYPE"]);
        for feature in &table.features {
            rows.push(vec![
                feature.name.clone(),
                feature.transformer.to_string(),
                feature.source.clone().unwrap_or_else(|| "-".into()),
                feature.column_type.as_str().into(),
            ]);
        }
        for row in rows.render().lines() {
            text.push_str(&format!("  {row}\n"));
        }
    }
    for note in &set.skipped {
        text.push_str(&format!("skipped: {note}\n"));
    }
    text
}
