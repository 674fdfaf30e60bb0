// Command-line options of the shell. They are rqlite's shell options, so that muscle memory carries over,
// plus a URL form (`dust https://db.example:4001/api/`) and the DUST_HOST environment variable.
import { parseDurationMs } from './duration.js';
import { UsageError } from './errors.js';

export type Scheme = 'http' | 'https';

export interface Credentials {
  readonly user: string;
  readonly password: string;
}

export interface ShellOptions {
  readonly scheme: Scheme;
  /** `host:port` of every node to try, the preferred one first (`[::1]:4001` for IPv6). */
  readonly hosts: readonly string[];
  /** URL path prefix of the API, always starting and ending with `/`. */
  readonly prefix: string;
  readonly credentials: Credentials | undefined;
  readonly insecure: boolean;
  readonly caCertFile: string | undefined;
  readonly clientCertFile: string | undefined;
  readonly clientKeyFile: string | undefined;
  readonly httpTimeoutMs: number;
}

export type CommandLine =
  | { readonly kind: 'help' }
  | { readonly kind: 'version' }
  | { readonly kind: 'run'; readonly options: ShellOptions };

export const defaultHost = '127.0.0.1';
export const defaultPort = 4001;
export const defaultHttpTimeoutMs = 30_000;
const httpTimeoutMsMax = 24 * 3_600_000;
const alternativesCountMax = 64;
const argumentsCountMax = 256;

interface OptionSpec {
  readonly short: string;
  readonly long: string;
  readonly takesValue: boolean;
  readonly valueName: string;
  readonly help: string;
}

const optionSpecs: readonly OptionSpec[] = [
  {
    short: 'H',
    long: 'host',
    takesValue: true,
    valueName: 'HOST',
    help: `node host address (default ${defaultHost})`,
  },
  {
    short: 'p',
    long: 'port',
    takesValue: true,
    valueName: 'PORT',
    help: `node HTTP port (default ${defaultPort})`,
  },
  { short: 's', long: 'scheme', takesValue: true, valueName: 'SCHEME', help: 'http or https (default http)' },
  {
    short: 'P',
    long: 'prefix',
    takesValue: true,
    valueName: 'PATH',
    help: 'URL path prefix of the API (default /)',
  },
  {
    short: 'a',
    long: 'alternatives',
    takesValue: true,
    valueName: 'HOST:PORT,...',
    help: 'other nodes to use when the current one is down',
  },
  {
    short: 'u',
    long: 'user',
    takesValue: true,
    valueName: 'USER:PASSWORD',
    help: 'HTTP basic auth credentials',
  },
  {
    short: 'i',
    long: 'insecure',
    takesValue: false,
    valueName: '',
    help: 'do not verify the node HTTPS certificate',
  },
  {
    short: 'c',
    long: 'ca-cert',
    takesValue: true,
    valueName: 'FILE',
    help: 'trusted X.509 root CA certificate (PEM)',
  },
  {
    short: 'd',
    long: 'client-cert',
    takesValue: true,
    valueName: 'FILE',
    help: 'client X.509 certificate for mutual TLS',
  },
  {
    short: 'k',
    long: 'client-key',
    takesValue: true,
    valueName: 'FILE',
    help: 'client X.509 key for mutual TLS',
  },
  {
    short: 't',
    long: 'http-timeout',
    takesValue: true,
    valueName: 'DURATION',
    help: 'timeout of each HTTP request (default 30s)',
  },
  { short: 'v', long: 'version', takesValue: false, valueName: '', help: 'print the version and exit' },
  { short: 'h', long: 'help', takesValue: false, valueName: '', help: 'print this help and exit' },
];

export function usageText(): string {
  const lines = [
    'Usage: dust [OPTIONS] [URL]',
    '',
    'The Dust shell. SQL statements end with ";"; lines starting with "." are shell commands (".help").',
    'URL, e.g. http://127.0.0.1:4001 or https://db.example:4001/api/, replaces -s, -H, -p and -P.',
    'Without options, the node is taken from DUST_HOST (same URL form) if it is set.',
    '',
    'Options:',
  ];
  for (const spec of optionSpecs) {
    const flag = `-${spec.short}, --${spec.long}${spec.takesValue ? ` ${spec.valueName}` : ''}`;
    lines.push(`  ${flag.padEnd(36)}${spec.help}`);
  }
  lines.push(
    '',
    'Environment:',
    '  DUST_HOST             node URL used when no -H, -p, -s or URL is given',
    '  DUST_HISTFILESIZE     lines of history kept in ~/.dust_history (default 100, 0 keeps none)',
    '',
  );
  return lines.join('\n');
}

interface RawOptions {
  readonly values: Map<string, string>;
  readonly flags: Set<string>;
  readonly positionals: string[];
}

