//! CRM sync on in-memory fakes: two workers syncing one phone-only lead at once create one
//! contact (on a fake and against a stand-in speaking HubSpot's CRM v3 shapes), and a refused
//! token stops sync, shows on the tenant and pages the team once.

use chrono::Duration;
use lead_domain::contact::PhoneNumber;
use lead_domain::crm::{
    Crm, CrmError, CrmLinks, CrmProvider, CrmSettings, CustomProperty, DealSettings, Properties,
};
use lead_domain::events::{EventType, PageChannel};
use lead_domain::jobs::{JobPayload, JobStatus};
use lead_domain::lead::Channel;
use lead_domain::lifecycle::LeadState;
use lead_domain::notifications::NotificationSettings;
use lead_domain::ports::{ContactInfo, JobQueue, LeadRepository, Page, TenantRepository};
use lead_domain::tenant::{Secret, Tenant};
use lead_domain::usecases::crm::{CrmDeps, run_crm_sync};
use lead_domain::usecases::{Deps, InboundRequest, accept_inbound, worker_tick};
use lead_testkit::builders::{Fakes, key_record};
use lead_testkit::{ScriptedExtractor, TenantBuilder, deps_with};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration as StdDuration;

use crate::events::hot;

const OPEN: &str = "2026-11-24T07:00:00Z";

/// A CRM that keeps contacts by phone, is slow to create them (so two workers overlap), and can
/// be told to refuse the token.
#[derive(Default)]
struct FakeCrm {
    contacts: Mutex<Vec<(String, Properties)>>,
    creates: AtomicUsize,
    deals: AtomicUsize,
    calls: AtomicUsize,
    refuse: AtomicBool,
    deals_gone: AtomicBool,
}

impl FakeCrm {
    fn check(&self) -> Result<(), CrmError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        if self.refuse.load(Ordering::SeqCst) {
            Err(CrmError::Unauthorized)
        } else {
            Ok(())
        }
    }
}

#[async_trait::async_trait]
impl Crm for FakeCrm {
    async fn ensure_properties(
        &self,
        _: &CrmSettings,
        _: &[CustomProperty],
    ) -> Result<(), CrmError> {
        self.check()
    }

    async fn upsert_contact_by_email(
        &self,
        _: &CrmSettings,
        _: &str,
        _: &Properties,
    ) -> Result<String, CrmError> {
        self.check()?;
        Err(CrmError::Rejected("this lead has no email".into()))
    }

    async fn find_contact_by_phone(
        &self,
        _: &CrmSettings,
        phone: &str,
    ) -> Result<Option<String>, CrmError> {
        self.check()?;
        let contacts = self.contacts.lock().unwrap();
        Ok(contacts
            .iter()
            .position(|(_, p)| p.get("phone").map(String::as_str) == Some(phone))
            .map(|i| format!("c{}", i + 1)))
    }

    async fn create_contact(
        &self,
        _: &CrmSettings,
        properties: &Properties,
    ) -> Result<String, CrmError> {
        self.check()?;
        self.creates.fetch_add(1, Ordering::SeqCst);
        tokio::time::sleep(StdDuration::from_millis(50)).await;
        let mut contacts = self.contacts.lock().unwrap();
        contacts.push((String::new(), properties.clone()));
        Ok(format!("c{}", contacts.len()))
    }

    async fn update_contact(
        &self,
        _: &CrmSettings,
        _: &str,
        _: &Properties,
    ) -> Result<(), CrmError> {
        self.check()
    }

    async fn create_deal(
        &self,
        _: &CrmSettings,
        _: &str,
        _: &Properties,
    ) -> Result<String, CrmError> {
        self.check()?;
        Ok(format!(
            "d{}",
            self.deals.fetch_add(1, Ordering::SeqCst) + 1
        ))
    }

    async fn update_deal(&self, _: &CrmSettings, id: &str, _: &Properties) -> Result<(), CrmError> {
        self.check()?;
        if self.deals_gone.load(Ordering::SeqCst) {
            return Err(CrmError::NotFound(id.to_owned()));
        }
        Ok(())
    }

    async fn create_note(
        &self,
        _: &CrmSettings,
        _: &str,
        _: chrono::DateTime<chrono::Utc>,
        _: &str,
        _: Option<String>,
    ) -> Result<String, CrmError> {
        self.check()?;
        Ok("n1".into())
    }
}

