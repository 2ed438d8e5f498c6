//! `TwilioSender`, `SmtpSender` and `ChannelSender` through the domain's `MessageSender` port,
//! against a local fake Twilio and a local SMTP sink.

use std::collections::{BTreeMap, HashSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, TimeDelta, Utc};
use lead_channels::email::{SmtpConfig, SmtpMailer, SmtpSecurity};
use lead_channels::sender::{ChannelSender, SmtpSender, TwilioSender};
use lead_channels::twilio::TwilioClient;
use lead_domain::contact::{Address, Email, PhoneNumber};
use lead_domain::hours::BusinessHours;
use lead_domain::ids::{ConversationId, MessageId, TenantId};
use lead_domain::language::Language;
use lead_domain::lead::Channel;
use lead_domain::ports::{
    Clock, MessageSender, OptOutRegistry, OutboundMessage, SendError, StoreError,
};
use lead_domain::qualification::Currency;
use lead_domain::scoring::QualificationRules;
use lead_domain::tenant::{
    PhoneReplyChannel, Secret, Tenant, TenantSettings, TenantStatus, TwilioSettings,
    WhatsAppTemplate,
};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

use crate::email::{headers_and_body, smtp_sink};

const ACCOUNT: &str = "ACfeedfacefeedfacefeedfacefeedface";
const MESSAGES_PATH: &str = "/2010-04-01/Accounts/ACfeedfacefeedfacefeedfacefeedface/Messages.json";
const LEAD_PHONE: &str = "+966501234567";
const STATUS_URL: &str = "https://leads.example.com/webhooks/twilio/status";

/// An opt-out registry in memory that can be told to fail.
#[derive(Default)]
struct MemoryOptOuts {
    opted_out: Mutex<HashSet<(TenantId, String)>>,
    unavailable: bool,
}

#[async_trait]
impl OptOutRegistry for MemoryOptOuts {
    async fn opt_out(
        &self,
        tenant: TenantId,
        address: &Address,
        _at: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        if let Ok(mut set) = self.opted_out.lock() {
            set.insert((tenant, address.key()));
        }
        Ok(())
    }

    async fn opt_in(&self, tenant: TenantId, address: &Address) -> Result<(), StoreError> {
        if let Ok(mut set) = self.opted_out.lock() {
            set.remove(&(tenant, address.key()));
        }
        Ok(())
    }

    async fn is_opted_out(&self, tenant: TenantId, address: &Address) -> Result<bool, StoreError> {
        if self.unavailable {
            return Err(StoreError::Unavailable("database down".to_owned()));
        }
        Ok(self
            .opted_out
            .lock()
            .map(|set| set.contains(&(tenant, address.key())))
            .unwrap_or(false))
    }
}

struct FixedClock(DateTime<Utc>);

impl Clock for FixedClock {
    fn now(&self) -> DateTime<Utc> {
        self.0
    }
}

fn now() -> DateTime<Utc> {
    DateTime::<Utc>::UNIX_EPOCH + TimeDelta::days(20_000)
}

fn phone(raw: &str) -> PhoneNumber {
    match PhoneNumber::parse(raw) {
        Ok(p) => p,
        Err(e) => panic!("{raw}: {e}"),
    }
}

fn twilio_settings() -> TwilioSettings {
    TwilioSettings {
        account_sid: ACCOUNT.to_owned(),
        auth_token: Secret::new("tenant-token"),
        phone_numbers: vec![phone("+15005550006")],
        whatsapp_numbers: vec![phone("+14155238886")],
        messaging_service_sid: None,
        whatsapp_template: Some(WhatsAppTemplate {
            content_sid: "HXabcdefabcdefabcdefabcdefabcdefab".to_owned(),
            variables: BTreeMap::from([
                ("1".to_owned(), "{name}".to_owned()),
                ("2".to_owned(), "{business}".to_owned()),
            ]),
        }),
    }
}

