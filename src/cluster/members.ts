// Where each member of the cluster can be reached: its node-to-node (Raft) address and its HTTP API URL.
// The consensus core knows members only by id. Addresses travel beside the configuration: in the context
// of each membership entry, in the header of every snapshot sent to a follower, and in the answer to a
// join. Each node keeps what it learned in a small file, so that after a restart it can reach its peers
// before it has heard from any of them.
import fs from 'node:fs';
import path from 'node:path';

export interface MemberAddresses {
  /** host:port that peers dial for Raft messages and the cluster service. */
  readonly raftAddress: string;
  /** The member's HTTP API with its scheme, e.g. `http://10.0.0.2:4001`. */
  readonly apiUrl: string;
}

/** A members file or address record that cannot be read; the message names the file or the field. */
export class MemberRecordError extends Error {
  override readonly name = 'MemberRecordError';
}

function isAddresses(value: unknown): value is MemberAddresses {
  if (typeof value !== 'object' || value === null) return false;
  const { raftAddress, apiUrl } = value as Record<string, unknown>;
  return typeof raftAddress === 'string' && raftAddress !== '' && typeof apiUrl === 'string';
}

/** The context of a membership entry: the addresses of the node it adds. */
export function encodeMemberContext(addresses: MemberAddresses): Uint8Array {
  return new TextEncoder().encode(
    JSON.stringify({ raftAddress: addresses.raftAddress, apiUrl: addresses.apiUrl }),
  );
}

/** The addresses in a membership entry's context, or undefined when it carries none (a removal). */
export function decodeMemberContext(context: Uint8Array | undefined): MemberAddresses | undefined {
  if (context === undefined || context.byteLength === 0) return undefined;
  let parsed: unknown;
  try {
    parsed = JSON.parse(new TextDecoder().decode(context));
  } catch {
    throw new MemberRecordError('a membership entry carries a context that is not JSON');
  }
  if (!isAddresses(parsed)) throw new MemberRecordError('a membership entry carries no member addresses');
  return { raftAddress: parsed.raftAddress, apiUrl: parsed.apiUrl };
}

/** Member addresses as a plain object, for snapshot headers, join answers and the members file. */
export type MemberTable = Readonly<Record<string, MemberAddresses>>;

export function parseMemberTable(value: unknown, where: string): Map<string, MemberAddresses> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MemberRecordError(`${where}: the member table is not an object`);
  }
  const table = new Map<string, MemberAddresses>();
  for (const [id, addresses] of Object.entries(value)) {
    if (!isAddresses(addresses)) throw new MemberRecordError(`${where}: member ${id} has no valid addresses`);
    table.set(id, { raftAddress: addresses.raftAddress, apiUrl: addresses.apiUrl });
  }
  return table;
}

/**
 * This node's table of member addresses. Learning an address that differs from the one known replaces
 * it (a node that rejoined from a new address); every change is written to the members file at once.
 */
export class MemberDirectory {
  private readonly table = new Map<string, MemberAddresses>();

  private constructor(
    private readonly file: string,
    private readonly onChange: (id: string, addresses: MemberAddresses) => void,
  ) {}

  /** Opens the directory stored in `file` (empty when the file does not exist yet). */
  static open(file: string, onChange: (id: string, addresses: MemberAddresses) => void): MemberDirectory {
    const directory = new MemberDirectory(file, onChange);
    let text: string | undefined;
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    if (text !== undefined) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        throw new MemberRecordError(`${file} is not valid JSON: remove it and the node relearns its peers`);
      }
      for (const [id, addresses] of parseMemberTable(parsed, file)) directory.table.set(id, addresses);
    }
    return directory;
  }

  get(id: string): MemberAddresses | undefined {
    return this.table.get(id);
  }

  /** The id of the member at `raftAddress`, if any. */
  idAt(raftAddress: string): string | undefined {
    for (const [id, addresses] of this.table) if (addresses.raftAddress === raftAddress) return id;
    return undefined;
  }

  entries(): IterableIterator<[string, MemberAddresses]> {
    return this.table.entries();
  }

  toTable(): MemberTable {
    return Object.fromEntries(this.table);
  }

  /** Records `addresses` for `id`; returns whether anything changed. */
  learn(id: string, addresses: MemberAddresses): boolean {
    const known = this.table.get(id);
    if (known?.raftAddress === addresses.raftAddress && known.apiUrl === addresses.apiUrl) return false;
    this.table.set(id, { raftAddress: addresses.raftAddress, apiUrl: addresses.apiUrl });
    this.save();
    this.onChange(id, addresses);
    return true;
  }

  learnAll(table: ReadonlyMap<string, MemberAddresses>): void {
    for (const [id, addresses] of table) this.learn(id, addresses);
  }

  /** Written whole, to a temporary file renamed over the old one, so that a crash leaves one or the other. */
  private save(): void {
    const temporary = `${this.file}.tmp`;
    fs.mkdirSync(path.dirname(this.file), { recursive: true });
    const descriptor = fs.openSync(temporary, 'w');
    try {
      fs.writeFileSync(descriptor, `${JSON.stringify(this.toTable(), null, 2)}\n`);
      fs.fsyncSync(descriptor);
    } finally {
      fs.closeSync(descriptor);
    }
    fs.renameSync(temporary, this.file);
  }
}
