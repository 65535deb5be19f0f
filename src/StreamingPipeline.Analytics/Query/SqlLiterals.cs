using System.Globalization;

namespace StreamingPipeline.Analytics.Query;

/// <summary>SQL literals that mean the same on both stores and keep their filters on the fast path.</summary>
public static class SqlLiterals
{
    /// <summary>
    /// <paramref name="instant"/> as a UTC <c>TIMESTAMP</c> literal, to the microsecond. DuckDB's <c>"timestamp"</c> is a
    /// UTC <c>TIMESTAMP</c>, so the comparison is plain and can skip row groups; a <c>TIMESTAMPTZ</c> value there
    /// (<c>to_timestamp()</c>, <c>now()</c>) converts every row through ICU instead. PostgreSQL converts the literal
    /// once with the session's zone, which the query store sets to UTC.
    /// </summary>
    public static string UtcTimestamp(DateTimeOffset instant) =>
        "TIMESTAMP '" + instant.UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture) + "'";
}
