//! PostgreSQL as a team's server: two users (the roles `mdm_alice` and
//! `mdm_bob`, who belongs to the group role `mdm_team`; scripts/test.sh
//! creates them), each with their own mdm home, on one server and one
//! database prefix. The server is the catalog and its roles and grants are
//! the access control.

#![cfg(feature = "odbc")]

use std::process::Command;

use crate::common::{titanic, Env};

/// A user's mdm home on the shared server.
struct User<'a> {
    env: &'a Env,
    home: std::path::PathBuf,
}

impl<'a> User<'a> {
    fn new(env: &'a Env, role: &str) -> User<'a> {
        let home = env.dir.path().join(role);
        std::fs::create_dir_all(&home).unwrap();
        std::fs::write(
            home.join("mdm.yaml"),
            format!(
                "database:\n  default_backend: postgresql\n  postgresql:\n    host: 127.0.0.1\n    user: {role}\n    database_prefix: {}\n",
                env.prefix
            ),
        )
        .unwrap();
        User { env, home }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = self.env.process();
        command.env("MDM_HOME", &self.home).args(args);
        command
    }

    fn run(&self, args: &[&str]) -> (Option<i32>, String, String) {
        let output = self.command(args).output().unwrap();
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    }

    fn ok(&self, args: &[&str]) -> String {
        let (code, stdout, stderr) = self.run(args);
        assert_eq!(code, Some(0), "mdm {args:?}: {stderr}");
        stdout
    }

    fn fails(&self, args: &[&str], expected: i32) -> String {
        let (code, _, stderr) = self.run(args);
        assert_eq!(code, Some(expected), "mdm {args:?}: {stderr}");
        stderr
    }

    /// Exit 5, naming the owner, with nothing changed.
    fn is_refused(&self, args: &[&str], owner: &str) {
        let stderr = self.fails(args, 5);
        assert!(
            stderr.contains(&format!("owned by {owner}; ask them")),
            "{args:?}: {stderr}"
        );
    }

    fn names(&self) -> Vec<String> {
        let listing: serde_json::Value =
            serde_json::from_str(&self.ok(&["dataset", "list", "--json"])).unwrap();
        listing
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["name"].as_str().unwrap().to_string())
            .collect()
    }
}

fn psql_as(role: &str, database: &str, sql: &str) -> std::process::Output {
    Command::new("psql")
        .args([
            "-h",
            "127.0.0.1",
            "-U",
            role,
            "-d",
            database,
            "-AtXq",
            "-c",
            sql,
        ])
        .output()
        .unwrap()
}

/// `train_features`' row count as `role` reads it with psql.
fn features_rows_as(role: &str, database: &str) -> String {
    let read = psql_as(role, database, "SELECT COUNT(*) FROM train_features");
    String::from_utf8_lossy(&read.stdout).into_owned()
}

