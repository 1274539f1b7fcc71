//! Moving datasets between backends: export from one, register the export
//! on another, and get the same tables, types, roles and values — the
//! documented way to move a dataset (needs the `odbc` feature and a
//! PostgreSQL server, as scripts/test.sh provides).

#![cfg(feature = "odbc")]

use crate::common::Env;

/// The configurations of the three ways mdm can store a dataset.
fn configs(env: &Env) -> Vec<(&'static str, std::path::PathBuf)> {
    let prefix = &env.prefix;
    let postgresql = format!(
        "database:\n  default_backend: postgresql\n  postgresql:\n    host: 127.0.0.1\n    user: postgres\n    database_prefix: {prefix}\n"
    );
    [
        ("embedded", String::new()),
        (
            "sqlite-odbc",
            "database:\n  sqlite:\n    odbc: { driver: MDM SQLite3 }\n".to_string(),
        ),
        ("postgresql", postgresql),
        (
            "duckdb",
            "database:\n  default_backend: duckdb\n".to_string(),
        ),
    ]
    .into_iter()
    .map(|(name, yaml)| (name, env.write(&format!("{name}.yaml"), yaml)))
    .collect()
}

/// What a dataset holds, as mdm reports it: schema and every value as
/// exported to CSV.
fn contents(env: &Env, config: &std::path::Path, name: &str) -> (serde_json::Value, Vec<String>) {
    let config = config.to_str().unwrap();
    let info = env.json(&["--config", config, "dataset", "info", name]);
    let mut exported = Vec::new();
    for table in info["tables"].as_array().unwrap() {
        let table = table["name"].as_str().unwrap();
        exported.push(env.ok(&[
            "--config", config, "dataset", "export", name, "--table", table, "--output", "-",
        ]));
    }
    let roles = serde_json::json!({
        "schema": info["schema"],
        "target": info["target"],
        "id_columns": info["id_columns"],
        "problem_type": info["problem_type"],
        "tables": info["tables"],
    });
    (roles, exported)
}

#[test]
fn datasets_move_between_every_pair_of_backends_unchanged() {
    let env = Env::new();
    let long = "long ".repeat(20_000);
    let data = env.write(
        "moving/train.csv",
        format!(
            "id,text,big,real,day,moment,flag,label\n\
             1,\"comma, quote \"\" and\nnewline\",9223372036854775807,1e308,2024-02-29,2024-02-29 23:59:59.123456,true,a\n\
             2,ünïcødé ✓ 日本,-9223372036854775808,-1.5e-300,1970-01-01,1969-12-31 23:59:59,false,b\n\
             3,,,,,,,a\n\
             4,{long},0,0.30000000000000004,0001-01-01,2038-01-19 03:14:08,TRUE,b\n\
             5,00123,42,2.2250738585072014e-308,9999-12-31,2000-01-01 00:00:00,false,a\n"
        ),
    );
    env.write(
        "moving/test.csv",
        "id,text,big,real,day,moment,flag\n6,x,1,1.25,2020-01-01,2020-01-01 00:00:01,true\n",
    );
    let configs = configs(&env);
    for (from, from_config) in &configs {
        let source = format!("src-{from}");
        let from_arg = from_config.to_str().unwrap();
        env.ok(&[
            "--config",
            from_arg,
            "dataset",
            "register",
            &source,
            data.parent().unwrap().to_str().unwrap(),
            "--target",
            "label",
            "--text-columns",
            "text",
        ]);
        let dir = env.dir.path().join(format!("export-{from}"));
        env.ok(&[
            "--config",
            from_arg,
            "dataset",
            "export",
            &source,
            "--output-dir",
            dir.to_str().unwrap(),
        ]);
        let expected = contents(&env, from_config, &source);
        for (to, to_config) in &configs {
            if to == from {
                continue;
            }
            let copy = format!("copy-{from}-{to}");
            env.ok(&[
                "--config",
                to_config.to_str().unwrap(),
                "dataset",
                "register",
                &copy,
                dir.to_str().unwrap(),
            ]);
            let got = contents(&env, to_config, &copy);
            assert_eq!(got.0, expected.0, "schema and roles, {from} -> {to}");
            assert_eq!(got.1, expected.1, "values, {from} -> {to}");
        }
    }
    // The values are the source file's, in mdm's canonical spelling.
    let (_, exported) = contents(&env, &configs[2].1, "src-postgresql");
    let first = exported[0].lines().nth(1).unwrap();
    assert_eq!(first, "1,\"comma, quote \"\" and");
    assert!(exported[0]
        .contains(",9223372036854775807,1e308,2024-02-29,2024-02-29 23:59:59.123456,true,a"));
    assert!(exported[0].contains(
        "2,ünïcødé ✓ 日本,-9223372036854775808,-1.5e-300,1970-01-01,1969-12-31 23:59:59,false,b"
    ));
    assert!(exported[0].contains(",0,0.30000000000000004,0001-01-01,2038-01-19 03:14:08,true,b"));
    assert!(exported[0]
        .contains("5,00123,42,2.2250738585072014e-308,9999-12-31,2000-01-01 00:00:00,false,a"));
}
