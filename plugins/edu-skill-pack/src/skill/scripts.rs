//! The script library (话术库): bundled scripts merged with the tenant's additions, overrides
//! and switch-offs, and the scoring that picks the script a message should get.
//!
//! A script's `keywords` are patterns: `学费|收费` matches either word, `试听&收费|收钱`
//! needs a word from each `&` group. A matched word scores by length (a one-character word is
//! weak evidence, a four-character phrase strong), a script scores its best pattern plus a
//! third of the others, plus a bonus when the classifier's top intent is one it serves.

use std::sync::Arc;

use super::config::{EduConfig, ScriptDef};
use super::template::{Template, TemplateError};
use super::words::{Hits, WordSet, WordSetBuilder, contains};

/// One compiled script.
#[derive(Debug, Clone)]
pub struct Script {
    pub id: String,
    pub topic: String,
    pub intents: Vec<String>,
    patterns: Vec<Pattern>,
    exclude: Vec<Pattern>,
    pub answer: String,
    /// `answer`, parsed.
    template: Template,
    pub priority: f32,
}

/// `&`-joined groups of `|`-separated alternatives, normalized.
#[derive(Debug, Clone)]
struct Pattern(Vec<Vec<String>>);

impl Pattern {
    fn parse(s: &str) -> Option<Pattern> {
        let groups: Vec<Vec<String>> = s
            .split('&')
            .map(|g| {
                g.split('|')
                    .map(super::text::normalize)
                    .filter(|a| !a.is_empty())
                    .collect::<Vec<_>>()
            })
            .filter(|g| !g.is_empty())
            .collect();
        (!groups.is_empty()).then_some(Pattern(groups))
    }
}

fn weight(word: &str) -> f32 {
    match word.chars().count() {
        1 => 0.5,
        2 => 1.0,
        3 => 1.3,
        _ => 1.6,
    }
}

/// A [`Pattern`] with each alternative as its word id in the library's [`Index`] and its
/// weight.
#[derive(Debug, Clone)]
struct Compiled(Vec<Vec<(u32, f32)>>);

impl Compiled {
    /// The pattern's score on a text whose words are `hits`, 0 when it does not match.
    fn score(&self, hits: &Hits) -> f32 {
        let mut total = 0.0;
        for group in &self.0 {
            let best = group
                .iter()
                .filter(|(id, _)| hits.has(*id))
                .map(|(_, w)| *w)
                .fold(0.0, f32::max);
            if best == 0.0 {
                return 0.0;
            }
            total += best;
        }
        total
    }
}

/// Bonus for a script that serves the classifier's top intent (a keyword must match too).
const TOP_INTENT_BONUS: f32 = 0.6;
/// Bonus for the runner-up intent.
const SECOND_INTENT_BONUS: f32 = 0.2;

/// Why a script definition was refused.
#[derive(Debug, Clone, PartialEq)]
pub struct ScriptError {
    pub id: String,
    pub reason: String,
}

impl Script {
    fn compile(def: &ScriptDef) -> Result<Script, ScriptError> {
        let err = |reason: &str| ScriptError {
            id: def.id.clone(),
            reason: reason.to_owned(),
        };
        if def.id.trim().is_empty() {
            return Err(err("a script needs an id"));
        }
        let answer = def.answer.clone().ok_or_else(|| err("no answer"))?;
        let template = Template::parse(&answer).map_err(|e| err(&e.to_string()))?;
        let patterns: Vec<Pattern> = def
            .keywords
            .iter()
            .flatten()
            .filter_map(|k| Pattern::parse(k))
            .collect();
        Ok(Script {
            id: def.id.trim().to_owned(),
            topic: def.topic.clone().unwrap_or_else(|| "custom".into()),
            intents: def.intents.clone().unwrap_or_default(),
            patterns,
            exclude: def
                .exclude
                .iter()
                .flatten()
                .filter_map(|k| Pattern::parse(k))
                .collect(),
            answer,
            template,
            priority: def.priority.unwrap_or(0.0),
        })
    }

    /// Renders the script's answer (see [`super::template::render`]).
    pub fn render<'a>(
        &self,
        lookup: &dyn Fn(&str) -> Option<&'a str>,
    ) -> Result<String, TemplateError> {
        self.template.render(lookup)
    }
}

/// A script's patterns compiled against its library's [`Index`].
#[derive(Debug, Clone)]
struct Matcher {
    patterns: Vec<Compiled>,
    exclude: Vec<Compiled>,
}

