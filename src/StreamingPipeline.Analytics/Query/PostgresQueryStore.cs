using System.Globalization;
using Npgsql;

namespace StreamingPipeline.Analytics.Query;

/// <summary>
/// Runs queries on PostgreSQL. The database's own protections back the validator: every query runs in a
/// <c>READ ONLY</c> transaction (always rolled back) with <c>statement_timeout</c> set to the query timeout and
/// <c>standard_conforming_strings</c> on (so the validator and the server read quotes alike). When the connection's
/// user is a superuser, the store creates the role <see cref="ReaderRole"/> (no login, SELECT on the public schema's
/// tables only) and each transaction runs as that role, so even a missed spelling of <c>pg_read_file</c>,
/// <c>COPY … PROGRAM</c> or <c>lo_import</c> finds no privilege. Better still, connect as a role without superuser.
/// </summary>
public sealed class PostgresQueryStore : IQueryStore
{
    /// <summary>The role queries run as when the connection's user is a superuser.</summary>
    public const string ReaderRole = "pipeline_query_reader";

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _switchRole;

    private PostgresQueryStore(NpgsqlDataSource dataSource, bool switchRole)
    {
        _dataSource = dataSource;
        _switchRole = switchRole;
    }

    /// <inheritdoc />
    public string Kind => "postgres";

    /// <summary>Connects with <paramref name="connectionString"/> (an Npgsql connection string) and prepares the reader role when needed.</summary>
    public static async Task<PostgresQueryStore> OpenAsync(string connectionString, CancellationToken cancellationToken)
    {
        var dataSource = NpgsqlDataSource.Create(connectionString);
        try
        {
            await using var connection = await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
            await using var command = connection.CreateCommand();
            command.CommandText = "SELECT rolsuper FROM pg_roles WHERE rolname = current_user";
            var superuser = await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false) is true;
            if (superuser)
            {
                await EnsureReaderRoleAsync(connection, cancellationToken).ConfigureAwait(false);
            }
            return new PostgresQueryStore(dataSource, superuser);
        }
        catch
        {
            await dataSource.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static async Task EnsureReaderRoleAsync(NpgsqlConnection connection, CancellationToken cancellationToken)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = $"""
            DO $$ BEGIN
                CREATE ROLE {ReaderRole} NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOINHERIT;
            EXCEPTION WHEN duplicate_object THEN NULL;
            END $$;
            GRANT USAGE ON SCHEMA public TO {ReaderRole};
            GRANT SELECT ON ALL TABLES IN SCHEMA public TO {ReaderRole};
            ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO {ReaderRole};
            """;
        try
        {
            await command.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (PostgresException ex) when (ex.SqlState is PostgresErrorCodes.UniqueViolation or PostgresErrorCodes.DuplicateObject)
        {
            // Two servers starting at once both created the role; the other one's grants are the same.
        }
    }

    /// <inheritdoc />
    public async Task<QueryResult> ExecuteAsync(string sql, QueryLimits limits, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(limits);
        using var timeout = new CancellationTokenSource(limits.Timeout + TimeSpan.FromSeconds(2));
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancellationToken);
        try
        {
            await using var connection = await _dataSource.OpenConnectionAsync(linked.Token).ConfigureAwait(false);
            await using var transaction = await connection.BeginTransactionAsync(linked.Token).ConfigureAwait(false);
            await using (var setup = connection.CreateCommand())
            {
                var milliseconds = Math.Max(1, (long)limits.Timeout.TotalMilliseconds).ToString(CultureInfo.InvariantCulture);
                setup.CommandText = "SET TRANSACTION READ ONLY; SET LOCAL statement_timeout = " + milliseconds
                    + "; SET LOCAL standard_conforming_strings = on; SET LOCAL TimeZone = 'UTC';" + (_switchRole ? $" SET LOCAL ROLE {ReaderRole};" : "");
                await setup.ExecuteNonQueryAsync(linked.Token).ConfigureAwait(false);
            }
            await using var command = connection.CreateCommand();
            command.CommandText = sql;
            // statement_timeout ends the query on the server; the client-side timeout is a backstop for a lost server.
            command.CommandTimeout = 0;
            await using var reader = await command.ExecuteReaderAsync(linked.Token).ConfigureAwait(false);
            var result = await DataReaderResults.ReadAsync(reader, limits.MaxRows, linked.Token).ConfigureAwait(false);
            await reader.DisposeAsync().ConfigureAwait(false);
            await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            return result;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.QueryCanceled && !cancellationToken.IsCancellationRequested)
        {
            throw new QueryFailedException(QueryErrorCodes.ExecutionTimeout, $"the query ran longer than {limits.Timeout.TotalSeconds:0.###} s and was cancelled ({ex.MessageText})", ex);
        }
        catch (PostgresException ex)
        {
            throw new QueryFailedException(ErrorCodeOf(ex.SqlState), $"{ex.Severity}: {DuckDbQueryStore.OneLine(ex.MessageText)} (SQLSTATE {ex.SqlState})", ex);
        }
        catch (OperationCanceledException ex) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new QueryFailedException(QueryErrorCodes.ExecutionTimeout, $"the query ran longer than {limits.Timeout.TotalSeconds:0.###} s and was cancelled", ex);
        }
        catch (NpgsqlException ex) when (!cancellationToken.IsCancellationRequested)
        {
            throw new QueryFailedException(QueryErrorCodes.QueryExecution, DuckDbQueryStore.OneLine(ex.Message), ex);
        }
    }

    private static int ErrorCodeOf(string sqlState) => sqlState switch
    {
        PostgresErrorCodes.SyntaxError => QueryErrorCodes.SqlParsing,
        PostgresErrorCodes.UndefinedTable => QueryErrorCodes.TableDoesNotExist,
        PostgresErrorCodes.InsufficientPrivilege or PostgresErrorCodes.ReadOnlySqlTransaction => QueryErrorCodes.AccessDenied,
        _ => QueryErrorCodes.QueryExecution,
    };

    /// <inheritdoc />
    public ValueTask DisposeAsync() => _dataSource.DisposeAsync();
}
