using System.Diagnostics.CodeAnalysis;
using Npgsql;

namespace StreamingPipeline.Analytics.Stores;

/// <summary>
/// Which store a command line names: <c>duckdb</c> (the default file), <c>duckdb:PATH</c>, <c>postgres://user:pw@host:port/db</c>
/// (also <c>postgresql://</c>), or <c>postgres:</c> followed by an Npgsql connection string (<c>Host=...;Database=...</c>).
/// </summary>
public sealed record AnalyticsStoreLocation
{
    /// <summary>The DuckDB file used when no path is given.</summary>
    public static readonly string DefaultDuckDbPath = Path.Combine(".", "data", "analytics.duckdb");

    private AnalyticsStoreLocation(string? duckDbPath, string? postgresConnectionString)
    {
        DuckDbPath = duckDbPath;
        PostgresConnectionString = postgresConnectionString;
    }

    /// <summary>The DuckDB file, or null for PostgreSQL.</summary>
    public string? DuckDbPath { get; }

    /// <summary>The Npgsql connection string, or null for DuckDB.</summary>
    public string? PostgresConnectionString { get; }

    /// <summary>True for PostgreSQL.</summary>
    public bool IsPostgres => PostgresConnectionString is not null;

    /// <summary>The default store: DuckDB at <see cref="DefaultDuckDbPath"/>.</summary>
    public static AnalyticsStoreLocation DefaultDuckDb { get; } = new(DefaultDuckDbPath, null);

    /// <summary>A DuckDB file.</summary>
    public static AnalyticsStoreLocation DuckDb(string path) => new(path, null);

    /// <summary>A PostgreSQL database.</summary>
    public static AnalyticsStoreLocation Postgres(string connectionString) => new(null, connectionString);

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="error"/> says why in one line.</summary>
    public static bool TryParse(string text, [NotNullWhen(true)] out AnalyticsStoreLocation? location, [NotNullWhen(false)] out string? error)
    {
        location = null;
        error = null;
        text = (text ?? "").Trim();
        if (text.Equals("duckdb", StringComparison.OrdinalIgnoreCase))
        {
            location = DefaultDuckDb;
            return true;
        }
        if (text.StartsWith("duckdb:", StringComparison.OrdinalIgnoreCase))
        {
            var path = text["duckdb:".Length..];
            if (path.Length == 0)
            {
                error = "duckdb: needs a file path, e.g. duckdb:./data/analytics.duckdb";
                return false;
            }
            location = DuckDb(path);
            return true;
        }
        if (text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            return TryParseUrl(text, out location, out error);
        }
        if (text.StartsWith("postgres:", StringComparison.OrdinalIgnoreCase))
        {
            return TryConnectionString(text["postgres:".Length..], out location, out error);
        }
        error = $"unknown store '{text}'; expected duckdb, duckdb:PATH, postgres://user@host:port/database or postgres:Host=...;Database=...";
        return false;
    }

    /// <summary>Creates the store (not yet opened).</summary>
    public IAnalyticsStore CreateStore() =>
        PostgresConnectionString is { } connectionString ? new PostgresAnalyticsStore(connectionString) : new DuckDbAnalyticsStore(DuckDbPath!);

    private static bool TryParseUrl(string text, out AnalyticsStoreLocation? location, out string? error)
    {
        location = null;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            error = $"'{text}' is not a postgres:// URL (postgres://user:password@host:port/database).";
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
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            var key = Uri.UnescapeDataString(eq < 0 ? pair : pair[..eq]);
            var value = eq < 0 ? "" : Uri.UnescapeDataString(pair[(eq + 1)..]);
            try
            {
                builder[key.Equals("sslmode", StringComparison.OrdinalIgnoreCase) ? "SSL Mode" : key] = value;
            }
            catch (ArgumentException ex)
            {
                error = $"bad parameter '{key}' in the postgres URL: {ex.Message}";
                return false;
            }
        }
        return TryConnectionString(builder.ConnectionString, out location, out error);
    }

    private static bool TryConnectionString(string connectionString, out AnalyticsStoreLocation? location, out string? error)
    {
        location = null;
        error = null;
        try
        {
            var builder = new NpgsqlConnectionStringBuilder(connectionString);
            if (string.IsNullOrEmpty(builder.Host))
            {
                error = "the PostgreSQL connection string names no Host.";
                return false;
            }
            location = Postgres(builder.ConnectionString);
            return true;
        }
        catch (ArgumentException ex)
        {
            error = $"bad PostgreSQL connection string: {ex.Message}";
            return false;
        }
    }
}
