//! Experiments as use cases: define one, stop it with a winner, read its results, and, while a
//! turn is read, give the lead its variant's text and record the exposure.

use super::Deps;
use super::decide::{Snapshot, TurnReading};
use crate::experiments::{
    self, Experiment, ExperimentId, ExperimentStore, Metric, Results, Status, Target, Variant,
    Verdict,
};
use crate::ids::{LeadId, TenantId};
use crate::language::Language;
use crate::lead::{Direction, Sender};
use crate::ports::StoreError;
use crate::tenant::Tenant;
use chrono::{DateTime, Utc};

/// The longest experiment name.
const MAX_NAME_CHARS: usize = 100;
/// The longest variant text.
const MAX_TEXT_CHARS: usize = 2_000;

/// Why an experiment request failed.
#[derive(Debug, thiserror::Error)]
pub enum ExperimentError {
    /// A field is wrong: its name, a stable code and what was expected.
    #[error("invalid {field}: {message}")]
    Invalid {
        /// The field.
        field: &'static str,
        /// A stable code.
        code: &'static str,
        /// What was expected.
        message: &'static str,
    },
    /// No such experiment for this tenant.
    #[error("experiment not found")]
    NotFound,
    /// The request conflicts with the experiment's state or another running experiment.
    #[error("{0}")]
    Conflict(&'static str),
    /// Experiments are not stored by this deployment.
    #[error("experiments are not available")]
    Unavailable,
    /// Storage failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

fn invalid(field: &'static str, code: &'static str, message: &'static str) -> ExperimentError {
    ExperimentError::Invalid {
        field,
        code,
        message,
    }
}

/// An experiment as the API describes it, unchecked.
#[derive(Debug, Clone, PartialEq)]
pub struct NewExperiment {
    /// Name.
    pub name: String,
    /// `greeting`, `question:<field>` or `prompt`.
    pub target: String,
    /// The variants, control first.
    pub variants: Vec<Variant>,
    /// `replied`, `qualified` or `booked`.
    pub metric: String,
    /// Share of new leads in the experiment; 1.0 when absent.
    pub traffic: Option<f64>,
}

fn store(deps: &Deps) -> Result<&dyn ExperimentStore, ExperimentError> {
    deps.experiments
        .as_deref()
        .ok_or(ExperimentError::Unavailable)
}

fn check_variants(variants: &[Variant]) -> Result<Vec<Variant>, ExperimentError> {
    if variants.len() < 2 || variants.len() > experiments::MAX_VARIANTS {
        return Err(invalid(
            "variants",
            "variant_count",
            "expected between 2 and 5 variants",
        ));
    }
    let mut out: Vec<Variant> = Vec::with_capacity(variants.len());
    for v in variants {
        let key = v.key.trim().to_ascii_lowercase();
        if key.is_empty()
            || key.len() > 20
            || !key
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-')
        {
            return Err(invalid(
                "variants",
                "invalid_key",
                "a key is 1 to 20 letters, digits, '-' or '_'",
            ));
        }
        if out.iter().any(|o| o.key == key) {
            return Err(invalid(
                "variants",
                "duplicate_key",
                "variant keys must differ",
            ));
        }
        let (en, ar) = (v.text_en.trim(), v.text_ar.trim());
        if en.is_empty() || ar.is_empty() {
            return Err(invalid(
                "variants",
                "missing_text",
                "every variant needs text_en and text_ar",
            ));
        }
        if en.chars().count() > MAX_TEXT_CHARS || ar.chars().count() > MAX_TEXT_CHARS {
            return Err(invalid(
                "variants",
                "text_too_long",
                "a variant text is at most 2000 characters",
            ));
        }
        out.push(Variant {
            key,
            text_en: en.to_owned(),
            text_ar: ar.to_owned(),
        });
    }
    Ok(out)
}

/// Checks and stores a new experiment; one experiment per target runs at a time.
///
/// # Errors
/// [`ExperimentError::Invalid`] for a wrong field, [`ExperimentError::Conflict`] when another
/// experiment on the same target is running, storage failures.
pub async fn create_experiment(
    deps: &Deps,
    tenant: TenantId,
    request: NewExperiment,
) -> Result<Experiment, ExperimentError> {
    let store = store(deps)?;
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(invalid(
            "name",
            "invalid_name",
            "expected 1 to 100 characters",
        ));
    }
    let target = Target::parse(&request.target).ok_or(invalid(
        "target",
        "invalid_target",
        "expected greeting, question:<field> or prompt",
    ))?;
    let metric = Metric::parse(&request.metric).ok_or(invalid(
        "metric",
        "invalid_metric",
        "expected replied, qualified or booked",
    ))?;
    let traffic = request.traffic.unwrap_or(1.0);
    if !(traffic > 0.0 && traffic <= 1.0) {
        return Err(invalid(
            "traffic",
            "invalid_traffic",
            "expected a share greater than 0 and at most 1",
        ));
    }
    let variants = check_variants(&request.variants)?;
    let running = store
        .list_experiments(tenant)
        .await?
        .into_iter()
        .any(|e| e.status == Status::Running && e.target == target);
    if running {
        return Err(ExperimentError::Conflict(
            "another experiment on this target is running; stop it first",
        ));
    }
    let experiment = Experiment {
        id: ExperimentId::from_uuid(deps.ids.new_uuid()),
        tenant_id: tenant,
        name: name.to_owned(),
        target,
        variants,
        metric,
        traffic,
        status: Status::Running,
        winner: None,
        created_at: deps.clock.now(),
        stopped_at: None,
    };
    store.create_experiment(&experiment).await?;
    Ok(experiment)
}

/// One experiment with its results.
///
/// # Errors
/// [`ExperimentError::NotFound`] for another tenant's or an unknown id, storage failures.
pub async fn experiment_results(
    deps: &Deps,
    tenant: TenantId,
    id: ExperimentId,
) -> Result<(Experiment, Results), ExperimentError> {
    let store = store(deps)?;
    let experiment = store
        .get_experiment(tenant, id)
        .await?
        .ok_or(ExperimentError::NotFound)?;
    let counts = store.variant_counts(&experiment).await?;
    let results = experiments::results(&experiment, &counts);
    Ok((experiment, results))
}

/// Every experiment of a tenant with its results, newest first.
///
/// # Errors
/// Storage failures.
pub async fn list_results(
    deps: &Deps,
    tenant: TenantId,
) -> Result<Vec<(Experiment, Results)>, ExperimentError> {
    let store = store(deps)?;
    let mut out = Vec::new();
    for experiment in store.list_experiments(tenant).await? {
        let counts = store.variant_counts(&experiment).await?;
        let results = experiments::results(&experiment, &counts);
        out.push((experiment, results));
    }
    Ok(out)
}

/// Stops a running experiment: history is kept and every new lead gets `winner`, or, when none
/// is named, the verdict's winner, else the control.
///
/// # Errors
/// [`ExperimentError::NotFound`], [`ExperimentError::Invalid`] for an unknown variant,
/// [`ExperimentError::Conflict`] when it is stopped already, storage failures.
pub async fn stop_experiment(
    deps: &Deps,
    tenant: TenantId,
    id: ExperimentId,
    winner: Option<&str>,
) -> Result<(Experiment, Results), ExperimentError> {
    let store = store(deps)?;
    let (experiment, results) = experiment_results(deps, tenant, id).await?;
    if experiment.status == Status::Stopped {
        return Err(ExperimentError::Conflict(
            "the experiment is stopped already",
        ));
    }
    let winner = match winner.map(|w| w.trim().to_ascii_lowercase()) {
        Some(key) => experiment
            .variants
            .iter()
            .find(|v| v.key == key)
            .map(|v| v.key.clone())
            .ok_or(invalid(
                "winner",
                "unknown_variant",
                "expected the key of one of the experiment's variants",
            ))?,
        None => match &results.verdict {
            Verdict::Winner { key, .. } => key.clone(),
            _ => experiment
                .variants
                .first()
                .map(|v| v.key.clone())
                .unwrap_or_default(),
        },
    };
    if !store
        .stop_experiment(tenant, id, &winner, deps.clock.now())
        .await?
    {
        return Err(ExperimentError::Conflict(
            "the experiment is stopped already",
        ));
    }
    experiment_results(deps, tenant, id).await
}

/// The experiment that decides a target's text for new turns: the running one, else the most
/// recently stopped one (whose winner every new lead gets).
fn deciding(all: &[Experiment], target: Target) -> Option<&Experiment> {
    all.iter()
        .filter(|e| e.target == target)
        .find(|e| e.status == Status::Running)
        .or_else(|| {
            all.iter()
                .filter(|e| e.target == target && e.status == Status::Stopped)
                .max_by_key(|e| e.stopped_at)
        })
}

/// The variant a lead gets from an experiment now, recording the exposure of a running one.
async fn variant_for(
    store: &dyn ExperimentStore,
    experiment: &Experiment,
    lead: LeadId,
    now: DateTime<Utc>,
) -> Result<Option<Variant>, StoreError> {
    let key = match experiment.status {
        Status::Running => {
            let Some(index) = experiments::assign(experiment, lead) else {
                return Ok(None);
            };
            let Some(variant) = experiment.variants.get(index) else {
                return Ok(None);
            };
            store
                .record_exposure(experiment.tenant_id, experiment.id, lead, &variant.key, now)
                .await?
        }
        Status::Stopped => {
            match store
                .assigned_variant(experiment.tenant_id, experiment.id, lead)
                .await?
            {
                Some(key) => key,
                None => match &experiment.winner {
                    Some(w) => w.clone(),
                    None => return Ok(None),
                },
            }
        }
    };
    Ok(experiment.variants.iter().find(|v| v.key == key).cloned())
}

/// The brand-voice text a prompt experiment gives the lead for the model's system prompt, with the
/// exposure recorded; `None` without a deciding experiment or when the lead is outside it.
pub(crate) async fn prompt_variant(
    deps: &Deps,
    tenant: &Tenant,
    lead: LeadId,
    language: Language,
) -> Option<String> {
    let store = deps.experiments.as_deref()?;
    let all = store.list_experiments(tenant.id).await.ok()?;
    let experiment = deciding(&all, Target::Prompt)?;
    variant_for(store, experiment, lead, deps.clock.now())
        .await
        .ok()
        .flatten()
        .map(|v| v.text(language).to_owned())
}

/// Puts the lead's greeting and question variants on a turn the offline templates will answer
/// (no model or booking reply), recording each exposure: the greeting on the first reply, a
/// question when its field is the next one asked.
pub(crate) async fn apply_template_variants(
    deps: &Deps,
    snapshot: &Snapshot,
    message_id: crate::ids::MessageId,
    turn: &mut TurnReading,
) {
    let Some(store) = deps.experiments.as_deref() else {
        return;
    };
    let Snapshot {
        tenant,
        lead,
        conversation,
        messages,
        ..
    } = snapshot;
    let latest = messages
        .iter()
        .rev()
        .find(|m| m.direction == Direction::Inbound)
        .map(|m| (m.id, m.sender));
    let answered_offline = turn.model_reply.is_none() && turn.booking_reply.is_none();
    if !tenant.is_active()
        || conversation.escalated
        || snapshot.reply_to.is_none()
        || latest != Some((message_id, Sender::Lead))
        || !answered_offline
    {
        return;
    }
    let all = match store.list_experiments(tenant.id).await {
        Ok(all) => all,
        Err(e) => {
            turn.degraded
                .get_or_insert_with(|| format!("experiments unavailable: {e}"));
            return;
        }
    };
    let first_reply = !messages.iter().any(|m| m.direction == Direction::Outbound);
    let next_field = super::decide::merged(&lead.qualification, &turn.reading)
        .missing_fields()
        .first()
        .copied();
    let mut targets = Vec::new();
    if first_reply {
        targets.push(Target::Greeting);
    }
    if let Some(field) = next_field {
        targets.push(Target::Question(field));
    }
    let now = deps.clock.now();
    for target in targets {
        let Some(experiment) = deciding(&all, target) else {
            continue;
        };
        match variant_for(store, experiment, lead.id, now).await {
            Ok(Some(variant)) => {
                if let Some(o) = experiments::template_override(target, &variant) {
                    turn.overrides.push(o);
                }
            }
            Ok(None) => {}
            Err(e) => {
                turn.degraded
                    .get_or_insert_with(|| format!("experiments unavailable: {e}"));
            }
        }
    }
}
