/**
 * Error bodies in each wire protocol, so an SDK client parses a devcloud refusal exactly as it
 * parses AWS's: REST-XML for S3, query-XML for SNS and SES, JSON (`__type`) for SQS, DynamoDB
 * and Glacier.
 */
import { randomUUID } from 'node:crypto';
import type { EdgeResponse } from './types.ts';

export function xmlEscape(value: string): string {
  return value.replace(
    /[<>&'"]/g,
    (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', "'": '&apos;', '"': '&quot;' })[c] ?? c,
  );
}

export function newRequestId(): string {
  return randomUUID();
}

export function s3Error(
  status: number,
  code: string,
  message: string,
  extra: Record<string, string> = {},
): EdgeResponse {
  const requestId = newRequestId();
  const extraXml = Object.entries(extra)
    .map(([k, v]) => `<${k}>${xmlEscape(v)}</${k}>`)
    .join('');
  return {
    status,
    headers: { 'content-type': 'application/xml', 'x-amz-request-id': requestId },
    body: `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${xmlEscape(message)}</Message>${extraXml}<RequestId>${requestId}</RequestId><HostId>devcloud</HostId></Error>`,
  };
}

export function queryError(
  status: number,
  code: string,
  message: string,
  xmlns: string,
  type: 'Sender' | 'Receiver' = 'Sender',
): EdgeResponse {
  const requestId = newRequestId();
  return {
    status,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body: `<ErrorResponse xmlns="${xmlns}"><Error><Type>${type}</Type><Code>${code}</Code><Message>${xmlEscape(message)}</Message></Error><RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

export function jsonError(
  status: number,
  type: string,
  message: string,
  extraHeaders: Record<string, string> = {},
): EdgeResponse {
  const requestId = newRequestId();
  const shortType = type.includes('#') ? type.slice(type.indexOf('#') + 1) : type;
  return {
    status,
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': requestId,
      'x-amzn-errortype': shortType,
      ...extraHeaders,
    },
    body: JSON.stringify({ __type: type, message, code: shortType }),
  };
}

export const SNS_XMLNS = 'http://sns.amazonaws.com/doc/2010-03-31/';
export const SES_XMLNS = 'http://ses.amazonaws.com/doc/2010-12-01/';

/**
 * An authentication failure (codes named as S3 names them) in the protocol of `service`.
 */
export function authError(service: string | null, code: string, message: string): EdgeResponse {
  const unknownKey = code === 'InvalidAccessKeyId';
  const badSignature = code === 'SignatureDoesNotMatch';
  switch (service) {
    case 'sns':
    case 'ses':
    case 'email':
      return queryError(
        unknownKey || badSignature ? 403 : 400,
        unknownKey ? 'InvalidClientTokenId' : code,
        unknownKey ? 'The security token included in the request is invalid.' : message,
        service === 'sns' ? SNS_XMLNS : SES_XMLNS,
      );
    case 'sqs':
    case 'dynamodb':
    case 'glacier': {
      const prefix =
        service === 'dynamodb' ? 'com.amazonaws.dynamodb.v20120810#' : 'com.amazon.coral.service#';
      const type = unknownKey
        ? 'UnrecognizedClientException'
        : badSignature
          ? 'InvalidSignatureException'
          : code;
      const text = unknownKey ? 'The security token included in the request is invalid.' : message;
      const queryErrorHeader: Record<string, string> =
        service === 'sqs'
          ? { 'x-amzn-query-error': `${unknownKey ? 'InvalidClientTokenId' : code};Sender` }
          : {};
      return jsonError(service === 'dynamodb' ? 400 : 403, `${prefix}${type}`, text, queryErrorHeader);
    }
    default: {
      const status = [
        'AuthorizationHeaderMalformed',
        'AuthorizationQueryParametersError',
        'XAmzContentSHA256Mismatch',
        'MissingSecurityHeader',
        'InvalidRequest',
        'IncompleteBody',
      ].includes(code)
        ? 400
        : 403;
      return s3Error(status, code, message);
    }
  }
}