fn tenant(twilio: Option<TwilioSettings>) -> Tenant {
    let rules = match Currency::parse("SAR") {
        Ok(currency) => QualificationRules::new(currency, 0.0, 1_000_000.0),
        Err(e) => panic!("{e:?}"),
    };
    Tenant {
        id: TenantId::from_uuid(uuid::Uuid::from_u128(7)),
        name: "Acme Realty".to_owned(),
        slug: "acme".to_owned(),
        status: TenantStatus::Active,
        settings: TenantSettings {
            industry: "real_estate".to_owned(),
            business_hours: BusinessHours::closed(chrono_tz::UTC),
            services: BTreeMap::new(),
            rules,
            escalation: Default::default(),
            monthly_budget_usd: None,
            brand_voice: None,
            default_language: Language::Ar,
            extra_locations: BTreeMap::new(),
            phone_reply_channel: PhoneReplyChannel::Sms,
            twilio,
            allowed_origins: Vec::new(),
            default_region: "SA".to_owned(),
            llm: None,
            booking: None,
            notifications: Default::default(),
            retention_days: None,
            crm: None,
        },
        widget_key: "wk_test".to_owned(),
        created_at: now(),
        updated_at: now(),
    }
}

fn outbound(
    channel: Channel,
    to: Address,
    last_inbound_at: Option<DateTime<Utc>>,
) -> OutboundMessage {
    OutboundMessage {
        message_id: MessageId::from_uuid(uuid::Uuid::from_u128(1)),
        conversation_id: ConversationId::from_uuid(uuid::Uuid::from_u128(2)),
        channel,
        to,
        body: "أهلاً، شكراً لتواصلك!".to_owned(),
        language: Language::Ar,
        last_inbound_at,
        lead_name: Some("سارة".to_owned()),
    }
}

fn sms_to_lead() -> OutboundMessage {
    outbound(Channel::Sms, Address::Phone(phone(LEAD_PHONE)), Some(now()))
}

fn created(sid: &str) -> ResponseTemplate {
    ResponseTemplate::new(201).set_body_json(serde_json::json!({
        "account_sid": ACCOUNT, "api_version": "2010-04-01", "body": "", "direction": "outbound-api",
        "error_code": null, "error_message": null, "from": "+15005550006", "num_media": "0",
        "num_segments": "1", "sid": sid, "status": "queued", "to": LEAD_PHONE,
        "uri": format!("/2010-04-01/Accounts/{ACCOUNT}/Messages/{sid}.json"),
    }))
}

fn twilio_error(status: u16, code: u32, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_json(serde_json::json!({
        "code": code, "message": message,
        "more_info": format!("https://www.twilio.com/docs/errors/{code}"), "status": status,
    }))
}

struct Harness {
    server: MockServer,
    opt_outs: Arc<MemoryOptOuts>,
    sender: TwilioSender,
}

async fn harness_with(opt_outs: MemoryOptOuts, responses: Vec<ResponseTemplate>) -> Harness {
    let server = MockServer::start().await;
    let count = responses.len();
    for (i, response) in responses.into_iter().enumerate() {
        let mock = Mock::given(method("POST"))
            .and(path(MESSAGES_PATH))
            .respond_with(response);
        // Each response but the last answers once, in order; the last answers from then on.
        let mock = if i + 1 < count {
            mock.up_to_n_times(1)
        } else {
            mock
        };
        mock.with_priority(u8::try_from(i + 1).unwrap_or(u8::MAX))
            .mount(&server)
            .await;
    }
    let client = match TwilioClient::new(&server.uri(), Duration::from_secs(2)) {
        Ok(client) => client,
        Err(e) => panic!("{e}"),
    };
    let opt_outs = Arc::new(opt_outs);
    let sender = TwilioSender::new(
        client,
        opt_outs.clone(),
        Arc::new(FixedClock(now())),
        Some(STATUS_URL.to_owned()),
    );
    Harness {
        server,
        opt_outs,
        sender,
    }
}

async fn harness(responses: Vec<ResponseTemplate>) -> Harness {
    harness_with(MemoryOptOuts::default(), responses).await
}

impl Harness {
    async fn forms(&self) -> Vec<BTreeMap<String, String>> {
        self.server
            .received_requests()
            .await
            .unwrap_or_default()
            .iter()
            .map(|r| url::form_urlencoded::parse(&r.body).into_owned().collect())
            .collect()
    }
}

