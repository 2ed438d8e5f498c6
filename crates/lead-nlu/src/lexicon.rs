//! The phrase matcher: a table of phrases in both languages mapped to concepts, matched over tokens
//! with Arabic clitic stripping (و ف ب ل ك ال prefixes, pronoun suffixes) in one pass.

use crate::text::{Kind, Script, Token};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Calendar units of relative time expressions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// Days.
    Day,
    /// Weeks.
    Week,
    /// Months.
    Month,
    /// Years.
    Year,
    /// Hours ("within 48 hours").
    Hour,
}

/// Rank of a number word, which decides how words combine ("مية وعشرين" = 120).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rank {
    /// 1 to 9.
    Unit,
    /// 10 to 19.
    Teen,
    /// 20, 30 ... 90.
    Ten,
    /// A whole hundred written as one word (ثلاثمية, 300).
    Hundreds,
    /// The word "hundred", which multiplies what comes before.
    HundredMul,
}

/// Fixed time expressions with a known bucket or date rule.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fixed {
    /// now, tomorrow, this week, in a few days, الحين, بكرة, هالأسبوع.
    Immediate,
    /// today, tonight, اليوم: timeline immediate and urgency high.
    Today,
    /// ASAP, right away, بأسرع وقت, فوراً: timeline immediate and urgency high.
    Asap,
    /// next week and its dialect forms.
    NextWeek,
    /// this month, end of the month.
    ThisMonth,
    /// next month, end of next month.
    NextMonth,
    /// this year, end of the year.
    ThisYear,
    /// next year with no month.
    NextYear,
    /// in a few weeks, in the coming weeks: within a month.
    FewWeeks,
    /// in a few months.
    FewMonths,
    /// in the coming weeks: within a month, and urgency medium.
    ComingWeeks,
    /// yesterday, last week, ago: a past date that says nothing about the timeline.
    Past,
}

