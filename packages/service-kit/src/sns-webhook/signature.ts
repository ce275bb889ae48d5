/**
 * SNS message signatures, as AWS documents them ("Verifying the signatures of Amazon SNS
 * messages"): the string to sign is `key\nvalue\n` for a fixed, alphabetical list of keys —
 * Notification: Message, MessageId, Subject (only when present), Timestamp, TopicArn, Type;
 * (Un)SubscriptionConfirmation: Message, MessageId, SubscribeURL, Timestamp, Token,
 * TopicArn, Type. Values are the parsed JSON strings (escapes undone). The Base64
 * `Signature` is RSA PKCS#1 v1.5 over that string with SHA1 (SignatureVersion 1) or
 * SHA256 (SignatureVersion 2), by the key of the certificate at `SigningCertURL`.
 */
import { type KeyObject, verify } from 'node:crypto';
import type { SnsHttpEnvelope } from '@gas/contracts';

export function snsStringToSign(envelope: SnsHttpEnvelope): string {
  const pairs: Array<[string, string | undefined]> =
    envelope.Type === 'Notification'
      ? [
          ['Message', envelope.Message],
          ['MessageId', envelope.MessageId],
          ['Subject', envelope.Subject],
          ['Timestamp', envelope.Timestamp],
          ['TopicArn', envelope.TopicArn],
          ['Type', envelope.Type],
        ]
      : [
          ['Message', envelope.Message],
          ['MessageId', envelope.MessageId],
          ['SubscribeURL', envelope.SubscribeURL],
          ['Timestamp', envelope.Timestamp],
          ['Token', envelope.Token],
          ['TopicArn', envelope.TopicArn],
          ['Type', envelope.Type],
        ];
  return pairs
    .filter((pair): pair is [string, string] => pair[1] !== undefined)
    .map(([key, value]) => `${key}\n${value}\n`)
    .join('');
}

export function snsSignatureAlgorithm(signatureVersion: '1' | '2'): 'sha1' | 'sha256' {
  return signatureVersion === '1' ? 'sha1' : 'sha256';
}

/** True when `Signature` is a valid signature of the envelope by `publicKey`. */
export function verifySnsSignature(envelope: SnsHttpEnvelope, publicKey: KeyObject): boolean {
  const signature = Buffer.from(envelope.Signature, 'base64');
  if (signature.length === 0) return false;
  try {
    return verify(
      snsSignatureAlgorithm(envelope.SignatureVersion),
      Buffer.from(snsStringToSign(envelope), 'utf8'),
      publicKey,
      signature,
    );
  } catch {
    return false;
  }
}
