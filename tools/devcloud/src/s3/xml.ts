/**
 * XML in and out for the S3 REST API. Requests are parsed with fast-xml-parser into plain
 * objects (every value a string; elements that may repeat are always arrays); responses are
 * built from small templates with escaped text.
 */
import { XMLParser } from 'fast-xml-parser';
import { xmlEscape } from '../edge/errors.ts';

const REPEATED = new Set([
  'CORSRule',
  'AllowedOrigin',
  'AllowedMethod',
  'AllowedHeader',
  'ExposeHeader',
  'TopicConfiguration',
  'QueueConfiguration',
  'CloudFunctionConfiguration',
  'LambdaFunctionConfiguration',
  'Event',
  'FilterRule',
  'Part',
  'Object',
  'Tag',
]);

const parser = new XMLParser({
  ignoreAttributes: true,
  parseTagValue: false,
  trimValues: true,
  isArray: (name) => REPEATED.has(name),
});

export class MalformedXmlError extends Error {
  override name = 'MalformedXmlError';
}

/** Parses a request body; throws MalformedXmlError (S3 answers 400 MalformedXML). */
export function parseXml(body: Buffer): Record<string, unknown> {
  const text = body.toString('utf8').trim();
  if (text === '') return {};
  try {
    return parser.parse(text, true) as Record<string, unknown>;
  } catch (err) {
    throw new MalformedXmlError(`The XML you provided was not well-formed: ${(err as Error).message}`);
  }
}

export const S3_XMLNS = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** `<Tag>escaped</Tag>`, or '' when value is undefined. */
export function el(tag: string, value: string | number | boolean | undefined | null): string {
  if (value === undefined || value === null) return '';
  return `<${tag}>${xmlEscape(String(value))}</${tag}>`;
}

export function xmlDoc(root: string, inner: string): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${S3_XMLNS}">${inner}</${root}>`;
}

export function asArray<T>(value: T | T[] | undefined): T[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

export function text(value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}
