//! Defaults for a new client by industry and region: the service catalogue, currency and budget
//! thresholds a client gets when its creation request leaves them out.

use lead_domain::qualification::Currency;
use lead_domain::scoring::QualificationRules;
use lead_domain::tenant::ServiceDef;
use std::collections::BTreeMap;

/// A starting profile for an industry; amounts are in `currency`.
struct Preset {
    industry: &'static str,
    currency: [u8; 3],
    min_budget: f64,
    high_value_threshold: f64,
    services: &'static [(&'static str, &'static str)],
    service_min_budget: &'static [(&'static str, f64)],
}

/// The profiles of `eval/clients.json`, so a client of a known industry qualifies leads at once.
const PRESETS: &[Preset] = &[
    Preset {
        industry: "real_estate",
        currency: *b"SAR",
        min_budget: 300_000.0,
        high_value_threshold: 5_000_000.0,
        services: &[
            ("buy_apartment", "buying an apartment / flat"),
            ("buy_villa", "buying a villa or house"),
            ("rent_residential", "renting an apartment, villa or house"),
            (
                "sell_property",
                "selling or listing the lead's own property",
            ),
            ("commercial", "office, shop, warehouse or land for business"),
            ("land", "buying a plot of land"),
        ],
        service_min_budget: &[("rent_residential", 2_000.0)],
    },
    Preset {
        industry: "dental_clinic",
        currency: *b"AED",
        min_budget: 500.0,
        high_value_threshold: 40_000.0,
        services: &[
            ("checkup_cleaning", "check-up, cleaning, scaling"),
            ("whitening", "teeth whitening"),
            ("implants", "dental implants"),
            ("orthodontics", "braces, aligners (Invisalign)"),
            ("emergency", "toothache, broken tooth, urgent pain"),
            ("cosmetic", "veneers, smile design, Hollywood smile"),
        ],
        service_min_budget: &[("checkup_cleaning", 150.0), ("emergency", 150.0)],
    },
    Preset {
        industry: "home_services",
        currency: *b"USD",
        min_budget: 150.0,
        high_value_threshold: 20_000.0,
        services: &[
            ("ac_repair", "air-conditioning repair or maintenance"),
            ("ac_install", "new air-conditioning / HVAC installation"),
            ("plumbing", "leaks, pipes, water heaters, drains"),
            ("electrical", "wiring, lights, panels"),
            ("renovation", "kitchen, bathroom or whole-home remodel"),
            ("cleaning", "house or office cleaning"),
        ],
        service_min_budget: &[("cleaning", 50.0), ("plumbing", 80.0), ("electrical", 80.0)],
    },
    Preset {
        industry: "auto_dealer",
        currency: *b"SAR",
        min_budget: 40_000.0,
        high_value_threshold: 400_000.0,
        services: &[
            ("new_car", "buying a new car"),
            ("used_car", "buying a used / pre-owned car"),
            ("financing", "car loan, installments, leasing"),
            ("trade_in", "trading in or selling the lead's current car"),
            ("service_maintenance", "servicing, repairs, parts"),
        ],
        service_min_budget: &[("service_maintenance", 200.0)],
    },
    Preset {
        industry: "education",
        currency: *b"USD",
        min_budget: 200.0,
        high_value_threshold: 15_000.0,
        services: &[
            (
                "english_course",
                "English language course / IELTS preparation",
            ),
            ("coding_bootcamp", "programming / data / software bootcamp"),
            ("corporate_training", "training for a company's employees"),
            ("kids_tutoring", "tutoring for school children"),
            (
                "university_admission",
                "help applying to universities abroad",
            ),
        ],
        service_min_budget: &[("kids_tutoring", 50.0)],
    },
    Preset {
        industry: "solar",
        currency: *b"USD",
        min_budget: 3_000.0,
        high_value_threshold: 100_000.0,
        services: &[
            ("residential_solar", "solar panels for a home"),
            ("commercial_solar", "solar for a business, farm or factory"),
            ("battery_storage", "home battery / storage"),
            ("maintenance", "cleaning or repair of an existing system"),
        ],
        service_min_budget: &[("maintenance", 100.0)],
    },
];

/// The phone region of a timezone, for numbers written without a country code.
pub fn region_for_timezone(tz: &str) -> &'static str {
    match tz {
        "Asia/Riyadh" => "SA",
        "Asia/Dubai" => "AE",
        "Asia/Qatar" => "QA",
        "Asia/Kuwait" => "KW",
        "Asia/Bahrain" => "BH",
        "Asia/Muscat" => "OM",
        "Africa/Cairo" => "EG",
        "Asia/Amman" => "JO",
        "Europe/London" => "GB",
        t if t.starts_with("America/") => "US",
        _ => "SA",
    }
}

/// The currency of a region, for budgets stated without one.
pub fn currency_for_region(region: &str) -> Currency {
    let code = match region {
        "SA" => b"SAR",
        "AE" => b"AED",
        "QA" => b"QAR",
        "KW" => b"KWD",
        "BH" => b"BHD",
        "OM" => b"OMR",
        "EG" => b"EGP",
        "JO" => b"JOD",
        "GB" => b"GBP",
        _ => b"USD",
    };
    Currency::code(*code)
}

/// The service catalogue of an industry; empty for industries without a preset.
pub fn services_for(industry: &str) -> BTreeMap<String, ServiceDef> {
    PRESETS
        .iter()
        .find(|p| p.industry == industry)
        .map(|p| {
            p.services
                .iter()
                .map(|(k, d)| {
                    (
                        (*k).to_owned(),
                        ServiceDef {
                            description: (*d).to_owned(),
                            synonyms: Vec::new(),
                        },
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Rules in `currency`: the industry's thresholds converted from the preset's currency, or
/// conservative generic thresholds (about 100 and 50,000 US dollars) for other industries.
pub fn rules_for(industry: &str, currency: Currency) -> QualificationRules {
    let usd = Currency::code(*b"USD");
    let probe = QualificationRules::new(currency, 0.0, 0.0);
    let convert =
        |amount: f64, from: Currency| probe.to_tenant_currency(amount, from).unwrap_or(amount);
    match PRESETS.iter().find(|p| p.industry == industry) {
        Some(p) => {
            let from = Currency::code(p.currency);
            let mut rules = QualificationRules::new(
                currency,
                round(convert(p.min_budget, from)),
                round(convert(p.high_value_threshold, from)),
            );
            rules.service_min_budget = p
                .service_min_budget
                .iter()
                .map(|(k, v)| ((*k).to_owned(), round(convert(*v, from))))
                .collect();
            rules
        }
        None => QualificationRules::new(
            currency,
            round(convert(100.0, usd)),
            round(convert(50_000.0, usd)),
        ),
    }
}

fn round(v: f64) -> f64 {
    v.round()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn real_estate_in_riyadh_gets_the_eval_profile() {
        let region = region_for_timezone("Asia/Riyadh");
        let currency = currency_for_region(region);
        assert_eq!((region, currency.as_str()), ("SA", "SAR"));
        let rules = rules_for("real_estate", currency);
        assert_eq!(
            (rules.min_budget, rules.high_value_threshold),
            (300_000.0, 5_000_000.0)
        );
        assert!(services_for("real_estate").contains_key("buy_apartment"));
    }

    #[test]
    fn thresholds_convert_to_the_client_currency() {
        let rules = rules_for("real_estate", Currency::code(*b"USD"));
        assert_eq!(rules.min_budget, 80_010.0);
        assert!(services_for("bakery").is_empty());
        assert_eq!(
            rules_for("bakery", Currency::code(*b"USD")).min_budget,
            100.0
        );
    }
}
