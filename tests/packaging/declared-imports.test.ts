/**
 * Every workspace declares the packages its sources import, so the pruned production install of
 * the images (docker/Dockerfile: `npm prune --omit=dev`) has them. A package that resolves in the
 * repository only through the root node_modules (hoisted for another workspace or a dev tool)
 * would fail in the image with `Cannot find module`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { findUndeclaredImports, importedSpecifiers, packageOfSpecifier } from './find-undeclared-imports';

const ROOT = path.resolve(__dirname, '../..');

it('finds no undeclared import in any workspace', () => {
  const undeclared = findUndeclaredImports(ROOT).map((u) => `${u.file}: imports ${u.packageName}; add it to ${u.workspace}/package.json ${u.needs}`);
  expect(undeclared).toEqual([]);
});

describe('on a made-up repository', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'declared-imports-'));
    const write = (file: string, text: string) => {
      mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      writeFileSync(path.join(dir, file), text);
    };
    write('package.json', JSON.stringify({ workspaces: ['tasks/*'], devDependencies: { jest: '29' } }));
    write('tasks/a/package.json', JSON.stringify({ name: '@x/a', dependencies: { yaml: '2' } }));
    write(
      'tasks/a/src/main.ts',
      [
        "import { readFileSync } from 'node:fs';",
        "import path from 'path';",
        "import { parse } from 'yaml';",
        "import picomatch from 'picomatch';",
        "export { z } from '@scope/zod/v4';",
        "import type { Thing } from './thing';",
        "const lazy = () => import('got');",
        "const req = require('knex');",
      ].join('\n'),
    );
    write('tasks/a/src/main.test.ts', "import { expect } from 'jest';\nimport x from 'chai';\n");
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('reports each undeclared package with the file and where to declare it', () => {
    const found = findUndeclaredImports(dir).map((u) => `${u.file} ${u.packageName} ${u.needs}`);
    expect(found.sort()).toEqual([
      'tasks/a/src/main.test.ts chai devDependencies',
      'tasks/a/src/main.ts @scope/zod dependencies',
      'tasks/a/src/main.ts got dependencies',
      'tasks/a/src/main.ts knex dependencies',
      'tasks/a/src/main.ts picomatch dependencies',
    ]);
  });
});

it('names the package of a specifier and skips built-ins and relative paths', () => {
  expect(packageOfSpecifier('@aws-sdk/client-s3')).toBe('@aws-sdk/client-s3');
  expect(packageOfSpecifier('apache-arrow/Arrow.node')).toBe('apache-arrow');
  expect(packageOfSpecifier('node:fs')).toBeUndefined();
  expect(packageOfSpecifier('stream')).toBeUndefined();
  expect(packageOfSpecifier('../x')).toBeUndefined();
  expect(importedSpecifiers("export * from 'a';\nimport 'b';")).toEqual(['a', 'b']);
});