fn tenant() -> Tenant {
    TenantBuilder::real_estate()
        .with(|t| {
            t.settings.crm = Some(CrmSettings {
                provider: CrmProvider::Hubspot,
                access_token: Secret::new("pat-na1-token"),
                sync: vec![LeadState::Qualified, LeadState::HandedOff],
                deal: DealSettings::default(),
                owner_id: None,
                broken: None,
            });
            t.settings.notifications = NotificationSettings {
                email: vec!["owner@agency.example".into()],
                sms: vec!["+966501112233".into()],
                // The tenant pages people for hot leads only; a broken CRM pages them anyway.
                events: vec![EventType::LeadHot],
                ..NotificationSettings::default()
            };
        })
        .build()
}

/// A tenant with a phone-only HOT lead processed without CRM sync; returns the lead's id and
/// the dependencies with the fake CRM switched on.
async fn world(crm: Arc<dyn Crm>) -> (Deps, Fakes, Tenant, lead_domain::ids::LeadId) {
    let (deps, fakes) = deps_with(None, Arc::new(ScriptedExtractor::reading(hot())), OPEN);
    let tenant = tenant();
    fakes
        .store
        .insert_tenant(&tenant, &key_record("k"))
        .await
        .unwrap();
    let req = InboundRequest {
        channel: Some(Channel::WebForm),
        contact: ContactInfo {
            name: Some("Sara Ali".into()),
            phone: PhoneNumber::parse("+966507770001").ok(),
            ..ContactInfo::default()
        },
        body: Some("villa, 2M SAR, now, I decide".into()),
        ..Default::default()
    };
    let accepted = accept_inbound(&deps, &tenant, req).await.unwrap();
    worker_tick(&deps, "test", 10, StdDuration::from_secs(60))
        .await
        .unwrap();
    let mut deps = deps;
    deps.crm = Some(CrmDeps {
        crm,
        links: fakes.store.clone(),
    });
    (deps, fakes, tenant, accepted.lead_id)
}

/// Two workers sync the lead at once: one wins, the other finds the claim and steps back without
/// disturbing the winner's record; its retry, as the queue would run it, then succeeds.
async fn race(deps: &Deps, fakes: &Fakes, tenant: &Tenant, lead_id: lead_domain::ids::LeadId) {
    let (a, b) = tokio::join!(
        run_crm_sync(deps, tenant.id, lead_id),
        run_crm_sync(deps, tenant.id, lead_id)
    );
    assert!(
        a.is_ok() != b.is_ok(),
        "one of the two steps back: {a:?} {b:?}"
    );
    fakes.clock.advance(Duration::seconds(30));
    run_crm_sync(deps, tenant.id, lead_id).await.unwrap();
}

#[tokio::test]
async fn two_workers_syncing_one_phone_only_lead_create_one_contact() {
    let crm = Arc::new(FakeCrm::default());
    let (deps, fakes, tenant, lead_id) = world(crm.clone()).await;
    race(&deps, &fakes, &tenant, lead_id).await;
    assert_eq!(crm.creates.load(Ordering::SeqCst), 1, "one contact created");
    assert_eq!(crm.contacts.lock().unwrap().len(), 1);
    let link = fakes
        .store
        .crm_link(tenant.id, lead_id)
        .await
        .unwrap()
        .expect("the lead's CRM record");
    assert_eq!(link.contact_id.as_deref(), Some("c1"));
    assert!(link.last_error.is_none(), "{link:?}");
    assert_eq!(link.deal_id.as_deref(), Some("d1"));
    assert!(
        fakes
            .store
            .get_lead(tenant.id, lead_id)
            .await
            .unwrap()
            .is_some()
    );

    // A deal a person deleted at the CRM is created again, not left failing.
    crm.deals_gone.store(true, Ordering::SeqCst);
    run_crm_sync(&deps, tenant.id, lead_id).await.unwrap();
    let link = fakes
        .store
        .crm_link(tenant.id, lead_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.deal_id.as_deref(), Some("d2"));
}

async fn page_jobs(fakes: &Fakes) -> Vec<(PageChannel, String, EventType)> {
    let mut out = Vec::new();
    for status in [JobStatus::Queued, JobStatus::Done] {
        let jobs = fakes
            .store
            .list_jobs(
                status,
                Page {
                    limit: 200,
                    offset: 0,
                },
            )
            .await
            .unwrap();
        for job in jobs.items {
            if let JobPayload::PageTeam { event, channel, to } = job.payload {
                out.push((channel, to, event.kind));
            }
        }
    }
    out
}

