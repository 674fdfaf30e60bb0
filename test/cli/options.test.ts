import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDurationMs } from '../../src/cli/duration.js';
import { UsageError } from '../../src/cli/errors.js';
import type { ShellOptions } from '../../src/cli/options.js';
import { parseCommandLine, usageText } from '../../src/cli/options.js';

function options(argv: readonly string[], env: Record<string, string> = {}): ShellOptions {
  const parsed = parseCommandLine(argv, env);
  assert.equal(parsed.kind, 'run');
  return parsed.options;
}

describe('command line', () => {
  it('defaults to http://127.0.0.1:4001/ with a 30s timeout', () => {
    const parsed = options([]);
    assert.deepEqual(parsed.hosts, ['127.0.0.1:4001']);
    assert.equal(parsed.scheme, 'http');
    assert.equal(parsed.prefix, '/');
    assert.equal(parsed.httpTimeoutMs, 30_000);
    assert.equal(parsed.credentials, undefined);
    assert.equal(parsed.insecure, false);
  });

  it('reads short and long options, with the value attached or separate', () => {
    const parsed = options(['-H', 'db1', '--port=5001', '-s=https', '--prefix', 'api', '-i', '-t', '1m30s']);
    assert.deepEqual(parsed.hosts, ['db1:5001']);
    assert.equal(parsed.scheme, 'https');
    assert.equal(parsed.prefix, '/api/');
    assert.equal(parsed.insecure, true);
    assert.equal(parsed.httpTimeoutMs, 90_000);
  });

  it('takes the node as a URL, including its path as the prefix', () => {
    const parsed = options(['https://db.example:4443/v1/api']);
    assert.deepEqual(parsed.hosts, ['db.example:4443']);
    assert.equal(parsed.scheme, 'https');
    assert.equal(parsed.prefix, '/v1/api/');
    assert.deepEqual(options(['http://db.example']).hosts, ['db.example:4001']);
  });

  it('puts brackets around IPv6 addresses', () => {
    assert.deepEqual(options(['-H', '::1', '-p', '5000']).hosts, ['[::1]:5000']);
    assert.deepEqual(options(['http://[::1]:4002']).hosts, ['[::1]:4002']);
  });

  it('uses DUST_HOST only when no -H, -p, -s or URL is given', () => {
    assert.deepEqual(options([], { DUST_HOST: 'https://env.example:9000' }).hosts, ['env.example:9000']);
    assert.equal(options([], { DUST_HOST: 'https://env.example:9000' }).scheme, 'https');
    assert.deepEqual(options([], { DUST_HOST: 'env.example' }).hosts, ['env.example:4001']);
    assert.deepEqual(options(['-H', 'flag.example'], { DUST_HOST: 'env.example:9000' }).hosts, [
      'flag.example:4001',
    ]);
    assert.deepEqual(options(['-p', '4100'], { DUST_HOST: 'env.example:9000' }).hosts, ['127.0.0.1:4100']);
  });

  it('lists alternatives after the main host, with the default port and without duplicates', () => {
    const parsed = options(['-p', '4001', '-a', '127.0.0.1:4002, other , 127.0.0.1:4001,other:4001,,']);
    assert.deepEqual(parsed.hosts, ['127.0.0.1:4001', '127.0.0.1:4002', 'other:4001']);
  });

  it('splits credentials at the first colon, so passwords may contain colons', () => {
    assert.deepEqual(options(['-u', 'bob:se:cret']).credentials, { user: 'bob', password: 'se:cret' });
    assert.throws(() => parseCommandLine(['-u', 'bob'], {}), UsageError);
  });

  it('reads TLS files and requires the client certificate and key together', () => {
    const parsed = options(['-c', 'ca.pem', '-d', 'client.pem', '-k', 'client.key']);
    assert.equal(parsed.caCertFile, 'ca.pem');
    assert.equal(parsed.clientCertFile, 'client.pem');
    assert.equal(parsed.clientKeyFile, 'client.key');
    assert.throws(() => parseCommandLine(['-d', 'client.pem'], {}), /both -d\/--client-cert and -k/);
  });

  it('answers help and version before anything else', () => {
    assert.deepEqual(parseCommandLine(['-p', 'bad', '--help'], {}), { kind: 'help' });
    assert.deepEqual(parseCommandLine(['-v'], {}), { kind: 'version' });
    const usage = usageText();
    for (const long of ['host', 'port', 'scheme', 'prefix', 'alternatives', 'user', 'insecure', 'ca-cert']) {
      assert.match(usage, new RegExp(`--${long}`));
    }
    for (const long of ['client-cert', 'client-key', 'http-timeout', 'version', 'help']) {
      assert.match(usage, new RegExp(`--${long}`));
    }
  });

  it('refuses what it cannot use, with a message naming the problem', () => {
    const cases: [string[], RegExp][] = [
      [['--bogus'], /unknown option --bogus/],
      [['-p'], /needs a value/],
      [['-p', '70000'], /invalid port/],
      [['-p', 'abc'], /invalid port/],
      [['-s', 'ftp'], /invalid scheme/],
      [['-t', '10'], /missing unit/],
      [['-t', '0s'], /more than 0/],
      [['http://a', 'http://b'], /at most one node URL/],
      [['http://a', '-H', 'b'], /either as a URL or with -H/],
      [['http://user:pw@a'], /credentials/],
      [['-i=maybe'], /takes no value/],
    ];
    for (const [argv, message] of cases) {
      assert.throws(
        () => parseCommandLine(argv, {}),
        (error: unknown) => {
          assert.ok(error instanceof UsageError, `${argv.join(' ')} should be a UsageError`);
          assert.match(error.message, message);
          return true;
        },
      );
    }
  });
});

describe('durations', () => {
  it('reads Go-style durations into milliseconds', () => {
    assert.equal(parseDurationMs('30s'), 30_000);
    assert.equal(parseDurationMs('500ms'), 500);
    assert.equal(parseDurationMs('1m30s'), 90_000);
    assert.equal(parseDurationMs('1.5h'), 5_400_000);
    assert.equal(parseDurationMs('2us'), 0.002);
    assert.equal(parseDurationMs('0'), 0);
  });

  it('explains what is wrong with a bad duration', () => {
    assert.deepEqual(parseDurationMs(''), { error: 'empty duration' });
    assert.match((parseDurationMs('5') as { error: string }).error, /missing unit/);
    assert.match((parseDurationMs('5 s') as { error: string }).error, /invalid duration/);
    assert.match((parseDurationMs('-5s') as { error: string }).error, /invalid duration/);
    assert.match((parseDurationMs('5d') as { error: string }).error, /invalid duration/);
  });
});
