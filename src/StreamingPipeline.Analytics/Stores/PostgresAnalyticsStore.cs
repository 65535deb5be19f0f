using Npgsql;
using StreamingPipeline.Analytics.Ingestion;
using StreamingPipeline.Analytics.Schema;

namespace StreamingPipeline.Analytics.Stores;

/// <summary>
/// The PostgreSQL store. A batch goes in with binary COPY (<see cref="PostgresRowCopy"/>) straight into <c>user_events</c> inside a savepoint; only when
/// the primary key rejects a row already stored is the savepoint rolled back and the batch copied into a session-local
/// staging table and moved with <c>INSERT ... ON CONFLICT DO NOTHING</c>. Several ingesters (on different partitions)
/// may write one database: each commits only its own partitions' offset rows.
/// </summary>
public sealed class PostgresAnalyticsStore : IAnalyticsStore
{
    private const string StagingTable = "ingest_staging";

    // Any constant: serializes schema creation when several ingesters start at once on an empty database.
    private const long SchemaLockKey = 0x5049_5045_4c49_4e45;

    private readonly NpgsqlDataSource _dataSource;
    private NpgsqlConnection? _connection;

    /// <summary>A store in the database <paramref name="connectionString"/> names (Npgsql keywords).</summary>
    public PostgresAnalyticsStore(string connectionString)
    {
        var builder = new NpgsqlConnectionStringBuilder(connectionString);
        Description = $"postgres://{builder.Host}:{builder.Port}/{builder.Database}";
        _dataSource = NpgsqlDataSource.Create(builder);
    }

    /// <inheritdoc />
    public string Description { get; }

    /// <summary>Called after the rows and offsets are written, before COMMIT: lets a test fail a batch half-way.</summary>
    internal Func<CancellationToken, Task>? BeforeCommit { get; set; }

    /// <inheritdoc />
    public async Task OpenAsync(CancellationToken cancellationToken)
    {
        if (_connection is not null)
        {
            return;
        }
        var connection = await _dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            await using (var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false))
            {
                await ExecuteAsync(connection, $"SELECT pg_advisory_xact_lock({SchemaLockKey})", cancellationToken).ConfigureAwait(false);
                await AnalyticsSchema.EnsureAsync(connection, AnalyticsSchema.Postgres, cancellationToken).ConfigureAwait(false);
                await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            }
            await ExecuteAsync(connection, $"CREATE TEMP TABLE IF NOT EXISTS {StagingTable} (LIKE user_events) ON COMMIT DELETE ROWS", cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw;
        }
        _connection = connection;
    }

    /// <summary>A new connection from this store's pool, for queries. The caller disposes it.</summary>
    public ValueTask<NpgsqlConnection> OpenReaderAsync(CancellationToken cancellationToken) => _dataSource.OpenConnectionAsync(cancellationToken);

    /// <inheritdoc />
    public async Task<IReadOnlyDictionary<int, long>> ReadOffsetsAsync(string topic, CancellationToken cancellationToken)
    {
        await using var command = Connection.CreateCommand();
        command.CommandText = "SELECT \"partition\", nextoffset FROM ingest_offsets WHERE topic = $1";
        command.Parameters.Add(new NpgsqlParameter { Value = topic });
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
        await using var transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        BatchOutcome outcome;
        if (batch.EventCount == 0)
        {
            outcome = default;
        }
        else
        {
            await transaction.SaveAsync("rows", cancellationToken).ConfigureAwait(false);
            try
            {
                await PostgresRowCopy.CopyAsync(connection, "user_events", batch, cancellationToken).ConfigureAwait(false);
                outcome = new BatchOutcome(batch.EventCount, 0);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
            {
                await transaction.RollbackAsync("rows", cancellationToken).ConfigureAwait(false);
                await PostgresRowCopy.CopyAsync(connection, StagingTable, batch, cancellationToken).ConfigureAwait(false);
                var inserted = await ExecuteAsync(connection, $"INSERT INTO user_events SELECT * FROM {StagingTable} ON CONFLICT (eventid) DO NOTHING", cancellationToken).ConfigureAwait(false);
                await ExecuteAsync(connection, $"TRUNCATE {StagingTable}", cancellationToken).ConfigureAwait(false);
                outcome = new BatchOutcome(inserted, batch.EventCount - inserted);
            }
        }
        if (batch.NextOffsets.Count > 0)
        {
            await using var offsets = connection.CreateCommand();
            offsets.CommandText = """
                INSERT INTO ingest_offsets (topic, "partition", nextoffset)
                SELECT $1, p, o FROM unnest($2::integer[], $3::bigint[]) AS t(p, o)
                ON CONFLICT (topic, "partition") DO UPDATE SET nextoffset = excluded.nextoffset
                """;
            offsets.Parameters.Add(new NpgsqlParameter { Value = batch.Topic });
            offsets.Parameters.Add(new NpgsqlParameter { Value = batch.NextOffsets.Keys.ToArray() });
            offsets.Parameters.Add(new NpgsqlParameter { Value = batch.NextOffsets.Values.ToArray() });
            await offsets.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        if (BeforeCommit is { } hook)
        {
            await hook(cancellationToken).ConfigureAwait(false);
        }
        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return outcome;
    }

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        if (_connection is not null)
        {
            await _connection.DisposeAsync().ConfigureAwait(false);
            _connection = null;
        }
        await _dataSource.DisposeAsync().ConfigureAwait(false);
    }

    private NpgsqlConnection Connection => _connection ?? throw new InvalidOperationException("The store is not open.");

    private static async Task<int> ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }
}
