// The page's only script, inlined with a CSP nonce. Relative URLs only: the
// page lives under Home Assistant's ingress prefix (/api/hassio_ingress/<token>/).
// Every few seconds it fetches the server-rendered sections again and swaps
// the ones that changed; if the add-on is restarting it says "reconnecting…"
// and keeps trying. Inside Home Assistant's ingress frame (same origin as
// Home Assistant) it takes the theme's dark mode from Home Assistant itself
// (the <home-assistant> element's hass.themes.darkMode, else the frontend's
// stored "selectedTheme"), and drops its own title bar where Home Assistant
// shows one; elsewhere the system's colour scheme applies. Rotate and revoke
// ask before they run; "Copy policy" copies the IAM policy.
export const CLIENT_SCRIPT = `
(() => {
  const root = document.documentElement;
  function haDark() {
    try {
      const hass = window.parent.document.querySelector('home-assistant')?.hass;
      if (typeof hass?.themes?.darkMode === 'boolean') return hass.themes.darkMode;
    } catch {}
    try {
      const stored = JSON.parse(localStorage.getItem('selectedTheme') || 'null');
      if (typeof stored?.dark === 'boolean') return stored.dark;
    } catch {}
    return undefined;
  }
  if (window.top !== window) root.classList.add('embedded');
  function applyTheme() {
    const dark = haDark();
    if (dark === undefined) delete root.dataset.theme;
    else root.dataset.theme = dark ? 'dark' : 'light';
  }
  applyTheme();
  setInterval(applyTheme, 5000);

  for (const button of document.querySelectorAll('button[data-copy]')) {
    button.addEventListener('click', async () => {
      const text = document.getElementById(button.dataset.copy)?.textContent ?? '';
      try {
        await navigator.clipboard.writeText(text);
        button.textContent = 'Copied';
      } catch {
        const range = document.createRange();
        range.selectNodeContents(document.getElementById(button.dataset.copy));
        getSelection().removeAllRanges();
        getSelection().addRange(range);
        button.textContent = 'Selected: press Ctrl+C';
      }
    });
  }
  const offline = document.getElementById('offline');
  let delay = 3000;
  async function update() {
    try {
      const response = await fetch('partial', { cache: 'no-store', credentials: 'same-origin' });
      if (!response.ok) throw new Error(String(response.status));
      const template = document.createElement('template');
      template.innerHTML = await response.text();
      for (const fresh of template.content.querySelectorAll('[data-live]')) {
        const current = document.getElementById(fresh.id);
        if (current && current.innerHTML !== fresh.innerHTML) current.innerHTML = fresh.innerHTML;
      }
      offline.hidden = true;
      delay = 3000;
    } catch {
      offline.hidden = false;
      delay = Math.min(delay * 2, 15000);
    }
    setTimeout(update, delay);
  }
  setTimeout(update, delay);

  const result = document.getElementById('action-result');
  for (const button of document.querySelectorAll('button[data-action]')) {
    button.addEventListener('click', async () => {
      if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
      const action = button.dataset.action;
      const buttons = document.querySelectorAll('button[data-action]');
      for (const b of buttons) b.disabled = true;
      button.setAttribute('aria-busy', 'true');
      result.className = '';
      result.textContent = button.dataset.progress;
      try {
        const response = await fetch('api/' + action, { method: 'POST', credentials: 'same-origin' });
        const outcome = await response.json();
        result.className = outcome.ok ? 'result-ok' : 'result-failed';
        result.textContent = (outcome.ok ? 'Done: ' : 'Failed: ') + outcome.message;
      } catch {
        result.className = 'result-failed';
        result.textContent = 'Failed: the add-on did not answer.';
      } finally {
        for (const b of buttons) b.disabled = false;
        button.removeAttribute('aria-busy');
      }
    });
  }
})();
`;
