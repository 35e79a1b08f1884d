import { runStepMain, tuneGcForThroughput } from '@salesflow/step';
import { executeFollow } from './kafka/follow-main';
import { ingestStep } from './ingest-step';

const argv = process.argv.slice(2);
if (argv.includes('--follow')) {
  // Streaming: runs until SIGTERM (Kubernetes, docker stop) or SIGINT (Ctrl-C), then commits what it took and exits 0.
  const stop = new AbortController();
  for (const sig of ['SIGTERM', 'SIGINT'] as const) process.once(sig, () => stop.abort());
  void executeFollow({ argv, signal: stop.signal }).then(
    (code) => {
      process.exitCode = code;
    },
    (err: unknown) => {
      process.stderr.write(`${String(err)}\n`);
      process.exitCode = 1;
    },
  );
} else {
  // A batch ingest streams files and tables through short-lived buffers (tuneGcForThroughput);
  // follow mode keeps the defaults: its Kafka client holds more live memory.
  tuneGcForThroughput();
  runStepMain(ingestStep);
}
