import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The running installation's declarations: dist/index.d.ts (bundled code sits in dist/cli/), or src/index.ts when
 * fab runs from its sources. A fabfile needs no node_modules to run (load.ts maps `fabts` to the running fab);
 * editors need to be told the same, which is what `fab types` writes.
 */
export function installedTypes(): string {
  const candidates = ['../index.d.ts', '../index.ts'].map((relative) => fileURLToPath(new URL(relative, import.meta.url)));
  return candidates.find((file) => existsSync(file)) ?? candidates[0]!;
}

const STARTER_TSCONFIG = (types: string) => ({
  compilerOptions: {
    target: 'ES2022',
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    // `import ... from 'fabts'` is the fab that ran `fab types`, wherever it is installed (global, npx).
    paths: { fabts: [types] },
  },
  include: ['fabfile.ts', 'fabfile.mts', 'fabfile/**/*.ts'],
});

/**
 * Points `fabts` at this installation's types in dir/tsconfig.json: a new file when there is none, the
 * `paths` entry added when there is one in plain JSON. Returns what it did, in words.
 */
export function writeEditorTypes(dir: string): string {
  const types = installedTypes();
  const file = join(dir, 'tsconfig.json');
  if (!existsSync(file)) {
    writeFileSync(file, `${JSON.stringify(STARTER_TSCONFIG(types), null, 2)}\n`, { mode: 0o644 });
    return `Wrote ${file}: editors resolve 'fabts' to ${types}`;
  }
  let config: { compilerOptions?: { paths?: Record<string, string[]> } };
  try {
    config = JSON.parse(readFileSync(file, 'utf8')) as typeof config;
  } catch {
    return `${file} is not plain JSON (comments?), so it was left as it is: add "paths": { "fabts": ["${types}"] } to its compilerOptions`;
  }
  const paths = ((config.compilerOptions ??= {}).paths ??= {});
  if (paths.fabts?.[0] === types) return `${file} already resolves 'fabts' to ${types}`;
  paths.fabts = [types];
  writeFileSync(file, `${JSON.stringify(config, null, 2)}\n`);
  return `Updated ${file}: editors resolve 'fabts' to ${types}`;
}
