//! A/B tests of the first greeting, a qualifying question's wording or the model's system prompt:
//! the experiment, the deterministic assignment of a lead to a variant, the results per variant and
//! an honest verdict (a two-proportion z-test read only at a fixed horizon from a power analysis,
//! so looking at the results early never raises the false-positive rate).

pub mod stats;

use crate::ids::{LeadId, TenantId};
use crate::language::Language;
use crate::ports::StoreError;
use crate::qualification::QualificationField;
use crate::templates::{TemplateKind, TemplateOverride};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The level of every test: 5%, two-sided, split over the comparisons with the control.
pub const ALPHA: f64 = 0.05;
/// The chance of detecting a difference of [`MIN_EFFECT`] that the horizon is sized for.
pub const POWER: f64 = 0.8;
/// The smallest absolute difference in conversion rate the horizon is sized to detect.
pub const MIN_EFFECT: f64 = 0.10;
/// The most variants one experiment may have.
pub const MAX_VARIANTS: usize = 5;

/// Identifies an experiment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ExperimentId(Uuid);

impl ExperimentId {
    /// Wraps a stored or generated id.
    pub const fn from_uuid(id: Uuid) -> Self {
        Self(id)
    }

    /// The UUID, for storage and the wire.
    pub const fn as_uuid(&self) -> Uuid {
        self.0
    }
}

impl std::fmt::Display for ExperimentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

const FIELDS: [QualificationField; 5] = [
    QualificationField::Service,
    QualificationField::Budget,
    QualificationField::Timeline,
    QualificationField::DecisionMaker,
    QualificationField::Location,
];

const fn field_name(field: QualificationField) -> &'static str {
    match field {
        QualificationField::Service => "service",
        QualificationField::Budget => "budget",
        QualificationField::Timeline => "timeline",
        QualificationField::DecisionMaker => "decision_maker",
        QualificationField::Location => "location",
    }
}

/// What an experiment varies.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// The first greeting of a new lead.
    Greeting,
    /// The question asking for one qualification field.
    Question(QualificationField),
    /// The model's system prompt: the variant's text is the brand-voice instruction.
    Prompt,
}

impl Target {
    /// Parses `greeting`, `question:<field>` or `prompt`.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "greeting" => Some(Target::Greeting),
            "prompt" => Some(Target::Prompt),
            other => {
                let field = other.strip_prefix("question:")?;
                FIELDS
                    .into_iter()
                    .find(|f| field_name(*f) == field)
                    .map(Target::Question)
            }
        }
    }

    /// The wire name.
    pub fn name(&self) -> String {
        match self {
            Target::Greeting => "greeting".to_owned(),
            Target::Prompt => "prompt".to_owned(),
            Target::Question(field) => format!("question:{}", field_name(*field)),
        }
    }

    /// The template a text variant replaces, `None` for the prompt.
    pub const fn template(&self) -> Option<TemplateKind> {
        match self {
            Target::Greeting => Some(TemplateKind::Greeting),
            Target::Question(field) => Some(TemplateKind::Ask(*field)),
            Target::Prompt => None,
        }
    }
}

/// What counts as a conversion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Metric {
    /// The lead wrote again after the exposure.
    Replied,
    /// The lead reached QUALIFIED (or APPOINTMENT_BOOKED) after the exposure.
    Qualified,
    /// The lead reached APPOINTMENT_BOOKED after the exposure.
    Booked,
}

impl Metric {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Metric::Replied => "replied",
            Metric::Qualified => "qualified",
            Metric::Booked => "booked",
        }
    }

    /// Parses a wire name.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim() {
            "replied" => Some(Metric::Replied),
            "qualified" => Some(Metric::Qualified),
            "booked" => Some(Metric::Booked),
            _ => None,
        }
    }
}

/// One wording under test.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Variant {
    /// Short key (`a`, `b`); the first variant is the control.
    pub key: String,
    /// The English text; `{business}` and `{name}` are filled in.
    pub text_en: String,
    /// The Arabic text.
    pub text_ar: String,
}

impl Variant {
    /// The text in a language.
    pub fn text(&self, lang: Language) -> &str {
        match lang {
            Language::En => &self.text_en,
            Language::Ar => &self.text_ar,
        }
    }
}

/// Whether new leads are still split.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// New leads are assigned by hash.
    Running,
    /// New leads get the chosen variant; history is kept.
    Stopped,
}

impl Status {
    /// The wire name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Status::Running => "running",
            Status::Stopped => "stopped",
        }
    }
}

