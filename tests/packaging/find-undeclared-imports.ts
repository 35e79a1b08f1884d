import { builtinModules } from 'node:module';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/** A bare import a workspace's source makes without declaring the package it comes from. */
export interface UndeclaredImport {
  /** The workspace folder, relative to the repository root (`tasks/ingest`). */
  readonly workspace: string;
  /** The importing file, relative to the repository root. */
  readonly file: string;
  /** The package the import names (`picomatch`, `@aws-sdk/client-s3`). */
  readonly packageName: string;
  /** Where the package must be declared for the import to resolve in a pruned image. */
  readonly needs: 'dependencies' | 'devDependencies';
}

const BUILTINS = new Set(builtinModules);
const TEST_FILE = /\.(test|test-util)\.ts$/;

/** The package a bare module specifier names (`@scope/pkg/sub` -> `@scope/pkg`), or undefined for relative paths and Node built-ins. */
export function packageOfSpecifier(specifier: string): string | undefined {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return undefined;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return BUILTINS.has(name) ? undefined : name;
}

/** Every module specifier a TypeScript source imports, requires or re-exports (type-only imports included). */
export function importedSpecifiers(source: string): string[] {
  return ts.preProcessFile(source, true, true).importedFiles.map((f) => f.fileName);
}

function tsFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const full = path.join(dir, e.name);
    if (e.isDirectory()) return e.name === 'node_modules' || e.name === 'dist' ? [] : tsFiles(full);
    return e.name.endsWith('.ts') && !e.name.endsWith('.d.ts') ? [full] : [];
  });
}

function keysOf(manifest: Record<string, unknown>, ...fields: string[]): Set<string> {
  return new Set(fields.flatMap((f) => Object.keys((manifest[f] as Record<string, string> | undefined) ?? {})));
}

/**
 * Checks that each workspace under `root` (the folders `workspaces` in root's package.json globs as
 * `dir/*`) declares every package its `src` imports: production files need it in the workspace's
 * dependencies (what `npm prune --omit=dev` keeps for the images); test files may also use the root's
 * or the workspace's devDependencies. A package resolving from the root node_modules only because
 * another workspace or a dev tool pulled it in is what this catches.
 */
export function findUndeclaredImports(root: string): UndeclaredImport[] {
  const rootManifest = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as Record<string, unknown>;
  const rootDev = keysOf(rootManifest, 'devDependencies', 'dependencies');
  const found: UndeclaredImport[] = [];
  for (const pattern of rootManifest.workspaces as string[]) {
    const parent = path.join(root, pattern.replace(/\/\*$/, ''));
    for (const entry of readdirSync(parent, { withFileTypes: true })) {
      const dir = path.join(parent, entry.name);
      if (!entry.isDirectory()) continue;
      let manifest: Record<string, unknown>;
      try {
        manifest = JSON.parse(readFileSync(path.join(dir, 'package.json'), 'utf8')) as Record<string, unknown>;
      } catch {
        continue;
      }
      const prod = keysOf(manifest, 'dependencies', 'peerDependencies', 'optionalDependencies');
      prod.add(manifest.name as string);
      const dev = new Set([...prod, ...keysOf(manifest, 'devDependencies'), ...rootDev]);
      const src = path.join(dir, 'src');
      let files: string[];
      try {
        files = tsFiles(src);
      } catch {
        continue;
      }
      for (const file of files) {
        const isTest = TEST_FILE.test(file);
        for (const specifier of importedSpecifiers(readFileSync(file, 'utf8'))) {
          const packageName = packageOfSpecifier(specifier);
          if (packageName === undefined || (isTest ? dev : prod).has(packageName)) continue;
          found.push({
            workspace: path.relative(root, dir),
            file: path.relative(root, file),
            packageName,
            needs: isTest ? 'devDependencies' : 'dependencies',
          });
        }
      }
    }
  }
  return found;
}
