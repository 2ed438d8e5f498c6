//! Property tests: the parsers and the signature code never panic, and signing round-trips.

use lead_channels::optout;
use lead_channels::signature::{RequestUrlParts, RequestValidator, parse_form, url_variants};
use lead_channels::twilio::{InboundMessage, MessageStatusCallback, VoiceStatusCallback};
use proptest::prelude::*;
use secrecy::SecretString;

fn validator() -> RequestValidator {
    RequestValidator::new(SecretString::from("12345"))
}

/// Field names the parsers look at, mixed with noise, so generated forms hit every branch.
fn field_name() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("MessageSid".to_owned()),
        Just("AccountSid".to_owned()),
        Just("From".to_owned()),
        Just("To".to_owned()),
        Just("Body".to_owned()),
        Just("NumMedia".to_owned()),
        Just("CallSid".to_owned()),
        Just("CallStatus".to_owned()),
        Just("MessageStatus".to_owned()),
        Just("ErrorCode".to_owned()),
        any::<String>(),
    ]
}

fn field_value() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("SM0123456789abcdef0123456789abcdef".to_owned()),
        Just("AC0123456789abcdef0123456789abcdef".to_owned()),
        Just("CA0123456789abcdef0123456789abcdef".to_owned()),
        Just("whatsapp:+971501234567".to_owned()),
        Just("+15005550006".to_owned()),
        "[0-9-]{0,12}",
        any::<String>(),
    ]
}

proptest! {
    #[test]
    fn form_parsers_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let pairs = parse_form(&body);
        let _ = InboundMessage::from_form(&pairs);
        let _ = VoiceStatusCallback::from_form(&pairs);
        let _ = MessageStatusCallback::from_form(&pairs);
    }

    #[test]
    fn structured_forms_never_panic(pairs in proptest::collection::vec((field_name(), field_value()), 0..16)) {
        let _ = InboundMessage::from_form(&pairs);
        let _ = VoiceStatusCallback::from_form(&pairs).map(|c| c.caller());
        let _ = MessageStatusCallback::from_form(&pairs);
    }

    #[test]
    fn signature_checks_never_panic(url in any::<String>(), body in any::<Vec<u8>>(), signature in any::<String>()) {
        let pairs = parse_form(&body);
        let _ = validator().validate_form(&url, &pairs, &signature);
        let _ = validator().validate_json(&url, &body, &signature);
        let _ = url_variants(&url);
    }

    #[test]
    fn url_rebuilding_never_panics(
        base in proptest::option::of(any::<String>()),
        proto in proptest::option::of(any::<String>()),
        host in proptest::option::of(any::<String>()),
        path in any::<String>(),
    ) {
        let parts = RequestUrlParts {
            public_base_url: base.as_deref(),
            forwarded_proto: proto.as_deref(),
            forwarded_host: host.as_deref(),
            host: Some("localhost"),
            scheme: "http",
            path_and_query: &path,
        };
        let _ = parts.twilio_url();
    }

    #[test]
    fn a_computed_signature_always_validates(
        host in "[a-z]{1,12}\\.example",
        path in "(/[a-zA-Z0-9._-]{0,8}){0,4}",
        pairs in proptest::collection::vec((any::<String>(), any::<String>()), 0..8),
    ) {
        let url = format!("https://{host}{path}");
        let signature = validator().compute_signature(&url, &pairs);
        prop_assert_eq!(validator().validate_form(&url, &pairs, &signature), Ok(()));
        let mut reversed = pairs.clone();
        reversed.reverse();
        prop_assert_eq!(validator().validate_form(&url, &reversed, &signature), Ok(()));
    }

    #[test]
    fn a_signed_json_body_always_validates(body in any::<Vec<u8>>(), query in "[a-z]{1,6}=[a-z0-9]{0,6}") {
        let url = format!(
            "https://leads.example.com/webhooks/x?{query}&bodySHA256={}",
            lead_channels::signature::body_sha256_hex(&body)
        );
        let signature = validator().compute_signature::<&str, &str>(&url, &[]);
        prop_assert_eq!(validator().validate_json(&url, &body, &signature), Ok(()));
        let mut altered = body.clone();
        altered.push(b' ');
        prop_assert!(validator().validate_json(&url, &altered, &signature).is_err());
    }

    #[test]
    fn opt_out_detection_never_panics(message in any::<String>()) {
        let _ = optout::classify(&message);
    }
}
