//! `cargo test --workspace` runs a slice of the simulation (the release binary runs 10,000 seeds).

#[test]
fn three_hundred_seeds_hold_every_invariant() {
    let opts = oss_sim::Options::default();
    let mut failed = Vec::new();
    for seed in 0..300 {
        if let Err(f) = oss_sim::run_seed(seed, &opts) {
            failed.push(oss_sim::format_failure(&f, 40));
        }
    }
    assert!(failed.is_empty(), "{} of 300 seeds failed; first:\n{}", failed.len(), failed[0]);
}

#[test]
fn a_seed_replays_identically() {
    let opts = oss_sim::Options { trace: true, ..Default::default() };
    assert_eq!(oss_sim::trace_of(42, &opts), oss_sim::trace_of(42, &opts));
}
