using System.Data.Common;

namespace StreamingPipeline.Analytics.Schema;

/// <summary>
/// The analytics store's tables, one definition per SQL dialect. <c>user_events</c> holds one row per deduplicated
/// event; <c>ingest_offsets</c> holds, per topic partition, the next offset to consume, committed in the same database
/// transaction as the rows it covers; the view <c>"user-events"</c> keeps the original design's Pinot query working.
/// </summary>
internal static class AnalyticsSchema
{
    /// <summary>
    /// DuckDB: column names as the event's JSON spells them (DuckDB matches identifiers case-insensitively). The
    /// primary key lets the ingester append straight into the table and detect an eventId already stored.
    /// <c>"timestamp"</c> is a <c>TIMESTAMP</c> holding UTC: on <c>TIMESTAMPTZ</c> DuckDB truncates through ICU's
    /// calendar for every row (<c>date_trunc</c> in every time-bucketed query), many times the cost of the plain
    /// arithmetic on <c>TIMESTAMP</c>. Files created with <c>TIMESTAMPTZ</c> are migrated by <see cref="EnsureDuckDbAsync"/>.
    /// </summary>
    public const string DuckDb = """
        CREATE TABLE IF NOT EXISTS user_events (
            eventId UUID PRIMARY KEY,
            userId VARCHAR NOT NULL,
            eventType VARCHAR NOT NULL,
            page VARCHAR NOT NULL,
            sessionId VARCHAR NOT NULL,
            "timestamp" TIMESTAMP NOT NULL,
            kafkaPartition INTEGER NOT NULL,
            kafkaOffset BIGINT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS ingest_offsets (
            topic VARCHAR NOT NULL,
            "partition" INTEGER NOT NULL,
            nextOffset BIGINT NOT NULL,
            PRIMARY KEY (topic, "partition")
        );
        CREATE OR REPLACE VIEW "user-events" AS
            SELECT eventId, userId, eventType, page, sessionId, "timestamp" FROM user_events;
        """;

    /// <summary>
    /// PostgreSQL: lower-case names, so the same unquoted queries (<c>eventType</c>) work on both stores. The statistics
    /// on <c>date_trunc('minute'|'hour', "timestamp")</c> (PostgreSQL 14 and later; filled by the next ANALYZE) tell the
    /// planner how few buckets there are: without them it takes every distinct timestamp for a group, plans a sort of the
    /// whole table instead of a parallel hash aggregate, and spills it.
    /// </summary>
    public const string Postgres = """
        CREATE TABLE IF NOT EXISTS user_events (
            eventid uuid PRIMARY KEY,
            userid text NOT NULL,
            eventtype text NOT NULL,
            page text NOT NULL,
            sessionid text NOT NULL,
            "timestamp" timestamptz NOT NULL,
            kafkapartition integer NOT NULL,
            kafkaoffset bigint NOT NULL
        );
        CREATE INDEX IF NOT EXISTS user_events_timestamp ON user_events ("timestamp");
        CREATE INDEX IF NOT EXISTS user_events_user_timestamp ON user_events (userid, "timestamp");
        DO $$ BEGIN
            IF current_setting('server_version_num')::integer >= 140000 THEN
                CREATE STATISTICS IF NOT EXISTS user_events_minute_type (ndistinct) ON (date_trunc('minute', "timestamp")), eventtype FROM user_events;
                CREATE STATISTICS IF NOT EXISTS user_events_hour_type (ndistinct) ON (date_trunc('hour', "timestamp")), eventtype FROM user_events;
            END IF;
        END $$;
        CREATE TABLE IF NOT EXISTS ingest_offsets (
            topic text NOT NULL,
            "partition" integer NOT NULL,
            nextoffset bigint NOT NULL,
            PRIMARY KEY (topic, "partition")
        );
        CREATE OR REPLACE VIEW "user-events" AS
            SELECT eventid, userid, eventtype, page, sessionid, "timestamp" FROM user_events;
        """;

    /// <summary>
    /// DuckDB's schema, created or migrated: a <c>user_events</c> from before <c>"timestamp"</c> became a UTC
    /// <c>TIMESTAMP</c> has the column converted in place (the same instants, one transaction), then
    /// <see cref="DuckDb"/> runs. Safe to run at every start.
    /// </summary>
    public static async Task EnsureDuckDbAsync(DbConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = connection.CreateCommand();
        command.CommandText = """
            SELECT data_type FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = 'user_events' AND column_name = 'timestamp'
            """;
        if (await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is "TIMESTAMP WITH TIME ZONE")
        {
            // timezone('UTC', tstz) is the UTC wall clock of the instant, whatever the session's zone.
            command.CommandText = """
                BEGIN TRANSACTION;
                ALTER TABLE user_events ALTER COLUMN "timestamp" SET DATA TYPE TIMESTAMP USING timezone('UTC', "timestamp");
                COMMIT;
                """;
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        await EnsureAsync(connection, DuckDb, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Creates the tables and the view when they are missing; safe to run at every start.</summary>
    public static async Task EnsureAsync(DbConnection connection, string ddl, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        await using var command = connection.CreateCommand();
        command.CommandText = ddl;
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
