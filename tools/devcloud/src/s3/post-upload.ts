/**
 * S3 browser-based uploads (POST Object with a SigV4 POST policy): the multipart/form-data
 * parser and the policy check.
 *
 * The policy is a base64 JSON document `{ expiration, conditions }` signed with the SigV4
 * signing key. S3 accepts the upload only when the signature matches, the expiration is in
 * the future, every condition holds (`{field: value}` and `["eq", "$field", value]` exact,
 * `["starts-with", "$field", prefix]`, `["content-length-range", min, max]` on the file
 * size), and every form field is covered by a condition (except `policy`, `x-amz-signature`,
 * `file` and `x-ignore-*`). Field names are case-insensitive. Failures use S3's codes:
 * AccessDenied "Invalid according to Policy: ...", EntityTooLarge, EntityTooSmall.
 */
import { s3Error } from '../edge/errors.ts';
import type { EdgeResponse } from '../edge/types.ts';

export interface FormFile {
  filename: string;
  contentType: string | null;
  data: Buffer;
}

export interface ParsedForm {
  /** Lower-cased field name -> value, in form order (fields after `file` are ignored, as S3 does). */
  fields: Map<string, string>;
  /** Original field names, for messages. */
  originalNames: Map<string, string>;
  file: FormFile | null;
}

export class FormError extends Error {
  override name = 'FormError';
}

/** Parses a multipart/form-data body (RFC 7578). */
export function parseMultipartForm(contentType: string, body: Buffer): ParsedForm {
  const m = /boundary=(?:"([^"]+)"|([^;]+))/i.exec(contentType);
  const boundary = m?.[1] ?? m?.[2];
  if (!boundary)
    throw new FormError('The body of a POST upload must be multipart/form-data with a boundary.');
  const delimiter = Buffer.from(`--${boundary}`);
  const fields = new Map<string, string>();
  const originalNames = new Map<string, string>();
  let file: FormFile | null = null;
  let pos = body.indexOf(delimiter);
  if (pos === -1) throw new FormError('The multipart/form-data body has no part with the declared boundary.');
  for (;;) {
    pos += delimiter.length;
    if (body.subarray(pos, pos + 2).toString('latin1') === '--') break;
    pos += 2; // CRLF after the delimiter
    const headerEnd = body.indexOf('\r\n\r\n', pos);
    if (headerEnd === -1) throw new FormError('A multipart/form-data part has no header terminator.');
    const headerText = body.subarray(pos, headerEnd).toString('utf8');
    const next = body.indexOf(Buffer.concat([Buffer.from('\r\n'), delimiter]), headerEnd + 4);
    if (next === -1) throw new FormError('The multipart/form-data body is not terminated by its boundary.');
    const content = body.subarray(headerEnd + 4, next);
    pos = next + 2;
    const disposition = /content-disposition:([^\r\n]*)/i.exec(headerText)?.[1] ?? '';
    const name = /\bname="([^"]*)"/i.exec(disposition)?.[1];
    if (name === undefined) throw new FormError('A multipart/form-data part has no name.');
    const filename = /\bfilename="([^"]*)"/i.exec(disposition)?.[1];
    if (name.toLowerCase() === 'file') {
      const ct = /content-type:\s*([^\r\n]*)/i.exec(headerText)?.[1]?.trim() ?? null;
      file = { filename: filename ?? '', contentType: ct, data: Buffer.from(content) };
      break; // S3 ignores everything after the file field
    }
    fields.set(name.toLowerCase(), content.toString('utf8'));
    originalNames.set(name.toLowerCase(), name);
  }
  return { fields, originalNames, file };
}

type Condition = Record<string, unknown> | unknown[];

export interface PolicyDocument {
  expiration: string;
  conditions: Condition[];
}

const refuse = (message: string): EdgeResponse =>
  s3Error(403, 'AccessDenied', `Invalid according to Policy: ${message}`);

export function decodePolicy(base64: string): PolicyDocument | EdgeResponse {
  let doc: unknown;
  try {
    doc = JSON.parse(Buffer.from(base64, 'base64').toString('utf8'));
  } catch {
    return s3Error(400, 'InvalidPolicyDocument', 'Invalid Policy: Invalid JSON.');
  }
  const d = doc as Partial<PolicyDocument>;
  if (typeof d.expiration !== 'string' || !Array.isArray(d.conditions)) {
    return s3Error(
      400,
      'InvalidPolicyDocument',
      'Invalid Policy: the policy needs an expiration string and a conditions array.',
    );
  }
  return d as PolicyDocument;
}

/**
 * Checks expiration and conditions. `values` are the form fields (lower-cased names) plus
 * `bucket` from the URL; `fileSize` is the size of the file part.
 */
export function checkPolicy(
  policy: PolicyDocument,
  values: Map<string, string>,
  fileSize: number,
  now = Date.now(),
): EdgeResponse | null {
  const expires = Date.parse(policy.expiration);
  if (Number.isNaN(expires))
    return s3Error(400, 'InvalidPolicyDocument', "Invalid Policy: Invalid 'expiration' value.");
  if (now > expires) return refuse('Policy expired.');
  const covered = new Set<string>(['policy', 'x-amz-signature', 'file']);
  for (const condition of policy.conditions) {
    if (Array.isArray(condition)) {
      const [op, a, b] = condition as [unknown, unknown, unknown];
      const opName = String(op).toLowerCase();
      if (opName === 'content-length-range') {
        const min = Number(a);
        const max = Number(b);
        if (fileSize > max) {
          return s3Error(400, 'EntityTooLarge', 'Your proposed upload exceeds the maximum allowed size', {
            ProposedSize: String(fileSize),
            MaxSizeAllowed: String(max),
          });
        }
        if (fileSize < min) {
          return s3Error(
            400,
            'EntityTooSmall',
            'Your proposed upload is smaller than the minimum allowed size',
            {
              ProposedSize: String(fileSize),
              MinSizeAllowed: String(min),
            },
          );
        }
        continue;
      }
      if (typeof a !== 'string' || !a.startsWith('$') || typeof b !== 'string') {
        return s3Error(
          400,
          'InvalidPolicyDocument',
          `Invalid Policy: Invalid Condition: ${JSON.stringify(condition)}`,
        );
      }
      const field = a.slice(1).toLowerCase();
      covered.add(field);
      const value = values.get(field) ?? '';
      if (opName === 'eq') {
        if (value !== b) return refuse(`Policy Condition failed: ${JSON.stringify(condition)}`);
      } else if (opName === 'starts-with') {
        if (!value.startsWith(b)) return refuse(`Policy Condition failed: ${JSON.stringify(condition)}`);
      } else {
        return s3Error(
          400,
          'InvalidPolicyDocument',
          `Invalid Policy: Invalid Condition operator: ${String(op)}`,
        );
      }
    } else if (condition && typeof condition === 'object') {
      for (const [name, expected] of Object.entries(condition)) {
        const field = name.toLowerCase();
        covered.add(field);
        if ((values.get(field) ?? '') !== String(expected)) {
          return refuse(`Policy Condition failed: ${JSON.stringify(['eq', `$${name}`, expected])}`);
        }
      }
    } else {
      return s3Error(
        400,
        'InvalidPolicyDocument',
        `Invalid Policy: Invalid Condition: ${JSON.stringify(condition)}`,
      );
    }
  }
  const extra = [...values.keys()].filter(
    (f) => !covered.has(f) && !f.startsWith('x-ignore-') && f !== 'bucket',
  );
  if (extra.length > 0) return refuse(`Extra input fields: ${extra.join(', ')}`);
  return null;
}
