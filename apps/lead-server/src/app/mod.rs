//! The sales inbox at `/app`: server-rendered pages (askama templates checked at compile time)
//! for a tenant's team, bilingual (Arabic right to left, English), signed in with a session
//! cookie, every state-changing form carrying a CSRF token, live updates by server-sent events.
//! Assets are compiled into the binary; nothing is fetched from elsewhere.

pub mod actions;
pub mod analytics;
pub mod assets;
pub mod auth;
pub mod events;
pub mod format;
pub mod i18n;
pub mod pages;
pub mod settings;
pub mod settings_edit;

use actix_web::web;
use lead_domain::inbox::InboxReader;
use lead_domain::usecases::Deps;
use lead_domain::usecases::users::Accounts;
use lead_domain::users::{PasswordHasher, UserRepository};
use std::sync::Arc;

/// What the inbox needs beside the use cases' adapters.
#[derive(Clone)]
pub struct InboxServices {
    /// Users, sessions, failed sign-ins.
    pub users: Arc<dyn UserRepository>,
    /// The inbox's read models.
    pub reader: Arc<dyn InboxReader>,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Live-update streams, capped per user.
    pub streams: events::StreamSlots,
}

impl InboxServices {
    /// The account use cases' adapters.
    pub fn accounts<'a>(&'a self, deps: &'a Deps) -> Accounts<'a> {
        Accounts::new(
            self.users.as_ref(),
            self.hasher.as_ref(),
            deps.clock.as_ref(),
            deps.ids.as_ref(),
        )
    }
}

/// Mounts every `/app` route.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::scope("/app")
            .route("", web::get().to(pages::inbox))
            .route("/", web::get().to(pages::inbox))
            .route("/login", web::get().to(auth::login_form))
            .route("/login", web::post().to(auth::login))
            .route("/logout", web::post().to(auth::logout))
            .route("/language", web::post().to(auth::language))
            .route("/assets/app.css", web::get().to(assets::css))
            .route("/assets/app.js", web::get().to(assets::js))
            .route("/events", web::get().to(events::stream))
            .route("/leads", web::get().to(pages::leads))
            .route("/leads/export.csv", web::get().to(pages::export_csv))
            .route("/leads/{id}", web::get().to(pages::lead))
            .route("/leads/{id}/take-over", web::post().to(actions::take_over))
            .route("/leads/{id}/release", web::post().to(actions::release))
            .route("/leads/{id}/reply", web::post().to(actions::reply))
            .route("/leads/{id}/state", web::post().to(actions::change_state))
            .route("/leads/{id}/score", web::post().to(actions::override_score))
            .route("/leads/{id}/field", web::post().to(actions::edit_field))
            .route("/leads/{id}/contact", web::post().to(actions::edit_contact))
            .route("/settings", web::get().to(settings::settings))
            .route("/settings/users", web::post().to(settings::add_user))
            .route("/settings/hours", web::post().to(settings_edit::hours))
            .route("/settings/rules", web::post().to(settings_edit::rules))
            .route(
                "/settings/escalation",
                web::post().to(settings_edit::escalation),
            )
            .route(
                "/settings/services",
                web::post().to(settings_edit::services),
            )
            .route(
                "/settings/channels",
                web::post().to(settings_edit::channels),
            )
            .route(
                "/settings/notifications",
                web::post().to(settings_edit::notifications),
            )
            .route(
                "/settings/webhooks",
                web::post().to(settings_edit::add_webhook),
            )
            .route(
                "/settings/webhooks/{webhook_id}/delete",
                web::post().to(settings_edit::remove_webhook),
            )
            .route(
                "/settings/users/{user_id}/delete",
                web::post().to(settings::remove_user),
            )
            .route("/usage", web::get().to(settings::usage))
            .route("/analytics", web::get().to(analytics::analytics))
            .route(
                "/analytics/{table}",
                web::get().to(analytics::analytics_csv),
            )
            .route("/experiments", web::get().to(analytics::experiments)),
    );
}
