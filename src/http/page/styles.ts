// Looks like Home Assistant's own settings pages (home-assistant/frontend,
// src/resources/theme/color; measured from 2026.11's frontend by
// test/e2e/ha-look.test.ts: primary #009ac7, dark primary #0288d1; text
// #141414 / #e1e1e1, dividers and card outlines at 12 % of the text colour;
// the settings pages' 56 px toolbar in the card colour with a 20 px title and
// no rule under it; cards with a 1 px outline and no shadow, 12 px radius;
// pill-shaped buttons with sentence-case labels; Roboto type). Dark mode follows Home Assistant's
// theme when the ingress frame can read it (client.ts sets data-theme), else
// prefers-color-scheme. No external fonts or assets (many HA hosts are offline).
const LIGHT = `--bg: #fafafa; --card: #ffffff; --text: #141414; --muted: #5e5e5e; --line: rgba(0, 0, 0, 0.12);
  --primary: #009ac7; --primary-dark: #0288d1; --on-primary: #ffffff; --header: #ffffff; --header-text: #141414;
  --ok: #43a047; --warn: #ff9800; --bad: #db4437; --idle: #9e9e9e; --code-bg: #f5f5f5;`;
const DARK = `--bg: #111111; --card: #1c1c1c; --text: #e1e1e1; --muted: #9b9b9b; --line: rgba(225, 225, 225, 0.12);
  --primary: #009ac7; --primary-dark: #0288d1; --on-primary: #111111; --header: #1c1c1c; --header-text: #e1e1e1;
  --ok: #66bb6a; --warn: #ffb74d; --bad: #ef5350; --idle: #9e9e9e; --code-bg: #262626;`;

export const STYLES = `
:root { color-scheme: light; ${LIGHT} }
@media (prefers-color-scheme: dark) { :root:not([data-theme="light"]) { color-scheme: dark; ${DARK} } }
:root[data-theme="dark"] { color-scheme: dark; ${DARK} }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 400 14px/20px Roboto, Noto, "Noto Sans", system-ui, -apple-system, "Segoe UI", sans-serif;
  -webkit-font-smoothing: antialiased; }
a { color: var(--primary-dark); }
:root[data-theme="dark"] a { color: var(--primary); }
header { background: var(--header); color: var(--header-text); padding: 0 16px; height: 56px;
  display: flex; align-items: center; }
header h1 { font-size: 20px; line-height: 32px; font-weight: 400; margin: 0; letter-spacing: 0; }
/* Home Assistant shows its own toolbar above ingress panels on narrow screens (its "narrow" is < 870 px). */
@media (max-width: 870px) { .embedded header { display: none; } }
main { max-width: 1040px; margin: 0 auto; padding: 16px; display: grid; gap: 16px;
  grid-template-columns: repeat(auto-fit, minmax(min(100%, 320px), 1fr)); }
.card { background: var(--card); border-radius: 12px; box-shadow: none; border: 1px solid var(--line);
  padding: 16px; min-width: 0; }
.card h2 { font-size: 20px; line-height: 32px; font-weight: 400; margin: 0 0 8px; }
.overall { grid-column: 1 / -1; }
.badge { display: inline-block; padding: 0 10px; border-radius: 12px; font-size: 14px; font-weight: 500; color: #fff; line-height: 24px; vertical-align: 2px; }
.state-connected { background: var(--ok); } .state-degraded { background: var(--warn); color: #111; }
.state-unauthorized, .state-misconfigured { background: var(--bad); }
.state-starting, .state-connecting, .state-disconnected { background: var(--idle); color: #111; }
.headline { font-size: 16px; line-height: 24px; margin: 8px 0; overflow-wrap: anywhere; }
.fix { margin: 8px 0; padding: 8px 12px; border-radius: 8px; border-left: 4px solid var(--bad); background: color-mix(in srgb, var(--bad) 10%, transparent); overflow-wrap: anywhere; }
.problems, .notices { margin: 8px 0; padding-left: 20px; } .problems li, .notices li { overflow-wrap: anywhere; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 0; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
code { font-family: ui-monospace, "Roboto Mono", monospace; font-size: 13px; }
.resolved { color: var(--muted); }
.resolved::before { content: "✓ "; color: var(--ok); }
.events { list-style: none; margin: 0; padding: 0; }
.events li { padding: 6px 0; border-top: 1px solid var(--line); overflow-wrap: anywhere; }
.events li:first-child { border-top: 0; }
.events time, .muted { color: var(--muted); }
.level-warning::before { content: "⚠ "; color: var(--warn); } .level-error::before { content: "✖ "; color: var(--bad); }
.actions { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
button { font: inherit; font-weight: 500; text-transform: none; letter-spacing: 0; border: 0; border-radius: 18px;
  padding: 0 16px; height: 36px; background: var(--primary-dark); color: #fff; cursor: pointer; }
:root[data-theme="dark"] button { background: var(--primary); color: var(--on-primary); }
@media (prefers-color-scheme: dark) { :root:not([data-theme="light"]) button { background: var(--primary); color: var(--on-primary); } }
button.secondary, :root[data-theme="dark"] button.secondary { background: transparent; color: var(--primary-dark); border: 1px solid var(--line); }
@media (prefers-color-scheme: dark) { :root:not([data-theme="light"]) button.secondary { background: transparent; color: var(--primary); } }
:root[data-theme="dark"] button.secondary { color: var(--primary); }
button:disabled { opacity: .6; cursor: progress; }
button:focus-visible { outline: 2px solid var(--primary); outline-offset: 2px; }
.result-ok { color: var(--ok); } .result-failed { color: var(--bad); }
.offline { grid-column: 1 / -1; background: var(--warn); color: #111; border-radius: 12px; padding: 8px 16px; }
.offline[hidden] { display: none; }
.policy { background: var(--code-bg); border: 1px solid var(--line); border-radius: 8px; padding: 8px 12px; overflow-x: auto; margin: 8px 0; }
.history { margin: 0 0 12px; } .history figcaption { margin-bottom: 4px; }
.history svg { display: block; border-radius: 4px; background: var(--code-bg); }
.bar-ok { fill: var(--ok); } .bar-warn { fill: var(--warn); } .bar-bad { fill: var(--bad); } .bar-idle { fill: var(--idle); }
.axis { display: flex; justify-content: space-between; font-size: 12px; }
`;
