import { FabError } from '../../errors.ts';
import { connectionFor } from '../../ssh/pool.ts';
import { ptyOptions, requireHost } from '../command/remote.ts';
import { remoteLine } from '../command/run.ts';
import { joinTerminal } from './shell-session.ts';
import { terminalUnavailable, withTerminal } from './terminal.ts';

/**
 * Opens an interactive shell on the current host, on a pty sized to the local terminal, and returns
 * when it ends with its exit status. With a command, runs that command interactively instead (like
 * `ssh -t host command`, inside the current cd/prefix scope). Parallel hosts take turns at the terminal.
 * Needs a terminal: fails at once (PROMPT) without one or with --abort-on-prompts.
 */
export async function openShell(command?: string): Promise<number> {
  const host = requireHost('openShell');
  const reason = terminalUnavailable();
  if (reason) {
    throw new FabError('PROMPT', `openShell on ${host.text} needs a terminal but ${reason}; run fab at a terminal, or use run() for commands`, { host: host.text });
  }
  return withTerminal(
    host.text,
    async (terminal) => {
      const connection = await connectionFor(host.text);
      const pty = ptyOptions();
      const channel = command === undefined ? await connection.shell(pty) : await connection.exec(remoteLine(command, {}), { pty });
      const lost = () =>
        connection.alive ? undefined : new FabError('CONNECTION_LOST', `${host.text}: the connection was lost during the interactive shell`, { host: host.text });
      return joinTerminal(channel, terminal, lost);
    },
    { shell: true },
  );
}
