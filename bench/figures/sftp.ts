// SFTP: a 512 MiB file put and get, and a directory of 2,000 small files put, on the test bed's `direct` sshd.
// fabts: `fab upload`/`download` tasks (put()/get()); OpenSSH: `sftp -b` with the same cipher as ssh2's first choice;
// Python Fabric: Connection.put/get (paramiko's SFTP client). The harness times each whole process, connection included.
import { spawnSync } from 'node:child_process';
import { randomFillSync } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { ansible, parallelScp, type Target } from '../anchor-runs.ts';
import { anchorCells, compare, cpu, runs, wall, type AnchorSamples, type BenchContext, type FigureResult } from '../context.ts';
import { fab, python, TASKS_FABFILE, type Fixtures } from '../fixtures.ts';
import { benchJson, interleave, measure, type Sample } from '../harness.ts';
import type { Row } from '../report.ts';

const SIZE_MIB = 512;
/** ssh2's first choice (with its native binding): OpenSSH's sftp is told to use it too. */
const CIPHER = 'aes128-gcm@openssh.com';
const TREE = { dirs: 20, filesPerDir: 100 };
/** Runs of fabts and sftp per figure; Python's 512 MiB put is slow (paramiko), so it runs fewer. */
const ROUNDS = 3;
const PYTHON_ROUNDS = { put: 1, get: 2, tree: 1 };
/** Ansible's copy (checksums on both sides, then a Python module moves the file into place) is slow too. */
const ANCHOR_ROUNDS = 1;

interface Setup {
  bigLocal: string;
  bigRemote: string;
  tree: string;
  treeBytes: number;
  remoteDir: string;
}

function chownTree(target: string, uid: number): void {
  fs.chownSync(target, uid, uid);
  if (fs.statSync(target).isDirectory()) for (const name of fs.readdirSync(target)) chownTree(path.join(target, name), uid);
}

/** A 512 MiB file of random bytes (nothing for compression to gain), the same file on the host, and the small-file tree. */
function setUp(fx: Fixtures): Setup {
  const bigLocal = path.join(fx.dir, 'big.bin');
  const block = Buffer.allocUnsafe(16 * 1024 * 1024);
  const fd = fs.openSync(bigLocal, 'w');
  for (let written = 0; written < SIZE_MIB * 1024 * 1024; written += block.length) fs.writeSync(fd, randomFillSync(block));
  fs.closeSync(fd);
  // The test bed's hosts are this machine: the remote side is a directory of the test user's.
  const remoteDir = fs.mkdtempSync(path.join(fx.tb.remoteDir, 'sftp-'));
  const bigRemote = path.join(remoteDir, 'big.bin');
  fs.copyFileSync(bigLocal, bigRemote);
  const tree = path.join(fx.dir, 'tree');
  let treeBytes = 0;
  for (let d = 0; d < TREE.dirs; d++) {
    const dir = path.join(tree, `d${d}`);
    fs.mkdirSync(dir, { recursive: true });
    for (let f = 0; f < TREE.filesPerDir; f++) {
      const size = 256 + (((d * TREE.filesPerDir + f) * 2654435761) % 8192); // 256 B ... 8.2 KiB
      fs.writeFileSync(path.join(dir, `f${f}.txt`), randomFillSync(Buffer.allocUnsafe(size)));
      treeBytes += size;
    }
  }
  chownTree(remoteDir, fx.tb.uid);
  return { bigLocal, bigRemote, tree, treeBytes, remoteDir };
}

/** Runs a transfer, then removes what it wrote (not timed) so every run starts alike. */
async function thenRemove(written: string, run: () => Promise<Sample>): Promise<Sample> {
  try {
    return await run();
  } finally {
    fs.rmSync(written, { recursive: true, force: true });
  }
}

/** The algorithms a tool negotiated, from a run outside the figures. */
function negotiated(fx: Fixtures, batch: string): { fabts: string; openssh: string } {
  const config = fx.tb.sshConfigPath;
  const [node, ...args] = fab('-F', config, '-H', 'direct', '--show', 'debug', '--', 'true');
  const fabRun = spawnSync(node!, args, { cwd: fx.dir, env: fx.env, encoding: 'utf8' });
  const fabts = /negotiated (kex [^\n]*)/.exec(fabRun.stdout + fabRun.stderr)?.[1] ?? '?';
  const sftpRun = spawnSync('sftp', ['-v', '-F', config, '-c', CIPHER, '-b', batch, 'direct'], { cwd: fx.dir, env: fx.env, encoding: 'utf8' });
  const text = sftpRun.stderr;
  const kex = /kex: algorithm: (\S+)/.exec(text)?.[1] ?? '?';
  const cipher = /kex: client->server cipher: (\S+) MAC: (\S+)/.exec(text);
  return { fabts, openssh: `kex ${kex}, cipher ${cipher?.[1] ?? '?'}, mac ${cipher?.[2] ?? '?'}` };
}

