/**
 * A fetch over node:https that trusts extra CAs (the global fetch only trusts the system store
 * unless NODE_EXTRA_CA_CERTS is set before the process starts). Enough for the tests: method,
 * headers, string or URLSearchParams body, manual redirects.
 */
import http from 'node:http';
import https from 'node:https';
import { rootCertificates } from 'node:tls';

export function fetchTrusting(caPems: string[]): typeof fetch {
  const ca = [...rootCertificates, ...caPems];
  return (async (input: string | URL | Request, init: RequestInit = {}) => {
    const url = new URL(input instanceof Request ? input.url : input);
    const headers = new Headers(init.headers);
    const body = init.body === undefined || init.body === null ? undefined : String(init.body);
    if (body !== undefined) headers.set('content-length', String(Buffer.byteLength(body)));
    const options = {
      method: init.method ?? 'GET',
      headers: Object.fromEntries(headers),
      agent: false as const,
    };
    const response = await new Promise<http.IncomingMessage>((resolve, reject) => {
      const request =
        url.protocol === 'https:'
          ? https.request(url, { ...options, ca }, resolve)
          : http.request(url, options, resolve);
      request.on('error', reject);
      request.end(body);
    });
    const chunks: Buffer[] = [];
    for await (const chunk of response) chunks.push(chunk as Buffer);
    const responseHeaders = new Headers();
    for (const [name, value] of Object.entries(response.headers)) {
      for (const one of Array.isArray(value) ? value : value === undefined ? [] : [value])
        responseHeaders.append(name, one);
    }
    const status = response.statusCode ?? 0;
    return new Response([101, 204, 205, 304].includes(status) ? null : Buffer.concat(chunks), {
      status,
      headers: responseHeaders,
    });
  }) as typeof fetch;
}
