// Upload page enhancement: check the file before sending, ask web for POST fields for that
// exact file, send it to S3 with a progress bar, then open the job. Without this script the
// form still posts to S3 and S3 redirects back to /annotate/job.
(() => {
  const form = document.getElementById('upload-form');
  if (!form) return;
  const input = document.getElementById('file');
  const problem = document.getElementById('upload-problem');
  const progress = document.getElementById('upload-progress');
  const button = document.getElementById('upload-button');
  const limit = Number(form.dataset.limit);

  function show(message, offerUpgrade) {
    problem.textContent = message;
    if (offerUpgrade) {
      const link = document.createElement('a');
      link.href = '/account#upgrade';
      link.textContent = ' Upgrade to Premium for larger files.';
      problem.appendChild(link);
    }
    problem.classList.remove('d-none');
  }

  function check() {
    problem.classList.add('d-none');
    button.disabled = false;
    const file = input.files[0];
    if (!file) return null;
    if (!/\.vcf(\.gz|\.bgz)?$/i.test(file.name)) {
      show(`"${file.name}" is not a VCF: choose a .vcf or .vcf.gz file.`, false);
      button.disabled = true;
      return null;
    }
    if (file.size > limit && form.dataset.premium !== 'yes') {
      show(
        `The file is ${(file.size / 1024).toFixed(0)} KB, over the ${form.dataset.limitText} limit of your plan.`,
        form.dataset.premium !== 'yes',
      );
      button.disabled = true;
      return null;
    }
    return file;
  }

  // Premium files over one POST's limit: a multipart upload, each part PUT to its presigned URL.
  async function sendInParts(file) {
    const json = {
      'content-type': 'application/json',
      'x-csrf-token': form.dataset.csrf,
      accept: 'application/json',
    };
    const start = await fetch('/annotate/multipart', {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ file_name: file.name, size: file.size }),
    });
    const upload = await start.json();
    if (!start.ok) {
      show(upload.message, Boolean(upload.upgrade));
      return;
    }
    progress.classList.remove('d-none');
    const parts = [];
    for (const part of upload.parts) {
      const from = (part.part_number - 1) * upload.part_bytes;
      const answer = await fetch(part.url, {
        method: 'PUT',
        body: file.slice(from, from + upload.part_bytes),
      });
      if (!answer.ok) {
        show(
          `Part ${part.part_number} was refused (HTTP ${answer.status}). Reload the page and try again.`,
          false,
        );
        return;
      }
      parts.push({ part_number: part.part_number, etag: answer.headers.get('etag') });
      progress.value = Math.round((parts.length / upload.parts.length) * 100);
    }
    const done = await fetch(upload.complete, {
      method: 'POST',
      headers: json,
      body: JSON.stringify({ key: upload.key, upload_id: upload.upload_id, parts }),
    });
    const body = await done.json();
    if (!done.ok) {
      show(body.message, false);
      return;
    }
    window.location.assign(body.next);
  }

  input.addEventListener('change', check);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const file = check();
    if (!file) return;
    button.disabled = true;
    if (file.size > limit) {
      await sendInParts(file);
      return;
    }
    const query = new URLSearchParams({ file_name: file.name, size: String(file.size) });
    const answer = await fetch(`/annotate/presign?${query}`, { headers: { accept: 'application/json' } });
    const body = await answer.json();
    if (!answer.ok) {
      show(body.message, Boolean(body.upgrade));
      return;
    }
    const data = new FormData();
    for (const [name, value] of Object.entries(body.fields)) data.append(name, value);
    data.append('file', file);
    progress.classList.remove('d-none');
    const request = new XMLHttpRequest();
    request.open('POST', body.url);
    request.upload.addEventListener('progress', (e) => {
      if (e.lengthComputable) progress.value = Math.round((e.loaded / e.total) * 100);
    });
    request.addEventListener('load', () => {
      if (request.status === 201 || request.status === 204) {
        progress.value = 100;
        window.location.assign(body.next);
      } else {
        show(`The upload was refused (HTTP ${request.status}). Reload the page and try again.`, false);
      }
    });
    request.addEventListener('error', () =>
      show('The upload failed (network). Reload the page and try again.', false),
    );
    request.send(data);
  });
})();
