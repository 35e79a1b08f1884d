import path from 'node:path';

/**
 * The repository's sql/ folder: WAREHOUSE_SQL_DIR when set, else found relative to this package
 * (tasks/load-warehouse/{src,dist}/ -> sql/), which holds both in the repo and in the Docker image
 * as long as the image keeps the repo layout and copies sql/.
 */
export function resolveSqlDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.WAREHOUSE_SQL_DIR ? path.resolve(env.WAREHOUSE_SQL_DIR) : path.resolve(__dirname, '../../../sql');
}
