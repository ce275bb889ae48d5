/**
 * SQS's legacy query protocol (form-encoded `Action=...`, XML answers), as older SDKs and CLIs
 * send it, mapped onto the same operations as the JSON protocol: the flattened parameters are
 * turned into the JSON protocol's input shape, and the JSON-shaped output into the query XML.
 *
 * Flattening rules handled: `Attribute.N.Name/Value`, `MessageAttribute.N.Name` +
 * `.Value.DataType/StringValue/BinaryValue`, `AttributeName.N`, `MessageAttributeName.N`,
 * `MessageSystemAttributeName.N`, `Tag.N.Key/Value`, and batch entries
 * `<Action>RequestEntry.N.<Field>`. The queue may be named by `QueueUrl` or by the request path
 * (`/<account>/<queue>`), as query clients post to the queue URL.
 */
import { xmlEscape } from '../edge/errors.ts';

export const SQS_XMLNS = 'http://queue.amazonaws.com/doc/2012-11-05/';

type Input = Record<string, unknown>;

function indexed(params: URLSearchParams, prefix: string): Map<number, Map<string, string>> {
  const out = new Map<number, Map<string, string>>();
  const re = new RegExp(`^${prefix.replace(/\./g, '\\.')}\\.(\\d+)(?:\\.(.+))?$`);
  for (const [k, v] of params) {
    const m = re.exec(k);
    if (!m) continue;
    const n = Number(m[1]);
    const entry = out.get(n) ?? new Map<string, string>();
    entry.set(m[2] ?? '', v);
    out.set(n, entry);
  }
  return new Map([...out.entries()].sort((a, b) => a[0] - b[0]));
}

function messageAttributes(fields: Map<string, string>, prefix: string): Record<string, unknown> | undefined {
  const attrs: Record<string, unknown> = {};
  const numbers = new Set<number>();
  for (const key of fields.keys()) {
    const m = new RegExp(`^${prefix}\\.(\\d+)\\.Name$`).exec(key);
    if (m) numbers.add(Number(m[1]));
  }
  for (const n of [...numbers].sort((a, b) => a - b)) {
    const name = fields.get(`${prefix}.${n}.Name`) ?? '';
    const value: Record<string, string> = { DataType: fields.get(`${prefix}.${n}.Value.DataType`) ?? '' };
    const s = fields.get(`${prefix}.${n}.Value.StringValue`);
    const b = fields.get(`${prefix}.${n}.Value.BinaryValue`);
    if (s !== undefined) value.StringValue = s;
    if (b !== undefined) value.BinaryValue = b;
    attrs[name] = value;
  }
  return numbers.size > 0 ? attrs : undefined;
}

const SCALARS = [
  'QueueName',
  'QueueUrl',
  'QueueNamePrefix',
  'MessageBody',
  'DelaySeconds',
  'MaxNumberOfMessages',
  'WaitTimeSeconds',
  'VisibilityTimeout',
  'ReceiptHandle',
  'MessageGroupId',
  'MessageDeduplicationId',
];

/** Flattened query parameters -> the JSON protocol's input for `action`. */
export function queryToInput(
  action: string,
  params: URLSearchParams,
  queueUrlFromPath: string | null,
): Input {
  const all = new Map([...params]);
  const input: Input = {};
  for (const k of SCALARS) {
    const v = params.get(k);
    if (v !== null) input[k] = v;
  }
  if (input.QueueUrl === undefined && queueUrlFromPath) input.QueueUrl = queueUrlFromPath;
  const attributes: Record<string, string> = {};
  for (const fields of indexed(params, 'Attribute').values())
    attributes[fields.get('Name') ?? ''] = fields.get('Value') ?? '';
  if (Object.keys(attributes).length > 0) input.Attributes = attributes;
  const tags: Record<string, string> = {};
  for (const fields of indexed(params, 'Tag').values())
    tags[fields.get('Key') ?? ''] = fields.get('Value') ?? '';
  if (Object.keys(tags).length > 0) {
    input.tags = tags;
    input.Tags = tags;
  }
  for (const [list, target] of [
    ['AttributeName', 'AttributeNames'],
    ['MessageAttributeName', 'MessageAttributeNames'],
    ['MessageSystemAttributeName', 'MessageSystemAttributeNames'],
  ] as const) {
    const values = [...indexed(params, list).values()].map((f) => f.get('') ?? '');
    if (values.length > 0) input[target] = values;
  }
  const attrs = messageAttributes(all, 'MessageAttribute');
  if (attrs) input.MessageAttributes = attrs;
  const entryPrefix = `${action}RequestEntry`;
  const entries = [...indexed(params, entryPrefix).values()].map((fields) => {
    const entry: Input = {};
    for (const [k, v] of fields) if (!k.includes('.')) entry[k] = v;
    const entryAttrs = messageAttributes(fields, 'MessageAttribute');
    if (entryAttrs) entry.MessageAttributes = entryAttrs;
    return entry;
  });
  if (entries.length > 0) input.Entries = entries;
  return input;
}

