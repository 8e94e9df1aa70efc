//! The tenant's configuration (JSON from the host, validated against `manifest.toml`'s schema).
//! Every field is optional: `{}` gives the defaults of quality.md.

use crate::qa::Thresholds;

/// What a tenant can tune.
#[derive(Clone, Debug, Default, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    /// A customer turn waiting longer than this is a `response_timeout` (45).
    pub response_timeout_secs: Option<u64>,
    /// A wait this long for a real answer is friction for the CSAT risk (60).
    pub friction_wait_secs: Option<u64>,
    /// Extra brush-off phrases for `forbidden_phrase`.
    pub forbidden_phrases: Vec<String>,
    /// Use only `forbidden_phrases`, not the defaults.
    pub replace_forbidden_phrases: bool,
    /// Extra closing phrases (`…` stands for a gap of up to 12 characters).
    pub closing_phrases: Vec<String>,
    /// Extra escalation keywords (negation still applies: 不用…).
    pub escalation_keywords: Vec<String>,
    /// Extra negative words for the sentiment lexicon.
    pub negative_words: Vec<String>,
    /// Extra positive words for the sentiment lexicon.
    pub positive_words: Vec<String>,
    /// Do not flag a trailing customer acknowledgement (好的谢谢) that nobody answered.
    pub ignore_trailing_ack: bool,
}

impl Settings {
    /// Parses the tenant configuration.
    pub fn parse(json: &str) -> Result<Settings, String> {
        if json.trim().is_empty() {
            return Ok(Settings::default());
        }
        serde_json::from_str(json).map_err(|e| format!("configuration: {e}"))
    }

    pub fn thresholds(&self) -> Thresholds {
        let d = Thresholds::default();
        Thresholds {
            response_timeout_secs: self
                .response_timeout_secs
                .unwrap_or(d.response_timeout_secs),
            friction_wait_secs: self.friction_wait_secs.unwrap_or(d.friction_wait_secs),
            ignore_trailing_ack: self.ignore_trailing_ack,
        }
    }

    /// Whether the lexicons need the tenant's words.
    pub fn extends_lexicons(&self) -> bool {
        !(self.forbidden_phrases.is_empty()
            && !self.replace_forbidden_phrases
            && self.closing_phrases.is_empty()
            && self.escalation_keywords.is_empty()
            && self.negative_words.is_empty()
            && self.positive_words.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_configuration_gives_the_quality_md_defaults() {
        for json in ["{}", ""] {
            let s = Settings::parse(json).unwrap();
            let t = s.thresholds();
            assert_eq!((t.response_timeout_secs, t.friction_wait_secs), (45, 60));
            assert!(!s.extends_lexicons());
        }
    }

    #[test]
    fn every_key_is_read() {
        let s = Settings::parse(
            r#"{"response_timeout_secs": 30, "friction_wait_secs": 90,
                "forbidden_phrases": ["你看着办"], "replace_forbidden_phrases": true,
                "closing_phrases": ["下次见"], "escalation_keywords": ["消费者之家"],
                "negative_words": ["拉垮"], "positive_words": ["上头"], "ignore_trailing_ack": true}"#,
        )
        .unwrap();
        assert_eq!(s.thresholds().response_timeout_secs, 30);
        assert_eq!(s.thresholds().friction_wait_secs, 90);
        assert!(s.thresholds().ignore_trailing_ack && s.replace_forbidden_phrases);
        assert_eq!(s.forbidden_phrases, ["你看着办"]);
        assert!(s.extends_lexicons());
    }

    #[test]
    fn a_wrong_type_is_an_error() {
        assert!(Settings::parse(r#"{"response_timeout_secs": "soon"}"#).is_err());
    }
}
