//! Configuration files written for the original MDM: its keys are moved
//! onto mdm's where they mean the same thing, and the ones mdm has no use
//! for are taken out and named, so that such a file is accepted as it is.
//! Anything else unknown is still an error naming the key.

use serde_yaml::{Mapping, Value};

/// Keys of the original MDM that mdm spells differently: (from, to).
const MOVED: &[(&str, &str)] = &[
    ("validation.before_features.min_rows", "validation.min_rows"),
    (
        "validation.before_features.check_duplicates",
        "validation.check_duplicates",
    ),
    (
        "validation.before_features.drop_duplicates",
        "validation.drop_duplicates",
    ),
    (
        "validation.before_features.max_missing_ratio",
        "validation.max_missing_ratio",
    ),
];

/// Keys (or whole sections) of the original MDM that have no effect in
/// mdm, with the reason given to the user.
const INERT: &[(&str, &str)] = &[
    (
        "validation.before_features.signal_detection",
        "mdm drops constant and empty features instead",
    ),
    (
        "validation.after_features",
        "features are checked as they are made: constant and empty ones are dropped",
    ),
    (
        "database.sqlalchemy.pool_recycle",
        "mdm's connections last one command",
    ),
    ("cli.default_output_format", "use --json"),
    ("cli.page_size", "use --limit"),
    ("development", "use -v or -vv for more logging"),
];

/// What the translation did that the user should hear about.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Translation {
    /// `key (reason)` for each key that has no effect.
    pub inert: Vec<String>,
}

/// Rewrites the original MDM's keys in `tree` (the parsed `mdm.yaml`) into
/// mdm's. A key already given in mdm's spelling wins over the moved one.
pub fn translate(tree: &mut Value) -> Translation {
    let mut translation = Translation::default();
    // `feature_engineering.generic.{family}.*` is mdm's
    // `feature_engineering.{family}.*`.
    if let Some(Value::Mapping(families)) = take(tree, "feature_engineering.generic") {
        for (family, keys) in families {
            let Some(family) = family.as_str() else {
                continue;
            };
            let Value::Mapping(keys) = keys else {
                put_missing(tree, &format!("feature_engineering.{family}"), keys);
                continue;
            };
            for (key, value) in keys {
                if let Some(key) = key.as_str() {
                    put_missing(tree, &format!("feature_engineering.{family}.{key}"), value);
                }
            }
        }
    }
    for (from, to) in MOVED {
        if let Some(value) = take(tree, from) {
            put_missing(tree, to, value);
        }
    }
    for (key, reason) in INERT {
        if take(tree, key).is_some() {
            translation.inert.push(format!("{key} ({reason})"));
        }
    }
    // The original MDM's sections that held only moved keys are empty now.
    for section in ["validation.before_features"] {
        if get(tree, section).is_some_and(|v| v.as_mapping().is_some_and(Mapping::is_empty)) {
            take(tree, section);
        }
    }
    // Python's logging level names.
    if let Some(level) = get_mut(tree, "logging.level") {
        if level
            .as_str()
            .is_some_and(|l| l.eq_ignore_ascii_case("critical"))
        {
            *level = Value::String("error".into());
        }
    }
    // Parquet-only codecs of the original MDM.
    if let Some(compression) = get(tree, "export.compression").and_then(Value::as_str) {
        if ["snappy", "lz4"]
            .iter()
            .any(|c| compression.eq_ignore_ascii_case(c))
        {
            translation.inert.push(format!(
                "export.compression: {compression} (mdm compresses with none, gzip, zip or zstd; none is used)"
            ));
            take(tree, "export.compression");
        }
    }
    translation
}

fn get<'a>(tree: &'a Value, dotted: &str) -> Option<&'a Value> {
    dotted
        .split('.')
        .try_fold(tree, |node, key| node.as_mapping()?.get(key))
}

fn get_mut<'a>(tree: &'a mut Value, dotted: &str) -> Option<&'a mut Value> {
    dotted
        .split('.')
        .try_fold(tree, |node, key| node.as_mapping_mut()?.get_mut(key))
}

/// Removes and returns the value at `dotted`.
fn take(tree: &mut Value, dotted: &str) -> Option<Value> {
    let (parent, key) = match dotted.rsplit_once('.') {
        Some((parent, key)) => (get_mut(tree, parent)?, key),
        None => (tree, dotted),
    };
    parent.as_mapping_mut()?.remove(key)
}

/// Sets `dotted` to `value` unless a value is there already, creating the
/// sections on the way.
fn put_missing(tree: &mut Value, dotted: &str, value: Value) {
    let mut node = tree;
    let keys: Vec<&str> = dotted.split('.').collect();
    for (i, key) in keys.iter().enumerate() {
        if node.is_null() {
            *node = Value::Mapping(Mapping::new());
        }
        let Some(map) = node.as_mapping_mut() else {
            return;
        };
        let key = Value::String((*key).to_string());
        if i + 1 == keys.len() {
            if !map.contains_key(&key) {
                map.insert(key, value);
            }
            return;
        }
        node = map
            .entry(key)
            .or_insert_with(|| Value::Mapping(Mapping::new()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn yaml(text: &str) -> Value {
        serde_yaml::from_str(text).unwrap()
    }

    #[test]
    fn generic_feature_settings_move_and_mdm_spelling_wins() {
        let mut tree = yaml(
            "feature_engineering:\n  temporal: {include_cyclical: false}\n  generic:\n    temporal: {include_cyclical: true, include_lag: false}\n    binning: {n_bins: [3]}\n",
        );
        let translation = translate(&mut tree);
        assert_eq!(
            tree,
            yaml("feature_engineering:\n  temporal: {include_cyclical: false, include_lag: false}\n  binning: {n_bins: [3]}\n")
        );
        assert!(translation.inert.is_empty(), "{:?}", translation.inert);
    }

    #[test]
    fn validation_sections_map_onto_mdm_keys() {
        let mut tree = yaml(
            "validation:\n  before_features: {min_rows: 10, drop_duplicates: true, signal_detection: false}\n  after_features: {check_duplicates: false}\n",
        );
        let translation = translate(&mut tree);
        assert_eq!(
            tree,
            yaml("validation: {min_rows: 10, drop_duplicates: true}\n")
        );
        assert_eq!(translation.inert.len(), 2);
    }
}
