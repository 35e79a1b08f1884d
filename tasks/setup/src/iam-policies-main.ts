import { envWithFiles, readConfig } from '@salesflow/config';
import { ExitCode, UsageError } from '@salesflow/errors';
import { createLogger } from '@salesflow/logging';
import { buildIamPolicies } from './iam-policies';
import { commandFailed, commandParser } from './command-parser';

/**
 * `node tasks/setup/dist/iam-policies-main.js --config FILE [--role NAME] [--role-prefix P]`
 * (npm run iam-policies): prints the IAM identity policy of each step role for the config's S3
 * lake, as JSON on stdout: `{"roles":[{"role","step","source","access","policy"}]}`, or with
 * --role that one role's policy document alone (for `aws iam put-role-policy --policy-document`).
 * Exit 0 printed, 2 bad arguments, a config problem or a lake that is not on S3.
 */
async function main(): Promise<number> {
  const log = createLogger({ bindings: { step: 'iam-policies' } });
  try {
    const args = await commandParser('iam-policies-main.js', '$0 --config FILE [--role NAME]\n\nPrints the IAM policy of each step role (docs/security.md).')
      .option('config', { type: 'string', demandOption: true, describe: 'Pipeline YAML config with an s3:// lake.root' })
      .option('role', { type: 'string', describe: 'Print only this role\'s policy document, e.g. salesflow-mask' })
      .option('role-prefix', { type: 'string', default: 'salesflow', describe: 'Role names are <prefix>-<step>, as the DAG names service accounts' })
      .parseAsync();
    if (process.argv.includes('--help')) return ExitCode.ok;
    const { config } = readConfig(args.config, envWithFiles(process.env));
    const roles = buildIamPolicies(config, { rolePrefix: args['role-prefix'] });
    if (args.role !== undefined) {
      const one = roles.find((r) => r.role === args.role);
      if (!one) throw new UsageError(`--role ${args.role}: no such role; the config has ${roles.map((r) => r.role).join(', ')}`, { fix: 'name one of those roles' });
      process.stdout.write(JSON.stringify(one.policy, null, 2) + '\n');
    } else {
      process.stdout.write(JSON.stringify({ roles }, null, 2) + '\n');
    }
    return ExitCode.ok;
  } catch (err) {
    return commandFailed(log, 'iam-policies', err);
  }
}

void main().then((code) => {
  process.exitCode = code;
});
