using Prometheus;
using StreamingPipeline.Processing;

namespace StreamingPipeline.Observability.Metrics;

/// <summary>
/// Carries a component's <see cref="LatencyHistogram"/> into a prometheus-net histogram with the same buckets at scrape
/// time: each bucket's new values are observed as their mean, which falls in the same bucket, so counts and the sum
/// come out exact without the component ever calling the metrics library.
/// </summary>
internal sealed class HistogramBridge
{
    private readonly LatencyHistogram _source;
    private readonly IHistogram _target;
    private readonly long[] _counts;
    private readonly double[] _sums;
    private readonly long[] _seenCounts;
    private readonly double[] _seenSums;

    public HistogramBridge(LatencyHistogram source, IHistogram target)
    {
        _source = source;
        _target = target;
        var slots = source.Bounds.Count + 1;
        _counts = new long[slots];
        _sums = new double[slots];
        _seenCounts = new long[slots];
        _seenSums = new double[slots];
    }

    /// <summary>The histogram configuration matching <paramref name="source"/>'s buckets.</summary>
    public static HistogramConfiguration Configuration(LatencyHistogram source, params string[] labelNames) =>
        new() { Buckets = [.. source.Bounds], LabelNames = labelNames };

    /// <summary>Observes what <see cref="LatencyHistogram"/> recorded since the last call.</summary>
    public void Update()
    {
        lock (_counts)
        {
            _source.CopyTo(_counts, _sums);
            var bounds = _source.Bounds;
            for (var i = 0; i < _counts.Length; i++)
            {
                var count = _counts[i] - _seenCounts[i];
                if (count <= 0)
                {
                    continue;
                }
                var lower = i == 0 ? double.NegativeInfinity : bounds[i - 1];
                var upper = i == bounds.Count ? double.PositiveInfinity : bounds[i];
                var mean = (_sums[i] - _seenSums[i]) / count;
                // Rounding (the source keeps sums in ticks) may push the mean onto a neighbour's side of a bound.
                var value = Math.Clamp(mean, Math.BitIncrement(lower), upper);
                _target.Observe(value, count);
                _seenCounts[i] = _counts[i];
                _seenSums[i] = _sums[i];
            }
        }
    }
}
