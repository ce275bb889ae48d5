/**
 * Which URLs in an SNS envelope may be fetched: `SigningCertURL` (the signing certificate)
 * and `SubscribeURL` (to confirm a subscription). Both must be https, on the default port,
 * on an allowed host (exact match, no wildcards): `sns.<region>.amazonaws.com` in AWS, the
 * devcloud host locally. Anything else is refused before any request is made, so a forged
 * message cannot make the service fetch a key from (or call) an attacker's server.
 */
export class UntrustedUrlError extends Error {
  override readonly name = 'UntrustedUrlError';
  readonly url: string;
  constructor(field: string, url: string, reason: string) {
    super(`${field} ${JSON.stringify(url.slice(0, 200))} refused: ${reason}`);
    this.url = url;
  }
}

/** The SNS hosts of a region: `sns.<region>.amazonaws.com` (and `.com.cn` in China regions). */
export function defaultSnsHosts(region: string): string[] {
  return region.startsWith('cn-') ? [`sns.${region}.amazonaws.com.cn`] : [`sns.${region}.amazonaws.com`];
}

export function assertTrustedUrl(
  field: 'SigningCertURL' | 'SubscribeURL',
  value: string,
  allowedHosts: readonly string[],
  options: { requirePemPath?: boolean } = {},
): URL {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UntrustedUrlError(field, value, 'not a URL');
  }
  if (url.protocol !== 'https:') throw new UntrustedUrlError(field, value, 'not https');
  if (url.username || url.password) throw new UntrustedUrlError(field, value, 'has credentials');
  const host = url.hostname.toLowerCase();
  const hostWithPort = url.port ? `${host}:${url.port}` : host;
  const allowed = allowedHosts.map((h) => h.toLowerCase());
  if (!allowed.includes(hostWithPort)) {
    throw new UntrustedUrlError(field, value, `host ${hostWithPort} is not one of ${allowed.join(', ')}`);
  }
  if (options.requirePemPath && !url.pathname.endsWith('.pem')) {
    throw new UntrustedUrlError(field, value, 'path does not end in .pem');
  }
  return url;
}
