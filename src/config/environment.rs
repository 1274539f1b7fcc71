//! The environment overlay: `MDM_<SECTION>_<KEY>` variables set keys of the
//! parsed `mdm.yaml` before it is read into the schema, so that they win
//! over the file. A variable that names a section but no key is an error.

use std::collections::BTreeMap;

use serde_yaml::Value;

use super::schema::Config;
use crate::error::{Error, Result};

/// Environment variables that are not configuration keys.
const SPECIAL_ENV: &[&str] = &["MDM_HOME", "MDM_HOME_DIR", "MDM_CONFIG_PATH"];

/// Applies `MDM_<SECTION>_<KEY>` variables onto the YAML tree, returning
/// which variable set which key. Variables whose first word names a section
/// but no key are errors (a typo must not be silently ignored); other `MDM_*`
/// variables belong to someone else and are left alone.
pub(super) fn apply_env_overrides(
    tree: &mut Value,
    env: &BTreeMap<String, String>,
) -> Result<Vec<(String, String)>> {
    let schema = serde_yaml::to_value(Config::default()).expect("defaults serialize");
    let sections: Vec<String> = schema
        .as_mapping()
        .map(|m| {
            m.keys()
                .filter_map(|k| k.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default();
    let mut applied = Vec::new();
    for (var, raw) in env {
        if SPECIAL_ENV.contains(&var.as_str()) {
            continue;
        }
        let rest = var["MDM_".len()..].to_ascii_lowercase();
        let Some(path) = resolve_key(&schema, &rest) else {
            if sections
                .iter()
                .any(|s| rest == *s || rest.starts_with(&format!("{s}_")))
            {
                return Err(Error::Config(format!(
                    "environment variable {var} does not name a configuration key"
                )));
            }
            continue;
        };
        let leaf = path.iter().fold(&schema, |node, key| &node[key.as_str()]);
        let value = match leaf {
            Value::String(_) | Value::Null => Value::String(raw.clone()),
            _ => serde_yaml::from_str(raw).unwrap_or_else(|_| Value::String(raw.clone())),
        };
        set_path(tree, &path, value);
        applied.push((var.clone(), path.join(".")));
    }
    Ok(applied)
}

/// Finds the key path whose `_`-joined spelling is `rest`.
fn resolve_key(schema: &Value, rest: &str) -> Option<Vec<String>> {
    let map = schema.as_mapping()?;
    for (key, child) in map {
        let key = key.as_str()?;
        if rest == key && !child.is_mapping() {
            return Some(vec![key.to_string()]);
        }
        if let Some(tail) = rest.strip_prefix(key).and_then(|t| t.strip_prefix('_')) {
            if let Some(mut path) = resolve_key(child, tail) {
                path.insert(0, key.to_string());
                return Some(path);
            }
        }
    }
    None
}

fn set_path(tree: &mut Value, path: &[String], value: Value) {
    let mut node = tree;
    for (i, key) in path.iter().enumerate() {
        if !node.is_mapping() {
            *node = Value::Mapping(Default::default());
        }
        let map = node.as_mapping_mut().expect("just made a mapping");
        let key = Value::String(key.clone());
        if i + 1 == path.len() {
            map.insert(key, value);
            return;
        }
        node = map
            .entry(key)
            .or_insert_with(|| Value::Mapping(Default::default()));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn environment_names_resolve_to_nested_keys() {
        let schema = serde_yaml::to_value(Config::default()).unwrap();
        assert_eq!(
            resolve_key(&schema, "database_sqlite_journal_mode").unwrap(),
            ["database", "sqlite", "journal_mode"]
        );
        assert_eq!(
            resolve_key(&schema, "database_default_backend").unwrap(),
            ["database", "default_backend"]
        );
        assert!(resolve_key(&schema, "database_nope").is_none());
    }
}
