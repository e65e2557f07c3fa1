import { AlreadyExistsError } from '../errors.js';
import { resolveIdPrefix } from './id-index.js';
import { KeyedLock } from './keyed-lock.js';

export interface IndexedObject {
  readonly id: string;
  /** What must be unique among live objects (CRI's name, namespace, uid, attempt). */
  readonly nameKey: string;
}

/**
 * An in-memory index of pods or containers: lookups by ID or unique prefix,
 * names reserved while an object is created so two creations cannot both win,
 * and a lock per object so calls on one object do not interleave.
 */
export class ObjectIndex<T extends IndexedObject> {
  readonly lock = new KeyedLock();
  private readonly byId = new Map<string, T>();
  private readonly names = new Map<string, string>();

  constructor(
    private readonly what: string,
    private readonly conflictHint: string,
  ) {}

  reserveName(nameKey: string, id: string): void {
    const holder = this.names.get(nameKey);
    if (holder !== undefined && holder !== id) {
      throw new AlreadyExistsError(`a ${this.what} named ${nameKey} already exists (${holder}); ${this.conflictHint}`);
    }
    this.names.set(nameKey, id);
  }

  releaseName(nameKey: string, id: string): void {
    if (this.names.get(nameKey) === id) this.names.delete(nameKey);
  }

  /** Whether `id` is indexed or holds a name (a creation under way); a record of neither is a leftover. */
  isKnown(id: string): boolean {
    if (this.byId.has(id)) return true;
    for (const holder of this.names.values()) if (holder === id) return true;
    return false;
  }

  add(object: T): void {
    this.byId.set(object.id, object);
    this.names.set(object.nameKey, object.id);
  }

  delete(id: string): void {
    const object = this.byId.get(id);
    if (!object) return;
    this.byId.delete(id);
    this.releaseName(object.nameKey, id);
  }

  /** By full ID or unique prefix; NotFound otherwise. */
  get(idOrPrefix: string): T {
    return this.byId.get(resolveIdPrefix(this.byId.keys(), idOrPrefix, this.what))!;
  }

  find(idOrPrefix: string): T | undefined {
    try {
      return this.get(idOrPrefix);
    } catch {
      return undefined;
    }
  }

  /** Whether this very object is still indexed (not removed, nor replaced by a namesake). */
  holds(object: T): boolean {
    return this.byId.get(object.id) === object;
  }

  list(): T[] {
    return [...this.byId.values()];
  }
}
