//! Splitting a document into passages by its structure: headings open sections, paragraphs, list
//! items and table rows are blocks, and blocks of one section are packed into passages up to a
//! size bound, the last block repeated at the start of the next passage as a small overlap.

use super::DocumentFormat;

/// The most characters a passage holds (a single longer block is split at sentence ends).
pub const MAX_CHUNK_CHARS: usize = 700;

/// A block shorter than this is repeated at the start of the next passage of its section.
const OVERLAP_MAX_CHARS: usize = 240;

/// What a block of a document is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BlockKind {
    /// A heading of the given level (1 is the outermost).
    Heading(u8),
    /// A paragraph.
    Paragraph,
    /// One item of a list.
    ListItem,
    /// One row of a table, already written as "header: cell; ..." text.
    TableRow,
}

/// One structural unit of a document, its text reduced to plain text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Block {
    /// What it is.
    pub kind: BlockKind,
    /// Its plain text.
    pub text: String,
}

/// A passage before it is stored: its headings and text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkDraft {
    /// The headings above it, outermost first.
    pub heading_path: Vec<String>,
    /// Its text, blocks separated by new lines.
    pub text: String,
}

/// Reads plain text or Markdown into blocks. HTML is parsed by the app (it needs an HTML parser)
/// and handed to [`chunk_blocks`] as blocks; given here it is read as plain text.
pub fn parse_blocks(content: &str, format: DocumentFormat) -> Vec<Block> {
    let markdown = format == DocumentFormat::Markdown;
    let mut blocks = Vec::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut table_header: Option<Vec<String>> = None;
    let flush = |paragraph: &mut Vec<&str>, blocks: &mut Vec<Block>| {
        if !paragraph.is_empty() {
            let text = inline(&paragraph.join(" "), markdown);
            if !text.is_empty() {
                blocks.push(Block {
                    kind: BlockKind::Paragraph,
                    text,
                });
            }
            paragraph.clear();
        }
    };
    for raw in content.lines() {
        let line = raw.trim();
        if !line.starts_with('|') {
            table_header = None;
        }
        if line.is_empty() {
            flush(&mut paragraph, &mut blocks);
            continue;
        }
        if markdown && let Some((level, title)) = heading(line) {
            flush(&mut paragraph, &mut blocks);
            let text = inline(title, true);
            if !text.is_empty() {
                blocks.push(Block {
                    kind: BlockKind::Heading(level),
                    text,
                });
            }
            continue;
        }
        if markdown && line.starts_with('|') {
            flush(&mut paragraph, &mut blocks);
            let cells: Vec<String> = line
                .trim_matches('|')
                .split('|')
                .map(|c| inline(c.trim(), true))
                .collect();
            let is_rule = cells
                .iter()
                .all(|c| !c.is_empty() && c.chars().all(|ch| matches!(ch, '-' | ':' | ' ')));
            if is_rule {
                continue;
            }
            match &table_header {
                None => table_header = Some(cells),
                Some(header) => {
                    let text = cells
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| !c.is_empty())
                        .map(|(i, c)| match header.get(i).filter(|h| !h.is_empty()) {
                            Some(h) => format!("{h}: {c}"),
                            None => c.clone(),
                        })
                        .collect::<Vec<_>>()
                        .join("; ");
                    blocks.push(Block {
                        kind: BlockKind::TableRow,
                        text,
                    });
                }
            }
            continue;
        }
        if let Some(item) = list_item(line) {
            flush(&mut paragraph, &mut blocks);
            let text = inline(item, markdown);
            if !text.is_empty() {
                blocks.push(Block {
                    kind: BlockKind::ListItem,
                    text,
                });
            }
            continue;
        }
        if markdown && (line.chars().all(|c| matches!(c, '-' | '*' | '_' | ' ')) && line.len() >= 3)
        {
            flush(&mut paragraph, &mut blocks);
            continue;
        }
        paragraph.push(line);
    }
    flush(&mut paragraph, &mut blocks);
    blocks
}

/// `## Title` as (2, "Title").
fn heading(line: &str) -> Option<(u8, &str)> {
    let level = line.chars().take_while(|&c| c == '#').count();
    if (1..=6).contains(&level) {
        let rest = &line[level..];
        if rest.starts_with(' ') || rest.is_empty() {
            return Some((level as u8, rest.trim().trim_end_matches('#').trim()));
        }
    }
    None
}

