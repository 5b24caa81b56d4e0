import type { NodeStatus } from '@berth/core';
import type { FleetDocument } from './http-server';

/**
 * The fleet status page: one self-contained HTML document, no framework, readable on a phone.
 * The server renders the fleet's table into it, so it works without JavaScript; with JavaScript
 * it asks `fleet.html` (the same table, rendered by the same code) once a second and swaps it in.
 */
export function statusPage(
  title: string,
  fleet: FleetDocument | undefined,
  now = Date.now(),
): string {
  const escaped = escapeHtml(title);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>berth · ${escaped}</title>
<noscript><meta http-equiv="refresh" content="10"></noscript>
<style>
  :root { font-family: system-ui, sans-serif; color: #1b1f24; background: #f6f8fa; }
  body { margin: 0 auto; max-width: 64rem; padding: 1rem; }
  h1 { font-size: 1.25rem; margin: 0 0 .25rem; }
  .meta { color: #57606a; font-size: .875rem; margin-bottom: 1rem; word-break: break-all; }
  .summary { font-weight: 600; margin-bottom: .75rem; }
  table { border-collapse: collapse; width: 100%; background: #fff; font-size: .875rem; }
  th, td { text-align: left; padding: .4rem .6rem; border-bottom: 1px solid #d0d7de; vertical-align: top; word-break: break-all; }
  th { color: #57606a; font-weight: 600; }
  tr.node td:first-child { border-left: .35rem solid #2da44e; }
  tr.node.unhealthy td:first-child { border-left-color: #cf222e; }
  tr.node.lagging td:first-child { border-left-color: #bf8700; }
  .error { color: #cf222e; }
  code { font-family: ui-monospace, monospace; }
  @media (max-width: 40rem) {
    table, tbody, tr, td { display: block; width: auto; }
    thead { display: none; }
    tr.node { margin-bottom: .75rem; border: 1px solid #d0d7de; border-left: .35rem solid #2da44e; border-radius: .5rem; padding: .5rem; }
    tr.node.unhealthy { border-left-color: #cf222e; }
    tr.node.lagging { border-left-color: #bf8700; }
    tr.node td, tr.node td:first-child { border: 0; padding: .1rem 0; }
    td[data-label]::before { content: attr(data-label) " "; color: #57606a; }
  }
</style>
</head>
<body>
<h1>berth fleet</h1>
<div id="fleet">${fleetFragment(fleet, now)}</div>
<script>
async function refresh() {
  try {
    const response = await fetch('fleet.html', { cache: 'no-store' });
    if (response.ok) document.getElementById('fleet').innerHTML = await response.text();
  } catch (e) {
    /* the server-rendered table stays; the next second tries again */
  }
}
setInterval(refresh, 1000);
</script>
</body>
</html>
`;
}

/** The part of the page that changes: what the fleet serves, and a row per node. */
export function fleetFragment(fleet: FleetDocument | undefined, now = Date.now()): string {
  if (fleet === undefined)
    return '<div class="summary" id="summary">status unavailable: etcd did not answer</div>';
  const wanted = fleet.wanted;
  const serving = fleet.nodes.filter((n) => wanted !== undefined && n.commit === wanted).length;
  const meta = `key ${fleet.key} · this node ${fleet.node} · updated ${fleet.generatedAt}`;
  const summary = `${fleet.nodes.length} nodes · ${serving} serve ${wanted ? wanted.slice(0, 12) : 'nothing yet'}`;
  const rows = fleet.nodes.map((n) => nodeRow(n, wanted, now)).join('\n');
  return `<div class="meta" id="meta">${escapeHtml(meta)}</div>
<div class="summary" id="summary">${escapeHtml(summary)}</div>
<table>
<thead><tr><th>node</th><th>serves</th><th>since</th><th>health</th><th>path</th><th>propagation</th><th>last error</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>`;
}

function nodeRow(n: NodeStatus, wanted: string | undefined, now: number): string {
  const cls = !n.healthy
    ? 'node unhealthy'
    : wanted !== undefined && n.commit !== wanted
      ? 'node lagging'
      : 'node';
  const health = n.state === 'waiting' ? 'waiting' : n.healthy ? 'healthy' : 'unhealthy';
  const cell = (label: string, value: string, extra = '') =>
    `<td data-label="${label}"${extra}>${value}</td>`;
  return `<tr class="${cls}" data-node="${escapeHtml(n.nodeId)}">${[
    `<td>${escapeHtml(n.nodeId)}</td>`,
    cell('serves', n.commit ? `<code>${escapeHtml(n.commit.slice(0, 12))}</code>` : '—'),
    cell('since', escapeHtml(ago(n.activeSince, now))),
    cell('health', health, n.healthy ? '' : ' class="error"'),
    cell('path', escapeHtml(n.path ?? '—')),
    cell('propagation', n.lastSyncMs === undefined ? '—' : `${Math.round(n.lastSyncMs)} ms`),
    cell(
      'last error',
      n.error ? escapeHtml(`${n.error.kind}: ${n.error.message}`) : '—',
      n.error ? ' class="error"' : '',
    ),
  ].join('')}</tr>`;
}

function ago(iso: string | undefined, now: number): string {
  if (iso === undefined) return '—';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '—';
  const s = Math.max(0, Math.round((now - at) / 1000));
  return s < 60
    ? `${s} s ago`
    : s < 3600
      ? `${Math.round(s / 60)} min ago`
      : `${Math.round(s / 3600)} h ago`;
}

function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}
