/**
 * The result tree: what a presenter builds and both envelope writers render.
 * "One tree, two renderings" (DESIGN.md): plain objects keep their field order,
 * and a list keeps its shape in XML and JSON whether it holds one item or none.
 */

export type Scalar = string | number | boolean | null;
export type Tree = Scalar | TreeObject | TreeList;
export interface TreeObject {
  readonly [field: string]: Tree;
}

/**
 * A list of items.
 * - wrapped (the spec's own array fields: `persons`, `calls`, `setting`, `custom`):
 *   XML `<persons><UID>…</UID><UID>…</UID></persons>`.
 * - repeated (the child collections of list and *Data functions: `conference`,
 *   `person`, `reservation`, `caller`): XML `<person>…</person><person>…</person>`
 *   directly in the parent, no wrapper.
 * JSON renders both as an array.
 */
export class TreeList {
  constructor(
    /** XML element name of each item (wrapped) — for repeated lists the field name is used. */
    readonly item: string,
    readonly items: readonly Tree[],
    readonly wrapped: boolean,
  ) {}

  /**
   * JSON.stringify renders a list as a plain array. A frozen array (a cached
   * list) is copied first: V8's JSON.stringify reads frozen arrays element by
   * element through its slow path, and the copy (spread: `slice` of a frozen
   * array is itself slow) costs less than the difference.
   */
  toJSON(): readonly Tree[] {
    const items = this.items;
    return items.length > 16 && Object.isFrozen(items) ? [...items] : items;
  }
}

/** A spec array field: `list('UID', uids)` → `<persons><UID>…</UID></persons>`. */
export function list(item: string, items: readonly Tree[]): TreeList {
  return new TreeList(item, items, true);
}

/** A child collection repeated in its parent: `repeated(persons)` under field `person`. */
export function repeated(items: readonly Tree[]): TreeList {
  return new TreeList('', items, false);
}