/// What a matched phrase means. A phrase may carry several concepts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Concept {
    /// A currency by ISO code; `"POUND"` is the ambiguous "pound" resolved by context.
    Currency(&'static str),
    /// A multiplier word after a number: thousand, million, ألف, مليون.
    Mult(f64),
    /// A dual multiplier that is a number on its own: ألفين (2000), مليونين (2,000,000).
    Dual(f64),
    /// A number word.
    NumWord(f64, Rank),
    /// half (نص, نصف).
    Half,
    /// quarter (ربع).
    Quarter,
    /// "a" / "an" before a multiplier ("a million").
    Article,
    /// "and" joining numbers or range ends.
    And,
    /// "to", "-", "إلى": joins the ends of a range.
    RangeTo,
    /// "between", "بين", "from": opens a range.
    Between,
    /// "at least", "minimum", "لا يقل عن".
    BoundMin,
    /// "up to", "under", "max", "لا تزيد عن", "حدها".
    BoundMax,
    /// "more than" (a minimum unless negated).
    MoreThan,
    /// "less than" (a maximum).
    LessThan,
    /// After the amount: "max", "tops", "بالكتير" (a maximum).
    PostMax,
    /// After the amount: "or more", "وفوق" (a minimum).
    PostMin,
    /// "around", "about", "حوالي", "في حدود".
    Approx,
    /// After a figure: "is too much", "كثير علي", "غالي": the lead turns that figure down, so it is
    /// not their budget ("400 max, 800 is too much").
    TooMuch,
    /// A word saying the amount is what the lead will pay: budget, spend, ميزانية, أدفع.
    BudgetCue,
    /// "I have", "معايا": a budget cue only for a large or currency-marked figure.
    WeakBudgetCue,
    /// A word saying the amount is not a budget: salary, bill, mileage, worth.
    NonBudgetCue,
    /// The lead sells something; a figure next to it is an asking price.
    SellCue,
    /// per month, a year, بالشهر: the budget is taken as stated.
    PerPeriod,
    /// not, مش, مو, لا.
    Neg,
    /// A unit that makes a number a size, count or distance (m², bedrooms, km).
    CountUnit,
    /// A calendar unit (days, weeks, months, years); `u8` is the count a dual form carries (أسبوعين = 2).
    TimeUnit(Unit, u8),
    /// A word before a number that makes it a year, model, age, grade or reference ("model", "class of", "رقم").
    NotMoneyBefore,
    /// "I'm", "aged", "عمري": a bare number after it is an age.
    AgeBefore,
    /// A fixed time expression.
    Time(Fixed),
    /// A calendar month (1-12); `bool` says the word is also a common verb ("may", "march").
    Month(u32, bool),
    /// A season by the month it starts.
    Season(u32),
    /// A day of the week, 0 = Monday.
    Weekday(u32),
    /// in, within, after, بعد, خلال: a relative date follows.
    TimePrep,
    /// next, coming, الجاي: the following unit.
    NextAdj,
    /// this, هذا.
    ThisAdj,
    /// end of, by the end of, آخر, نهاية.
    EndOf,
    /// few, couple, several, كم: a small count for time units.
    Few(u8),
    /// A word meaning the lead owns or already has something.
    Urgency(lead_domain::qualification::Urgency),
    /// "soon" of time; cancelled by a following "من" (near).
    Soon,
    /// A word of first-person reference: I, me, my, أنا.
    SelfRef,
    /// A third party who may decide: husband, manager, board, زوجي, المدير.
    Person,
    /// he, she, they, هو, هي.
    OtherRef,
    /// decide, decision, قرار.
    Decide,
    /// First-person decide forms: بقرر, هقرر, أقرر, "I decide".
    DecideSelf,
    /// Third-person decide forms: بيقرر, يقرر, "decides".
    DecideOther,
    /// A statement that the lead decides: "my call", "القرار لي", "I'm the owner".
    DecisionTrue,
    /// A statement that someone else decides or must approve: "approval", "موافقة", "sign-off".
    DecisionFalse,
    /// ask, consult, check with, discuss with, أسأل, أشاور: false when followed by a person.
    Consult,
    /// yes, ايوه, نعم.
    Affirm,
    /// no, لا.
    Deny,
    /// call me, call me back, يتصل علي, كلموني.
    CallMe,
    /// talk to, speak to, أكلم, أحكي مع: true when followed by a staff word.
    TalkTo,
    /// someone, a person, agent, موظف, أحد: the object of a talk-to request.
    Staff,
    /// real person, human, شخص حقيقي: a person asked for on its own.
    RealPerson,
    /// not interested, stop texting, مو مهتم.
    NotInterested,
    /// just browsing, بس اتفرج.
    Browsing,
    /// stop (a not-interested signal when it stands alone or precedes a messaging verb).
    Stop,
    /// elsewhere, another clinic, شركة ثانية.
    Elsewhere,
    /// already, bought, خلاص, ركبنا: a finished act.
    Done,
    /// A city by canonical English name.
    City(&'static str),
    /// "from" before a city: origin, lowest priority.
    FromPlace,
    /// "to", "moving to", "إلى": destination.
    ToPlace,
    /// "live in", "based in", "ساكن": the lead's own city.
    LivePlace,
    /// A service feature label used by the industry rules.
    Feature(&'static str),
    /// Small talk that contains signal words ("how are you today"): matched so those words are not read.
    SmallTalk,
    /// An agent question about the budget.
    AskBudget,
    /// An agent question about timing.
    AskTimeline,
    /// An agent question about who decides.
    AskDecision,
    /// An agent question about the place.
    AskLocation,
    /// A tenant-added synonym of the service with this index in the tenant's catalogue.
    TenantService(u16),
    /// A tenant-added place with this index in the tenant's place list.
    TenantCity(u16),
    /// A word or phrase saying what kind of message a turn is; only in the intent lexicon.
    Intent(crate::intent::Cue),
}

/// FNV-1a: fast for the short keys of the phrase index, and deterministic.
#[derive(Default)]
pub struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FnvMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// One phrase: its normalised words and what it means.
#[derive(Debug, Clone)]
struct Entry {
    words: Vec<String>,
    concepts: Vec<Concept>,
    /// Whether any concept takes pronoun suffixes (see `suffix_ok`).
    allow_suffix: bool,
    /// 1 for service features, 0 for everything else.
    layer: usize,
}

/// A compiled phrase table.
#[derive(Debug, Default, Clone)]
pub struct Lexicon {
    entries: Vec<Entry>,
    index: FnvMap<String, Vec<u32>>,
}

/// A phrase found in a turn: tokens `start..end` mean `c`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Hit {
    /// First token.
    pub start: usize,
    /// One past the last token.
    pub end: usize,
    /// The meaning.
    pub c: Concept,
    /// Whether a pronoun suffix had to be stripped from a word to match (cities reject these).
    pub suffixed: bool,
    /// Whether a proclitic (و ف ب ل ك ال) had to be stripped from the first word to match.
    pub prefixed: bool,
}

/// Arabic proclitics, longest first: conjunctions, prepositions and the article, alone or combined.
const AR_PREFIXES: &[&str] = &[
    "وبال", "وال", "بال", "فال", "كال", "ولل", "لل", "عال", "ال", "وب", "ول", "وك", "فب", "و", "ف",
    "ب", "ل", "ك",
];
/// Arabic enclitics (possessive and object pronouns, sound plurals), longest first.
const AR_SUFFIXES: &[&str] = &["كم", "هم", "ها", "نا", "ات", "ين", "ني", "ي", "ك", "ه"];

/// A candidate form of a token for lookup: the text and how it was derived.
#[derive(Debug, Clone, Copy)]
struct Stem<'a> {
    text: &'a str,
    stripped: u8,
    prefixed: bool,
    suffixed: bool,
}

