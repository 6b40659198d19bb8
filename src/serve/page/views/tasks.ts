import { h, type VNode } from '../model/vnode.ts';
import { csrfField, page, type PageContext, problemBox } from './layout.ts';

/** A task as GET /api/tasks describes it. */
export interface TaskInfo {
  name: string;
  namespace?: string;
  description?: string;
  args?: string[];
  hosts?: string[];
  roles?: string[];
  parallel?: boolean | number;
}

function taskForm(task: TaskInfo, roledefs: string[], ctx: PageContext): VNode {
  const id = (field: string) => `t-${task.name.replace(/[^\w-]/g, '_')}-${field}`;
  return h(
    'section',
    { class: 'task', 'data-task': task.name },
    h('h3', null, task.name),
    task.description && h('p', null, task.description),
    h(
      'form',
      { method: 'post', action: '/runs' },
      csrfField(ctx),
      h('input', { type: 'hidden', name: 'task', value: task.name }),
      (task.args ?? []).map((arg) => h('label', null, arg, h('input', { type: 'text', name: `arg.${arg}`, id: id(`arg-${arg}`) }))),
      h('label', null, 'hosts', h('input', { type: 'text', name: 'hosts', placeholder: (task.hosts ?? []).join(',') || 'web1,web2', size: 24 })),
      roledefs.length > 0 &&
        h('label', null, 'roles', h('select', { name: 'roles', multiple: true, size: Math.min(4, roledefs.length) }, roledefs.map((role) => h('option', { value: role, selected: (task.roles ?? []).includes(role) }, role)))),
      h('label', { class: 'inline' }, h('input', { type: 'checkbox', name: 'parallel', value: 'yes', checked: task.parallel !== undefined && task.parallel !== false }), 'parallel'),
      ctx.canRun ? h('button', { type: 'submit', class: 'primary' }, `Run ${task.name}`) : h('span', { class: 'hint' }, 'this token may only read'),
    ),
  );
}

export function tasksPage(ctx: PageContext, tasks: TaskInfo[], roledefs: string[], problem?: string): string {
  const byNamespace = new Map<string, TaskInfo[]>();
  for (const task of tasks) {
    const ns = task.namespace ?? (task.name.includes('.') ? task.name.slice(0, task.name.lastIndexOf('.')) : '');
    byNamespace.set(ns, [...(byNamespace.get(ns) ?? []), task]);
  }
  return page(
    ctx,
    h('h1', null, 'Tasks'),
    problemBox(problem),
    tasks.length === 0 && h('p', null, 'The fabfile has no tasks.'),
    [...byNamespace].map(([ns, list]) => [ns && h('h2', null, ns), list.map((task) => taskForm(task, roledefs, ctx))]),
  );
}
