/**
 * Typed reading of one mapping of a pipeline config: snake_case or camelCase keys, unknown keys
 * rejected with the list of known ones, every bad value named with its full path.
 */
import { isAbsolute, resolve } from 'node:path';

/** A config file that does not describe a runnable pipeline; says which field and what to do. */
export class ConfigError extends Error {
  constructor(where: string, message: string) {
    super(`${where}: ${message}`);
    this.name = 'ConfigError';
  }
}

/** A parsed YAML mapping. */
export type Obj = Record<string, unknown>;

/** Whether a value is a mapping (not null, not a list). */
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/** `maxTokens` → `max_tokens`. */
export const snake = (k: string): string => k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/** The fields of one mapping (`ctx` is its path, e.g. `rollout.runs[0].`). */
export class Fields {
  constructor(
    /** The config file (for error messages). */
    readonly where: string,
    readonly o: Obj,
    /** Path prefix of this mapping, ending in `.`. */
    readonly ctx: string,
    known: readonly string[],
    /** Folder relative paths resolve against. */
    readonly baseDir: string,
  ) {
    for (const k of Object.keys(o)) {
      if (!known.includes(snake(k))) throw new ConfigError(where, `unknown key "${ctx}${k}"; known keys: ${known.join(', ')}`);
    }
  }

  /** A ConfigError about this mapping's key `k`. */
  error(k: string, message: string): ConfigError {
    return new ConfigError(this.where, `${this.ctx}${k} ${message}`);
  }

  /** The raw value of `k` (snake_case or camelCase), undefined when absent or null. */
  raw(k: string): unknown {
    const camel = k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
    const v = k in this.o ? this.o[k] : this.o[camel];
    return v === null ? undefined : v;
  }

  has(k: string): boolean {
    return this.raw(k) !== undefined;
  }

  str(k: string): string | undefined {
    const v = this.raw(k);
    if (v === undefined) return undefined;
    if (typeof v !== 'string' || !v) throw this.error(k, 'must be a non-empty string');
    return v;
  }

  /** A path, made absolute against the config file's folder. */
  path(k: string): string | undefined {
    const v = this.str(k);
    return v === undefined ? undefined : isAbsolute(v) ? v : resolve(this.baseDir, v);
  }

  num(k: string, min = 0): number | undefined {
    const v = this.raw(k);
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw this.error(k, `must be a number ≥ ${min}`);
    return v;
  }

  int(k: string, min = 0): number | undefined {
    const v = this.num(k, min);
    if (v !== undefined && !Number.isInteger(v)) throw this.error(k, `must be a whole number ≥ ${min}`);
    return v;
  }

  bool(k: string): boolean | undefined {
    const v = this.raw(k);
    if (v === undefined) return undefined;
    if (typeof v !== 'boolean') throw this.error(k, 'must be true or false');
    return v;
  }

  strs(k: string): string[] | undefined {
    const v = this.raw(k);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string' || !x)) throw this.error(k, 'must be a list of strings');
    return v as string[];
  }

  ints(k: string, min = 0): number[] | undefined {
    const v = this.raw(k);
    if (v === undefined) return undefined;
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'number' || !Number.isInteger(x) || x < min)) throw this.error(k, `must be a list of whole numbers ≥ ${min}`);
    return v as number[];
  }

  /** One of `values`. */
  oneOf<T extends string>(k: string, values: readonly T[]): T | undefined {
    const v = this.str(k);
    if (v !== undefined && !(values as readonly string[]).includes(v)) throw this.error(k, `must be one of ${values.join(', ')} (got "${v}")`);
    return v as T | undefined;
  }

  /** A list whose every entry is one of `values`. */
  someOf<T extends string>(k: string, values: readonly T[]): T[] | undefined {
    const v = this.strs(k);
    const bad = v?.filter((x) => !(values as readonly string[]).includes(x)) ?? [];
    if (bad.length) throw this.error(k, `has unknown value(s) ${bad.join(', ')}: choose from ${values.join(', ')}`);
    return v as T[] | undefined;
  }

  /** A nested mapping, or undefined. */
  obj(k: string): Obj | undefined {
    const v = this.raw(k);
    if (v === undefined) return undefined;
    if (!isObj(v)) throw this.error(k, 'must be a mapping');
    return v;
  }
}
