import { Type, type Static } from '@sinclair/typebox';

// One schema per shape: fastify validates requests with them, and the OpenAPI document at /api/openapi.json is
// generated from the same objects, so the documentation cannot drift from what the server accepts.

const Name = Type.String({ minLength: 1, maxLength: 200, pattern: '^[A-Za-z0-9_$][A-Za-z0-9_$.-]*$' });
// Not starting with '-': a host word must never read as a flag on the child's command line.
const HostName = Type.String({ minLength: 1, maxLength: 300, pattern: '^[^\\s,;-][^\\s,;]*$' });
const ArgValue = Type.String({ maxLength: 10_000 });

export const TaskCall = Type.Object(
  {
    name: Name,
    args: Type.Optional(
      Type.Object(
        { _: Type.Optional(Type.Array(ArgValue, { maxItems: 50 })) },
        // Names as a fabfile reads them: fab trims spaces, so ' hosts' would be hosts (a way around the targets check).
        { additionalProperties: ArgValue, propertyNames: { pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }, maxProperties: 50, description: 'positional arguments in _, the rest by name' },
      ),
    ),
  },
  { additionalProperties: false },
);

export const RunRequest = Type.Object(
  {
    tasks: Type.Array(TaskCall, { minItems: 1, maxItems: 20 }),
    hosts: Type.Optional(Type.Array(HostName, { maxItems: 1000 })),
    roles: Type.Optional(Type.Array(Name, { maxItems: 100 })),
    exclude: Type.Optional(Type.Array(HostName, { maxItems: 1000 })),
    parallel: Type.Optional(Type.Boolean()),
    poolSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })),
    set: Type.Optional(Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.Union([Type.String({ maxLength: 10_000 }), Type.Number(), Type.Boolean()]), { maxProperties: 50 })),
  },
  { additionalProperties: false },
);
export type RunRequest = Static<typeof RunRequest>;

export const Problem = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer(),
    detail: Type.String(),
    code: Type.Optional(Type.String()),
    holder: Type.Optional(Type.Integer()),
  },
  { $id: 'Problem', description: 'RFC 9457 problem details' },
);

const Time = Type.Union([Type.String({ format: 'date-time' }), Type.Null()]);

export const HostResult = Type.Object({
  task: Type.String(),
  invocation: Type.Integer(),
  host: Type.Union([Type.String(), Type.Null()]),
  status: Type.String({ description: 'waiting, running, ok, failed, skipped, interrupted' }),
  exitCode: Type.Union([Type.Integer(), Type.Null()]),
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
});

export const Run = Type.Object({
  id: Type.Integer(),
  state: Type.String({ description: 'queued, running, ok, failed, cancelled, lost' }),
  tasks: Type.Array(Type.Object({ name: Type.String(), args: Type.Optional(Type.Unknown()) })),
  hosts: Type.Optional(Type.Array(Type.String())),
  roles: Type.Optional(Type.Array(Type.String())),
  exclude: Type.Optional(Type.Array(Type.String())),
  parallel: Type.Optional(Type.Boolean()),
  poolSize: Type.Optional(Type.Integer()),
  set: Type.Optional(Type.Unknown()),
  targets: Type.Array(Type.String(), { description: 'the hosts the server expects the run to touch (its overlap check)' }),
  startedBy: Type.Object({ name: Type.String(), role: Type.String() }),
  createdAt: Type.String({ format: 'date-time' }),
  startedAt: Time,
  endedAt: Time,
  durationMs: Type.Union([Type.Integer(), Type.Null()]),
  exitCode: Type.Union([Type.Integer(), Type.Null()]),
  error: Type.Union([Type.String(), Type.Null()]),
  lastSeq: Type.Integer({ description: 'the sequence number of the last event stored' }),
  hostCounts: Type.Record(Type.String(), Type.Integer(), { description: 'host results by status' }),
  results: Type.Optional(Type.Array(HostResult)),
  summary: Type.Optional(Type.Unknown()),
});

export const RunList = Type.Object({ runs: Type.Array(Run), next: Type.Union([Type.String(), Type.Null()]) });

export const RunsQuery = Type.Object(
  {
    task: Type.Optional(Type.String({ maxLength: 200 })),
    host: Type.Optional(Type.String({ maxLength: 300 })),
    state: Type.Optional(Type.Union(['queued', 'running', 'ok', 'failed', 'cancelled', 'lost'].map((state) => Type.Literal(state)))),
    before: Type.Optional(Type.Integer({ minimum: 1 })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 500, default: 50 })),
  },
  { additionalProperties: false },
);
export type RunsQuery = Static<typeof RunsQuery>;

export const RunParams = Type.Object({ id: Type.Integer({ minimum: 1 }) });
export const LogParams = Type.Object({ id: Type.Integer({ minimum: 1 }), host: Type.String({ minLength: 1, maxLength: 300 }) });

export const EventsQuery = Type.Object(
  {
    after: Type.Optional(Type.Integer({ minimum: 0 })),
    host: Type.Optional(Type.String({ maxLength: 300 })),
    format: Type.Optional(Type.Literal('ndjson')),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100_000 })),
  },
  { additionalProperties: false },
);
export type EventsQuery = Static<typeof EventsQuery>;

export const TaskInfo = Type.Object({
  name: Type.String(),
  namespace: Type.Union([Type.String(), Type.Null()]),
  description: Type.Union([Type.String(), Type.Null()]),
  aliases: Type.Array(Type.String()),
  params: Type.Union([Type.String(), Type.Null()]),
  args: Type.Array(Type.String()),
  hosts: Type.Array(Type.String()),
  roles: Type.Array(Type.String()),
  excludeHosts: Type.Array(Type.String()),
  parallel: Type.Union([Type.Boolean(), Type.Integer()]),
  runsOnce: Type.Boolean(),
  default: Type.Boolean(),
});
export const TaskList = Type.Object({
  fabfile: Type.String(),
  hosts: Type.Array(Type.String()),
  roles: Type.Array(Type.String()),
  roledefs: Type.Record(Type.String(), Type.Array(Type.String())),
  tasks: Type.Array(TaskInfo),
});
export type TaskList = Static<typeof TaskList>;
