// Job page while the job runs: ask for the status every few seconds and reload the page when it changes.
(() => {
  const holder = document.querySelector('[data-job-status-url]');
  if (!holder) return;
  const initial = holder.dataset.status;
  const poll = async () => {
    try {
      const answer = await fetch(holder.dataset.jobStatusUrl, { headers: { accept: 'application/json' } });
      if (answer.ok) {
        const body = await answer.json();
        if (body.status !== initial) {
          window.location.reload();
          return;
        }
      }
    } catch {
      // network hiccup: try again at the next tick
    }
    setTimeout(poll, 3000);
  };
  setTimeout(poll, 3000);
})();
