/**
 * One simulated user's browser, without a browser: an HTTP(S) client with a cookie jar that
 * follows redirects the way a browser does (303/302 -> GET, 307/308 keep the method), trusting
 * the stack's local CA. It signs in through the real OIDC authorization-code flow (web's
 * /auth/login -> the identity provider's login form -> consent -> web's /auth/callback), and
 * uploads through the real path: /annotate/presign for POST fields, the multipart POST straight
 * to S3 (devcloud), then /annotate/job, which creates the job and redirects to its page.
 *
 * The jar is deliberately small: cookies are kept per host name and path prefix, `Secure` and
 * `SameSite` are not enforced (every hop here is first-party), expiry is honoured only for
 * deletions (Max-Age=0 or an Expires in the past).
 */
import http from 'node:http';
import https from 'node:https';

export interface Answer {
  status: number;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
}

interface Cookie {
  name: string;
  value: string;
  host: string;
  path: string;
}

export class HttpFailure extends Error {
  override readonly name = 'HttpFailure';
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

const MAX_REDIRECTS = 15;

export class BrowserSession {
  readonly #cookies: Cookie[] = [];
  readonly #httpsAgent: https.Agent;
  readonly #httpAgent = new http.Agent({ keepAlive: true, maxSockets: 4 });

  constructor(ca: string) {
    this.#httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 4, ca });
  }

  close(): void {
    this.#httpsAgent.destroy();
    this.#httpAgent.destroy();
  }

  /** The `name=value` pairs the jar would send to `url` (for autocannon's Cookie header). */
  cookieHeader(url: string): string {
    const target = new URL(url);
    return this.#cookies
      .filter((c) => c.host === target.hostname && target.pathname.startsWith(c.path))
      .map((c) => `${c.name}=${c.value}`)
      .join('; ');
  }

  #remember(url: URL, setCookie: string[] | undefined): void {
    for (const line of setCookie ?? []) {
      const [pair, ...attributes] = line.split(';').map((part) => part.trim());
      const eq = pair!.indexOf('=');
      if (eq <= 0) continue;
      const name = pair!.slice(0, eq);
      const value = pair!.slice(eq + 1);
      let path = '/';
      let expired = false;
      for (const attribute of attributes) {
        const [key, ...rest] = attribute.split('=');
        const lower = key!.toLowerCase();
        const attributeValue = rest.join('=');
        if (lower === 'path' && attributeValue.startsWith('/')) path = attributeValue;
        if (lower === 'max-age' && Number(attributeValue) <= 0) expired = true;
        if (lower === 'expires' && Date.parse(attributeValue) < Date.now()) expired = true;
      }
      const index = this.#cookies.findIndex(
        (c) => c.name === name && c.host === url.hostname && c.path === path,
      );
      if (index >= 0) this.#cookies.splice(index, 1);
      if (!expired) this.#cookies.push({ name, value, host: url.hostname, path });
    }
  }

  /** One request, no redirects followed. */
  send(
    method: string,
    url: string,
    options: { headers?: Record<string, string>; body?: Buffer | string } = {},
  ): Promise<Answer> {
    const target = new URL(url);
    const cookie = this.cookieHeader(url);
    const headers: Record<string, string> = {
      'user-agent': 'gas-bench-load',
      ...(cookie ? { cookie } : {}),
      ...options.headers,
    };
    if (options.body !== undefined) headers['content-length'] = String(Buffer.byteLength(options.body));
    const client = target.protocol === 'https:' ? https : http;
    const agent = target.protocol === 'https:' ? this.#httpsAgent : this.#httpAgent;
    return new Promise((resolve, reject) => {
      const request = client.request(target, { method, headers, agent, timeout: 60_000 }, (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const setCookie = response.headers['set-cookie'];
          this.#remember(target, setCookie);
          resolve({
            status: response.statusCode ?? 0,
            url,
            headers: response.headers,
            body: Buffer.concat(chunks),
          });
        });
      });
      request.on('timeout', () => request.destroy(new Error(`${method} ${url}: no answer in 60 s`)));
      request.on('error', reject);
      request.end(options.body);
    });
  }

  /** A request that follows redirects as a browser does; resolves with the last answer. */
  async fetch(
    method: string,
    url: string,
    options: { headers?: Record<string, string>; body?: Buffer | string } = {},
  ): Promise<Answer> {
    let current = { method, url, options };
    for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
      const answer = await this.send(current.method, current.url, current.options);
      const location = answer.headers.location;
      if (answer.status < 300 || answer.status >= 400 || !location) return answer;
      const next = new URL(location, current.url).href;
      current =
        answer.status === 307 || answer.status === 308
          ? { ...current, url: next }
          : { method: 'GET', url: next, options: { headers: pick(current.options.headers, 'accept') } };
    }
    throw new Error(`${method} ${url}: more than ${MAX_REDIRECTS} redirects`);
  }
}

