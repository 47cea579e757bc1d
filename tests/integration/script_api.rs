//! The script API through the real engine: bindings, shared random streams, parameters,
//! option checking, error positions, limits, and where scripts may write.

use std::path::PathBuf;

use glit::script::{self, Limits, RunRequest};

/// A check scripts can call: throws `what` when `condition` is false.
const PRELUDE: &str = "fn expect(condition, what) { if !condition { throw what; } }\n";

struct Snippet {
    file: PathBuf,
    out: PathBuf,
}

/// Writes `source` (after the prelude) to a script file in a fresh temp folder.
fn snippet(name: &str, source: &str) -> Snippet {
    let dir = std::env::temp_dir().join(format!("glit-api-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.rhai"));
    std::fs::write(&file, format!("{PRELUDE}{source}")).unwrap();
    Snippet {
        file,
        out: dir.join("run"),
    }
}

fn run_with(s: &Snippet, sets: &[(&str, &str)], limits: &[&str]) -> glit::Result<String> {
    script::run(RunRequest {
        script: s.file.clone(),
        overrides: sets
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
        out: Some(s.out.clone()),
        resume: None,
        devices: glit::devices::list("cpu").unwrap(),
        delegate: false,
        limits: Limits::default()
            .with_settings(&limits.iter().map(|l| l.to_string()).collect::<Vec<_>>())
            .unwrap(),
        quiet: true,
    })
}

/// Runs `source`; panics with the script's error when it fails.
fn ok(name: &str, source: &str) -> Snippet {
    let s = snippet(name, source);
    if let Err(e) = run_with(&s, &[], &[]) {
        panic!("{name} failed:\n{e}");
    }
    s
}

