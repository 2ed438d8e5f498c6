//! Webhooks reach public addresses only: a sender limited to them refuses an endpoint on the
//! local machine, whether named by address or by a name that resolves there, without a request
//! leaving; a sender allowed private networks delivers to it.

use lead_channels::webhooks::HttpWebhookSender;
use lead_domain::events::{
    DomainEvent, EventData, EventType, SignedWebhook, WebhookAnswer, WebhookSender,
};
use lead_domain::ids::TenantId;
use lead_domain::tenant::Secret;
use std::time::Duration;
use wiremock::matchers::method;
use wiremock::{Mock, MockServer, ResponseTemplate};

fn webhook(url: String) -> SignedWebhook {
    let event = DomainEvent::new(
        uuid::Uuid::now_v7(),
        EventType::LeadHot,
        TenantId::from_uuid(uuid::Uuid::now_v7()),
        chrono::DateTime::from_timestamp(1_733_390_000, 0).unwrap(),
        EventData::default(),
    );
    SignedWebhook {
        url,
        message_id: event.id.clone(),
        timestamp: 1_733_390_000,
        event,
        secret: Secret::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"),
    }
}

#[tokio::test]
async fn a_public_only_sender_never_calls_the_local_network() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .respond_with(ResponseTemplate::new(204))
        .mount(&server)
        .await;
    let port = server.address().port();
    let public_only = HttpWebhookSender::new(Duration::from_secs(2), true).unwrap();
    for url in [
        format!("http://127.0.0.1:{port}/hook"),
        format!("http://localhost:{port}/hook"),
        format!("http://[::ffff:127.0.0.1]:{port}/hook"),
    ] {
        let answer = public_only.post(&webhook(url.clone())).await;
        assert!(
            matches!(answer, WebhookAnswer::Unreachable(_)),
            "{url}: {answer:?}"
        );
    }
    assert!(server.received_requests().await.unwrap().is_empty());

    let allowed = HttpWebhookSender::new(Duration::from_secs(2), false).unwrap();
    let answer = allowed
        .post(&webhook(format!("http://127.0.0.1:{port}/hook")))
        .await;
    assert!(
        matches!(answer, WebhookAnswer::Status { code: 204, .. }),
        "{answer:?}"
    );
}