#[test]
fn a_teams_server_is_the_catalog_and_datasets_are_private_until_granted() {
    let env = Env::new();
    let alice = User::new(&env, "mdm_alice");
    let bob = User::new(&env, "mdm_bob");
    let data = titanic();
    alice.ok(&[
        "dataset",
        "register",
        "shared",
        data.to_str().unwrap(),
        "--target",
        "Survived",
    ]);
    let database = format!("{}shared", env.prefix);

    // Private: bob neither lists nor reads it, and cannot take its name.
    assert!(bob.names().is_empty());
    let stderr = bob.fails(&["dataset", "info", "shared"], 5);
    assert!(stderr.contains("owned by mdm_alice"), "{stderr}");
    bob.fails(
        &["dataset", "register", "shared", data.to_str().unwrap()],
        4,
    );
    let denied = psql_as("mdm_bob", &database, "SELECT COUNT(*) FROM train");
    assert!(!denied.status.success());

    // A grant to his group: he lists, reads, exports and queries it.
    alice.ok(&["dataset", "grant", "shared", "mdm_team"]);
    assert_eq!(bob.names(), ["shared"]);
    let info: serde_json::Value =
        serde_json::from_str(&bob.ok(&["dataset", "info", "shared", "--json"])).unwrap();
    assert_eq!(info["registered_by"], "mdm_alice");
    assert_eq!(info["access"]["owner"], "mdm_alice");
    assert_eq!(
        info["access"]["grants"],
        serde_json::json!([["mdm_team", "read"]])
    );
    let csv = bob.ok(&[
        "dataset", "export", "shared", "--table", "train", "--output", "-",
    ]);
    assert_eq!(csv.lines().count(), 201);
    assert_eq!(features_rows_as("mdm_bob", &database), "200\n");

    // Reading is not owning: nothing changes, each refusal names the owner.
    for args in [
        vec!["dataset", "remove", "shared", "--force"],
        vec!["dataset", "update", "shared", "--description", "mine"],
        vec!["dataset", "features", "shared", "--regenerate"],
        vec![
            "dataset",
            "register",
            "shared",
            data.to_str().unwrap(),
            "--force",
        ],
    ] {
        bob.is_refused(&args, "mdm_alice");
    }
    let write = psql_as("mdm_bob", &database, "DELETE FROM train");
    assert!(!write.status.success());

    // Write access lets him update; the owner sees it, from the database.
    alice.ok(&["dataset", "grant", "shared", "mdm_bob", "--write"]);
    bob.ok(&[
        "dataset",
        "update",
        "shared",
        "--description",
        "checked by bob",
    ]);
    let info: serde_json::Value =
        serde_json::from_str(&alice.ok(&["dataset", "info", "shared", "--json"])).unwrap();
    assert_eq!(info["description"], "checked by bob");

    // ... regenerate its features and replace it (the dataset's database
    // and tables belong to its owners role, of which he is now a member),
    // while alice stays its owner and readers keep reading.
    bob.ok(&["dataset", "features", "shared", "--regenerate"]);
    bob.ok(&[
        "dataset",
        "register",
        "shared",
        data.to_str().unwrap(),
        "--target",
        "Survived",
        "--force",
    ]);
    let owners = format!("{database}:owners");
    let tables = psql_as(
        "postgres",
        &database,
        "SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'",
    );
    assert_eq!(String::from_utf8_lossy(&tables.stdout).trim(), owners);
    let info: serde_json::Value =
        serde_json::from_str(&alice.ok(&["dataset", "info", "shared", "--json"])).unwrap();
    assert_eq!(info["registered_by"], "mdm_bob");
    assert_eq!(info["access"]["owner"], "mdm_alice");
    assert_eq!(
        info["access"]["grants"],
        serde_json::json!([["mdm_bob", "write"], ["mdm_team", "read"]])
    );
    assert_eq!(features_rows_as("mdm_bob", &database), "200\n");
    // Writing is not owning: removing and granting stay the owner's.
    for args in [
        vec!["dataset", "remove", "shared", "--force"],
        vec!["dataset", "grant", "shared", "mdm_team", "--write"],
        vec!["dataset", "revoke", "shared", "mdm_team"],
    ] {
        bob.is_refused(&args, "mdm_alice");
    }

    // The local discovery files are only a cache.
    std::fs::remove_dir_all(alice.home.join("config")).unwrap();
    assert_eq!(alice.names(), ["shared"]);

    // Revoked, it is private again; a replacement by the owner keeps grants.
    alice.ok(&["dataset", "revoke", "shared", "mdm_team"]);
    alice.ok(&[
        "dataset",
        "register",
        "shared",
        data.to_str().unwrap(),
        "--force",
    ]);
    assert_eq!(bob.names(), ["shared"], "bob's own write grant was kept");
    alice.ok(&["dataset", "revoke", "shared", "mdm_bob"]);
    assert!(bob.names().is_empty());
    alice.fails(&["dataset", "grant", "shared", "no_such_role_here"], 2);
    alice.ok(&["dataset", "remove", "shared", "--force"]);
    assert!(alice.names().is_empty());
    // Its owners role went with it.
    let roles = psql_as(
        "postgres",
        "postgres",
        &format!("SELECT COUNT(*) FROM pg_roles WHERE rolname = '{owners}'"),
    );
    assert_eq!(String::from_utf8_lossy(&roles.stdout), "0\n");
}