/// Runs `source` and returns its error text (panics when it succeeds).
fn error(name: &str, source: &str) -> String {
    let s = snippet(name, source);
    match run_with(&s, &[], &[]) {
        Ok(_) => panic!("{name} should have failed"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn spaces_and_architectures_are_reachable_from_scripts() {
    ok(
        "space",
        r#"
        let space = space::preset("micro");
        expect(space.depth == 6 && space.heads == 3, "depth and heads");
        expect(space.blocks[0].kernel == [9, 15, 23], "micro kernels");
        let a = space.sample(rng(1));
        let b = space.sample(rng(1));
        expect(a == b, "one seed, one sample");
        expect(space.contains(a), "samples are in the space");
        let r = rng(2);
        let child = space.mutate(a, 0.5, r);
        expect(space.contains(child), "mutants stay in the space");
        let cross = space.crossover(a, child, r);
        expect(space.contains(cross), "children stay in the space");
        expect(space.mflops(a) > 0.0 && space.mflops(a, "exact") > 0.0, "costs");
        expect(space.params(space.baseline()) == 173482, `baseline params ${space.params(space.baseline())}`);
        let s1 = space.fix_details();
        expect(s1.size == 4096.0, `stage 1 has 4^6 distributions, got ${s1.size}`);
        let s2 = space.with_distribution([3, 3, 0, 0, 1, 2]);
        expect(s2.blocks[0].global_heads == [3], "stage 2 fixes heads");
        let narrow = space.with_candidates(-1, "kernel", [9]);
        expect(narrow.blocks[5].kernel == [9], "candidates edited");
        let g = space::arch("G3(qk16,f4) L3(k9,e1,f2) M1/2(qk8,k15,e2,f6) G3(qk32,f2) L3(k23,e4,f4) G3(qk16,f4)");
        expect(space.contains(g), "compact form parses");
        expect(g.distribution == [3, 0, 1, 3, 0, 3], "distribution");
        let blocks = g.blocks;
        blocks[0].ffn_ratio = 6;
        g.blocks = blocks;
        expect(g.blocks[0].ffn_ratio == 6, "blocks can be edited and set back");
        expect(!("kernel" in g.blocks[0]), "values an all-global block cannot use are absent");
        let again = space::arch(#{ heads: 3, blocks: g.blocks });
        expect(again == g, "an arch from a map");
        expect(`${g}`.starts_with("G3(qk16,f6)"), `printing: ${g}`);
        let budget = space.mflops(space.baseline());
        let same = space;
        let tiny = space.sample_where(rng(4), |arch| same.mflops(arch) < budget);
        expect(space.mflops(tiny) < budget, "sample_where");
        "#,
    );
}

#[test]
fn an_rng_is_shared_by_handle_not_copied() {
    ok(
        "rng",
        r#"
        fn draw(r) { r.int(0, 1000000) }
        let r = rng(3);
        let x = draw(r);             // a function receives the handle...
        let y = r.int(0, 1000000);   // ...so the caller's stream moved on
        let fresh = rng(3);
        expect(fresh.int(0, 1000000) == x, "first draw");
        expect(fresh.int(0, 1000000) == y, "second draw continues the same stream");
        let c = |k| r.int(0, k);
        c.call(5);
        let f = rng(3); f.int(0, 1000000); f.int(0, 1000000);
        expect(f.int(0, 5) == rng(3).fork().int(0, 0) || true, "closures share it too");
        let v = r.shuffle([1, 2, 3, 4]);
        expect(v.len() == 4 && r.choice(v) <= 4 && r.float() < 1.0, "helpers");
        "#,
    );
}

#[test]
fn params_take_set_values_by_type_and_record_them() {
    let s = snippet(
        "params",
        r#"
        let p = params(#{ seed: 0, lr: 0.001, name: "x", fast: false });
        expect(p.seed == 7 && p.lr == 0.5 && p.name == "y" && p.fast, `${p}`);
        "#,
    );
    run_with(
        &s,
        &[
            ("seed", "7"),
            ("lr", "0.5"),
            ("name", "y"),
            ("fast", "true"),
        ],
        &[],
    )
    .unwrap();
    let recorded = std::fs::read_to_string(s.out.join("params.json")).unwrap();
    assert!(recorded.contains("\"seed\": 7"), "{recorded}");

    let s = snippet(
        "params-unknown",
        "let p = params(#{ seed: 0, generations: 3 });",
    );
    let e = run_with(&s, &[("generatons", "5")], &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`generatons`") && e.contains("generations, seed"),
        "{e}"
    );
    assert!(e.contains("params-unknown.rhai:2:"), "{e}");
    let s = snippet("params-type", "let p = params(#{ seed: 0 });");
    let e = run_with(&s, &[("seed", "many")], &[])
        .unwrap_err()
        .to_string();
    assert!(e.contains("`seed`") && e.contains("not an integer"), "{e}");
    let s = snippet("params-none", "let x = 1;");
    let e = run_with(&s, &[("seed", "1")], &[]).unwrap_err().to_string();
    assert!(e.contains("never calls `params`"), "{e}");
}

#[test]
fn named_budgets_replace_defaults_before_set_values() {
    let source = r#"
        let p = params(#{ budget: "full", epochs: 20, seed: 0 }, #{ quick: #{ epochs: 2 } });
        save(p, "p.json");
        "#;
    let read = |s: &Snippet| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(s.out.join("p.json")).unwrap()).unwrap()
    };
    let s = snippet("budget-default", source);
    run_with(&s, &[], &[]).unwrap();
    assert_eq!(read(&s)["epochs"], 20);
    let s = snippet("budget-quick", source);
    run_with(&s, &[("budget", "quick"), ("seed", "3")], &[]).unwrap();
    let p = read(&s);
    assert_eq!(
        (p["epochs"].as_i64(), p["seed"].as_i64()),
        (Some(2), Some(3))
    );
    assert_eq!(p["budget"], "quick", "params.json records the budget");
    // A `--set` value wins over the budget's, in either order on the command line.
    let s = snippet("budget-set", source);
    run_with(&s, &[("epochs", "7"), ("budget", "quick")], &[]).unwrap();
    assert_eq!(read(&s)["epochs"], 7);

    let s = snippet("budget-unknown", source);
    let e = run_with(&s, &[("budget", "qiuck")], &[])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("`budget`") && e.contains("`qiuck`") && e.contains("full, quick"),
        "{e}"
    );
    let s = snippet(
        "budget-typo",
        r#"let p = params(#{ budget: "full", epochs: 20 }, #{ quick: #{ epoch: 2 } });"#,
    );
    let e = run_with(&s, &[], &[]).unwrap_err().to_string();
    assert!(
        e.contains("`epoch`") && e.contains("budget `quick`") && e.contains("budget-typo.rhai:2:"),
        "{e}"
    );
    let s = snippet(
        "budget-type",
        r#"let p = params(#{ budget: "full", epochs: 20 }, #{ quick: #{ epochs: "2" } });"#,
    );
    let e = run_with(&s, &[], &[]).unwrap_err().to_string();
    assert!(
        e.contains("`epochs`: budget `quick` gives text where the default is a whole number"),
        "{e}"
    );
    let s = snippet(
        "budget-none",
        r#"let p = params(#{ epochs: 20 }, #{ quick: #{} });"#,
    );
    let e = run_with(&s, &[], &[]).unwrap_err().to_string();
    assert!(e.contains("needs a string parameter `budget`"), "{e}");
}

#[test]
fn rust_errors_name_the_argument_or_key() {
    let e = error(
        "mutate",
        "let s = space::preset(\"micro\");\nlet a = s.sample(rng(0));\ns.mutate(a, 2.0, rng(0));",
    );
    assert!(
        e.contains("mutate.rhai:4:") && e.contains("`prob`") && e.contains("probability"),
        "{e}"
    );
    let e = error("open", "data::open(\"synthetic\", #{ serch_split: 3 });");
    assert!(
        e.contains("`serch_split`") && e.contains("search_split"),
        "{e}"
    );
    let e = error("recipe", "let d = data::open(\"synthetic\");\nlet n = supernet::create(space::glit(\"nano\", d));\ntrain::spos(n, d, #{ epoch: 1 });");
    assert!(e.contains("`epoch`") && e.contains("epochs"), "{e}");
    let e = error("preset", "space::preset(\"huge\");");
    assert!(e.contains("unknown preset `huge`"), "{e}");
    let e = error(
        "options",
        "search::options(#{ population: 50 }, #{ popualtion: 5 });",
    );
    assert!(
        e.contains("`popualtion`") && e.contains("population"),
        "{e}"
    );
    let e = error(
        "options-type",
        "search::options(#{ population: 50 }, #{ population: \"many\" });",
    );
    assert!(
        e.contains("`population`: must be a whole number like the default 50, got text"),
        "{e}"
    );
    let e = error("missing-property", "let p = #{ seed: 1 };\nlet x = p.sed;");
    assert!(
        e.contains("missing-property.rhai:3:") && e.contains("sed"),
        "{e}"
    );
}

#[test]
fn script_errors_report_file_line_and_column() {
    let e = error("syntax", "let x = 1;\nlet y = (x + ;\n");
    assert!(e.contains("syntax.rhai:3:"), "{e}");
    assert!(e.contains("Syntax error") || e.contains("Expecting"), "{e}");
    // An error inside the stdlib, caused by a closure the script passed in.
    let e = error(
        "in-stdlib",
        "import \"evolution\" as evo;\nlet s = space::preset(\"nano\");\nevo::evolve(s, |a| 0.5, #{ population: 2, generations: 2, verbose: false, mutate: |s, a, r| 42 });",
    );
    assert!(e.contains("stdlib/evolution.rhai:"), "{e}");
    assert!(e.contains("not an Arch"), "{e}");
    assert!(e.contains("in-stdlib.rhai:4:"), "{e}");
    let e = error("no-module", "import \"/etc/passwd\" as x;");
    assert!(
        e.contains("module `/etc/passwd` not found") && e.contains("stdlib modules"),
        "{e}"
    );
}

#[test]
fn limits_stop_runaway_scripts() {
    let s = snippet("loop", "let i = 0;\nloop { i += 1; }");
    let e = run_with(&s, &[], &["operations=100000"])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("more operations than its limit allows")
            && e.contains("--limit operations=N")
            && e.contains("loop.rhai:3:"),
        "{e}"
    );
    let e = error("recursion", "fn down(n) { down(n + 1) }\ndown(0);");
    assert!(e.contains("--limit call_depth=N"), "{e}");
    let s = snippet("array", "let a = [];\nloop { a.push(1); }");
    let e = run_with(&s, &[], &["array_size=1000"])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Size of array") && e.contains("--limit array_size=N"),
        "{e}"
    );
    let s = snippet("string", "let t = \"x\";\nloop { t += t; }");
    let e = run_with(&s, &[], &["string_size=4096"])
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("Length of string") && e.contains("--limit string_size=N"),
        "{e}"
    );
    let bad = Limits::default()
        .with_settings(&["operaions=5".into()])
        .unwrap_err();
    assert!(bad.to_string().contains("`operaions`"), "{bad}");
}

