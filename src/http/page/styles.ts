// Looks at home next to Home Assistant's own UI: its card layout, Roboto-ish
// system type, primary blue and state colours; follows prefers-color-scheme.
// No external fonts or assets (many HA hosts are offline).
export const STYLES = `
:root {
  color-scheme: light dark;
  --bg: #fafafa; --card: #ffffff; --text: #212121; --muted: #616161; --line: #e0e0e0;
  --primary: #0277bd; --primary-text: #01579b; --ok: #2e7d32; --warn: #8f5400; --bad: #c62828; --idle: #616161;
  --shadow: 0 2px 2px 0 rgba(0,0,0,.14), 0 1px 5px 0 rgba(0,0,0,.12), 0 3px 1px -2px rgba(0,0,0,.2);
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111111; --card: #1c1c1c; --text: #e1e1e1; --muted: #9b9b9b; --line: #2f2f2f;
    --primary: #03a9f4; --primary-text: #4fc3f7; --ok: #66bb6a; --warn: #ffb74d; --bad: #ef5350; --idle: #9e9e9e;
    --shadow: none;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--text);
  font: 14px/1.5 Roboto, "Noto Sans", system-ui, -apple-system, "Segoe UI", sans-serif; }
header { background: #0277bd; color: #fff; padding: 0 16px; height: 56px; display: flex; align-items: center; }
header h1 { font-size: 20px; font-weight: 400; margin: 0; }
main { max-width: 1040px; margin: 0 auto; padding: 16px; display: grid; gap: 16px;
  grid-template-columns: repeat(auto-fit, minmax(min(100%, 320px), 1fr)); }
.card { background: var(--card); border-radius: 12px; box-shadow: var(--shadow); border: 1px solid var(--line); padding: 16px; min-width: 0; }
.card h2 { font-size: 18px; font-weight: 500; margin: 0 0 12px; }
.overall { grid-column: 1 / -1; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 500; color: #fff; }
.state-connected { background: var(--ok); } .state-degraded { background: var(--warn); }
.state-unauthorized, .state-misconfigured { background: var(--bad); }
.state-starting, .state-connecting, .state-disconnected { background: var(--idle); }
@media (prefers-color-scheme: dark) { .badge { color: #111; } }
.headline { font-size: 16px; margin: 8px 0; overflow-wrap: anywhere; }
.fix { margin: 8px 0; padding: 8px 12px; border-left: 4px solid var(--bad); background: color-mix(in srgb, var(--bad) 8%, transparent); overflow-wrap: anywhere; }
.problems, .notices { margin: 8px 0; padding-left: 20px; } .problems li, .notices li { overflow-wrap: anywhere; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 4px 12px; margin: 0; }
dt { color: var(--muted); } dd { margin: 0; overflow-wrap: anywhere; }
code { font-family: ui-monospace, "Roboto Mono", monospace; font-size: 13px; }
.events { list-style: none; margin: 0; padding: 0; }
.events li { padding: 6px 0; border-top: 1px solid var(--line); overflow-wrap: anywhere; }
.events li:first-child { border-top: 0; }
.events time, .muted { color: var(--muted); }
.level-warning::before { content: "⚠ "; color: var(--warn); } .level-error::before { content: "✖ "; color: var(--bad); }
.actions { display: flex; gap: 12px; align-items: center; flex-wrap: wrap; }
button { font: inherit; font-weight: 500; text-transform: uppercase; letter-spacing: .05em; border: 0; border-radius: 4px;
  padding: 8px 16px; background: var(--primary); color: #fff; cursor: pointer; min-height: 36px; }
@media (prefers-color-scheme: dark) { button { color: #111; } }
button:disabled { opacity: .6; cursor: progress; }
button:focus-visible { outline: 3px solid var(--primary-text); outline-offset: 2px; }
.result-ok { color: var(--ok); } .result-failed { color: var(--bad); }
.offline { grid-column: 1 / -1; background: var(--warn); color: #111; border-radius: 12px; padding: 8px 16px; }
.offline[hidden] { display: none; }
`;
