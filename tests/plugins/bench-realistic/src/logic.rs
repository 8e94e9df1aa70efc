//! The scorer's logic, plain Rust with no SDK: compiled into the plugin and, by the benchmark,
//! natively, so the two can be compared on the same work.

/// Keyword weights per intent.
pub struct Model {
    intents: Vec<(String, Vec<(String, f32)>)>,
}

/// Parses `intent<TAB>keyword<TAB>weight` lines.
pub fn parse(text: &str) -> Model {
    let mut intents: Vec<(String, Vec<(String, f32)>)> = Vec::new();
    for line in text
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
    {
        let mut parts = line.split('\t');
        let (Some(intent), Some(keyword), Some(weight)) =
            (parts.next(), parts.next(), parts.next())
        else {
            continue;
        };
        let weight: f32 = weight.trim().parse().unwrap_or(1.0);
        match intents.iter_mut().find(|(i, _)| i == intent) {
            Some((_, list)) => list.push((keyword.to_owned(), weight)),
            None => intents.push((intent.to_owned(), vec![(keyword.to_owned(), weight)])),
        }
    }
    Model { intents }
}

/// Full-width ASCII to half-width, ASCII lower-case, whitespace collapsed.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut space = false;
    for c in text.chars() {
        let c = match c as u32 {
            0xFF01..=0xFF5E => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
            0x3000 => ' ',
            _ => c,
        };
        if c.is_whitespace() {
            if !space && !out.is_empty() {
                out.push(' ');
            }
            space = true;
            continue;
        }
        space = false;
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// Ranked (intent, confidence) by a softmax over keyword scores.
pub fn classify(model: &Model, text: &str) -> Vec<(String, f32)> {
    let text = normalize(text);
    let mut scores: Vec<(String, f32)> = model
        .intents
        .iter()
        .map(|(intent, keywords)| {
            let s: f32 = keywords
                .iter()
                .filter(|(k, _)| text.contains(k.as_str()))
                .map(|(_, w)| *w)
                .sum();
            (intent.clone(), s)
        })
        .collect();
    let max = scores.iter().map(|s| s.1).fold(f32::MIN, f32::max);
    let total: f32 = scores.iter().map(|s| (s.1 - max).exp()).sum();
    for s in &mut scores {
        s.1 = (s.1 - max).exp() / total;
    }
    scores.sort_by(|a, b| b.1.total_cmp(&a.1));
    scores.truncate(5);
    scores
}
