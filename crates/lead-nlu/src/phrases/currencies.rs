//! Currency names, symbols and codes, and the ambiguous "pound" that context resolves.

use super::{Phrases, add};
use crate::lexicon::Concept;

/// Lets a figure carry its currency ("5k SAR", "٥٠٠ ريال", "200 KD").
pub(super) fn currencies(v: &mut Phrases) {
    add(
        v,
        Concept::Currency("USD"),
        &[
            "$",
            "usd",
            "us$",
            "dollar",
            "dollars",
            "us dollars",
            "us dollar",
            "bucks",
            "dolar",
            "dolars",
            "dollar amriki",
            "دولار",
            "دولارات",
            "دولار امريكي",
            "دولار أمريكي",
            "دولارا",
            "دولاراً",
        ],
    );
    add(
        v,
        Concept::Currency("SAR"),
        &[
            "sar",
            "sr",
            "riyal",
            "riyals",
            "rial",
            "rials",
            "saudi riyal",
            "saudi riyals",
            "ryal",
            "ryals",
            "ريال",
            "ريالات",
            "ريال سعودي",
            "ر.س",
            "ر س",
            "rs",
            "reyal",
        ],
    );
    add(
        v,
        Concept::Currency("QAR"),
        &[
            "qar",
            "qr",
            "qatari riyal",
            "qatari riyals",
            "qatari rial",
            "ريال قطري",
            "ر.ق",
        ],
    );
    add(
        v,
        Concept::Currency("OMR"),
        &[
            "omr",
            "ro",
            "omani rial",
            "omani rials",
            "omani riyal",
            "ريال عماني",
            "ر.ع",
        ],
    );
    add(
        v,
        Concept::Currency("AED"),
        &[
            "aed",
            "dirham",
            "dirhams",
            "dhs",
            "dh",
            "dhs.",
            "derham",
            "درهم",
            "دراهم",
            "درهم اماراتي",
            "درهماً",
            "د.إ",
        ],
    );
    add(
        v,
        Concept::Currency("KWD"),
        &[
            "kwd",
            "kd",
            "dinar",
            "dinars",
            "kuwaiti dinar",
            "kuwaiti dinars",
            "دينار",
            "دنانير",
            "دينار كويتي",
            "د.ك",
        ],
    );
    add(
        v,
        Concept::Currency("BHD"),
        &[
            "bhd",
            "bahraini dinar",
            "bahraini dinars",
            "دينار بحريني",
            "د.ب",
            "bd",
        ],
    );
    add(
        v,
        Concept::Currency("JOD"),
        &[
            "jod",
            "jd",
            "jordanian dinar",
            "jordanian dinars",
            "دينار اردني",
            "دينار أردني",
            "دنانير اردنية",
        ],
    );
    add(
        v,
        Concept::Currency("EGP"),
        &[
            "egp",
            "le",
            "l.e",
            "e£",
            "egyptian pound",
            "egyptian pounds",
            "geneh",
            "gneh",
            "genih",
            "guineh",
            "جنيه",
            "جنيهات",
            "جنيه مصري",
            "ج.م",
            "جنية",
        ],
    );
    add(v, Concept::Currency("POUND"), &["pound", "pounds"]);
    add(
        v,
        Concept::Currency("GBP"),
        &[
            "gbp",
            "£",
            "sterling",
            "british pound",
            "british pounds",
            "pounds sterling",
            "جنيه استرليني",
            "جنيه إسترليني",
        ],
    );
    add(
        v,
        Concept::Currency("EUR"),
        &["eur", "euro", "euros", "€", "يورو"],
    );
    for code in [
        "inr", "pkr", "try", "cad", "aud", "chf", "jpy", "cny", "mad", "tnd", "lbp", "iqd", "dzd",
        "lyd", "sdg", "yer", "syp",
    ] {
        v.push((code, Concept::Currency(code_upper(code))));
    }
}

/// The ISO code of a lower-case currency code, as the static string `Concept::Currency` carries.
fn code_upper(code: &'static str) -> &'static str {
    match code {
        "inr" => "INR",
        "pkr" => "PKR",
        "try" => "TRY",
        "cad" => "CAD",
        "aud" => "AUD",
        "chf" => "CHF",
        "jpy" => "JPY",
        "cny" => "CNY",
        "mad" => "MAD",
        "tnd" => "TND",
        "lbp" => "LBP",
        "iqd" => "IQD",
        "dzd" => "DZD",
        "lyd" => "LYD",
        "sdg" => "SDG",
        "yer" => "YER",
        _ => "SYP",
    }
}
