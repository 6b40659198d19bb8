// Fabric's contrib.files helpers on the real test hosts, with hostile text: quotes, $(), backticks, ;, newlines,
// unicode, and / and & for sed. Every such string must arrive as data and never run.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, test } from 'node:test';
import { append, comment, contains, FabError, first, lcd, sed, settings, uncomment, uploadTemplate } from '../../src/index.ts';
import { asRoot, localScratch, modeOf, recordEvents, remoteScratch, writeAsUser } from '../support/files.ts';
import { closePoolAfter, loadTestbed, onHost, useTestbed } from '../support/remote.ts';

const tb = useTestbed({ sudoPassword: loadTestbed().password });
closePoolAfter();

/** Text that would do harm if it ever reached a shell as code: each piece leaves a trace file when run. */
function hostile(trace: string): string[] {
  return [`it's "quoted"`, `$(touch ${trace}/dollar)`, `\`touch ${trace}/backtick\``, `a; touch ${trace}/semicolon`, 'ünïcødé ✓', 'a/b & c \\1 \\n'];
}

/** A root-owned 0644 file in a root-owned directory: writable only through sudo. */
function rootFile(name: string, content: string): { dir: string; file: string } {
  const dir = `${remoteScratch(tb, name)}/root`;
  fs.mkdirSync(dir, { mode: 0o755 });
  fs.writeFileSync(`${dir}/file.conf`, content, { mode: 0o644 });
  return { dir, file: `${dir}/file.conf` };
}