function findSpec(name: string, isLong: boolean): OptionSpec | undefined {
  return optionSpecs.find((spec) => (isLong ? spec.long === name : spec.short === name));
}

function splitArguments(argv: readonly string[]): RawOptions {
  if (argv.length > argumentsCountMax) throw new UsageError(`too many arguments (${argv.length})`);
  const values = new Map<string, string>();
  const flags = new Set<string>();
  const positionals: string[] = [];
  let index = 0;
  while (index < argv.length) {
    const argument = argv[index] ?? '';
    index += 1;
    if (argument === '--') {
      positionals.push(...argv.slice(index));
      break;
    }
    if (!argument.startsWith('-') || argument === '-') {
      positionals.push(argument);
      continue;
    }
    const isLong = argument.startsWith('--');
    const body = argument.slice(isLong ? 2 : 1);
    const equals = body.indexOf('=');
    const name = equals === -1 ? body : body.slice(0, equals);
    const inlineValue = equals === -1 ? undefined : body.slice(equals + 1);
    const spec = findSpec(name, isLong);
    if (spec === undefined) throw new UsageError(`unknown option ${argument} (see dust --help)`);
    if (spec.takesValue) {
      let value = inlineValue;
      if (value === undefined) {
        value = argv[index];
        index += 1;
      }
      if (value === undefined) throw new UsageError(`option ${argument} needs a value: ${spec.valueName}`);
      values.set(spec.long, value);
    } else if (inlineValue === undefined || inlineValue === 'true') {
      flags.add(spec.long);
    } else if (inlineValue === 'false') {
      flags.delete(spec.long);
    } else {
      throw new UsageError(`option -${spec.short}/--${spec.long} takes no value other than true or false`);
    }
  }
  return { values, flags, positionals };
}

function parsePort(text: string, origin: string): number {
  if (!/^\d{1,5}$/.test(text))
    throw new UsageError(`invalid port "${text}" in ${origin}: use a number 1-65535`);
  const port = Number(text);
  if (port < 1 || port > 65535)
    throw new UsageError(`invalid port ${port} in ${origin}: use a number 1-65535`);
  return port;
}

function parseScheme(text: string, origin: string): Scheme {
  const lower = text.toLowerCase();
  if (lower === 'http' || lower === 'https') return lower;
  throw new UsageError(`invalid scheme "${text}" in ${origin}: use http or https`);
}

/** `host:port` with brackets around IPv6 addresses, as URLs need it. */
export function joinHostPort(host: string, port: number): string {
  const bare = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return bare.includes(':') ? `[${bare}]:${port}` : `${bare}:${port}`;
}

/** Splits `host`, `host:port`, `[v6]` or `[v6]:port`; the port is undefined when absent. */
function splitHostPort(text: string, origin: string): { host: string; port: number | undefined } {
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(text);
  if (bracketed !== null) {
    const portText = bracketed[2];
    return {
      host: bracketed[1] ?? '',
      port: portText === undefined ? undefined : parsePort(portText, origin),
    };
  }
  const colons = text.split(':').length - 1;
  if (colons === 0) return { host: text, port: undefined };
  if (colons > 1) return { host: text, port: undefined }; // a bare IPv6 address
  const [host = '', portText = ''] = text.split(':');
  return { host, port: parsePort(portText, origin) };
}

