//! Faults: registrations killed midway, and several processes at once.
//! Nothing is lost, nothing is half-visible, and re-running works.

use std::process::{Child, Stdio};
use std::time::{Duration, Instant};

use crate::common::{Env, Profile};

/// A CSV large enough that loading it takes a while.
fn big_csv(env: &Env, name: &str, rows: usize) -> std::path::PathBuf {
    use std::io::Write;
    let path = env.input(name);
    let mut file = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    writeln!(file, "id,a,b,text").unwrap();
    for i in 0..rows {
        writeln!(
            file,
            "{i},{},{}.5,row {i} of a file that takes a while",
            i % 89,
            i
        )
        .unwrap();
    }
    path
}

fn spawn(env: &Env, args: &[&str]) -> Child {
    env.process()
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// Registers a file without generating features (the faults tested here
/// are about loading and reading).
fn register_without_features(env: &Env, name: &str, path: &std::path::Path) {
    env.ok(&[
        "dataset",
        "register",
        name,
        path.to_str().unwrap(),
        "--no-features",
    ]);
}

/// Runs mdm with `-v` and kills it (SIGKILL) as soon as its log shows
/// `marker`; returns whether the marker was seen before it exited.
fn kill_when_logged(env: &Env, args: &[&str], marker: &str) -> bool {
    use std::io::BufRead;
    let mut child = env
        .process()
        .arg("-v")
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let seen = stderr
        .lines()
        .any(|line| line.is_ok_and(|l| l.contains(marker)));
    child.kill().unwrap();
    child.wait().unwrap();
    seen
}

fn wait_for_staging(env: &Env) {
    let started = Instant::now();
    while !env.stored().iter().any(|n| n.contains("staging")) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "registration never started"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn a_registration_killed_during_load_is_invisible_and_can_be_repeated() {
    let env = Env::new();
    let path = big_csv(&env, "big.csv", 1_500_000);
    let mut child = spawn(
        &env,
        &["dataset", "register", "big", path.to_str().unwrap()],
    );
    wait_for_staging(&env);
    child.kill().unwrap(); // SIGKILL: no cleanup runs.
    child.wait().unwrap();
    assert_eq!(
        env.json(&["dataset", "list", "--all-backends"]),
        serde_json::json!([])
    );
    env.fails(&["dataset", "info", "big"], 3);
    // The next registration sweeps the leftovers and succeeds.
    let small = env.write("small.csv", "id,a\n1,2\n");
    env.ok(&["dataset", "register", "big", small.to_str().unwrap()]);
    assert_eq!(env.stored(), ["big"]);
    assert_eq!(
        env.json(&["dataset", "info", "big"])["tables"][0]["rows"],
        1
    );
}

#[test]
fn a_registration_killed_while_generating_features_is_invisible_and_can_be_repeated() {
    let env = Env::new();
    let path = big_csv(&env, "feat.csv", 200_000);
    // The first stage of feature generation is logged once the data is loaded.
    assert!(
        kill_when_logged(
            &env,
            &["dataset", "register", "feat", path.to_str().unwrap()],
            "features: statistical took"
        ),
        "feature generation never started"
    );
    assert_eq!(
        env.json(&["dataset", "list", "--all-backends"]),
        serde_json::json!([])
    );
    let small = env.write("small.csv", "id,a\n1,2\n2,5\n");
    env.ok(&["dataset", "register", "feat", small.to_str().unwrap()]);
    assert_eq!(env.stored(), ["feat"], "the staging leftovers are swept");
    assert_eq!(
        env.scalar("feat", "SELECT SUM(\"a\") FROM \"train_features\""),
        "7"
    );
}

#[test]
fn a_registration_killed_just_before_publishing_is_all_or_nothing() {
    let env = Env::new();
    let path = big_csv(&env, "late.csv", 200_000);
    // The last feature table is written; metadata and the rename follow.
    kill_when_logged(
        &env,
        &["dataset", "register", "late", path.to_str().unwrap()],
        "features: train_features took",
    );
    let listing = env.json(&["dataset", "list"]);
    match listing.as_array().unwrap().as_slice() {
        [] => env.fails(&["dataset", "info", "late"], 3),
        [dataset] => {
            assert_eq!(dataset["rows"], 200_000, "{dataset}");
            env.ok(&["dataset", "info", "late"])
        }
        more => panic!("{more:?}"),
    };
    env.ok(&[
        "dataset",
        "register",
        "late",
        path.to_str().unwrap(),
        "--force",
        "--no-features",
    ]);
    assert_eq!(env.stored(), ["late"]);
}

#[test]
fn a_killed_regeneration_keeps_the_old_features() {
    let env = Env::new();
    let path = big_csv(&env, "regen.csv", 200_000);
    env.ok(&["dataset", "register", "regen", path.to_str().unwrap()]);
    let before = env.scalar("regen", "SELECT COUNT(*) FROM \"train_features\"");
    kill_when_logged(
        &env,
        &["dataset", "features", "regen", "--regenerate"],
        "features: signal filter took",
    );
    assert_eq!(
        env.scalar("regen", "SELECT COUNT(*) FROM \"train_features\""),
        before
    );
    // A later regeneration replaces whatever the killed one left, including
    // the scratch files of a fill computed in slices (embedded SQLite).
    let planted = (env.profile == Profile::Embedded).then(|| {
        let path = env
            .database("regen")
            .with_file_name("_mdm_fill_4194999_0.sqlite");
        std::fs::write(&path, b"").unwrap();
        path
    });
    env.ok(&["dataset", "features", "regen", "--regenerate"]);
    if let Some(planted) = planted {
        assert!(!planted.exists(), "{planted:?} was left behind");
    }
    assert_eq!(
        env.scalar("regen", "SELECT COUNT(*) FROM \"train_features\""),
        "200000"
    );
    let tables = env.stored_tables("regen");
    assert!(
        !tables.iter().any(|t| t.starts_with("_mdm_new")),
        "{tables:?}"
    );
}

#[test]
fn a_killed_force_registration_leaves_the_old_dataset_intact() {
    let env = Env::new();
    let small = env.write("small.csv", "id,a\n1,2\n2,3\n");
    env.ok(&["dataset", "register", "keep", small.to_str().unwrap()]);
    let path = big_csv(&env, "big.csv", 1_500_000);
    let mut child = spawn(
        &env,
        &[
            "dataset",
            "register",
            "keep",
            path.to_str().unwrap(),
            "--force",
        ],
    );
    wait_for_staging(&env);
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(
        env.json(&["dataset", "info", "keep"])["tables"][0]["rows"],
        2
    );
    assert_eq!(env.scalar("keep", "SELECT SUM(a) FROM train"), "5");
}

#[test]
fn concurrent_registrations_of_one_name_let_exactly_one_win() {
    let env = Env::new();
    let path = big_csv(&env, "mid.csv", 200_000);
    let children: Vec<Child> = (0..2)
        .map(|_| {
            spawn(
                &env,
                &[
                    "dataset",
                    "register",
                    "same",
                    path.to_str().unwrap(),
                    "--no-features",
                ],
            )
        })
        .collect();
    let outputs: Vec<_> = children
        .into_iter()
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let mut codes: Vec<i32> = outputs.iter().map(|o| o.status.code().unwrap()).collect();
    codes.sort();
    assert_eq!(
        codes,
        [0, 4],
        "{:?}",
        outputs
            .iter()
            .map(|o| String::from_utf8_lossy(&o.stderr).into_owned())
            .collect::<Vec<_>>()
    );
    assert_eq!(
        env.json(&["dataset", "info", "same"])["tables"][0]["rows"],
        200_000
    );
    assert_eq!(env.stored(), ["same"]);
}

#[test]
fn concurrent_registrations_of_different_names_both_succeed_and_list_never_sees_half() {
    let env = Env::new();
    let path = big_csv(&env, "mid.csv", 300_000);
    let register = |name: &str| {
        spawn(
            &env,
            &[
                "dataset",
                "register",
                name,
                path.to_str().unwrap(),
                "--no-features",
            ],
        )
    };
    let first = register("one");
    let second = register("two");
    // While they run, every listing shows each dataset complete or not at all.
    let mut observations = 0;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(120) {
        let listing = env.json(&["dataset", "list"]);
        for dataset in listing.as_array().unwrap() {
            assert_eq!(dataset["rows"], 300_000, "{dataset}");
        }
        observations += 1;
        if listing.as_array().unwrap().len() == 2 {
            break;
        }
    }
    for child in [first, second] {
        let output = child.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    assert!(observations > 0);
    assert_eq!(env.stored(), ["one", "two"]);
}

#[test]
fn a_full_disk_during_load_is_a_clean_error_and_publishes_nothing() {
    let env = Env::new();
    env.ok(&[
        "dataset",
        "register",
        "keep",
        crate::common::titanic().to_str().unwrap(),
    ]);
    let path = big_csv(&env, "big.csv", 100_000);
    // Files may not grow past 2 MiB: writes fail as on a full disk.
    let mdm = assert_cmd::cargo::cargo_bin("mdm");
    let script = format!(
        "ulimit -f 2048; trap '' XFSZ; exec '{}' dataset register big '{}'",
        mdm.display(),
        path.display()
    );
    let command = env.process();
    let output = std::process::Command::new("bash")
        .args(["-c", &script])
        .envs(
            command
                .get_envs()
                .filter_map(|(k, v)| v.map(|v| (k.to_owned(), v.to_owned()))),
        )
        .env_remove("MDM_TEST_PROFILE")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if env.profile == crate::common::Profile::Postgresql {
        // The data is written by the server, not by mdm.
        assert!(output.status.success(), "{stderr}");
        assert_eq!(env.stored(), ["big", "keep"]);
    } else {
        assert_eq!(output.status.code(), Some(6), "{stderr}");
        assert_eq!(stderr.trim_end().lines().count(), 1, "{stderr}");
        assert_eq!(
            env.stored(),
            ["keep"],
            "nothing published, nothing left behind"
        );
        assert_eq!(env.json(&["dataset", "list"]).as_array().unwrap().len(), 1);
    }
    assert_eq!(env.scalar("keep", "SELECT COUNT(*) FROM train"), "200");
}

#[test]
fn removing_a_dataset_while_it_is_exported_waits_or_is_refused_and_nothing_breaks() {
    let env = Env::new();
    let path = big_csv(&env, "big.csv", 300_000);
    register_without_features(&env, "busy", &path);
    let out = env.dir.path().join("out");
    let export = spawn(
        &env,
        &[
            "dataset",
            "export",
            "busy",
            "--output-dir",
            out.to_str().unwrap(),
        ],
    );
    // Wait until the export is writing (its temporary file exists).
    let started = Instant::now();
    while !std::fs::read_dir(&out)
        .map(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().contains(".tmp-"))
        })
        .unwrap_or(false)
    {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "export never started"
        );
        std::thread::sleep(Duration::from_millis(5));
    }
    if env.profile == crate::common::Profile::Postgresql {
        // A team's server coordinates its users itself: the removal waits
        // for the export's session to end (database.connection_timeout),
        // and the export is whole.
        env.ok(&["dataset", "remove", "busy", "--force"]);
        let output = export.wait_with_output().unwrap();
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        let exported = std::fs::read_to_string(out.join("train.csv")).unwrap();
        assert_eq!(exported.lines().count(), 300_001);
        assert!(env.stored().is_empty(), "{:?}", env.stored());
        return;
    }
    let stderr = env.fails(&["dataset", "remove", "busy", "--force"], 1);
    assert!(stderr.contains("in use by another mdm process"), "{stderr}");
    let output = export.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let exported = std::fs::read_to_string(out.join("train.csv")).unwrap();
    assert_eq!(exported.lines().count(), 300_001);
    // Once the export is done, removal works.
    env.ok(&["dataset", "remove", "busy", "--force"]);
    assert!(env.stored().is_empty(), "{:?}", env.stored());
}