fn field<'a>(form: &'a BTreeMap<String, String>, name: &str) -> Option<&'a str> {
    form.get(name).map(String::as_str)
}

#[tokio::test]
async fn sends_an_sms_with_the_tenant_account() {
    let h = harness(vec![created("SM00000000000000000000000000000001")]).await;

    let started = Instant::now();
    let receipt = h
        .sender
        .send(&tenant(Some(twilio_settings())), &sms_to_lead())
        .await;
    let elapsed = started.elapsed();

    assert_eq!(
        receipt.as_ref().map(|r| r.provider_message_id.as_deref()),
        Ok(Some("SM00000000000000000000000000000001"))
    );
    assert_eq!(receipt.map(|r| r.used_template), Ok(false));
    let forms = h.forms().await;
    assert_eq!(forms.len(), 1);
    assert_eq!(field(&forms[0], "To"), Some(LEAD_PHONE));
    assert_eq!(field(&forms[0], "From"), Some("+15005550006"));
    assert_eq!(field(&forms[0], "Body"), Some("أهلاً، شكراً لتواصلك!"));
    assert_eq!(field(&forms[0], "StatusCallback"), Some(STATUS_URL));
    eprintln!("twilio send against a local fake took {elapsed:?}");
}

#[tokio::test]
async fn a_messaging_service_replaces_the_from_number() {
    let h = harness(vec![created("SM00000000000000000000000000000002")]).await;
    let settings = TwilioSettings {
        messaging_service_sid: Some("MG0123456789abcdef0123456789abcdef".to_owned()),
        ..twilio_settings()
    };

    let receipt = h.sender.send(&tenant(Some(settings)), &sms_to_lead()).await;

    assert!(receipt.is_ok(), "{receipt:?}");
    let forms = h.forms().await;
    assert_eq!(
        field(&forms[0], "MessagingServiceSid"),
        Some("MG0123456789abcdef0123456789abcdef")
    );
    assert_eq!(field(&forms[0], "From"), None);
}

#[tokio::test]
async fn twilio_5xx_is_retryable_and_the_retry_sends_once() {
    let h = harness(vec![
        twilio_error(503, 20503, "Service Unavailable"),
        created("SM00000000000000000000000000000003"),
    ])
    .await;
    let tenant = tenant(Some(twilio_settings()));

    let first = h.sender.send(&tenant, &sms_to_lead()).await;
    let second = h.sender.send(&tenant, &sms_to_lead()).await;

    assert!(
        matches!(
            first,
            Err(SendError::Retryable {
                retry_after: None,
                ..
            })
        ),
        "{first:?}"
    );
    assert_eq!(
        second.map(|r| r.provider_message_id),
        Ok(Some("SM00000000000000000000000000000003".to_owned()))
    );
    assert_eq!(h.forms().await.len(), 2);
}

#[tokio::test]
async fn rate_limits_carry_retry_after() {
    let h = harness(vec![
        twilio_error(429, 20429, "Too Many Requests").insert_header("Retry-After", "12"),
    ])
    .await;
    let result = h
        .sender
        .send(&tenant(Some(twilio_settings())), &sms_to_lead())
        .await;
    assert!(
        matches!(result, Err(SendError::Retryable { retry_after: Some(d), .. }) if d == Duration::from_secs(12)),
        "{result:?}"
    );
}

#[tokio::test]
async fn an_invalid_number_is_permanent_with_twilio_code() {
    let h = harness(vec![twilio_error(400, 21211, "Invalid 'To' Phone Number")]).await;
    let result = h
        .sender
        .send(&tenant(Some(twilio_settings())), &sms_to_lead())
        .await;
    assert_eq!(
        result,
        Err(SendError::Permanent {
            code: Some("21211".to_owned()),
            message: "Invalid 'To' Phone Number".to_owned()
        })
    );
}

