/**
 * The PostgreSQL store's schema and its versioned migrations, in a schema of their own (default `reprise`), so one
 * database can hold several independent Reprise stores. `schema_version` records every migration applied; opening
 * applies the missing ones in one transaction under an advisory lock (two hosts opening a new database at once do
 * not both migrate), and refuses a database written by a newer Reprise.
 */
import { Schema } from "effect"

export interface Migration {
  readonly version: number
  /** The statements, with `{schema}` standing for the quoted schema name. */
  readonly sql: string
}

/**
 * Append-only: never edit a migration that has shipped, add the next version instead. Execution ids use the "C"
 * collation: the listing's tie order (and its cursors) is then code point order, whatever the database's locale,
 * as close as PostgreSQL gets to the other stores' JavaScript string order (they differ only above U+FFFF).
 */
export const MIGRATIONS: ReadonlyArray<Migration> = [
  {
    version: 1,
    sql: `
      CREATE TABLE {schema}.executions (
        execution_id  text COLLATE "C" PRIMARY KEY,
        function_name text NOT NULL,
        status        text NOT NULL,
        started_at    bigint NOT NULL,
        ended_at      bigint,
        seq           integer NOT NULL
      );
      CREATE INDEX executions_by_start ON {schema}.executions (started_at DESC, execution_id);
      CREATE INDEX executions_by_function ON {schema}.executions (function_name, started_at DESC, execution_id);
      CREATE INDEX executions_by_status ON {schema}.executions (status, started_at DESC, execution_id);

      CREATE TABLE {schema}.events (
        execution_id text COLLATE "C" NOT NULL REFERENCES {schema}.executions (execution_id) ON DELETE CASCADE,
        seq          integer NOT NULL,
        event        json NOT NULL,
        PRIMARY KEY (execution_id, seq)
      );

      CREATE TABLE {schema}.alarms (
        execution_id text COLLATE "C" PRIMARY KEY REFERENCES {schema}.executions (execution_id) ON DELETE CASCADE,
        at           bigint NOT NULL
      );
      CREATE INDEX alarms_by_time ON {schema}.alarms (at, execution_id);

      CREATE TABLE {schema}.meta (
        key   text PRIMARY KEY,
        value text NOT NULL
      );
    `
  },
  {
    // The function's version label from ExecutionStarted, for listing and filtering by it.
    version: 2,
    sql: `
      ALTER TABLE {schema}.executions ADD COLUMN version text;
      CREATE INDEX executions_by_version ON {schema}.executions (version, started_at DESC, execution_id);
    `
  },
  {
    // Several hosts on one database (postgres-leases.ts): which host holds each execution, until when (the
    // database's clock, so that hosts' clocks need not agree).
    version: 3,
    sql: `
      CREATE TABLE {schema}.leases (
        execution_id text COLLATE "C" PRIMARY KEY,
        host_id      text NOT NULL,
        expires_at   timestamptz NOT NULL
      );
      CREATE INDEX leases_by_host ON {schema}.leases (host_id);
    `
  },
  {
    // Flow control across several hosts (postgres-flow.ts): the slots held (with the holder's expiry, renewed with
    // its leases), the starts counted in rate windows, the queue's arrival order (a sequence that every new row of
    // executions takes: existing rows keep null, which sorts first), and the QUEUED rows of a function, found fast.
    version: 4,
    sql: `
      CREATE TABLE {schema}.flow_slots (
        execution_id  text COLLATE "C" PRIMARY KEY,
        function_name text NOT NULL,
        group_key     text NOT NULL,
        host_id       text NOT NULL,
        held          boolean NOT NULL,
        expires_at    timestamptz NOT NULL
      );
      CREATE INDEX flow_slots_by_group ON {schema}.flow_slots (function_name, group_key);
      CREATE INDEX flow_slots_by_host ON {schema}.flow_slots (host_id);
      CREATE TABLE {schema}.flow_starts (
        function_name text NOT NULL,
        rate_key      text NOT NULL,
        at            bigint NOT NULL,
        execution_id  text COLLATE "C" NOT NULL
      );
      CREATE INDEX flow_starts_by_key ON {schema}.flow_starts (function_name, rate_key, at);
      CREATE SEQUENCE {schema}.executions_arrival;
      ALTER TABLE {schema}.executions ADD COLUMN arrival bigint;
      ALTER TABLE {schema}.executions ALTER COLUMN arrival SET DEFAULT nextval('{schema}.executions_arrival');
      CREATE INDEX executions_queued ON {schema}.executions (function_name) WHERE status = 'QUEUED';

      -- One decision of flow control (FlowLedger.take), in one round trip and one transaction: under a lock per
      -- function, the rate window of the key, the live slots of the key (resumed executions waiting first), and the
      -- queued executions ahead with the same keys that may go now; then the slot and the counted start. A resumed
      -- execution that finds no slot keeps its place in line (a row with held false).
      -- Counted on the database's clock, read once the lock is held: successive decisions of a function get
      -- times in the order they were taken (the dequeue records it), whatever the hosts' clocks say.
      CREATE FUNCTION {schema}.flow_take(
        p_fn text, p_id text, p_mode text, p_host text, p_lease_ms integer,
        p_ckey text, p_climit integer, p_rkey text, p_rlimit integer, p_rperiod bigint,
        OUT taken boolean, OUT rate_opens_at bigint, OUT decided_at bigint
      ) LANGUAGE plpgsql AS $$
      DECLARE
        p_now bigint;
        n integer;
        oldest bigint;
        held_n integer := 0;
        waiting_n integer := 0;
        slots_full boolean := false;
        c_p integer;
        c_at bigint;
        c_arr bigint;
      BEGIN
        taken := false;
        PERFORM pg_advisory_xact_lock(hashtext('{schema}.flow'), hashtext(p_fn));
        p_now := floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;
        decided_at := p_now;
        -- A dequeue of an execution that is no longer queued (a stale look at the queue) takes nothing.
        IF p_mode = 'dequeue' AND NOT EXISTS (SELECT 1 FROM {schema}.executions AS q WHERE q.execution_id = p_id AND q.status = 'QUEUED') THEN
          RETURN;
        END IF;
        IF p_rkey IS NOT NULL THEN
          DELETE FROM {schema}.flow_starts AS s WHERE s.function_name = p_fn AND s.rate_key = p_rkey AND s.at <= p_now - p_rperiod;
          SELECT count(*), min(s.at) INTO n, oldest FROM {schema}.flow_starts AS s
            WHERE s.function_name = p_fn AND s.rate_key = p_rkey AND s.at > p_now - p_rperiod;
          IF n >= p_rlimit THEN rate_opens_at := oldest + p_rperiod; END IF;
        END IF;
        IF p_ckey IS NOT NULL THEN
          DELETE FROM {schema}.flow_slots AS l WHERE l.function_name = p_fn AND l.group_key = p_ckey AND l.expires_at < clock_timestamp();
          SELECT count(*) FILTER (WHERE l.held), count(*) FILTER (WHERE NOT l.held) INTO held_n, waiting_n FROM {schema}.flow_slots AS l
            WHERE l.function_name = p_fn AND l.group_key = p_ckey AND l.execution_id <> p_id AND l.expires_at > clock_timestamp();
          slots_full := held_n >= p_climit OR (p_mode <> 'resume' AND waiting_n > 0);
        END IF;
        IF rate_opens_at IS NOT NULL OR slots_full THEN
          IF p_mode = 'resume' AND p_ckey IS NOT NULL THEN
            INSERT INTO {schema}.flow_slots (execution_id, function_name, group_key, host_id, held, expires_at)
              VALUES (p_id, p_fn, p_ckey, p_host, false, clock_timestamp() + p_lease_ms * interval '1 millisecond')
              ON CONFLICT (execution_id) DO UPDATE SET function_name = excluded.function_name, group_key = excluded.group_key,
                host_id = excluded.host_id, held = excluded.held, expires_at = excluded.expires_at;
          END IF;
          RETURN;
        END IF;
        IF p_mode <> 'resume' THEN
          IF p_mode = 'dequeue' THEN
            SELECT (f.event->'queue'->>'priority')::int, (f.event->>'at')::bigint, COALESCE(x.arrival, 0) INTO c_p, c_at, c_arr
              FROM {schema}.executions AS x JOIN {schema}.events AS f ON f.execution_id = x.execution_id AND f.seq = 1
              WHERE x.execution_id = p_id;
          END IF;
          IF EXISTS (SELECT 1 FROM {schema}.executions AS x JOIN {schema}.events AS f ON f.execution_id = x.execution_id AND f.seq = 1
            WHERE x.status = 'QUEUED' AND x.function_name = p_fn AND x.execution_id <> p_id
              AND (p_ckey IS NULL OR COALESCE(f.event->'queue'->>'concurrencyKey', '') = p_ckey)
              AND (p_rkey IS NULL OR COALESCE(f.event->'queue'->>'rateKey', '') = p_rkey)
              AND GREATEST(COALESCE((f.event->'queue'->>'notBefore')::bigint, 0), COALESCE((SELECT max((r.event->>'notBefore')::bigint)
                FROM {schema}.events AS r WHERE r.execution_id = x.execution_id AND r.seq > 1 AND r.event->>'_tag' = 'ExecutionInputReplaced'), 0)) <= p_now
              AND (p_mode = 'start' OR (f.event->'queue'->>'priority')::int > c_p OR ((f.event->'queue'->>'priority')::int = c_p
                AND ((f.event->>'at')::bigint < c_at OR ((f.event->>'at')::bigint = c_at
                AND (COALESCE(x.arrival, 0) < c_arr OR (COALESCE(x.arrival, 0) = c_arr AND x.execution_id < p_id)))))))
          THEN
            RETURN;
          END IF;
        END IF;
        IF p_ckey IS NOT NULL THEN
          INSERT INTO {schema}.flow_slots (execution_id, function_name, group_key, host_id, held, expires_at)
            VALUES (p_id, p_fn, p_ckey, p_host, true, clock_timestamp() + p_lease_ms * interval '1 millisecond')
            ON CONFLICT (execution_id) DO UPDATE SET function_name = excluded.function_name, group_key = excluded.group_key,
              host_id = excluded.host_id, held = excluded.held, expires_at = excluded.expires_at;
        END IF;
        IF p_rkey IS NOT NULL THEN
          INSERT INTO {schema}.flow_starts (function_name, rate_key, at, execution_id) VALUES (p_fn, p_rkey, p_now, p_id);
        END IF;
        taken := true;
      END
      $$;
    `
  },
  {
    // A rate limit that refuses (whenLimited "refuse") counts the QUEUED starts of its key too: each takes a place
    // in a window when it leaves the queue, so a start is refused once the window's starts and the queued ones
    // reach the limit (else "refuse" with concurrency or debounce queued without bound). flow_take gets two modes,
    // its signature unchanged (hosts of version 4 go on calling it as before):
    // - "refuse": a new start of a refusing function, as "start", but rate_opens_at (not taken) once window + queued
    //   >= limit: when the window holds at most limit - queued - 1 starts (a whole period when queued >= limit);
    // - "check": the same refusal decision alone, taking nothing (a debounced start, which is always queued).
    version: 5,
    sql: `
      CREATE OR REPLACE FUNCTION {schema}.flow_take(
        p_fn text, p_id text, p_mode text, p_host text, p_lease_ms integer,
        p_ckey text, p_climit integer, p_rkey text, p_rlimit integer, p_rperiod bigint,
        OUT taken boolean, OUT rate_opens_at bigint, OUT decided_at bigint
      ) LANGUAGE plpgsql AS $$
      DECLARE
        p_now bigint;
        n integer;
        oldest bigint;
        held_n integer := 0;
        waiting_n integer := 0;
        slots_full boolean := false;
        c_p integer;
        c_at bigint;
        c_arr bigint;
        queued_n integer := 0;
      BEGIN
        taken := false;
        PERFORM pg_advisory_xact_lock(hashtext('{schema}.flow'), hashtext(p_fn));
        p_now := floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint;
        decided_at := p_now;
        -- A dequeue of an execution that is no longer queued (a stale look at the queue) takes nothing.
        IF p_mode = 'dequeue' AND NOT EXISTS (SELECT 1 FROM {schema}.executions AS q WHERE q.execution_id = p_id AND q.status = 'QUEUED') THEN
          RETURN;
        END IF;
        IF p_rkey IS NOT NULL THEN
          DELETE FROM {schema}.flow_starts AS s WHERE s.function_name = p_fn AND s.rate_key = p_rkey AND s.at <= p_now - p_rperiod;
          SELECT count(*), min(s.at) INTO n, oldest FROM {schema}.flow_starts AS s
            WHERE s.function_name = p_fn AND s.rate_key = p_rkey AND s.at > p_now - p_rperiod;
          IF p_mode IN ('refuse', 'check') THEN
            SELECT count(*) INTO queued_n FROM {schema}.executions AS x JOIN {schema}.events AS f ON f.execution_id = x.execution_id AND f.seq = 1
              WHERE x.status = 'QUEUED' AND x.function_name = p_fn AND x.execution_id <> p_id
                AND COALESCE(f.event->'queue'->>'rateKey', '') = p_rkey;
            IF queued_n >= p_rlimit THEN
              rate_opens_at := p_now + p_rperiod;
            ELSIF n + queued_n >= p_rlimit THEN
              -- The (limit - queued)th newest start: once it is out of the window, the queued ones leave room.
              SELECT s.at + p_rperiod INTO rate_opens_at FROM {schema}.flow_starts AS s
                WHERE s.function_name = p_fn AND s.rate_key = p_rkey AND s.at > p_now - p_rperiod
                ORDER BY s.at DESC OFFSET p_rlimit - queued_n - 1 LIMIT 1;
            END IF;
          ELSIF n >= p_rlimit THEN
            rate_opens_at := oldest + p_rperiod;
          END IF;
        END IF;
        IF p_mode = 'check' THEN
          RETURN;
        END IF;
        IF p_ckey IS NOT NULL THEN
          DELETE FROM {schema}.flow_slots AS l WHERE l.function_name = p_fn AND l.group_key = p_ckey AND l.expires_at < clock_timestamp();
          SELECT count(*) FILTER (WHERE l.held), count(*) FILTER (WHERE NOT l.held) INTO held_n, waiting_n FROM {schema}.flow_slots AS l
            WHERE l.function_name = p_fn AND l.group_key = p_ckey AND l.execution_id <> p_id AND l.expires_at > clock_timestamp();
          slots_full := held_n >= p_climit OR (p_mode <> 'resume' AND waiting_n > 0);
        END IF;
        IF rate_opens_at IS NOT NULL OR slots_full THEN
          IF p_mode = 'resume' AND p_ckey IS NOT NULL THEN
            INSERT INTO {schema}.flow_slots (execution_id, function_name, group_key, host_id, held, expires_at)
              VALUES (p_id, p_fn, p_ckey, p_host, false, clock_timestamp() + p_lease_ms * interval '1 millisecond')
              ON CONFLICT (execution_id) DO UPDATE SET function_name = excluded.function_name, group_key = excluded.group_key,
                host_id = excluded.host_id, held = excluded.held, expires_at = excluded.expires_at;
          END IF;
          RETURN;
        END IF;
        IF p_mode <> 'resume' THEN
          IF p_mode = 'dequeue' THEN
            SELECT (f.event->'queue'->>'priority')::int, (f.event->>'at')::bigint, COALESCE(x.arrival, 0) INTO c_p, c_at, c_arr
              FROM {schema}.executions AS x JOIN {schema}.events AS f ON f.execution_id = x.execution_id AND f.seq = 1
              WHERE x.execution_id = p_id;
          END IF;
          IF EXISTS (SELECT 1 FROM {schema}.executions AS x JOIN {schema}.events AS f ON f.execution_id = x.execution_id AND f.seq = 1
            WHERE x.status = 'QUEUED' AND x.function_name = p_fn AND x.execution_id <> p_id
              AND (p_ckey IS NULL OR COALESCE(f.event->'queue'->>'concurrencyKey', '') = p_ckey)
              AND (p_rkey IS NULL OR COALESCE(f.event->'queue'->>'rateKey', '') = p_rkey)
              AND GREATEST(COALESCE((f.event->'queue'->>'notBefore')::bigint, 0), COALESCE((SELECT max((r.event->>'notBefore')::bigint)
                FROM {schema}.events AS r WHERE r.execution_id = x.execution_id AND r.seq > 1 AND r.event->>'_tag' = 'ExecutionInputReplaced'), 0)) <= p_now
              AND (p_mode IN ('start', 'refuse') OR (f.event->'queue'->>'priority')::int > c_p OR ((f.event->'queue'->>'priority')::int = c_p
                AND ((f.event->>'at')::bigint < c_at OR ((f.event->>'at')::bigint = c_at
                AND (COALESCE(x.arrival, 0) < c_arr OR (COALESCE(x.arrival, 0) = c_arr AND x.execution_id < p_id)))))))
          THEN
            RETURN;
          END IF;
        END IF;
        IF p_ckey IS NOT NULL THEN
          INSERT INTO {schema}.flow_slots (execution_id, function_name, group_key, host_id, held, expires_at)
            VALUES (p_id, p_fn, p_ckey, p_host, true, clock_timestamp() + p_lease_ms * interval '1 millisecond')
            ON CONFLICT (execution_id) DO UPDATE SET function_name = excluded.function_name, group_key = excluded.group_key,
              host_id = excluded.host_id, held = excluded.held, expires_at = excluded.expires_at;
        END IF;
        IF p_rkey IS NOT NULL THEN
          INSERT INTO {schema}.flow_starts (function_name, rate_key, at, execution_id) VALUES (p_fn, p_rkey, p_now, p_id);
        END IF;
        taken := true;
      END
      $$;
    `
  },
  {
    // Why a FAILED or STOPPED execution ended, for listing (execution-summary.ts's summaryError, whose cut of the
    // type and message the backfill repeats: char_length and left count characters). Such an execution's last event (at
    // the head's seq) is its end. A NUL's escape (\u0000, which ->> cannot make text of) is read as U+FFFD's.
    version: 6,
    sql: `
      ALTER TABLE {schema}.executions ADD COLUMN error_type text, ADD COLUMN error_message text;
      UPDATE {schema}.executions AS x SET
        error_type = CASE WHEN char_length(e.error->>'errorType') > 200
          THEN left(e.error->>'errorType', 199) || '…' ELSE e.error->>'errorType' END,
        error_message = CASE WHEN char_length(e.error->>'errorMessage') > 200
          THEN left(e.error->>'errorMessage', 199) || '…' ELSE e.error->>'errorMessage' END
        FROM (SELECT execution_id, seq, replace(event::text, '\\u0000', '\\ufffd')::json->'error' AS error FROM {schema}.events) AS e
        WHERE x.status IN ('FAILED', 'STOPPED') AND e.execution_id = x.execution_id AND e.seq = x.seq;
    `
  }
]