fn char_len(s: &str) -> usize {
    s.chars().count()
}

/// Candidate forms of a token: the word itself, then the word with clitics removed.
fn stems<'t>(tok: &'t Token, out: &mut Vec<Stem<'t>>) {
    out.clear();
    let t = tok.norm.as_str();
    out.push(Stem {
        text: t,
        stripped: 0,
        prefixed: false,
        suffixed: false,
    });
    match tok.kind {
        Kind::Word(Script::Latin) if t.len() > 3 && t.ends_with('s') && !t.ends_with("ss") => {
            out.push(Stem {
                text: &t[..t.len() - 1],
                stripped: 1,
                prefixed: false,
                suffixed: false,
            });
        }
        Kind::Word(Script::Arabic) => {
            let total = char_len(t);
            for p in std::iter::once("").chain(AR_PREFIXES.iter().copied()) {
                let Some(rest) = t.strip_prefix(p) else {
                    continue;
                };
                let rest_len = total - char_len(p);
                if rest_len < 2 {
                    continue;
                }
                if !p.is_empty() {
                    out.push(Stem {
                        text: rest,
                        stripped: 1,
                        prefixed: true,
                        suffixed: false,
                    });
                }
                for s in AR_SUFFIXES {
                    if let Some(base) = rest.strip_suffix(s)
                        && rest_len - char_len(s) >= 2
                    {
                        out.push(Stem {
                            text: base,
                            stripped: 1 + u8::from(!p.is_empty()),
                            prefixed: !p.is_empty(),
                            suffixed: true,
                        });
                    }
                }
            }
        }
        _ => {}
    }
}

/// "شقت" (before a suffix) matches the dictionary form "شقه".
fn ta_variant(stem: &str, word: &str) -> bool {
    match (stem.strip_suffix('ت'), word.strip_suffix('ه')) {
        (Some(a), Some(b)) => a == b && !a.is_empty(),
        _ => false,
    }
}

/// The best phrase found at a position: length, penalty, prefixed, suffixed, entry index.
type Best = (usize, u8, bool, bool, u32);

/// Concepts whose words take pronoun suffixes ("ميزانيتي", "شقتي", "لموظفي"); others must match a
/// listed form, so "بطاريه" never reads as "طارئ" + suffix.
fn suffix_ok(c: &Concept) -> bool {
    matches!(
        c,
        Concept::Feature(_)
            | Concept::TenantService(_)
            | Concept::Person
            | Concept::BudgetCue
            | Concept::NonBudgetCue
            | Concept::SellCue
            | Concept::CountUnit
            | Concept::Decide
            | Concept::Consult
            | Concept::Staff
            | Concept::City(_)
            | Concept::TenantCity(_)
    )
}