#[tokio::test]
async fn twilio_unsubscribed_is_permanent_and_stops_later_sends() {
    let h = harness(vec![twilio_error(
        400,
        21610,
        "Attempt to send to unsubscribed recipient",
    )])
    .await;
    let tenant = tenant(Some(twilio_settings()));

    let first = h.sender.send(&tenant, &sms_to_lead()).await;
    let second = h.sender.send(&tenant, &sms_to_lead()).await;

    assert!(
        matches!(&first, Err(SendError::Permanent { code: Some(c), .. }) if c == "21610"),
        "{first:?}"
    );
    assert_eq!(second, Err(SendError::OptedOut));
    assert_eq!(
        h.forms().await.len(),
        1,
        "the second send must not reach twilio"
    );
}

#[tokio::test]
async fn an_opted_out_number_is_never_sent_to() {
    let h = harness(vec![created("SM00000000000000000000000000000004")]).await;
    let tenant = tenant(Some(twilio_settings()));
    let lead = Address::Phone(phone(LEAD_PHONE));
    let _ = h.opt_outs.opt_out(tenant.id, &lead, now()).await;

    for channel in [
        Channel::Sms,
        Channel::Whatsapp,
        Channel::MissedCall,
        Channel::WebForm,
    ] {
        let result = h
            .sender
            .send(&tenant, &outbound(channel, lead.clone(), Some(now())))
            .await;
        assert_eq!(result, Err(SendError::OptedOut), "{channel}");
    }
    assert!(h.forms().await.is_empty());

    // Opting back in lets messages flow again.
    let _ = h.opt_outs.opt_in(tenant.id, &lead).await;
    let result = h.sender.send(&tenant, &sms_to_lead()).await;
    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn an_opt_out_for_another_tenant_does_not_block() {
    let h = harness(vec![created("SM00000000000000000000000000000005")]).await;
    let other = TenantId::from_uuid(uuid::Uuid::from_u128(99));
    let _ = h
        .opt_outs
        .opt_out(other, &Address::Phone(phone(LEAD_PHONE)), now())
        .await;

    let result = h
        .sender
        .send(&tenant(Some(twilio_settings())), &sms_to_lead())
        .await;

    assert!(result.is_ok(), "{result:?}");
}

#[tokio::test]
async fn an_unknown_opt_out_state_is_retried_later_without_sending() {
    let opt_outs = MemoryOptOuts {
        unavailable: true,
        ..Default::default()
    };
    let h = harness_with(
        opt_outs,
        vec![created("SM00000000000000000000000000000006")],
    )
    .await;

    let result = h
        .sender
        .send(&tenant(Some(twilio_settings())), &sms_to_lead())
        .await;

    assert!(
        matches!(result, Err(SendError::Retryable { .. })),
        "{result:?}"
    );
    assert!(h.forms().await.is_empty());
}

#[tokio::test]
async fn whatsapp_inside_the_window_sends_free_text() {
    let h = harness(vec![created("SM00000000000000000000000000000007")]).await;
    let message = outbound(
        Channel::Whatsapp,
        Address::Phone(phone(LEAD_PHONE)),
        Some(now() - TimeDelta::hours(23)),
    );

    let receipt = h
        .sender
        .send(&tenant(Some(twilio_settings())), &message)
        .await;

    assert_eq!(receipt.map(|r| r.used_template), Ok(false));
    let forms = h.forms().await;
    assert_eq!(field(&forms[0], "To"), Some("whatsapp:+966501234567"));
    assert_eq!(field(&forms[0], "From"), Some("whatsapp:+14155238886"));
    assert_eq!(field(&forms[0], "Body"), Some("أهلاً، شكراً لتواصلك!"));
    assert_eq!(field(&forms[0], "ContentSid"), None);
}

#[tokio::test]
async fn whatsapp_outside_the_window_sends_the_template() {
    let h = harness(vec![created("SM00000000000000000000000000000008")]).await;
    let message = outbound(
        Channel::Whatsapp,
        Address::Phone(phone(LEAD_PHONE)),
        Some(now() - TimeDelta::hours(25)),
    );

    let receipt = h
        .sender
        .send(&tenant(Some(twilio_settings())), &message)
        .await;

    assert_eq!(receipt.map(|r| r.used_template), Ok(true));
    let forms = h.forms().await;
    assert_eq!(forms.len(), 1);
    assert_eq!(
        field(&forms[0], "ContentSid"),
        Some("HXabcdefabcdefabcdefabcdefabcdefab")
    );
    let variables: Option<serde_json::Value> =
        field(&forms[0], "ContentVariables").and_then(|v| serde_json::from_str(v).ok());
    assert_eq!(
        variables,
        Some(serde_json::json!({"1": "سارة", "2": "Acme Realty"}))
    );
    assert_eq!(
        field(&forms[0], "Body"),
        None,
        "no free-form text outside the window"
    );
}

#[tokio::test]
async fn whatsapp_outside_the_window_without_a_template_sends_nothing() {
    let h = harness(vec![created("SM00000000000000000000000000000009")]).await;
    let settings = TwilioSettings {
        whatsapp_template: None,
        ..twilio_settings()
    };
    for last in [Some(now() - TimeDelta::hours(24)), None] {
        let message = outbound(Channel::Whatsapp, Address::Phone(phone(LEAD_PHONE)), last);
        let result = h
            .sender
            .send(&tenant(Some(settings.clone())), &message)
            .await;
        assert_eq!(result, Err(SendError::OutsideWindow), "{last:?}");
    }
    assert!(h.forms().await.is_empty());
}

#[tokio::test]
async fn a_63016_refusal_falls_back_to_the_template() {
    // Our clock says the window is open, WhatsApp disagrees.
    let h = harness(vec![
        twilio_error(
            400,
            63016,
            "Failed to send freeform message because you are outside the allowed window.",
        ),
        created("SM00000000000000000000000000000010"),
    ])
    .await;
    let message = outbound(
        Channel::Whatsapp,
        Address::Phone(phone(LEAD_PHONE)),
        Some(now()),
    );

    let receipt = h
        .sender
        .send(&tenant(Some(twilio_settings())), &message)
        .await;

    assert_eq!(receipt.map(|r| r.used_template), Ok(true));
    let forms = h.forms().await;
    assert_eq!(forms.len(), 2);
    assert_eq!(field(&forms[0], "Body"), Some("أهلاً، شكراً لتواصلك!"));
    assert_eq!(
        field(&forms[1], "ContentSid"),
        Some("HXabcdefabcdefabcdefabcdefabcdefab")
    );
}

#[tokio::test]
async fn a_63016_refusal_without_a_template_is_outside_window() {
    let h = harness(vec![twilio_error(400, 63016, "outside the allowed window")]).await;
    let settings = TwilioSettings {
        whatsapp_template: None,
        ..twilio_settings()
    };
    let message = outbound(
        Channel::Whatsapp,
        Address::Phone(phone(LEAD_PHONE)),
        Some(now()),
    );

    let result = h.sender.send(&tenant(Some(settings)), &message).await;

    assert_eq!(result, Err(SendError::OutsideWindow));
}

#[tokio::test]
async fn missed_call_replies_follow_the_tenant_preference() {
    let h = harness(vec![created("SM00000000000000000000000000000011")]).await;
    let mut tenant = tenant(Some(twilio_settings()));
    tenant.settings.phone_reply_channel = PhoneReplyChannel::Whatsapp;
    let message = outbound(
        Channel::MissedCall,
        Address::Phone(phone(LEAD_PHONE)),
        Some(now()),
    );

    let receipt = h.sender.send(&tenant, &message).await;

    assert!(receipt.is_ok(), "{receipt:?}");
    let forms = h.forms().await;
    assert_eq!(field(&forms[0], "To"), Some("whatsapp:+966501234567"));
}

#[tokio::test]
async fn missing_configuration_is_reported_without_sending() {
    let h = harness(vec![created("SM00000000000000000000000000000012")]).await;
    let no_numbers = TwilioSettings {
        phone_numbers: Vec::new(),
        ..twilio_settings()
    };
    let cases = [
        (tenant(None), sms_to_lead()),
        (tenant(Some(no_numbers)), sms_to_lead()),
        (
            tenant(Some(twilio_settings())),
            outbound(Channel::LiveChat, Address::Phone(phone(LEAD_PHONE)), None),
        ),
    ];
    for (tenant, message) in cases {
        let result = h.sender.send(&tenant, &message).await;
        assert!(
            matches!(result, Err(SendError::NotConfigured(_))),
            "{result:?}"
        );
    }
    assert!(h.forms().await.is_empty());
}

fn email_address() -> Address {
    match Email::parse("sara@example.com") {
        Ok(email) => Address::Email(email),
        Err(e) => panic!("{e}"),
    }
}

fn smtp_sender(port: u16, opt_outs: Arc<MemoryOptOuts>) -> SmtpSender {
    let config = SmtpConfig {
        host: "127.0.0.1".to_owned(),
        port: Some(port),
        security: SmtpSecurity::Plain,
        credentials: None,
        from: "Leads <leads@service.example>".to_owned(),
        timeout: Duration::from_secs(5),
    };
    match SmtpMailer::new(&config) {
        Ok(mailer) => SmtpSender::new(mailer, opt_outs),
        Err(e) => panic!("{e}"),
    }
}

#[tokio::test]
async fn emails_web_form_leads_through_the_channel_router() {
    let (port, sink) = smtp_sink("250 2.1.5 ok\r\n").await;
    let h = harness(vec![created("SM00000000000000000000000000000013")]).await;
    let router = ChannelSender::new(
        Some(h.sender),
        Some(smtp_sender(port, Arc::new(MemoryOptOuts::default()))),
    );
    let message = outbound(Channel::Email, email_address(), None);

    let receipt = router
        .send(&tenant(Some(twilio_settings())), &message)
        .await;

    assert_eq!(receipt.map(|r| r.used_template), Ok(false));
    let received = match sink.await {
        Ok(Ok(received)) => received,
        other => panic!("sink: {other:?}"),
    };
    assert_eq!(received.rcpt_to, vec!["<sara@example.com>".to_owned()]);
    let (headers, body) = headers_and_body(&received.data);
    assert_eq!(body, "أهلاً، شكراً لتواصلك!");
    assert!(
        headers.contains("Subject: =?utf-8?"),
        "an arabic subject is encoded: {headers}"
    );
    assert!(
        h.server
            .received_requests()
            .await
            .unwrap_or_default()
            .is_empty()
    );
}

#[tokio::test]
async fn an_opted_out_email_is_never_sent() {
    let opt_outs = Arc::new(MemoryOptOuts::default());
    let tenant = tenant(None);
    let _ = opt_outs.opt_out(tenant.id, &email_address(), now()).await;
    // Port 1 has no server: reaching the network would fail differently.
    let sender = smtp_sender(1, opt_outs);

    let result = sender
        .send(&tenant, &outbound(Channel::Email, email_address(), None))
        .await;

    assert_eq!(result, Err(SendError::OptedOut));
}

#[tokio::test]
async fn a_rejected_email_is_permanent_with_the_smtp_code() {
    let (port, _sink) = smtp_sink("550 5.1.1 no such user\r\n").await;
    let sender = smtp_sender(port, Arc::new(MemoryOptOuts::default()));

    let result = sender
        .send(
            &tenant(None),
            &outbound(Channel::Email, email_address(), None),
        )
        .await;

    assert!(
        matches!(&result, Err(SendError::Permanent { code: Some(c), .. }) if c == "550"),
        "{result:?}"
    );
}

#[tokio::test]
async fn the_router_reports_unconfigured_channels() {
    let router = ChannelSender::new(None, None);
    let tenant = tenant(Some(twilio_settings()));
    for message in [
        sms_to_lead(),
        outbound(Channel::Email, email_address(), None),
        outbound(
            Channel::LiveChat,
            Address::ChatSession("visitor-1".to_owned()),
            None,
        ),
    ] {
        let result = router.send(&tenant, &message).await;
        assert!(
            matches!(result, Err(SendError::NotConfigured(_))),
            "{result:?}"
        );
    }
}
