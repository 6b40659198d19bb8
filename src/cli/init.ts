import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../errors.ts';

/** templates/ ships beside dist/ and src/ in the package. */
export const TEMPLATES_DIR = fileURLToPath(new URL('../../templates/', import.meta.url));

/** `fab init`: writes templates/fabfile.ts into dir, refusing to overwrite unless forced. */
export function writeStarterFabfile(dir: string, force: boolean): string {
  const target = join(dir, 'fabfile.ts');
  if (existsSync(target) && !force) throw new UsageError(`${target} already exists; remove it or run "fab init --force" to overwrite it`);
  writeFileSync(target, readFileSync(join(TEMPLATES_DIR, 'fabfile.ts'), 'utf8'), { mode: 0o644 });
  return target;
}
