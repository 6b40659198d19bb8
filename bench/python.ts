// Python Fabric 2 from Debian (python3-fabric): installed when missing. Without it the bench still runs,
// with the Python column empty. Debian's package gives the module only: `/usr/bin/python3 -m fabric` is its `fab`.
import { spawnSync } from 'node:child_process';
import { aptInstall } from './apt.ts';
import { PYTHON } from './fixtures.ts';

export interface PythonFabric {
  available: boolean;
  /** "Fabric 2.6.0, paramiko 2.12.0", or why it is missing. */
  description: string;
}

function probe(): PythonFabric | undefined {
  const out = spawnSync(PYTHON, ['-c', 'import fabric, paramiko; print(fabric.__version__, paramiko.__version__)'], { encoding: 'utf8' });
  if (out.status !== 0) return undefined;
  const [fabric, paramiko] = out.stdout.trim().split(' ');
  return { available: true, description: `Fabric ${fabric}, paramiko ${paramiko} (${PYTHON})` };
}

export function ensurePythonFabric(log: (line: string) => void): PythonFabric {
  const found = probe();
  if (found) return found;
  const failure = aptInstall('python3-fabric', log);
  return probe() ?? { available: false, description: `not available (apt-get install -y python3-fabric: ${failure || 'installed, but fabric does not import'})` };
}
