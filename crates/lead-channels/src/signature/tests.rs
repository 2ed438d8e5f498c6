//! Signature checks against the vectors published in Twilio's helper-library test suites
//! (twilio-python `tests/unit/test_request_validator.py`, twilio-node `spec/validation.spec.js`).

use super::*;

const TOKEN: &str = "12345";
const URL: &str = "https://mycompany.com/myapp.php?foo=1&bar=2";
const SIGNATURE: &str = "RSOYDt4T1cUTdK1PDd93/VVr8B8=";
const BODY: &str = r#"{"property": "value", "boolean": true}"#;
const BODY_HASH: &str = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";

fn validator() -> RequestValidator {
    RequestValidator::new(SecretString::from(TOKEN))
}

fn params() -> Vec<(&'static str, &'static str)> {
    vec![
        ("CallSid", "CA1234567890ABCDE"),
        ("Digits", "1234"),
        ("From", "+14158675309"),
        ("To", "+18005551212"),
        ("Caller", "+14158675309"),
    ]
}

fn check_form(url: &str, params: &[(&str, &str)], signature: &str) -> Result<(), SignatureError> {
    validator().validate_form(url, params, signature)
}

#[test]
fn computes_the_published_signature() {
    assert_eq!(validator().compute_signature(URL, &params()), SIGNATURE);
}

