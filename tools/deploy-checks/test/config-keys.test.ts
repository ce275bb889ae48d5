/**
 * Every configuration key a service needs is set wherever it runs, read from the service
 * itself (its config schema in services/<name>/src/config.ts): docker-compose.yml and the ECS
 * task definitions (terraform/services.tf, local.services) set every required key, set no key the service does
 * not read (typos, stale keys), and in AWS pass secrets only through Secrets Manager and no
 * emulator settings.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import {
  composeFile,
  Evaluator,
  emulatorOnlyKeys,
  invalidValues,
  isSecretKey,
  loadModule,
  parseTerraformFile,
  pendingKeys,
  planModule,
  runtimeKeys,
  type ServiceConfigKeys,
  serviceConfigKeys,
  serviceModuleInputs,
  serviceNames,
  terraformRoot,
  type Value,
} from '../src/index.ts';

const compose = composeFile();
const serviceInputs = new Map<string, Record<string, Value>>();
const terraformKeys = new Map<
  string,
  { environment: string[]; secrets: string[]; known: Record<string, string> }
>();

beforeAll(async () => {
  // The example tfvars as inputs, so known values (backend, tier, sender) are checked too.
  const example = await parseTerraformFile(`${terraformRoot}/terraform.tfvars.example`);
  const { modules, errors } = await planModule(
    new Evaluator(await loadModule(terraformRoot), example.json as Record<string, Value>, { symbolic: true }),
  );
  expect(errors).toEqual([]);
  for (const [service, inputs] of serviceModuleInputs(modules)) {
    serviceInputs.set(service, inputs);
    const environment = inputs.environment as Record<string, Value>;
    const known = Object.fromEntries(
      Object.entries(environment).filter(
        (e): e is [string, string] => typeof e[1] === 'string' && !e[1].includes('«'),
      ),
    );
    terraformKeys.set(service, {
      environment: Object.keys(environment),
      secrets: Object.keys((inputs.secrets as object | undefined) ?? {}),
      known,
    });
  }
});

describe.each(serviceNames.map((s) => [s]))('%s configuration', (service) => {
  let keys: ServiceConfigKeys;
  beforeAll(async () => {
    keys = await serviceConfigKeys(service);
  });
  const known = (key: string) =>
    keys.all.includes(key) || key in runtimeKeys || key in (pendingKeys[service] ?? {});

  it('documents every schema key in .env.example', () => {
    expect(keys.all.filter((k) => !keys.documented.includes(k))).toEqual([]);
  });

  it('docker-compose.yml sets every required key and only keys the service reads', () => {
    const env = Object.keys(compose.services[service]?.environment ?? {});
    expect(
      keys.required.filter((k) => !env.includes(k)),
      'required keys missing',
    ).toEqual([]);
    expect(
      env.filter((k) => !known(k)),
      'keys the service does not read',
    ).toEqual([]);
  });

  it('the ECS task definition sets every required key and only keys the service reads', () => {
    const tf = terraformKeys.get(service)!;
    const provided = [...tf.environment, ...tf.secrets];
    expect(
      keys.required.filter((k) => !provided.includes(k)),
      'required keys missing',
    ).toEqual([]);
    expect(
      provided.filter((k) => !known(k)),
      'keys the service does not read',
    ).toEqual([]);
  });

  it('docker-compose.yml values are ones the service accepts (types, enums, formats)', () => {
    expect(invalidValues(keys, compose.services[service]?.environment ?? {})).toEqual([]);
  });

  it('terraform values known before apply are ones the service accepts', () => {
    const known = terraformKeys.get(service)!.known;
    expect(Object.keys(known).length).toBeGreaterThan(2);
    expect(invalidValues(keys, known)).toEqual([]);
  });

  it('in AWS, secrets come only from Secrets Manager and no emulator key is set', () => {
    const tf = terraformKeys.get(service)!;
    expect(tf.environment.filter(isSecretKey), 'secret keys passed as plain environment').toEqual([]);
    expect(tf.environment.filter((k) => emulatorOnlyKeys.includes(k))).toEqual([]);
  });

  it('pending keys are still pending (remove them here once the schema reads them)', () => {
    expect(Object.keys(pendingKeys[service] ?? {}).filter((k) => keys.all.includes(k))).toEqual([]);
  });
});

describe('values that must agree between services', () => {
  it('in AWS the SES identity covers the notifier sender (the address or its domain)', async () => {
    const example = await parseTerraformFile(`${terraformRoot}/terraform.tfvars.example`);
    const { instances } = await planModule(
      new Evaluator(await loadModule(terraformRoot), example.json as Record<string, Value>, {
        symbolic: true,
      }),
    );
    const identity = String(
      instances.find((i) => i.type === 'aws_sesv2_email_identity')!.attributes.email_identity,
    );
    const sender = terraformKeys.get('notifier')!.known.MAIL_FROM!;
    expect([sender, sender.split('@')[1]]).toContain(identity);
  });

  it('the retention window web states is the one the archiver applies (compose and AWS)', () => {
    expect(Number(compose.services.web!.environment.FREE_RETENTION_MINUTES) * 60).toBe(
      Number(compose.services.archiver!.environment.FREE_RETENTION_SECONDS),
    );
    const web = terraformKeys.get('web')!.known;
    const archiver = terraformKeys.get('archiver')!.known;
    expect(Number(web.FREE_RETENTION_MINUTES) * 60).toBe(Number(archiver.FREE_RETENTION_SECONDS));
  });

  it("the annotator's own stop timeout ends before the container is killed (compose and ECS)", async () => {
    const graceSeconds = (text: string) => {
      const m = /^(?:(\d+)m)?(?:(\d+)s)?$/.exec(text)!;
      return Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0);
    };
    expect(Number(compose.services.annotator!.environment.STOP_TIMEOUT_SECONDS)).toBeLessThan(
      graceSeconds(String(compose.services.annotator!.stop_grace_period)),
    );
    const stop = Number(serviceInputs.get('annotator')!.stop_timeout_seconds);
    expect(stop).toBeGreaterThan(0);
    expect(Number(terraformKeys.get('annotator')!.known.STOP_TIMEOUT_SECONDS)).toBeLessThan(stop);
  });
});
