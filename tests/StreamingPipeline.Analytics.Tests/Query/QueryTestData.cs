using System.Globalization;

namespace StreamingPipeline.Analytics.Tests.Query;

/// <summary>
/// A deterministic set of user events both stores load with their own SQL (DuckDB's range, PostgreSQL's
/// generate_series) and the tests compute expectations from: event i belongs to user i/40, happens 7 s after event
/// i-1, and its type cycles page_view ×6, click ×2, add_to_cart, then purchase (even users) or click (odd users).
/// </summary>
internal static class QueryTestData
{
    public const int Rows = 2000;

    public static readonly DateTime Start = new(2026, 12, 2, 10, 0, 0, DateTimeKind.Utc);

    /// <summary>The event-type expression over i, valid in both dialects given integer division <paramref name="div"/>.</summary>
    public static string EventTypeSql(string div) =>
        $"CASE WHEN i % 10 < 6 THEN 'page_view' WHEN i % 10 < 8 THEN 'click' WHEN i % 10 = 8 THEN 'add_to_cart' WHEN (i {div} 40) % 2 = 0 THEN 'purchase' ELSE 'click' END";

    public const string DuckDbInsert = """
        INSERT INTO user_events
        SELECT ('00000000-0000-0000-0000-' || lpad(i::VARCHAR, 12, '0'))::UUID, 'user-' || (i // 40), {0},
               '/page/' || (i % 7), 'session-' || (i // 20), TIMESTAMP '2026-12-02 10:00:00' + to_seconds(7 * i),
               (i % 8)::INTEGER, i
        FROM range({1}) AS t(i)
        """;

    public const string PostgresInsert = """
        INSERT INTO user_events
        SELECT ('00000000-0000-0000-0000-' || lpad(i::text, 12, '0'))::uuid, 'user-' || (i / 40), {0},
               '/page/' || (i % 7), 'session-' || (i / 20), TIMESTAMPTZ '2026-12-02 10:00:00+00' + make_interval(secs => 7 * i),
               i % 8, i
        FROM generate_series(0, {1} - 1) AS t(i)
        """;

    public static string DuckDbInsertSql(int rows = Rows) => string.Format(CultureInfo.InvariantCulture, DuckDbInsert, EventTypeSql("//"), rows);

    public static string PostgresInsertSql(int rows = Rows) => string.Format(CultureInfo.InvariantCulture, PostgresInsert, EventTypeSql("/"), rows);

    public static IEnumerable<Event> Events() => Enumerable.Range(0, Rows).Select(i => new Event(
        $"00000000-0000-0000-0000-{i:D12}",
        $"user-{i / 40}",
        (i % 10) switch
        {
            < 6 => "page_view",
            < 8 => "click",
            8 => "add_to_cart",
            _ => i / 40 % 2 == 0 ? "purchase" : "click",
        },
        Start.AddSeconds(7 * i)));

    public static string Pinot(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);

    internal sealed record Event(string EventId, string UserId, string EventType, DateTime Timestamp);
}
