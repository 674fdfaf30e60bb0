// HTTPS options: -s https, -i, -c CA, -d/-k client certificate, against a stand-in node with a throwaway
// certificate made by openssl for 127.0.0.1.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { makeTempDir, runShell, shellEnvironment } from './support/processes.js';
import { StandInNode } from './support/stand-in-node.js';

const opensslAvailable = spawnSync('openssl', ['version'], { encoding: 'utf8' }).status === 0;

function makeCertificate(directory: string, name: string): { cert: string; key: string } {
  const cert = path.join(directory, `${name}.pem`);
  const key = path.join(directory, `${name}.key`);
  const result = spawnSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
    ],
    { encoding: 'utf8' },
  );
  assert.equal(result.status, 0, result.stderr);
  return { cert, key };
}

const answer = { status: 200, body: '{"results":[{"columns":["tls"],"types":["integer"],"values":[[1]]}]}' };

describe('dust over HTTPS', { skip: opensslAvailable ? false : 'openssl is not installed' }, () => {
  let directory: string;
  let server: { cert: string; key: string };
  let client: { cert: string; key: string };
  const nodes: StandInNode[] = [];

  before(() => {
    directory = makeTempDir('tls');
    server = makeCertificate(directory, 'server');
    client = makeCertificate(directory, 'client');
  });

  after(async () => {
    for (const node of nodes) await node.stop();
    fs.rmSync(directory, { recursive: true, force: true });
  });

  async function start(requireClientCertificate: boolean): Promise<number> {
    const node = new StandInNode({
      cert: fs.readFileSync(server.cert),
      key: fs.readFileSync(server.key),
      ...(requireClientCertificate
        ? { requestCert: true, rejectUnauthorized: true, ca: fs.readFileSync(client.cert) }
        : {}),
    });
    node.replies = new Map([['POST /db/request', answer]]);
    nodes.push(node);
    return node.start();
  }

  it('refuses an untrusted certificate, and accepts it with -i or with its CA given by -c', async () => {
    const port = await start(false);
    const env = shellEnvironment(directory);
    const untrusted = await runShell(['-s', 'https', '-p', String(port)], { input: 'SELECT 1;', env });
    assert.match(
      untrusted.stderr,
      /^Error: the certificate of 127\.0\.0\.1:\d+ was not accepted \(DEPTH_ZERO_SELF_SIGNED_CERT\); trust its CA with -c FILE, or skip the check with -i\n$/,
    );
    assert.equal(untrusted.status, 1);
    const insecure = await runShell([`https://127.0.0.1:${port}`, '-i'], { input: 'SELECT 1;', env });
    assert.match(insecure.stdout, /\| tls \|/);
    const trusted = await runShell(['-s', 'https', '-p', String(port), '-c', server.cert], {
      input: 'SELECT 1;',
      env,
    });
    assert.match(trusted.stdout, /\| tls \|/);
    assert.equal(trusted.stderr, '');
  });

  it('presents a client certificate with -d and -k', async () => {
    const port = await start(true);
    const env = shellEnvironment(directory);
    const withoutCertificate = await runShell(['-s', 'https', '-p', String(port), '-c', server.cert], {
      input: 'SELECT 1;',
      env,
    });
    assert.equal(withoutCertificate.status, 1);
    assert.match(
      withoutCertificate.stderr,
      /^Error: 127\.0\.0\.1:\d+ requires a client certificate; give it with -d FILE -k FILE\n$/,
    );
    const mutual = await runShell(
      ['-s', 'https', '-p', String(port), '-c', server.cert, '-d', client.cert, '-k', client.key],
      {
        input: 'SELECT 1;',
        env,
      },
    );
    assert.equal(mutual.stderr, '');
    assert.match(mutual.stdout, /\| tls \|/);
  });

  it('names a certificate file it cannot read', async () => {
    const run = await runShell(['-s', 'https', '-c', path.join(directory, 'missing.pem')], {
      env: shellEnvironment(directory),
    });
    assert.match(run.stderr, /^dust: cannot read .*missing\.pem: no such file or directory\n$/);
    assert.equal(run.status, 2);
  });
});