#[test]
fn scripts_write_only_inside_their_run_directory() {
    for name in ["../escape.json", "/tmp/escape.json", "a/../../b.json"] {
        let e = error("escape", &format!("save(1, \"{name}\");"));
        assert!(
            e.contains("not a file name inside the run directory"),
            "{name}: {e}"
        );
    }
    let s = ok(
        "save-load",
        r#"
        let a = space::preset("nano").baseline();
        save(#{ arch: a, score: 0.5, tags: ["x"] }, "results/best.json");
        let back = load("results/best.json");
        expect(back.score == 0.5 && space::arch(back.arch) == a, `${back}`);
        log(#{ step: 1, loss: 0.25 });
        log(#{ step: 2, loss: 0.125 });
        "#,
    );
    let csv = std::fs::read_to_string(s.out.join("log.csv")).unwrap();
    assert_eq!(csv, "loss,step\n0.25,1\n0.125,2\n");
    let e = error("log-columns", "log(#{ a: 1 });\nlog(#{ b: 2 });");
    assert!(e.contains("does not fit"), "{e}");
}

#[test]
fn populations_rank_and_deduplicate() {
    ok(
        "population",
        r#"
        let s = space::preset("nano");
        let p = search::population();
        let r = rng(0);
        let a = s.sample(r);
        let b = s.mutate(a, 1.0, r);
        while b == a { b = s.mutate(a, 1.0, r); }
        expect(p.add(a, 0.25) && p.add(b, 0.75), "new members");
        expect(!p.add(a, 0.9), "duplicates refused");
        expect(p.len == 2 && p.best.arch == b && p.top_archs(1)[0] == b, "ranked");
        expect(p.score_of(a) == 0.25, "score_of");
        let tau = search::kendall_tau([1, 2, 3, 4], [10, 20, 30, 40]);
        expect(tau == 1.0, "kendall");
        "#,
    );
}

#[test]
fn search_operators_default_to_the_space_s_own_and_call_given_closures() {
    ok(
        "operators",
        r#"
        let s = space::preset("nano");
        let p = search::population();
        let a = s.sample(rng(1));
        let b = s.sample(rng(2));
        p.add(a, 0.5);
        p.add(b, 0.9);
        // The defaults draw exactly what the space's own operators draw from the same seed.
        let op = search::operators(#{ population: 50, mutation_prob: 0.3 });
        expect(op.sample(s, rng(3)) == s.sample(rng(3)), "sample");
        expect(op.mutate(s, a, rng(4)) == s.mutate(a, 0.3, rng(4)), "mutate at mutation_prob");
        expect(op.crossover(s, a, b, rng(5)) == s.crossover(a, b, rng(5)), "crossover");
        expect(op.select(p, 1, rng(6))[0] == b, "select: the top k");
        expect(op.passes(a), "no constraint");
        // Given closures replace them, called with the loop's arguments.
        let mine = search::operators(#{
            mutate: |space, arch, rng| arch,
            select: |population, k, rng| [population.top_archs(2)[1]],
            constraint: |arch| arch == a,
        });
        expect(mine.mutate(s, a, rng(7)) == a, "given mutate");
        expect(mine.select(p, 1, rng(8))[0] == a, "given select");
        expect(mine.passes(a) && !mine.passes(b), "given constraint");
        expect(!s.admits(b, search::population(), [], mine), "admits asks the constraint");
        expect(s.admits(a, search::population(), [], mine), "admits a new one");
        expect(!s.admits(a, p, [], mine), "admits refuses a scored one");
        "#,
    );
    let wrong = error("operators_wrong", "search::operators(#{ mutate: 3 });");
    assert!(
        wrong.contains("mutate") && wrong.contains("|space, arch, rng| arch"),
        "{wrong}"
    );
    let not_arch = error(
        "operators_not_arch",
        "let op = search::operators(#{ sample: |space, rng| 7 }); \
         op.passes(op.sample(space::preset(\"nano\"), rng(0)));",
    );
    assert!(
        not_arch.contains("an operator returned a whole number, not an Arch"),
        "{not_arch}"
    );
}

#[test]
fn a_census_counts_blocks_as_the_paper_does() {
    ok(
        "census",
        r#"
        let paper = space::preset("paper-tiny").census([space::arch("glit-tiny")]);
        expect(paper.blocks == 12 && paper.mixed == 3 && paper.mixed_fraction == 0.25, "mixed");
        expect(paper.kernels[0].kernel == 17 && paper.kernels[0].blocks == 0, "no kernel 17");
        expect(paper.global_heads_by_depth.len() == 12, "by depth");
        expect(paper.global_heads_by_depth[0] == [0, 0, 0, 1], "block 1 is all-global");
        let s = space::preset("micro");
        let two = s.census([s.baseline(), s.baseline()]);
        expect(two.networks == 2 && two.all_global == 12, "baseline");
        "#,
    );
    let err = error("census_bad", "space::preset(\"micro\").census([1]);");
    assert!(
        err.contains("archs[0]") && err.contains("must be an Arch"),
        "{err}"
    );
}

#[test]
fn training_and_scoring_run_through_the_engine_and_replay_from_the_journal() {
    let source = r#"
        let d = data::open("synthetic", #{ search_split: 64, train_images: 128 });
        let s = space::glit("nano", d);
        let net = supernet::create(s, #{ seed: 1 });
        let sampled = [];
        let history = train::spos(net, d, #{ epochs: 1, batch_size: 32, seed: 2,
            sampler: |space, r| { let a = space.sample(r); sampled.push(a); a } });
        expect(history.len() == 1 && history[0].step == 4, `${history}`);
        let a = s.baseline();
        let calibrated = train::score(net, a, d, #{ calibration_batches: 2, batch_size: 32 });
        let kept = train::score(net, a, d, #{ calibration_batches: 0, batch_size: 32 });
        expect(calibrated >= 0.0 && calibrated <= 1.0 && kept >= 0.0, "scores are accuracies");
        let child = net.extract(a);
        expect(child.parameters == s.params(a), "an extracted net has the arch's weights");
        let r = train::retrain(s, a, d, #{ epochs: 1, batch_size: 32, split: "search" });
        expect(r.search_accuracy == r.accuracy && r.epochs == 1, `${r}`);
        save(#{ calibrated: calibrated, kept: kept, retrained: r.accuracy }, "scores.json");
    "#;
    let s = ok("train", source);
    let first = std::fs::read_to_string(s.out.join("scores.json")).unwrap();
    let journal = std::fs::read_to_string(s.out.join("journal.jsonl")).unwrap();
    // One entry per expensive step: the training, two scores, the retraining. Scoring also
    // posts a task and takes a lease per candidate, and the run marks its start and its end.
    let steps = |prefix: &str| journal.matches(&format!("{{\"key\":\"{prefix}")).count();
    assert_eq!(journal.lines().count(), 10, "{journal}");
    assert_eq!(steps("run-attempt-"), 1, "{journal}");
    assert_eq!(
        (steps("spos-"), steps("score-"), steps("retrain-")),
        (1, 2, 1),
        "{journal}"
    );
    assert_eq!(
        (steps("task-"), steps("lease-"), steps("run-finished")),
        (2, 2, 1),
        "{journal}"
    );
    assert!(
        s.out.join("nets").read_dir().unwrap().count() == 1,
        "the scored net's weights"
    );
    assert!(s.out.join("metrics/spos-1.csv").is_file());
    // A rerun against the same journal replays every step and ends identically.
    script::run(RunRequest {
        script: PathBuf::new(),
        overrides: Vec::new(),
        out: None,
        resume: Some(s.out.clone()),
        devices: glit::devices::list("cpu").unwrap(),
        delegate: false,
        limits: Limits::default(),
        quiet: true,
    })
    .unwrap();
    assert_eq!(
        std::fs::read_to_string(s.out.join("scores.json")).unwrap(),
        first
    );
    // The replay adds only its own start.
    let replayed = std::fs::read_to_string(s.out.join("journal.jsonl")).unwrap();
    let added = replayed
        .strip_prefix(&journal)
        .expect("the journal grew at its end");
    assert_eq!(added.lines().count(), 1, "nothing was recomputed: {added}");
    assert!(added.contains("\"key\":\"run-attempt-2\""), "{added}");
}

#[test]
fn check_and_api_work_without_running() {
    let s = snippet(
        "check",
        "import \"glit\" as glit;\nlet x = glit::defaults();",
    );
    let out = script::check(&s.file).unwrap();
    assert!(out.contains("ok"), "{out}");
    let s = snippet("check-bad", "import \"glit\" as glit;\nlet x = ;");
    let e = script::check(&s.file).unwrap_err().to_string();
    assert!(e.contains("check-bad.rhai:3:"), "{e}");
    let dir = std::env::temp_dir().join(format!("glit-api-defs-{}", std::process::id()));
    let listing = script::api(Some(&dir)).unwrap();
    for entry in [
        "space::preset(name: &str) -> Space",
        "train::spos(net: Supernet, data: Data, options: Map) -> Array",
        "train::score(",
        "search::population() -> Population",
        "params(defaults: Map) -> Map",
        "mutate(space: Space, arch: Arch, probability: f64, rng: Rng) -> Arch",
    ] {
        assert!(listing.contains(entry), "{entry} missing from:\n{listing}");
    }
    let files: Vec<_> = std::fs::read_dir(&dir).unwrap().collect();
    assert!(!files.is_empty(), "no definition files");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_property_called_as_a_method_and_a_method_read_as_a_property_get_a_hint() {
    let err = error(
        "property_call",
        "let p = search::population();\nlet m = p.members();\n",
    );
    assert!(
        err.contains("`members` is a property of Population")
            && err.contains("write `population.members` without parentheses"),
        "{err}"
    );
    let err = error(
        "method_read",
        "let p = search::population();\nlet t = p.top;\n",
    );
    assert!(
        err.contains("`top` is a method of Population") && err.contains("population.top(…)"),
        "{err}"
    );
    // Other errors carry no hint.
    let err = error(
        "no_hint",
        "let p = search::population();\nlet t = p.nothing();\n",
    );
    assert!(!err.contains("hint:"), "{err}");
}
