// Job page while the job runs: ask for the status every few seconds, move the progress bar,
// and reload the page when the status changes (the finished page has the results).
(() => {
  const holder = document.querySelector('[data-job-status-url]');
  if (!holder) return;
  const initial = holder.dataset.status;
  const bar = document.getElementById('job-progress');
  const text = document.querySelector('[data-testid="job-progress"]');
  const poll = async () => {
    try {
      const answer = await fetch(holder.dataset.jobStatusUrl, { headers: { accept: 'application/json' } });
      if (answer.ok) {
        const body = await answer.json();
        if (body.status !== initial) {
          window.location.reload();
          return;
        }
        if (bar && typeof body.percent === 'number') {
          bar.value = body.percent;
          if (text) text.textContent = `${body.percent}% of the input read.`;
        }
      }
    } catch {
      // a network hiccup: try again at the next tick
    }
    setTimeout(poll, 2000);
  };
  setTimeout(poll, 2000);
})();