#[tokio::test]
async fn a_refused_token_stops_sync_and_pages_the_team_once() {
    let crm = Arc::new(FakeCrm::default());
    crm.refuse.store(true, Ordering::SeqCst);
    let (deps, fakes, tenant, lead_id) = world(crm.clone()).await;

    let note = run_crm_sync(&deps, tenant.id, lead_id).await.unwrap();
    assert!(note.is_some_and(|n| n.contains("credentials")));
    let stored = fakes.store.get_tenant(tenant.id).await.unwrap().unwrap();
    assert!(
        stored.settings.crm.as_ref().unwrap().broken.is_some(),
        "the connection shows as broken"
    );
    let link = fakes
        .store
        .crm_link(tenant.id, lead_id)
        .await
        .unwrap()
        .unwrap();
    assert!(link.last_error.is_some(), "the failure shows on the lead");

    // A broken connection makes no further calls until the token is replaced.
    let calls = crm.calls.load(Ordering::SeqCst);
    run_crm_sync(&deps, tenant.id, lead_id).await.unwrap();
    assert_eq!(
        crm.calls.load(Ordering::SeqCst),
        calls,
        "no call while broken"
    );

    // The event fans out to every contact, although the tenant pages only for hot leads.
    for _ in 0..3 {
        worker_tick(&deps, "test", 10, StdDuration::from_secs(60))
            .await
            .unwrap();
    }
    let pages: Vec<_> = page_jobs(&fakes)
        .await
        .into_iter()
        .filter(|(_, _, kind)| *kind == EventType::CrmDisconnected)
        .collect();
    assert_eq!(pages.len(), 2, "{pages:?}");
    let sent = fakes.team.pages();
    let page = sent
        .iter()
        .find(|p| p.channel == PageChannel::Email && p.subject.contains("CRM"))
        .expect("the owner's email");
    assert!(page.text.contains("hubspot"), "{}", page.text);
    assert!(page.text.contains("/app/settings"), "{}", page.text);
}

#[tokio::test]
async fn two_workers_against_a_hubspot_stand_in_create_one_contact() {
    use wiremock::matchers::{method, path};
    use wiremock::{Mock, MockServer, ResponseTemplate};
    let object = |id: &str| {
        serde_json::json!({"id": id, "properties": {}, "createdAt": "2026-12-05T06:00:00.000Z",
            "updatedAt": "2026-12-05T06:00:00.000Z", "archived": false})
    };
    let server = MockServer::start().await;
    let existing: Vec<serde_json::Value> = lead_domain::crm::CUSTOM_PROPERTIES
        .iter()
        .map(|p| {
            serde_json::json!({"name": p.name, "label": p.label, "type": "string",
            "fieldType": "text", "groupName": "contactinformation"})
        })
        .collect();
    Mock::given(method("GET"))
        .and(path("/crm/v3/properties/contacts"))
        .respond_with(
            ResponseTemplate::new(200).set_body_json(serde_json::json!({"results": existing})),
        )
        .mount(&server)
        .await;
    // HubSpot's search is eventually consistent: a contact created a moment ago is not found yet.
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/contacts/search"))
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(serde_json::json!({"total": 0, "results": []})),
        )
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/contacts"))
        .respond_with(
            ResponseTemplate::new(201)
                .set_body_json(object("701"))
                .set_delay(StdDuration::from_millis(200)),
        )
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/crm/v3/objects/contacts/701"))
        .respond_with(ResponseTemplate::new(200).set_body_json(object("701")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/deals"))
        .respond_with(ResponseTemplate::new(201).set_body_json(object("9001")))
        .mount(&server)
        .await;
    Mock::given(method("PATCH"))
        .and(path("/crm/v3/objects/deals/9001"))
        .respond_with(ResponseTemplate::new(200).set_body_json(object("9001")))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/crm/v3/objects/notes"))
        .respond_with(ResponseTemplate::new(201).set_body_json(object("4242")))
        .mount(&server)
        .await;
    let hubspot =
        lead_channels::hubspot::HubspotClient::new(&server.uri(), StdDuration::from_secs(5))
            .unwrap();
    let (deps, fakes, tenant, lead_id) = world(Arc::new(hubspot)).await;
    race(&deps, &fakes, &tenant, lead_id).await;
    let requests = server.received_requests().await.unwrap();
    let creates = requests
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == "/crm/v3/objects/contacts")
        .count();
    assert_eq!(creates, 1, "one contact created at HubSpot");
    let deals = requests
        .iter()
        .filter(|r| r.method.as_str() == "POST" && r.url.path() == "/crm/v3/objects/deals")
        .count();
    assert_eq!(deals, 1, "one deal created at HubSpot");
    let link = fakes
        .store
        .crm_link(tenant.id, lead_id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(link.contact_id.as_deref(), Some("701"));
    assert_eq!(link.deal_id.as_deref(), Some("9001"));
}