/// An A/B test of a tenant.
#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    /// Id.
    pub id: ExperimentId,
    /// The tenant.
    pub tenant_id: TenantId,
    /// What the team calls it.
    pub name: String,
    /// What it varies.
    pub target: Target,
    /// The variants, control first.
    pub variants: Vec<Variant>,
    /// What counts as a conversion.
    pub metric: Metric,
    /// The share of new leads in the experiment (0 < traffic ≤ 1); the others get the usual text.
    pub traffic: f64,
    /// Running or stopped.
    pub status: Status,
    /// The variant every new lead gets once stopped.
    pub winner: Option<String>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Stopped.
    pub stopped_at: Option<DateTime<Utc>>,
}

/// Where a lead falls in an experiment: two independent uniform draws from SHA-256 of the
/// experiment and lead ids, the same on every instance and after every restart.
fn draws(experiment: ExperimentId, lead: LeadId) -> (f64, u64) {
    let mut hasher = Sha256::new();
    hasher.update(experiment.as_uuid().as_bytes());
    hasher.update(lead.as_uuid().as_bytes());
    let digest = hasher.finalize();
    let mut first = [0u8; 8];
    let mut second = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    second.copy_from_slice(&digest[8..16]);
    // 53 bits give a uniform double in [0, 1).
    let share = (u64::from_be_bytes(first) >> 11) as f64 / (1u64 << 53) as f64;
    (share, u64::from_be_bytes(second))
}

/// The variant (index) a running experiment assigns a lead, `None` when the lead falls outside
/// the experiment's traffic share.
pub fn assign(experiment: &Experiment, lead: LeadId) -> Option<usize> {
    let n = experiment.variants.len() as u64;
    if n == 0 {
        return None;
    }
    let (share, pick) = draws(experiment.id, lead);
    if share >= experiment.traffic {
        return None;
    }
    // The modulo bias of 2^64 by at most five variants is below 1e-18.
    usize::try_from(pick % n).ok()
}

/// Exposures and conversions of one variant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VariantCounts {
    /// The variant's key.
    pub key: String,
    /// Leads that saw it.
    pub exposures: u64,
    /// Of them, converted by the experiment's metric.
    pub conversions: u64,
}

/// One variant's result.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VariantResult {
    /// The key.
    pub key: String,
    /// Leads that saw it.
    pub exposures: u64,
    /// Of them, converted.
    pub conversions: u64,
    /// `conversions / exposures`, `None` without exposures.
    pub rate: Option<f64>,
    /// The 95% Wilson interval of the rate.
    pub interval: (f64, f64),
    /// The two-sided p-value against the control (not for the control itself).
    pub p_value: Option<f64>,
}

/// What the results say.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Verdict {
    /// The horizon is not reached: no conclusion may be drawn yet.
    NoWinnerYet {
        /// About how many more leads must enter the experiment.
        more_leads: u64,
    },
    /// At the horizon, a variant differs from the control at the corrected level.
    Winner {
        /// The better variant.
        key: String,
        /// Its p-value against the control.
        p_value: f64,
    },
    /// At the horizon, no variant differs from the control at the corrected level.
    NoDifference {
        /// The smallest p-value seen.
        p_value: Option<f64>,
    },
}

impl Verdict {
    /// The verdict in words.
    pub fn text(&self) -> String {
        match self {
            Verdict::NoWinnerYet { more_leads } => {
                format!("no winner yet, about {more_leads} more leads needed")
            }
            Verdict::Winner { key, p_value } => {
                format!("{} better (p = {})", key.to_uppercase(), p_text(*p_value))
            }
            Verdict::NoDifference { p_value: Some(p) } => {
                format!("no difference found (p = {})", p_text(*p))
            }
            Verdict::NoDifference { p_value: None } => "no difference found".to_owned(),
        }
    }
}

fn p_text(p: f64) -> String {
    if p < 0.001 {
        "< 0.001".to_owned()
    } else if p < 0.01 {
        format!("{p:.3}")
    } else {
        format!("{p:.2}")
    }
}

/// An experiment's results and verdict.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Results {
    /// Per variant, control first.
    pub variants: Vec<VariantResult>,
    /// Leads each variant needs before the verdict is read (the fixed horizon).
    pub horizon_per_variant: u64,
    /// The level each comparison with the control is tested at (α split by Bonferroni).
    pub alpha_per_comparison: f64,
    /// The verdict.
    pub verdict: Verdict,
}

