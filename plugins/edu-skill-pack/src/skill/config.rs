//! The tenant's configuration: institution, course catalog, campuses, script overrides and the
//! returning-student offer. Every field is optional so `{}` works; the catalog is empty until
//! the tenant fills it, because prices and seats must come from the tenant.

use std::collections::BTreeMap;

use serde::Deserialize;

/// The whole tenant configuration of the skill pack.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct EduConfig {
    /// The institution's name, used as `{institution}`.
    pub institution: Option<String>,
    /// A consultation phone number, used as `{hotline}`.
    pub hotline: Option<String>,
    pub courses: Vec<Course>,
    pub campuses: Vec<Campus>,
    /// Scripts to add (new id) or to override field by field (existing id).
    pub scripts: Vec<ScriptDef>,
    /// Ids of bundled scripts to switch off.
    pub disabled_scripts: Vec<String>,
    /// The customer tag that marks a returning student (default `returning_student`).
    pub returning_tag: Option<String>,
    /// The returning-student offer, e.g. `老学员续报9折`.
    pub returning_discount: Option<String>,
    /// How many courses a recommendation lists (default 3).
    pub recommend_limit: Option<usize>,
    /// The lowest match score that answers (default [`DEFAULT_MIN_SCORE`]).
    pub min_score: Option<f32>,
    /// The tenant's own policy texts and other template variables (`trial_policy`,
    /// `refund_policy`, `promotions`, …).
    pub vars: BTreeMap<String, String>,
}

/// The score a script needs to answer when the tenant does not say otherwise.
pub const DEFAULT_MIN_SCORE: f32 = 1.0;

impl EduConfig {
    pub fn returning_tag(&self) -> &str {
        self.returning_tag
            .as_deref()
            .filter(|t| !t.trim().is_empty())
            .unwrap_or("returning_student")
    }

    pub fn recommend_limit(&self) -> usize {
        self.recommend_limit.unwrap_or(3).clamp(1, 10)
    }

    pub fn min_score(&self) -> f32 {
        self.min_score.unwrap_or(DEFAULT_MIN_SCORE)
    }
}

/// One course of the tenant's catalog.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Course {
    pub id: String,
    pub name: String,
    pub subject: Option<String>,
    pub min_age: Option<f32>,
    pub max_age: Option<f32>,
    /// Grade wording (`小学1-3年级`, `初中`) or grade numbers (1–12).
    pub grades: Vec<GradeSpec>,
    pub campus: Option<String>,
    pub price: Option<Price>,
    pub seats_left: Option<i64>,
    pub schedule: Option<String>,
    pub teacher: Option<String>,
    /// Other names customers use for the course (`新概念`, `NCE`).
    pub keywords: Vec<String>,
    /// What the course teaches, used as `{course_desc}`.
    pub description: Option<String>,
    /// Class size wording (`6-8人小班`), used as `{course_class_size}`.
    pub class_size: Option<String>,
}

impl Course {
    /// The id, or the name when the tenant gave no id.
    pub fn key(&self) -> &str {
        if self.id.trim().is_empty() {
            &self.name
        } else {
            &self.id
        }
    }
}

/// A grade as wording or as a number.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum GradeSpec {
    Number(i32),
    Text(String),
}

/// A price as the tenant wrote it (`"2980元/期"`) or as a number of yuan.
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Price {
    Number(f64),
    Text(String),
}

impl Price {
    /// The text shown to the customer; `None` for an empty or negative price, which is no data.
    pub fn display(&self) -> Option<String> {
        match self {
            Price::Number(n) if *n < 0.0 || !n.is_finite() => None,
            Price::Number(n) if n.fract() == 0.0 => Some(format!("{}元", *n as i64)),
            Price::Number(n) => Some(format!("{n:.2}元")),
            Price::Text(t) => Some(t.trim().to_owned()).filter(|t| !t.is_empty()),
        }
    }
}

/// One campus.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct Campus {
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub hours: Option<String>,
}

/// A script as written in `data/scripts.jsonl` or in the tenant's `scripts` (where every field
/// but `id` may be left out to keep the bundled value).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ScriptDef {
    pub id: String,
    pub topic: Option<String>,
    pub intents: Option<Vec<String>>,
    /// Trigger patterns: `a|b` any of, `a|b&c|d` both groups.
    pub keywords: Option<Vec<String>>,
    /// Patterns that veto the script.
    pub exclude: Option<Vec<String>>,
    pub answer: Option<String>,
    /// Added to the score; breaks ties between scripts.
    pub priority: Option<f32>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_empty_config_parses_with_defaults() {
        let c: EduConfig = serde_json::from_str("{}").unwrap();
        assert!(c.courses.is_empty());
        assert_eq!(c.returning_tag(), "returning_student");
        assert_eq!(c.recommend_limit(), 3);
        assert_eq!(c.min_score(), DEFAULT_MIN_SCORE);
    }

    #[test]
    fn prices_and_grades_take_numbers_or_text() {
        let c: EduConfig = serde_json::from_str(
            r#"{"courses": [
                {"id": "a", "name": "A", "price": 2980, "grades": [1, "小学4-6年级"]},
                {"id": "b", "name": "B", "price": "1680元/学期"},
                {"name": "C", "price": ""}
            ]}"#,
        )
        .unwrap();
        assert_eq!(
            c.courses[0].price.as_ref().unwrap().display().unwrap(),
            "2980元"
        );
        assert_eq!(
            c.courses[1].price.as_ref().unwrap().display().unwrap(),
            "1680元/学期"
        );
        assert_eq!(c.courses[2].price.as_ref().unwrap().display(), None);
        assert_eq!(c.courses[2].key(), "C");
        assert!(matches!(c.courses[0].grades[1], GradeSpec::Text(_)));
    }
}
