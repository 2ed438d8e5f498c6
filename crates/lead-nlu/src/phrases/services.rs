//! Service features: industry-neutral labels the industry rules of `service.rs` combine, one file
//! per industry.

use super::Phrases;

mod cars;
mod deal;
mod dental;
mod education;
mod home_services;
mod real_estate;
mod solar;

/// Every industry's feature words, in the order the lexicon has always read them.
pub(super) fn services(v: &mut Phrases) {
    deal::deal(v);
    real_estate::real_estate(v);
    dental::dental(v);
    home_services::home_services(v);
    cars::cars(v);
    education::education(v);
    solar::solar(v);
}