#[test]
fn a_registrant_who_cannot_create_roles_owns_the_database_and_writers_change_rows_only() {
    let env = Env::new();
    // The backend document's role: it may create databases, not roles.
    let owner = User::new(&env, "mdm_user");
    let bob = User::new(&env, "mdm_bob");
    let data = titanic();
    owner.ok(&["dataset", "register", "plain", data.to_str().unwrap()]);
    let database = format!("{}plain", env.prefix);
    let tables = psql_as(
        "postgres",
        &database,
        "SELECT string_agg(DISTINCT tableowner, ',') FROM pg_tables WHERE schemaname = 'public'",
    );
    assert_eq!(String::from_utf8_lossy(&tables.stdout).trim(), "mdm_user");

    owner.ok(&["dataset", "grant", "plain", "mdm_bob", "--write"]);
    bob.ok(&["dataset", "update", "plain", "--description", "by bob"]);
    for args in [
        vec!["dataset", "features", "plain", "--regenerate"],
        vec![
            "dataset",
            "register",
            "plain",
            data.to_str().unwrap(),
            "--force",
        ],
        vec!["dataset", "remove", "plain", "--force"],
    ] {
        bob.is_refused(&args, "mdm_user");
    }
    let info: serde_json::Value =
        serde_json::from_str(&owner.ok(&["dataset", "info", "plain", "--json"])).unwrap();
    assert_eq!(info["description"], "by bob");
    assert_eq!(info["access"]["owner"], "mdm_user");
    assert_eq!(
        info["access"]["grants"],
        serde_json::json!([["mdm_bob", "write"]])
    );
    owner.ok(&["dataset", "remove", "plain", "--force"]);
}

#[test]
fn two_users_registering_one_name_at_once_leave_exactly_one_dataset() {
    let env = Env::new();
    let alice = User::new(&env, "mdm_alice");
    let bob = User::new(&env, "mdm_bob");
    let mut content = String::from("k,v\n");
    for i in 0..60_000 {
        content.push_str(&format!("{i},{}\n", i % 13));
    }
    let data = env.write("race.csv", content);
    let args = [
        "-q",
        "dataset",
        "register",
        "race",
        data.to_str().unwrap(),
        "--no-features",
    ];
    let spawn = |user: &User| {
        user.command(&args)
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap()
    };
    let children = [spawn(&alice), spawn(&bob)];
    let mut outcomes: Vec<(Option<i32>, String)> = children
        .into_iter()
        .map(|c| {
            let output = c.wait_with_output().unwrap();
            let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
            (output.status.code(), stderr)
        })
        .collect();
    outcomes.sort();
    let codes: Vec<Option<i32>> = outcomes.iter().map(|o| o.0).collect();
    assert_eq!(codes, [Some(0), Some(4)], "{outcomes:?}");
    let staging = psql_as(
        "postgres",
        "postgres",
        &format!(
            "SELECT COUNT(*) FROM pg_database WHERE starts_with(datname, '{}') AND datname LIKE '%\\_staging\\_%'",
            env.prefix
        ),
    );
    assert_eq!(String::from_utf8_lossy(&staging.stdout), "0\n");
    let winner = if alice.names() == ["race"] {
        &alice
    } else {
        &bob
    };
    let info: serde_json::Value =
        serde_json::from_str(&winner.ok(&["dataset", "info", "race", "--json"])).unwrap();
    assert_eq!(info["tables"][0]["rows"], 60_000);
}

