// Signs SNS envelopes the way SNS does, written from the AWS documentation independently
// of the plugin's code, so the test checks the plugin against the documented format.
import { type KeyObject, sign } from 'node:crypto';

const notificationKeys = ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'];
const confirmationKeys = ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'];

export function signEnvelope(
  fields: Record<string, string>,
  privateKey: KeyObject,
  signatureVersion: '1' | '2' = '2',
): Record<string, string> {
  const keys = fields.Type === 'Notification' ? notificationKeys : confirmationKeys;
  let text = '';
  for (const key of keys) {
    if (fields[key] !== undefined) text += `${key}\n${fields[key]}\n`;
  }
  const signature = sign(signatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256', Buffer.from(text), privateKey);
  return { ...fields, SignatureVersion: signatureVersion, Signature: signature.toString('base64') };
}
