// Bodies of the diagnostic endpoints, in the forms rqlite's tools parse: /status (a tree of Go maps, with
// `key=a.b.c` to pick a subtree), /nodes and /leader (node objects in Go struct order), and /debug/vars
// (Go's expvar listing, which has a layout of its own).
import { formatGoDuration } from './duration.js';
import { GoJsonWriter, compareGoStrings, formatGoFloat, quoteJson, type JsonValue } from './json-write.js';

/**
 * The /status body. Without `key` it is the whole tree (indented with `pretty`). With `key` rqlite
 * re-decodes its own output and walks the dotted path, so the answer is always compact, every object has
 * sorted keys, integers pass through float64, a missing key gives `{}`, and a path that runs into a
 * non-object stops there and returns that value.
 */
export function renderStatus(
  tree: Readonly<Record<string, JsonValue>>,
  key: string,
  pretty: boolean,
): string {
  if (key === '') return new GoJsonWriter(pretty).value(tree).toString();
  let current: JsonValue = tree;
  for (const name of key.split('.')) {
    const members = asObject(current);
    if (members === undefined) break;
    const next = members.get(name);
    if (next === undefined) return '{}';
    current = next;
  }
  return new GoJsonWriter(false).value(asDecodedByGo(current)).toString();
}

function asObject(value: JsonValue): ReadonlyMap<string, JsonValue> | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  if (value instanceof Map) return value as ReadonlyMap<string, JsonValue>;
  return new Map(Object.entries(value as { readonly [key: string]: JsonValue }));
}

/** What json.Unmarshal into `any` makes of a value: numbers become float64, objects maps. */
function asDecodedByGo(value: JsonValue): JsonValue {
  if (typeof value === 'bigint') return Number(value);
  if (value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return (value as readonly JsonValue[]).map(asDecodedByGo);
  const members = asObject(value) ?? new Map<string, JsonValue>();
  const decoded: Record<string, JsonValue> = {};
  for (const [name, member] of members) {
    Object.defineProperty(decoded, name, { value: asDecodedByGo(member), enumerable: true, writable: true });
  }
  return decoded;
}

/** A member of the cluster as /nodes and /leader report it after probing. */
export interface NodeReport {
  readonly id: string;
  readonly apiUrl?: string;
  readonly address: string;
  readonly version: string;
  readonly voter: boolean;
  readonly reachable: boolean;
  readonly leader: boolean;
  /** How long the probe took, when it succeeded. */
  readonly probeNs?: bigint;
  readonly error?: string;
}

function writeNode(writer: GoJsonWriter, node: NodeReport): void {
  writer.beginObject();
  if (node.id !== '') writer.key('id').string(node.id);
  if (node.apiUrl !== undefined && node.apiUrl !== '') writer.key('api_addr').string(node.apiUrl);
  if (node.address !== '') writer.key('addr').string(node.address);
  writer.key('version').string(node.version);
  writer.key('voter').boolean(node.voter);
  writer.key('reachable').boolean(node.reachable);
  writer.key('leader').boolean(node.leader);
  if (node.probeNs !== undefined && node.probeNs !== 0n) {
    writer.key('time').float(Number(node.probeNs) / 1e9);
    writer.key('time_s').string(formatGoDuration(node.probeNs));
  }
  if (node.error !== undefined && node.error !== '') writer.key('error').string(node.error);
  writer.end();
}

/** /leader: one node object. */
export function renderNode(node: NodeReport, pretty: boolean): string {
  const writer = new GoJsonWriter(pretty);
  writeNode(writer, node);
  return writer.toString();
}

/**
 * /nodes: by default (the legacy form) an object keyed by node ID; with `ver=2` `{"nodes":[...]}` sorted
 * by ID. Both sort by ID as Go compares strings.
 */
export function renderNodes(nodes: readonly NodeReport[], legacy: boolean, pretty: boolean): string {
  const sorted = [...nodes].sort((a, b) => compareGoStrings(a.id, b.id));
  const writer = new GoJsonWriter(pretty);
  writer.beginObject();
  if (legacy) {
    // A Go map keyed by ID: a repeated ID keeps the last node.
    const byId = new Map<string, NodeReport>();
    for (const node of sorted) byId.set(node.id, node);
    for (const [id, node] of byId) {
      writer.key(id);
      writeNode(writer, node);
    }
  } else {
    writer.key('nodes').beginArray();
    for (const node of sorted) writeNode(writer, node);
    writer.end();
  }
  return writer.end().toString();
}

/**
 * /debug/vars in Go's expvar layout: `{`, one `"name": value` per line in name order, `}` and a newline.
 * Plain objects print as expvar maps (`{"a": 1, "b": 2}`, sorted, with spaces); anything else as compact
 * JSON. With `key`, only the entry of that name (still inside the braces).
 */
export function renderDebugVars(vars: ReadonlyMap<string, JsonValue>, key: string): string {
  const names = [...vars.keys()].filter((name) => key === '' || name === key).sort(compareGoStrings);
  const lines = names.map((name) => `${quoteJson(name)}: ${expvarText(vars.get(name) ?? null)}`);
  return `{\n${lines.join(',\n')}\n}\n`;
}

function expvarText(value: JsonValue): string {
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return formatGoFloat(value);
  if (value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Map)) {
    const entries = Object.entries(value as { readonly [key: string]: JsonValue }).sort(([a], [b]) =>
      compareGoStrings(a, b),
    );
    return `{${entries.map(([name, member]) => `${quoteJson(name)}: ${expvarText(member)}`).join(', ')}}`;
  }
  return new GoJsonWriter(false).value(value).toString();
}