for (const host of ['direct', 'web1'] as const) {
  describe(`contrib files on ${host}`, () => {
    test('append adds only the lines not there yet, as data, and running it twice changes nothing', async () => {
      const dir = remoteScratch(tb, 'append');
      writeAsUser(tb, `${dir}/f`, 'first\nno newline at end');
      const lines = hostile(dir);
      const [added, again] = await onHost(host, async () => [await append(`${dir}/f`, ['first', ...lines]), await append(`${dir}/f`, lines.join('\n'))]);
      assert.deepEqual(added, lines);
      assert.deepEqual(again, []);
      assert.equal(fs.readFileSync(`${dir}/f`, 'utf8'), `first\nno newline at end\n${lines.join('\n')}\n`);
      assert.deepEqual(fs.readdirSync(dir), ['f'], 'nothing ran: no trace files');
    });

    test('append with partial treats a line starting with the text as present; a missing file is made', async () => {
      const dir = remoteScratch(tb, 'partial');
      writeAsUser(tb, `${dir}/f`, 'PermitRootLogin no # hardened\n');
      const [partial, exact, created] = await onHost(host, async () => [
        await append(`${dir}/f`, 'PermitRootLogin no', { partial: true }),
        await append(`${dir}/f`, 'PermitRootLogin no'),
        await append(`${dir}/new`, 'hello'),
      ]);
      assert.deepEqual([partial, exact, created], [[], ['PermitRootLogin no'], ['hello']]);
      assert.equal(fs.readFileSync(`${dir}/new`, 'utf8'), 'hello\n');
    });

    test('contains looks for text literally, exactly, case-insensitively or by RegExp', async () => {
      const dir = remoteScratch(tb, 'contains');
      writeAsUser(tb, `${dir}/f`, `Listen 80\nServerName a.b.c\n${hostile(dir).join('\n')}\n`);
      const answers = await onHost(host, async () => [
        await contains(`${dir}/f`, 'Listen'),
        await contains(`${dir}/f`, 'Listen', { exact: true }),
        await contains(`${dir}/f`, 'Listen 80', { exact: true }),
        await contains(`${dir}/f`, 'listen 80', { exact: true }),
        await contains(`${dir}/f`, 'listen 80', { exact: true, caseSensitive: false }),
        await contains(`${dir}/f`, 'a.b'),
        await contains(`${dir}/f`, 'a?b'),
        await contains(`${dir}/f`, /^Server\w+ a\.b/),
        await contains(`${dir}/f`, /Listen/, { exact: true }),
        await contains(`${dir}/f`, `$(touch ${dir}/dollar)`, { exact: true }),
        await contains(`${dir}/f`, 'Listen 80\nServerName'),
        await contains(`${dir}/missing`, 'x'),
      ]);
      assert.deepEqual(answers, [true, false, true, false, true, true, false, true, false, true, true, false]);
    });

    test('sed replaces with a regex, keeps a .bak, and carries /, &, quotes, $() and newlines as data', async () => {
      const dir = remoteScratch(tb, 'sed');
      const original = 'path=/usr/local/bin\nname=old\nkeep=old\n';
      writeAsUser(tb, `${dir}/f`, original);
      await onHost(host, async () => {
        await sed(`${dir}/f`, '^path=/usr/local/bin$', 'path=/opt/app/bin');
        await sed(`${dir}/f`, 'old', `it's "new" & $(touch ${dir}/dollar) \`touch ${dir}/tick\`; /x/`, { limit: '^name=', backup: '' });
        await sed(`${dir}/f`, 'KEEP=(.*)', 'kept:\\1\nsecond line', { flags: 'i', backup: '.orig' });
      });
      assert.equal(
        fs.readFileSync(`${dir}/f`, 'utf8'),
        `path=/opt/app/bin\nname=it's "new" old $(touch ${dir}/dollar) \`touch ${dir}/tick\`; /x/\nkept:old\nsecond line\n`,
      );
      assert.equal(fs.readFileSync(`${dir}/f.bak`, 'utf8'), original, 'the first run kept a .bak of the original');
      assert.deepEqual(fs.readdirSync(dir).sort(), ['f', 'f.bak', 'f.orig'], 'no trace files: nothing ran');
    });

    test('comment and uncomment lines matching a regex', async () => {
      const dir = remoteScratch(tb, 'comment');
      writeAsUser(tb, `${dir}/f`, 'PasswordAuthentication yes\nPort 22\n  # UseDNS no\n');
      await onHost(host, async () => {
        await comment(`${dir}/f`, '^PasswordAuthentication');
        await uncomment(`${dir}/f`, 'UseDNS', { backup: '' });
        await comment(`${dir}/f`, 'Port 22$', { char: '//' });
      });
      assert.equal(fs.readFileSync(`${dir}/f`, 'utf8'), '#PasswordAuthentication yes\n//Port 22\n  UseDNS no\n');
    });

    test('first names the first path that exists', async () => {
      const dir = remoteScratch(tb, 'first');
      writeAsUser(tb, `${dir}/b`, '');
      const [found, none] = await onHost(host, async () => [await first(`${dir}/a`, `${dir}/b`, `${dir}/c`), await first(`${dir}/x`)]);
      assert.equal(found, `${dir}/b`);
      assert.equal(none, undefined);
    });
  });
}

describe('contrib files with useSudo', () => {
  test('append, contains, sed, comment on a root-owned file through sudo, owner and mode kept', async () => {
    const { dir, file } = rootFile('sudo-files', 'a=1\n');
    const lines = hostile(dir);
    const results = await onHost('web1', async () => {
      const denied = await append(file, 'x').then(
        () => 'appended',
        (error: FabError) => error.message,
      );
      return [
        denied,
        await append(file, lines, { useSudo: true }),
        await append(file, lines, { useSudo: true }),
        await contains(file, lines[1]!, { useSudo: true, exact: true }),
        await sed(file, '^a=1$', 'a=2 & /b/', { useSudo: true, backup: '' }).then(() => 'sed'),
        await comment(file, '^a=', { useSudo: true, backup: '' }).then(() => 'comment'),
      ];
    });
    assert.match(String(results[0]), /^append on web1: .*file\.conf: permission denied; use \{ useSudo: true \} or a writable path$/);
    assert.deepEqual(results.slice(1), [lines, [], true, 'sed', 'comment']);
    assert.equal(fs.readFileSync(file, 'utf8'), `#a=2 a=1 /b/\n${lines.join('\n')}\n`);
    assert.equal(fs.statSync(file).uid, 0);
    assert.equal(modeOf(file), 0o644);
    assert.deepEqual(fs.readdirSync(dir), ['file.conf'], 'no trace files, no backups asked for');
  });

  test('first with useSudo looks where the login user cannot', async () => {
    const { dir } = rootFile('sudo-first', '');
    asRoot(`chmod 700 '${dir}'`);
    const found = await onHost('direct', () => first(`${dir}/nope`, `${dir}/file.conf`, { useSudo: true }));
    assert.equal(found, `${dir}/file.conf`);
  });
});

