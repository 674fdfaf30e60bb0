// Three nodes started at the same moment with the same -join list and -bootstrap-expect 3 form one
// cluster; the same command lines bring it back after all three stop; a fourth node started later with
// the same flags joins it as a voter; a node whose peers never come gives up after its timeout.
import { rmSync } from 'node:fs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';

import { judgeQuery, judgeWrite } from './api-results.js';
import { allocateNodes, type ClusterNode } from './cluster-node.js';
import { pickFreePorts } from './free-ports.js';
import { describeOutcome, jsonAt, NodeHttpClient } from './node-http.js';
import { pollUntil } from './polling.js';
import {
  clusterSkipReason,
  peerAddressesEnvironmentVariable,
  serverExecutable,
  serverFromEnvironment,
} from './server-binary.js';

const server = serverFromEnvironment();
const skipReason = await clusterSkipReason(server);
const formationTimeoutMs = 40_000;
const exitTimeoutMs = 15_000;
// Short rounds keep the test quick; the protocol is the same with the default 3 s.
const commonFlags = ['-bootstrap-expect', '3', '-join-interval', '1s', '-bootstrap-expect-timeout', '60s'];

/** What one node's /nodes?ver=2 says about one member. */
interface ListedMember {
  readonly id: string;
  readonly voter: boolean;
  readonly leader: boolean;
}

