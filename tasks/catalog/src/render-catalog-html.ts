import { CATALOG_APP_SCRIPT } from './catalog-app-script';
import type { CatalogModel } from './catalog-model';

const esc = (v: unknown): string =>
  String(v ?? '').replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** JSON safe inside <script>: no "</script>", no "<!--", no U+2028/2029 surprises. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

// The badge colours are the quality report's, so the two pages read alike.
const CSS = `*{box-sizing:border-box}body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;color:#222;background:#fff;display:flex;min-height:100vh}
nav{width:300px;flex:none;border-right:1px solid #e5e5e5;padding:14px;background:#fafafa;position:sticky;top:0;height:100vh;overflow:auto}
nav h1{font-size:17px;margin:0 0 2px}nav h1 a{color:inherit;text-decoration:none}#search{width:100%;padding:6px 8px;margin:10px 0 4px;border:1px solid #ccc;border-radius:4px;font:inherit}
#search-count{color:#666;font-size:12px;min-height:16px}ul{list-style:none;margin:0;padding:0}li.zone-head{margin:10px 0 2px;font-weight:600;text-transform:uppercase;font-size:11px;color:#666;letter-spacing:.04em}
li.item a{display:block;padding:2px 6px;border-radius:3px;color:#1a4d8f;text-decoration:none;overflow-wrap:anywhere;font-size:13px}li.item a:hover{background:#eef3fa}li.item.selected a{background:#1a4d8f;color:#fff}
main{flex:1;padding:18px 26px;min-width:0}h2{font-size:20px;margin:0 0 6px;overflow-wrap:anywhere}h3{font-size:15px;margin:22px 0 6px}.meta{color:#666}
table{border-collapse:collapse;width:100%}th,td{border-bottom:1px solid #eee;padding:4px 8px;text-align:left;vertical-align:top}th{background:#fafafa}table.facts{width:auto}table.facts th{width:130px}
.num{text-align:right;font-variant-numeric:tabular-nums}code{font-size:12px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;color:#fff;font-size:12px;background:#777}.badge.passed{background:#2e7d32}.badge.failed{background:#c62828}.badge.warned{background:#ef8f00}.badge.pii{background:#6a1b9a}
.zone-source{--z:#607d8b}.zone-raw{--z:#8d6e63}.zone-processed{--z:#1976d2}.zone-rejected{--z:#c62828}.zone-masked{--z:#6a1b9a}.zone-curated{--z:#2e7d32}.zone-warehouse{--z:#ef6c00}
.badge[class*=zone-]{background:var(--z)}.graph{overflow:auto;border:1px solid #eee;border-radius:4px;padding:4px}
svg .node rect{fill:#fff;stroke:var(--z);stroke-width:1.5}svg .node text{font-size:12px;fill:#222}svg .node{cursor:pointer}svg .node.current rect{fill:var(--z)}svg .node.current text{fill:#fff;font-weight:600}
svg .edge{stroke:#b0b0b0;stroke-width:1.3}svg .edge.on{stroke:#333;stroke-width:2}svg .tick{font-size:11px;fill:#555}p.description{font-size:15px;max-width:900px}`;

/**
 * The catalog as one self-contained page: the model as JSON inside the page, inline CSS and
 * script, no request to anything outside, so it opens from a file:// URL, a bucket or a mail
 * attachment. Pure: a function of the model.
 */
export function renderCatalogHtml(model: CatalogModel): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:">
<title>${esc(model.pipeline)} data catalog</title><style>${CSS}</style></head>
<body>
<nav><h1><a href="#">${esc(model.pipeline)} data catalog</a></h1><div class="meta">built ${esc(model.generated_at)}<br>lake ${esc(model.lake_root)}</div>
<input id="search" type="search" placeholder="Search datasets, columns, descriptions" autocomplete="off"><div id="search-count"></div>
<ul id="dataset-list"></ul></nav>
<main id="main"><noscript>The catalog needs JavaScript to show its ${model.datasets.length} datasets.</noscript></main>
<script id="catalog-data" type="application/json">${scriptJson(model)}</script>
<script>${CATALOG_APP_SCRIPT}</script>
</body></html>
`;
}