impl Lexicon {
    /// Builds a lexicon from phrases written in natural text; each is normalised like lead text.
    pub fn build<'a>(phrases: impl IntoIterator<Item = (&'a str, Concept)>) -> Self {
        let mut lex = Lexicon::default();
        let mut by_words: FnvMap<Vec<String>, usize> = FnvMap::default();
        for (phrase, c) in phrases {
            let words: Vec<String> = crate::text::tokenize(phrase)
                .into_iter()
                .map(|t| t.norm)
                .collect();
            if words.is_empty() {
                continue;
            }
            if let Some(&idx) = by_words.get(&words) {
                if let Some(e) = lex.entries.get_mut(idx)
                    && !e.concepts.contains(&c)
                {
                    e.concepts.push(c);
                }
                continue;
            }
            let idx = lex.entries.len();
            by_words.insert(words.clone(), idx);
            let first = words[0].clone();
            lex.entries.push(Entry {
                words,
                concepts: vec![c],
                allow_suffix: false,
                layer: 0,
            });
            let slot = lex.index.entry(first.clone()).or_default();
            slot.push(u32::try_from(idx).unwrap_or(u32::MAX));
            // A dictionary form ending in ه also matches its ت form before a suffix (شقه / شقتي).
            if let Some(base) = first.strip_suffix('ه') {
                let alt = format!("{base}ت");
                lex.index
                    .entry(alt)
                    .or_default()
                    .push(u32::try_from(idx).unwrap_or(u32::MAX));
            }
        }
        for list in lex.index.values_mut() {
            list.dedup();
        }
        for e in &mut lex.entries {
            e.allow_suffix = e.concepts.iter().any(suffix_ok);
            e.layer = usize::from(
                e.concepts
                    .iter()
                    .all(|c| matches!(c, Concept::Feature(_) | Concept::TenantService(_))),
            );
        }
        lex
    }

    /// Finds phrases in a token list: at each position the longest phrase (ties: the least
    /// stripped form); a phrase inside a longer one found earlier is dropped.
    pub fn scan<'t>(&self, toks: &'t [Token], out: &mut Vec<Hit>) {
        if self.entries.is_empty() {
            return;
        }
        // Candidate forms of every token, computed once: later words of a phrase reuse them.
        let mut all: Vec<Stem<'t>> = Vec::with_capacity(toks.len() * 3);
        let mut offs: Vec<usize> = Vec::with_capacity(toks.len() + 1);
        let mut one: Vec<Stem<'t>> = Vec::with_capacity(16);
        for tok in toks {
            offs.push(all.len());
            stems(tok, &mut one);
            all.extend_from_slice(&one);
        }
        offs.push(all.len());
        let stems_of = |k: usize| &all[offs[k]..offs[k + 1]];
        // Service features and the other concepts are matched as two layers, so a feature phrase
        // ("sell my") never hides a signal word inside it, nor the other way round.
        let mut covered_to = [0usize; 2];
        for i in 0..toks.len() {
            let mut best: [Option<Best>; 2] = [None, None];
            for stem in stems_of(i) {
                let Some(list) = self.index.get(stem.text) else {
                    continue;
                };
                for &eidx in list {
                    let Some(e) = self.entries.get(eidx as usize) else {
                        continue;
                    };
                    let n = e.words.len();
                    if i + n > toks.len() {
                        continue;
                    }
                    let first_ok = e.words[0] == stem.text || ta_variant(stem.text, &e.words[0]);
                    if !first_ok || stem.suffixed && !e.allow_suffix {
                        continue;
                    }
                    let mut penalty = stem.stripped;
                    let mut rest_ok = true;
                    for k in 1..n {
                        let tok = &toks[i + k];
                        let word = e.words[k].as_str();
                        let p = if tok.norm == word {
                            Some(0)
                        } else if matches!(tok.kind, Kind::Word(_)) {
                            stems_of(i + k)
                                .iter()
                                .any(|s| {
                                    (e.allow_suffix || !s.suffixed)
                                        && (s.text == word || ta_variant(s.text, word))
                                })
                                .then_some(1)
                        } else {
                            None
                        };
                        match p {
                            Some(p) => penalty = penalty.saturating_add(p),
                            None => {
                                rest_ok = false;
                                break;
                            }
                        }
                    }
                    if !rest_ok {
                        continue;
                    }
                    let layer = e.layer;
                    let better = match best[layer] {
                        None => true,
                        Some((bn, bs, _, _, _)) => n > bn || (n == bn && penalty < bs),
                    };
                    if better {
                        best[layer] = Some((n, penalty, stem.prefixed, stem.suffixed, eidx));
                    }
                }
            }
            for layer in 0..2 {
                let Some((n, _, prefixed, suffixed, eidx)) = best[layer] else {
                    continue;
                };
                let end = i + n;
                if end <= covered_to[layer] {
                    continue;
                }
                covered_to[layer] = end;
                if let Some(e) = self.entries.get(eidx as usize) {
                    for c in e.concepts.iter().filter(|c| !suffixed || suffix_ok(c)) {
                        out.push(Hit {
                            start: i,
                            end,
                            c: *c,
                            suffixed,
                            prefixed,
                        });
                    }
                }
            }
        }
    }
}
