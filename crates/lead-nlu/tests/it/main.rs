//! Integration tests of the offline qualifier: field readers in every dialect, the eval harness,
//! the domain port, and robustness on arbitrary input.
// Tests make their own random ids, read the real clock, and fail by panicking.
#![allow(clippy::disallowed_methods, clippy::expect_used, clippy::unwrap_used)]

mod eval;
mod fields;
mod intents;
mod port;
mod props;

/// Tenant profiles in the shape of `clients.json`, with the reference date the tests count from.
pub const PROFILES: &str = r#"{
  "reference_date": "2026-11-24",
  "fx_usd": {"USD": 1.0, "SAR": 0.2667, "AED": 0.2723, "QAR": 0.2747, "KWD": 3.25, "BHD": 2.65, "OMR": 2.6,
             "EGP": 0.0205, "JOD": 1.41, "EUR": 1.08, "GBP": 1.27},
  "profiles": {
    "real_estate": {"industry": "real_estate", "currency": "SAR", "min_budget": 300000, "high_value_threshold": 5000000,
      "services": {"buy_apartment": "buying an apartment / flat", "buy_villa": "buying a villa or house",
        "rent_residential": "renting an apartment, villa or house", "sell_property": "selling or listing the lead's own property",
        "commercial": "office, shop, warehouse or land for business", "land": "buying a plot of land"},
      "service_min_budget": {"rent_residential": 2000}},
    "dental_clinic": {"industry": "dental_clinic", "currency": "AED", "min_budget": 500, "high_value_threshold": 40000,
      "services": {"checkup_cleaning": "check-up, cleaning, scaling", "whitening": "teeth whitening", "implants": "dental implants",
        "orthodontics": "braces, aligners (Invisalign)", "emergency": "toothache, broken tooth, urgent pain",
        "cosmetic": "veneers, smile design, Hollywood smile"},
      "service_min_budget": {"checkup_cleaning": 150, "emergency": 150}},
    "home_services": {"industry": "home_services", "currency": "USD", "min_budget": 150, "high_value_threshold": 20000,
      "services": {"ac_repair": "air-conditioning repair or maintenance", "ac_install": "new air-conditioning / HVAC installation",
        "plumbing": "leaks, pipes, water heaters, drains", "electrical": "wiring, lights, panels",
        "renovation": "kitchen, bathroom or whole-home remodel", "cleaning": "house or office cleaning"}},
    "auto_dealer": {"industry": "auto_dealer", "currency": "SAR", "min_budget": 40000, "high_value_threshold": 400000,
      "services": {"new_car": "buying a new car", "used_car": "buying a used / pre-owned car", "financing": "car loan, installments, leasing",
        "trade_in": "trading in or selling the lead's current car", "service_maintenance": "servicing, repairs, parts"}},
    "education": {"industry": "education", "currency": "USD", "min_budget": 200, "high_value_threshold": 15000,
      "services": {"english_course": "English language course / IELTS preparation", "coding_bootcamp": "programming / data / software bootcamp",
        "corporate_training": "training for a company's employees", "kids_tutoring": "tutoring for school children",
        "university_admission": "help applying to universities abroad"}},
    "solar": {"industry": "solar", "currency": "USD", "min_budget": 3000, "high_value_threshold": 100000,
      "services": {"residential_solar": "solar panels for a home", "commercial_solar": "solar for a business, farm or factory",
        "battery_storage": "home battery / storage", "maintenance": "cleaning or repair of an existing system"}},
    "pet_grooming": {"industry": "pet_grooming", "currency": "KWD", "min_budget": 10, "high_value_threshold": 500,
      "services": {"dog_grooming": "dog grooming, bath and haircut", "cat_boarding": "cat boarding while you travel"},
      "service_synonyms": {"dog_grooming": ["تقليم كلب", "قص شعر الكلب"]},
      "places": {"the avenues": "Kuwait City"}}
  }
}"#;
