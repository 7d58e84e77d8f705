/** The web UI's stylesheet, served at /web/assets/app.<hash>.css (embedded so `dist/` needs no copy step). */
export const STYLES = String.raw`
:root {
  color-scheme: light dark;
  --bg: #f6f7f9;
  --surface: #ffffff;
  --surface-2: #f0f2f5;
  --text: #1a1d23;
  --muted: #555d6b;
  --border: #d8dce3;
  --accent: #1f4fbf;
  --accent-hover: #173e98;
  --accent-text: #ffffff;
  --focus: #1f6feb;
  --danger: #a8231b;
  --danger-bg: #fdeceb;
  --warn-bg: #fff6dd;
  --warn-border: #e3b341;
  --info-bg: #eaf1ff;
  --add-bg: #e3f6e8;
  --add-strong: #b9e8c5;
  --add-text: #0f5323;
  --del-bg: #fde7e7;
  --del-strong: #f6c0c0;
  --del-text: #86181d;
  --hunk-bg: #eef3fb;
  --code-bg: #f1f3f6;
  --shadow: 0 1px 2px rgba(16, 24, 40, 0.06);
  --radius: 8px;
  --mono: ui-monospace, SFMono-Regular, "SF Mono", Menlo, Consolas, "Liberation Mono", monospace;
  --sans: system-ui, -apple-system, "Segoe UI", Roboto, "Noto Sans", Ubuntu, Cantarell, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0e1116;
    --surface: #161b22;
    --surface-2: #1c222b;
    --text: #e6e9ee;
    --muted: #a3abb8;
    --border: #2d3440;
    --accent: #7ea6ff;
    --accent-hover: #a4c0ff;
    --accent-text: #0b1020;
    --focus: #7ea6ff;
    --danger: #ff8b82;
    --danger-bg: #3a1715;
    --warn-bg: #33290f;
    --warn-border: #9e7a1c;
    --info-bg: #14233f;
    --add-bg: #12301c;
    --add-strong: #1d5a30;
    --add-text: #b4f2c2;
    --del-bg: #3a1517;
    --del-strong: #6e2327;
    --del-text: #ffc9c6;
    --hunk-bg: #172338;
    --code-bg: #1f252e;
    --shadow: none;
  }
}
*, *::before, *::after { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; scrollbar-gutter: stable; }
body {
  margin: 0; background: var(--bg); color: var(--text);
  font: 15px/1.55 var(--sans);
}
a { color: var(--accent); text-underline-offset: 2px; }
a:hover { color: var(--accent-hover); }
:focus-visible { outline: 3px solid var(--focus); outline-offset: 2px; border-radius: 4px; }
code, pre, kbd { font-family: var(--mono); font-size: 0.9em; }
code { background: var(--code-bg); padding: 0.1em 0.35em; border-radius: 4px; }
pre { margin: 0; }
h1, h2, h3 { line-height: 1.25; margin: 0; }
h1 { font-size: 1.5rem; font-weight: 650; overflow-wrap: anywhere; }
h2 { font-size: 1.05rem; font-weight: 650; }
.visually-hidden {
  position: absolute !important; width: 1px; height: 1px; padding: 0; margin: -1px;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
.skip-link { position: absolute; left: 8px; top: -48px; background: var(--surface); padding: 8px 12px; z-index: 10; }
.skip-link:focus { top: 8px; }
.muted { color: var(--muted); }
.mono { font-family: var(--mono); }
.nowrap { white-space: nowrap; }

/* Top bar */
.topbar { background: var(--surface); border-bottom: 1px solid var(--border); }
.topbar-inner {
  max-width: 1240px; margin: 0 auto; padding: 0 20px; height: 56px;
  display: flex; align-items: center; gap: 20px;
}
.brand { font-weight: 700; font-size: 1.1rem; color: var(--text); text-decoration: none; display: flex; gap: 8px; align-items: center; }
.brand-mark { width: 22px; height: 22px; border-radius: 6px; background: var(--accent); display: inline-block; }
.topnav { display: flex; gap: 4px; flex: 1; }
.topnav a { color: var(--muted); text-decoration: none; padding: 6px 10px; border-radius: 6px; font-weight: 550; }
.topnav a:hover { color: var(--text); background: var(--surface-2); }
.topnav a[aria-current="page"] { color: var(--text); background: var(--surface-2); }
.who { display: flex; align-items: center; gap: 12px; color: var(--muted); font-size: 0.875rem; }
.who form { margin: 0; }

main { max-width: 1240px; margin: 0 auto; padding: 24px 20px 64px; }
.page-head { display: flex; align-items: center; justify-content: space-between; gap: 16px; margin-bottom: 16px; flex-wrap: wrap; }
.breadcrumb { font-size: 0.875rem; margin-bottom: 8px; color: var(--muted); }
.breadcrumb a { color: var(--muted); }

/* Buttons and forms */
.button, button {
  font: inherit; font-weight: 600; font-size: 0.9rem; line-height: 1.2;
  display: inline-flex; align-items: center; justify-content: center; gap: 6px;
  padding: 8px 14px; min-height: 36px; border-radius: 6px; cursor: pointer; text-decoration: none;
  border: 1px solid var(--border); background: var(--surface); color: var(--text);
}
.button:hover, button:hover { background: var(--surface-2); color: var(--text); }
.button.primary, button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-text); }
.button.primary:hover, button.primary:hover { background: var(--accent-hover); border-color: var(--accent-hover); color: var(--accent-text); }
button.danger, .button.danger { color: var(--danger); border-color: var(--danger); background: transparent; }
button.danger:hover, .button.danger:hover { background: var(--danger-bg); color: var(--danger); }
button.link { border: 0; background: none; padding: 4px 6px; min-height: 0; color: var(--muted); font-weight: 550; }
button.link:hover { color: var(--text); text-decoration: underline; background: none; }
button[disabled] { opacity: 0.6; cursor: progress; }
label { font-weight: 600; font-size: 0.9rem; }
input[type="text"], input[type="search"], input[type="password"], select, textarea {
  font: inherit; color: var(--text); background: var(--surface);
  border: 1px solid var(--border); border-radius: 6px; padding: 7px 10px; min-height: 36px; width: 100%;
}
textarea { font-family: var(--mono); font-size: 0.875rem; resize: vertical; line-height: 1.5; }
input:focus-visible, select:focus-visible, textarea:focus-visible { outline-offset: 0; }
input[type="checkbox"] { width: 18px; height: 18px; accent-color: var(--accent); margin: 0; }
.field { display: grid; gap: 6px; margin-bottom: 16px; }
.field .hint { font-size: 0.85rem; color: var(--muted); margin: 0; }
.check { display: flex; gap: 10px; align-items: flex-start; margin-bottom: 12px; }
.check label { font-weight: 550; }
.check .hint { display: block; font-weight: 400; font-size: 0.85rem; color: var(--muted); }
.form-actions { display: flex; gap: 10px; align-items: center; margin-top: 8px; }
.card { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); box-shadow: var(--shadow); }
.card-body { padding: 20px; }
.narrow { max-width: 760px; }
.sign-in { max-width: 420px; margin: 8vh auto 0; }
.sign-in h1 { margin-bottom: 6px; }
.sign-in p { margin-top: 0; }

/* Notices */
.notice { border: 1px solid var(--border); border-left-width: 4px; border-radius: 6px; padding: 10px 14px; margin: 0 0 16px; background: var(--surface); }
.notice.error { border-color: var(--danger); background: var(--danger-bg); }
.notice.info { border-color: var(--accent); background: var(--info-bg); }
.notice p { margin: 0; }

/* Badges */
.badge {
  display: inline-flex; align-items: center; gap: 6px; white-space: nowrap;
  font-size: 0.78rem; font-weight: 650; letter-spacing: 0.01em;
  padding: 2px 9px; border-radius: 999px; border: 1px solid transparent; line-height: 1.5;
}
.badge::before { content: ""; width: 7px; height: 7px; border-radius: 50%; background: currentColor; }
.state-QUEUED, .state-PAUSED { color: #4a5261; background: #eceef2; border-color: #d3d7de; }
.state-PLANNING { color: #5b2bb5; background: #f1ebff; border-color: #d9c9fb; }
.state-AWAITING_PLAN_APPROVAL, .state-AWAITING_USER_FEEDBACK { color: #7a4a00; background: #fff3d6; border-color: #f0cf7a; }
.state-IN_PROGRESS { color: #1348b5; background: #e6efff; border-color: #bcd0fb; }
.state-COMPLETED { color: #146c2e; background: #e3f6e8; border-color: #a9dfb8; }
.state-FAILED { color: #a1201a; background: #fdeceb; border-color: #f3bcb8; }
.badge.archived { color: var(--muted); background: var(--surface-2); border-color: var(--border); }
.badge.archived::before { display: none; }
@media (prefers-color-scheme: dark) {
  .state-QUEUED, .state-PAUSED { color: #c5cbd6; background: #232a35; border-color: #3a4350; }
  .state-PLANNING { color: #d3bfff; background: #2a1f47; border-color: #4b3a7a; }
  .state-AWAITING_PLAN_APPROVAL, .state-AWAITING_USER_FEEDBACK { color: #ffd98a; background: #3a2c0c; border-color: #6e5418; }
  .state-IN_PROGRESS { color: #a9c4ff; background: #15264a; border-color: #2a4680; }
  .state-COMPLETED { color: #9be5ad; background: #123020; border-color: #245a37; }
  .state-FAILED { color: #ffb1ab; background: #3d1614; border-color: #6e2a26; }
}
.state-PLANNING::before, .state-IN_PROGRESS::before, .state-QUEUED::before { animation: pulse 1.4s ease-in-out infinite; }
@keyframes pulse { 50% { opacity: 0.3; } }
@media (prefers-reduced-motion: reduce) { *, *::before { animation: none !important; transition: none !important; } }

/* Session list */
.filters { display: grid; grid-template-columns: minmax(180px, 2fr) minmax(150px, 1fr) minmax(150px, 1fr) auto auto; gap: 12px; align-items: end; padding: 14px 16px; margin-bottom: 16px; }
.filters .field { margin: 0; }
.filters .check { margin: 0 0 8px; align-items: center; }
@media (max-width: 820px) { .filters { grid-template-columns: 1fr 1fr; } }
table.sessions { width: 100%; border-collapse: collapse; table-layout: fixed; }
table.sessions th { text-align: left; font-size: 0.78rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--muted); font-weight: 650; padding: 10px 16px; border-bottom: 1px solid var(--border); }
table.sessions td { padding: 12px 16px; border-bottom: 1px solid var(--border); vertical-align: top; }
table.sessions tr:last-child td { border-bottom: 0; }
table.sessions tbody tr:hover { background: var(--surface-2); }
table.sessions .col-state { width: 190px; }
table.sessions .col-source { width: 230px; }
table.sessions .col-time { width: 170px; }
.session-title { font-weight: 600; text-decoration: none; color: var(--text); overflow-wrap: anywhere; }
.session-title:hover { color: var(--accent); text-decoration: underline; }
.excerpt { color: var(--muted); font-size: 0.85rem; margin-top: 2px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
@media (max-width: 820px) { table.sessions .col-source, table.sessions td:nth-child(3) { display: none; } table.sessions .col-state { width: 150px; } table.sessions .col-time { width: 120px; } }
.empty { padding: 40px 20px; text-align: center; color: var(--muted); }
.pager { display: flex; justify-content: space-between; align-items: center; margin-top: 14px; gap: 12px; min-height: 36px; }

/* Session page */
.session-head { display: flex; gap: 16px; align-items: flex-start; justify-content: space-between; margin-bottom: 20px; flex-wrap: wrap; }
.session-head h1 { flex: 1 1 420px; }
.status-line { display: flex; gap: 10px; align-items: center; min-height: 32px; flex-wrap: wrap; }
.live-indicator { font-size: 0.8rem; color: var(--muted); display: inline-flex; gap: 6px; align-items: center; min-width: 104px; }
.live-indicator::before { content: ""; width: 8px; height: 8px; border-radius: 50%; background: var(--border); }
.live-indicator[data-status="live"]::before { background: #2da44e; }
.live-indicator[data-status="reconnecting"]::before { background: #d4a72c; }
.session-layout { display: grid; grid-template-columns: minmax(0, 1fr) 300px; gap: 24px; align-items: start; }
@media (max-width: 960px) { .session-layout { grid-template-columns: minmax(0, 1fr); } }
.session-side { display: grid; gap: 16px; position: sticky; top: 16px; }
@media (max-width: 960px) { .session-side { position: static; } }
.side-section { padding: 16px; }
.side-section h2 { font-size: 0.8rem; text-transform: uppercase; letter-spacing: 0.05em; color: var(--muted); margin-bottom: 10px; }
dl.meta { margin: 0; display: grid; grid-template-columns: auto minmax(0, 1fr); gap: 6px 12px; font-size: 0.875rem; }
dl.meta dt { color: var(--muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; }
.actions form { margin: 0; }
details.confirm > summary { list-style: none; }
details.confirm > summary::-webkit-details-marker { display: none; }
details.confirm[open] > summary { margin-bottom: 8px; }
.confirm-box { padding: 10px; border: 1px solid var(--danger); border-radius: 6px; background: var(--danger-bg); font-size: 0.875rem; }
.confirm-box p { margin: 0 0 8px; }
.pr-links { display: grid; gap: 8px; }
.pr-link { display: block; padding: 10px 12px; border: 1px solid var(--border); border-radius: 6px; text-decoration: none; }
.pr-link strong { display: block; color: var(--text); }
.pr-link span { font-size: 0.8rem; color: var(--muted); }

.prompt { padding: 14px 18px; margin-bottom: 20px; }
.prompt summary { cursor: pointer; font-weight: 650; }
.prompt-text { overflow-wrap: anywhere; font-size: 0.9rem; margin-top: 10px; max-height: 480px; overflow: auto; }
.prompt-text pre { font-size: 0.8rem; }
[data-region="status"] { display: flex; gap: 10px; align-items: center; flex-wrap: wrap; }
.section-title { display: flex; align-items: baseline; justify-content: space-between; margin: 0 0 12px; gap: 12px; }

/* Timeline */
ol.timeline { list-style: none; margin: 0; padding: 0; position: relative; overflow-anchor: none; }
ol.timeline::before { content: ""; position: absolute; left: 15px; top: 8px; bottom: 8px; width: 2px; background: var(--border); }
.activity { position: relative; padding: 0 0 16px 44px; }
.activity-dot {
  position: absolute; left: 4px; top: 6px; width: 24px; height: 24px; border-radius: 50%;
  display: grid; place-items: center; font-size: 0.7rem; font-weight: 700;
  background: var(--surface); border: 2px solid var(--border); color: var(--muted);
}
.activity.by-user .activity-dot { border-color: var(--accent); color: var(--accent); }
.activity.by-agent .activity-dot { border-color: #8a63d2; color: #8a63d2; }
.activity.kind-sessionCompleted .activity-dot { border-color: #2da44e; color: #2da44e; }
.activity.kind-sessionFailed .activity-dot { border-color: var(--danger); color: var(--danger); }
.activity-card { background: var(--surface); border: 1px solid var(--border); border-radius: var(--radius); padding: 10px 14px; box-shadow: var(--shadow); }
.activity.by-user .activity-card { background: var(--info-bg); }
.activity.kind-sessionFailed .activity-card { border-color: var(--danger); }
.activity-head { display: flex; gap: 8px; align-items: baseline; justify-content: space-between; font-size: 0.875rem; }
.activity-title { font-weight: 650; overflow-wrap: anywhere; }
.activity-who { color: var(--muted); font-weight: 500; }
.activity-time { color: var(--muted); font-size: 0.78rem; white-space: nowrap; font-variant-numeric: tabular-nums; }
.activity-body { margin-top: 6px; overflow-wrap: anywhere; }
.text { white-space: pre-wrap; }
.text pre { background: var(--code-bg); padding: 10px 12px; border-radius: 6px; overflow: auto; white-space: pre; margin: 6px 0; }
.text pre code { background: none; padding: 0; }
ol.plan-steps { margin: 4px 0 0; padding-left: 22px; }
ol.plan-steps li { margin: 4px 0; }
ol.plan-steps .step-desc { color: var(--muted); font-size: 0.875rem; display: block; }
details.output { margin-top: 6px; border: 1px solid var(--border); border-radius: 6px; background: var(--surface-2); }
details.output > summary { cursor: pointer; padding: 6px 10px; font-size: 0.85rem; display: flex; gap: 8px; align-items: center; }
details.output > summary .exit { margin-left: auto; font-family: var(--mono); font-size: 0.78rem; }
details.output > summary .exit.bad { color: var(--danger); }
details.output pre { padding: 10px 12px; border-top: 1px solid var(--border); max-height: 420px; overflow: auto; font-size: 0.8rem; line-height: 1.45; white-space: pre-wrap; overflow-wrap: anywhere; }
.change-summary { margin-top: 6px; font-size: 0.875rem; }
.change-summary ul { margin: 6px 0 0; padding: 0; list-style: none; display: grid; gap: 2px; }
.change-summary li { display: flex; gap: 10px; font-family: var(--mono); font-size: 0.8rem; }
.change-summary li .path { overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
img.media { max-width: 100%; border-radius: 6px; border: 1px solid var(--border); margin-top: 6px; }

/* Attention panel and composer */
.attention { border: 1px solid var(--border); border-left-width: 4px; border-radius: var(--radius); padding: 14px 16px; margin: 4px 0 16px; background: var(--surface); }
.attention.warn { border-color: var(--warn-border); background: var(--warn-bg); }
.attention.error { border-color: var(--danger); background: var(--danger-bg); }
.attention.ok { border-color: #2da44e; }
.attention h2 { font-size: 1rem; margin-bottom: 4px; }
.attention p { margin: 0 0 10px; }
.attention p:last-child { margin-bottom: 0; }
.attention form { margin: 0; }
.working { display: flex; align-items: center; gap: 10px; color: var(--muted); font-size: 0.9rem; padding: 4px 0 16px 44px; min-height: 40px; }
.spinner { width: 14px; height: 14px; border: 2px solid var(--border); border-top-color: var(--accent); border-radius: 50%; animation: spin 0.9s linear infinite; }
@keyframes spin { to { transform: rotate(360deg); } }
.composer { padding: 14px 16px; }
.composer textarea { min-height: 84px; font-family: var(--sans); font-size: 0.95rem; }
.composer .form-actions { justify-content: space-between; }

/* Diff */
.changes { margin-top: 28px; }
.diff-summary { display: flex; gap: 14px; align-items: center; flex-wrap: wrap; font-size: 0.9rem; margin-bottom: 12px; }
.count-add { color: var(--add-text); font-weight: 650; font-family: var(--mono); }
.count-del { color: var(--del-text); font-weight: 650; font-family: var(--mono); }
@media (prefers-color-scheme: light) { .count-add { color: #146c2e; } .count-del { color: #a1201a; } }
.diffstat { display: inline-flex; gap: 1px; vertical-align: middle; }
.diffstat i { width: 8px; height: 8px; border-radius: 1px; background: var(--border); display: inline-block; }
.diffstat i.a { background: #2da44e; }
.diffstat i.d { background: #cf222e; }
.file-index { margin: 0 0 16px; padding: 8px 0; list-style: none; }
.file-index li { display: grid; grid-template-columns: minmax(0, 1fr) auto auto; gap: 12px; padding: 4px 16px; font-size: 0.85rem; align-items: center; }
.file-index a { font-family: var(--mono); overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
details.diff-file { margin-bottom: 14px; overflow: hidden; }
details.diff-file > summary {
  cursor: pointer; display: flex; gap: 10px; align-items: center; padding: 8px 14px;
  background: var(--surface-2); border-bottom: 1px solid var(--border); font-size: 0.875rem; position: sticky; top: 0;
}
details.diff-file:not([open]) > summary { border-bottom: 0; }
details.diff-file > summary .path { font-family: var(--mono); font-weight: 600; overflow-wrap: anywhere; flex: 1; }
.file-status { font-size: 0.72rem; text-transform: uppercase; letter-spacing: 0.04em; font-weight: 700; padding: 1px 6px; border-radius: 4px; border: 1px solid var(--border); color: var(--muted); }
.file-status.added { color: var(--add-text); border-color: var(--add-strong); background: var(--add-bg); }
.file-status.deleted { color: var(--del-text); border-color: var(--del-strong); background: var(--del-bg); }
.diff-scroll { overflow-x: auto; }
table.diff { width: 100%; border-collapse: collapse; font-family: var(--mono); font-size: 0.8rem; line-height: 1.5; }
table.diff td { padding: 0 10px; vertical-align: top; }
table.diff td.ln { width: 1%; min-width: 48px; text-align: right; color: var(--muted); user-select: none; white-space: nowrap; font-variant-numeric: tabular-nums; }
table.diff td.ln::before { content: attr(data-n); }
table.diff td.code { white-space: pre-wrap; overflow-wrap: anywhere; width: 98%; }
table.diff td.code::before { content: attr(data-mark); user-select: none; display: inline-block; width: 1.2ch; margin-left: -2px; color: var(--muted); }
table.diff tr.add td { background: var(--add-bg); }
table.diff tr.add td.ln { background: var(--add-strong); color: var(--add-text); }
table.diff tr.del td { background: var(--del-bg); }
table.diff tr.del td.ln { background: var(--del-strong); color: var(--del-text); }
table.diff tr.hunk td { background: var(--hunk-bg); color: var(--muted); padding-top: 4px; padding-bottom: 4px; }
table.diff tr.note td.code { color: var(--muted); font-style: italic; }
.diff-note { padding: 12px 16px; color: var(--muted); font-size: 0.875rem; }
.patch-meta { font-size: 0.85rem; color: var(--muted); display: flex; gap: 16px; flex-wrap: wrap; }
`;
