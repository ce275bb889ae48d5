/**
 * DynamoDB: dynalite (a DynamoDB implementation on LevelDB) embedded in this process on an
 * internal loopback port, with its LevelDB store in `<dataDir>/dynamodb/`. The edge has already
 * verified the SigV4 signature; this proxy forwards the request as received (dynalite checks
 * only that an Authorization header is present) and streams the answer back.
 *
 * dynalite implements the 2012-08-10 API for tables, items, Query/Scan, batch operations,
 * GSIs/LSIs and conditional writes; it does not implement transactions, TTL updates or
 * streams (those calls fail with dynalite's UnknownOperationException).
 */
import { mkdir } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import dynalite from 'dynalite';
import { jsonError } from '../edge/errors.ts';
import type { DevcloudContext, EdgeRequest, EdgeResponse, EmulatedService } from '../edge/types.ts';

/** The operations dynalite 4.0.0 implements (its own list); others are refused here by name. */
const DYNALITE_OPERATIONS = new Set([
  'BatchGetItem',
  'BatchWriteItem',
  'CreateTable',
  'DeleteItem',
  'DeleteTable',
  'DescribeTable',
  'DescribeTimeToLive',
  'GetItem',
  'ListTables',
  'PutItem',
  'Query',
  'Scan',
  'TagResource',
  'UntagResource',
  'ListTagsOfResource',
  'UpdateItem',
  'UpdateTable',
]);

export class DynamoDbService implements EmulatedService {
  readonly signingNames = ['dynamodb'];
  readonly #server: http.Server;
  readonly #port: number;
  readonly #agent = new http.Agent({ keepAlive: true });

  private constructor(server: http.Server, port: number) {
    this.#server = server;
    this.#port = port;
  }

  static async start(ctx: DevcloudContext): Promise<DynamoDbService> {
    const path = join(ctx.dataDir, 'dynamodb');
    await mkdir(path, { recursive: true });
    const server = dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    return new DynamoDbService(server, (server.address() as AddressInfo).port);
  }

  handle(req: EdgeRequest): Promise<EdgeResponse> {
    const operation = (req.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
    if (operation !== '' && !DYNALITE_OPERATIONS.has(operation)) {
      return Promise.resolve(
        jsonError(
          400,
          'com.amazonaws.dynamodb.v20120810#UnknownOperationException',
          `devcloud DynamoDB (dynalite) does not implement ${operation}; it implements ${[...DYNALITE_OPERATIONS].join(', ')}.`,
        ),
      );
    }
    // dynalite takes UpdateTable's index Create/Delete and silently does nothing: refuse it instead.
    if (operation === 'UpdateTable' && /"(Create|Delete)"\s*:/.test(req.body.toString('utf8'))) {
      return Promise.resolve(
        jsonError(
          400,
          'com.amazonaws.dynamodb.v20120810#ValidationException',
          'devcloud DynamoDB (dynalite) cannot add or remove a global secondary index on an existing table; create the table with its indexes (a fresh data dir).',
        ),
      );
    }
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (v !== undefined && k !== 'host' && k !== 'connection') headers[k] = v;
      headers['content-length'] = String(req.body.length);
      const upstream = http.request(
        {
          host: '127.0.0.1',
          port: this.#port,
          method: req.method,
          path: req.url,
          headers,
          agent: this.#agent,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            const out: Record<string, string> = {};
            for (const [k, v] of Object.entries(res.headers)) {
              if (
                v === undefined ||
                k === 'connection' ||
                k === 'transfer-encoding' ||
                k === 'content-length'
              )
                continue;
              out[k] = Array.isArray(v) ? v.join(', ') : v;
            }
            resolve({ status: res.statusCode ?? 500, headers: out, body: Buffer.concat(chunks) });
          });
          res.on('error', reject);
        },
      );
      upstream.on('error', reject);
      upstream.end(req.body);
    });
  }

  async close(): Promise<void> {
    this.#agent.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