/// What one stress worker saw go wrong.
fn stress_worker(
    user: &User,
    data: &std::path::Path,
    seed: u64,
    until: std::time::Instant,
) -> Vec<String> {
    let mut failures = Vec::new();
    let mut state = seed;
    let mut next = || {
        state = state
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (state >> 33) as usize
    };
    while std::time::Instant::now() < until {
        let name = format!("s{}", next() % 3);
        let operation = next() % 5;
        let args: Vec<&str> = match operation {
            0 => vec![
                "-q",
                "dataset",
                "register",
                &name,
                data.to_str().unwrap(),
                "--no-features",
            ],
            1 => vec!["dataset", "list", "--json"],
            2 => vec!["dataset", "info", &name, "--json"],
            3 => vec![
                "dataset", "export", &name, "--table", "train", "--output", "-",
            ],
            _ => vec!["-q", "dataset", "remove", &name, "--force"],
        };
        let (code, stdout, stderr) = user.run(&args);
        // Taken, gone, someone else's: expected between users; anything
        // else (a server fault, a crash) is not.
        if !matches!(code, Some(0 | 3 | 4 | 5)) {
            failures.push(format!("{args:?}: {code:?} {stderr}"));
            continue;
        }
        if code != Some(0) {
            continue;
        }
        match operation {
            2 => {
                let info: serde_json::Value = serde_json::from_str(&stdout).unwrap();
                if info["tables"][0]["rows"] != 300 {
                    failures.push(format!("partial dataset in info: {info}"));
                }
            }
            3 if stdout.lines().count() != 301 => {
                failures.push(format!("partial export: {} lines", stdout.lines().count()))
            }
            _ => {}
        }
    }
    failures
}

