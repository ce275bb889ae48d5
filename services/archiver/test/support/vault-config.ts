/**
 * Test support shared by the archiver and the thawer, which read the same cold-storage keys:
 * the vault backend needs a vault name (the config refuses to start without one, naming the
 * key and why) and takes the one given. Returned as `[title, check]` like the checks in
 * `@gas/service-kit/testing`.
 */
import assert from 'node:assert/strict';
import type { NamedCheck } from '@gas/service-kit/testing';

export function refusesVaultBackendWithoutVault(
  load: (env: Record<string, string>) => { RESULTS_VAULT?: string },
  env: Record<string, string>,
): NamedCheck {
  return [
    'refuses the vault backend without a vault name',
    async () => {
      assert.throws(() => load({ ...env, COLD_STORAGE_BACKEND: 'glacier-vault' }), {
        message:
          'Cannot start: RESULTS_VAULT is missing (required when COLD_STORAGE_BACKEND is glacier-vault).',
      });
      const withVault = {
        ...env,
        COLD_STORAGE_BACKEND: 'glacier-vault',
        RESULTS_VAULT: 'gas-results-archive',
      };
      assert.equal(load(withVault).RESULTS_VAULT, 'gas-results-archive');
    },
  ];
}
