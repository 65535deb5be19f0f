using System.Collections;
using System.Globalization;
using System.Numerics;

namespace StreamingPipeline.Analytics.Query;

/// <summary>
/// Turns the values a database driver returns into the JSON-ready values of a <see cref="QueryResult"/>, the way Pinot
/// renders them: timestamps as UTC <c>yyyy-MM-dd HH:mm:ss.fff</c>, bytes as hex, UUIDs and everything else as text.
/// </summary>
public static class QueryValues
{
    /// <summary>The JSON-ready form of <paramref name="value"/>.</summary>
    public static object? Normalize(object? value) => value switch
    {
        null or DBNull => null,
        string or bool or int or long or double or float or decimal => value,
        short s => (int)s,
        sbyte sb => (int)sb,
        byte b => (int)b,
        ushort us => (int)us,
        uint ui => (long)ui,
        ulong ul => (decimal)ul,
        BigInteger big => (decimal)big,
        Int128 i128 => (decimal)i128,
        UInt128 u128 => (decimal)u128,
        DateTime dt => FormatTimestamp(dt.Kind == DateTimeKind.Local ? dt.ToUniversalTime() : dt),
        DateTimeOffset dto => FormatTimestamp(dto.UtcDateTime),
        DateOnly d => d.ToString("yyyy-MM-dd", CultureInfo.InvariantCulture),
        Guid g => g.ToString(),
        byte[] bytes => Convert.ToHexStringLower(bytes),
        IDictionary dictionary => dictionary.Keys.Cast<object>().ToDictionary(k => Convert.ToString(k, CultureInfo.InvariantCulture) ?? "", k => Normalize(dictionary[k])),
        IEnumerable items => items.Cast<object?>().Select(Normalize).ToArray(),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString(),
    };

    private static string FormatTimestamp(DateTime utc) => utc.ToString("yyyy-MM-dd HH:mm:ss.fff", CultureInfo.InvariantCulture);
}
