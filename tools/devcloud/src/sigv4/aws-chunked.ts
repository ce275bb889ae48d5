/**
 * Decoder for `Content-Encoding: aws-chunked` bodies (SigV4 streaming uploads).
 *
 * Wire format: a run of chunks `<hex size>[;chunk-signature=<64 hex>]\r\n<bytes>\r\n`, ending
 * with a zero-size chunk, then optional trailing headers `name:value\r\n` (for example
 * `x-amz-checksum-crc32`, and `x-amz-trailer-signature` in the signed variant) and a blank line.
 * With `STREAMING-AWS4-HMAC-SHA256-PAYLOAD*` each chunk signature chains from the previous
 * one, starting at the request's own signature (the seed); they are all verified here.
 */
import { chunkSignature, type SigV4Success, signaturesEqual } from './sigv4.ts';

export interface DecodedChunkedBody {
  data: Buffer;
  /** Trailing headers, lower-cased names. */
  trailers: Record<string, string>;
}

export class ChunkedBodyError extends Error {
  override name = 'ChunkedBodyError';
  readonly code: 'IncompleteBody' | 'SignatureDoesNotMatch' | 'InvalidRequest';
  constructor(code: ChunkedBodyError['code'], message: string) {
    super(message);
    this.code = code;
  }
}

export function isAwsChunked(headers: Record<string, string | undefined>): boolean {
  const enc = headers['content-encoding'] ?? '';
  const sha = headers['x-amz-content-sha256'] ?? '';
  return (
    enc
      .split(',')
      .map((e) => e.trim())
      .includes('aws-chunked') || sha.startsWith('STREAMING-')
  );
}

function readLine(body: Buffer, from: number): { line: string; next: number } {
  const end = body.indexOf('\r\n', from);
  if (end === -1)
    throw new ChunkedBodyError(
      'IncompleteBody',
      'The aws-chunked body ends in the middle of a chunk header.',
    );
  return { line: body.subarray(from, end).toString('latin1'), next: end + 2 };
}

export function decodeAwsChunked(body: Buffer, auth: SigV4Success | null): DecodedChunkedBody {
  const signed = auth?.payloadHash.startsWith('STREAMING-AWS4-HMAC-SHA256-PAYLOAD') === true;
  let previous = auth?.signature ?? '';
  const parts: Buffer[] = [];
  let pos = 0;
  for (;;) {
    const { line, next } = readLine(body, pos);
    const [sizeHex, ...ext] = line.split(';');
    const size = Number.parseInt(sizeHex ?? '', 16);
    if (!Number.isFinite(size) || size < 0) {
      throw new ChunkedBodyError(
        'InvalidRequest',
        `Malformed aws-chunked chunk header: ${JSON.stringify(line.slice(0, 80))}`,
      );
    }
    const data = body.subarray(next, next + size);
    if (data.length !== size)
      throw new ChunkedBodyError(
        'IncompleteBody',
        'The aws-chunked body is shorter than its chunk sizes say.',
      );
    if (signed && auth) {
      const sent = ext.find((e) => e.startsWith('chunk-signature='))?.slice('chunk-signature='.length) ?? '';
      const expected = chunkSignature(auth, previous, data);
      if (!signaturesEqual(expected, sent)) {
        throw new ChunkedBodyError(
          'SignatureDoesNotMatch',
          'A chunk signature of the aws-chunked upload does not match.',
        );
      }
      previous = expected;
    }
    pos = next + size;
    if (size === 0) break;
    parts.push(data);
    if (body.subarray(pos, pos + 2).toString('latin1') !== '\r\n') {
      throw new ChunkedBodyError('InvalidRequest', 'An aws-chunked chunk is not followed by CRLF.');
    }
    pos += 2;
  }
  const trailers: Record<string, string> = {};
  while (pos < body.length) {
    const { line, next } = readLine(body, pos);
    pos = next;
    if (line === '') break;
    const colon = line.indexOf(':');
    if (colon > 0) trailers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  return { data: Buffer.concat(parts), trailers };
}
