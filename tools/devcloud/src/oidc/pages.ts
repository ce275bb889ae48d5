/** HTML of the identity provider's own pages: plain forms, no JavaScript, no external assets. */

export function escapeHtml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:; frame-ancestors 'none'";

export function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · devcloud identity provider</title>
<style>
body{font-family:system-ui,sans-serif;background:#f4f5f7;color:#222;margin:0}
main{max-width:24rem;margin:4rem auto;background:#fff;padding:2rem;border-radius:8px;box-shadow:0 1px 4px #0002}
label{display:block;margin:.8rem 0 .2rem}input{width:100%;box-sizing:border-box;padding:.5rem;font-size:1rem}
button{margin-top:1.2rem;padding:.55rem 1.2rem;font-size:1rem;cursor:pointer}
.error{background:#fde8e8;color:#8a1c1c;padding:.6rem .8rem;border-radius:4px}
.note{color:#666;font-size:.85rem}
</style></head>
<body><main>${body}
<p class="note">devcloud identity provider: a local stand-in for development and tests, never for production.</p>
</main></body></html>`;
}

export function loginPage(opts: {
  uid: string;
  clientId: string;
  email: string;
  error?: string;
  demoHint: boolean;
}): string {
  const error = opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>` : '';
  const hint = opts.demoHint
    ? '<p class="note">Demo accounts: <code>free@example.org</code> and <code>premium@example.org</code>, password <code>gas-demo</code>.</p>'
    : '';
  const action = `/interaction/${encodeURIComponent(opts.uid)}`;
  return layout(
    'Sign in',
    `<h1>Sign in</h1>
<p>to continue to <strong>${escapeHtml(opts.clientId)}</strong></p>
${error}
<form method="post" action="${action}/login" autocomplete="on">
<label for="email">E-mail</label><input id="email" name="email" type="email" required autofocus value="${escapeHtml(opts.email)}">
<label for="password">Password</label><input id="password" name="password" type="password" required>
<button type="submit">Sign in</button>
</form>
<form method="post" action="${action}/abort"><button type="submit">Cancel</button></form>
${hint}`,
  );
}

export function messagePage(title: string, message: string): string {
  return layout(title, `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(message)}</p>`);
}
