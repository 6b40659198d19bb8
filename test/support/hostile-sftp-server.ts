// A hostile SSH/SFTP server for the tests, built on ssh2's server side, run as its own process (so the client's
// heap can be measured alone). It accepts any login and prints `{"port":N,"hostKey":"ssh-ed25519 AAAA..."}` once
// listening. Modes (argv[2]):
//   names '<json list>'   /srv/d lists those names (as regular files); every path outside /, /srv and /srv/d
//                         is a 6-byte file holding "pwned\n" (so ../../x stats and reads as a file)
//   mute-init             accepts the sftp subsystem and never answers INIT
//   mute-after-init       answers INIT, then never answers a request
//   huge <count>          /srv/huge lists <count> files, 1000 per READDIR answer
//   no-sftp-mute-exec     refuses the sftp subsystem (fabts then works over exec channels) and never answers an exec
import ssh2 from 'ssh2';
import { posix } from 'node:path';

const { Server, utils } = ssh2;
const { STATUS_CODE } = utils.sftp;
const [mode = 'names', arg = '[]'] = process.argv.slice(2);

// ssh2 1.17's generateKeyPairSync drops a leading zero byte of an ed25519 public key (about 1 key in 300 here), and its
// own parser then refuses the key ("Malformed OpenSSH private key"): such a key is drawn again.
let keys = utils.generateKeyPairSync('ed25519');
let parsed = utils.parseKey(keys.private);
for (let tries = 1; parsed instanceof Error && tries < 20; tries++) {
  keys = utils.generateKeyPairSync('ed25519');
  parsed = utils.parseKey(keys.private);
}
if (parsed instanceof Error) throw parsed;
const hostKey = (Array.isArray(parsed) ? parsed[0]! : parsed).getPublicSSH().toString('base64');

const now = Math.floor(Date.now() / 1000);
const DIR = { mode: 0o40755, uid: 0, gid: 0, size: 4096, atime: now, mtime: now };
const FILE = { mode: 0o100644, uid: 0, gid: 0, size: 6, atime: now, mtime: now };
const CONTENT = Buffer.from('pwned\n');
const dirs = new Set(['/', '/srv', '/srv/d', '/srv/huge', '/home/x']);
const names: string[] = mode === 'names' ? (JSON.parse(arg) as string[]) : [];
const huge = mode === 'huge' ? Number(arg) : 0;


function serveFiles(sftp: any): void {
  const listed = new Map<string, number>(); // dir handle -> next entry index
  let handles = 0;
  const openDirs = new Map<string, string>();
  const resolve = (path: string) => posix.normalize(path.startsWith('/') ? path : posix.join('/home/x', path));
  sftp.on('REALPATH', (id: number, path: string) => sftp.name(id, [{ filename: resolve(path), longname: '', attrs: {} }]));
  const stat = (id: number, raw: string) => {
    const path = resolve(raw);
    if (dirs.has(path)) return sftp.attrs(id, DIR);
    // In /srv/d only what it lists exists; elsewhere anything is a file (so ../../x is one).
    if (path.startsWith('/srv/d/') && !names.includes(path.slice('/srv/d/'.length))) return sftp.status(id, STATUS_CODE.NO_SUCH_FILE);
    sftp.attrs(id, FILE);
  };
  sftp.on('STAT', stat);
  sftp.on('LSTAT', stat);
  sftp.on('OPENDIR', (id: number, path: string) => {
    const handle = `d${++handles}`;
    openDirs.set(handle, resolve(path));
    listed.set(handle, 0);
    sftp.handle(id, Buffer.from(handle));
  });
  sftp.on('READDIR', (id: number, raw: Buffer) => {
    const handle = raw.toString();
    const dir = openDirs.get(handle);
    const next = listed.get(handle) ?? 0;
    if (dir === '/srv/huge') {
      if (next >= huge) return sftp.status(id, STATUS_CODE.EOF);
      const batch = [];
      for (let i = next; i < Math.min(huge, next + 1000); i++) {
        const filename = `file-${String(i).padStart(8, '0')}`;
        batch.push({ filename, longname: `-rw-r--r--    1 root     root            6 Jan  1 00:00 ${filename}`, attrs: FILE });
      }
      listed.set(handle, next + batch.length);
      return sftp.name(id, batch);
    }
    if (dir !== '/srv/d' || next > 0) return sftp.status(id, STATUS_CODE.EOF);
    listed.set(handle, 1);
    sftp.name(id, names.map((filename) => ({ filename, longname: `-rw-r--r-- 1 root root 6 Jan 1 00:00 ${filename}`, attrs: FILE })));
  });
  sftp.on('OPEN', (id: number) => sftp.handle(id, Buffer.from(`f${++handles}`)));
  sftp.on('FSTAT', (id: number) => sftp.attrs(id, FILE));
  sftp.on('READ', (id: number, _handle: Buffer, offset: number) => {
    if (offset >= CONTENT.length) return sftp.status(id, STATUS_CODE.EOF);
    sftp.data(id, CONTENT.subarray(offset));
  });
  sftp.on('CLOSE', (id: number) => sftp.status(id, STATUS_CODE.OK));
  for (const op of ['MKDIR', 'SETSTAT', 'FSETSTAT', 'REMOVE', 'RMDIR', 'RENAME', 'WRITE', 'EXTENDED']) {
    sftp.on(op, (id: number) => sftp.status(id, STATUS_CODE.OP_UNSUPPORTED));
  }
}

const server = new Server({ hostKeys: [keys.private] }, (client) => {
  client.on('authentication', (ctx) => ctx.accept());
  client.on('error', () => {});
  client.on('ready', () => {
    client.on('session', (accept) => {
      const session = accept();
      if (mode === 'no-sftp-mute-exec') {
        session.on('sftp', (_accept, reject) => reject());
        // The command is accepted and then nothing: no output, no exit status, the channel kept open.
        session.on('exec', (acceptExec) => acceptExec());
        return;
      }
      if (mode === 'mute-init') {
        // A raw channel for the sftp subsystem: INIT arrives and nothing ever answers it.
        session.on('subsystem', (acceptSubsystem) => acceptSubsystem());
        return;
      }
      session.on('sftp', (acceptSftp) => {
        const sftp = acceptSftp();
        if (mode !== 'mute-after-init') return serveFiles(sftp);
        // Listeners that never answer (without one, ssh2 answers OP_UNSUPPORTED itself).
        for (const op of ['OPEN', 'READ', 'FSTAT', 'CLOSE', 'OPENDIR', 'READDIR', 'STAT', 'LSTAT', 'REALPATH', 'EXTENDED']) sftp.on(op, () => {});
      });
    });
  });
});
server.listen(0, '127.0.0.1', () => {
  const address = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ port: address.port, hostKey: `ssh-ed25519 ${hostKey}` })}\n`);
});
process.on('SIGTERM', () => process.exit(0));
