// docs/library.md's examples are programs: each `js` block runs as a plain .mjs script against the test bed
// (web1 and web2 behind the bastion, named by ~/.ssh/config), and must end cleanly, its connections closed.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { loadTestbed } from '../hosts/testbed.ts';
import { libraryProject, runScript } from '../support/library.ts';

const jsBlocks = (text: string) => [...text.matchAll(/^```js\n([\s\S]*?)^```$/gm)].map((match) => match[1]!);
const read = (file: string) => fs.readFileSync(fileURLToPath(new URL(`../../${file}`, import.meta.url)), 'utf8');
const readme = read('README.md');
const librarySection = readme.slice(readme.indexOf('## Use it as a library'), readme.indexOf('## The fab command'));
// The README's example puts app.conf from the current directory.
const blocks = [...jsBlocks(read('docs/library.md')), ...jsBlocks(librarySection).map((code) => `import { writeFileSync } from 'node:fs';\nwriteFileSync('app.conf', 'key = value\\n');\n${code}`)];

describe("docs/library.md's and the README's library examples run", () => {
  it('has examples', () => assert.ok(blocks.length >= 6, `${blocks.length} js blocks`));
  blocks.forEach((code, index) => {
    const title = code.split('\n').find((line) => line.includes('await '))?.trim() ?? `block ${index + 1}`;
    it(`example ${index + 1}: ${title}`, async () => {
      const tb = loadTestbed();
      const dir = libraryProject(tb, { 'example.mjs': code });
      const run = await runScript(tb, dir, 'example.mjs');
      assert.equal(run.code, 0, run.stderr + run.stdout);
      assert.notEqual(run.stdout, '', 'every example prints what it did');
    });
  });
});
