// The contracts' schemas are plain JSON Schema: Fastify's own validator (Ajv, strict mode)
// must accept every one of them as a route schema, and refuse bad bodies naming the field.
import * as contracts from '@gas/contracts';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';

const schemas = {
  JobRequested: contracts.JobRequested,
  JobCompleted: contracts.JobCompleted,
  UserTierChanged: contracts.UserTierChanged,
  ArchiveRestored: contracts.ArchiveRestored,
  S3EventNotification: contracts.S3EventNotification,
  GlacierJobCompleted: contracts.GlacierJobCompleted,
  ColdStorageEvent: contracts.ColdStorageEvent,
  JobRecord: contracts.JobRecord,
  SnsHttpEnvelope: contracts.SnsHttpEnvelope,
  SnsSqsEnvelope: contracts.SnsSqsEnvelope,
};

describe('contracts as Fastify route schemas', () => {
  it('every schema compiles in Fastify and validates a body', async () => {
    const app = Fastify();
    for (const [name, schema] of Object.entries(schemas)) {
      app.post(`/${name}`, { schema: { body: schema } }, async () => ({ ok: true }));
    }
    await app.ready();
    const bad = await app.inject({
      method: 'POST',
      url: '/UserTierChanged',
      payload: {
        schema_version: 1,
        type: 'UserTierChanged',
        user_id: 'user-42',
        user_email: 'ada@example.org',
        previous_tier: 'free',
        new_tier: 'gold',
        changed_at: '2026-11-22T02:00:00.000Z',
        cause: 'evt_1',
      },
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json().message).toContain('body/new_tier must be equal to one of the allowed values');
    await app.close();
  });
});