export async function sftp(ctx: BenchContext): Promise<FigureResult> {
  const { fx } = ctx;
  const config = fx.tb.sshConfigPath;
  const env = fx.env;
  ctx.log(`  making a ${SIZE_MIB} MiB file and a tree of ${TREE.dirs * TREE.filesPerDir} files`);
  const setup = setUp(fx);
  let serial = 0;
  const unique = (name: string) => `${name}-${++serial}`;
  const batchFile = (lines: string[]) => {
    const file = path.join(fx.dir, `${unique('batch')}.txt`);
    fs.writeFileSync(file, `${lines.join('\n')}\n`);
    return file;
  };
  const sftpCommand = (batch: string) => ['sftp', '-F', config, '-c', CIPHER, '-b', batch, 'direct'];
  const pythonTransfer = (mode: string, src: string, dst: string) => python('transfer.py', config, 'direct', mode, src, dst);
  const timeout = 300_000;

  try {
    const algorithms = negotiated(fx, batchFile(['pwd']));
    const pythonAlgorithms: string[] = [];
    const pythonRun = async (argv: string[], written: string) => {
      const sample = await thenRemove(written, () => measure({ argv, cwd: fx.dir, env, timeoutMs: timeout }));
      const found = benchJson<{ kex: string; cipher: string; mac: string }>(sample.stdout);
      pythonAlgorithms.push(`kex ${found.kex}, cipher ${found.cipher}, mac ${found.mac}`);
      return sample;
    };

    /**
     * One figure: each tool moves the same thing to a fresh destination (`where(tool)`), removed after each run.
     * `fabTask`, `sftpLine` and `pythonArgs` say what each tool runs for that destination.
     */
    const compareTools = (
      where: (tool: string) => string,
      fabTask: (to: string) => string,
      sftpLine: (to: string) => string,
      pythonArgs: (to: string) => [mode: string, src: string, dst: string],
      pythonRounds: number,
      anchorRuns: { ansible?: (to: string) => Promise<Sample>; pssh?: (to: string) => Promise<Sample> } = {},
    ) => {
      const run = (tool: string, argv: (to: string) => string[]) => () => {
        const to = where(tool);
        return thenRemove(to, () => measure({ argv: argv(to), cwd: fx.dir, env, timeoutMs: timeout }));
      };
      return interleave(
        {
          fabts: run('fabts', (to) => fab('-F', config, '-f', TASKS_FABFILE, '-H', 'direct', fabTask(to))),
          openssh: run('sftp', (to) => sftpCommand(batchFile([sftpLine(to)]))),
          python: ctx.python
            ? () => {
                const to = where('python');
                return pythonRun(pythonTransfer(...pythonArgs(to)), to);
              }
            : undefined,
          ...Object.fromEntries(
            Object.entries(anchorRuns).map(([name, go]) => [
              name,
              () => {
                const to = where(name);
                return thenRemove(to, () => go(to));
              },
            ]),
          ),
        } as Record<'fabts' | 'openssh' | 'python' | 'ansible' | 'pssh', (() => Promise<Sample>) | undefined>,
        runs(ctx, ROUNDS),
        { runsOf: { python: runs(ctx, pythonRounds), ansible: runs(ctx, ANCHOR_ROUNDS), pssh: runs(ctx, ANCHOR_ROUNDS) } },
      );
    };
    const remotePath = (name: string) => (tool: string) => path.join(setup.remoteDir, unique(`${name}-${tool}`));

    ctx.log(`  ${SIZE_MIB} MiB put`);
    const direct: Target = { config, hosts: ['direct'], port: fx.tb.hosts.direct.port };
    const { anchors } = ctx;
    const puts = await compareTools(
      remotePath('put'),
      (to) => `upload:local=${setup.bigLocal},remote=${to}`,
      (to) => `put ${setup.bigLocal} ${to}`,
      (to) => ['put', setup.bigLocal, to],
      PYTHON_ROUNDS.put,
      {
        ...(anchors.ansible.available ? { ansible: (to: string) => ansible(fx, anchors, direct, 'copy', `src=${setup.bigLocal} dest=${to}`, timeout) } : {}),
        ...(anchors.pssh.available ? { pssh: (to: string) => parallelScp(fx, anchors, direct, setup.bigLocal, to, timeout) } : {}),
      },
    );
    ctx.log(`  ${SIZE_MIB} MiB get`);
    const gets = await compareTools(
      (tool) => path.join(fx.dir, unique(`get-${tool}`)),
      (to) => `download:remote=${setup.bigRemote},local=${to}`,
      (to) => `get ${setup.bigRemote} ${to}`,
      (to) => ['get', setup.bigRemote, to],
      PYTHON_ROUNDS.get,
    );
    const files = TREE.dirs * TREE.filesPerDir;
    ctx.log(`  directory of ${files} files`);
    const trees = await compareTools(
      remotePath('tree'),
      (to) => `upload:local=${setup.tree},remote=${to}`,
      (to) => `put -r ${setup.tree} ${to}`,
      (to) => ['putdir', setup.tree, to],
      PYTHON_ROUNDS.tree,
    );

    const mibPerS = (sample: Sample) => SIZE_MIB / (sample.wallMs / 1000);
    const section = `SFTP (OpenSSH = sftp -c ${CIPHER}; Python = Fabric's Connection.put/get)`;
    const put = compare(puts, mibPerS);
    const putAnchors = (metric: (sample: Sample) => number) => anchorCells(ctx, puts.fabts, puts as AnchorSamples, metric, { pyinfra: 'fan-out only' });
    const get = compare(gets, mibPerS);
    const tree = compare(trees, wall);
    const rows: Row[] = [
      { section, figure: `${SIZE_MIB} MiB put: throughput`, unit: 'MiB/s', ...put, anchors: putAnchors(mibPerS), target: '>= 1.0x OpenSSH, >= 10x Python put', met: put.ratioOpenssh! >= 1.0 && (put.ratioPython ?? Infinity) >= 10 },
      { section, figure: `${SIZE_MIB} MiB put: client CPU`, unit: 'ms', ...compare(puts, cpu), anchors: putAnchors(cpu) },
      { section, figure: `${SIZE_MIB} MiB get: throughput`, unit: 'MiB/s', ...get, target: '>= 1.0x OpenSSH', met: get.ratioOpenssh! >= 1.0 },
      { section, figure: `${SIZE_MIB} MiB get: client CPU`, unit: 'ms', ...compare(gets, cpu) },
      { section, figure: `directory of ${files} small files, put: wall`, note: 'OpenSSH = sftp put -r; Python = a put per file', unit: 'ms', ...tree, target: '<= 1.0x sftp -r', met: tree.ratioOpenssh! <= 1.0 },
      { section, figure: `directory of ${files} small files, put: client CPU`, unit: 'ms', ...compare(trees, cpu) },
    ];
    const pythonRuns = (list: Sample[] | undefined) => list?.length ?? 0;
    return {
      rows,
      notes: [
        `SFTP: throughput is ${SIZE_MIB} MiB ÷ the whole process's wall time (start-up, connection and the atomic rename included; ` +
          'higher is better, and the ratio is fabts ÷ the other tool of throughput, so >= 1.0x is the goal). ' +
          `Runs: ${puts.fabts.length} fabts and sftp each way, Python ${pythonRuns(puts.python)} put, ${pythonRuns(gets.python)} get, ` +
          `${pythonRuns(trees.python)} directory (paramiko is slow; its ratios pair its runs with the first rounds). Random bytes; ` +
          `the tree is ${TREE.dirs} directories × ${TREE.filesPerDir} files of 256 B to 8.2 KiB (${(setup.treeBytes / 1024 / 1024).toFixed(1)} MiB).`,
        `SFTP algorithms: fabts (ssh2) ${algorithms.fabts}; OpenSSH sftp ${algorithms.openssh}; ` +
          `Python (paramiko) ${pythonAlgorithms[0] ?? '–'} (paramiko 2.12 has no AES-GCM).`,
        'SFTP client CPU: fab\'s includes Node.js start-up and its modules (~0.15 s of the 512 MiB figures); the rest is ssh2\'s ' +
          'JavaScript per SSH packet (32 KiB each way: the most sshd takes on a session channel, and the most ssh2 accepts) and the ' +
          'AES-GCM of its native addon. fabts\' bulk path allocates nothing per request or packet (docs/performance.md): before it, ' +
          'V8\'s collections of those buffers were most of the CPU, and put/get were 0.8x/0.6x of sftp.',
        `SFTP put, anchors: Ansible \`-m copy\` (${puts.ansible?.length ?? 0} runs; pipelining, ControlPersist; it checksums the ` +
          'file on both sides and moves it into place with a Python module on the host, and its ssh picks its own cipher) and ' +
          `\`parallel-scp\` to the one host (${puts.pssh?.length ?? 0} runs; scp over SFTP), both measured through bench/python/rusage.py.`,
        'SFTP directory: Fabric 2 has no recursive put, so its figure is what a Fabric 2 user writes: one Connection.put per file ' +
          '(and an SFTP mkdir per directory) over one connection; fabts moves 8 files at once over its one SFTP session, sftp -r one at a time.',
      ],
    };
  } finally {
    fs.rmSync(setup.remoteDir, { recursive: true, force: true });
    fs.rmSync(setup.bigLocal, { force: true });
    fs.rmSync(setup.tree, { recursive: true, force: true });
  }
}