export const LATEST_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version

/** The database was written by a newer Reprise: its schema is ahead of every migration this code knows. */
export class PostgresSchemaTooNew extends Schema.TaggedError<PostgresSchemaTooNew>()("PostgresSchemaTooNew", {
  schema: Schema.String,
  version: Schema.Number,
  supported: Schema.Number
}) {
  override get message() {
    return `The PostgreSQL schema "${this.schema}" has Reprise schema version ${this.version}, but this version of ` +
      `Reprise supports up to ${this.supported}: upgrade Reprise, or use another schema`
  }
}

/**
 * A schema name used unquoted in SQL text must be a plain identifier, of at most 48 characters: the notification
 * channels (`reprise_<schema>_wanted`) and prepared statements (`reprise_<schema>_<n>`) are named after it, and
 * PostgreSQL cuts names at 63 bytes (a 56-character schema's statements collided, a 49-character one's channel was
 * refused).
 */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,47}$/

/** Any fixed number: the advisory lock that serializes migrations across every process on the database. */
const MIGRATION_LOCK = 7_303_744_512

export interface MigrationResult {
  readonly before: number
  readonly after: number
}

/** What running a migration needs of a connection (a pg client inside a transaction). */
export interface SqlRunner {
  query(text: string, values?: ReadonlyArray<unknown>): Promise<{ readonly rows: ReadonlyArray<Record<string, unknown>> }>
}

