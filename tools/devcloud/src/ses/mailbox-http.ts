/**
 * The mailbox, unsigned, under `/_devcloud/mailbox` on the devcloud edge:
 *
 *   GET    /_devcloud/mailbox                      HTML list (newest first; `?to=` filters)
 *   GET    /_devcloud/mailbox/messages/:id         HTML view: headers, text part, HTML part
 *   POST   /_devcloud/mailbox/delete               form button: empty the mailbox
 *   GET    /_devcloud/mailbox/api/messages?to=...  JSON `{ messages: MailboxMessage[] }`; with
 *                                                  `&wait=<seconds>` (max 20) it waits until at
 *                                                  least one message matches (long poll)
 *   GET    /_devcloud/mailbox/api/messages/:id     JSON MailboxMessage (404 when unknown)
 *   GET    /_devcloud/mailbox/api/messages/:id/raw the raw MIME (message/rfc822), when kept
 *   DELETE /_devcloud/mailbox/api/messages         empties the mailbox, `{ deleted: n }`
 *
 * The HTML part of an e-mail is untrusted markup: it is shown in an iframe with `srcdoc` and a
 * sandbox without scripts, under a CSP that forbids scripts on the page, with `<base
 * target="_top">` so its links stay clickable. The text part is escaped and its URLs linked.
 */
import type { EdgeRequest, EdgeResponse } from '../edge/types.ts';
import type { Mailbox, MailboxMessage } from './mailbox.ts';

export const MAILBOX_PATH_PREFIX = '/_devcloud/mailbox';

const PAGE_CSP =
  "default-src 'none'; style-src 'unsafe-inline'; img-src * data:; frame-src 'self'; form-action 'self'; base-uri 'none'";

function json(status: number, body: unknown): EdgeResponse {
  return {
    status,
    headers: { 'content-type': 'application/json; charset=utf-8' },
    body: JSON.stringify(body),
  };
}

function html(status: number, body: string): EdgeResponse {
  return {
    status,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'content-security-policy': PAGE_CSP,
      'x-content-type-options': 'nosniff',
    },
    body,
  };
}

export async function handleMailboxHttp(req: EdgeRequest, mailbox: Mailbox): Promise<EdgeResponse> {
  const url = new URL(req.url, 'http://devcloud.invalid');
  const rest = url.pathname.slice(MAILBOX_PATH_PREFIX.length) || '/';
  const to = url.searchParams.get('to') ?? undefined;

  if (rest === '/api/messages' || rest === '/api/messages/') {
    if (req.method === 'GET') {
      const waitText = url.searchParams.get('wait');
      const waitSeconds = waitText === null ? 0 : Number(waitText);
      if (!Number.isFinite(waitSeconds) || waitSeconds < 0 || waitSeconds > 20) {
        return json(400, { error: `wait must be a number of seconds from 0 to 20, not "${waitText}".` });
      }
      const deadline = Date.now() + waitSeconds * 1000;
      let messages = await mailbox.list({ to });
      while (messages.length === 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        messages = await mailbox.list({ to });
      }
      return json(200, { messages });
    }
    if (req.method === 'DELETE') return json(200, { deleted: await mailbox.clear() });
    return json(405, { error: `${req.method} is not allowed on ${url.pathname}; use GET or DELETE.` });
  }
  const apiMessage = /^\/api\/messages\/([^/]+)(\/raw)?$/.exec(rest);
  if (apiMessage) {
    if (req.method !== 'GET')
      return json(405, { error: `${req.method} is not allowed on ${url.pathname}; use GET.` });
    const id = decodeURIComponent(apiMessage[1]!);
    if (apiMessage[2]) return rawResponse(mailbox, id);
    const message = await mailbox.get(id);
    return message ? json(200, message) : json(404, { error: `No message with id ${id} in the mailbox.` });
  }
  if (rest.startsWith('/api/')) return json(404, { error: `No mailbox API at ${url.pathname}.` });

  if (rest === '/' && req.method === 'GET') return html(200, listPage(await mailbox.list({ to }), to));
  if (rest === '/delete' && req.method === 'POST') {
    await mailbox.clear();
    return { status: 303, headers: { location: MAILBOX_PATH_PREFIX } };
  }
  const pageMessage = /^\/messages\/([^/]+)(\/raw)?$/.exec(rest);
  if (pageMessage && req.method === 'GET') {
    const id = decodeURIComponent(pageMessage[1]!);
    if (pageMessage[2]) return rawResponse(mailbox, id);
    const message = await mailbox.get(id);
    return message
      ? html(200, messagePage(message))
      : html(404, layout('Not found', `<p>No message with id <code>${escapeHtml(id)}</code>.</p>`));
  }
  return html(404, layout('Not found', `<p>Nothing at <code>${escapeHtml(url.pathname)}</code>.</p>`));
}

