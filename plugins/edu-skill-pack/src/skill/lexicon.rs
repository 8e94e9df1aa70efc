//! The pack's fixed word lists (child and adult words, grade words, subjects, hand-off and
//! discount words) in one automaton, built once per instance, so a message is scanned once for
//! all of them instead of once per word.

use std::sync::OnceLock;

use super::words::{Hits, WordSet, WordSetBuilder};
use super::{DEFER_WORDS, DISCOUNT_WORDS, catalog, segment};

/// The ids of each list's words in one [`WordSet`], in the lists' order.
#[derive(Debug)]
pub struct Lexicon {
    set: WordSet,
    pub child: Vec<u32>,
    pub self_student: Vec<u32>,
    pub adult: Vec<u32>,
    /// [`segment::KINDER_YEARS`], in order.
    pub kinder_years: Vec<u32>,
    /// `幼儿园`.
    pub kindergarten: u32,
    /// [`segment::STAGE_WORDS`], in order.
    pub stage_words: Vec<u32>,
    /// The words of each subject of [`catalog::SUBJECTS`], in order.
    pub subjects: Vec<Vec<u32>>,
    pub defer: Vec<u32>,
    pub discount: Vec<u32>,
}

impl Lexicon {
    fn new() -> Lexicon {
        let mut b = WordSetBuilder::new();
        let mut list = |words: &mut dyn Iterator<Item = &str>| -> Vec<u32> {
            words.map(|w| b.add(w)).collect()
        };
        let child = list(&mut segment::CHILD_WORDS.iter().copied());
        let self_student = list(&mut segment::SELF_STUDENT.iter().copied());
        let adult = list(&mut segment::ADULT_WORDS.iter().copied());
        let kinder_years = list(&mut segment::KINDER_YEARS.iter().map(|k| k.0));
        let kindergarten = list(&mut std::iter::once("幼儿园"))[0];
        let stage_words = list(&mut segment::STAGE_WORDS.iter().map(|k| k.0));
        let subjects = catalog::SUBJECTS
            .iter()
            .map(|(_, words)| list(&mut words.iter().copied()))
            .collect();
        let defer = list(&mut DEFER_WORDS.iter().copied());
        let discount = list(&mut DISCOUNT_WORDS.iter().copied());
        Lexicon {
            set: b.build(),
            child,
            self_student,
            adult,
            kinder_years,
            kindergarten,
            stage_words,
            subjects,
            defer,
            discount,
        }
    }

    /// The words of the lexicon found in `t` (a normalized text).
    pub fn scan(&self, t: &str) -> Hits {
        self.set.scan(t)
    }

    /// The canonical subjects whose words occur, in [`catalog::SUBJECTS`] order.
    pub fn subjects(&self, hits: &Hits) -> Vec<&'static str> {
        catalog::SUBJECTS
            .iter()
            .zip(&self.subjects)
            .filter(|(_, ids)| hits.any(ids))
            .map(|((s, _), _)| *s)
            .collect()
    }
}

/// The lexicon, built on first use.
pub fn lexicon() -> &'static Lexicon {
    static LEXICON: OnceLock<Lexicon> = OnceLock::new();
    LEXICON.get_or_init(Lexicon::new)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn answers_like_contains() {
        let lex = lexicon();
        for t in [
            "我家孩子上幼儿园大班想学英语和编程",
            "我自己学，成人可以吗，有没有优惠打折",
            "投诉你们经理",
            "",
        ] {
            let hits = lex.scan(t);
            for (w, id) in segment::CHILD_WORDS.iter().zip(&lex.child) {
                assert_eq!(hits.has(*id), t.contains(w), "{w} in {t}");
            }
            assert_eq!(lex.subjects(&hits), catalog::subjects_in(t));
            assert_eq!(
                hits.any(&lex.defer),
                DEFER_WORDS.iter().any(|w| t.contains(w))
            );
            assert_eq!(
                hits.any(&lex.discount),
                DISCOUNT_WORDS.iter().any(|w| t.contains(w))
            );
        }
    }
}