impl Matcher {
    /// The keyword part of the score (0 when vetoed or unmatched).
    fn keyword_score(&self, hits: &Hits) -> f32 {
        if self.exclude.iter().any(|p| p.score(hits) > 0.0) {
            return 0.0;
        }
        // The matching patterns' scores, best first (on the stack for the usual few patterns;
        // equal scores are equal bit for bit, so the order, and the sum, are the same as a
        // stable sort's).
        let mut buf = [0f32; 16];
        let mut spill = Vec::new();
        let scores: &mut [f32] = if self.patterns.len() <= buf.len() {
            let mut n = 0;
            for p in &self.patterns {
                let s = p.score(hits);
                if s > 0.0 {
                    buf[n] = s;
                    n += 1;
                }
            }
            &mut buf[..n]
        } else {
            spill.extend(
                self.patterns
                    .iter()
                    .map(|p| p.score(hits))
                    .filter(|s| *s > 0.0),
            );
            &mut spill
        };
        scores.sort_unstable_by(|a, b| b.total_cmp(a));
        match scores.split_first() {
            None => 0.0,
            Some((best, rest)) => best + rest.iter().sum::<f32>() / 3.0,
        }
    }
}

/// The keyword words of the bundled library in one automaton, built once and shared by every
/// tenant's library.
#[derive(Debug)]
struct Base {
    words: WordSetBuilder,
    set: WordSet,
}

/// Every keyword word of a library: the bundled ones, found by one scan, and the tenant's own
/// (few) new words, checked one by one.
#[derive(Debug, Clone)]
struct Index {
    base: Arc<Base>,
    /// Words not in `base`; word id `base.len() + i`.
    extra: Vec<String>,
    /// For each word id, the scripts whose (non-excluding) patterns use it.
    scripts_of: Vec<Vec<u32>>,
    /// For each script, its compiled patterns.
    matchers: Vec<Matcher>,
    /// The index of [`RETURNING_LEAD_SCRIPT`](super::RETURNING_LEAD_SCRIPT), if present.
    lead: Option<usize>,
}

impl Index {
    fn new(base: Arc<Base>, scripts: &[Script]) -> Index {
        let mut extra: Vec<String> = Vec::new();
        let mut extra_ids: std::collections::HashMap<String, u32> = Default::default();
        let n_base = base.words.len() as u32;
        let mut id_of = |w: &str| -> u32 {
            if let Some(id) = base.words.get(w).or_else(|| extra_ids.get(w).copied()) {
                return id;
            }
            let id = n_base + extra.len() as u32;
            extra.push(w.to_owned());
            extra_ids.insert(w.to_owned(), id);
            id
        };
        let mut compile = |ps: &[Pattern]| -> Vec<Compiled> {
            ps.iter()
                .map(|p| {
                    Compiled(
                        p.0.iter()
                            .map(|g| g.iter().map(|a| (id_of(a), weight(a))).collect())
                            .collect(),
                    )
                })
                .collect()
        };
        let matchers: Vec<Matcher> = scripts
            .iter()
            .map(|s| Matcher {
                patterns: compile(&s.patterns),
                exclude: compile(&s.exclude),
            })
            .collect();
        let mut scripts_of: Vec<Vec<u32>> = vec![Vec::new(); n_base as usize + extra.len()];
        for (i, m) in matchers.iter().enumerate() {
            for (id, _) in m.patterns.iter().flat_map(|p| p.0.iter().flatten()) {
                let list = &mut scripts_of[*id as usize];
                if list.last() != Some(&(i as u32)) {
                    list.push(i as u32);
                }
            }
        }
        Index {
            lead: scripts
                .iter()
                .position(|s| s.id == super::RETURNING_LEAD_SCRIPT),
            base,
            extra,
            scripts_of,
            matchers,
        }
    }

    fn scan(&self, t: &str) -> Hits {
        let mut hits = self.base.set.scan_listed(t, self.extra.len());
        let n_base = self.base.words.len() as u32;
        for (i, w) in self.extra.iter().enumerate() {
            if contains(t, w) {
                hits.insert(n_base + i as u32);
            }
        }
        hits
    }
}

/// The scripts in force for one tenant.
#[derive(Debug, Clone)]
pub struct Library {
    scripts: Vec<Script>,
    index: Index,
}

impl Default for Library {
    fn default() -> Self {
        Library::with_base(Vec::new(), None)
    }
}

impl Library {
    /// A library of `scripts`, sharing `base` (else indexing the scripts' own words).
    fn with_base(scripts: Vec<Script>, base: Option<Arc<Base>>) -> Library {
        let base = base.unwrap_or_else(|| {
            let mut words = WordSetBuilder::new();
            for s in &scripts {
                for p in s.patterns.iter().chain(&s.exclude) {
                    for a in p.0.iter().flatten() {
                        words.add(a);
                    }
                }
            }
            Arc::new(Base {
                set: words.build(),
                words,
            })
        });
        let index = Index::new(base, &scripts);
        Library { scripts, index }
    }

