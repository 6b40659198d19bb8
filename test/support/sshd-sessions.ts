// Finding the sshd processes that serve one particular connection, so a test can kill or freeze exactly those
// and never a test bed daemon (other runs use them). Everything is found from /proc, by ancestry and by the TCP
// connection itself, never by a name pattern.
import fs from 'node:fs';
import { descendants, readProc, snapshot, type ProcInfo } from '../hosts/procs.ts';
import type { Testbed } from '../hosts/testbed.ts';

/** The two sshd processes of one SSH connection: the privileged monitor and the session child that talks to the client. */
export interface SshdConnection {
  monitor: number;
  session: number;
}

/**
 * The sshd processes serving the connection a remote command runs on, from that command's parent pid
 * (`echo $PPID` in `sh -c`: the `sshd: user@notty` process; its parent is the `[priv]` monitor).
 */
export function sshdOfCommand(parentPid: number): SshdConnection {
  const session = readProc(parentPid);
  const monitor = session && readProc(session.ppid);
  if (session?.comm !== 'sshd' || monitor?.comm !== 'sshd') throw new Error(`process ${parentPid} is not a per-connection sshd`);
  return { monitor: monitor.pid, session: session.pid };
}

/** Sends a signal, ignoring processes that are gone already. */
export function signalAll(pids: number[], signal: NodeJS.Signals): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      /* gone */
    }
  }
}

/** TCP connections of this network namespace by socket inode: local and remote port. */
function tcpSockets(): Map<string, { local: number; remote: number }> {
  const sockets = new Map<string, { local: number; remote: number }>();
  for (const file of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = fs.readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const fields = line.trim().split(/\s+/);
      if (fields.length < 10) continue;
      const port = (address: string) => parseInt(address.split(':')[1]!, 16);
      sockets.set(fields[9]!, { local: port(fields[1]!), remote: port(fields[2]!) });
    }
  }
  return sockets;
}

/** Inodes of the sockets a process holds open. */
function socketInodes(pid: number): string[] {
  const inodes: string[] = [];
  let fds: string[] = [];
  try {
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return inodes;
  }
  for (const fd of fds) {
    try {
      const match = /^socket:\[(\d+)\]$/.exec(fs.readlinkSync(`/proc/${pid}/fd/${fd}`));
      if (match) inodes.push(match[1]!);
    } catch {
      /* closed meanwhile */
    }
  }
  return inodes;
}

/**
 * The sshd processes serving `clientPid`'s connection to a test bed host reachable from here: `direct` (sshd -D
 * forks a monitor per connection, holding its socket) or `bastion` (its socat listener forks a relay per TCP
 * connection, holding the server end of it, which runs `sshd -i`). The child whose socket's peer port is the
 * client's own local port is ours.
 */
export function sshdServing(tb: Testbed, host: 'direct' | 'bastion', clientPid: number): SshdConnection {
  const sockets = tcpSockets();
  const serverPort = tb.hosts[host].port;
  const clientPorts = new Set(
    socketInodes(clientPid)
      .map((inode) => sockets.get(inode))
      .filter((socket) => socket?.remote === serverPort)
      .map((socket) => socket!.local),
  );
  if (clientPorts.size === 0) throw new Error(`process ${clientPid} has no connection to ${host}`);
  const daemon = tb.pids[host];
  const procs = snapshot();
  const ours = descendants(daemon, procs).filter((child) => child.ppid === daemon && socketInodes(child.pid).some((inode) => {
    const socket = sockets.get(inode);
    return socket?.local === serverPort && clientPorts.has(socket.remote);
  }));
  if (ours.length !== 1) throw new Error(`found ${ours.length} ${host} processes serving process ${clientPid}`);
  const sshds = [ours[0]!, ...descendants(ours[0]!.pid, procs)].filter((p: ProcInfo) => p.comm === 'sshd');
  const monitor = sshds[0]; // parents come before children: the first sshd is the connection's monitor
  const session = sshds.find((p) => p.ppid === monitor?.pid);
  if (!monitor || !session) throw new Error(`the ${host} connection of process ${clientPid} has no sshd session (yet)`);
  return { monitor: monitor.pid, session: session.pid };
}

/** The bastion's per-connection sshd serving `clientPid`'s connection (see sshdServing). */
export function bastionSshdOf(tb: Testbed, clientPid: number): SshdConnection {
  return sshdServing(tb, 'bastion', clientPid);
}
