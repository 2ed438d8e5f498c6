//! Prints the tokens and phrase hits of each argument, to diagnose the rules.

fn main() {
    for text in std::env::args().skip(1) {
        println!("{}", lead_nlu::debug_hits(&text));
    }
}
