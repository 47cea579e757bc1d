//! Multi-objective search: the Pareto primitives through the script engine, and the NSGA-II
//! recipe on a cheap synthetic objective (no training) whose front can be checked.

use std::path::PathBuf;

use glit::script::{self, Limits, RunRequest};

/// Runs `source` as a script in a fresh folder; returns its error, if any.
fn run(name: &str, source: &str) -> Result<PathBuf, String> {
    let dir = std::env::temp_dir().join(format!("glit-pareto-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}.rhai"));
    let prelude = "fn expect(condition, what) { if !condition { throw what; } }\n";
    std::fs::write(&file, format!("{prelude}{source}")).unwrap();
    script::run(RunRequest {
        script: file,
        overrides: Vec::new(),
        out: Some(dir.join("run")),
        resume: None,
        devices: glit::devices::list("cpu").unwrap(),
        delegate: false,
        limits: Limits::default(),
        quiet: true,
    })
    .map(|_| dir.join("run"))
    .map_err(|e| e.to_string())
}

#[test]
fn fronts_crowding_and_survivors_match_hand_made_answers() {
    let result = run(
        "primitives",
        r#"
        // 0, 1, 2 trade off; 3 is dominated by 1; 4 by 3.
        let points = [[1.0, 5.0], [2.0, 3.0], [4.0, 1.0], [3.0, 4.0], [5.0, 5.0]];
        let fronts = search::pareto_fronts(points);
        expect(fronts == [[0, 1, 2], [3], [4]], `fronts ${fronts}`);
        let d = search::crowding_distance(points, [0, 1, 2]);
        // The middle point: (4-1)/3 + (5-1)/4 = 2.0; the ends are infinite.
        expect(d[0] > 1000000.0 && d[2] > 1000000.0 && (d[1] - 2.0).abs() < 1e-12, `crowding ${d}`);
        let ranks = search::pareto_ranks(points);
        expect(ranks[3].front == 1 && ranks[4].front == 2, `ranks ${ranks}`);
        expect(search::nsga2_survivors(points, 4) == [0, 2, 1, 3], "survivors");
        expect(search::dominates([1, 1], [1, 2]) && !search::dominates([1, 2], [2, 1]), "dominates");
        "#,
    );
    assert!(result.is_ok(), "{result:?}");
}

#[test]
fn bad_points_are_refused_with_the_index_that_is_wrong() {
    for (source, expected) in [
        ("search::pareto_fronts([[1.0, 2.0], [3.0]])", "points[1]"),
        (
            "search::pareto_fronts([[1.0, 2.0], 3])",
            "must be a list of objectives",
        ),
        ("search::pareto_fronts([[1.0, 1.0 / 0.0]])", "finite"),
        (
            "search::crowding_distance([[1.0], [2.0]], [0, 5])",
            "front[1]",
        ),
        (
            "search::nsga2_survivors([[1.0]], -1)",
            "`keep`: must be a whole number ≥ 0, got -1",
        ),
    ] {
        let error = run("bad", source).expect_err(source);
        assert!(error.contains(expected), "{source}: {error}");
    }
}

#[test]
fn nsga2_returns_a_sorted_nondominated_front_of_scored_architectures() {
    // Score: the share of global heads (cheap, deterministic); cost: MFLOPs. More global
    // heads cost more in the nano space, so the two objectives conflict.
    let dir = run(
        "nsga2",
        r#"
        import "pareto" as pareto;
        let space = space::preset("nano");
        let costs = space;
        let score = |arch| {
            let g = 0;
            for x in arch.distribution { g += x; }
            g.to_float() / (arch.heads * arch.depth).to_float()
        };
        let r = pareto::nsga2(space, score, |arch| costs.mflops(arch),
            #{ population: 8, generations: 4, seed: 3, verbose: false });
        expect(r.population.len() == 8, `population ${r.population.len()}`);
        expect(r.front.len() >= 2, `front ${r.front.len()}`);
        for i in 1..r.front.len() {
            let a = r.front[i - 1];
            let b = r.front[i];
            expect(a.cost <= b.cost && a.score <= b.score, `front not sorted: ${a} ${b}`);
        }
        // Nothing scored dominates a front member.
        for m in r.scored.members {
            let point = [-m.score, costs.mflops(m.arch)];
            for f in r.front {
                expect(!search::dominates(point, [-f.score, f.cost]), `${m.arch} dominates ${f.arch}`);
            }
        }
        save(r.front.map(|m| m.arch), "front.json");
        "#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert!(dir.join("front.json").is_file());
}

#[test]
fn nsga2_scores_a_generation_at_once_through_a_scorer_with_the_closure_s_results() {
    let dir = run(
        "nsga2_scorer",
        r#"
        import "pareto" as pareto;
        let data = data::open("synthetic", #{ search_split: 64 });
        let space = space::glit("nano", data);
        let net = supernet::create(space, #{ seed: 0 });
        let options = #{ population: 4, generations: 1, seed: 1, verbose: false };
        let scorer = train::scorer(net, data, #{ calibration_batches: 1 });
        let cost = |arch| space.mflops(arch);
        let batched = pareto::nsga2(space, scorer, cost, options);
        let one_by_one = pareto::nsga2(space, |arch| train::score(net, arch, data,
            #{ calibration_batches: 1 }), cost, options);
        let a = batched.scored.members;
        let b = one_by_one.scored.members;
        expect(a.len() == b.len() && a.len() >= 4, `${a.len()} and ${b.len()} scored`);
        for i in 0..a.len() {
            expect(a[i].arch == b[i].arch && a[i].score == b[i].score, `member ${i} differs`);
        }
        "#,
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let rows = std::fs::read_to_string(dir.join("candidates.csv")).unwrap();
    assert!(
        rows.lines().count() > 8,
        "both searches file their candidates:\n{rows}"
    );
}

#[test]
fn differing_blocks_ignores_values_a_block_does_not_use() {
    let result = run(
        "differing",
        r#"
        let space = space::preset("nano");
        let a = space.baseline();
        let b = a;
        let blocks = b.blocks;
        blocks[1].global_heads = 0;
        blocks[1].kernel = 3;
        blocks[1].conv_expand = 1;
        b.blocks = blocks;
        expect(a.differing_blocks(b) == [1], `${a.differing_blocks(b)}`);
        expect(a.differing_blocks(a) == [], "an arch differs from itself");
        "#,
    );
    assert!(result.is_ok(), "{result:?}");
}
