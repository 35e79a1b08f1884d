import { spawnSync } from 'node:child_process';
import path from 'node:path';

// The built module (npm run build), in a process of its own: the filter changes the process's warning listeners.
const built = path.resolve(__dirname, '../../dist/kafka/kafka-ingest.js');

it("drops kafkajs's negative-timer warning from stderr and still prints every other warning", () => {
  const script = `
    const { kafkaClientOf } = require(${JSON.stringify(built)});
    kafkaClientOf({ name: 's', brokers: ['127.0.0.1:9'], client_id: 'c', timeout_ms: 1000 }, 'config.yaml');
    setTimeout(() => {}, -5);
    process.emitWarning('still shown', 'OtherWarning');`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  expect(r.status).toBe(0);
  expect(r.stderr).not.toMatch(/TimeoutNegativeWarning/);
  expect(r.stderr).toMatch(/OtherWarning: still shown/);
});
