//! The arithmetic of one host's round: loss, min/avg/max RTT and jitter.

use ispmon_events::host::RoundSample;

/// Summarizes one host's round from its probes in the order they were sent:
/// `Some(rtt_ms)` for an answered probe, `None` for a lost one.
///
/// Loss is the share of probes without an answer, in percent. Jitter is the
/// mean absolute difference between consecutive RTTs of the answered probes
/// (lost probes are skipped), so it needs two answers; RTT figures need one.
pub fn summarize(probes: &[Option<f64>]) -> RoundSample {
    let sent = probes.len() as u32;
    let mut received = 0u32;
    let (mut min, mut max, mut sum) = (f64::INFINITY, f64::NEG_INFINITY, 0.0);
    let (mut prev, mut diffs, mut diff_sum) = (None::<f64>, 0u32, 0.0);
    for rtt in probes.iter().flatten().copied() {
        received += 1;
        min = min.min(rtt);
        max = max.max(rtt);
        sum += rtt;
        if let Some(p) = prev {
            diffs += 1;
            diff_sum += (rtt - p).abs();
        }
        prev = Some(rtt);
    }
    let loss_pct = if sent == 0 {
        100.0
    } else {
        f64::from(sent - received) * 100.0 / f64::from(sent)
    };
    let answered = received > 0;
    RoundSample {
        sent,
        received,
        loss_pct,
        min_ms: answered.then_some(min),
        avg_ms: answered.then(|| sum / f64::from(received)),
        max_ms: answered.then_some(max),
        jitter_ms: (diffs > 0).then(|| diff_sum / f64::from(diffs)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: Option<f64>, b: f64) -> bool {
        a.is_some_and(|a| (a - b).abs() < 1e-9)
    }

    #[test]
    fn all_answered_gives_no_loss_and_the_mean_step_as_jitter() {
        let s = summarize(&[Some(1.0), Some(3.0), Some(2.0), Some(6.0)]);
        assert_eq!((s.sent, s.received), (4, 4));
        assert_eq!(s.loss_pct, 0.0);
        assert!(close(s.min_ms, 1.0));
        assert!(close(s.max_ms, 6.0));
        assert!(close(s.avg_ms, 3.0));
        // |3-1| + |2-3| + |6-2| = 7 over 3 steps
        assert!(close(s.jitter_ms, 7.0 / 3.0));
    }

    #[test]
    fn lost_probes_count_as_loss_and_are_skipped_by_jitter() {
        let s = summarize(&[Some(2.0), None, Some(5.0), None]);
        assert_eq!((s.sent, s.received), (4, 2));
        assert_eq!(s.loss_pct, 50.0);
        assert!(close(s.avg_ms, 3.5));
        assert!(close(s.jitter_ms, 3.0));
    }

    #[test]
    fn one_answer_has_rtts_but_no_jitter() {
        let s = summarize(&[None, None, Some(0.25)]);
        assert_eq!((s.sent, s.received), (3, 1));
        assert!((s.loss_pct - 200.0 / 3.0).abs() < 1e-9);
        assert!(close(s.min_ms, 0.25));
        assert!(close(s.max_ms, 0.25));
        assert_eq!(s.jitter_ms, None);
    }

    #[test]
    fn no_answer_is_total_loss_without_figures() {
        let s = summarize(&[None, None]);
        assert_eq!((s.sent, s.received), (2, 0));
        assert_eq!(s.loss_pct, 100.0);
        assert_eq!(
            (s.min_ms, s.avg_ms, s.max_ms, s.jitter_ms),
            (None, None, None, None)
        );
        assert_eq!(summarize(&[]).loss_pct, 100.0);
    }
}
