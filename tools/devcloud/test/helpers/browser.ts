/**
 * A minimal cookie-keeping "browser" over fetch for driving server-rendered pages with plain HTTP:
 * follows redirects by hand (so a test can stop at a callback URL) and submits forms.
 */
export interface Page {
  url: string;
  status: number;
  html: string;
  location: string | null;
}

export class TestBrowser {
  readonly #cookies = new Map<string, string>();
  readonly #fetch: typeof fetch;

  constructor(fetchImpl: typeof fetch = fetch) {
    this.#fetch = fetchImpl;
  }

  cookieHeader(): string {
    return [...this.#cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  #remember(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(';');
      const eq = pair!.indexOf('=');
      const name = pair!.slice(0, eq).trim();
      const value = pair!.slice(eq + 1).trim();
      const expired = attributes.some(
        (a) => /^\s*max-age=0\s*$/i.test(a) || /^\s*expires=Thu, 01 Jan 1970/i.test(a),
      );
      if (expired || value === '') this.#cookies.delete(name);
      else this.#cookies.set(name, value);
    }
  }

  async request(url: string, init: { method?: string; form?: Record<string, string> } = {}): Promise<Page> {
    const headers: Record<string, string> = { cookie: this.cookieHeader() };
    let body: string | undefined;
    if (init.form) {
      headers['content-type'] = 'application/x-www-form-urlencoded';
      body = new URLSearchParams(init.form).toString();
    }
    const response = await this.#fetch(url, {
      method: init.method ?? (init.form ? 'POST' : 'GET'),
      headers,
      body,
      redirect: 'manual',
    });
    this.#remember(response);
    const location = response.headers.get('location');
    return {
      url,
      status: response.status,
      html: await response.text(),
      location: location ? new URL(location, url).toString() : null,
    };
  }

  /** Follows redirects from `url` until a page that does not redirect, or one whose URL starts with `stopAt`. */
  async navigate(
    url: string,
    stopAt?: string,
    init: { method?: string; form?: Record<string, string> } = {},
  ): Promise<Page> {
    let page = await this.request(url, init);
    for (let hops = 0; page.location && hops < 20; hops++) {
      if (stopAt && page.location.startsWith(stopAt)) return page;
      page = await this.request(page.location);
    }
    return page;
  }
}

/** The `action` of the first form whose action matches `pattern`, resolved against the page URL. */
export function formAction(page: Page, pattern: RegExp): string {
  const actions = [...page.html.matchAll(/<form[^>]*action="([^"]+)"/g)].map((m) =>
    m[1]!.replaceAll('&#38;', '&'),
  );
  const action = actions.find((a) => pattern.test(a));
  if (!action) throw new Error(`no form matching ${pattern} on ${page.url}: ${page.html.slice(0, 500)}`);
  return new URL(action, page.url).toString();
}

/** Hidden inputs of the page as a record. */
export function hiddenInputs(page: Page): Record<string, string> {
  const inputs: Record<string, string> = {};
  for (const match of page.html.matchAll(/<input[^>]*type="hidden"[^>]*>/g)) {
    const name = /name="([^"]+)"/.exec(match[0])?.[1];
    const value = /value="([^"]*)"/.exec(match[0])?.[1];
    if (name) inputs[name] = value ?? '';
  }
  return inputs;
}