describe('uploadTemplate', () => {
  test('renders {{ name }} from templates/, uploads atomically and keeps a .bak of what it replaced', async () => {
    const project = localScratch();
    fs.mkdirSync(`${project}/templates`);
    fs.writeFileSync(`${project}/templates/site.conf`, 'server {{ server.name }}:{{port}};\nroot "{{ root }}";\n\\{{ literal }}\n', { mode: 0o640 });
    const remote = remoteScratch(tb, 'template');
    writeAsUser(tb, `${remote}/site.conf`, 'old\n');
    const result = await onHost('web1', () =>
      lcd(project, () => uploadTemplate('site.conf', remote, { server: { name: 'example.org' }, port: 8080, root: `/srv/$(x) it's` }, { mirrorLocalMode: true })),
    );
    assert.deepEqual(result.paths, [`${remote}/site.conf`]);
    assert.equal(fs.readFileSync(`${remote}/site.conf`, 'utf8'), `server example.org:8080;\nroot "/srv/$(x) it's";\n{{ literal }}\n`);
    assert.equal(fs.readFileSync(`${remote}/site.conf.bak`, 'utf8'), 'old\n');
    assert.equal(modeOf(`${remote}/site.conf`), 0o640);
  });

  test('a missing variable is an error naming it and its line; nothing is written', async () => {
    const project = localScratch();
    fs.writeFileSync(`${project}/t.conf`, 'a={{ a }}\nb={{ b }}\n');
    const remote = remoteScratch(tb, 'template-missing');
    await assert.rejects(
      onHost('direct', () => lcd(project, () => uploadTemplate('t.conf', `${remote}/out.conf`, { a: 1 }))),
      (error: FabError) => error.message === 'uploadTemplate on direct: t.conf: {{ b }} on line 2 is not in the context; pass it in the context',
    );
    await assert.rejects(onHost('direct', () => uploadTemplate('nope.conf', `${remote}/out.conf`)), /uploadTemplate on direct: template nope\.conf not found/);
    assert.deepEqual(fs.readdirSync(remote), []);
  });

  test('with useSudo the result lands in a root-owned directory', async () => {
    const { dir, file } = rootFile('template-sudo', 'old\n');
    const project = localScratch();
    fs.writeFileSync(`${project}/file.conf`, 'value={{ v }}\n');
    await onHost('direct', () => lcd(project, () => uploadTemplate('file.conf', dir, { v: 'x & y' }, { useSudo: true })));
    assert.equal(fs.readFileSync(file, 'utf8'), 'value=x & y\n');
    assert.equal(fs.readFileSync(`${file}.bak`, 'utf8'), 'old\n');
    assert.equal(fs.statSync(file).uid, 0);
  });
});

test('under --dry-run, append and sed report and change nothing; contains still reads', async () => {
  const dir = remoteScratch(tb, 'dry-files');
  writeAsUser(tb, `${dir}/f`, 'a\n');
  const { list, stop } = recordEvents();
  const [added, found] = await onHost('direct', () =>
    settings({ dryRun: true }, async () => {
      const added = await append(`${dir}/f`, 'b');
      await sed(`${dir}/f`, 'a', 'z');
      return [added, await contains(`${dir}/f`, 'a')] as const;
    }),
  ).finally(stop);
  assert.deepEqual(added, ['b']);
  assert.equal(found, true);
  assert.equal(fs.readFileSync(`${dir}/f`, 'utf8'), 'a\n');
  const dry = list.filter((event) => event.kind === 'command' && event.dryRun).map((event) => event.kind === 'command' && event.runner);
  assert.deepEqual(dry, ['sftp', 'run']);
});
