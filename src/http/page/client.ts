// The page's only script, inlined with a CSP nonce. Relative URLs only: the
// page lives under Home Assistant's ingress prefix (/api/hassio_ingress/<token>/).
// Every few seconds it fetches the server-rendered sections again and swaps
// the ones that changed; if the add-on is restarting it says "reconnecting…"
// and keeps trying.
export const CLIENT_SCRIPT = `
(() => {
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