function pick(headers: Record<string, string> | undefined, name: string): Record<string, string> {
  return headers?.[name] ? { [name]: headers[name] } : {};
}

/** The first `<form ... action="...">` whose action ends with `suffix`, resolved against the page. */
function formAction(page: Answer, suffix: string): string {
  const html = page.body.toString('utf8');
  for (const match of html.matchAll(/<form\b[^>]*\baction="([^"]+)"/g)) {
    const action = match[1]!.replace(/&amp;/g, '&');
    if (action.endsWith(suffix)) return new URL(action, page.url).href;
  }
  throw new HttpFailure(`no "${suffix}" form on ${page.url} (HTTP ${page.status})`, page.status);
}

/**
 * Signs in at `webUrl` through the identity provider's login form; resolves once web has
 * answered a signed-in page (the dashboard).
 */
export async function signIn(session: BrowserSession, webUrl: string, email: string, password: string) {
  const loginPage = await session.fetch('GET', `${webUrl}/auth/login`);
  if (loginPage.status !== 200)
    throw new HttpFailure(`sign-in page: HTTP ${loginPage.status} at ${loginPage.url}`, loginPage.status);
  const signedIn = await session.fetch('POST', formAction(loginPage, '/login'), {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ email, password }).toString(),
  });
  if (signedIn.status !== 200 || !signedIn.url.startsWith(webUrl)) {
    throw new HttpFailure(`sign-in of ${email}: HTTP ${signedIn.status} at ${signedIn.url}`, signedIn.status);
  }
}

export interface UploadedJob {
  jobId: string;
  /** When the file's POST to S3 started (ms since the epoch). */
  uploadStartedAt: number;
}

/** Uploads `vcf` as `fileName` the way the page's upload.js does; resolves with the new job's id. */
export async function uploadVcf(
  session: BrowserSession,
  webUrl: string,
  fileName: string,
  vcf: Buffer,
): Promise<UploadedJob> {
  const query = new URLSearchParams({ file_name: fileName, size: String(vcf.length) });
  const presign = await session.send('GET', `${webUrl}/annotate/presign?${query}`, {
    headers: { accept: 'application/json' },
  });
  if (presign.status !== 200)
    throw new HttpFailure(
      `presign: HTTP ${presign.status} ${presign.body.toString().slice(0, 200)}`,
      presign.status,
    );
  const { url, fields, next } = JSON.parse(presign.body.toString()) as {
    url: string;
    fields: Record<string, string>;
    next: string;
  };
  const form = new FormData();
  for (const [name, value] of Object.entries(fields)) form.append(name, value);
  form.append('file', new Blob([new Uint8Array(vcf)], { type: 'text/plain' }), fileName);
  // FormData -> multipart bytes with the boundary, without a fetch to S3 (the session does it).
  const encoded = new Response(form);
  const body = Buffer.from(await encoded.arrayBuffer());
  const uploadStartedAt = Date.now();
  const stored = await session.send('POST', url, {
    headers: { 'content-type': encoded.headers.get('content-type')! },
    body,
  });
  if (stored.status !== 201 && stored.status !== 204)
    throw new HttpFailure(
      `S3 POST: HTTP ${stored.status} ${stored.body.toString().slice(0, 200)}`,
      stored.status,
    );
  const submitted = await session.fetch('GET', new URL(next, webUrl).href);
  const jobId = /\/annotations\/([0-9a-f-]{36})$/.exec(submitted.url)?.[1];
  if (submitted.status !== 200 || !jobId)
    throw new HttpFailure(`submit: HTTP ${submitted.status} at ${submitted.url}`, submitted.status);
  return { jobId, uploadStartedAt };
}
