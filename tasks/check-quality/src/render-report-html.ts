import type { QualityCheckResult, SampleRow } from './checks';
import type { QualityReport } from './quality-report';
import type { RunHistoryPoint, StepRunSummary } from './run-history';

/** Colours of the chart series, in legend order; rejects are always REJECT_COLOUR. */
export const SERIES_COLOURS = ['#1f77b4', '#ff7f0e', '#2ca02c', '#9467bd', '#8c564b', '#17becf', '#bcbd22'];
export const REJECT_COLOUR = '#d62728';

/** Steps whose rows_out are charted: the ones rows flow through. */
const CHARTED = /^(ingest(-.*)?|standardize|mask|build-star-schema)$/;

const esc = (v: unknown): string =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
const fmt = (n: number | undefined): string => (n === undefined ? '' : n.toLocaleString('en-US'));

/** A round upper bound for an axis: 1, 2, 2.5, 5 × 10^k at or above max. */
export function niceMax(max: number): number {
  if (max <= 0) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((v) => v >= max)!;
}

interface ChartFrame {
  readonly width: number;
  readonly height: number;
  readonly left: number;
  readonly right: number;
  readonly top: number;
  readonly bottom: number;
}
const FRAME: ChartFrame = { width: 760, height: 260, left: 70, right: 16, top: 16, bottom: 40 };

/** y axis with 4 grid lines and x labels (MM-DD) at about 10 evenly spaced points. */
function axes(f: ChartFrame, yMax: number, dsList: readonly string[], xOf: (i: number) => number): string {
  const plotH = f.height - f.top - f.bottom;
  const out: string[] = [];
  for (let k = 0; k <= 4; k++) {
    const y = f.top + plotH - (plotH * k) / 4;
    out.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${y}" y2="${y}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${f.left - 6}" y="${y + 4}" text-anchor="end" class="tick">${fmt((yMax * k) / 4)}</text>`);
  }
  const every = Math.max(1, Math.ceil(dsList.length / 10));
  dsList.forEach((ds, i) => {
    if (i % every === 0 || i === dsList.length - 1) out.push(`<text x="${xOf(i)}" y="${f.height - f.bottom + 16}" text-anchor="middle" class="tick">${esc(ds.slice(5))}</text>`);
  });
  out.push(`<line x1="${f.left}" x2="${f.left}" y1="${f.top}" y2="${f.height - f.bottom}" stroke="#999"/>`);
  out.push(`<line x1="${f.left}" x2="${f.width - f.right}" y1="${f.height - f.bottom}" y2="${f.height - f.bottom}" stroke="#999"/>`);
  return out.join('');
}

/** Line chart: rows out of each data step per ds. A step missing on a ds breaks its line there. */
export function renderRowsChart(history: readonly RunHistoryPoint[]): string {
  const names = [...new Set(history.flatMap((p) => p.steps.map((s) => s.name)).filter((n) => CHARTED.test(n)))];
  const value = (p: RunHistoryPoint, name: string) => p.steps.find((s) => s.name === name)?.rows_out;
  const yMax = niceMax(Math.max(0, ...history.flatMap((p) => names.map((n) => value(p, n) ?? 0))));
  const f = FRAME;
  const plotW = f.width - f.left - f.right;
  const plotH = f.height - f.top - f.bottom;
  const xOf = (i: number) => f.left + (history.length === 1 ? plotW / 2 : (plotW * i) / (history.length - 1));
  const yOf = (v: number) => f.top + plotH - (plotH * v) / yMax;
  const series = names.map((name, k) => {
    const colour = SERIES_COLOURS[k % SERIES_COLOURS.length]!;
    const segments: string[][] = [[]];
    const dots: string[] = [];
    history.forEach((p, i) => {
      const v = value(p, name);
      if (v === undefined) return void segments.push([]);
      segments.at(-1)!.push(`${xOf(i).toFixed(1)},${yOf(v).toFixed(1)}`);
      dots.push(`<circle cx="${xOf(i).toFixed(1)}" cy="${yOf(v).toFixed(1)}" r="3.5" fill="${colour}"><title>${esc(name)} ${esc(p.ds)}: ${fmt(v)} rows</title></circle>`);
    });
    const lines = segments.filter((s) => s.length > 1).map((s) => `<polyline points="${s.join(' ')}" fill="none" stroke="${colour}" stroke-width="2.5"/>`);
    return `<g class="series" data-step="${esc(name)}">${lines.join('')}${dots.join('')}</g>`;
  });
  const legend = names.map((n, k) => `<span class="key"><i style="background:${SERIES_COLOURS[k % SERIES_COLOURS.length]}"></i>${esc(n)}</span>`).join('');
  return `<figure id="rows-chart"><figcaption>Rows out per step, last ${history.length} runs</figcaption>
<svg viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}" role="img" aria-label="rows out per step">${axes(f, yMax, history.map((p) => p.ds), xOf)}${series.join('')}</svg>
<div class="legend">${legend}</div></figure>`;
}

