/**
 * Bucket CORS as S3 applies it: the first rule whose AllowedOrigin (one `*` wildcard allowed),
 * AllowedMethod and AllowedHeader (for a preflight's Access-Control-Request-Headers) all match
 * decides the response headers. A preflight with no matching rule is refused with 403.
 */
import { s3Error } from '../edge/errors.ts';
import type { EdgeResponse } from '../edge/types.ts';
import { asArray, MalformedXmlError, parseXml, text } from './xml.ts';

export interface CorsRule {
  allowedOrigins: string[];
  allowedMethods: string[];
  allowedHeaders: string[];
  exposeHeaders: string[];
  maxAgeSeconds: number | null;
}

const METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'HEAD']);

/** Parses and validates a CORSConfiguration body; throws MalformedXmlError with the reason. */
export function parseCorsConfiguration(body: Buffer): CorsRule[] {
  const doc = parseXml(body);
  const config = doc.CORSConfiguration as Record<string, unknown> | undefined;
  if (!config)
    throw new MalformedXmlError(
      'The XML you provided was not well-formed: expected a CORSConfiguration element.',
    );
  const rules = asArray(config.CORSRule as Record<string, unknown>[] | undefined).map((r, i) => {
    const rule: CorsRule = {
      allowedOrigins: asArray(r.AllowedOrigin as string[]).map(String),
      allowedMethods: asArray(r.AllowedMethod as string[]).map(String),
      allowedHeaders: asArray(r.AllowedHeader as string[]).map(String),
      exposeHeaders: asArray(r.ExposeHeader as string[]).map(String),
      maxAgeSeconds: text(r.MaxAgeSeconds) !== undefined ? Number(text(r.MaxAgeSeconds)) : null,
    };
    if (rule.allowedOrigins.length === 0 || rule.allowedMethods.length === 0) {
      throw new MalformedXmlError(
        `CORSRule ${i + 1} needs at least one AllowedOrigin and one AllowedMethod.`,
      );
    }
    for (const m of rule.allowedMethods) {
      if (!METHODS.has(m))
        throw new MalformedXmlError(
          `Found unsupported HTTP method in CORS config. Unsupported method is ${m}`,
        );
    }
    return rule;
  });
  if (rules.length === 0) throw new MalformedXmlError('A CORSConfiguration needs at least one CORSRule.');
  return rules;
}

function wildcardMatch(pattern: string, value: string, caseInsensitive: boolean): boolean {
  const p = caseInsensitive ? pattern.toLowerCase() : pattern;
  const v = caseInsensitive ? value.toLowerCase() : value;
  const star = p.indexOf('*');
  if (star === -1) return p === v;
  const head = p.slice(0, star);
  const tail = p.slice(star + 1);
  return v.length >= head.length + tail.length && v.startsWith(head) && v.endsWith(tail);
}

function findRule(
  rules: CorsRule[],
  origin: string,
  method: string,
  requestHeaders: string[],
): CorsRule | undefined {
  return rules.find(
    (r) =>
      r.allowedOrigins.some((o) => wildcardMatch(o, origin, false)) &&
      r.allowedMethods.includes(method) &&
      requestHeaders.every((h) => r.allowedHeaders.some((a) => wildcardMatch(a, h, true))),
  );
}

function ruleHeaders(rule: CorsRule, origin: string): Record<string, string> {
  const headers: Record<string, string> = {
    'access-control-allow-origin': rule.allowedOrigins.includes('*') ? '*' : origin,
    'access-control-allow-methods': rule.allowedMethods.join(', '),
    vary: 'Origin, Access-Control-Request-Headers, Access-Control-Request-Method',
  };
  if (!rule.allowedOrigins.includes('*')) headers['access-control-allow-credentials'] = 'true';
  if (rule.exposeHeaders.length > 0) headers['access-control-expose-headers'] = rule.exposeHeaders.join(', ');
  if (rule.maxAgeSeconds !== null) headers['access-control-max-age'] = String(rule.maxAgeSeconds);
  return headers;
}

/** Answers an OPTIONS preflight from the bucket's rules (null rules: bucket has no CORS). */
export function preflight(
  rules: CorsRule[] | null,
  headers: Record<string, string | undefined>,
): EdgeResponse {
  const origin = headers.origin;
  const method = headers['access-control-request-method'];
  if (!origin || !method) {
    return s3Error(400, 'BadRequest', 'Insufficient information. Origin request header needed.');
  }
  if (!rules) return s3Error(403, 'AccessForbidden', 'CORSResponse: CORS is not enabled for this bucket.');
  const requested = (headers['access-control-request-headers'] ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  const rule = findRule(rules, origin, method, requested);
  if (!rule) {
    return s3Error(
      403,
      'AccessForbidden',
      "CORSResponse: This CORS request is not allowed. This is usually because the evalution of Origin, request method / Access-Control-Request-Method or Access-Control-Request-Headers are not whitelisted by the resource's CORS spec.",
    );
  }
  const out = ruleHeaders(rule, origin);
  if (requested.length > 0) out['access-control-allow-headers'] = requested.join(', ');
  return { status: 200, headers: out };
}

/** CORS headers to add to an actual (non-preflight) response, if a rule allows it. */
export function actualRequestHeaders(
  rules: CorsRule[] | null,
  origin: string | undefined,
  method: string,
): Record<string, string> {
  if (!rules || !origin) return {};
  const rule = findRule(rules, origin, method, []);
  return rule ? ruleHeaders(rule, origin) : {};
}
