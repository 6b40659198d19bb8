// `npm run build`, second step: bundles the compiled CLI and public API (dist/cli/bin.js, dist/index.js). Unbundled,
// Node.js loads ~95 ES modules one by one on every `fab`, ~30-40 ms of start-up (bench/RESULTS.md). Both entries
// share their code through chunks, so a fabfile's `import 'fabts'` and the CLI hold one `env`. The bundled files sit
// in dist/cli/, as deep as the modules they come from: paths relative to import.meta.url still hold. Code loaded on
// demand (ssh2 behind connect.ts, yargs, tsx's module hooks) stays on demand.
import { cpSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
// Chunks of an earlier build (their names are content hashes) would pile up.
for (const name of readdirSync(`${root}dist/cli`)) if (name.startsWith('chunk-') || name.startsWith('api.')) rmSync(`${root}dist/cli/${name}`);

await build({
  absWorkingDir: root,
  // Every bundled file lands in dist/cli/, one depth for all: dist/index.js becomes a re-export of dist/cli/api.js.
  entryPoints: { 'cli/bin': 'dist/cli/bin.js', 'cli/api': 'dist/index.js' },
  outdir: 'dist',
  allowOverwrite: true,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  packages: 'external',
  chunkNames: 'cli/chunk-[hash]',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [keepOwnFile('report/events.js')],
});
writeFileSync(`${root}dist/index.js`, "// The public API, bundled (scripts/bundle.mjs).\nexport * from './cli/api.js';\n");
rmSync(`${root}dist/index.js.map`, { force: true });
// The web page's stylesheet and icons, served by `fab serve` from dist/ as they are (its scripts are tsc's output).
cpSync(`${root}src/serve/page/assets`, `${root}dist/serve/page/assets`, { recursive: true });

/**
 * Leaves one compiled module out of the bundle, imported from its own file: the event bus, so that code which loads
 * dist/report/events.js itself (tests that emit events into a running fab) holds the CLI's very bus.
 */
function keepOwnFile(relativePath) {
  const target = `${root}dist/${relativePath}`;
  return {
    name: 'keep-own-file',
    setup(build) {
      build.onResolve({ filter: /\.js$/ }, (args) => {
        if (args.kind === 'entry-point' || !args.resolveDir) return undefined;
        const resolved = new URL(args.path, `file://${args.resolveDir}/`).pathname;
        // The chunks land in dist/cli/: the path from there.
        return resolved === target ? { path: `../${relativePath}`, external: true } : undefined;
      });
    },
  };
}
