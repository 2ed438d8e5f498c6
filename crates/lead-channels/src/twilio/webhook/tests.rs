//! Parsing of webhook bodies captured in Twilio's documented format.

use super::*;
use crate::signature::parse_form;

const SMS: &str = "ToCountry=US&ToState=CA&SmsMessageSid=SM0123456789abcdef0123456789abcdef&NumMedia=0\
&ToCity=&FromZip=&SmsSid=SM0123456789abcdef0123456789abcdef&FromState=CA&SmsStatus=received\
&FromCity=&Body=Hi%2C+I+need+a+quote&FromCountry=US&To=%2B15005550006&ToZip=&NumSegments=1\
&MessageSid=SM0123456789abcdef0123456789abcdef&AccountSid=AC0123456789abcdef0123456789abcdef\
&From=%2B14155551234&ApiVersion=2010-04-01";

const WHATSAPP: &str = "SmsMessageSid=SM11111111111111111111111111111111&NumMedia=1\
&ProfileName=%D8%B3%D8%A7%D8%B1%D8%A9&MessageType=text&WaId=971501234567&SmsStatus=received\
&Body=%D9%85%D8%B1%D8%AD%D8%A8%D8%A7&To=whatsapp%3A%2B14155238886&NumSegments=1\
&MessageSid=SM11111111111111111111111111111111&AccountSid=AC0123456789abcdef0123456789abcdef\
&From=whatsapp%3A%2B971501234567&MediaUrl0=https%3A%2F%2Fapi.twilio.com%2Fmedia&ApiVersion=2010-04-01";

const CALL: &str = "Called=%2B15005550006&ToState=CA&CallerCountry=US&Direction=inbound\
&Timestamp=Mon%2C+30+Nov+2026+14%3A00%3A00+%2B0000&CallbackSource=call-progress-events\
&CallerState=CA&ToZip=&SequenceNumber=0&CallSid=CA0123456789abcdef0123456789abcdef&To=%2B15005550006\
&CallerZip=&ToCountry=US&CalledZip=&ApiVersion=2010-04-01&CalledCity=&CallStatus=no-answer\
&Duration=0&From=%2B14155551234&CallDuration=0&AccountSid=AC0123456789abcdef0123456789abcdef\
&CalledCountry=US&CallerCity=&ToCity=&FromCountry=US&Caller=%2B14155551234";

const STATUS: &str = "ErrorCode=30003&SmsSid=SM0123456789abcdef0123456789abcdef&SmsStatus=undelivered\
&MessageStatus=undelivered&To=%2B14155551234&MessageSid=SM0123456789abcdef0123456789abcdef\
&AccountSid=AC0123456789abcdef0123456789abcdef&From=%2B15005550006&ApiVersion=2010-04-01";

fn without(body: &str, field: &str) -> Vec<(String, String)> {
    parse_form(body.as_bytes())
        .into_iter()
        .filter(|(k, _)| k != field)
        .collect()
}

fn with(body: &str, field: &str, value: &str) -> Vec<(String, String)> {
    parse_form(body.as_bytes())
        .into_iter()
        .map(|(k, v)| {
            if k == field {
                (k, value.to_owned())
            } else {
                (k, v)
            }
        })
        .collect()
}

#[test]
fn parses_an_inbound_sms() {
    let message = InboundMessage::from_form(&parse_form(SMS.as_bytes()));
    assert_eq!(
        message,
        Ok(InboundMessage {
            message_sid: "SM0123456789abcdef0123456789abcdef".to_owned(),
            account_sid: "AC0123456789abcdef0123456789abcdef".to_owned(),
            from: TwilioAddress::phone("+14155551234"),
            to: TwilioAddress::phone("+15005550006"),
            body: "Hi, I need a quote".to_owned(),
            num_media: 0,
            profile_name: None,
            wa_id: None,
        })
    );
}

#[test]
fn parses_an_inbound_whatsapp_message() {
    let message =
        InboundMessage::from_form(&parse_form(WHATSAPP.as_bytes())).map_err(|e| e.to_string());
    let Ok(message) = message else {
        panic!("{message:?}")
    };
    assert_eq!(message.from.kind(), AddressKind::WhatsApp);
    assert_eq!(message.from.number(), "+971501234567");
    assert_eq!(message.from.to_string(), "whatsapp:+971501234567");
    assert_eq!(message.to.number(), "+14155238886");
    assert_eq!(message.body, "مرحبا");
    assert_eq!(message.profile_name.as_deref(), Some("سارة"));
    assert_eq!(message.wa_id.as_deref(), Some("971501234567"));
    assert_eq!(message.num_media, 1);
}

#[test]
fn each_missing_required_field_is_named() {
    for field in ["MessageSid", "AccountSid", "From", "To"] {
        assert_eq!(
            InboundMessage::from_form(&without(SMS, field)),
            Err(FormError::Missing(field))
        );
        assert_eq!(
            InboundMessage::from_form(&with(SMS, field, " ")),
            Err(FormError::Missing(field))
        );
    }
    for field in ["CallSid", "AccountSid", "CallStatus", "From", "To"] {
        assert_eq!(
            VoiceStatusCallback::from_form(&without(CALL, field)),
            Err(FormError::Missing(field))
        );
    }
    for field in ["MessageSid", "MessageStatus"] {
        assert_eq!(
            MessageStatusCallback::from_form(&without(STATUS, field)),
            Err(FormError::Missing(field))
        );
    }
}

