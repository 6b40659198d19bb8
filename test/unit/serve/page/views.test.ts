import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runRequest } from '../../../../src/serve/page/actions.ts';
import { historyPage } from '../../../../src/serve/page/views/history.ts';
import { logPage } from '../../../../src/serve/page/views/log.ts';
import { loginPage } from '../../../../src/serve/page/views/login.ts';
import { tasksPage } from '../../../../src/serve/page/views/tasks.ts';

const ctx = { title: 't', csrf: 'tok&en', canRun: true };

describe('the server-rendered pages', () => {
  it('lists history newest first as a table that needs no script, with filters kept and a link to older runs', () => {
    const html = historyPage(ctx, [
      { id: 12, state: 'ok', tasks: [{ name: 'deploy', args: { branch: 'main' } }], startedBy: { name: 'ci', role: 'run' }, startedAt: '2026-12-06T08:00:00Z', endedAt: '2026-12-06T08:01:05Z', hostCounts: { ok: 2 } },
      { id: 11, state: 'failed', tasks: ['info'], startedAt: 1_700_000_000_000, endedAt: 1_700_000_000_500, hostCounts: { ok: 1, failed: 1 } },
    ], { task: 'dep"loy', state: 'failed' }, '/runs?before=11');
    assert.ok(!html.includes('<script'), 'no script at all');
    assert.match(html, /<a href="\/runs\/12">#12<\/a>.*deploy:branch=main.*✓.*ok.*ci.*2026-12-06 08:00:00 UTC.*1 min 5 s/s);
    assert.match(html, /#11.*info.*failed.*500 ms/s);
    assert.match(html, /name="task" value="dep&#34;loy"/);
    assert.match(html, /<option value="failed" selected>/);
    assert.match(html, /<a href="\/runs\?before=11">Older runs/);
  });

  it('shows a log\'s tail as text, with the full log a link away', () => {
    const html = logPage(ctx, '3', 'web1', { text: '</pre><script>alert(1)</script>', start: 100, size: 140 }, '/api/runs/3/hosts/web1/log');
    assert.match(html, /<pre id="log-text" tabindex="0" data-start="100" data-src="\/api\/runs\/3\/hosts\/web1\/log">&#60;\/pre&#62;&#60;script&#62;/);
    assert.match(html, /the last 40 of 140 bytes/);
    assert.match(html, /<a href="\/api\/runs\/3\/hosts\/web1\/log">full log as text<\/a>/);
  });

  it('offers a form per task with its arguments, the roledefs, and the CSRF token', () => {
    const html = tasksPage(ctx, [{ name: 'deploy', description: 'Ship it', args: ['branch'], roles: ['web'] }, { name: 'db.migrate' }], ['web', 'db']);
    assert.match(html, /<h2>db<\/h2>/);
    assert.match(html, /<form method="post" action="\/runs"><input type="hidden" name="_csrf" value="tok&#38;en"><input type="hidden" name="task" value="deploy">/);
    assert.match(html, /name="arg\.branch"/);
    assert.match(html, /<option value="web" selected>web<\/option><option value="db">db<\/option>/);
    assert.doesNotMatch(tasksPage({ ...ctx, canRun: false }, [{ name: 'deploy' }], []), /<button type="submit" class="primary">Run/);
  });

  it('posts the token, never puts it in a URL', () => {
    assert.match(loginPage('/runs/3'), /<form method="post" action="\/login".*name="next" value="\/runs\/3".*type="password" name="token"/s);
  });

  it('turns the task form into the API\'s run request', () => {
    assert.deepEqual(runRequest({ _csrf: ['x'], task: ['deploy'], 'arg.branch': ['main '], 'arg.force': [''], hosts: ['web1, web2  web3'], roles: ['web', ''], parallel: ['yes'] }), {
      tasks: [{ name: 'deploy', args: { branch: 'main' } }],
      hosts: ['web1', 'web2', 'web3'],
      roles: ['web'],
      parallel: true,
    });
    assert.deepEqual(runRequest({ task: ['info'] }), { tasks: [{ name: 'info' }] });
  });
});
