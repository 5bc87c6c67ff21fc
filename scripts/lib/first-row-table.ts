/*
 * Id → first worksheet row and that row's customer, for millions of ids: an open-addressing hash
 * table (linear probing) in three typed arrays, 16 bytes a slot at most half full, outside the JS
 * heap. A Map of a million
 * entries costs several times that inside the heap, where the garbage collector walks it on every
 * major collection and lets the heap grow in proportion. Ids are positive safe integers (the row
 * contract); anything else, and a row or customer past 2^32 − 1, goes to a small Map instead, so
 * every number is kept exactly.
 */

const EMPTY = 0;
const INITIAL_SLOTS = 1 << 10;
const UINT32_MAX = 0xffff_ffff;
/** In the customers array: this id's customer is in the Map (customer ids start at 1). */
const CUSTOMER_ELSEWHERE = 0;

export class FirstRowTable {
  #ids = new Float64Array(INITIAL_SLOTS);
  #rows = new Uint32Array(INITIAL_SLOTS);
  #customers = new Uint32Array(INITIAL_SLOTS);
  #used = 0;
  /** Ids or rows the arrays cannot hold (never met with valid rows). */
  readonly #others = new Map<number, number>();
  /** Customers the array cannot hold, and those of the ids in `#others`. */
  readonly #otherCustomers = new Map<number, number>();

  get size(): number {
    return this.#used + this.#others.size;
  }

  /** The row stored for `id`, if any. */
  get(id: number): number | undefined {
    if (!fitsArrays(id)) return this.#others.get(id);
    const slot = this.#find(id);
    return this.#ids[slot] === id ? this.#rows[slot] : this.#others.get(id);
  }

  /** The customer of the row stored for `id`, if any. */
  customerOf(id: number): number | undefined {
    if (fitsArrays(id)) {
      const slot = this.#find(id);
      const customer = this.#ids[slot] === id ? this.#customers[slot] : CUSTOMER_ELSEWHERE;
      if (customer !== CUSTOMER_ELSEWHERE) return customer;
    }
    return this.#otherCustomers.get(id);
  }

  /** Stores `row` and its customer for an id not stored yet (the caller checks with `get` first). */
  add(id: number, row: number, customer: number): void {
    const customerFits = fitsUint32(customer);
    if (!fitsArrays(id) || !fitsUint32(row)) {
      this.#others.set(id, row);
      this.#otherCustomers.set(id, customer);
      return;
    }
    if ((this.#used + 1) * 2 > this.#ids.length) this.#grow();
    const slot = this.#find(id);
    this.#ids[slot] = id;
    this.#rows[slot] = row;
    this.#customers[slot] = customerFits ? customer : CUSTOMER_ELSEWHERE;
    if (!customerFits) this.#otherCustomers.set(id, customer);
    this.#used += 1;
  }

  /** The slot holding `id`, or the empty slot where it would go. */
  #find(id: number): number {
    const mask = this.#ids.length - 1;
    let slot = hash(id) & mask;
    for (;;) {
      const found = this.#ids[slot];
      if (found === id || found === EMPTY) return slot;
      slot = (slot + 1) & mask;
    }
  }

  #grow(): void {
    const ids = this.#ids;
    const rows = this.#rows;
    const customers = this.#customers;
    this.#ids = new Float64Array(ids.length * 2);
    this.#rows = new Uint32Array(ids.length * 2);
    this.#customers = new Uint32Array(ids.length * 2);
    for (let slot = 0; slot < ids.length; slot += 1) {
      const id = ids[slot] ?? EMPTY;
      if (id === EMPTY) continue;
      const target = this.#find(id);
      this.#ids[target] = id;
      this.#rows[target] = rows[slot] ?? 0;
      this.#customers[target] = customers[slot] ?? CUSTOMER_ELSEWHERE;
    }
  }
}

function fitsArrays(id: number): boolean {
  return Number.isSafeInteger(id) && id >= 1;
}

function fitsUint32(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= UINT32_MAX;
}

/** Mixes both 32-bit halves of the id, so ids that differ only in high bits spread too. */
function hash(id: number): number {
  const low = id >>> 0;
  const high = Math.floor(id / 0x1_0000_0000) >>> 0;
  let h = Math.imul(low ^ Math.imul(high, 0x9e37_79b1), 0x85eb_ca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2_ae35);
  return (h ^ (h >>> 16)) >>> 0;
}
