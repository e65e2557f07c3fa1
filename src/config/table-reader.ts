import { parseDuration } from './duration.js';

export class ConfigError extends Error {
  override name = 'ConfigError';
}

export type TomlTable = Record<string, unknown>;

function isTable(value: unknown): value is TomlTable {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Date);
}

/** smol-toml builds null-prototype objects; copy free-form tables into plain ones. */
function plainCopy(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(plainCopy);
  if (isTable(value)) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainCopy(v)]));
  return value;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (isTable(value)) return 'a table';
  return `${typeof value} ${JSON.stringify(value)}`;
}

/**
 * Reads typed keys out of one TOML table. Every error names the full dotted
 * key and what is allowed; keys nobody asked for are reported by
 * `rejectUnknownKeys` so a typo does not silently fall back to a default.
 */
export class TableReader {
  private readonly seen = new Set<string>();

  constructor(
    private readonly table: TomlTable,
    private readonly path: string,
  ) {}

  static root(table: TomlTable): TableReader {
    return new TableReader(table, '');
  }

  keyPath(key: string): string {
    return this.path ? `${this.path}.${/^[A-Za-z0-9_-]+$/.test(key) ? key : JSON.stringify(key)}` : key;
  }

  private take(key: string): unknown {
    this.seen.add(key);
    return this.table[key];
  }

  fail(key: string, expectation: string, got?: unknown): never {
    const suffix = got === undefined ? '' : `, got ${describe(got)}`;
    throw new ConfigError(`config key \`${this.keyPath(key)}\`: ${expectation}${suffix}`);
  }

  string(key: string, fallback: string, allowed?: readonly string[]): string {
    const value = this.take(key);
    if (value === undefined) return fallback;
    if (typeof value !== 'string') this.fail(key, 'must be a string', value);
    if (allowed && !allowed.includes(value)) this.fail(key, `must be one of ${allowed.map((a) => `"${a}"`).join(', ')}`, value);
    return value;
  }

  absolutePath(key: string, fallback: string, { emptyAllowed = false } = {}): string {
    const value = this.string(key, fallback);
    if (value === '' && emptyAllowed) return value;
    if (!value.startsWith('/')) this.fail(key, 'must be an absolute path', value);
    return value;
  }

  boolean(key: string, fallback: boolean): boolean {
    const value = this.take(key);
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') this.fail(key, 'must be true or false', value);
    return value;
  }

  /** A boolean, or one of a few words such as "auto". */
  booleanOrWord<W extends string>(key: string, fallback: boolean | W, words: readonly W[]): boolean | W {
    const value = this.take(key);
    if (value === undefined) return fallback;
    if (typeof value === 'boolean') return value;
    if (typeof value === 'string' && (words as readonly string[]).includes(value)) return value as W;
    this.fail(key, `must be true, false or ${words.map((w) => `"${w}"`).join(', ')}`, value);
  }

  integer(key: string, fallback: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
    const value = this.take(key);
    if (value === undefined) return fallback;
    const n = typeof value === 'bigint' ? Number(value) : value;
    if (typeof n !== 'number' || !Number.isInteger(n) || n < min || n > max) {
      this.fail(key, `must be an integer from ${min} to ${max}`, value);
    }
    return n;
  }

  /** A Go-style duration string such as "10s"; returns milliseconds. */
  duration(key: string, fallbackMs: number, minMs = 0): number {
    const value = this.take(key);
    if (value === undefined) return fallbackMs;
    const ms = typeof value === 'string' ? parseDuration(value) : undefined;
    if (ms === undefined || ms < minMs) {
      this.fail(key, `must be a duration such as "500ms", "10s" or "5m"${minMs > 0 ? ` of at least ${minMs}ms` : ''}`, value);
    }
    return ms;
  }

  stringArray(key: string, fallback: readonly string[]): string[] {
    const value = this.take(key);
    if (value === undefined) return [...fallback];
    if (!Array.isArray(value) || value.some((v) => typeof v !== 'string')) {
      this.fail(key, 'must be an array of strings', value);
    }
    return value as string[];
  }

  /** A sub-table; an absent one reads as empty so its keys take their defaults. */
  table_(key: string): TableReader {
    const value = this.take(key);
    if (value === undefined) return new TableReader({}, this.keyPath(key));
    if (!isTable(value)) this.fail(key, 'must be a table', value);
    return new TableReader(value, this.keyPath(key));
  }

  /** Entries of a table whose keys are names chosen by the user (runtimes, mirrors). */
  namedTables(key: string): Array<[string, TableReader]> {
    const tables = this.table_(key);
    return tables.keys().map((name) => [name, tables.table_(name)]);
  }

  /** The raw value of a free-form table (runtime options), kept as written. */
  freeTable(key: string): TomlTable {
    const value = this.take(key);
    if (value === undefined) return {};
    if (!isTable(value)) this.fail(key, 'must be a table', value);
    return plainCopy(value) as TomlTable;
  }

  keys(): string[] {
    return Object.keys(this.table);
  }

  rejectUnknownKeys(): void {
    const unknown = Object.keys(this.table).filter((k) => !this.seen.has(k));
    if (unknown.length > 0) {
      const allowed = [...this.seen].sort().join(', ');
      throw new ConfigError(
        `unknown config key \`${this.keyPath(unknown[0]!)}\`${allowed ? `; keys allowed here: ${allowed}` : ''}`,
      );
    }
  }
}
