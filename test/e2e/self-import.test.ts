// `import ... from 'fabts'` in a fabfile is the running fab itself, whatever the project looks like: no node_modules,
// a .ts file compiled to CommonJS or to ESM, a .mjs file. One env: what fab's flags set is what the fabfile reads.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fab, makeProject } from '../support/fab.ts';

const TASK = `
export function which() {
  console.log('SSH_CONFIG=' + env.sshConfigPath + ' HOSTS=' + env.hosts.join(';') + ' SAME=' + (typeof api.run === 'function' && api.env === env));
}
`;

const layouts: Record<string, Record<string, string>> = {
  'fabfile.ts, no package.json (compiled to CommonJS)': {
    'fabfile.ts': `import { env } from 'fabts';\nimport * as api from 'fabts';\n${TASK}`,
  },
  'fabfile.ts in a "type": "module" package': {
    'package.json': '{ "type": "module" }',
    'fabfile.ts': `import { env } from 'fabts';\nimport * as api from 'fabts';\n${TASK}`,
  },
  'fabfile.mjs': {
    'fabfile.mjs': `import { env } from 'fabts';\nimport * as api from 'fabts';\n${TASK}`,
  },
  'fabfile.js with require() in a CommonJS package': {
    'package.json': '{ "type": "commonjs" }',
    'fabfile.js': `const api = require('fabts');\nconst { env } = api;\nexports.which = function which() {\n  console.log('SSH_CONFIG=' + env.sshConfigPath + ' HOSTS=' + env.hosts.join(';') + ' SAME=' + (typeof api.run === 'function' && api.env === env));\n};\n`,
  },
};

describe("a fabfile's 'fabts' is the running fab (one env)", () => {
  for (const [layout, files] of Object.entries(layouts)) {
    it(layout, async () => {
      const dir = makeProject(files);
      const out = await fab(['-F', '/etc/fabts-test-config', '--set', 'hosts=a;b', 'which'], { cwd: dir });
      assert.equal(out.code, 0, out.stderr);
      assert.match(out.stdout, /SSH_CONFIG=\/etc\/fabts-test-config HOSTS=a;b SAME=true/);
    });
  }
});