describe(
  `${server} nodes started with -bootstrap-expect`,
  { skip: skipReason ?? false, timeout: 240_000 },
  () => {
    const http = new NodeHttpClient();
    let rootDir = '';
    let nodes: ClusterNode[] = [];
    let joinList = '';
    const killOnExit = (): void => killAll();

    function killAll(): void {
      for (const node of nodes) {
        if (!node.running) continue;
        try {
          node.signal('SIGKILL');
        } catch {
          // It exited between the check and the signal.
        }
      }
    }

    function launch(node: ClusterNode, flags: readonly string[]): void {
      const environment: NodeJS.ProcessEnv = { ...process.env };
      delete environment[peerAddressesEnvironmentVariable];
      node.launch(
        serverExecutable(server),
        [
          '-node-id',
          node.id,
          '-http-addr',
          node.httpAddress,
          '-raft-addr',
          node.raftAddress,
          ...flags,
          node.dataDir,
        ],
        environment,
      );
    }

    function logs(of: readonly ClusterNode[] = nodes): string {
      return of.map((node) => `----- node ${node.id} -----\n${node.outputTail(30)}`).join('\n');
    }

    async function listedBy(node: ClusterNode): Promise<ListedMember[] | undefined> {
      const outcome = await http.send({
        method: 'GET',
        address: node.httpAddress,
        pathAndQuery: '/nodes?ver=2',
        timeoutMs: 3_000,
      });
      const listed = jsonAt(outcome.kind === 'answered' ? outcome.json : undefined, 'nodes');
      if (!Array.isArray(listed)) return undefined;
      return listed
        .map((entry) => ({
          id: String(jsonAt(entry, 'id')),
          voter: jsonAt(entry, 'voter') === true,
          leader: jsonAt(entry, 'leader') === true,
        }))
        .sort((a, b) => a.id.localeCompare(b.id));
    }

    /**
     * Waits until every one of `members` lists exactly those members, all voters, and names the same one
     * of them leader. Fails early if a node exits. Returns the leader.
     */
    async function waitForOneCluster(members: readonly ClusterNode[]): Promise<ClusterNode> {
      let lastSeen: string[] = [];
      const expected = members.map((node) => node.id).sort((a, b) => a.localeCompare(b));
      const leaderId = await pollUntil(
        async () => {
          for (const node of members) {
            const exit = node.exitStatus();
            if (exit !== null) {
              throw new Error(
                `node ${node.id} exited (${JSON.stringify(exit)}) while the cluster formed\n${logs()}`,
              );
            }
          }
          const lists = await Promise.all(members.map((node) => listedBy(node)));
          lastSeen = lists.map((list, index) => `node ${members[index]?.id}: ${JSON.stringify(list)}`);
          const leaders = new Set<string>();
          for (const list of lists) {
            if (list === undefined) return undefined;
            if (list.map((member) => member.id).join() !== expected.join()) return undefined;
            if (!list.every((member) => member.voter)) return undefined;
            const named = list.filter((member) => member.leader);
            if (named.length !== 1) return undefined;
            leaders.add(named[0]?.id ?? '');
          }
          return leaders.size === 1 ? [...leaders][0] : undefined;
        },
        {
          timeoutMs: formationTimeoutMs,
          intervalMs: 200,
          onTimeout: () =>
            new Error(
              `the nodes did not agree on ${expected.length} voters and one leader within ${formationTimeoutMs} ms; ` +
                `last seen: ${lastSeen.join('; ')}\n${logs()}`,
            ),
        },
      );
      const leader = members.find((node) => node.id === leaderId);
      assert.ok(leader !== undefined, `leader ${String(leaderId)} is one of the members`);
      return leader;
    }

    async function execute(node: ClusterNode, statements: readonly unknown[]): Promise<void> {
      const outcome = await http.send({
        method: 'POST',
        address: node.httpAddress,
        pathAndQuery: '/db/execute',
        body: statements,
        timeoutMs: 10_000,
      });
      assert.equal(judgeWrite(outcome, statements.length).kind, 'ok', describeOutcome(outcome));
    }

    /** Polls the node's own copy (level=none) until `SELECT v FROM kv ORDER BY v` gives `expected`. */
    async function waitForRows(node: ClusterNode, expected: readonly string[]): Promise<void> {
      let last = '';
      await pollUntil(
        async () => {
          const outcome = await http.send({
            method: 'POST',
            address: node.httpAddress,
            pathAndQuery: '/db/query?level=none',
            body: [['SELECT v FROM kv ORDER BY v']],
            timeoutMs: 3_000,
          });
          const verdict = judgeQuery(outcome);
          last = describeOutcome(outcome);
          if (verdict.kind !== 'rows') return undefined;
          const values = verdict.rows.map((row) => String(row[0]));
          return values.join() === expected.join() ? true : undefined;
        },
        {
          timeoutMs: 15_000,
          intervalMs: 100,
          onTimeout: () =>
            new Error(`node ${node.id} did not hold rows ${expected.join()}; last read ${last}`),
        },
      );
    }

    before(async () => {
      ({ rootDir, nodes } = await allocateNodes(5, 'dust-bootstrap-expect-'));
      joinList = nodes
        .slice(0, 3)
        .map((node) => node.raftAddress)
        .join(',');
      process.once('exit', killOnExit);
    });

    after(async () => {
      killAll();
      await Promise.all(
        nodes
          .filter((node) => node.exitStatus() === null)
          .map((node) => node.waitForExit(exitTimeoutMs).catch(() => undefined)),
      );
      http.close();
      process.removeListener('exit', killOnExit);
      if (rootDir !== '') rmSync(rootDir, { recursive: true, force: true });
    });

    const founding = (): ClusterNode[] => nodes.slice(0, 3);

    it('forms one cluster of three voters from three identical command lines started together', async () => {
      for (const node of founding()) launch(node, ['-join', joinList, ...commonFlags]);
      const leader = await waitForOneCluster(founding());
      await execute(leader, ['CREATE TABLE kv (v TEXT NOT NULL)', "INSERT INTO kv(v) VALUES('first')"]);
      for (const node of founding()) await waitForRows(node, ['first']);
    });

    it('comes back as the same cluster, data kept, when all three restart with the same command lines', async () => {
      for (const node of founding()) node.signal('SIGTERM');
      for (const node of founding()) {
        const exit = await node.waitForExit(exitTimeoutMs);
        assert.equal(exit.code, 0, `node ${node.id} exited with ${JSON.stringify(exit)}\n${logs([node])}`);
      }
      for (const node of founding()) launch(node, ['-join', joinList, ...commonFlags]);
      const leader = await waitForOneCluster(founding());
      for (const node of founding()) await waitForRows(node, ['first']);
      await execute(leader, ["INSERT INTO kv(v) VALUES('second')"]);
      for (const node of founding()) await waitForRows(node, ['first', 'second']);
    });

    it('adds a fourth node started later with the same flags as a fourth voter', async () => {
      const fourth = nodes[3];
      assert.ok(fourth !== undefined);
      launch(fourth, ['-join', joinList, ...commonFlags]);
      const members = nodes.slice(0, 4);
      const leader = await waitForOneCluster(members);
      await waitForRows(fourth, ['first', 'second']);
      await execute(leader, ["INSERT INTO kv(v) VALUES('third')"]);
      for (const node of members) await waitForRows(node, ['first', 'second', 'third']);
    });

    it('exits 1 after -bootstrap-expect-timeout when the expected peers never come', async () => {
      const lonely = nodes[4];
      assert.ok(lonely !== undefined);
      // Two of the three addresses are nobody's: nothing listens there, so connections are refused.
      const [absentA, absentB] = await pickFreePorts(2);
      const started = performance.now();
      launch(lonely, [
        '-join',
        `${lonely.raftAddress},127.0.0.1:${absentA},127.0.0.1:${absentB}`,
        '-bootstrap-expect',
        '3',
        '-bootstrap-expect-timeout',
        '2s',
        '-join-interval',
        '500ms',
      ]);
      const exit = await lonely.waitForExit(exitTimeoutMs);
      const elapsedMs = performance.now() - started;
      assert.equal(exit.code, 1, `exit ${JSON.stringify(exit)}\n${logs([lonely])}`);
      assert.ok(elapsedMs >= 2_000 && elapsedMs < 12_000, `exited after ${Math.round(elapsedMs)} ms`);
      if (server === 'dustd') {
        const lines = lonely.output.split('\n').filter((line) => line.includes('no cluster was formed'));
        assert.equal(lines.length, 1, lonely.output);
        assert.match(
          lines[0] ?? '',
          /within 2000 ms .*heard from 1 of the 3 expected voters \(node ids: 5\)/,
        );
      }
    });
  },
);