    /// Parses the bundled `scripts.jsonl`: one script per line, `#` comments and blank lines
    /// allowed. Any bad line is an error (the bundle is ours and must be right).
    pub fn parse_jsonl(text: &str) -> Result<Library, String> {
        let mut scripts: Vec<Script> = Vec::new();
        for (n, line) in text.lines().enumerate() {
            let line = line.trim();
            if line.is_empty() || line.starts_with('#') {
                continue;
            }
            let def: ScriptDef =
                serde_json::from_str(line).map_err(|e| format!("scripts line {}: {e}", n + 1))?;
            if def.keywords.as_ref().is_none_or(Vec::is_empty)
                && def.topic.as_deref() != Some("system")
            {
                return Err(format!(
                    "scripts line {}: {} has no keywords",
                    n + 1,
                    def.id
                ));
            }
            let s = Script::compile(&def)
                .map_err(|e| format!("scripts line {}: {}: {}", n + 1, e.id, e.reason))?;
            if scripts.iter().any(|x| x.id == s.id) {
                return Err(format!("scripts line {}: duplicate id {}", n + 1, s.id));
            }
            scripts.push(s);
        }
        Ok(Library::with_base(scripts, None))
    }

    /// The library with the tenant's changes: `disabled_scripts` removed, `scripts` entries
    /// with a known id override that script field by field, new ids are added. Tenant entries
    /// that cannot compile are skipped and reported.
    pub fn with_tenant(&self, cfg: &EduConfig) -> (Library, Vec<ScriptError>) {
        let mut scripts = self.scripts.clone();
        let mut errors = Vec::new();
        for def in &cfg.scripts {
            let id = def.id.trim();
            match scripts.iter_mut().find(|s| s.id == id) {
                Some(existing) => {
                    let merged = ScriptDef {
                        id: id.to_owned(),
                        topic: def.topic.clone().or(Some(existing.topic.clone())),
                        intents: def.intents.clone().or(Some(existing.intents.clone())),
                        keywords: def.keywords.clone(),
                        exclude: def.exclude.clone(),
                        answer: def.answer.clone().or(Some(existing.answer.clone())),
                        priority: def.priority.or(Some(existing.priority)),
                    };
                    match Script::compile(&merged) {
                        Ok(mut s) => {
                            if def.keywords.is_none() {
                                s.patterns = existing.patterns.clone();
                            }
                            if def.exclude.is_none() {
                                s.exclude = existing.exclude.clone();
                            }
                            *existing = s;
                        }
                        Err(e) => errors.push(e),
                    }
                }
                None => {
                    // A tenant's new script wins a tie with a bundled one.
                    let def = ScriptDef {
                        priority: def.priority.or(Some(0.05)),
                        ..def.clone()
                    };
                    match Script::compile(&def) {
                        Ok(s) if s.patterns.is_empty() => errors.push(ScriptError {
                            id: s.id,
                            reason: "a new script needs keywords".into(),
                        }),
                        Ok(s) => scripts.push(s),
                        Err(e) => errors.push(e),
                    }
                }
            }
        }
        scripts.retain(|s| !cfg.disabled_scripts.iter().any(|d| d.trim() == s.id));
        (
            Library::with_base(scripts, Some(self.index.base.clone())),
            errors,
        )
    }

