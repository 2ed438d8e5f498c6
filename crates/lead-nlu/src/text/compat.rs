//! Unicode compatibility normalisation (NFKC) of lead text, keeping the way back to the original bytes.
//!
//! Text pasted from PDFs carries Arabic presentation forms (U+FB50–U+FDFF, U+FE70–U+FEFF: one code
//! point per letter shape, and ligatures such as lam-alef); phones type full-width digits ("８００")
//! and compatibility characters. NFKC turns these into the plain letters and digits the reader
//! matches on. Every normalised character remembers the byte span of the original characters it came
//! from, so evidence can still quote the lead's own words.

use unicode_normalization::char::canonical_combining_class;
use unicode_normalization::{IsNormalized, UnicodeNormalization, is_nfkc_quick};

/// One character of the normalised text and the original bytes it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CompatChar {
    /// Byte offset of the first original character it came from.
    pub start: usize,
    /// Byte offset just past the last original character it came from.
    pub end: usize,
    /// The normalised character.
    pub c: char,
}

/// The NFKC form of `text`, one entry per normalised character with its original byte span.
///
/// Normalisation runs over each cluster of a base character and the combining marks after it, the
/// unit NFKC composes within, so each output character maps to the cluster it came from. Text that
/// is already in NFKC (nearly all of it) is passed through without allocation per character.
pub fn compat_chars(text: &str) -> Vec<CompatChar> {
    let mut out = Vec::with_capacity(text.len());
    if is_nfkc_quick(text.chars()) == IsNormalized::Yes {
        out.extend(text.char_indices().map(|(start, c)| CompatChar {
            start,
            end: start + c.len_utf8(),
            c,
        }));
        return out;
    }
    let mut cluster_start = 0;
    for (at, c) in text.char_indices().skip(1) {
        if canonical_combining_class(c) == 0 {
            push_cluster(text, cluster_start, at, &mut out);
            cluster_start = at;
        }
    }
    if cluster_start < text.len() {
        push_cluster(text, cluster_start, text.len(), &mut out);
    }
    out
}

/// Appends the NFKC form of the cluster `text[start..end]`, every character mapped to the whole cluster.
fn push_cluster(text: &str, start: usize, end: usize, out: &mut Vec<CompatChar>) {
    let Some(cluster) = text.get(start..end) else {
        return;
    };
    out.extend(cluster.nfkc().map(|c| CompatChar { start, end, c }));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn normalised(text: &str) -> String {
        compat_chars(text).iter().map(|c| c.c).collect()
    }

    #[test]
    fn plain_text_maps_one_to_one() {
        let chars = compat_chars("hi سلام");
        assert_eq!(chars.len(), 7);
        assert!(chars.iter().all(|c| c.end > c.start));
        assert_eq!(chars[3].start, 3);
    }

    #[test]
    fn presentation_forms_become_letters() {
        // "شقة" in isolated/final/medial presentation forms, and the lam-alef ligature.
        assert_eq!(normalised("\u{FEB7}\u{FED8}\u{FE93}"), "شقة");
        assert_eq!(normalised("\u{FEFB}"), "لا");
    }

    #[test]
    fn expanded_characters_keep_the_original_span() {
        let chars = compat_chars("x\u{FEFB}y");
        // The ligature (3 bytes at offset 1) becomes two letters, both pointing at it.
        assert_eq!(chars.len(), 4);
        assert_eq!((chars[1].start, chars[1].end), (1, 4));
        assert_eq!((chars[2].start, chars[2].end), (1, 4));
        assert_eq!((chars[3].start, chars[3].end), (4, 5));
    }

    #[test]
    fn full_width_digits_and_marks_compose() {
        assert_eq!(normalised("８００"), "800");
        // Alef followed by a combining hamza above is the precomposed alef with hamza.
        assert_eq!(normalised("\u{0627}\u{0654}"), "\u{0623}");
    }
}
