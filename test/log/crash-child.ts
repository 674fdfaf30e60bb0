// The writing side of the crash test, run as its own process: it opens the log, runs the seeded workload with a
// few calls in flight, and prints "ack K" as soon as operation K is durable. The test kills it with SIGKILL.
//
//   node crash-child.js DIRECTORY SEED IN_FLIGHT SEGMENT_BYTES
import { DurableLog } from '../../src/log/durable-log.js';
import { ModelLog, runOperation, workload } from './crash-workload.js';

// The test kills this process long before; the bound only keeps a forgotten child from running forever.
const operationsMax = 200_000;
const runtimeMsMax = 60_000;

async function main(): Promise<void> {
  const [directory, seedText, inFlightText, segmentText] = process.argv.slice(2);
  if (
    directory === undefined ||
    seedText === undefined ||
    inFlightText === undefined ||
    segmentText === undefined
  ) {
    throw new Error('usage: crash-child DIRECTORY SEED IN_FLIGHT SEGMENT_BYTES');
  }
  const log = await DurableLog.open(directory, {
    segmentBytesMax: Number(segmentText),
    warnings: { warn: (message) => process.stderr.write(`${message}\n`) },
  });
  const operations = workload(Number(seedText), ModelLog.of(log));
  const deadline = Date.now() + runtimeMsMax;
  let issued = 0;
  process.stdout.write('ready\n');
  const worker = async (): Promise<void> => {
    while (issued < operationsMax && Date.now() < deadline) {
      const number = issued++;
      // Taking the next operation and calling the log happen in one synchronous step, so the call order (and
      // therefore the order on disk) is the workload's order.
      await runOperation(log, operations.next().value);
      // Pipes are written synchronously on Linux: once this returns, the test can see the acknowledgement.
      process.stdout.write(`ack ${number}\n`);
    }
  };
  await Promise.all(Array.from({ length: Number(inFlightText) }, worker));
  await log.close();
}

main().catch((error: unknown) => {
  process.stderr.write(
    `crash-child: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