async function rawResponse(mailbox: Mailbox, id: string): Promise<EdgeResponse> {
  const raw = await mailbox.raw(id);
  if (!raw) return json(404, { error: `No raw MIME kept for message ${id} (only raw sends keep it).` });
  return { status: 200, headers: { 'content-type': 'message/rfc822' }, body: raw };
}

export function escapeHtml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Escapes plain text and turns http(s) URLs into links. */
function linkify(text: string): string {
  const parts = text.split(/(https?:\/\/[^\s<>"']+)/g);
  return parts
    .map((part, index) =>
      index % 2 === 1 ? `<a href="${escapeHtml(part)}">${escapeHtml(part)}</a>` : escapeHtml(part),
    )
    .join('');
}

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} · devcloud mailbox</title>
<style>
body{font-family:system-ui,sans-serif;margin:2rem auto;max-width:60rem;padding:0 1rem;color:#222}
table{border-collapse:collapse;width:100%}th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #ddd}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}dt{font-weight:600}
pre{white-space:pre-wrap;background:#f6f6f6;padding:1rem;border-radius:4px}
iframe{width:100%;height:32rem;border:1px solid #ccc;border-radius:4px}
.note{color:#666;font-size:.9rem}
</style></head>
<body><p class="note">devcloud: a local stand-in for Amazon SES. Nothing here was really sent.</p>
${body}</body></html>`;
}

function listPage(messages: MailboxMessage[], to: string | undefined): string {
  const rows = messages
    .map(
      (
        m,
      ) => `<tr><td><time datetime="${m.receivedAt}">${escapeHtml(m.receivedAt.replace('T', ' ').slice(0, 19))} UTC</time></td>
<td>${escapeHtml([...m.to, ...m.cc].join(', '))}</td><td>${escapeHtml(m.from)}</td>
<td><a href="${MAILBOX_PATH_PREFIX}/messages/${encodeURIComponent(m.id)}">${escapeHtml(m.subject || '(no subject)')}</a></td></tr>`,
    )
    .join('\n');
  return layout(
    'Mailbox',
    `<h1>Mailbox</h1>
<form method="get" action="${MAILBOX_PATH_PREFIX}"><label>Recipient <input name="to" type="email" value="${escapeHtml(to ?? '')}"></label> <button>Filter</button></form>
<p>${messages.length} message${messages.length === 1 ? '' : 's'}${to ? ` to ${escapeHtml(to)}` : ''}.</p>
<table><thead><tr><th>Received</th><th>To</th><th>From</th><th>Subject</th></tr></thead><tbody>
${rows}
</tbody></table>
<form method="post" action="${MAILBOX_PATH_PREFIX}/delete"><p><button>Delete all messages</button></p></form>`,
  );
}

function messagePage(m: MailboxMessage): string {
  const field = (name: string, value: string) =>
    value ? `<dt>${name}</dt><dd>${escapeHtml(value)}</dd>` : '';
  const htmlPart = m.html
    ? `<h2>HTML part</h2><iframe title="HTML part" sandbox="allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation" srcdoc="${escapeHtml(`<base target="_top">${m.html}`)}"></iframe>`
    : '';
  const textPart = m.text !== null ? `<h2>Text part</h2><pre>${linkify(m.text)}</pre>` : '';
  const attachments = m.attachments.length
    ? `<h2>Attachments</h2><ul>${m.attachments
        .map(
          (a) =>
            `<li>${escapeHtml(a.filename ?? '(unnamed)')} (${escapeHtml(a.contentType)}, ${a.size} bytes)</li>`,
        )
        .join('')}</ul>`
    : '';
  const raw = m.hasRaw
    ? `<p><a href="${MAILBOX_PATH_PREFIX}/messages/${encodeURIComponent(m.id)}/raw">Raw MIME</a></p>`
    : '';
  return layout(
    m.subject || '(no subject)',
    `<p><a href="${MAILBOX_PATH_PREFIX}">← Mailbox</a></p>
<h1>${escapeHtml(m.subject || '(no subject)')}</h1>
<dl>${field('From', m.from)}${field('To', m.to.join(', '))}${field('Cc', m.cc.join(', '))}${field('Bcc', m.bcc.join(', '))}${field('Reply-To', m.replyTo.join(', '))}${field('Received', m.receivedAt)}${field('Message id', m.id)}${field('Sent with', m.via)}</dl>
${textPart}${htmlPart}${attachments}${raw}`,
  );
}
