using System.Data.Common;
using System.Globalization;
using DuckDB.NET.Data;
using StreamingPipeline.Analytics.Ingestion;
using StreamingPipeline.Analytics.Schema;

namespace StreamingPipeline.Analytics.Stores;

/// <summary>
/// The embedded DuckDB store. Rows go in through DuckDB's appender (<see cref="DuckDbRowAppender"/>), straight into <c>user_events</c> inside the batch's
/// transaction; only when the primary key rejects a row already stored (rare: the topic is deduplicated upstream) is
/// the transaction rolled back and the batch loaded again through a staging table with <c>INSERT OR IGNORE</c>.
/// DuckDB allows one writing process per file: readers in the same process use <see cref="OpenReaderAsync"/>.
/// </summary>
public sealed class DuckDbAnalyticsStore : IAnalyticsStore
{
    private const string StagingTable = "ingest_staging";
    private readonly string _connectionString;
    private DuckDBConnection? _connection;

    /// <summary>A store in the database file <paramref name="path"/> (created with its directory when missing).</summary>
    public DuckDbAnalyticsStore(string path)
    {
        Path = System.IO.Path.GetFullPath(path);
        _connectionString = $"Data Source={Path}";
    }

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <inheritdoc />
    public string Description => $"duckdb:{Path}";

    /// <summary>Called after the rows and offsets are written, before COMMIT: lets a test fail a batch half-way.</summary>
    internal Func<CancellationToken, Task>? BeforeCommit { get; set; }

    /// <inheritdoc />
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        if (_connection is not null)
        {
            return;
        }
        var directory = System.IO.Path.GetDirectoryName(Path);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }
        var connection = new DuckDBConnection(_connectionString);
        try
        {
            await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
            await AnalyticsSchema.EnsureDuckDbAsync(connection, cancellationToken).ConfigureAwait(false);
            await ExecuteAsync(connection, null, $"CREATE TEMP TABLE IF NOT EXISTS {StagingTable} AS SELECT * FROM user_events LIMIT 0", cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        _connection = connection;
    }

    /// <summary>
    /// A new connection to the same database, for queries in this process (DuckDB shares one database instance among
    /// a process's connections to a file). It sees every committed batch. The caller disposes it.
    /// </summary>
    public async Task<DuckDBConnection> OpenReaderAsync(CancellationToken cancellationToken)
    {
        var reader = new DuckDBConnection(_connectionString);
        await reader.OpenAsync(cancellationToken).ConfigureAwait(false);
        return reader;
    }

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<int, long>> ReadOffsetsAsync(string topic, CancellationToken cancellationToken)
    {
        var connection = Connection;
        await using var command = connection.CreateCommand();
        command.CommandText = $"SELECT \"partition\", nextOffset FROM ingest_offsets WHERE topic = {Literal(topic)}";
        var offsets = new Dictionary<int, long>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            offsets[reader.GetInt32(0)] = reader.GetInt64(1);
        }
        return offsets;
    }

    /// <inheritdoc />
    public async Task<BatchOutcome> CommitAsync(IngestBatch batch, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(batch);
        var connection = Connection;
        await using (var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
        {
            if (DuckDbRowAppender.TryAppend(connection, "user_events", batch))
            {
                await FinishAsync(connection, transaction, batch, cancellationToken).ConfigureAwait(false);
                return new BatchOutcome(batch.EventCount, 0);
            }
            // A primary-key violation: some eventId is already stored. The transaction is void; load again below.
            await transaction.RollbackAsync(cancellationToken).ConfigureAwait(false);
        }

        await using var retry = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, retry, $"DELETE FROM {StagingTable}", cancellationToken).ConfigureAwait(false);
        if (!DuckDbRowAppender.TryAppend(connection, StagingTable, batch))
        {
            throw new InvalidOperationException($"{StagingTable} has no constraint, yet the batch violated one.");
        }
        var inserted = await ExecuteAsync(connection, retry, $"INSERT OR IGNORE INTO user_events SELECT * FROM {StagingTable}", cancellationToken).ConfigureAwait(false);
        await ExecuteAsync(connection, retry, $"DELETE FROM {StagingTable}", cancellationToken).ConfigureAwait(false);
        await FinishAsync(connection, retry, batch, cancellationToken).ConfigureAwait(false);
        return new BatchOutcome(inserted, batch.EventCount - inserted);
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }
    }

    private DuckDBConnection Connection => _connection ?? throw new InvalidOperationException("The store is not open.");

    /// <summary>The UTC wall clock of a Unix-millisecond instant, for the <c>TIMESTAMP</c> column (which holds UTC).</summary>
    internal static DateTime UtcTimestamp(long unixMilliseconds) =>
        new(DateTime.UnixEpoch.Ticks + (unixMilliseconds * TimeSpan.TicksPerMillisecond), DateTimeKind.Utc);

    private async Task FinishAsync(DuckDBConnection connection, DbTransaction transaction, IngestBatch batch, CancellationToken cancellationToken)
    {
        if (batch.NextOffsets.Count > 0)
        {
            var values = string.Join(", ", batch.NextOffsets.Select(o => string.Create(CultureInfo.InvariantCulture, $"({Literal(batch.Topic)}, {o.Key}, {o.Value})")));
            await ExecuteAsync(connection, transaction, $"""
                INSERT INTO ingest_offsets VALUES {values}
                ON CONFLICT (topic, "partition") DO UPDATE SET nextOffset = excluded.nextOffset
                """, cancellationToken).ConfigureAwait(false);
        }
        if (BeforeCommit is { } hook)
        {
            await hook(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
    }

    private static async Task<int> ExecuteAsync(DuckDBConnection connection, DbTransaction? transaction, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.Transaction = (DuckDBTransaction?)transaction;
        command.CommandText = sql;
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    private static string Literal(string text) => "'" + text.Replace("'", "''", StringComparison.Ordinal) + "'";
}
