import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { ASSETS } from '../../../../src/serve/page/assets.ts';

const PAGE = fileURLToPath(new URL('../../../../src/serve/page/', import.meta.url));

/** Every module the browser loads from the page's scripts, following their (non-type) imports. */
function reachable(entry: string, seen = new Set<string>()): Set<string> {
  if (seen.has(entry)) return seen;
  seen.add(entry);
  const source = fs.readFileSync(path.join(PAGE, entry), 'utf8');
  for (const [, spec] of source.matchAll(/^import (?!type )[^;]*? from '(\.[^']+)';/gm)) reachable(path.posix.normalize(path.posix.join(path.posix.dirname(entry), spec!)), seen);
  return seen;
}

describe('the page\'s asset list', () => {
  it('serves every module the browser\'s scripts import (a missing one would break the page, not a test)', () => {
    const needed = [...reachable('client/run.ts'), ...reachable('client/log.ts')].map((file) => file.replace(/\.ts$/, '.js'));
    for (const file of needed) assert.ok(ASSETS[file], `${file} is imported by the page's scripts but not in ASSETS`);
    assert.ok(needed.includes('model/lane-output.js'));
  });
});
