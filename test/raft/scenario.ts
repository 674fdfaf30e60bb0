// Runs scripted multi-node scenarios. A script is a list of blocks, each a command, a line `----`, and
// the output the command is expected to print, separated by blank lines (lines starting with # are
// comments). The output is what the cluster did: messages delivered, roles changed, state reached. The
// test compares it with the file; DUST_REWRITE_GOLDEN=1 rewrites the files with the actual output.
//
// Commands:
//   cluster voters=1,2,3 [learners=4] [spare=5] [election=10] [heartbeat=1] [preVote=true] [checkQuorum=true]
//   campaign ID | tick ID|all [COUNT] | run COUNT (tick all and deliver, COUNT times) | stabilize
//   propose ID VALUE | conf ID addVoter|addLearner|removeNode NODE | transfer ID TO
//   read ID CONTEXT [lease] | isolate ID | partition 1,2/3 | cut FROM TO | heal | drop
//   crash ID | restart ID | snapshot ID [COMPACT_TO] | status | state

import { describeMessage, RaftError, type ConfChangeKind } from '../../src/raft/index.js';
import { TestCluster, text } from './cluster.js';

export interface ScenarioBlock {
  readonly command: string;
  readonly expected: readonly string[];
  /** Comment lines that precede the command, kept when the file is rewritten. */
  readonly comments: readonly string[];
}

export function parseScenario(source: string): ScenarioBlock[] {
  const blocks: ScenarioBlock[] = [];
  const lines = source.split('\n');
  let comments: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      comments.push(line);
      continue;
    }
    if (lines[i + 1] !== '----') throw new Error(`line ${i + 1}: expected ---- after the command "${line}"`);
    const expected: string[] = [];
    for (i += 2; i < lines.length && (lines[i] as string).trim() !== ''; i++)
      expected.push(lines[i] as string);
    blocks.push({ command: line, expected, comments });
    comments = [];
  }
  return blocks;
}

export function formatScenario(
  blocks: readonly ScenarioBlock[],
  outputs: readonly (readonly string[])[],
): string {
  return (
    blocks
      .map((block, i) => [...block.comments, block.command, '----', ...(outputs[i] ?? [])].join('\n'))
      .join('\n\n') + '\n'
  );
}

function ids(list: string | undefined): string[] {
  return list === undefined || list === '' ? [] : list.split(',');
}

export class ScenarioRunner {
  private cluster: TestCluster | undefined;

  private get c(): TestCluster {
    if (this.cluster === undefined) throw new Error('the first command must be "cluster"');
    return this.cluster;
  }

  /** Runs one command and returns its output lines. */
  run(command: string): string[] {
    const [name, ...args] = command.trim().split(/\s+/);
    const c = (): TestCluster => this.c;
    const withTranscript = (action: () => void): string[] => {
      const cluster = c();
      cluster.transcript.length = 0;
      action();
      const lines = [...cluster.transcript];
      cluster.transcript.length = 0;
      return lines.length > 0 ? lines : ['(nothing)'];
    };
    const attempt = (action: () => string): string[] => {
      try {
        return withTranscript(() => c().transcript.push(action()));
      } catch (error) {
        if (error instanceof RaftError) return [`error ${error.code}: ${error.message}`];
        throw error;
      }
    };
    switch (name ?? '') {
      case 'cluster': {
        const options = new Map(args.map((arg) => arg.split('=') as [string, string]));
        this.cluster = new TestCluster({
          voters: ids(options.get('voters')),
          learners: ids(options.get('learners')),
          spare: ids(options.get('spare')),
          raft: {
            electionTimeoutTicks: Number(options.get('election') ?? 10),
            heartbeatIntervalTicks: Number(options.get('heartbeat') ?? 1),
            preVote: (options.get('preVote') ?? 'true') === 'true',
            checkQuorum: (options.get('checkQuorum') ?? 'true') === 'true',
          },
        });
        this.cluster.recordTranscript = true;
        return this.cluster.describe();
      }
      case 'campaign':
        return withTranscript(() => c().campaign(args[0] as string));
      case 'tick':
        return withTranscript(() => {
          const count = Number(args[1] ?? 1);
          if (args[0] === 'all') c().tickAll(count);
          else c().tick(args[0] as string, count);
        });
      case 'run':
        return withTranscript(() => c().run(Number(args[0])));
      case 'stabilize':
        return withTranscript(() => c().stabilize());
      case 'propose':
        return attempt(() => {
          const position = c().propose(args[0] as string, args[1] as string);
          return `proposed ${args[1]} at ${position.index}/${position.term}`;
        });
      case 'conf':
        return attempt(() => {
          const position = c()
            .raw(args[0] as string)
            .proposeConfChange({ kind: args[1] as ConfChangeKind, node: args[2] as string });
          c().process(args[0] as string);
          return `proposed ${args[1]} ${args[2]} at ${position.index}/${position.term}`;
        });
      case 'transfer':
        return attempt(() => {
          c()
            .raw(args[0] as string)
            .transferLeadership(args[1] as string);
          c().process(args[0] as string);
          return `transferring leadership to ${args[1]}`;
        });
      case 'read':
        return attempt(() => {
          c()
            .raw(args[0] as string)
            .readIndex(text(args[1] as string), args[2] === 'lease' ? 'lease' : 'quorum');
          c().process(args[0] as string);
          return `read ${args[1]} requested`;
        });
      case 'isolate':
        c().isolate(args[0] as string);
        return [`${args[0]} isolated`];
      case 'partition': {
        const groups = (args[0] as string).split('/').map((group) => group.split(','));
        c().partition(...groups);
        return [`partitioned ${groups.map((g) => `{${g.join(',')}}`).join(' ')}`];
      }
      case 'cut':
        c().block(args[0] as string, args[1] as string);
        return [`messages from ${args[0]} to ${args[1]} are dropped`];
      case 'heal':
        c().heal();
        return ['network healed'];
      case 'drop': {
        const dropped = c().queue.map((m) => `dropped ${describeMessage(m)}`);
        c().queue = [];
        return dropped.length > 0 ? dropped : ['(nothing)'];
      }
      case 'crash':
        return withTranscript(() => c().crash(args[0] as string));
      case 'restart':
        return withTranscript(() => c().restart(args[0] as string));
      case 'snapshot': {
        const compactTo = args[1] === undefined ? undefined : Number(args[1]);
        const meta = c().snapshotAndCompact(args[0] as string, compactTo);
        const first = c()
          .node(args[0] as string)
          .storage.firstIndex();
        return [`${args[0]} snapshot at ${meta.index}/${meta.term}, log starts at ${first}`];
      }
      case 'status':
        return c().describe();
      case 'state': {
        const lines: string[] = [];
        for (const [id, node] of c().nodes) {
          const reads = node.readStates.map(
            (r) => `${new TextDecoder().decode(r.context)}@${r.index}/${r.confirmedBy}`,
          );
          const readText = reads.length > 0 ? ` reads=[${reads.join(' ')}]` : '';
          lines.push(`${id}: applied=[${node.state.join(' ')}]${readText}`);
        }
        return lines;
      }
      default:
        throw new Error(`unknown command "${command}"`);
    }
  }
}