/// The text of a `- item`, `* item`, `+ item`, `1. item` or `1) item` line.
fn list_item(line: &str) -> Option<&str> {
    for bullet in ["- ", "* ", "+ ", "• "] {
        if let Some(rest) = line.strip_prefix(bullet) {
            return Some(rest.trim());
        }
    }
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits > 0 && digits <= 3 {
        let rest = &line[digits..];
        for mark in [". ", ") "] {
            if let Some(item) = rest.strip_prefix(mark) {
                return Some(item.trim());
            }
        }
    }
    None
}

/// Inline Markdown reduced to its text: emphasis marks, code ticks and link targets dropped.
fn inline(text: &str, markdown: bool) -> String {
    if !markdown {
        return collapse(text);
    }
    let mut out = String::with_capacity(text.len());
    let chars: Vec<char> = text.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        match c {
            '*' | '`' => {}
            '_' if i == 0
                || i + 1 == chars.len()
                || !chars[i - 1].is_alphanumeric()
                || !chars[i + 1].is_alphanumeric() => {}
            ']' if chars.get(i + 1) == Some(&'(') => {
                // "[text](url)": keep the text, skip the target.
                let mut j = i + 2;
                while j < chars.len() && chars[j] != ')' {
                    j += 1;
                }
                i = j;
            }
            '[' | '!' if chars.get(i + 1) == Some(&'[') || c == '[' => {}
            '\\' if i + 1 < chars.len() => {
                out.push(chars[i + 1]);
                i += 1;
            }
            _ => out.push(c),
        }
        i += 1;
    }
    collapse(&out)
}

fn collapse(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Packs blocks into passages: a heading closes the current passage and updates the heading path;
/// blocks of one section share passages up to [`MAX_CHUNK_CHARS`]; a short last block is repeated
/// at the start of the next passage of the same section; an over-long block is split at sentence
/// ends. Headings with nothing under them become no passage.
pub fn chunk_blocks(blocks: &[Block]) -> Vec<ChunkDraft> {
    let mut out = Vec::new();
    let mut path: Vec<(u8, String)> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut size = 0usize;
    let heading_path = |path: &[(u8, String)]| path.iter().map(|(_, h)| h.clone()).collect();
    let emit = |current: &mut Vec<String>, path: &[(u8, String)], out: &mut Vec<ChunkDraft>| {
        if !current.is_empty() {
            out.push(ChunkDraft {
                heading_path: heading_path(path),
                text: current.join("\n"),
            });
        }
    };
    for block in blocks {
        if let BlockKind::Heading(level) = block.kind {
            emit(&mut current, &path, &mut out);
            current.clear();
            size = 0;
            path.retain(|(l, _)| *l < level);
            path.push((level, block.text.clone()));
            continue;
        }
        for piece in split_long(&block.text) {
            let len = piece.chars().count();
            if size > 0 && size + len + 1 > MAX_CHUNK_CHARS {
                emit(&mut current, &path, &mut out);
                let overlap = current
                    .last()
                    .filter(|last| {
                        let n = last.chars().count();
                        n <= OVERLAP_MAX_CHARS && n + len < MAX_CHUNK_CHARS
                    })
                    .cloned();
                current.clear();
                size = 0;
                if let Some(last) = overlap {
                    size = last.chars().count();
                    current.push(last);
                }
            }
            size += len + 1;
            current.push(piece);
        }
    }
    emit(&mut current, &path, &mut out);
    out
}

/// A block longer than a passage, cut at sentence ends (or at spaces when a sentence is too long).
fn split_long(text: &str) -> Vec<String> {
    if text.chars().count() <= MAX_CHUNK_CHARS {
        return vec![text.to_owned()];
    }
    let mut pieces = Vec::new();
    let mut current = String::new();
    for sentence in super::select::sentences(text) {
        for word in sentence.split(' ') {
            if current.chars().count() + word.chars().count() + 1 > MAX_CHUNK_CHARS
                && !current.is_empty()
            {
                pieces.push(std::mem::take(&mut current));
            }
            if !current.is_empty() {
                current.push(' ');
            }
            current.push_str(word);
        }
        if current.chars().count() > MAX_CHUNK_CHARS / 2 {
            pieces.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        pieces.push(current);
    }
    pieces
}