/** Bar chart: rows rejected (all steps) per ds, with failed checks marked under the bar. */
export function renderRejectsChart(history: readonly RunHistoryPoint[]): string {
  const rejected = history.map((p) => p.steps.reduce((s, r) => s + r.rows_rejected, 0));
  const yMax = niceMax(Math.max(0, ...rejected));
  const f = FRAME;
  const plotW = f.width - f.left - f.right;
  const plotH = f.height - f.top - f.bottom;
  const slot = plotW / Math.max(history.length, 1);
  const xOf = (i: number) => f.left + slot * (i + 0.5);
  const barW = Math.min(slot * 0.7, 36);
  const bars = history.map((p, i) => {
    const h = (plotH * rejected[i]!) / yMax;
    const failed = p.quality && p.quality.status !== 'passed';
    return (
      `<rect class="bar" data-ds="${esc(p.ds)}" data-rejected="${rejected[i]}" x="${(xOf(i) - barW / 2).toFixed(1)}" y="${(f.top + plotH - h).toFixed(1)}" width="${barW.toFixed(1)}" height="${h.toFixed(1)}" fill="${REJECT_COLOUR}"><title>${esc(p.ds)}: ${fmt(rejected[i])} rows rejected</title></rect>` +
      (failed ? `<text class="failed-mark" x="${xOf(i)}" y="${f.top + plotH - h - 4}" text-anchor="middle">✗</text>` : '')
    );
  });
  return `<figure id="rejects-chart"><figcaption>Rows rejected per run, last ${history.length} runs (✗: quality failed)</figcaption>
<svg viewBox="0 0 ${f.width} ${f.height}" width="${f.width}" height="${f.height}" role="img" aria-label="rows rejected per run">${axes(f, yMax, history.map((p) => p.ds), xOf)}${bars.join('')}</svg></figure>`;
}

function sampleTable(sample: readonly SampleRow[]): string {
  if (sample.length === 0) return '';
  const cols = [...new Set(sample.flatMap((r) => Object.keys(r)))];
  const head = cols.map((c) => `<th>${esc(c)}</th>`).join('');
  const rows = sample.map((r) => `<tr>${cols.map((c) => `<td>${r[c] === null ? '<em>null</em>' : esc(r[c])}</td>`).join('')}</tr>`).join('');
  return `<details><summary>${sample.length} failing row${sample.length > 1 ? 's' : ''} (sample)</summary><table class="sample"><tr>${head}</tr>${rows}</table></details>`;
}

function checkRow(c: QualityCheckResult): string {
  const status = c.status === 'passed' ? 'passed' : c.severity === 'warn' ? 'warned' : 'failed';
  return `<tr class="check ${status}"><td><span class="badge ${status}">${status}</span></td><td>${esc(c.severity)}</td><td><code>${esc(c.name)}</code></td><td class="num">${fmt(c.rows_checked)}</td><td class="num">${fmt(c.failing_rows)}</td><td>${esc(c.message)}${sampleTable(c.sample)}</td></tr>`;
}

function stepRow(s: StepRunSummary): string {
  return `<tr class="step"><td>${esc(s.name)}</td><td><span class="badge ${s.status === 'success' ? 'passed' : s.status === 'skipped' ? 'warned' : 'failed'}">${esc(s.status)}</span></td><td class="num">${fmt(s.rows_in)}</td><td class="num">${fmt(s.rows_out)}</td><td class="num">${fmt(s.rows_rejected)}</td><td class="num">${fmt(s.rows_dropped)}</td><td class="num">${s.duration_s ?? ''}</td><td class="num">${s.peak_rss_mb ?? ''}</td></tr>`;
}

const CSS = `body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}.meta{color:#666}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #eee;padding:5px 8px;text-align:left;vertical-align:top}
th{background:#fafafa}.num{text-align:right;font-variant-numeric:tabular-nums}code{font-size:12px;overflow-wrap:anywhere}#checks td:nth-child(3){min-width:300px;max-width:440px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px}.badge.passed{background:#2e7d32}.badge.failed{background:#c62828}.badge.warned{background:#ef8f00}
.status{font-size:16px;padding:3px 12px}table.sample{margin-top:6px;font-size:12px}table.sample td,table.sample th{padding:2px 6px}
figure{margin:12px 0}figcaption{font-weight:600;margin-bottom:4px}svg .tick{font-size:11px;fill:#555}svg .failed-mark{fill:#c62828;font-size:13px}
.legend{display:flex;gap:16px;flex-wrap:wrap;margin-top:4px}.key i{display:inline-block;width:12px;height:12px;margin-right:5px;vertical-align:-1px}`;

/**
 * The quality report as one self-contained HTML page: inline CSS and SVG charts, no script, no
 * link to anything outside, so it opens from S3, a mail attachment or a laptop without network.
 * Pure: a function of the report.
 */
export function renderReportHtml(report: QualityReport): string {
  const history = report.history ?? [];
  const steps = report.steps ?? [];
  const s = report.summary;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<title>Quality ${esc(report.ds)}: ${esc(report.status)}</title><style>${CSS}</style></head>
<body>
<h1>Data quality for ${esc(report.ds)} <span class="badge status ${report.status === 'passed' ? 'passed' : 'failed'}" id="status">${esc(report.status)}</span></h1>
<p class="meta">${s.passed} passed, ${s.failed} failed, ${s.warned} warned · run ${esc(report.run_id)} · generated ${esc(report.generated_at)}</p>
<h2>Checks</h2>
<table id="checks"><tr><th>status</th><th>severity</th><th>check</th><th class="num">rows checked</th><th class="num">failing rows</th><th>result</th></tr>
${report.checks.map(checkRow).join('\n')}</table>
<h2>Steps of ${esc(report.ds)}</h2>
<table id="steps"><tr><th>step</th><th>status</th><th class="num">rows in</th><th class="num">rows out</th><th class="num">rejected</th><th class="num">dropped</th><th class="num">seconds</th><th class="num">peak RSS MB</th></tr>
${steps.map(stepRow).join('\n')}</table>
<h2>History</h2>
${history.length ? renderRowsChart(history) + renderRejectsChart(history) : '<p>No run reports yet.</p>'}
</body></html>
`;
}