#[test]
fn media_only_messages_have_an_empty_body() {
    let message = InboundMessage::from_form(&without(SMS, "Body")).map(|m| m.body);
    assert_eq!(message, Ok(String::new()));
}

#[test]
fn rejects_malformed_values() {
    let cases = [
        with(SMS, "MessageSid", "CA0123456789abcdef0123456789abcdef"),
        with(SMS, "MessageSid", "SM<script>"),
        with(SMS, "AccountSid", "SM0123456789abcdef0123456789abcdef"),
        with(SMS, "NumMedia", "-1"),
        with(SMS, "NumMedia", "many"),
        with(SMS, "From", "messenger:12345"),
        with(SMS, "From", "whatsapp:"),
        with(SMS, "From", "whatsapp:+14155551234"),
    ];
    for pairs in cases {
        assert!(
            matches!(
                InboundMessage::from_form(&pairs),
                Err(FormError::Invalid { .. })
            ),
            "{pairs:?}"
        );
    }
    assert!(matches!(
        MessageStatusCallback::from_form(&with(STATUS, "ErrorCode", "x")),
        Err(FormError::Invalid {
            field: "ErrorCode",
            ..
        })
    ));
}

#[test]
fn parses_a_missed_call() {
    let call =
        VoiceStatusCallback::from_form(&parse_form(CALL.as_bytes())).map_err(|e| e.to_string());
    let Ok(call) = call else { panic!("{call:?}") };
    assert_eq!(call.call_sid, "CA0123456789abcdef0123456789abcdef");
    assert_eq!(call.call_status, CallStatus::NoAnswer);
    assert_eq!(call.direction, Some(CallDirection::Inbound));
    assert_eq!(call.caller(), Some(TwilioAddress::phone("+14155551234")));
    assert_eq!(call.to, "+15005550006");
}

#[test]
fn only_unanswered_calls_count_as_missed() {
    let cases = [
        ("no-answer", true),
        ("busy", true),
        ("failed", true),
        ("canceled", true),
        ("completed", false),
        ("in-progress", false),
        ("ringing", false),
        ("queued", false),
        ("something-new", false),
    ];
    for (status, missed) in cases {
        let call = VoiceStatusCallback::from_form(&with(CALL, "CallStatus", status))
            .map(|c| c.call_status.is_missed());
        assert_eq!(call, Ok(missed), "{status}");
    }
}

#[test]
fn anonymous_callers_cannot_be_texted_back() {
    for from in [
        "anonymous",
        "client:alice",
        "sip:bob@example.com",
        "+",
        "+12ab",
    ] {
        let call = VoiceStatusCallback::from_form(&with(CALL, "From", from)).map(|c| c.caller());
        assert_eq!(call, Ok(None), "{from}");
    }
}

#[test]
fn parses_a_delivery_status() {
    let status = MessageStatusCallback::from_form(&parse_form(STATUS.as_bytes()));
    assert_eq!(
        status,
        Ok(MessageStatusCallback {
            message_sid: "SM0123456789abcdef0123456789abcdef".to_owned(),
            account_sid: Some("AC0123456789abcdef0123456789abcdef".to_owned()),
            status: MessageStatus::Undelivered,
            error_code: Some(30003),
        })
    );
    let delivered = with(STATUS, "MessageStatus", "delivered");
    let delivered: Vec<_> = delivered
        .into_iter()
        .filter(|(k, _)| k != "ErrorCode")
        .collect();
    let parsed =
        MessageStatusCallback::from_form(&delivered).map(|s| (s.status.is_failure(), s.error_code));
    assert_eq!(parsed, Ok((false, None)));
}

#[test]
fn empty_twiml_is_a_bare_response() {
    assert!(EMPTY_TWIML.ends_with("<Response></Response>"));
    assert!(EMPTY_TWIML.starts_with("<?xml"));
}

#[test]
fn statuses_map_to_stored_delivery_states() {
    let cases = [
        ("queued", Some(DeliveryStatus::Sent)),
        ("sent", Some(DeliveryStatus::Sent)),
        ("delivered", Some(DeliveryStatus::Delivered)),
        ("read", Some(DeliveryStatus::Delivered)),
        ("undelivered", Some(DeliveryStatus::Failed)),
        ("failed", Some(DeliveryStatus::Failed)),
        ("partially_delivered", None),
    ];
    for (raw, expected) in cases {
        let parsed = MessageStatusCallback::from_form(&with(STATUS, "MessageStatus", raw))
            .map(|s| s.status.delivery_status());
        assert_eq!(parsed, Ok(expected), "{raw}");
    }
}

#[test]
fn addresses_convert_to_domain_numbers() {
    let whatsapp = TwilioAddress::parse("From", "whatsapp:+971501234567");
    assert_eq!(
        whatsapp.as_ref().map(TwilioAddress::number_kind),
        Ok(NumberKind::Whatsapp)
    );
    assert_eq!(
        whatsapp
            .ok()
            .and_then(|a| a.phone_number().ok())
            .map(|p| p.as_str().to_owned()),
        Some("+971501234567".to_owned())
    );
    assert_eq!(
        TwilioAddress::phone("+15005550006").number_kind(),
        NumberKind::Sms
    );
    // A short code is a valid Twilio sender but not a phone number a lead can have.
    assert!(TwilioAddress::phone("12345").phone_number().is_err());
}
