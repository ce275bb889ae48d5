/**
 * Test support: a cookie-keeping client for the web app through `inject` (as if behind the
 * HTTPS load balancer: X-Forwarded-Proto https), and the sign-in through the real devcloud
 * identity provider over HTTP (its login form, its cookies), ending at our callback.
 */
import { DEMO_PASSWORD } from '@gas/devcloud';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';

export class CookieJar {
  readonly cookies = new Map<string, string>();

  header(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  remember(setCookies: string[]): void {
    for (const line of setCookies) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some(
        (a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a),
      );
      if (expired || value === '') this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }
}

function setCookiesOf(response: LightMyRequestResponse): string[] {
  const header = response.headers['set-cookie'];
  if (!header) return [];
  return Array.isArray(header) ? header : [header];
}

export class WebClient {
  readonly jar = new CookieJar();
  readonly app: FastifyInstance;

  constructor(app: FastifyInstance) {
    this.app = app;
  }

  async request(options: InjectOptions & { url: string }): Promise<LightMyRequestResponse> {
    const response = await this.app.inject({
      ...options,
      headers: { 'x-forwarded-proto': 'https', cookie: this.jar.header(), ...(options.headers ?? {}) },
    });
    this.jar.remember(setCookiesOf(response));
    return response;
  }

  get(url: string, headers: Record<string, string> = {}) {
    return this.request({ method: 'GET', url, headers });
  }

  /** Posts a form the way a browser does (urlencoded). */
  postForm(url: string, form: Record<string, string>) {
    return this.request({
      method: 'POST',
      url,
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: new URLSearchParams(form).toString(),
    });
  }

  /** The CSRF token of a page's forms. */
  async csrfToken(page = '/account'): Promise<string> {
    const html = (await this.get(page)).body;
    const token = /name="_csrf" value="([^"]+)"/.exec(html)?.[1];
    if (!token) throw new Error(`no CSRF token on ${page}`);
    return token;
  }

  /** Signs in through the identity provider; returns our callback response. */
  async signIn(email: string, password = DEMO_PASSWORD): Promise<LightMyRequestResponse> {
    return this.signInFrom(await this.get('/auth/login'), email, password);
  }

  /** Continues a sign-in started by `GET /auth/login` (its 303 response). */
  async signInFrom(
    start: LightMyRequestResponse,
    email: string,
    password = DEMO_PASSWORD,
  ): Promise<LightMyRequestResponse> {
    if (start.statusCode !== 303) throw new Error(`/auth/login answered ${start.statusCode}: ${start.body}`);
    const callback = await followIdentityProvider(start.headers.location as string, email, password);
    return this.get(callback.pathname + callback.search);
  }
}

/** Walks the provider's pages with its own cookies until it redirects to our callback. */
export async function followIdentityProvider(
  authorizationUrl: string,
  email: string,
  password: string,
): Promise<URL> {
  const jar = new CookieJar();
  const go = async (url: string, form?: Record<string, string>) => {
    const response = await fetch(url, {
      method: form ? 'POST' : 'GET',
      headers: {
        cookie: jar.header(),
        ...(form ? { 'content-type': 'application/x-www-form-urlencoded' } : {}),
      },
      body: form ? new URLSearchParams(form).toString() : undefined,
      redirect: 'manual',
    });
    jar.remember(response.headers.getSetCookie());
    const location = response.headers.get('location');
    return {
      url,
      status: response.status,
      html: await response.text(),
      location: location ? new URL(location, url).href : null,
    };
  };
  let page = await go(authorizationUrl);
  for (let hops = 0; page.location && hops < 10; hops++) page = await go(page.location);
  const action = /<form[^>]*action="([^"]*\/login)"/.exec(page.html)?.[1];
  if (!action) throw new Error(`no login form at ${page.url}: ${page.status} ${page.html.slice(0, 300)}`);
  page = await go(new URL(action.replaceAll('&#38;', '&'), page.url).href, { email, password });
  for (let hops = 0; page.location && hops < 10; hops++) {
    if (page.location.includes('/auth/callback')) return new URL(page.location);
    page = await go(page.location);
  }
  throw new Error(
    `the provider did not redirect to the callback (status ${page.status}): ${page.html.slice(0, 300)}`,
  );
}

/** Undoes Handlebars' attribute escaping, as a browser does when it reads an href or value. */
export function decodeHtml(text: string): string {
  return text
    .replaceAll('&#x3D;', '=')
    .replaceAll('&#x27;', "'")
    .replaceAll('&#x60;', '`')
    .replaceAll('&quot;', '"')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}
