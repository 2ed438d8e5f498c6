//! The owner's experiment forms on `/app/experiments`: define an experiment and stop one with its
//! winning variant, through the same use cases as the JSON API.

use crate::app::auth::{PageError, Viewer};
use crate::state::AppState;
use actix_web::http::header;
use actix_web::{HttpResponse, web};
use lead_domain::experiments::{ExperimentId, Variant};
use lead_domain::usecases::experiments::{self as usecases, ExperimentError, NewExperiment};
use serde::Deserialize;
use uuid::Uuid;

/// How many variant rows the form offers (the API takes up to five).
pub const FORM_VARIANTS: usize = 3;

/// Fields of the new-experiment form: up to [`FORM_VARIANTS`] variants, a row left blank is
/// skipped.
#[derive(Debug, Deserialize)]
pub struct CreateForm {
    /// CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// Name.
    #[serde(default)]
    pub name: String,
    /// `greeting`, `prompt` or `question`.
    #[serde(default)]
    pub target: String,
    /// The qualifying field when the target is `question`.
    #[serde(default)]
    pub field: String,
    /// `replied`, `qualified` or `booked`.
    #[serde(default)]
    pub metric: String,
    /// Share of new leads in the experiment, in percent (1 to 100).
    #[serde(default)]
    pub traffic: String,
    /// First variant's key (the control).
    #[serde(default)]
    pub key_1: String,
    /// First variant's English text.
    #[serde(default)]
    pub en_1: String,
    /// First variant's Arabic text.
    #[serde(default)]
    pub ar_1: String,
    /// Second variant's key.
    #[serde(default)]
    pub key_2: String,
    /// Second variant's English text.
    #[serde(default)]
    pub en_2: String,
    /// Second variant's Arabic text.
    #[serde(default)]
    pub ar_2: String,
    /// Third variant's key.
    #[serde(default)]
    pub key_3: String,
    /// Third variant's English text.
    #[serde(default)]
    pub en_3: String,
    /// Third variant's Arabic text.
    #[serde(default)]
    pub ar_3: String,
}

impl CreateForm {
    /// The experiment as the use case takes it.
    fn request(self) -> Result<NewExperiment, PageError> {
        let target = match self.target.trim() {
            "question" => format!("question:{}", self.field.trim()),
            other => other.to_owned(),
        };
        let traffic = match self.traffic.trim() {
            "" => None,
            pct => Some(
                pct.parse::<f64>()
                    .map_err(|_| PageError::Invalid("traffic: a percentage".to_owned()))?
                    / 100.0,
            ),
        };
        let variants = [
            (self.key_1, self.en_1, self.ar_1),
            (self.key_2, self.en_2, self.ar_2),
            (self.key_3, self.en_3, self.ar_3),
        ]
        .into_iter()
        .filter(|(k, en, ar)| {
            !(k.trim().is_empty() && en.trim().is_empty() && ar.trim().is_empty())
        })
        .map(|(key, text_en, text_ar)| Variant {
            key,
            text_en,
            text_ar,
        })
        .collect();
        Ok(NewExperiment {
            name: self.name,
            target,
            variants,
            metric: self.metric,
            traffic,
        })
    }
}

/// Fields of the stop form.
#[derive(Debug, Deserialize)]
pub struct StopForm {
    /// CSRF token.
    #[serde(default)]
    pub csrf: String,
    /// The variant new leads get; empty takes the verdict's winner (or the control).
    #[serde(default)]
    pub winner: String,
}

fn page_error(err: ExperimentError) -> PageError {
    match err {
        ExperimentError::Invalid { field, message, .. } => {
            PageError::Invalid(format!("{field}: {message}"))
        }
        ExperimentError::NotFound => PageError::NotFound,
        ExperimentError::Conflict(why) => PageError::Conflict(why.to_owned()),
        ExperimentError::Unavailable => {
            PageError::Invalid("experiments are not available".to_owned())
        }
        ExperimentError::Store(e) => e.into(),
    }
}

fn to_experiments(anchor: Option<Uuid>) -> HttpResponse {
    let location = anchor.map_or_else(
        || "/app/experiments".to_owned(),
        |id| format!("/app/experiments#experiment-{id}"),
    );
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// `POST /app/experiments` (owners only): defines an experiment.
///
/// # Errors
/// Not an owner, a bad CSRF token, a wrong field, another experiment running on the target.
pub async fn create(
    viewer: Viewer,
    state: web::Data<AppState>,
    form: web::Form<CreateForm>,
) -> Result<HttpResponse, PageError> {
    viewer.require_owner()?;
    viewer.check_csrf(&form.csrf)?;
    let request = form.into_inner().request()?;
    let experiment = usecases::create_experiment(&state.deps, viewer.tenant.id, request)
        .await
        .map_err(page_error)?;
    Ok(to_experiments(Some(experiment.id.as_uuid())))
}

/// `POST /app/experiments/{id}/stop` (owners only): stops an experiment; new leads get the chosen
/// variant.
///
/// # Errors
/// Not an owner, a bad CSRF token, an unknown experiment or variant, stopped already.
pub async fn stop(
    viewer: Viewer,
    state: web::Data<AppState>,
    id: web::Path<String>,
    form: web::Form<StopForm>,
) -> Result<HttpResponse, PageError> {
    viewer.require_owner()?;
    viewer.check_csrf(&form.csrf)?;
    let id = Uuid::parse_str(&id).map_err(|_| PageError::NotFound)?;
    let winner = Some(form.winner.trim()).filter(|w| !w.is_empty());
    usecases::stop_experiment(
        &state.deps,
        viewer.tenant.id,
        ExperimentId::from_uuid(id),
        winner,
    )
    .await
    .map_err(page_error)?;
    Ok(to_experiments(Some(id)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> CreateForm {
        CreateForm {
            csrf: String::new(),
            name: "Greeting".into(),
            target: "question".into(),
            field: " budget ".into(),
            metric: "qualified".into(),
            traffic: "50".into(),
            key_1: "a".into(),
            en_1: "Hi".into(),
            ar_1: "مرحبا".into(),
            key_2: "b".into(),
            en_2: "Hello".into(),
            ar_2: "أهلاً".into(),
            key_3: " ".into(),
            en_3: String::new(),
            ar_3: String::new(),
        }
    }

    #[test]
    fn the_form_becomes_the_api_request() {
        let r = form().request().expect("valid form");
        assert_eq!(r.target, "question:budget");
        assert_eq!(r.traffic, Some(0.5));
        assert_eq!(r.variants.len(), 2, "a blank row is skipped");
        assert_eq!(r.variants[1].text_ar, "أهلاً");
    }

    #[test]
    fn a_bad_traffic_is_refused() {
        let mut f = form();
        f.traffic = "half".into();
        assert!(matches!(f.request(), Err(PageError::Invalid(_))));
    }
}
