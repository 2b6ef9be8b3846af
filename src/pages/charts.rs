//! Server-rendered SVG charts: latency (min–max band and average line) with
//! loss bars under it. No JavaScript; the browser draws it.

use ispmon_scheduler::telemetry::Point;
use maud::{html, Markup, PreEscaped};

const W: f64 = 720.0;
const H: f64 = 180.0;
const LOSS_H: f64 = 30.0;
const PAD_L: f64 = 44.0;
const PAD_B: f64 = 18.0;

fn x(at: i64, from: i64, to: i64) -> f64 {
    PAD_L + (W - PAD_L) * (at - from) as f64 / (to - from).max(1) as f64
}

fn fmt_time(at: i64, span: i64) -> String {
    let dt = chrono::DateTime::from_timestamp(at, 0).unwrap_or_default();
    if span <= 2 * 86_400 {
        dt.format("%H:%M").to_string()
    } else {
        dt.format("%m-%d").to_string()
    }
}

/// A latency/loss chart of `points` over `[from, to)` (unix seconds).
pub fn latency_chart(points: &[Point], from: i64, to: i64, empty_text: &str) -> Markup {
    let top = points
        .iter()
        .filter_map(|p| p.max_ms.or(p.avg_ms))
        .fold(0.0_f64, f64::max)
        .max(1.0);
    let plot_h = H - PAD_B - LOSS_H;
    let y = |ms: f64| plot_h - (plot_h - 8.0) * (ms / top);
    let mut line = String::new();
    let mut band_top = Vec::new();
    let mut band_bottom = Vec::new();
    for p in points {
        let px = x(p.at, from, to);
        if let Some(avg) = p.avg_ms {
            line.push_str(&format!(
                "{}{px:.1},{:.1} ",
                if line.is_empty() { "M" } else { "L" },
                y(avg)
            ));
        }
        if let (Some(lo), Some(hi)) = (p.min_ms, p.max_ms) {
            band_top.push(format!("{px:.1},{:.1}", y(hi)));
            band_bottom.push(format!("{px:.1},{:.1}", y(lo)));
        }
    }
    band_bottom.reverse();
    let band = [band_top, band_bottom].concat().join(" ");
    let bar_w = ((W - PAD_L) / points.len().max(1) as f64).clamp(1.0, 8.0);
    let span = to - from;
    html! {
        svg.chart viewBox={ "0 0 " (W) " " (H) } role="img" aria-label="latency and loss" {
            line x1=(PAD_L) y1=(plot_h) x2=(W) y2=(plot_h) class="axis" {}
            text x="2" y="12" class="label" { (format!("{top:.1} ms")) }
            text x="2" y=(plot_h) class="label" { "0" }
            text x=(PAD_L) y=(H - 2.0) class="label" { (fmt_time(from, span)) }
            text x=(W) y=(H - 2.0) class="label" text-anchor="end" { (fmt_time(to, span)) }
            @if points.is_empty() {
                text x=(W / 2.0) y=(plot_h / 2.0) text-anchor="middle" class="label" { (empty_text) }
            }
            @if !band.is_empty() { polygon points=(band) class="band" {} }
            @if !line.is_empty() { path d=(line) class="avg" {} }
            @for p in points.iter().filter(|p| p.loss_pct > 0.0) {
                @let h = LOSS_H * p.loss_pct / 100.0;
                rect x=(format!("{:.1}", x(p.at, from, to))) y=(format!("{:.1}", H - PAD_B - h)) width=(format!("{bar_w:.1}")) height=(format!("{h:.1}")) class="loss" {}
            }
            (PreEscaped(""))
        }
    }
}