    pub fn len(&self) -> usize {
        self.scripts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.scripts.is_empty()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Script> {
        self.scripts.iter()
    }

    pub fn get(&self, id: &str) -> Option<&Script> {
        if id == super::RETURNING_LEAD_SCRIPT {
            return self.index.lead.map(|i| &self.scripts[i]);
        }
        self.scripts.iter().find(|s| s.id == id)
    }

    /// Scripts that clear `min_score` on a normalized text, best first (ties keep file order).
    pub fn rank(&self, t: &str, intents: &[(String, f32)], min_score: f32) -> Vec<(&Script, f32)> {
        let hits = self.index.scan(t);
        // Only scripts with a matched word can score; visit them in library order.
        let mut candidates: Vec<u32> = hits
            .found()
            .iter()
            .flat_map(|id| self.index.scripts_of[*id as usize].iter().copied())
            .collect();
        candidates.sort_unstable();
        candidates.dedup();
        let mut ranked: Vec<(&Script, f32)> = candidates
            .into_iter()
            .map(|i| {
                let s = &self.scripts[i as usize];
                (s, self.score(i as usize, &hits, intents))
            })
            .filter(|(_, score)| *score > 0.0 && *score >= min_score)
            .collect();
        ranked.sort_by(|a, b| b.1.total_cmp(&a.1));
        ranked
    }

    /// The full score of script `i`: keywords, the intent bonus and the priority.
    fn score(&self, i: usize, hits: &Hits, intents: &[(String, f32)]) -> f32 {
        let s = &self.scripts[i];
        let k = self.index.matchers[i].keyword_score(hits);
        if k == 0.0 {
            return 0.0;
        }
        let serves = |i: usize| {
            intents
                .get(i)
                .is_some_and(|(label, _)| s.intents.iter().any(|x| x == label))
        };
        let bonus = if serves(0) {
            TOP_INTENT_BONUS
        } else if serves(1) {
            SECOND_INTENT_BONUS
        } else {
            0.0
        };
        k + bonus + s.priority
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const LIB: &str = r#"
# a comment
{"id": "price", "topic": "price", "intents": ["price_inquiry"], "keywords": ["学费|多少钱|收费"], "answer": "[{price}|以顾问报价为准]"}
{"id": "trial.fee", "topic": "trial", "intents": ["enrollment_schedule"], "keywords": ["试听&收费|收钱|免费|要钱"], "answer": "试听说明"}
{"id": "trial.book", "topic": "trial", "intents": ["enrollment_schedule"], "keywords": ["试听|体验课"], "exclude": ["退"], "answer": "帮您预约试听"}
"#;

    fn lib() -> Library {
        Library::parse_jsonl(LIB).unwrap()
    }

    fn best(l: &Library, text: &str) -> Option<String> {
        l.rank(&super::super::text::normalize(text), &[], 1.0)
            .first()
            .map(|(s, _)| s.id.clone())
    }

    #[test]
    fn conjunctions_beat_single_words() {
        let l = lib();
        assert_eq!(best(&l, "试听课要收钱吗").as_deref(), Some("trial.fee"));
        assert_eq!(best(&l, "想约个试听").as_deref(), Some("trial.book"));
        assert_eq!(best(&l, "学费多少").as_deref(), Some("price"));
        assert_eq!(best(&l, "你好"), None);
    }

    #[test]
    fn exclusions_veto_a_script() {
        let l = lib();
        assert_eq!(best(&l, "试听完想退"), None);
    }

    #[test]
    fn the_top_intent_breaks_a_tie() {
        let l = lib();
        let t = "体验课学费";
        let intents = vec![("enrollment_schedule".to_owned(), 0.9)];
        assert_eq!(l.rank(t, &intents, 1.0)[0].0.id, "trial.book");
        let intents = vec![("price_inquiry".to_owned(), 0.9)];
        assert_eq!(l.rank(t, &intents, 1.0)[0].0.id, "price");
    }

    #[test]
    fn an_intent_alone_does_not_answer() {
        let l = lib();
        let intents = vec![("price_inquiry".to_owned(), 1.0)];
        assert!(l.rank("你好", &intents, 0.5).is_empty());
    }

    #[test]
    fn tenants_override_extend_and_disable_scripts() {
        let cfg: EduConfig = serde_json::from_str(
            r#"{
              "scripts": [
                {"id": "price", "answer": "我们的学费请咨询前台"},
                {"id": "parking", "topic": "campus", "keywords": ["停车"], "answer": "地下车库免费停2小时"},
                {"id": "broken", "keywords": ["x"], "answer": "[unclosed"},
                {"id": "nokw", "answer": "no keywords"}
              ],
              "disabled_scripts": ["trial.book"]
            }"#,
        )
        .unwrap();
        let (l, errors) = lib().with_tenant(&cfg);
        assert_eq!(
            errors.iter().map(|e| e.id.as_str()).collect::<Vec<_>>(),
            vec!["broken", "nokw"]
        );
        // Overridden answer, bundled keywords kept.
        assert_eq!(best(&l, "学费多少").as_deref(), Some("price"));
        assert_eq!(l.get("price").unwrap().answer, "我们的学费请咨询前台");
        assert_eq!(l.get("price").unwrap().intents, vec!["price_inquiry"]);
        // Added.
        assert_eq!(best(&l, "能停车吗").as_deref(), Some("parking"));
        // Disabled.
        assert!(l.get("trial.book").is_none());
        assert_eq!(best(&l, "想约个试听"), None);
    }

    #[test]
    fn rejects_a_bad_bundle() {
        assert!(Library::parse_jsonl(r#"{"id": "a", "answer": "x"}"#).is_err());
        assert!(Library::parse_jsonl(r#"{"id": "a", "keywords": ["k"], "answer": "[x"}"#).is_err());
        let dup = "{\"id\": \"a\", \"keywords\": [\"k\"], \"answer\": \"x\"}\n{\"id\": \"a\", \"keywords\": [\"k\"], \"answer\": \"y\"}";
        assert!(Library::parse_jsonl(dup).unwrap_err().contains("duplicate"));
    }
}
