//! Line diffs between two config versions: the summary stored with a version
//! (+N −M), the hunks the diff page renders, and a unified diff download.

use similar::{ChangeTag, TextDiff};

/// Lines added and removed going from `old` to `new`.
pub fn summary(old: &str, new: &str) -> (u64, u64) {
    let diff = TextDiff::from_lines(old, new);
    let (mut added, mut removed) = (0, 0);
    for op in diff.ops() {
        for change in diff.iter_changes(op) {
            match change.tag() {
                ChangeTag::Insert => added += 1,
                ChangeTag::Delete => removed += 1,
                ChangeTag::Equal => {}
            }
        }
    }
    (added, removed)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LineKind {
    Same,
    Added,
    Removed,
}

/// One line of a rendered hunk, with its numbers in the old and new text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DiffLine {
    pub kind: LineKind,
    pub old_no: Option<usize>,
    pub new_no: Option<usize>,
    pub text: String,
}

/// Hunks of changed lines with `context` unchanged lines around them.
pub fn hunks(old: &str, new: &str, context: usize) -> Vec<Vec<DiffLine>> {
    let diff = TextDiff::from_lines(old, new);
    diff.grouped_ops(context)
        .iter()
        .map(|group| {
            group
                .iter()
                .flat_map(|op| diff.iter_changes(op))
                .map(|c| DiffLine {
                    kind: match c.tag() {
                        ChangeTag::Equal => LineKind::Same,
                        ChangeTag::Insert => LineKind::Added,
                        ChangeTag::Delete => LineKind::Removed,
                    },
                    old_no: c.old_index().map(|i| i + 1),
                    new_no: c.new_index().map(|i| i + 1),
                    text: c.value().trim_end_matches(['\n', '\r']).to_string(),
                })
                .collect()
        })
        .collect()
}

/// A unified diff (`diff -u` style) with the given file labels.
pub fn unified(old: &str, new: &str, old_label: &str, new_label: &str) -> String {
    TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(old_label, new_label)
        .to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn diffs_count_and_locate_changed_lines() {
        let old = "a\nb\nc\nd\ne\nf\ng\nh\n";
        let new = "a\nb\nC\nd\ne\nf\ng\nh\ni\n";
        assert_eq!(summary(old, new), (2, 1));
        assert_eq!(summary(old, old), (0, 0));
        let h = hunks(old, new, 1);
        assert_eq!(h.len(), 2, "two separate changes with context 1: {h:?}");
        let removed: Vec<_> = h[0]
            .iter()
            .filter(|l| l.kind == LineKind::Removed)
            .collect();
        assert_eq!(removed.len(), 1, "{h:?}");
        assert_eq!(removed[0].text, "c");
        assert_eq!(removed[0].old_no, Some(3));
        let replaced = h[0].iter().find(|l| l.kind == LineKind::Added).unwrap();
        assert_eq!((replaced.text.as_str(), replaced.new_no), ("C", Some(3)));
        let added = h[1].iter().find(|l| l.kind == LineKind::Added).unwrap();
        assert_eq!((added.text.as_str(), added.new_no), ("i", Some(9)));
        let u = unified(old, new, "v1", "v2");
        assert!(u.starts_with("--- v1\n+++ v2\n"), "{u}");
        assert!(u.contains("-c\n+C\n"), "{u}");
    }
}
