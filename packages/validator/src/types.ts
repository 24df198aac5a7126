/** Shared types of the validator. */
import type { EnvSpec } from '@swe-forge/core/schema';
import type { Sandbox } from '@swe-forge/env-builder';

/**
 * What the validator needs from an environment: env-builder's `Environment` satisfies it
 * (`openEnvironment(await buildEnvironment(repoDir))`).
 */
export interface ValidatorEnvironment {
  readonly spec: EnvSpec;
  sandbox(): Promise<Sandbox>;
  workers(n: number): Promise<Sandbox[]>;
}
