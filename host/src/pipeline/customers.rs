//! Customers as the pipeline sees them: the stored profile merged with what the channel says
//! about the customer on this message, and updated from what the stages concluded — tags and
//! profile fields set by the decision rules, tags from analyze plugins, and the segment and
//! profile fields analyze plugins report through annotations:
//!
//! - `customer.segment` = `k12-primary` sets the segment;
//! - `customer.profile.<field>` = value sets a profile field.
//!
//! Profiles are cached in memory (a miss costs one read; a customer never seen costs one read
//! the first time); a changed profile is written with the message.

use std::collections::HashMap;
use std::sync::Mutex;

use super::{CustomerInfo, PipelineResult};
use crate::store::{CustomerRow, Store, StoreError};

/// Customers kept in memory.
const CACHE_CAPACITY: usize = 100_000;

/// Annotation key prefix an analyze plugin uses to set a profile field.
pub const PROFILE_PREFIX: &str = "customer.profile.";
/// Annotation key an analyze plugin uses to set the segment.
pub const SEGMENT_KEY: &str = "customer.segment";

/// See the module docs.
pub struct Customers {
    store: Store,
    cache: Mutex<HashMap<(String, String), Option<CustomerRow>>>,
}

impl Customers {
    pub fn new(store: Store) -> Customers {
        Customers {
            store,
            cache: Mutex::new(HashMap::new()),
        }
    }

    /// The stored customer, if any.
    pub async fn get(&self, tenant: &str, id: &str) -> Result<Option<CustomerRow>, StoreError> {
        let key = (tenant.to_owned(), id.to_owned());
        if let Some(c) = self.lock().get(&key) {
            return Ok(c.clone());
        }
        let row = self.store.customer(tenant, id).await?;
        let mut cache = self.lock();
        if cache.len() >= CACHE_CAPACITY {
            cache.clear();
        }
        cache.insert(key, row.clone());
        Ok(row)
    }

    /// Records a customer just written (or about to be).
    pub fn remember(&self, tenant: &str, row: &CustomerRow) {
        self.lock().insert(
            (tenant.to_owned(), row.customer_id.clone()),
            Some(row.clone()),
        );
    }

    /// Forgets a customer changed elsewhere (the admin API).
    pub fn forget(&self, tenant: &str, id: &str) {
        self.lock().remove(&(tenant.to_owned(), id.to_owned()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<(String, String), Option<CustomerRow>>> {
        self.cache.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The stored profile with what the channel says now laid over it: a name or segment given
/// replaces the stored one, tags and profile fields add up, VIP sticks once set.
pub fn merge(stored: Option<&CustomerRow>, inbound: &CustomerInfo, id: &str) -> CustomerRow {
    let mut row = stored.cloned().unwrap_or_else(|| CustomerRow {
        customer_id: id.to_owned(),
        ..CustomerRow::default()
    });
    if inbound.name.is_some() {
        row.name = inbound.name.clone();
    }
    if inbound.segment.is_some() {
        row.segment = inbound.segment.clone();
    }
    add_tags(&mut row.tags, &inbound.tags);
    row.vip |= inbound.vip;
    for (k, v) in &inbound.profile {
        row.profile.insert(k.clone(), v.clone());
    }
    row
}

fn add_tags(tags: &mut Vec<String>, new: &[String]) {
    for t in new {
        if !t.is_empty() && !tags.contains(t) {
            tags.push(t.clone());
        }
    }
}

/// Applies what the stages concluded about the customer.
pub fn apply(row: &mut CustomerRow, result: &PipelineResult) {
    if let Some(d) = &result.decision {
        add_tags(&mut row.tags, &d.tags);
        for (k, v) in &d.profile {
            row.profile.insert(k.clone(), v.clone());
        }
    }
    add_tags(&mut row.tags, &result.analysis.tags);
    for (k, v) in &result.analysis.annotations {
        if k == SEGMENT_KEY && !v.is_empty() {
            row.segment = Some(v.clone());
        } else if let Some(field) = k.strip_prefix(PROFILE_PREFIX)
            && !field.is_empty()
        {
            row.profile.insert(field.to_owned(), v.clone());
        }
    }
}

/// Whether two profiles differ in anything but the time of the last update.
pub fn differs(a: &CustomerRow, b: Option<&CustomerRow>) -> bool {
    match b {
        None => true,
        Some(b) => {
            a.name != b.name
                || a.tags != b.tags
                || a.segment != b.segment
                || a.vip != b.vip
                || a.profile != b.profile
        }
    }
}

impl From<&CustomerRow> for CustomerInfo {
    fn from(c: &CustomerRow) -> Self {
        CustomerInfo {
            name: c.name.clone(),
            tags: c.tags.clone(),
            segment: c.segment.clone(),
            vip: c.vip,
            profile: c.profile.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::{AnalysisSummary, rules::Decision};

    fn result(decision: Option<Decision>, analysis: AnalysisSummary) -> PipelineResult {
        PipelineResult {
            message_id: "m".into(),
            text: String::new(),
            original_text: String::new(),
            intents: Vec::new(),
            intent_fallback: false,
            analysis,
            reply: None,
            decision,
            handoff: None,
            route: None,
            stages: Vec::new(),
            skipped_plugins: Vec::new(),
        }
    }

    #[test]
    fn inbound_information_is_laid_over_the_stored_profile() {
        let stored = CustomerRow {
            customer_id: "c".into(),
            name: Some("王女士".into()),
            tags: vec!["老学员".into()],
            segment: Some("k12-primary".into()),
            vip: true,
            profile: [("city".to_owned(), "广州".to_owned())].into(),
            updated_at: 1,
        };
        let inbound = CustomerInfo {
            name: None,
            tags: vec!["官网用户".into(), "老学员".into()],
            segment: None,
            vip: false,
            profile: [("grade".to_owned(), "三年级".to_owned())].into(),
        };
        let m = merge(Some(&stored), &inbound, "c");
        assert_eq!(m.name.as_deref(), Some("王女士"));
        assert_eq!(m.tags, vec!["老学员", "官网用户"]);
        assert_eq!(m.segment.as_deref(), Some("k12-primary"));
        assert!(m.vip, "VIP sticks");
        assert_eq!(m.profile.len(), 2);
        assert!(!differs(&stored, Some(&stored)));
        assert!(differs(&m, Some(&stored)));
        assert!(differs(&m, None));
    }

    #[test]
    fn decisions_and_plugin_annotations_update_the_profile() {
        let mut row = merge(None, &CustomerInfo::default(), "c");
        let decision = Decision {
            matched: vec!["r".into()],
            action: None,
            tags: vec!["退款风险".into()],
            profile: vec![("stage".into(), "refund".into())],
        };
        let mut analysis = AnalysisSummary {
            tags: vec!["k12_parent".into()],
            ..AnalysisSummary::default()
        };
        analysis
            .annotations
            .insert("customer.segment".into(), "k12-primary".into());
        analysis
            .annotations
            .insert("customer.profile.child_grade".into(), "3".into());
        analysis
            .annotations
            .insert("sentiment_score".into(), "-0.5".into());
        apply(&mut row, &result(Some(decision), analysis));
        assert_eq!(row.tags, vec!["退款风险", "k12_parent"]);
        assert_eq!(row.segment.as_deref(), Some("k12-primary"));
        assert_eq!(row.profile["stage"], "refund");
        assert_eq!(row.profile["child_grade"], "3");
        assert!(!row.profile.contains_key("sentiment_score"));
    }
}
