//! Periodic clean-up of the inbox's sign-in records: idle sessions and failed sign-ins that no
//! throttle counts any more. Every instance runs it; a pass that finds nothing costs two deletes.

use crate::app::InboxServices;
use lead_domain::usecases::Deps;
use lead_domain::usecases::users::sweep;
use std::time::Duration;

/// How often sessions and failed sign-ins are swept.
pub const SWEEP_EVERY: Duration = Duration::from_secs(15 * 60);

/// Sweeps once now and then every [`SWEEP_EVERY`] until the runtime stops.
pub fn spawn(inbox: InboxServices, deps: Deps) {
    tokio::spawn(async move {
        let mut every = tokio::time::interval(SWEEP_EVERY);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            match sweep(inbox.accounts(&deps)).await {
                Ok(swept) if swept.sessions + swept.sign_in_failures > 0 => tracing::info!(
                    sessions = swept.sessions,
                    sign_in_failures = swept.sign_in_failures,
                    "idle sessions and old failed sign-ins removed"
                ),
                Ok(_) => {}
                Err(error) => {
                    tracing::warn!(%error, "sweeping sessions failed; the next pass tries again");
                }
            }
        }
    });
}