/// An ONT's Rx (dBm) over `[from, to)`: the min–max band and the average,
/// with the good/marginal thresholds as lines.
pub fn rx_chart(
    points: &[ispmon_scheduler::gpon::readings::RxPoint],
    from: i64,
    to: i64,
    thresholds: (f64, f64),
    empty_text: &str,
) -> Markup {
    let (lo_db, hi_db) = (-35.0_f64, -5.0_f64);
    let plot_h = H - PAD_B;
    let y = |db: f64| 4.0 + (plot_h - 8.0) * (hi_db - db.clamp(lo_db, hi_db)) / (hi_db - lo_db);
    let mut line = String::new();
    for p in points {
        if let Some(v) = p.avg {
            line.push_str(&format!(
                "{}{:.1},{:.1} ",
                if line.is_empty() { "M" } else { "L" },
                x(p.at, from, to),
                y(v)
            ));
        }
    }
    let span = to - from;
    html! {
        svg.chart viewBox={ "0 0 " (W) " " (H) } role="img" aria-label="Rx dBm" {
            @for (db, class) in [(thresholds.0, "warn"), (thresholds.1, "bad")] {
                line x1=(PAD_L) y1=(format!("{:.1}", y(db))) x2=(W) y2=(format!("{:.1}", y(db))) class=(format!("threshold {class}")) {}
                text x="2" y=(format!("{:.1}", y(db) + 4.0)) class="label" { (format!("{db:.0}")) }
            }
            text x="2" y="12" class="label" { (format!("{hi_db:.0} dBm")) }
            path d=(line) class="avg" {}
            @for p in points { @if let Some(v) = p.avg { circle cx=(format!("{:.1}", x(p.at, from, to))) cy=(format!("{:.1}", y(v))) r="2" class="dot" {} } }
            text x=(PAD_L) y=(H - 4.0) class="label" { (fmt_time(from, span)) }
            text x=(W - 40.0) y=(H - 4.0) class="label" { (fmt_time(to, span)) }
            @if points.is_empty() { text x=(W / 2.0 - 60.0) y=(H / 2.0) class="label" { (empty_text) } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chart_draws_the_average_line_the_band_and_loss_bars() {
        let pts = vec![
            Point {
                at: 0,
                loss_pct: 0.0,
                avg_ms: Some(1.0),
                min_ms: Some(0.5),
                max_ms: Some(2.0),
            },
            Point {
                at: 50,
                loss_pct: 100.0,
                avg_ms: None,
                min_ms: None,
                max_ms: None,
            },
            Point {
                at: 100,
                loss_pct: 0.0,
                avg_ms: Some(3.0),
                min_ms: Some(2.0),
                max_ms: Some(4.0),
            },
        ];
        let svg = latency_chart(&pts, 0, 100, "no data").into_string();
        // Scale: 4 ms (the highest max) at y 8, 0 ms at y 132; x from 44 to 720.
        assert!(
            svg.contains(r#"<path d="M44.0,101.0 L720.0,39.0 " class="avg">"#),
            "the average line joins the two answered points, skipping the lost one: {svg}"
        );
        assert!(
            svg.contains(
                r#"<polygon points="44.0,70.0 720.0,8.0 720.0,70.0 44.0,116.5" class="band">"#
            ),
            "the band runs along the maxima and back along the minima: {svg}"
        );
        assert_eq!(svg.matches(r#"class="loss""#).count(), 1, "{svg}");
        assert!(
            svg.contains(r#"<rect x="382.0" y="132.0" width="8.0" height="30.0" class="loss">"#),
            "one full-height loss bar at the lost point: {svg}"
        );
        assert!(
            svg.contains(r#"class="label">4.0 ms</text>"#),
            "the scale tops at the highest max: {svg}"
        );
        assert!(!svg.contains("no data"), "{svg}");
        let empty = latency_chart(&[], 0, 100, "no data").into_string();
        assert!(empty.contains(r#"class="label">no data</text>"#), "{empty}");
        for drawn in ["<path", "<polygon", "<rect"] {
            assert!(
                !empty.contains(drawn),
                "nothing drawn without points: {empty}"
            );
        }
    }
}
