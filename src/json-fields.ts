/**
 * Checked reading of JSON read back from storage. The readers of stored columns (hyperparameters,
 * model metrics, run summaries) build their types field by field through {@link JsonFields}, so a
 * row that does not have the shape its reader needs fails with an error naming the field, instead
 * of flowing on as a wrongly typed value.
 *
 * @module
 */

/** Stored JSON that does not have the shape its reader needs. */
export class StoredJsonError extends Error {
  override readonly name = 'StoredJsonError';
}

/** The fields of one stored JSON object, each read as the type it must have. */
export class JsonFields {
  private constructor(
    private readonly fields: Readonly<Record<string, unknown>>,
    /** Where the object sits in the stored value, for error messages (`metrics.history[2]`). */
    readonly path: string,
  ) {}

  /**
   * Reads `value` as an object.
   * @throws StoredJsonError when it is not one
   */
  static of(value: unknown, path: string): JsonFields {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw new StoredJsonError(`${path} must be an object, got ${describe(value)}`);
    }
    return new JsonFields(value as Record<string, unknown>, path);
  }

  /** Whether the field is present (older rows may lack fields added since). */
  has(key: string): boolean {
    return this.fields[key] !== undefined;
  }

  /** A number field. @throws StoredJsonError when it is absent or not a number (as for every reader). */
  number(key: string): number {
    return this.#typed(key, 'number');
  }

  /** A string field. */
  string(key: string): string {
    return this.#typed(key, 'string');
  }

  /** A boolean field. */
  boolean(key: string): boolean {
    return this.#typed(key, 'boolean');
  }

  /** A number that may be absent. */
  optionalNumber(key: string): number | undefined {
    return this.has(key) ? this.number(key) : undefined;
  }

  /** A number that may be null. */
  nullableNumber(key: string): number | null {
    return this.fields[key] === null ? null : this.number(key);
  }

  /** The present ones of optional number fields, absent ones left out (not set to undefined). */
  optionalNumbers<K extends string>(...keys: K[]): Partial<Record<K, number>> {
    return Object.fromEntries(keys.filter((key) => this.has(key)).map((key) => [key, this.number(key)])) as Partial<Record<K, number>>;
  }

  /** One of the `allowed` strings. */
  oneOf<T extends string>(key: string, allowed: readonly T[]): T {
    const value = this.string(key);
    const match = allowed.find((candidate) => candidate === value);
    if (match === undefined) throw new StoredJsonError(`${this.#at(key)} must be one of ${allowed.join(', ')}, got ${describe(value)}`);
    return match;
  }

  /** An object field, to read the fields of. */
  object(key: string): JsonFields {
    return JsonFields.of(this.fields[key], this.#at(key));
  }

  /** An object, or null. */
  nullableObject(key: string): JsonFields | null {
    return this.fields[key] === null ? null : this.object(key);
  }

  /** An array of numbers. */
  numbers(key: string): number[] {
    const value = this.fields[key];
    if (!Array.isArray(value) || !value.every((item) => typeof item === 'number')) {
      throw new StoredJsonError(`${this.#at(key)} must be an array of numbers, got ${describe(value)}`);
    }
    return value as number[];
  }

  /** A field as stored, for a reader of its own; `path` names it in that reader's errors. */
  raw(key: string): { value: unknown; path: string } {
    return { value: this.fields[key], path: this.#at(key) };
  }

  /** An array of objects. */
  objects(key: string): JsonFields[] {
    const value = this.fields[key];
    if (!Array.isArray(value)) throw new StoredJsonError(`${this.#at(key)} must be an array, got ${describe(value)}`);
    return value.map((item: unknown, index) => JsonFields.of(item, `${this.#at(key)}[${index}]`));
  }

  #typed<T extends 'number' | 'string' | 'boolean'>(key: string, type: T): { number: number; string: string; boolean: boolean }[T] {
    const value = this.fields[key];
    if (typeof value !== type) throw new StoredJsonError(`${this.#at(key)} must be a ${type}, got ${describe(value)}`);
    return value as { number: number; string: string; boolean: boolean }[T];
  }

  #at(key: string): string {
    return `${this.path}.${key}`;
  }
}

/** A short description of an unexpected value, for error messages. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  const json = JSON.stringify(value);
  return json.length > 40 ? `${json.slice(0, 40)}…` : json;
}
