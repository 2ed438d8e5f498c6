//! Runs the offline qualifier over a labelled case file: `cargo run -p lead-nlu --example eval -- --cases FILE --profiles clients.json [--out predictions.jsonl]`.

use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let get = |flag: &str| {
        args.iter()
            .position(|a| a == flag)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let (Some(cases), Some(profiles)) = (get("--cases"), get("--profiles")) else {
        eprintln!(
            "usage: eval --cases FILE.jsonl --profiles clients.json [--out predictions.jsonl]"
        );
        return ExitCode::from(2);
    };
    let read =
        |path: &str| std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"));
    let (cases, profiles) = match (read(&cases), read(&profiles)) {
        (Ok(c), Ok(p)) => (c, p),
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let profiles = match lead_nlu::eval::Profiles::parse(&profiles) {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::FAILURE;
        }
    };
    let report = lead_nlu::eval::run(&cases, &profiles);
    let lines = report.predictions.join("\n") + "\n";
    match get("--out") {
        Some(out) => {
            if let Err(e) = std::fs::write(&out, lines) {
                eprintln!("cannot write {out}: {e}");
                return ExitCode::FAILURE;
            }
        }
        None => print!("{lines}"),
    }
    eprint!("{}", report.summary());
    ExitCode::SUCCESS
}
