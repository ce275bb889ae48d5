/**
 * Fetching SNS signing certificates over https, with an optional extra CA (the local
 * devcloud serves https from its own CA), a size cap and a timeout; the parsed public
 * keys are cached per URL (bounded), since SNS signs with few certificates.
 */
import { type KeyObject, X509Certificate } from 'node:crypto';
import { request } from 'node:https';
import { rootCertificates } from 'node:tls';

export class CertificateFetchError extends Error {
  override readonly name = 'CertificateFetchError';
}

export type HttpsGetOptions = { extraCaPem?: string; timeoutMs?: number; maxBytes?: number };

/** GET an https URL (already checked by `assertTrustedUrl`) and return the body text. */
export function httpsGetText(
  url: URL,
  options: HttpsGetOptions = {},
): Promise<{ status: number; body: string }> {
  const maxBytes = options.maxBytes ?? 64 * 1024;
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        timeout: options.timeoutMs ?? 5000,
        ...(options.extraCaPem ? { ca: [...rootCertificates, options.extraCaPem] } : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) {
            req.destroy(new CertificateFetchError(`${url.host} answered more than ${maxBytes} bytes`));
            return;
          }
          chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new CertificateFetchError(`${url.host} did not answer in time`)));
    req.on('error', reject);
    req.end();
  });
}

export class CertificateCache {
  readonly #keys = new Map<string, Promise<KeyObject>>();
  readonly #options: HttpsGetOptions & { maxEntries?: number };

  constructor(options: HttpsGetOptions & { maxEntries?: number } = {}) {
    this.#options = options;
  }

  /** The public key of the certificate at `url`; fetched once, then cached. */
  publicKeyOf(url: URL): Promise<KeyObject> {
    const key = url.href;
    const cached = this.#keys.get(key);
    if (cached) return cached;
    const pending = this.#fetch(url);
    this.#keys.set(key, pending);
    pending.catch(() => this.#keys.delete(key));
    const maxEntries = this.#options.maxEntries ?? 50;
    while (this.#keys.size > maxEntries) this.#keys.delete(this.#keys.keys().next().value as string);
    return pending;
  }

  get size(): number {
    return this.#keys.size;
  }

  async #fetch(url: URL): Promise<KeyObject> {
    let response: { status: number; body: string };
    try {
      response = await httpsGetText(url, this.#options);
    } catch (cause) {
      throw new CertificateFetchError(
        `cannot fetch signing certificate ${url.href}: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    if (response.status !== 200) {
      throw new CertificateFetchError(`signing certificate ${url.href} answered HTTP ${response.status}`);
    }
    let certificate: X509Certificate;
    try {
      certificate = new X509Certificate(response.body);
    } catch (cause) {
      throw new CertificateFetchError(`signing certificate ${url.href} is not a PEM certificate`, { cause });
    }
    const now = Date.now();
    if (Date.parse(certificate.validFrom) > now || Date.parse(certificate.validTo) < now) {
      throw new CertificateFetchError(
        `signing certificate ${url.href} is not valid now (${certificate.validTo})`,
      );
    }
    return certificate.publicKey;
  }
}
