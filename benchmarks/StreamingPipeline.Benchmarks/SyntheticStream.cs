using StreamingPipeline.Jobs.Dedup;

namespace StreamingPipeline.Benchmarks;

/// <summary>
/// A pre-built event stream for state benchmarks, so generation costs nothing during the measurement: uniform
/// users, event time spread evenly over 1.5 windows, 5 % re-sends of an earlier event (its id, user and
/// timestamp) from within the last window.
/// </summary>
public sealed class SyntheticStream
{
    private SyntheticStream(int count, int users)
    {
        Ids = new Guid[count];
        UserOf = new int[count];
        Timestamps = new long[count];
        Users = new string[users];
    }

    public int Count => Ids.Length;

    public Guid[] Ids { get; }

    public int[] UserOf { get; }

    public long[] Timestamps { get; }

    public string[] Users { get; }

    public static SyntheticStream Create(int count, int users, int seed, DedupWindow window)
    {
        var stream = new SyntheticStream(count, users);
        for (var u = 0; u < users; u++)
        {
            stream.Users[u] = "u-" + u.ToString("D7", System.Globalization.CultureInfo.InvariantCulture);
        }
        var random = new Random(seed);
        var start = 1_767_225_600_000L;
        var span = window.WindowMs * 3 / 2;
        var perWindow = (int)((long)count * window.WindowMs / span);
        Span<byte> id = stackalloc byte[16];
        for (var i = 0; i < count; i++)
        {
            if (i > 0 && random.NextDouble() < 0.05)
            {
                var original = i - 1 - random.Next(0, Math.Min(i, perWindow * 9 / 10));
                stream.Ids[i] = stream.Ids[original];
                stream.UserOf[i] = stream.UserOf[original];
                stream.Timestamps[i] = stream.Timestamps[original];
                continue;
            }
            random.NextBytes(id);
            stream.Ids[i] = new Guid(id);
            stream.UserOf[i] = random.Next(0, users);
            stream.Timestamps[i] = start + (span * i / count);
        }
        return stream;
    }
}