const el = (tag: string, value: unknown): string =>
  value === undefined || value === null ? '' : `<${tag}>${xmlEscape(String(value))}</${tag}>`;

function messageAttributesXml(
  attrs: Record<string, { DataType: string; StringValue?: string; BinaryValue?: string }> | undefined,
): string {
  return Object.entries(attrs ?? {})
    .map(
      ([name, v]) =>
        `<MessageAttribute>${el('Name', name)}<Value>${el('DataType', v.DataType)}${el('StringValue', v.StringValue)}${el('BinaryValue', v.BinaryValue)}</Value></MessageAttribute>`,
    )
    .join('');
}

function batchXml(action: string, out: { Successful?: Input[]; Failed?: Input[] }): string {
  const ok = (out.Successful ?? [])
    .map(
      (e) =>
        `<${action}ResultEntry>${Object.entries(e)
          .map(([k, v]) => el(k, v))
          .join('')}</${action}ResultEntry>`,
    )
    .join('');
  const failed = (out.Failed ?? [])
    .map(
      (e) =>
        `<BatchResultErrorEntry>${Object.entries(e)
          .map(([k, v]) => el(k, v))
          .join('')}</BatchResultErrorEntry>`,
    )
    .join('');
  return ok + failed;
}

/** The JSON protocol's output of `action` -> the inner XML of `<ActionResult>`. */
export function outputToXml(action: string, out: Input): string {
  switch (action) {
    case 'CreateQueue':
    case 'GetQueueUrl':
      return el('QueueUrl', out.QueueUrl);
    case 'ListQueues':
      return ((out.QueueUrls ?? []) as string[]).map((u) => el('QueueUrl', u)).join('');
    case 'GetQueueAttributes':
      return Object.entries((out.Attributes ?? {}) as Record<string, string>)
        .map(([k, v]) => `<Attribute>${el('Name', k)}${el('Value', v)}</Attribute>`)
        .join('');
    case 'ListQueueTags':
      return Object.entries((out.Tags ?? {}) as Record<string, string>)
        .map(([k, v]) => `<Tag>${el('Key', k)}${el('Value', v)}</Tag>`)
        .join('');
    case 'SendMessage':
      return `${el('MessageId', out.MessageId)}${el('MD5OfMessageBody', out.MD5OfMessageBody)}${el('MD5OfMessageAttributes', out.MD5OfMessageAttributes)}`;
    case 'ReceiveMessage':
      return ((out.Messages ?? []) as Input[])
        .map(
          (m) =>
            `<Message>${el('MessageId', m.MessageId)}${el('ReceiptHandle', m.ReceiptHandle)}${el('MD5OfBody', m.MD5OfBody)}${el('Body', m.Body)}${Object.entries(
              (m.Attributes ?? {}) as Record<string, string>,
            )
              .map(([k, v]) => `<Attribute>${el('Name', k)}${el('Value', v)}</Attribute>`)
              .join(
                '',
              )}${el('MD5OfMessageAttributes', m.MD5OfMessageAttributes)}${messageAttributesXml(m.MessageAttributes as never)}</Message>`,
        )
        .join('');
    case 'SendMessageBatch':
    case 'DeleteMessageBatch':
    case 'ChangeMessageVisibilityBatch':
      return batchXml(action, out as { Successful?: Input[]; Failed?: Input[] });
    default:
      return '';
  }
}

export function queryResponse(action: string, inner: string, requestId: string): string {
  return `<?xml version="1.0"?><${action}Response xmlns="${SQS_XMLNS}"><${action}Result>${inner}</${action}Result><ResponseMetadata><RequestId>${requestId}</RequestId></ResponseMetadata></${action}Response>`;
}

export function queryErrorBody(code: string, message: string, requestId: string): string {
  return `<?xml version="1.0"?><ErrorResponse xmlns="${SQS_XMLNS}"><Error><Type>Sender</Type><Code>${xmlEscape(code)}</Code><Message>${xmlEscape(message)}</Message><Detail/></Error><RequestId>${requestId}</RequestId></ErrorResponse>`;
}
