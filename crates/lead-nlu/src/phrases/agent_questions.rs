//! The agent's own questions (budget, timing, who decides, place) and small talk that contains signal words.

use super::{Phrases, add};
use crate::lexicon::Concept;

/// Lets an answer be read against the question it answers, and keeps "how are you today" out of the timeline.
pub(super) fn agent_questions(v: &mut Phrases) {
    add(
        v,
        Concept::AskBudget,
        &[
            "budget",
            "how much",
            "price range",
            "spend",
            "ميزانيه",
            "ميزانيتك",
            "الميزانيه",
            "كم تبي تدفع",
            "كام",
            "بكام",
        ],
    );
    add(
        v,
        Concept::AskTimeline,
        &[
            "when",
            "timeline",
            "how soon",
            "متى",
            "امتى",
            "إمتى",
            "ايمتى",
            "إيمتى",
            "وقتيش",
            "وقت",
            "يناسبك",
        ],
    );
    add(
        v,
        Concept::AskDecision,
        &[
            "decision maker",
            "decision-maker",
            "decide",
            "deciding",
            "decision",
            "approves",
            "your own decision",
            "who approves",
            "صاحب القرار",
            "القرار",
            "تقرر",
            "يقرر",
        ],
    );
    add(
        v,
        Concept::AskLocation,
        &[
            "where",
            "which city",
            "which branch",
            "location",
            "area",
            "وين",
            "فين",
            "اي فرع",
            "أي فرع",
            "موقعك",
            "اي مدينه",
            "المنطقه",
            "العنوان",
        ],
    );
    add(
        v,
        Concept::SmallTalk,
        &[
            "how are you today",
            "how are you doing today",
            "how r u today",
            "how is your day",
            "how's your day",
            "have a nice day",
            "have a good day",
            "hope you are well today",
            "كيف حالك اليوم",
            "كيفك اليوم",
            "يومك سعيد",
            "عساك بخير اليوم",
            "good morning",
            "good evening",
            "صباح الخير",
            "مساء الخير",
            "nice to meet you",
            "good luck",
        ],
    );
}
