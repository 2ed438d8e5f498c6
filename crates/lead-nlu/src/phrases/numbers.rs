//! Number words: units, teens, tens and hundreds in English, Arabic dialects and Arabizi.

use super::{Phrases, add};
use crate::lexicon::{Concept, Rank};

/// Lets spelled-out amounts ("مية وعشرين ألف", "two hundred") read as figures.
pub(super) fn numbers(v: &mut Phrases) {
    add(
        v,
        Concept::NumWord(1.0, Rank::Unit),
        &["one", "واحد", "وحده", "واحده", "wa7ed"],
    );
    add(
        v,
        Concept::NumWord(2.0, Rank::Unit),
        &[
            "two",
            "اثنين",
            "اثنان",
            "اتنين",
            "ثنين",
            "itnen",
            "etnen",
            "ithnain",
        ],
    );
    add(
        v,
        Concept::NumWord(3.0, Rank::Unit),
        &[
            "three",
            "ثلاث",
            "ثلاثه",
            "تلات",
            "تلاته",
            "ثلاثة",
            "talata",
            "thalatha",
        ],
    );
    add(
        v,
        Concept::NumWord(4.0, Rank::Unit),
        &["four", "اربع", "اربعه", "arba3", "arba3a"],
    );
    add(
        v,
        Concept::NumWord(5.0, Rank::Unit),
        &["five", "خمس", "خمسه", "khamsa", "5amsa"],
    );
    add(
        v,
        Concept::NumWord(6.0, Rank::Unit),
        &["six", "ست", "سته", "سِت", "sitta", "setta"],
    );
    add(
        v,
        Concept::NumWord(7.0, Rank::Unit),
        &["seven", "سبع", "سبعه", "sab3a"],
    );
    add(
        v,
        Concept::NumWord(8.0, Rank::Unit),
        &[
            "eight",
            "ثمان",
            "ثماني",
            "ثمانيه",
            "تمن",
            "تمانيه",
            "ثمنيه",
            "tamanya",
        ],
    );
    add(
        v,
        Concept::NumWord(9.0, Rank::Unit),
        &["nine", "تسع", "تسعه", "tis3a"],
    );
    add(
        v,
        Concept::NumWord(10.0, Rank::Teen),
        &["ten", "عشر", "عشره", "3ashara"],
    );
    add(
        v,
        Concept::NumWord(11.0, Rank::Teen),
        &["eleven", "احدعش", "احد عشر", "حداش"],
    );
    add(
        v,
        Concept::NumWord(12.0, Rank::Teen),
        &["twelve", "اثنعش", "اثنا عشر", "اتناشر"],
    );
    add(v, Concept::NumWord(13.0, Rank::Teen), &["thirteen"]);
    add(v, Concept::NumWord(14.0, Rank::Teen), &["fourteen"]);
    add(
        v,
        Concept::NumWord(15.0, Rank::Teen),
        &["fifteen", "خمستعش", "خمسطعش", "خمستاشر", "خمسة عشر"],
    );
    add(v, Concept::NumWord(16.0, Rank::Teen), &["sixteen"]);
    add(v, Concept::NumWord(17.0, Rank::Teen), &["seventeen"]);
    add(v, Concept::NumWord(18.0, Rank::Teen), &["eighteen"]);
    add(v, Concept::NumWord(19.0, Rank::Teen), &["nineteen"]);
    add(
        v,
        Concept::NumWord(20.0, Rank::Ten),
        &["twenty", "عشرين", "عشرون", "3eshreen", "3ishreen"],
    );
    add(
        v,
        Concept::NumWord(30.0, Rank::Ten),
        &["thirty", "ثلاثين", "ثلاثون", "تلاتين", "talateen"],
    );
    add(
        v,
        Concept::NumWord(40.0, Rank::Ten),
        &["forty", "اربعين", "اربعون", "arba3een"],
    );
    add(
        v,
        Concept::NumWord(50.0, Rank::Ten),
        &["fifty", "خمسين", "خمسون", "khamseen", "5amseen"],
    );
    add(
        v,
        Concept::NumWord(60.0, Rank::Ten),
        &["sixty", "ستين", "ستون", "seteen"],
    );
    add(
        v,
        Concept::NumWord(70.0, Rank::Ten),
        &["seventy", "سبعين", "سبعون", "sab3een"],
    );
    add(
        v,
        Concept::NumWord(80.0, Rank::Ten),
        &["eighty", "ثمانين", "ثمانون", "تمانين", "tamaneen"],
    );
    add(
        v,
        Concept::NumWord(90.0, Rank::Ten),
        &["ninety", "تسعين", "تسعون", "tes3een"],
    );
    add(
        v,
        Concept::NumWord(100.0, Rank::Hundreds),
        &[
            "ميه", "مية", "مئه", "مائه", "ميت", "مئة", "مائة", "miya", "mit",
        ],
    );
    add(
        v,
        Concept::NumWord(200.0, Rank::Hundreds),
        &[
            "ميتين",
            "مئتين",
            "مئتان",
            "مائتين",
            "مائتان",
            "متين",
            "mitein",
            "miteen",
        ],
    );
    add(
        v,
        Concept::NumWord(300.0, Rank::Hundreds),
        &[
            "ثلاثميه",
            "ثلاثمائه",
            "ثلثميه",
            "تلتميه",
            "ثلاثمئه",
            "ثلاثمية",
            "ثلاثمئة",
            "تلاتمية",
        ],
    );
    add(
        v,
        Concept::NumWord(400.0, Rank::Hundreds),
        &["اربعميه", "اربعمائه", "اربعمئه", "ربعميه"],
    );
    add(
        v,
        Concept::NumWord(500.0, Rank::Hundreds),
        &["خمسميه", "خمسمائه", "خمسمئه", "خمسمية"],
    );
    add(
        v,
        Concept::NumWord(600.0, Rank::Hundreds),
        &["ستميه", "ستمائه", "ستمئه"],
    );
    add(
        v,
        Concept::NumWord(700.0, Rank::Hundreds),
        &["سبعميه", "سبعمائه", "سبعمئه"],
    );
    add(
        v,
        Concept::NumWord(800.0, Rank::Hundreds),
        &[
            "ثمانميه",
            "ثمنميه",
            "ثمانمائه",
            "تمنميه",
            "ثمانمئه",
            "تمانمية",
        ],
    );
    add(
        v,
        Concept::NumWord(900.0, Rank::Hundreds),
        &["تسعميه", "تسعمائه", "تسعمئه"],
    );
    add(
        v,
        Concept::NumWord(100.0, Rank::HundredMul),
        &["hundred", "hundreds"],
    );
}
