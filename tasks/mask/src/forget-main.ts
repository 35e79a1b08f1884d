import { runForget } from './forget-command';

void runForget({ argv: process.argv.slice(2) }).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`${String(err)}\n`);
    process.exitCode = 1;
  },
);