/// Waits until `ready` holds, failing after a minute.
#[cfg(feature = "odbc")]
fn wait_until(what: &str, mut ready: impl FnMut() -> bool) {
    let started = Instant::now();
    while !ready() {
        assert!(started.elapsed() < Duration::from_secs(60), "{what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[cfg(feature = "odbc")]
#[test]
fn postgresql_going_away_during_a_registration_is_exit_6_and_a_later_run_works() {
    let env = Env::new();
    env.use_postgresql();
    let path = big_csv(&env, "big.csv", 600_000);
    let child = spawn(
        &env,
        &[
            "dataset",
            "register",
            "lost",
            path.to_str().unwrap(),
            "--no-features",
        ],
    );
    wait_until("the staging database never appeared", || {
        env.stored().iter().any(|n| n.contains("staging"))
    });
    // Let the load start, then end the server side of its connections.
    std::thread::sleep(Duration::from_millis(300));
    wait_until("no connection to end", || {
        env.drop_postgresql_connections() > 0
    });
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(6), "{stderr}");
    assert!(stderr.contains("MDM PostgreSQL"), "{stderr}");
    assert_eq!(
        env.json(&["dataset", "list"]),
        serde_json::json!([]),
        "nothing registered"
    );
    // Once the server answers again the same registration succeeds and
    // sweeps what the interrupted one left.
    let small = env.write("small.csv", "id,a\n1,2\n2,3\n");
    env.ok(&["dataset", "register", "lost", small.to_str().unwrap()]);
    assert_eq!(env.stored(), ["lost"]);
}

#[cfg(feature = "odbc")]
#[test]
fn postgresql_going_away_during_an_export_is_exit_6_and_leaves_no_partial_file() {
    let env = Env::new();
    env.use_postgresql();
    let path = big_csv(&env, "big.csv", 400_000);
    register_without_features(&env, "out", &path);
    let file = env.dir.path().join("export.csv");
    let child = spawn(
        &env,
        &[
            "dataset",
            "export",
            "out",
            "--table",
            "train",
            "--output",
            file.to_str().unwrap(),
        ],
    );
    wait_until("the export never started writing", || {
        std::fs::read_dir(env.dir.path())
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains(".tmp-"))
    });
    wait_until("no connection to end", || {
        env.drop_postgresql_connections() > 0
    });
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(6), "{stderr}");
    assert!(!file.exists(), "a partial export was published");
    assert!(
        !std::fs::read_dir(env.dir.path())
            .unwrap()
            .flatten()
            .any(|e| { e.file_name().to_string_lossy().contains(".tmp-") }),
        "a temporary file was left"
    );
    // The dataset is intact and exports once the server is back.
    env.ok(&[
        "dataset",
        "export",
        "out",
        "--table",
        "train",
        "--output",
        file.to_str().unwrap(),
    ]);
    let lines = std::fs::read_to_string(&file).unwrap().lines().count();
    assert_eq!(lines, 400_001);
}
