using System.Globalization;
using Microsoft.AspNetCore.Http;
using StreamingPipeline.Observability.Inspection;

namespace StreamingPipeline.Observability.Console;

/// <summary>
/// Reads the message browser's query string: <c>partition</c>, <c>start=newest|beginning|offset|time</c>,
/// <c>offset</c>, <c>time</c> (ISO 8601 or Unix milliseconds), <c>limit</c> (1..<see cref="MaxLimit"/>),
/// <c>isolation=read_committed|read_uncommitted</c> and <c>filter</c>. Every read is bounded by the limit and a timeout.
/// </summary>
internal static class MessageQueryParameters
{
    /// <summary>The most records one request returns.</summary>
    public const int MaxLimit = 500;

    /// <summary>The records a request returns when it names no limit.</summary>
    public const int DefaultLimit = 50;

    /// <summary>The longest one read may take before it returns what it has.</summary>
    public static readonly TimeSpan ReadTimeout = TimeSpan.FromSeconds(5);

    public static bool TryParse(string topic, IQueryCollection query, out MessageQuery result, out string error)
    {
        result = new MessageQuery(topic);
        error = "";
        int? partition = null;
        if (query["partition"].ToString() is { Length: > 0 } p && p != "all")
        {
            if (!int.TryParse(p, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                error = $"partition must be a number, not '{p}'";
                return false;
            }
            partition = n;
        }
        var limit = DefaultLimit;
        if (query["limit"].ToString() is { Length: > 0 } l && (!int.TryParse(l, NumberStyles.None, CultureInfo.InvariantCulture, out limit) || limit is < 1 or > MaxLimit))
        {
            error = $"limit must be between 1 and {MaxLimit}, not '{l}'";
            return false;
        }
        var isolation = query["isolation"].ToString() switch
        {
            "" or "read_committed" => ReadIsolation.ReadCommitted,
            "read_uncommitted" => (ReadIsolation?)ReadIsolation.ReadUncommitted,
            _ => null,
        };
        if (isolation is null)
        {
            error = $"isolation must be read_committed or read_uncommitted, not '{query["isolation"]}'";
            return false;
        }
        long? offset = null;
        long? time = null;
        MessageStart start;
        switch (query["start"].ToString())
        {
            case "" or "newest":
                start = MessageStart.Newest;
                break;
            case "beginning":
                start = MessageStart.Beginning;
                break;
            case "offset":
                start = MessageStart.Offset;
                if (!long.TryParse(query["offset"], NumberStyles.None, CultureInfo.InvariantCulture, out var o))
                {
                    error = $"start=offset needs offset=N (N >= 0), not '{query["offset"]}'";
                    return false;
                }
                offset = o;
                break;
            case "time":
                start = MessageStart.Timestamp;
                if (!TryParseTime(query["time"].ToString(), out var t))
                {
                    error = $"start=time needs time=2026-01-31T12:00:00Z (or Unix milliseconds), not '{query["time"]}'";
                    return false;
                }
                time = t;
                break;
            default:
                error = $"start must be newest, beginning, offset or time, not '{query["start"]}'";
                return false;
        }
        var filter = query["filter"].ToString();
        result = new MessageQuery(topic)
        {
            Partition = partition,
            Start = start,
            Offset = offset,
            TimestampUnixMs = time,
            MaxMessages = limit,
            Isolation = isolation.Value,
            Filter = filter.Length == 0 ? null : filter,
            Timeout = ReadTimeout,
        };
        return true;
    }

    private static bool TryParseTime(string text, out long unixMs)
    {
        if (long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out unixMs))
        {
            return true;
        }
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            unixMs = time.ToUnixTimeMilliseconds();
            return true;
        }
        return false;
    }
}
