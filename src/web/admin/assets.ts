/**
 * The site's stylesheet and its one script, served from /admin/assets/ (so the
 * pages' Content-Security-Policy allows no inline code). Plain CSS and plain
 * browser JavaScript: no build step. Everything works without the script
 * except the copy button, the CSV file picker and live updates.
 */

/** /admin/assets/admin.css */
export const adminCss = `
*{box-sizing:border-box}
:root{--ink:#1f2937;--muted:#4b5563;--line:#d1d5db;--accent:#1d4ed8;--accent-dark:#1e3a8a;--danger:#b91c1c;--ok:#166534;--bg:#f3f4f6}
body{margin:0;background:var(--bg);color:var(--ink);font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif}
a{color:var(--accent)}
a:hover{color:var(--accent-dark)}
:focus-visible{outline:3px solid #f59e0b;outline-offset:2px}
.skip{position:absolute;left:-999px;top:0;background:#fff;padding:.5rem 1rem;z-index:2}
.skip:focus{left:0}
header.top{background:#111827;color:#fff}
header.top .bar{max-width:72rem;margin:0 auto;padding:.6rem 1rem;display:flex;flex-wrap:wrap;align-items:center;gap:.5rem 1.25rem}
header.top a{color:#fff;text-decoration:none;font-weight:600}
header.top a[aria-current=page]{text-decoration:underline;text-underline-offset:.3em}
header.top .brand{font-size:1.15rem;margin-right:auto}
header.top form{margin:0}
header.top button{background:transparent;border:1px solid #9ca3af;color:#fff;padding:.3rem .8rem}
header.top .who{color:#d1d5db;font-size:.9rem}
main{max-width:72rem;margin:0 auto;padding:1.25rem 1rem 3rem}
main.narrow{max-width:30rem}
h1{font-size:1.6rem;margin:.5rem 0 1rem;overflow-wrap:anywhere}
h2{font-size:1.2rem;margin:2rem 0 .75rem}
h3{font-size:1.05rem;margin:1.25rem 0 .5rem}
section.card,.card{background:#fff;border:1px solid var(--line);border-radius:10px;padding:1rem 1.25rem;margin:1rem 0}
.muted{color:var(--muted)}
.small{font-size:.9rem}
label{display:block;font-weight:600;margin:.75rem 0 .25rem}
label.check{display:flex;gap:.5rem;align-items:center;font-weight:500}
label.check input{width:auto}
input,select,textarea{font:inherit;color:inherit;padding:.45rem .6rem;border:2px solid #6b7280;border-radius:6px;background:#fff;width:100%;max-width:36rem}
textarea{min-height:5rem}
input[type=checkbox],input[type=radio]{width:1.1rem;height:1.1rem}
button,.button{display:inline-block;font:inherit;font-weight:600;padding:.5rem 1.1rem;border-radius:6px;border:0;background:var(--accent);color:#fff;cursor:pointer;text-decoration:none;margin:.5rem .5rem 0 0}
button:hover,.button:hover{background:var(--accent-dark);color:#fff}
button.secondary{background:#fff;color:var(--accent);border:2px solid var(--accent)}
button.danger{background:var(--danger)}
button.link{background:none;color:var(--accent);padding:0;margin:0;text-decoration:underline;font-weight:500}
.inline{display:inline}
.row{display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:end}
.row > *{flex:1 1 12rem}
.row label{margin-top:.25rem}
table{border-collapse:collapse;width:100%;background:#fff}
th,td{text-align:left;padding:.45rem .6rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-weight:600;background:#f9fafb}
.table-wrap{overflow-x:auto;border:1px solid var(--line);border-radius:8px}
.pin,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace}
.tabs{display:flex;flex-wrap:wrap;gap:.25rem;border-bottom:2px solid var(--line);margin:0 0 1rem;padding:0;list-style:none}
.tabs a{display:block;padding:.5rem .9rem;text-decoration:none;border-radius:6px 6px 0 0;font-weight:600}
.tabs a[aria-current=page]{background:#fff;border:2px solid var(--line);border-bottom-color:#fff;margin-bottom:-2px;color:var(--ink)}
.notice{border-radius:8px;padding:.75rem 1rem;margin:1rem 0;border:2px solid var(--ok);background:#f0fdf4}
.notice.error{border-color:var(--danger);background:#fef2f2}
.notice.error strong{color:var(--danger)}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.3rem 1.25rem;margin:.5rem 0}
.facts dt{color:var(--muted)}
.facts dd{margin:0;overflow-wrap:anywhere}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:999px;font-size:.8rem;font-weight:700;background:#e5e7eb;color:#111827}
.badge.ACTIVE{background:#dcfce7;color:#14532d}
.badge.CANCEL{background:#fee2e2;color:#7f1d1d}
.pager{display:flex;gap:1rem;align-items:center;margin:1rem 0}
.chart{max-width:100%;height:auto;background:#fff;border:1px solid var(--line);border-radius:8px}
.chart .segment{fill:#2563eb}
.chart .label{font-size:12px;fill:#1f2937}
.chart .axis{font-size:11px;fill:#4b5563}
.chart .grid{stroke:#e5e7eb}
.key{font-size:1.2rem;padding:.5rem;background:#fefce8;border:2px dashed #a16207;border-radius:6px;overflow-wrap:anywhere}
.error-text{color:var(--danger);font-weight:600}
tr.left td{color:var(--muted)}
details summary{cursor:pointer;font-weight:600}
[hidden]{display:none!important}
.visually-hidden{position:absolute!important;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
@media (max-width:40rem){
  main{padding:1rem .75rem 2rem}
  h1{font-size:1.35rem}
  th,td{padding:.4rem}
  .facts{grid-template-columns:1fr}
  .facts dd{margin-bottom:.5rem}
}
`;

