import type { Testbed } from './testbed.ts';

/**
 * The `fab` command lines of the demo, in order: `npm run demo` runs them for people to watch, and
 * test/e2e/example.test.ts runs them in the suite so the demo keeps working. `config` is a 0600 config file
 * holding the sudo password and `demoRoot` (secrets never go on a command line).
 */
export function demoSteps(tb: Testbed, fabfile: string, config: string): string[][] {
  const common = ['-f', fabfile, '-F', tb.sshConfigPath, '-c', config];
  return [
    [...common, '-l'],
    [...common, '-H', 'direct,web1', 'info'],
    [...common, '-H', 'web1', 'upload'],
    [...common, '-H', 'web1', 'logs'],
    [...common, 'deploy:release=demo-1'],
    [...common, '-P', '-H', 'direct,web1,web2', '--', 'uptime'],
  ];
}