function normalisePrefix(prefix: string): string {
  let result = prefix.trim();
  if (!result.startsWith('/')) result = `/${result}`;
  if (!result.endsWith('/')) result = `${result}/`;
  if (/[?#\s]/.test(result)) throw new UsageError(`invalid URL prefix "${prefix}"`);
  return result;
}

interface NodeAddress {
  readonly scheme: Scheme | undefined;
  readonly host: string;
  readonly port: number | undefined;
  readonly prefix: string | undefined;
}

/** Reads `http://host:port/prefix`, `host:port` or `host` (DUST_HOST and the URL argument). */
export function parseNodeAddress(text: string, origin: string): NodeAddress {
  const trimmed = text.trim();
  if (trimmed === '') throw new UsageError(`empty node address in ${origin}`);
  const schemeMatch = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//.exec(trimmed);
  if (schemeMatch === null) {
    const { host, port } = splitHostPort(trimmed, origin);
    if (host === '') throw new UsageError(`missing host in ${origin}: "${text}"`);
    return { scheme: undefined, host, port, prefix: undefined };
  }
  const scheme = parseScheme(schemeMatch[1] ?? '', origin);
  let url: URL;
  try {
    url = new URL(trimmed);
  } catch {
    throw new UsageError(`invalid URL "${text}" in ${origin}`);
  }
  if (url.username !== '' || url.password !== '') {
    throw new UsageError(`put credentials in -u user:password, not in the URL (${origin})`);
  }
  if (url.search !== '' || url.hash !== '')
    throw new UsageError(`the URL in ${origin} must not have a query`);
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  if (host === '') throw new UsageError(`missing host in ${origin}: "${text}"`);
  return {
    scheme,
    host,
    port: url.port === '' ? undefined : parsePort(url.port, origin),
    prefix: url.pathname === '/' ? undefined : normalisePrefix(url.pathname),
  };
}

function parseCredentials(text: string): Credentials {
  const colon = text.indexOf(':');
  if (colon <= 0) throw new UsageError('credentials must be given as -u user:password');
  return { user: text.slice(0, colon), password: text.slice(colon + 1) };
}

function parseAlternatives(text: string): string[] {
  const hosts: string[] = [];
  for (const item of text.split(',')) {
    const trimmed = item.trim();
    if (trimmed === '') continue;
    const { host, port } = splitHostPort(trimmed, '-a/--alternatives');
    if (host === '') throw new UsageError(`missing host in -a/--alternatives entry "${trimmed}"`);
    hosts.push(joinHostPort(host, port ?? defaultPort));
  }
  if (hosts.length > alternativesCountMax) {
    throw new UsageError(`too many alternative hosts (${hosts.length}, at most ${alternativesCountMax})`);
  }
  return hosts;
}

/** Reads the command line and environment. Throws UsageError with a message fit to print. */
export function parseCommandLine(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
): CommandLine {
  const raw = splitArguments(argv);
  if (raw.flags.has('help')) return { kind: 'help' };
  if (raw.flags.has('version')) return { kind: 'version' };
  if (raw.positionals.length > 1) {
    throw new UsageError(`unexpected argument "${raw.positionals[1] ?? ''}": give at most one node URL`);
  }

  const hostFlag = raw.values.get('host');
  const portFlag = raw.values.get('port');
  const schemeFlag = raw.values.get('scheme');
  const explicit = hostFlag !== undefined || portFlag !== undefined || schemeFlag !== undefined;
  const positional = raw.positionals[0];
  if (positional !== undefined && explicit) {
    throw new UsageError('give the node either as a URL or with -H/-p/-s, not both');
  }

  let address: NodeAddress = { scheme: undefined, host: defaultHost, port: undefined, prefix: undefined };
  if (positional !== undefined) {
    address = parseNodeAddress(positional, 'the URL argument');
  } else if (!explicit && env.DUST_HOST !== undefined && env.DUST_HOST.trim() !== '') {
    address = parseNodeAddress(env.DUST_HOST, 'DUST_HOST');
  } else if (hostFlag !== undefined) {
    const { host, port } = splitHostPort(hostFlag, '-H/--host');
    if (host === '') throw new UsageError('-H/--host needs a host name or address');
    address = { scheme: undefined, host, port, prefix: undefined };
  }

  const scheme =
    schemeFlag !== undefined ? parseScheme(schemeFlag, '-s/--scheme') : (address.scheme ?? 'http');
  const port = portFlag !== undefined ? parsePort(portFlag, '-p/--port') : (address.port ?? defaultPort);
  const prefixFlag = raw.values.get('prefix');
  const prefix = prefixFlag !== undefined ? normalisePrefix(prefixFlag) : (address.prefix ?? '/');

  const timeoutText = raw.values.get('http-timeout');
  let httpTimeoutMs = defaultHttpTimeoutMs;
  if (timeoutText !== undefined) {
    const parsed = parseDurationMs(timeoutText);
    if (typeof parsed !== 'number') throw new UsageError(`-t/--http-timeout: ${parsed.error}`);
    if (parsed <= 0 || parsed > httpTimeoutMsMax) {
      throw new UsageError(`-t/--http-timeout must be more than 0 and at most 24h, not ${timeoutText}`);
    }
    httpTimeoutMs = parsed;
  }

  const userText = raw.values.get('user');
  const primary = joinHostPort(address.host, port);
  const alternatives = parseAlternatives(raw.values.get('alternatives') ?? '').filter(
    (host) => host !== primary,
  );
  const clientCertFile = raw.values.get('client-cert');
  const clientKeyFile = raw.values.get('client-key');
  if ((clientCertFile === undefined) !== (clientKeyFile === undefined)) {
    throw new UsageError('mutual TLS needs both -d/--client-cert and -k/--client-key');
  }

  return {
    kind: 'run',
    options: {
      scheme,
      hosts: [primary, ...new Set(alternatives)],
      prefix,
      credentials: userText === undefined ? undefined : parseCredentials(userText),
      insecure: raw.flags.has('insecure'),
      caCertFile: raw.values.get('ca-cert'),
      clientCertFile,
      clientKeyFile,
      httpTimeoutMs,
    },
  };
}
