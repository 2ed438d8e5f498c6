//! Tests of the prompt builder and of history trimming.

use super::*;

fn facts() -> TenantFacts {
    TenantFacts {
        business_name: "Gulf Homes".into(),
        industry: "real_estate".into(),
        brand_voice: "Warm and concise.".into(),
        currency: "SAR".into(),
        services: vec![ServiceEntry {
            key: "buy_villa".into(),
            description: "buying a villa or house".into(),
        }],
    }
}

fn context(hours: HoursState) -> TurnContext {
    TurnContext {
        today: "2026-11-24".into(),
        language: Lang::Ar,
        hours,
        unknown_fields: vec![Field::Budget, Field::Timeline],
        known: vec![
            (Field::Service, "buy_villa".into()),
            (Field::Location, "Riyadh".into()),
        ],
        knowledge: vec!["Viewings run Sunday to Thursday.".into()],
    }
}

#[test]
fn estimates_are_chars_over_three_and_a_half_rounded_up() {
    assert_eq!(estimate_tokens(""), 0);
    assert_eq!(estimate_tokens("abcdefg"), 2);
    assert_eq!(estimate_tokens("abcdefgh"), 3);
    assert_eq!(
        estimate_tokens("مرحبا بك"),
        3,
        "arabic counts characters, not bytes"
    );
}

#[test]
fn the_cached_part_holds_the_stable_facts_and_the_volatile_part_the_turn() {
    let closed = HoursState::Closed {
        next_opening: "Sunday 9:00".into(),
    };
    let prompt = qualification_prompt(&facts(), &context(closed), Some("Earlier: «villa»"));
    for stable in [
        "Gulf Homes",
        "Warm and concise.",
        "- buy_villa: buying a villa or house",
        "in SAR",
        TOOL_NAME,
    ] {
        assert!(
            prompt.cached.contains(stable),
            "cached part lacks {stable:?}"
        );
    }
    for volatile in [
        "2026-11-24",
        "closed",
        "Sunday 9:00",
        "Answer in Arabic",
        "budget, timeline",
        "Earlier: «villa»",
        "Viewings run",
    ] {
        assert!(
            prompt.volatile.contains(volatile),
            "volatile part lacks {volatile:?}"
        );
        assert!(
            !prompt.cached.contains(volatile),
            "cached part must not change per turn: {volatile:?}"
        );
    }
}

#[test]
fn the_cached_part_is_identical_across_turns() {
    let a = qualification_prompt(&facts(), &context(HoursState::Open), None);
    let mut other = context(HoursState::Closed {
        next_opening: "9:00".into(),
    });
    other.language = Lang::En;
    other.unknown_fields.clear();
    let b = qualification_prompt(&facts(), &other, Some("summary"));
    assert_eq!(a.cached, b.cached);
    assert_ne!(a.volatile, b.volatile);
    assert!(a.volatile.contains("open now"));
    assert!(b.volatile.contains("All key details are known"));
}

#[test]
fn the_routing_prompt_names_its_tool_and_every_kind() {
    let prompt = routing_prompt(&facts(), &context(HoursState::Open), None);
    for kind in [
        "greeting",
        "question",
        "qualification_info",
        "wants_human",
        "opt_out",
        "spam",
        ROUTER_TOOL_NAME,
    ] {
        assert!(prompt.cached.contains(kind), "{kind}");
    }
}

#[test]
fn a_short_history_is_kept_whole() {
    let history = vec![
        Turn::lead("hi"),
        Turn::agent("hello"),
        Turn::lead("villa please"),
    ];
    let memory = trim_history(&history, 1000);
    assert_eq!(
        memory,
        Memory {
            turns: history,
            summary: None,
            trimmed: 0
        }
    );
}

#[test]
fn a_long_history_keeps_the_newest_turns_within_budget_and_summarises_the_rest() {
    let mut history = vec![Turn::lead("I want a villa in Riyadh")];
    for i in 0..40 {
        history.push(Turn::agent(format!(
            "agent message number {i} with some padding text"
        )));
        history.push(Turn::lead(format!(
            "lead message number {i} with some padding text"
        )));
    }
    let budget = 200;
    let memory = trim_history(&history, budget);
    let used: usize = memory
        .turns
        .iter()
        .map(|t| estimate_tokens(&t.text) + TURN_OVERHEAD_TOKENS)
        .sum();
    assert!(used <= budget, "kept {used} tokens");
    assert_eq!(memory.turns.last(), history.last());
    assert_eq!(
        memory.turns[0].role,
        Role::Lead,
        "a trimmed window opens with the lead"
    );
    assert_eq!(memory.trimmed + memory.turns.len(), history.len());
    let summary = memory.summary.unwrap();
    assert!(summary.contains(&format!("({} messages not shown)", memory.trimmed)));
    assert!(summary.contains("«I want a villa in Riyadh»"), "{summary}");
    assert!(
        summary.chars().count() <= budget / 5 * 7 / 2 + 2,
        "{summary}"
    );
}

#[test]
fn an_oversized_newest_turn_is_cut_to_the_budget() {
    let history = vec![Turn::lead("old"), Turn::lead("ب".repeat(10_000))];
    let memory = trim_history(&history, 100);
    assert_eq!(memory.turns.len(), 1);
    assert!(estimate_tokens(&memory.turns[0].text) + TURN_OVERHEAD_TOKENS <= 100);
    assert_eq!(memory.trimmed, 1);
}
