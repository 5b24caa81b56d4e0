/**
 * The fleet status page: one self-contained HTML document, no framework, readable on a phone.
 * It asks `/api/fleet` once a second and redraws the list of nodes.
 */
export function statusPage(title: string): string {
  const escaped = title.replace(/[&<>"]/g, (c) => `&#${c.charCodeAt(0)};`);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>berth · ${escaped}</title>
<style>
  :root { font-family: system-ui, sans-serif; color: #1b1f24; background: #f6f8fa; }
  body { margin: 0 auto; max-width: 60rem; padding: 1rem; }
  h1 { font-size: 1.25rem; margin: 0 0 .25rem; }
  .meta { color: #57606a; font-size: .875rem; margin-bottom: 1rem; word-break: break-all; }
  .summary { font-weight: 600; margin-bottom: .75rem; }
  .nodes { display: grid; gap: .75rem; grid-template-columns: repeat(auto-fill, minmax(17rem, 1fr)); }
  .node { background: #fff; border: 1px solid #d0d7de; border-left: .35rem solid #2da44e; border-radius: .5rem; padding: .75rem; }
  .node.unhealthy { border-left-color: #cf222e; }
  .node.lagging { border-left-color: #bf8700; }
  .node h2 { font-size: 1rem; margin: 0 0 .5rem; word-break: break-all; }
  .node dl { display: grid; grid-template-columns: auto 1fr; gap: .2rem .75rem; margin: 0; font-size: .875rem; }
  .node dt { color: #57606a; }
  .node dd { margin: 0; word-break: break-all; }
  .error { color: #cf222e; }
  code { font-family: ui-monospace, monospace; }
</style>
</head>
<body>
<h1>berth fleet</h1>
<div class="meta" id="meta">${escaped}</div>
<div class="summary" id="summary">loading…</div>
<div class="nodes" id="nodes"></div>
<script>
const text = (value) => document.createTextNode(value == null ? '—' : String(value));
const ago = (iso) => {
  if (!iso) return '—';
  const s = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  return s < 60 ? s + ' s ago' : s < 3600 ? Math.round(s / 60) + ' min ago' : Math.round(s / 3600) + ' h ago';
};
function row(dl, label, value, cls) {
  const dt = document.createElement('dt'); dt.appendChild(text(label));
  const dd = document.createElement('dd'); dd.appendChild(value instanceof Node ? value : text(value));
  if (cls) dd.className = cls;
  dl.append(dt, dd);
}
function render(fleet) {
  document.getElementById('meta').textContent = 'key ' + fleet.key + ' · this node ' + fleet.node + ' · updated ' + new Date(fleet.generatedAt).toLocaleTimeString();
  const wanted = fleet.wanted;
  const serving = fleet.nodes.filter((n) => wanted && n.commit === wanted).length;
  document.getElementById('summary').textContent = fleet.nodes.length + ' nodes · ' + serving + ' serve ' + (wanted ? wanted.slice(0, 12) : 'nothing yet');
  const list = document.getElementById('nodes');
  list.replaceChildren(...fleet.nodes.map((n) => {
    const card = document.createElement('article');
    card.className = 'node' + (!n.healthy ? ' unhealthy' : wanted && n.commit !== wanted ? ' lagging' : '');
    card.dataset.node = n.nodeId;
    const h = document.createElement('h2'); h.appendChild(text(n.nodeId)); card.appendChild(h);
    const dl = document.createElement('dl');
    const code = document.createElement('code'); code.appendChild(text(n.commit ? n.commit.slice(0, 12) : null));
    row(dl, 'serves', code);
    row(dl, 'since', ago(n.activeSince));
    row(dl, 'health', n.healthy ? 'healthy' : 'unhealthy', n.healthy ? '' : 'error');
    row(dl, 'propagation', n.lastSyncMs == null ? null : Math.round(n.lastSyncMs) + ' ms');
    row(dl, 'last error', n.error ? n.error.kind + ': ' + n.error.message : null, n.error ? 'error' : '');
    card.appendChild(dl);
    return card;
  }));
}
async function refresh() {
  try {
    const response = await fetch('api/fleet', { cache: 'no-store' });
    if (response.ok) render(await response.json());
    else document.getElementById('summary').textContent = 'status unavailable (' + response.status + ')';
  } catch (e) {
    document.getElementById('summary').textContent = 'status unavailable';
  }
}
refresh();
setInterval(refresh, 1000);
</script>
</body>
</html>
`;
}
