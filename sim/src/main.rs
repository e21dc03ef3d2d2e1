//! `cargo run --release -p oss-sim -- --seeds 10000 [--from S] [--jobs J] [--no-fault a,b]`
//! `cargo run --release -p oss-sim -- --seed N --trace`

use std::collections::HashSet;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use oss_sim::{format_failure, run_seed, Fault, Failure, Options, Stats, World, ALL_FAULTS};

fn usage() -> ! {
    let names: Vec<&str> = ALL_FAULTS.iter().map(|f| f.name()).collect();
    eprintln!(
        "usage: oss-sim [--seeds N] [--from S] [--jobs J] [--no-fault F,..] [--show K]\n       oss-sim --seed N [--trace]\nfaults: {}",
        names.join(", ")
    );
    std::process::exit(2)
}

fn main() -> ExitCode {
    let mut seeds: u64 = 10_000;
    let mut from: u64 = 0;
    let mut one: Option<u64> = None;
    let mut trace = false;
    let mut jobs: usize = std::thread::available_parallelism().map_or(1, |n| n.get()).min(2);
    let mut show: usize = 3;
    let mut disabled = HashSet::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let num = |args: &mut dyn Iterator<Item = String>| -> u64 {
            args.next().and_then(|v| v.replace('_', "").parse().ok()).unwrap_or_else(|| usage())
        };
        match a.as_str() {
            "--seeds" => seeds = num(&mut args),
            "--from" => from = num(&mut args),
            "--seed" => one = Some(num(&mut args)),
            "--jobs" => jobs = num(&mut args).max(1) as usize,
            "--show" => show = num(&mut args) as usize,
            "--trace" => trace = true,
            "--no-fault" => {
                for n in args.next().unwrap_or_else(|| usage()).split(',') {
                    disabled.insert(Fault::from_name(n).unwrap_or_else(|| usage()));
                }
            }
            _ => usage(),
        }
    }
    let opts = Options { disabled, trace };

    if let Some(seed) = one {
        println!("sim: seed {seed}: {}", World::new(seed, opts.clone()).profile_summary());
        return match run_seed(seed, &opts) {
            Ok(s) => {
                if trace {
                    // Replay with the trace printed in full.
                    let mut o = opts.clone();
                    o.trace = true;
                    print_trace(seed, &o);
                }
                println!(
                    "sim: seed {seed}: {} steps, {} token requests, {} silent renewals, {} faults injected: all invariants held",
                    s.steps, s.token_requests, s.silent_ok, s.faults
                );
                println!("1 passed, 0 failed");
                ExitCode::SUCCESS
            }
            Err(f) => {
                print!("{}", format_failure(&f, if trace { usize::MAX } else { 40 }));
                println!("0 passed, 1 failed");
                ExitCode::FAILURE
            }
        };
    }

    let started = Instant::now();
    let next = Arc::new(AtomicU64::new(from));
    let total = Arc::new(Mutex::new(Stats::default()));
    let failures: Arc<Mutex<Vec<Failure>>> = Arc::new(Mutex::new(Vec::new()));
    let end = from + seeds;
    let workers: Vec<_> = (0..jobs)
        .map(|_| {
            let (next, total, failures, opts) = (next.clone(), total.clone(), failures.clone(), opts.clone());
            std::thread::spawn(move || {
                let mut mine = Stats::default();
                loop {
                    let seed = next.fetch_add(1, Ordering::Relaxed);
                    if seed >= end {
                        break;
                    }
                    match run_seed(seed, &opts) {
                        Ok(s) => {
                            mine.steps += s.steps;
                            mine.token_requests += s.token_requests;
                            mine.faults += s.faults;
                            mine.app_calls += s.app_calls;
                            mine.silent_ok += s.silent_ok;
                        }
                        Err(f) => failures.lock().unwrap().push(f),
                    }
                }
                let mut t = total.lock().unwrap();
                t.steps += mine.steps;
                t.token_requests += mine.token_requests;
                t.faults += mine.faults;
                t.app_calls += mine.app_calls;
                t.silent_ok += mine.silent_ok;
            })
        })
        .collect();
    for w in workers {
        w.join().expect("worker");
    }
    let secs = started.elapsed().as_secs_f64();
    let total = total.lock().unwrap().clone();
    let mut failures = std::mem::take(&mut *failures.lock().unwrap());
    failures.sort_by_key(|f| f.seed);
    for f in failures.iter().take(show) {
        print!("{}", format_failure(f, 40));
    }
    if !failures.is_empty() {
        let mut by_inv: std::collections::BTreeMap<u8, Vec<u64>> = Default::default();
        for f in &failures {
            by_inv.entry(f.inv as u8).or_default().push(f.seed);
        }
        for (inv, s) in by_inv {
            let list: Vec<String> = s.iter().take(20).map(|x| x.to_string()).collect();
            println!("sim: invariant {inv}: {} seeds failed, e.g. {}", s.len(), list.join(" "));
        }
    }
    let passed = seeds - failures.len() as u64;
    println!(
        "sim: {seeds} seeds, {} steps, {} token requests, {} silent renewals, {} faults injected: {} (seeds {from}..{end}, {} app calls, {:.1} s, {:.0} seeds/s)",
        total.steps,
        total.token_requests,
        total.silent_ok,
        total.faults,
        if failures.is_empty() { "all invariants held".to_string() } else { format!("{} seeds FAILED", failures.len()) },
        total.app_calls,
        secs,
        seeds as f64 / secs
    );
    println!("{passed} passed, {} failed", failures.len());
    if failures.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

fn print_trace(seed: u64, opts: &Options) {
    let w = World::new(seed, opts.clone());
    if let Err(f) = w.run() {
        print!("{}", format_failure(&f, usize::MAX));
    } else {
        // A passing run: print its whole trace too.
        let mut o = opts.clone();
        o.trace = true;
        for l in oss_sim::trace_of(seed, &o) {
            println!("  {l}");
        }
    }
}