#[test]
fn two_roles_registering_reading_and_removing_at_once_see_only_whole_datasets() {
    let env = Env::new();
    let alice = User::new(&env, "mdm_alice");
    let bob = User::new(&env, "mdm_bob");
    let mut content = String::from("k,v\n");
    for i in 0..300 {
        content.push_str(&format!("{i},{}\n", i % 7));
    }
    let data = env.write("stress.csv", content);
    let until = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let failures: Vec<String> = std::thread::scope(|scope| {
        let workers: Vec<_> = [&alice, &bob, &alice, &bob]
            .into_iter()
            .enumerate()
            .map(|(i, user)| {
                let data = data.clone();
                scope.spawn(move || stress_worker(user, &data, i as u64 + 1, until))
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap())
            .collect()
    });
    assert!(failures.is_empty(), "{failures:#?}");

    // What is left is whole, and no staging copy remains.
    for user in [&alice, &bob] {
        for name in user.names() {
            let info: serde_json::Value =
                serde_json::from_str(&user.ok(&["dataset", "info", &name, "--json"])).unwrap();
            assert_eq!(info["tables"][0]["rows"], 300, "{info}");
            let count = psql_as(
                "postgres",
                &format!("{}{name}", env.prefix),
                "SELECT COUNT(*) FROM train",
            );
            assert_eq!(String::from_utf8_lossy(&count.stdout), "300\n");
        }
    }
    let leftovers = psql_as(
        "postgres",
        "postgres",
        &format!(
            "SELECT COUNT(*) FROM pg_database WHERE starts_with(datname, '{}') AND (datname LIKE '%\\_staging\\_%' OR datname LIKE '%\\_retired\\_%')",
            env.prefix
        ),
    );
    assert_eq!(String::from_utf8_lossy(&leftovers.stdout), "0\n");
}

#[test]
fn a_server_out_of_connections_is_a_clear_backend_error_not_a_hang() {
    // mdm_limited may hold one connection; a registration needs two at
    // once, as it would on a server whose max_connections is reached.
    let env = Env::new();
    let limited = User::new(&env, "mdm_limited");
    let data = titanic();
    let started = std::time::Instant::now();
    let stderr = limited.fails(&["dataset", "register", "full", data.to_str().unwrap()], 6);
    assert!(started.elapsed() < std::time::Duration::from_secs(20));
    assert!(stderr.contains("too many connections"), "{stderr}");
    assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
    let left = psql_as(
        "postgres",
        "postgres",
        &format!(
            "SELECT COUNT(*) FROM pg_database WHERE starts_with(datname, '{}')",
            env.prefix
        ),
    );
    assert_eq!(String::from_utf8_lossy(&left.stdout), "0\n");
}

#[test]
fn a_dataset_registered_before_the_server_described_them_is_still_listed() {
    let env = Env::new();
    let alice = User::new(&env, "mdm_alice");
    let data = titanic();
    alice.ok(&[
        "dataset",
        "register",
        "older",
        data.to_str().unwrap(),
        "--target",
        "Survived",
        "--tags",
        "kept",
    ]);
    // Earlier versions wrote no database comment: mdm reads `_metadata`.
    let database = format!("{}older", env.prefix);
    let uncomment = psql_as(
        "postgres",
        "postgres",
        &format!("COMMENT ON DATABASE \"{database}\" IS NULL"),
    );
    assert!(uncomment.status.success());
    std::fs::remove_dir_all(alice.home.join("config")).unwrap();
    assert_eq!(alice.names(), ["older"]);
    let listing: serde_json::Value =
        serde_json::from_str(&alice.ok(&["dataset", "list", "--json"])).unwrap();
    assert_eq!(listing[0]["tags"], serde_json::json!(["kept"]));
    assert_eq!(listing[0]["rows"], 360);
    let info: serde_json::Value =
        serde_json::from_str(&alice.ok(&["dataset", "info", "older", "--json"])).unwrap();
    assert_eq!(info["target"], "Survived");
    // A database of the prefix without `_metadata` is not a dataset.
    let foreign = psql_as(
        "postgres",
        "postgres",
        &format!("CREATE DATABASE \"{}foreign\" OWNER mdm_alice", env.prefix),
    );
    assert!(foreign.status.success());
    assert_eq!(alice.names(), ["older"]);
}

#[test]
fn a_password_comes_from_pgpassword_or_pgpass_and_is_never_written_down() {
    let env = Env::new();
    // mdm_secret must give a password (scripts/test.sh sets this up); the
    // shared mdm.yaml holds none.
    let user = User::new(&env, "mdm_secret");
    let password = "mdm_secret_pw";
    let empty_home = env.dir.path().join("no-pgpass");
    std::fs::create_dir_all(&empty_home).unwrap();
    let output = user
        .command(&["dataset", "list"])
        .env_remove("PGPASSWORD")
        .env("HOME", &empty_home)
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(6), "{output:?}");

    let data = titanic();
    let output = user
        .command(&["dataset", "register", "secret", data.to_str().unwrap()])
        .env("PGPASSWORD", password)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");

    // ~/.pgpass, as psql reads it.
    let home = env.dir.path().join("home");
    std::fs::create_dir_all(&home).unwrap();
    let pgpass = home.join(".pgpass");
    std::fs::write(&pgpass, format!("127.0.0.1:5432:*:mdm_secret:{password}\n")).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&pgpass, std::fs::Permissions::from_mode(0o600)).unwrap();
    let output = user
        .command(&["dataset", "info", "secret", "--json"])
        .env_remove("PGPASSWORD")
        .env("HOME", &home)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    let info: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(info["access"]["owner"], "mdm_secret");

    // Nothing under MDM_HOME holds it, nor does any output.
    let mut files = vec![user.home.clone()];
    while let Some(path) = files.pop() {
        if path.is_dir() {
            files.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else {
            let content = std::fs::read(&path).unwrap();
            assert!(
                !String::from_utf8_lossy(&content).contains(password),
                "{} holds the password",
                path.display()
            );
        }
    }
    for stream in [&output.stdout, &output.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains(password));
    }

    // A password in a personal mdm.yaml works too, and stays there.
    let personal = env.dir.path().join("personal");
    std::fs::create_dir_all(&personal).unwrap();
    let yaml = std::fs::read_to_string(user.home.join("mdm.yaml")).unwrap();
    std::fs::write(
        personal.join("mdm.yaml"),
        format!("{yaml}    password: {password}\n"),
    )
    .unwrap();
    let output = user
        .env
        .process()
        .env("MDM_HOME", &personal)
        .env_remove("PGPASSWORD")
        .env("HOME", &empty_home)
        .args(["-vvv", "dataset", "info", "secret", "--json"])
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
    for stream in [&output.stdout, &output.stderr] {
        assert!(!String::from_utf8_lossy(stream).contains(password));
    }
    let output = user
        .command(&["dataset", "remove", "secret", "--force"])
        .env("PGPASSWORD", password)
        .output()
        .unwrap();
    assert!(output.status.success(), "{output:?}");
}
