//! `SmtpMailer` against a tiny local SMTP server written here.

use std::time::Duration;

use base64::Engine as _;
use lead_channels::email::{EmailError, OutgoingEmail, SmtpConfig, SmtpMailer, SmtpSecurity};
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

/// What the sink received in one SMTP session.
#[derive(Debug, Default)]
pub(crate) struct Received {
    pub(crate) mail_from: String,
    pub(crate) rcpt_to: Vec<String>,
    pub(crate) data: String,
}

/// Accepts one SMTP session, answering `rcpt_reply` to RCPT, and returns what it received.
pub(crate) async fn smtp_sink(
    rcpt_reply: &'static str,
) -> (u16, tokio::task::JoinHandle<std::io::Result<Received>>) {
    let listener = match TcpListener::bind("127.0.0.1:0").await {
        Ok(listener) => listener,
        Err(e) => panic!("binding the sink: {e}"),
    };
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    let handle = tokio::spawn(async move {
        let (stream, _) = listener.accept().await?;
        let (read, mut write) = stream.into_split();
        let mut lines = BufReader::new(read).lines();
        let mut received = Received::default();
        write.write_all(b"220 sink.local ESMTP ready\r\n").await?;
        while let Some(line) = lines.next_line().await? {
            let upper = line.to_ascii_uppercase();
            let reply: &str = if upper.starts_with("EHLO") || upper.starts_with("HELO") {
                "250-sink.local\r\n250 8BITMIME\r\n"
            } else if upper.starts_with("MAIL FROM:") {
                received.mail_from = line[10..].trim().to_owned();
                "250 2.1.0 ok\r\n"
            } else if upper.starts_with("RCPT TO:") {
                received.rcpt_to.push(line[8..].trim().to_owned());
                rcpt_reply
            } else if upper == "DATA" {
                write
                    .write_all(b"354 end data with <CR><LF>.<CR><LF>\r\n")
                    .await?;
                while let Some(data_line) = lines.next_line().await? {
                    if data_line == "." {
                        break;
                    }
                    // Undo SMTP dot-stuffing.
                    let data_line = data_line
                        .strip_prefix('.')
                        .filter(|_| data_line.starts_with(".."))
                        .unwrap_or(&data_line);
                    received.data.push_str(data_line);
                    received.data.push('\n');
                }
                "250 2.0.0 queued\r\n"
            } else if upper == "QUIT" {
                write.write_all(b"221 2.0.0 bye\r\n").await?;
                break;
            } else {
                "250 ok\r\n"
            };
            write.write_all(reply.as_bytes()).await?;
        }
        Ok(received)
    });
    (port, handle)
}

pub(crate) fn mailer(port: u16) -> SmtpMailer {
    let config = SmtpConfig {
        host: "127.0.0.1".to_owned(),
        port: Some(port),
        security: SmtpSecurity::Plain,
        credentials: None,
        from: "Acme Leads <leads@acme.example>".to_owned(),
        timeout: Duration::from_secs(5),
    };
    match SmtpMailer::new(&config) {
        Ok(mailer) => mailer,
        Err(e) => panic!("mailer: {e}"),
    }
}

/// Splits a received message into its header block and its base64-decoded body.
pub(crate) fn headers_and_body(data: &str) -> (String, String) {
    let (headers, body) = data.split_once("\n\n").unwrap_or((data, ""));
    let compact: String = body.chars().filter(|c| !c.is_whitespace()).collect();
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(compact)
        .unwrap_or_default();
    (
        headers.to_owned(),
        String::from_utf8(decoded).unwrap_or_default(),
    )
}

#[tokio::test]
async fn delivers_an_arabic_email_to_the_sink() {
    let (port, sink) = smtp_sink("250 2.1.5 ok\r\n").await;
    let body = "شكراً لتواصلك مع أكمي. سيتصل بك أحد مستشارينا قريباً.\nThanks for contacting Acme.";
    let email = OutgoingEmail {
        to: "sara@example.com".to_owned(),
        subject: "Your enquiry with Acme".to_owned(),
        body: body.to_owned(),
        from_name: Some("شركة أكمي".to_owned()),
    };

    let sent = mailer(port).send(&email).await;

    assert!(sent.is_ok(), "{sent:?}");
    let received = match sink.await {
        Ok(Ok(received)) => received,
        other => panic!("sink: {other:?}"),
    };
    assert_eq!(received.mail_from, "<leads@acme.example>");
    assert_eq!(received.rcpt_to, vec!["<sara@example.com>".to_owned()]);
    let (headers, decoded) = headers_and_body(&received.data);
    assert!(
        headers
            .lines()
            .any(|l| l == "Subject: Your enquiry with Acme"),
        "{headers}"
    );
    assert!(
        headers.lines().any(|l| l == "To: sara@example.com"),
        "{headers}"
    );
    // The display name is encoded (RFC 2047) and the address stays the configured one.
    assert!(
        headers
            .lines()
            .any(|l| l.starts_with("From: =?utf-8?") && l.ends_with(" <leads@acme.example>")),
        "{headers}"
    );
    assert!(
        headers
            .lines()
            .any(|l| l.eq_ignore_ascii_case("Content-Type: text/plain; charset=utf-8")),
        "{headers}"
    );
    assert_eq!(decoded.replace("\r\n", "\n"), body);
}

#[tokio::test]
async fn a_refused_recipient_is_permanent() {
    let (port, _sink) = smtp_sink("550 5.1.1 no such user\r\n").await;
    let email = OutgoingEmail {
        to: "nobody@example.com".to_owned(),
        subject: "s".to_owned(),
        body: "b".to_owned(),
        from_name: None,
    };

    let error = mailer(port).send(&email).await;

    assert!(matches!(error, Err(EmailError::Rejected(_))), "{error:?}");
    assert!(!error.is_err_and(|e| e.is_retryable()));
}

#[tokio::test]
async fn a_temporary_refusal_is_retryable() {
    let (port, _sink) = smtp_sink("451 4.3.0 try again later\r\n").await;
    let email = OutgoingEmail {
        to: "sara@example.com".to_owned(),
        subject: "s".to_owned(),
        body: "b".to_owned(),
        from_name: None,
    };

    let error = mailer(port).send(&email).await;

    assert!(
        error.as_ref().is_err_and(EmailError::is_retryable),
        "{error:?}"
    );
}

#[tokio::test]
async fn an_invalid_recipient_is_refused_before_connecting() {
    let email = OutgoingEmail {
        to: "not an address".to_owned(),
        subject: "s".to_owned(),
        body: "b".to_owned(),
        from_name: None,
    };
    // Nothing listens on this port; the address check must fail first.
    let error = mailer(1).send(&email).await;
    assert!(
        matches!(error, Err(EmailError::InvalidRecipient)),
        "{error:?}"
    );
}
