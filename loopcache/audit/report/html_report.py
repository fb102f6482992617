"""`--html report.html`: one self-contained file (inline SVG and CSS, a few lines of inline JS, nothing
fetched), with: hit rate per step, token breakdown per step (for the largest sessions), cost by policy and
a histogram of idle gaps.

The page checks itself when loaded: it measures every chart's rendered bars and writes the result into
`<div id="render-check" data-charts=N data-bars=M data-errors=K data-ok=1|0>`, so a headless browser can
confirm that the charts were drawn and no script error happened.
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from loopcache.audit.audit import AuditReport, SessionAudit
from loopcache.audit.report.svg_chart import Series, bar_chart

GAP_BUCKETS = (("<10s", 0, 10), ("10-60s", 10, 60), ("1-5m", 60, 300), ("5-60m", 300, 3600), ("1-24h", 3600, 86400), (">24h", 86400, float("inf")))
MAX_SESSION_CHARTS = 6

_SELF_CHECK = """
<script>
(function () {
  var errors = 0;
  window.addEventListener("error", function () { errors += 1; });
  function check() {
    var charts = document.querySelectorAll("svg.chart");
    var drawn = 0, bars = 0;
    charts.forEach(function (svg) {
      var visible = 0;
      svg.querySelectorAll("rect.bar").forEach(function (r) {
        var box = r.getBBox();
        if (box.width > 0 && box.height > 0) { visible += 1; }
      });
      bars += visible;
      if (visible > 0 && svg.getBoundingClientRect().width > 0) { drawn += 1; }
    });
    var out = document.getElementById("render-check");
    out.setAttribute("data-charts", String(charts.length));
    out.setAttribute("data-drawn", String(drawn));
    out.setAttribute("data-bars", String(bars));
    out.setAttribute("data-errors", String(errors));
    out.setAttribute("data-ok", (charts.length > 0 && drawn === charts.length && errors === 0) ? "1" : "0");
    out.textContent = "render check: " + drawn + "/" + charts.length + " charts drawn, " + bars + " bars, " + errors + " script errors";
  }
  if (document.readyState === "complete") { check(); } else { window.addEventListener("load", check); }
})();
</script>
"""


def _session_charts(audit: SessionAudit) -> list[str]:
    labels = tuple(str(i + 1) for i in range(len(audit.session.steps)))
    steps = audit.prefix_map.steps
    reported = tuple(
        (s.usage.cached_tokens / steps[i].input_tokens) if s.usage and s.usage.cached_tokens is not None and steps[i].input_tokens else 0.0
        for i, s in enumerate(audit.session.steps)
    )
    overlap = tuple(audit.prefix_map.prefix_overlap_tokens(i) / steps[i].input_tokens if steps[i].input_tokens else 0.0 for i in range(len(steps)))
    sid = escape(audit.session.session_id)
    hit_series = [Series("prefix overlap (recomputed)", overlap)]
    if audit.hit_rate.has_cache_data:
        hit_series.insert(0, Series("hit rate (reported)", reported))
    prefix = tuple(float(audit.prefix_map.prefix_overlap_tokens(i)) for i in range(len(steps)))
    fresh = tuple(float(audit.prefix_map.fresh_tokens(i)) for i in range(len(steps)))
    carried = tuple(max(0.0, steps[i].input_tokens - prefix[i] - fresh[i]) for i in range(len(steps)))
    return [
        bar_chart("hit-rate", f"Hit rate per step - {sid}", labels, tuple(hit_series), percent=True),
        bar_chart(
            "tokens", f"Input tokens per step - {sid}", labels,
            (Series("earlier prompt (prefix)", prefix), Series("previous output", carried), Series("fresh", fresh)), stacked=True,
        ),
    ]


def _gap_histogram(report: AuditReport) -> str:
    """The histogram, or a note when the trace has no timestamps (an empty chart would draw nothing)."""
    gaps = [g for a in report.sessions for g in a.gaps.gaps_s if g is not None]
    if not gaps:
        return "<p>Idle gaps: this trace has no timestamps.</p>"
    counts = tuple(float(sum(1 for g in gaps if lo <= g < hi)) for _, lo, hi in GAP_BUCKETS)
    return bar_chart("gaps", "Idle gaps between steps (count of steps)", tuple(b[0] for b in GAP_BUCKETS), (Series("steps", counts),))


def render_html(report: AuditReport, trace_path: str) -> str:
    sim = report.simulation.overall
    cost = bar_chart("cost", "Cost by cache policy (USD, all sessions)", tuple(s.policy for s in sim), (Series("cost", tuple(s.cost_usd for s in sim)),))
    ranked = sorted(report.sessions, key=lambda a: -sum(s.input_tokens for s in a.prefix_map.steps))[:MAX_SESSION_CHARTS]
    rows = "".join(
        f"<tr><td>{escape(s.policy)}</td><td>{s.computed_tokens:,}</td><td>{s.fresh_tokens:,}</td>"
        f"<td>{'-' if s.amplification is None else f'{s.amplification:.2f}x'}</td>"
        f"<td>{'-' if s.hit_rate is None else f'{100 * s.hit_rate:.1f}%'}</td><td>${s.cost_usd:,.4f}</td></tr>"
        for s in sim
    )
    findings = "".join(
        f"<li><b>{escape(f.kind)}</b> in {escape(a.session.session_id)} step {f.step + 1}: {escape(f.section)} char {f.section_offset}, "
        f"{f.tokens_invalidated:,} tokens invalidated. {escape(f.fix)}</li>"
        for a in report.sessions
        for f in a.dynamic.findings[:20]
    ) or "<li>none: every step extends an earlier prompt</li>"
    charts = [cost, _gap_histogram(report)] + [c for a in ranked for c in _session_charts(a)]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>loopcache audit - {escape(trace_path)}</title>
<style>body{{font-family:sans-serif;margin:24px;max-width:820px}} table{{border-collapse:collapse}}
td,th{{border:1px solid #ccc;padding:3px 8px;text-align:right}} td:first-child{{text-align:left}} svg{{display:block;margin:12px 0}}</style>
</head><body>
<h1>loopcache audit</h1>
<p>{escape(trace_path)} &middot; format {escape(report.trace.format)} &middot; {len(report.sessions)} session(s) &middot; prices dated {escape(report.book.date)}</p>
<div id="render-check" data-ok="0">render check did not run</div>
<h2>Cost by policy</h2>
<table><tr><th>policy</th><th>tokens computed</th><th>fresh</th><th>amplification</th><th>hit rate</th><th>cost</th></tr>{rows}</table>
<h2>Dynamic prompt content</h2><ul>{findings}</ul>
<h2>Charts</h2>
{''.join(charts)}
{_SELF_CHECK}
</body></html>
"""


def write_html(report: AuditReport, trace_path: str, out: Path) -> None:
    out.write_text(render_html(report, trace_path), encoding="utf-8")
