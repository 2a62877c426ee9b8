//! The emails the OAT journey sends, each as plain text and HTML made from one description, so
//! the two never say different things. They are written to the outbox in the same transaction
//! as the change they report.

use crate::store::outbox::NewEmail;

/// One email, built up paragraph by paragraph.
#[derive(Debug, Clone, Default)]
pub struct Letter {
    subject: String,
    greeting: String,
    blocks: Vec<Block>,
    calendar: Option<crate::calendar::CalendarFile>,
}

#[derive(Debug, Clone)]
enum Block {
    Para(String),
    Facts(Vec<(String, String)>),
    Link(String, String),
}

/// HTML-escapes text for an email body or attribute: the escaper Leptos uses for pages.
pub fn escape(s: &str) -> String {
    html_escape::encode_quoted_attribute(s).into_owned()
}

impl Letter {
    pub fn new(subject: impl Into<String>, to_name: &str) -> Self {
        Self {
            subject: subject.into(),
            greeting: format!("Dear {to_name},"),
            blocks: Vec::new(),
            calendar: None,
        }
    }

    pub fn para(mut self, text: impl Into<String>) -> Self {
        self.blocks.push(Block::Para(text.into()));
        self
    }

    /// Label and value pairs, e.g. ("Reference", "OAT-2026-000042"). Empty values are left out.
    pub fn facts(mut self, facts: &[(&str, String)]) -> Self {
        let kept = facts
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect();
        self.blocks.push(Block::Facts(kept));
        self
    }

    /// Attaches a calendar file.
    pub fn calendar(mut self, file: crate::calendar::CalendarFile) -> Self {
        self.calendar = Some(file);
        self
    }

    pub fn link(mut self, text: impl Into<String>, url: impl Into<String>) -> Self {
        self.blocks.push(Block::Link(text.into(), url.into()));
        self
    }

    pub fn text(&self) -> String {
        let mut out = format!("{}\n\n", self.greeting);
        for b in &self.blocks {
            match b {
                Block::Para(p) => out.push_str(&format!("{p}\n\n")),
                Block::Facts(f) => {
                    for (k, v) in f {
                        out.push_str(&format!("{k}: {v}\n"));
                    }
                    out.push('\n');
                }
                // The address on a line of its own, so a mail program shows it whole.
                Block::Link(t, u) => out.push_str(&format!("{t}:\n{u}\n\n")),
            }
        }
        out.push_str("Pensions Dashboards Programme\n");
        out
    }

    pub fn html(&self) -> String {
        let mut out = format!("<p>{}</p>", escape(&self.greeting));
        for b in &self.blocks {
            match b {
                Block::Para(p) => {
                    out.push_str(&format!("<p>{}</p>", escape(p).replace('\n', "<br>")))
                }
                Block::Facts(f) => {
                    let lines: Vec<String> = f
                        .iter()
                        .map(|(k, v)| format!("{}: <strong>{}</strong>", escape(k), escape(v)))
                        .collect();
                    out.push_str(&format!("<p>{}</p>", lines.join("<br>")));
                }
                Block::Link(t, u) => out.push_str(&format!(
                    "<p><a href=\"{}\">{}</a></p>",
                    escape(u),
                    escape(t)
                )),
            }
        }
        out.push_str("<p>Pensions Dashboards Programme</p>");
        out
    }

    /// The outbox row for this letter to one recipient.
    pub fn to(&self, idempotency_key: String, recipient: &str) -> NewEmail {
        NewEmail {
            idempotency_key,
            recipient: recipient.to_string(),
            subject: self.subject.clone(),
            body_text: self.text(),
            body_html: self.html(),
            calendar: self.calendar.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_and_html_say_the_same_and_html_is_escaped() {
        let l = Letter::new("Subject", "Ann <Admin>")
            .para("Line one\nline two")
            .facts(&[("Reference", "OAT-1".into()), ("Empty", " ".into())])
            .link(
                "Follow your request",
                "https://x.example/requests/1?a=1&b=2",
            );
        let text = l.text();
        assert!(text.starts_with("Dear Ann <Admin>,\n\nLine one\nline two\n\nReference: OAT-1\n\n"));
        assert!(!text.contains("Empty"));
        assert!(text.contains("Follow your request:\nhttps://x.example/requests/1?a=1&b=2\n"));
        let html = l.html();
        assert!(html.contains("Dear Ann &lt;Admin&gt;,"));
        assert!(html.contains("Line one<br>line two"));
        assert!(html.contains("Reference: <strong>OAT-1</strong>"));
        assert!(html.contains("href=\"https://x.example/requests/1?a=1&amp;b=2\""));
        let e = l.to("k".into(), "a@x.example");
        assert_eq!(e.subject, "Subject");
        assert_eq!(e.body_text, text);
    }
}