/** /admin/assets/admin.js: progressive enhancement only. */
export const adminJs = `
'use strict';
(function () {
  var status = document.getElementById('js-status');
  function say(text) { if (status) status.textContent = text; }

  // Copy buttons: hidden without JavaScript (the field stays selectable).
  document.querySelectorAll('button[data-copy]').forEach(function (button) {
    button.hidden = false;
    button.addEventListener('click', function () {
      var field = document.getElementById(button.getAttribute('data-copy'));
      if (!field) return;
      var done = function () { button.textContent = 'Copied'; say('Copied to the clipboard'); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(field.value).then(done, function () { field.select(); });
      } else {
        field.select();
        try { document.execCommand('copy'); done(); } catch (e) { /* the text stays selected */ }
      }
    });
  });

  // CSV import: a chosen file is read into the text area.
  var file = document.getElementById('csv-file');
  var area = document.getElementById('csv');
  if (file && area) {
    file.closest('.js-only').hidden = false;
    file.addEventListener('change', function () {
      var chosen = file.files && file.files[0];
      if (!chosen) return;
      chosen.text().then(function (text) { area.value = text; say('File read: ' + chosen.name); });
    });
  }

  // Live call: callers appear and leave as the server reports them.
  var live = document.querySelector('[data-live]');
  if (live && window.EventSource) {
    var body = document.getElementById('live-callers');
    var count = document.getElementById('live-count');
    var state = document.getElementById('live-state');
    var source = new EventSource(live.getAttribute('data-live'));
    function cell(row, text) { var td = document.createElement('td'); td.textContent = text; row.appendChild(td); return td; }
    function refreshCount() {
      if (count) count.textContent = String(body.querySelectorAll('tr[data-caller]:not(.left)').length);
    }
    source.addEventListener('join', function (event) {
      var c = JSON.parse(event.data);
      if (body.querySelector('tr[data-caller="' + c.uid + '"]')) return;
      var row = document.createElement('tr');
      row.setAttribute('data-caller', c.uid);
      cell(row, c.name || c.ani || 'Unknown caller');
      cell(row, c.role);
      cell(row, c.joined);
      cell(row, 'on the call').className = 'left-at';
      body.appendChild(row);
      refreshCount();
      say((c.name || 'A caller') + ' joined');
    });
    source.addEventListener('leave', function (event) {
      var c = JSON.parse(event.data);
      var row = body.querySelector('tr[data-caller="' + c.uid + '"]');
      if (!row) return;
      row.classList.add('left');
      var at = row.querySelector('.left-at');
      if (at) at.textContent = 'left ' + c.left;
      refreshCount();
      say((c.name || 'A caller') + ' left');
    });
    source.addEventListener('ended', function () {
      source.close();
      if (state) state.textContent = 'The call has ended. Reload the page for its report.';
    });
    // Refused (signed out, or too many live views open: a 429), the browser stops retrying.
    source.addEventListener('error', function () {
      if (source.readyState === EventSource.CLOSED && state) {
        state.textContent = 'Live updates stopped (signed out, or too many live views open). Reload the page.';
      }
    });
  }
})();
`;
