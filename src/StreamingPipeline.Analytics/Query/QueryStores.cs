using Npgsql;

namespace StreamingPipeline.Analytics.Query;

/// <summary>
/// Opens the store a command line names for querying, in the syntax <c>pipeline ingest --store</c> takes:
/// <c>duckdb</c> (./data/analytics.duckdb), <c>duckdb:PATH</c>, <c>postgres://user:pw@host:port/db</c> or
/// <c>postgres:Host=...;Database=...</c>. A DuckDB file is opened read-only, so it must not be open in another process.
/// </summary>
public static class QueryStores
{
    /// <summary>The DuckDB file the ingester and <c>pipeline up</c> write by default.</summary>
    public static readonly string DefaultDuckDbPath = Path.Combine(".", "data", "analytics.duckdb");

    /// <summary>Checks the syntax of <paramref name="spec"/> without opening anything; null when it is fine.</summary>
    public static string? Validate(string spec) => TryResolve(spec, out _, out _, out var error) ? null : error;

    /// <summary>Opens the store <paramref name="spec"/> names; the message of a failure is one line.</summary>
    public static async Task<IQueryStore> OpenAsync(string spec, CancellationToken cancellationToken)
    {
        if (!TryResolve(spec, out var duckDbPath, out var postgres, out var error))
        {
            throw new ArgumentException(error, nameof(spec));
        }
        if (postgres is not null)
        {
            return await PostgresQueryStore.OpenAsync(postgres, cancellationToken).ConfigureAwait(false);
        }
        if (!File.Exists(duckDbPath))
        {
            throw new FileNotFoundException($"no DuckDB database at {Path.GetFullPath(duckDbPath!)}", duckDbPath);
        }
        return await DuckDbQueryStore.OpenAsync(duckDbPath!, readOnly: true, cancellationToken).ConfigureAwait(false);
    }

    private static bool TryResolve(string spec, out string? duckDbPath, out string? postgres, out string? error)
    {
        duckDbPath = null;
        postgres = null;
        error = null;
        var text = (spec ?? "").Trim();
        if (text.Equals("duckdb", StringComparison.OrdinalIgnoreCase))
        {
            duckDbPath = DefaultDuckDbPath;
            return true;
        }
        if (text.StartsWith("duckdb:", StringComparison.OrdinalIgnoreCase) && text.Length > "duckdb:".Length)
        {
            duckDbPath = text["duckdb:".Length..];
            return true;
        }
        if (text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
            {
                error = $"'{text}' is not a postgres:// URL (postgres://user:password@host:port/database)";
                return false;
            }
            var builder = new NpgsqlConnectionStringBuilder { Host = uri.Host, Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port };
            var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
            builder.Database = database.Length > 0 ? database : "postgres";
            if (uri.UserInfo.Length > 0)
            {
                var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
                builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
                if (colon >= 0)
                {
                    builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
                }
            }
            postgres = builder.ConnectionString;
            return true;
        }
        if (text.StartsWith("postgres:", StringComparison.OrdinalIgnoreCase))
        {
            try
            {
                postgres = new NpgsqlConnectionStringBuilder(text["postgres:".Length..]).ConnectionString;
                return true;
            }
            catch (ArgumentException ex)
            {
                error = $"bad PostgreSQL connection string: {ex.Message}";
                return false;
            }
        }
        error = $"unknown store '{text}'; expected duckdb, duckdb:PATH, postgres://user@host:port/database or postgres:Host=...;Database=...";
        return false;
    }
}
