using DuckDB.NET.Data;

namespace StreamingPipeline.Analytics.Query;

/// <summary>
/// Runs queries on a DuckDB database. The database's own protections back the validator: at open it turns
/// <c>enable_external_access</c> off and then sets <c>lock_configuration</c>, so no query can read or write a file,
/// attach a database, load an extension or turn either setting back on; a standalone store also opens the file
/// <c>READ_ONLY</c>. Both settings are per database instance: hosted inside the ingester's process (DuckDB allows one
/// writing process, so that is where the API runs for DuckDB) they apply to the ingester's connections too, which need
/// neither. Every query runs in its own connection inside a transaction that is rolled back, and is interrupted when
/// it outlives <see cref="QueryLimits.Timeout"/>.
/// </summary>
public sealed class DuckDbQueryStore : IQueryStore
{
    // Held open for the store's lifetime so the database instance (shared per file by DuckDB.NET) stays loaded and
    // locked down between queries.
    private readonly DuckDBConnection _anchor;
    private readonly string _connectionString;

    private DuckDbQueryStore(DuckDBConnection anchor, string connectionString)
    {
        _anchor = anchor;
        _connectionString = connectionString;
    }

    /// <inheritdoc />
    public string Kind => "duckdb";

    /// <summary>
    /// Opens the database at <paramref name="databasePath"/> for queries. With <paramref name="readOnly"/> the file is
    /// opened read-only (no other process may be writing it); without, the connection joins the database instance an
    /// ingester in this process has open (DuckDB.NET shares one instance per file within a process).
    /// </summary>
    public static async Task<DuckDbQueryStore> OpenAsync(string databasePath, bool readOnly, CancellationToken cancellationToken)
    {
        ArgumentException.ThrowIfNullOrEmpty(databasePath);
        var connectionString = new DuckDBConnectionStringBuilder { DataSource = Path.GetFullPath(databasePath) };
        if (readOnly)
        {
            connectionString["ACCESS_MODE"] = "READ_ONLY";
        }
        var anchor = new DuckDBConnection(connectionString.ConnectionString);
        try
        {
            await anchor.OpenAsync(cancellationToken).ConfigureAwait(false);
            await LockDownAsync(anchor, cancellationToken).ConfigureAwait(false);
            return new DuckDbQueryStore(anchor, connectionString.ConnectionString);
        }
        catch
        {
            await anchor.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task LockDownAsync(DuckDBConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = "SELECT current_setting('lock_configuration')::BOOLEAN, current_setting('enable_external_access')::BOOLEAN";
        bool locked, external;
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            await reader.ReadAsync(cancellationToken).ConfigureAwait(false);
            locked = reader.GetBoolean(0);
            external = reader.GetBoolean(1);
        }
        if (locked)
        {
            // Another store in this process got here first; the lock is only good if external access is already off.
            if (external)
            {
                throw new InvalidOperationException("the DuckDB configuration is locked with external access on; the query API will not serve it");
            }
            return;
        }
        // UTC so date_trunc buckets and rendered timestamps do not depend on the machine's zone.
        command.CommandText = "SET GLOBAL TimeZone = 'UTC'; SET enable_external_access = false; SET lock_configuration = true;";
        await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async Task<QueryResult> ExecuteAsync(string sql, QueryLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        using var timeout = new CancellationTokenSource(limits.Timeout);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        // DuckDB.NET runs queries synchronously; a worker thread keeps the caller's thread free and Cancel interrupts it.
        return await Task.Run(async () =>
        {
            await using var connection = new DuckDBConnection(_connectionString);
            await connection.OpenAsync(linked.Token).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            // A read-only transaction refuses writes in the shared instance too; it is rolled back either way.
            command.CommandText = "BEGIN TRANSACTION READ ONLY";
            await command.ExecuteNonQueryAsync(linked.Token).ConfigureAwait(false);
            command.CommandText = sql;
            using var interrupt = linked.Token.Register(command.Cancel);
            try
            {
                await using var reader = await command.ExecuteReaderAsync(linked.Token).ConfigureAwait(false);
                return await DataReaderResults.ReadAsync(reader, limits.MaxRows, linked.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
            {
                throw new QueryFailedException(QueryErrorCodes.ExecutionTimeout, $"the query ran longer than {limits.Timeout.TotalSeconds:0.###} s and was cancelled", ex);
            }
            catch (DuckDBException ex)
            {
                throw new QueryFailedException(ErrorCodeOf(ex.Message), OneLine(ex.Message), ex);
            }
            finally
            {
                await TryRollbackAsync(connection).ConfigureAwait(false);
            }
        }, CancellationToken.None).ConfigureAwait(false);
    }

    private static async Task TryRollbackAsync(DuckDBConnection connection)
    {
        try
        {
            await using var rollback = connection.CreateCommand();
            rollback.CommandText = "ROLLBACK";
            await rollback.ExecuteNonQueryAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (DuckDBException)
        {
            // A failed statement already ended the transaction; there is nothing left to undo.
        }
        catch (InvalidOperationException)
        {
            // Same: the driver knows the transaction is gone.
        }
    }

    private static int ErrorCodeOf(string message) =>
        message.StartsWith("Parser Error", StringComparison.Ordinal) ? QueryErrorCodes.SqlParsing
        : message.StartsWith("Catalog Error", StringComparison.Ordinal) && message.Contains("does not exist", StringComparison.Ordinal) ? QueryErrorCodes.TableDoesNotExist
        : message.StartsWith("Permission Error", StringComparison.Ordinal) || message.Contains("read-only", StringComparison.OrdinalIgnoreCase) ? QueryErrorCodes.AccessDenied
        : QueryErrorCodes.QueryExecution;

    internal static string OneLine(string message) =>
        string.Join(' ', message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _anchor.DisposeAsync();
}
