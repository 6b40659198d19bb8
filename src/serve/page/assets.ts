// The page's static files: the stylesheet and the ES modules tsc compiled from client/ and model/. Served from a fixed
// list (a request names a file of this list or gets 404: no path from a URL ever reaches the file system).
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ASSETS: Record<string, { file: string; type: string }> = {
  'page.css': { file: 'assets/page.css', type: 'text/css; charset=utf-8' },
  'client/run.js': { file: 'client/run.js', type: 'text/javascript; charset=utf-8' },
  'client/log.js': { file: 'client/log.js', type: 'text/javascript; charset=utf-8' },
  'client/dom.js': { file: 'client/dom.js', type: 'text/javascript; charset=utf-8' },
  'model/lanes.js': { file: 'model/lanes.js', type: 'text/javascript; charset=utf-8' },
  'model/lane-output.js': { file: 'model/lane-output.js', type: 'text/javascript; charset=utf-8' },
  'model/run-view.js': { file: 'model/run-view.js', type: 'text/javascript; charset=utf-8' },
  'model/vnode.js': { file: 'model/vnode.js', type: 'text/javascript; charset=utf-8' },
};

/**
 * dist/serve/page/, wherever this module runs from: bundled into dist/cli/ (one level down, like src/serve/), as
 * tsc's own dist/serve/page/ file, or from the source tree (the built files of the same checkout).
 */
export function assetsRoot(): string | undefined {
  for (const relative of ['../serve/page/', './', '../../../dist/serve/page/']) {
    const dir = fileURLToPath(new URL(relative, import.meta.url));
    if (existsSync(`${dir}client/run.js`) && existsSync(`${dir}assets/page.css`)) return dir;
  }
  return undefined;
}

/** The files, read once: they are small and the server serves them many times. */
export function loadAssets(root = assetsRoot()): Map<string, { body: Buffer; type: string }> {
  const loaded = new Map<string, { body: Buffer; type: string }>();
  if (!root) return loaded;
  for (const [name, asset] of Object.entries(ASSETS)) loaded.set(name, { body: readFileSync(`${root}${asset.file}`), type: asset.type });
  return loaded;
}