/**
 * Applies every migration above the schema's version, in order, inside the caller's transaction; returns the
 * version found and the version after (equal when nothing was applied or the schema is too new; the caller refuses
 * that). Throws what PostgreSQL throws.
 */
export const applyMigrations = async (
  client: SqlRunner,
  schema: string,
  migrations: ReadonlyArray<Migration>,
  now: number
): Promise<MigrationResult> => {
  const q = `"${schema}"`
  await client.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK])
  await client.query(`CREATE SCHEMA IF NOT EXISTS ${q}`)
  await client.query(`CREATE TABLE IF NOT EXISTS ${q}.schema_version (version integer PRIMARY KEY, applied_at bigint NOT NULL)`)
  const row = (await client.query(`SELECT coalesce(max(version), 0) AS version FROM ${q}.schema_version`)).rows[0]
  const before = Number(row?.["version"] ?? 0)
  const latest = migrations.length === 0 ? 0 : migrations[migrations.length - 1]!.version
  if (before >= latest) return { before, after: before }
  for (const migration of migrations) {
    if (migration.version <= before) continue
    await client.query(migration.sql.replaceAll("{schema}", q))
    await client.query(`INSERT INTO ${q}.schema_version (version, applied_at) VALUES ($1, $2)`, [migration.version, now])
  }
  return { before, after: latest }
}
