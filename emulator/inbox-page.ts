/**
 * The phone inbox page served at GET /emulator: one "phone" per destination, messages as
 * bubbles, updated live over Server-Sent Events. Self-contained (inline CSS and JS).
 * Stable hooks for browser tests: data-testid="destination" (with data-destination),
 * "message" (with data-channel, data-message-id), "pin", "message-text", "clear-inbox", "empty",
 * "delivery" (a tracked message's delivery status, with data-status: PENDING, DELIVERED, …).
 */
export const INBOX_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>otpflow · Infobip emulator inbox</title>
<style>
  :root { --bg:#eef1f5; --ink:#1d2430; --muted:#6b7585; --phone:#fff; --bubble:#e9edf3; --accent:#f26b21; }
  * { box-sizing: border-box; }
  body { margin:0; font:15px/1.4 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; background:var(--bg); color:var(--ink); }
  header { display:flex; flex-wrap:wrap; gap:8px; align-items:center; justify-content:space-between;
           padding:12px 16px; background:#1d2430; color:#fff; }
  header h1 { margin:0; font-size:17px; font-weight:600; }
  header .status { font-size:13px; color:#b9c2d0; }
  header button { font:inherit; padding:6px 12px; border:0; border-radius:6px; background:var(--accent); color:#fff; cursor:pointer; }
  main { display:flex; flex-wrap:wrap; gap:16px; padding:16px; align-items:flex-start; }
  .phone { width:100%; max-width:360px; background:var(--phone); border-radius:22px; border:8px solid #1d2430; overflow:hidden;
           box-shadow:0 4px 16px rgba(0,0,0,.12); }
  .phone h2 { margin:0; padding:10px 14px; font-size:15px; background:#f6f7f9; border-bottom:1px solid #dde2ea; word-break:break-all; }
  .phone h2 small { display:block; color:var(--muted); font-weight:400; font-size:12px; }
  .screen { display:flex; flex-direction:column; gap:8px; padding:12px; max-height:480px; overflow-y:auto; }
  .msg { align-self:flex-start; max-width:92%; padding:8px 11px; border-radius:14px 14px 14px 4px; background:var(--bubble); }
  .msg .meta { display:flex; gap:6px; align-items:center; font-size:11px; color:var(--muted); margin-bottom:3px; }
  .badge { padding:1px 6px; border-radius:8px; background:#1d2430; color:#fff; font-size:10px; letter-spacing:.04em; }
  .msg[data-channel="VOICE"] .badge { background:#2f6fd6; }
  .msg[data-channel="EMAIL"] .badge { background:#2e8b57; }
  .text { white-space:pre-wrap; word-break:break-word; }
  .delivery { margin-left:auto; padding:1px 6px; border-radius:8px; font-size:10px; letter-spacing:.04em; background:#8a94a6; color:#fff; }
  .delivery[data-status="DELIVERED"] { background:#2e8b57; }
  .delivery[data-status="UNDELIVERABLE"], .delivery[data-status="REJECTED"], .delivery[data-status="EXPIRED"] { background:#c0392b; }
  .msg.failed .pin { text-decoration:line-through; opacity:.6; }
  .pin { display:inline-block; margin-top:4px; font:600 20px/1.2 ui-monospace, Menlo, Consolas, monospace; letter-spacing:.12em; color:var(--accent); }
  .empty { padding:40px 16px; color:var(--muted); text-align:center; width:100%; }
  @media (max-width: 420px) { main { padding:8px; gap:10px; } .phone { max-width:none; border-width:5px; border-radius:16px; } }
</style>
</head>
<body>
<header>
  <div><h1>Infobip emulator · phone inbox</h1><div class="status" data-testid="status" id="status">connecting…</div></div>
  <button type="button" data-testid="clear-inbox" id="clear">Clear inbox</button>
</header>
<main id="phones"><p class="empty" data-testid="empty">No messages yet. Send a PIN and it shows up here.</p></main>
<script>
(function () {
  var phones = document.getElementById('phones');
  var statusEl = document.getElementById('status');
  var byDest = new Map();
  var byId = new Map();
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) e.className = cls; if (text != null) e.textContent = text; return e; }
  function phoneFor(to) {
    var p = byDest.get(to);
    if (p) return p;
    var empty = phones.querySelector('.empty'); if (empty) empty.remove();
    var root = el('section', 'phone'); root.setAttribute('data-testid', 'destination'); root.setAttribute('data-destination', to);
    var h = el('h2', null, /^\\d+$/.test(to) ? '+' + to : to); var count = el('small', null, '');
    h.appendChild(count); root.appendChild(h);
    var screen = el('div', 'screen'); root.appendChild(screen);
    p = { root: root, screen: screen, count: count, n: 0 };
    byDest.set(to, p);
    return p;
  }
  function add(m) {
    var p = phoneFor(m.to);
    var b = el('article', 'msg'); b.setAttribute('data-testid', 'message'); b.setAttribute('data-channel', m.channel);
    b.setAttribute('data-pin-id', m.pinId); b.setAttribute('data-message-id', m.id);
    var meta = el('div', 'meta'); meta.appendChild(el('span', 'badge', m.channel));
    meta.appendChild(el('span', null, m.from + ' · ' + new Date(m.sentAt).toLocaleTimeString()));
    b.appendChild(meta);
    byId.set(m.id, { article: b, meta: meta });
    if (m.delivery) showDelivery(m.id, m.delivery);
    var t = el('div', 'text', m.text); t.setAttribute('data-testid', 'message-text'); b.appendChild(t);
    var pin = el('div', 'pin', m.pin); pin.setAttribute('data-testid', 'pin'); pin.title = 'PIN'; b.appendChild(pin);
    p.screen.appendChild(b); p.screen.scrollTop = p.screen.scrollHeight;
    p.n++; p.count.textContent = p.n + (p.n === 1 ? ' message' : ' messages');
    phones.prepend(p.root);
  }
  function showDelivery(id, d) {
    var entry = byId.get(id);
    if (!entry || !d) return;
    var badge = entry.meta.querySelector('[data-testid="delivery"]');
    if (!badge) { badge = el('span', 'delivery'); badge.setAttribute('data-testid', 'delivery'); entry.meta.appendChild(badge); }
    badge.setAttribute('data-status', d.status);
    badge.textContent = d.status;
    badge.title = d.statusName + (d.errorName && d.errorName !== 'NO_ERROR' ? ' · ' + d.errorName : '') + ' (' + d.outcome + ')';
    entry.article.classList.toggle('failed', d.status !== 'PENDING' && d.status !== 'DELIVERED');
  }
  function reset() {
    byDest.clear(); byId.clear(); phones.textContent = '';
    var e = el('p', 'empty', 'No messages yet. Send a PIN and it shows up here.'); e.setAttribute('data-testid', 'empty'); phones.appendChild(e);
  }
  function load() {
    return fetch('/emulator/messages').then(function (r) { return r.json(); }).then(function (body) {
      reset(); body.messages.slice().reverse().forEach(add);
    });
  }
  document.getElementById('clear').addEventListener('click', function () { fetch('/emulator/messages', { method: 'DELETE' }); });
  var es = new EventSource('/emulator/events');
  es.addEventListener('open', function () { statusEl.textContent = 'live'; load(); });
  es.addEventListener('error', function () { statusEl.textContent = 'reconnecting…'; });
  es.addEventListener('message', function (ev) { add(JSON.parse(ev.data)); });
  es.addEventListener('clear', function () { load(); });
  es.addEventListener('delivery', function (ev) { var d = JSON.parse(ev.data); showDelivery(d.id, d.delivery); });
})();
</script>
</body>
</html>
`;
