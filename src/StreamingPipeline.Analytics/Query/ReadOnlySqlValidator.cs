using System.Collections.Frozen;

namespace StreamingPipeline.Analytics.Query;

/// <summary>
/// The first of two defences that keep the query API read-only: it reads the SQL as tokens (so comments, quotes and
/// letter case change nothing) and accepts one statement that starts like a query, contains no keyword that writes or
/// changes settings, calls no function that reaches files, other databases or other statements, and reads no file
/// named in FROM. The second defence is the database session itself (see <see cref="DuckDbQueryStore"/> and
/// <see cref="PostgresQueryStore"/>), so a spelling this list misses still cannot write or read a file.
/// </summary>
internal static class ReadOnlySqlValidator
{
    /// <summary>Longest SQL text accepted, in characters.</summary>
    public const int MaxSqlLength = 100_000;

    private static readonly FrozenSet<string> StatementStarts = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
        "SELECT", "WITH", "VALUES", "FROM", "TABLE", "EXPLAIN", "DESCRIBE", "SHOW", "SUMMARIZE");

    /// <summary>Keywords that only appear in statements that write, attach, load, export or change settings.</summary>
    private static readonly FrozenSet<string> DeniedKeywords = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
        "INSERT", "UPDATE", "DELETE", "MERGE", "UPSERT", "CREATE", "DROP", "ALTER", "TRUNCATE", "GRANT", "REVOKE",
        "COPY", "ATTACH", "DETACH", "INSTALL", "LOAD", "PRAGMA", "SET", "RESET", "EXPORT", "IMPORT", "CALL",
        "CHECKPOINT", "VACUUM", "INTO", "LOCK", "EXECUTE", "PREPARE", "DEALLOCATE", "LISTEN", "NOTIFY", "UNLISTEN",
        "REFRESH", "REINDEX", "CLUSTER", "COMMENT", "SECURITY", "USE", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT",
        "RELEASE", "DISCARD", "DO");

    /// <summary>Functions that read or list files, reach other databases, run SQL from a string, or change state.</summary>
    private static readonly FrozenSet<string> DeniedFunctions = FrozenSet.Create(StringComparer.OrdinalIgnoreCase,
        "glob", "sniff_csv", "query", "query_table", "getenv", "checkpoint", "force_checkpoint", "set_config",
        "nextval", "setval", "currval", "lastval", "st_read", "csv_scan", "json_execute_serialized_sql",
        "current_setting_set", "txid_current", "pg_current_xact_id", "dblink", "load_extension");

    /// <summary>Function-name prefixes with the same reach (DuckDB's readers and scanners, PostgreSQL's admin functions).</summary>
    private static readonly string[] DeniedFunctionPrefixes =
    [
        "read_", "parquet_", "iceberg_", "delta_", "sqlite_", "postgres_", "mysql_", "duckdb_secret", "json_execute",
        "lo_", "dblink", "pg_read", "pg_ls_", "pg_stat_file", "pg_file", "pg_terminate", "pg_cancel", "pg_reload",
        "pg_rotate", "pg_promote", "pg_switch", "pg_create", "pg_drop", "pg_replication", "pg_logical", "pg_advisory",
        "pg_notify", "pg_import", "pg_export", "pg_backup", "pg_start", "pg_stop", "pg_wal", "pg_log",
    ];

    /// <summary>Checks <paramref name="sql"/>; returns null when it may run, otherwise a one-line reason.</summary>
    public static string? Validate(string sql)
    {
        if (string.IsNullOrWhiteSpace(sql))
        {
            return "the query is empty";
        }
        if (sql.Length > MaxSqlLength)
        {
            return $"the query is longer than {MaxSqlLength} characters";
        }
        if (sql.Contains('\0', StringComparison.Ordinal))
        {
            return "the query contains a NUL character";
        }
        if (!SqlTokenizer.TryTokenize(sql, out var tokens, out var error))
        {
            return error;
        }
        var end = tokens.Count;
        while (end > 0 && tokens[end - 1].IsSymbol(';'))
        {
            end--;
        }
        if (end == 0)
        {
            return "the query is empty";
        }
        for (var i = 0; i < end; i++)
        {
            if (tokens[i].IsSymbol(';'))
            {
                return "only one statement is allowed";
            }
        }
        var first = 0;
        while (first < end && tokens[first].IsSymbol('('))
        {
            first++;
        }
        if (first == end || tokens[first].Kind != SqlTokenKind.Word || !StatementStarts.Contains(tokens[first].Text))
        {
            return "only read-only queries are allowed (SELECT, WITH, VALUES, FROM, TABLE, EXPLAIN, DESCRIBE, SHOW, SUMMARIZE)";
        }
        for (var i = first; i < end; i++)
        {
            var token = tokens[i];
            if (token.Kind == SqlTokenKind.Word && DeniedKeywords.Contains(token.Text))
            {
                return $"{token.Text.ToUpperInvariant()} is not allowed: the query API is read-only";
            }
            var isCall = i + 1 < end && tokens[i + 1].IsSymbol('(');
            if (isCall && token.Kind is SqlTokenKind.Word or SqlTokenKind.QuotedIdentifier && IsDeniedFunction(token.Text))
            {
                return $"function {token.Text.ToLowerInvariant()} is not allowed: the query API reads only the analytics tables";
            }
            var afterFromOrJoin = i > 0 && (tokens[i - 1].IsWord("FROM") || tokens[i - 1].IsWord("JOIN"));
            if (afterFromOrJoin && (token.Kind == SqlTokenKind.String || (token.Kind == SqlTokenKind.QuotedIdentifier && LooksLikePath(token.Text))))
            {
                return "reading files is not allowed: the query API reads only the analytics tables";
            }
        }
        return null;
    }

    private static bool IsDeniedFunction(string name)
    {
        if (DeniedFunctions.Contains(name))
        {
            return true;
        }
        foreach (var prefix in DeniedFunctionPrefixes)
        {
            if (name.StartsWith(prefix, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }
        return false;
    }

    /// <summary>DuckDB reads a quoted table name that looks like a file (<c>"events.csv"</c>) as that file.</summary>
    private static bool LooksLikePath(string name) => name.IndexOfAny(['.', '/', '\\', ':', '*', '?']) >= 0;
}