/// The results of an experiment from its counts. The verdict is read only when every variant
/// has reached the horizon a power analysis gives (so repeated looks before it cannot produce a
/// false winner); each challenger is compared with the control by a pooled two-proportion z-test
/// at α / (variants − 1).
pub fn results(experiment: &Experiment, counts: &[VariantCounts]) -> Results {
    let comparisons = experiment.variants.len().saturating_sub(1).max(1);
    let alpha = ALPHA / comparisons as f64;
    let horizon = stats::sample_size_per_variant(MIN_EFFECT, alpha, POWER);
    let count_of = |key: &str| {
        counts
            .iter()
            .find(|c| c.key == key)
            .map_or((0, 0), |c| (c.exposures, c.conversions.min(c.exposures)))
    };
    let (control_n, control_x) = experiment
        .variants
        .first()
        .map_or((0, 0), |v| count_of(&v.key));
    let variants: Vec<VariantResult> = experiment
        .variants
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let (n, x) = count_of(&v.key);
            VariantResult {
                key: v.key.clone(),
                exposures: n,
                conversions: x,
                rate: (n > 0).then(|| x as f64 / n as f64),
                interval: stats::wilson_interval(x, n, 0.05),
                p_value: if i == 0 {
                    None
                } else {
                    stats::two_proportion_z_test(control_x, control_n, x, n).map(|(_, p)| p)
                },
            }
        })
        .collect();
    let missing: u64 = variants
        .iter()
        .map(|v| horizon.saturating_sub(v.exposures))
        .sum();
    let verdict = if missing > 0 {
        // Only `traffic` of new leads enter the experiment.
        let leads = (missing as f64 / experiment.traffic.clamp(0.01, 1.0)).ceil() as u64;
        Verdict::NoWinnerYet { more_leads: leads }
    } else {
        let control_rate = variants.first().and_then(|v| v.rate).unwrap_or(0.0);
        let significant = variants
            .iter()
            .skip(1)
            .filter_map(|v| Some((v, v.p_value?)))
            .filter(|(_, p)| *p < alpha)
            .min_by(|a, b| a.1.total_cmp(&b.1));
        match significant {
            Some((v, p)) => {
                let better = if v.rate.unwrap_or(0.0) > control_rate {
                    v.key.clone()
                } else {
                    variants.first().map(|c| c.key.clone()).unwrap_or_default()
                };
                Verdict::Winner {
                    key: better,
                    p_value: p,
                }
            }
            None => Verdict::NoDifference {
                p_value: variants
                    .iter()
                    .filter_map(|v| v.p_value)
                    .min_by(f64::total_cmp),
            },
        }
    };
    Results {
        variants,
        horizon_per_variant: horizon,
        alpha_per_comparison: alpha,
        verdict,
    }
}

/// Which variant's text a lead gets from an experiment at one turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    /// The experiment.
    pub experiment: ExperimentId,
    /// The variant's key.
    pub variant: String,
}

/// Stores experiments and which lead saw which variant, scoped by tenant.
#[async_trait]
pub trait ExperimentStore: Send + Sync {
    /// Stores a new experiment.
    ///
    /// # Errors
    /// On database failure.
    async fn create_experiment(&self, experiment: &Experiment) -> Result<(), StoreError>;

    /// One experiment of the tenant.
    ///
    /// # Errors
    /// On database failure.
    async fn get_experiment(
        &self,
        tenant: TenantId,
        id: ExperimentId,
    ) -> Result<Option<Experiment>, StoreError>;

    /// Every experiment of the tenant, newest first.
    ///
    /// # Errors
    /// On database failure.
    async fn list_experiments(&self, tenant: TenantId) -> Result<Vec<Experiment>, StoreError>;

    /// Marks a running experiment stopped with its winner; `false` when it was not running.
    ///
    /// # Errors
    /// On database failure.
    async fn stop_experiment(
        &self,
        tenant: TenantId,
        id: ExperimentId,
        winner: &str,
        at: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// Records that a lead saw a variant unless it saw one of this experiment already, and
    /// returns the variant it is recorded with (the first exposure wins, on every instance).
    ///
    /// # Errors
    /// On database failure.
    async fn record_exposure(
        &self,
        tenant: TenantId,
        experiment: ExperimentId,
        lead: LeadId,
        variant: &str,
        at: DateTime<Utc>,
    ) -> Result<String, StoreError>;

    /// The variant a lead was recorded with, if any.
    ///
    /// # Errors
    /// On database failure.
    async fn assigned_variant(
        &self,
        tenant: TenantId,
        experiment: ExperimentId,
        lead: LeadId,
    ) -> Result<Option<String>, StoreError>;

    /// Exposures and conversions (by the experiment's metric, after the exposure) per variant.
    ///
    /// # Errors
    /// On database failure.
    async fn variant_counts(
        &self,
        experiment: &Experiment,
    ) -> Result<Vec<VariantCounts>, StoreError>;
}

/// The override a variant puts on a template.
pub fn template_override(target: Target, variant: &Variant) -> Option<TemplateOverride> {
    target.template().map(|kind| TemplateOverride {
        kind,
        text_en: variant.text_en.clone(),
        text_ar: variant.text_ar.clone(),
    })
}

#[cfg(test)]
mod tests;
