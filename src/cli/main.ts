// The `dust` shell's entry point: reads the options, checks that a node answers, then runs the shell on
// the terminal or on piped input. Exit status: 0 on success; 1 when a piped script had an error or no
// node could be reached; 2 for bad options; 70 for a bug in the shell itself.
import fs from 'node:fs';
import { ConnectionError, UsageError, fileError, isShellError } from './errors.js';
import type { TlsFiles } from './http-client.js';
import { NodeClient } from './http-client.js';
import { historySettings } from './history.js';
import { runInteractive, runPiped } from './input.js';
import type { ShellOptions } from './options.js';
import { parseCommandLine, usageText } from './options.js';
import type { ProgressSink } from './progress.js';
import { defaultSettings } from './settings.js';
import { Shell } from './shell.js';
import { shellVersion } from './version.js';

const exitUsage = 2;
const exitSoftware = 70;

function readTlsFiles(options: ShellOptions): TlsFiles {
  const read = (file: string | undefined): Buffer | undefined => {
    if (file === undefined) return undefined;
    try {
      return fs.readFileSync(file);
    } catch (error) {
      throw fileError('read', file, error);
    }
  };
  return {
    ca: read(options.caCertFile),
    cert: read(options.clientCertFile),
    key: read(options.clientKeyFile),
    rejectUnauthorized: !options.insecure,
  };
}

/** Asks the node for /status to learn its version; only an unreachable node is an error here. */
async function probeVersion(client: NodeClient): Promise<string> {
  const response = await client.request({ method: 'GET', path: 'status' });
  const header = response.headers['x-rqlite-version'];
  return typeof header === 'string' && header !== '' ? header : 'unknown';
}

async function main(): Promise<number> {
  const version = shellVersion();
  let options: ShellOptions;
  try {
    const commandLine = parseCommandLine(process.argv.slice(2), process.env);
    if (commandLine.kind === 'help') {
      process.stdout.write(usageText());
      return 0;
    }
    if (commandLine.kind === 'version') {
      process.stdout.write(`dust ${version}\n`);
      return 0;
    }
    options = commandLine.options;
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`dust: ${error.message}\n`);
      return exitUsage;
    }
    throw error;
  }

  let tls: TlsFiles;
  try {
    tls = readTlsFiles(options);
  } catch (error) {
    if (!isShellError(error)) throw error;
    process.stderr.write(`dust: ${error.message}\n`);
    return exitUsage;
  }

  const client = new NodeClient({
    scheme: options.scheme,
    hosts: options.hosts,
    prefix: options.prefix,
    credentials: options.credentials,
    httpTimeoutMs: options.httpTimeoutMs,
    tls,
    userAgent: `dust-shell/${version}`,
  });
  const colourErrors = process.stderr.isTTY && process.env.NO_COLOR === undefined;
  const stdout = { write: (text: string) => void process.stdout.write(text) };
  const stderr = { write: (text: string) => void process.stderr.write(text) };
  const terminal: ProgressSink = {
    get isTerminal() {
      return process.stdout.isTTY;
    },
    get columns() {
      return process.stdout.columns;
    },
    write: (text) => void process.stdout.write(text),
  };
  client.onHostChanged = (host) => {
    stderr.write(`Note: the node is unreachable; now using ${options.scheme}://${host}\n`);
  };

  let serverVersion: string;
  try {
    serverVersion = await probeVersion(client);
  } catch (error) {
    if (!isShellError(error)) throw error;
    const label = colourErrors ? '\u001b[31mError:\u001b[0m' : 'Error:';
    const hint = error instanceof ConnectionError ? `; is dustd running at ${client.urlOf('')}?` : '';
    stderr.write(`${label} ${error.message}${hint}\n`);
    client.close();
    return 1;
  }

  const interactive = process.stdin.isTTY && process.stdout.isTTY;
  const shell = new Shell(client, defaultSettings(), { stdout, stderr, terminal, colourErrors }, version);
  try {
    if (interactive) {
      stdout.write(
        `Welcome to the Dust shell, version ${version}.\n` +
          'Enter ".help" for usage hints. Statements end with ";".\n' +
          `Connected to ${client.urlOf('')} running version ${serverVersion}\n`,
      );
      await runInteractive(shell, {
        input: process.stdin,
        output: process.stdout,
        history: historySettings(process.env),
        prompt: () => `${client.host}> `,
      });
    } else {
      await runPiped(shell, process.stdin);
    }
  } finally {
    shell.close();
  }
  const requested = shell.requestedExitStatus;
  if (requested !== undefined) return requested;
  return !interactive && shell.failureCount > 0 ? 1 : 0;
}

// A reader that stops early (`dust < big.sql | head`) closes the pipe; that ends the shell quietly, as it
// ends any Unix filter, instead of crashing on the failed write.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    throw error;
  });
}

main().then(
  (status) => process.exit(status),
  (error: unknown) => {
    const detail = error instanceof Error ? (error.stack ?? error.message) : String(error);
    process.stderr.write(`dust: internal error (please report it): ${detail}\n`);
    process.exit(exitSoftware);
  },
);
