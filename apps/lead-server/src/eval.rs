//! `lead-server eval`: runs the offline qualifier over labelled cases and writes predictions in the
//! format `eval/score.py` reads; the harness itself is `lead_nlu::eval`.

use std::io::Write;
use std::path::Path;

/// Runs the evaluation of `cases` against `profiles`, writing one prediction line per case to
/// `out` (or stdout) and the accuracy summary to stderr.
///
/// # Errors
/// When a file cannot be read or written, or the profiles file is invalid.
pub fn run(cases: &Path, profiles: &Path, out: Option<&Path>) -> anyhow::Result<()> {
    let read = |p: &Path| {
        std::fs::read_to_string(p).map_err(|e| anyhow::anyhow!("reading {}: {e}", p.display()))
    };
    let profiles = lead_nlu::eval::Profiles::parse(&read(profiles)?)?;
    let report = lead_nlu::eval::run(&read(cases)?, &profiles);
    let mut text = report.predictions.join("\n");
    text.push('\n');
    match out {
        Some(path) => std::fs::write(path, text)
            .map_err(|e| anyhow::anyhow!("writing {}: {e}", path.display()))?,
        None => std::io::stdout()
            .write_all(text.as_bytes())
            .map_err(|e| anyhow::anyhow!("writing the predictions: {e}"))?,
    }
    eprint!("{}", report.summary());
    Ok(())
}