#[test]
fn computes_the_published_body_hash() {
    assert_eq!(body_sha256_hex(BODY.as_bytes()), BODY_HASH);
    assert_eq!(
        body_sha256_hex(b"{}"),
        "44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    );
}

#[test]
fn sorts_keys_and_values_and_drops_duplicates() {
    let params = [
        ("Sid", "CA123"),
        ("SidAccount", "AC123"),
        ("Digits", "5678"),
        ("Digits", "1234"),
        ("Digits", "1234"),
    ];
    assert_eq!(
        validator().compute_signature(URL, &params),
        "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    );
}

#[test]
fn form_parsing_keeps_repeated_keys_for_signing() {
    let pairs = parse_form(b"Sid=CA123&SidAccount=AC123&Digits=5678&Digits=1234&Digits=1234");
    assert_eq!(
        validator().compute_signature(URL, &pairs),
        "IK+Dwps556ElfBT0I3Rgjkr1wJU="
    );
}

#[test]
fn array_parameter_values_are_order_independent() {
    let signature = "83O6e2vORAoJHUNzJjDWN1jz+BA=";
    let a = [
        ("MessagingBinding.Address", "+1325xxxxxxx"),
        ("MessagingBinding.Address", "+1415xxxxxxx"),
    ];
    let b = [
        ("MessagingBinding.Address", "+1415xxxxxxx"),
        ("MessagingBinding.Address", "+1325xxxxxxx"),
    ];
    assert_eq!(check_form(URL, &a, signature), Ok(()));
    assert_eq!(check_form(URL, &b, signature), Ok(()));
}

#[test]
fn accepts_the_published_valid_vectors() {
    let cases = [
        // (url Twilio's helper was given, signature the vector says is valid)
        (URL, SIGNATURE),
        // Any explicit port is stripped for https.
        (
            "https://mycompany.com:1234/myapp.php?foo=1&bar=2",
            SIGNATURE,
        ),
        // An http URL signed with its explicit port.
        (
            "http://mycompany.com:1234/myapp.php?foo=1&bar=2",
            "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=",
        ),
        // Signatures computed with the default port added.
        (URL, "kvajT1Ptam85bY51eRf/AJRuM3w="),
        (
            "http://mycompany.com/myapp.php?foo=1&bar=2",
            "0ZXoZLH/DfblKGATFgpif+LLRf4=",
        ),
        // Credentials in the URL are part of what is signed.
        (
            "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2",
            "CukzLTc1tT5dXEDIHm/tKBanW10=",
        ),
        (
            "https://user@mycompany.com/myapp.php?foo=1&bar=2",
            "2YRLlVAflCqxaNicjMpJcSTgzSs=",
        ),
        (
            "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2",
            "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=",
        ),
        // A quote in the query is signed percent-encoded.
        (
            "https://mycompany.com/myapp.php?foo=1&bar=2&Body=It's+amazing",
            "TfZzewPq8wqrGlMfyAud8+/IvJ0=",
        ),
    ];
    for (url, signature) in cases {
        assert_eq!(
            check_form(url, &params(), signature),
            Ok(()),
            "{url} with {signature}"
        );
    }
}

#[test]
fn rejects_wrong_signatures() {
    let cases = [
        (URL, "WRONG_SIGNATURE"),
        // A valid signature for another URL.
        ("https://mycompany.com/myapp.php?foo=1&bar=3", SIGNATURE),
        (
            "https://mycompany.com/myapp.php?foo=1&bar=2&somethingUnexpected=true",
            SIGNATURE,
        ),
        // http and https are signed differently.
        ("http://mycompany.com/myapp.php?foo=1&bar=2", SIGNATURE),
        // The right characters in another case.
        (URL, "rsoydt4t1cutdk1pdd93/vvr8b8="),
        // A truncated signature.
        (URL, "RSOYDt4T1cUTdK1PDd93/VVr8B8"),
    ];
    for (url, signature) in cases {
        assert_eq!(
            check_form(url, &params(), signature),
            Err(SignatureError::Mismatch),
            "{url}"
        );
    }
}

#[test]
fn rejects_tampered_parameters() {
    let mut tampered = params();
    tampered[1] = ("Digits", "1235");
    assert_eq!(
        check_form(URL, &tampered, SIGNATURE),
        Err(SignatureError::Mismatch)
    );
    let mut extra = params();
    extra.push(("Body", "hello"));
    assert_eq!(
        check_form(URL, &extra, SIGNATURE),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn rejects_another_accounts_token() {
    let other = RequestValidator::new(SecretString::from("54321"));
    assert_eq!(
        other.validate_form(URL, &params(), SIGNATURE),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn missing_signature_is_its_own_error() {
    assert_eq!(check_form(URL, &params(), ""), Err(SignatureError::Missing));
    assert_eq!(
        check_form(URL, &params(), "   "),
        Err(SignatureError::Missing)
    );
}

#[test]
fn rejects_urls_that_are_not_absolute_http() {
    for url in [
        "/myapp.php",
        "ftp://mycompany.com/x",
        "https://",
        "https://host:port/x",
        "https://[::1/x",
    ] {
        assert!(
            matches!(
                check_form(url, &params(), SIGNATURE),
                Err(SignatureError::InvalidUrl(_))
            ),
            "{url}"
        );
    }
}

#[test]
fn validates_json_bodies_by_hash() {
    let url = format!("{URL}&bodySHA256={BODY_HASH}");
    assert_eq!(
        validator().validate_json(&url, BODY.as_bytes(), "a9nBmqA0ju/hNViExpshrM61xv4="),
        Ok(())
    );
    let empty = format!(
        "{URL}&bodySHA256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a"
    );
    assert_eq!(
        validator().validate_json(&empty, b"{}", "Ldidvp12m26NI7eqEvxnEpkd9Hc="),
        Ok(())
    );
    let short = format!("https://mycompany.com/myapp.php?bodySHA256={BODY_HASH}");
    assert_eq!(
        validator().validate_json(&short, BODY.as_bytes(), "y77kIzt2vzLz71DgmJGsen2scGs="),
        Ok(())
    );
}

#[test]
fn rejects_json_bodies_that_do_not_match() {
    let url = format!("{URL}&bodySHA256={BODY_HASH}");
    let signature = "a9nBmqA0ju/hNViExpshrM61xv4=";
    assert_eq!(
        validator().validate_json(
            &url,
            br#"{"property": "other", "boolean": true}"#,
            signature
        ),
        Err(SignatureError::BodyHashMismatch)
    );
    assert_eq!(
        validator().validate_json(URL, BODY.as_bytes(), SIGNATURE),
        Err(SignatureError::MissingBodyHash)
    );
    assert_eq!(
        validator().validate_json(&url, BODY.as_bytes(), SIGNATURE),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        validator().validate_json(&url, BODY.as_bytes(), ""),
        Err(SignatureError::Missing)
    );
}

#[test]
fn url_variants_cover_ports_both_ways() {
    let variants = url_variants("https://example.com/path?test=param").unwrap_or_default();
    assert!(variants.contains(&"https://example.com/path?test=param".to_owned()));
    assert!(variants.contains(&"https://example.com:443/path?test=param".to_owned()));
    let variants = url_variants("http://example.com:80/path").unwrap_or_default();
    assert!(variants.contains(&"http://example.com/path".to_owned()));
    assert!(variants.contains(&"http://example.com:80/path".to_owned()));
}

fn rebuilt(parts: RequestUrlParts<'_>) -> Result<String, SignatureError> {
    parts.twilio_url()
}

#[test]
fn rebuilds_the_url_from_the_configured_base() {
    let parts = RequestUrlParts {
        public_base_url: Some("https://leads.example.com/"),
        forwarded_proto: Some("http"),
        forwarded_host: Some("evil.example"),
        host: Some("127.0.0.1:8080"),
        scheme: "http",
        path_and_query: "/webhooks/sms/inbound?x=1",
    };
    assert_eq!(
        rebuilt(parts),
        Ok("https://leads.example.com/webhooks/sms/inbound?x=1".to_owned())
    );
    let prefixed = RequestUrlParts {
        public_base_url: Some("https://example.com/api"),
        ..parts
    };
    assert_eq!(
        rebuilt(prefixed),
        Ok("https://example.com/api/webhooks/sms/inbound?x=1".to_owned())
    );
}

#[test]
fn rebuilds_the_url_from_forwarded_headers() {
    let parts = RequestUrlParts {
        public_base_url: None,
        forwarded_proto: Some("https, http"),
        forwarded_host: Some("leads.example.com, proxy.internal"),
        host: Some("127.0.0.1:8080"),
        scheme: "http",
        path_and_query: "/webhooks/missed-call",
    };
    assert_eq!(
        rebuilt(parts),
        Ok("https://leads.example.com/webhooks/missed-call".to_owned())
    );
    let direct = RequestUrlParts {
        forwarded_proto: None,
        forwarded_host: None,
        ..parts
    };
    assert_eq!(
        rebuilt(direct),
        Ok("http://127.0.0.1:8080/webhooks/missed-call".to_owned())
    );
}

#[test]
fn rebuilding_rejects_bad_hosts_and_schemes() {
    let base = RequestUrlParts {
        scheme: "http",
        path_and_query: "/x",
        host: Some("a.example"),
        ..Default::default()
    };
    assert!(rebuilt(RequestUrlParts { host: None, ..base }).is_err());
    assert!(
        rebuilt(RequestUrlParts {
            forwarded_host: Some("a.example/evil@"),
            ..base
        })
        .is_err()
    );
    assert!(
        rebuilt(RequestUrlParts {
            forwarded_proto: Some("gopher"),
            ..base
        })
        .is_err()
    );
    assert!(
        rebuilt(RequestUrlParts {
            path_and_query: "x",
            ..base
        })
        .is_err()
    );
    assert!(
        rebuilt(RequestUrlParts {
            public_base_url: Some("not a url"),
            ..base
        })
        .is_err()
    );
}

#[test]
fn rebuilt_url_validates_a_signed_request() {
    let twilio_saw = "https://leads.example.com/webhooks/sms/inbound";
    let signature = validator().compute_signature(twilio_saw, &params());
    let url = rebuilt(RequestUrlParts {
        forwarded_proto: Some("https"),
        forwarded_host: Some("leads.example.com"),
        host: Some("10.0.0.5:8080"),
        scheme: "http",
        path_and_query: "/webhooks/sms/inbound",
        ..Default::default()
    })
    .unwrap_or_default();
    assert_eq!(check_form(&url, &params(), &signature), Ok(()));
}

#[test]
fn verified_form_returns_pairs_only_when_signed() {
    let body = b"CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309&To=%2B18005551212&Caller=%2B14158675309";
    let pairs = validator().verified_form(URL, body, SIGNATURE);
    assert_eq!(pairs.map(|p| p.len()), Ok(5));
    let tampered = b"CallSid=CA1234567890ABCDE&Digits=9999&From=%2B14158675309&To=%2B18005551212&Caller=%2B14158675309";
    assert_eq!(
        validator().verified_form(URL, tampered, SIGNATURE),
        Err(SignatureError::Mismatch)
    );
}
