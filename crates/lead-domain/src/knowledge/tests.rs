use super::*;

const DOC: &str = "# Price list\n\nIntro paragraph about us.\n\n## Gardens — Narjis\n\nFour buildings.\n\n| Unit type | Price |\n|---|---|\n| 2-bedroom | SAR 865,000 |\n| 3-bedroom | SAR 1,090,000 |\n\n- **Parking** included\n- Gym\n\n### Notes\n\n1. Handover [March](http://x.test) 2027\n";

#[test]
fn markdown_blocks_keep_headings_lists_and_table_rows() {
    let blocks = parse_blocks(DOC, DocumentFormat::Markdown);
    let kinds: Vec<BlockKind> = blocks.iter().map(|b| b.kind).collect();
    assert_eq!(
        kinds,
        vec![
            BlockKind::Heading(1),
            BlockKind::Paragraph,
            BlockKind::Heading(2),
            BlockKind::Paragraph,
            BlockKind::TableRow,
            BlockKind::TableRow,
            BlockKind::ListItem,
            BlockKind::ListItem,
            BlockKind::Heading(3),
            BlockKind::ListItem,
        ]
    );
    assert_eq!(blocks[5].text, "Unit type: 3-bedroom; Price: SAR 1,090,000");
    assert_eq!(blocks[6].text, "Parking included");
    assert_eq!(blocks[9].text, "Handover March 2027");
}

#[test]
fn chunks_carry_their_heading_path() {
    let chunks = chunk_blocks(&parse_blocks(DOC, DocumentFormat::Markdown));
    let paths: Vec<Vec<String>> = chunks.iter().map(|c| c.heading_path.clone()).collect();
    assert_eq!(
        paths,
        vec![
            vec!["Price list".to_owned()],
            vec!["Price list".to_owned(), "Gardens — Narjis".to_owned()],
            vec![
                "Price list".to_owned(),
                "Gardens — Narjis".to_owned(),
                "Notes".to_owned()
            ],
        ]
    );
    assert!(chunks[1].text.contains("SAR 1,090,000"));
}

#[test]
fn text_is_split_at_blank_lines_and_headings_are_not_read_in_plain_text() {
    let blocks = parse_blocks(
        "# not a heading\n\nsecond\nline\n\n- item",
        DocumentFormat::Text,
    );
    assert_eq!(blocks.len(), 3);
    assert_eq!(blocks[0].kind, BlockKind::Paragraph);
    assert_eq!(blocks[1].text, "second line");
    assert_eq!(blocks[2].kind, BlockKind::ListItem);
}

#[test]
fn long_sections_are_bounded_and_overlap_by_one_short_block() {
    let blocks: Vec<Block> = (0..40)
        .map(|i| Block {
            kind: BlockKind::ListItem,
            text: format!("item number {i} with some words to fill the passage"),
        })
        .collect();
    let chunks = chunk_blocks(&blocks);
    assert!(chunks.len() > 1);
    for c in &chunks {
        assert!(c.text.chars().count() <= MAX_CHUNK_CHARS);
    }
    let last_of_first = chunks[0].text.lines().last().map(str::to_owned);
    assert_eq!(
        chunks[1].text.lines().next().map(str::to_owned),
        last_of_first
    );
}

#[test]
fn an_over_long_paragraph_is_cut_under_the_bound() {
    let long = "This sentence is long enough. ".repeat(80);
    let chunks = chunk_blocks(&[Block {
        kind: BlockKind::Paragraph,
        text: long,
    }]);
    assert!(chunks.len() >= 3);
    assert!(
        chunks
            .iter()
            .all(|c| c.text.chars().count() <= MAX_CHUNK_CHARS)
    );
}

#[test]
fn sentences_split_at_ends_but_not_inside_numbers() {
    assert_eq!(
        select::sentences("Rate is 2.99% a year. Ask us! Next line\nهل تريد؟ نعم"),
        vec![
            "Rate is 2.99% a year.",
            "Ask us!",
            "Next line",
            "هل تريد؟",
            "نعم"
        ]
    );
}

#[test]
fn lead_in_only_when_languages_differ() {
    assert!(lead_in(Language::Ar, Language::En).is_some());
    assert!(lead_in(Language::En, Language::Ar).is_some());
    assert!(lead_in(Language::En, Language::En).is_none());
}

/// Lower-cased whitespace words as terms, enough to test the pure selection.
struct Words;

impl TextAnalyzer for Words {
    fn index_terms(&self, text: &str) -> Vec<String> {
        text.split(|c: char| !c.is_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_lowercase)
            .collect()
    }

    fn query_words(&self, text: &str) -> Vec<QueryWord> {
        self.index_terms(text)
            .into_iter()
            .map(|w| QueryWord {
                wants_figure: w == "price",
                weight: if w == "price" { 0.5 } else { 1.0 },
                terms: vec![w.clone()],
                word: w,
            })
            .collect()
    }
}

fn hit(text: &str, path: &[&str]) -> KnowledgeHit {
    KnowledgeHit {
        document_id: crate::ids::DocumentId::from_uuid(uuid::Uuid::nil()),
        chunk_id: crate::ids::ChunkId::from_uuid(uuid::Uuid::nil()),
        title: "Price list".into(),
        language: Some(Language::En),
        heading_path: path.iter().map(|s| (*s).to_owned()).collect(),
        text: text.into(),
        score: 1.0,
    }
}

#[test]
fn the_best_covering_passage_answers_with_its_most_relevant_sentence() {
    let words = Words.query_words("corner villa malqa price");
    let hits = rerank(
        &Words,
        &words,
        vec![
            hit("Offices for lease. SAR 1,150 per m2.", &["Hittin"]),
            hit(
                "Middle villa: SAR 2,890,000\nCorner villa: SAR 3,250,000\nPool: SAR 95,000",
                &["Villas — Malqa"],
            ),
        ],
    );
    assert_eq!(hits[0].hit.heading_path, vec!["Villas — Malqa".to_owned()]);
    let answer = answer_from(&Words, &words, &hits).expect("answered");
    assert!(
        answer.text.starts_with("Villas — Malqa: ")
            && answer.text.contains("Corner villa: SAR 3,250,000"),
        "{}",
        answer.text
    );
    assert!(!answer.text.contains("Offices"), "{}", answer.text);
    assert_eq!(answer.language, Language::En);
}

#[test]
fn a_question_the_passages_barely_touch_is_not_answered() {
    let words = Words.query_words("are pets allowed cat apartments");
    let hits = rerank(
        &Words,
        &words,
        vec![hit("Apartments from SAR 865,000.", &[])],
    );
    assert!(hits[0].coverage < ANSWER_THRESHOLD);
    assert!(answer_from(&Words, &words, &hits).is_none());
}
