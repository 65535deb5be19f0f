using Confluent.Kafka;
using Confluent.Kafka.Admin;

namespace StreamingPipeline.Observability.Console;

/// <summary>
/// Reads the <see cref="ClusterOverview"/> the pipeline page polls, cheaply: one admin client for the console's
/// lifetime, topic and group lists cached for <see cref="WebConsoleOptions.MetadataCacheTime"/>, and one overview
/// shared by every request within <see cref="WebConsoleOptions.OverviewCacheTime"/>. It reads offsets only, never
/// records, so its cost does not grow with the traffic.
/// </summary>
internal sealed class KafkaOverviewReader : IDisposable
{
    private readonly IAdminClient _admin;
    private readonly WebConsoleOptions _options;
    private readonly TimeProvider _time;
    private readonly SemaphoreSlim _refresh = new(1, 1);
    private ClusterOverview? _overview;
    private long _overviewRead;
    private IReadOnlyList<(string Topic, int Partitions)> _topics = [];
    private IReadOnlyList<(string Group, string State)> _groups = [];
    private long _metadataRead = long.MinValue;

    public KafkaOverviewReader(IAdminClient admin, WebConsoleOptions options, TimeProvider time)
    {
        _admin = admin;
        _options = options;
        _time = time;
    }

    /// <summary>The latest overview, read again when the cached one is older than the cache time.</summary>
    public async Task<ClusterOverview> ReadAsync(CancellationToken cancellationToken)
    {
        if (Fresh(_overview, _overviewRead, _options.OverviewCacheTime) is { } cached)
        {
            return cached;
        }
        await _refresh.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (Fresh(_overview, _overviewRead, _options.OverviewCacheTime) is { } other)
            {
                return other;
            }
            var overview = await ReadNowAsync().ConfigureAwait(false);
            _overview = overview;
            _overviewRead = _time.GetTimestamp();
            return overview;
        }
        finally
        {
            _refresh.Release();
        }
    }

    private ClusterOverview? Fresh(ClusterOverview? overview, long readAt, TimeSpan maxAge) =>
        overview is not null && _time.GetElapsedTime(readAt) < maxAge ? overview : null;

    private async Task<ClusterOverview> ReadNowAsync()
    {
        if (_time.GetElapsedTime(_metadataRead) >= _options.MetadataCacheTime || _topics.Count == 0)
        {
            await ReadMetadataAsync().ConfigureAwait(false);
        }
        var now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        var ends = await ReadEndOffsetsAsync().ConfigureAwait(false);
        var topics = _topics
            .Select(t =>
            {
                var partitions = Enumerable.Range(0, t.Partitions)
                    .Select(p => new PartitionEndOffset(p, ends.GetValueOrDefault(new TopicPartition(t.Topic, p), 0)))
                    .ToList();
                return new TopicEndOffsets(t.Topic, partitions.Sum(p => p.End), partitions);
            })
            .ToList();
        var groups = new List<GroupLag>();
        foreach (var (group, state) in _groups)
        {
            var committed = await _admin.ListConsumerGroupOffsetsAsync(
                [new ConsumerGroupTopicPartitions(group, null)],
                new ListConsumerGroupOffsetsOptions { RequestTimeout = _options.RequestTimeout }).ConfigureAwait(false);
            var partitions = committed.SelectMany(r => r.Partitions)
                .Where(p => p.Offset.Value >= 0)
                .OrderBy(p => p.Topic, StringComparer.Ordinal).ThenBy(p => p.Partition.Value)
                .Select(p =>
                {
                    var end = ends.GetValueOrDefault(p.TopicPartition, p.Offset.Value);
                    return new PartitionLag(p.Topic, p.Partition.Value, p.Offset.Value, end, Math.Max(0, end - p.Offset.Value));
                })
                .ToList();
            groups.Add(new GroupLag(group, state, partitions.Sum(p => p.Lag), partitions));
        }
        return new ClusterOverview(now, topics, groups);
    }

    private async Task ReadMetadataAsync()
    {
        var timeout = _options.RequestTimeout;
        // GetMetadata blocks on librdkafka's thread; run it off the request thread.
        var metadata = await Task.Run(() => _admin.GetMetadata(timeout)).ConfigureAwait(false);
        _topics = metadata.Topics
            .Where(t => t.Error.Code == ErrorCode.NoError && !t.Topic.StartsWith("__", StringComparison.Ordinal))
            .OrderBy(t => t.Topic, StringComparer.Ordinal)
            .Select(t => (t.Topic, t.Partitions.Count))
            .ToList();
        var groups = await _admin.ListConsumerGroupsAsync(new ListConsumerGroupsOptions { RequestTimeout = timeout }).ConfigureAwait(false);
        _groups = groups.Valid
            .OrderBy(g => g.GroupId, StringComparer.Ordinal)
            .Take(MaxGroups)
            .Select(g => (g.GroupId, g.State.ToString()))
            .ToList();
        _metadataRead = _time.GetTimestamp();
    }

    private async Task<Dictionary<TopicPartition, long>> ReadEndOffsetsAsync()
    {
        var specs = _topics
            .SelectMany(t => Enumerable.Range(0, t.Partitions).Select(p => new TopicPartitionOffsetSpec
            {
                TopicPartition = new TopicPartition(t.Topic, p),
                OffsetSpec = OffsetSpec.Latest(),
            }))
            .ToList();
        if (specs.Count == 0)
        {
            return [];
        }
        var result = await _admin.ListOffsetsAsync(specs, new ListOffsetsOptions
        {
            RequestTimeout = _options.RequestTimeout,
            IsolationLevel = IsolationLevel.ReadCommitted,
        }).ConfigureAwait(false);
        return result.ResultInfos
            .Where(r => r.TopicPartitionOffsetError.Error.Code == ErrorCode.NoError)
            .ToDictionary(r => r.TopicPartitionOffsetError.TopicPartition, r => r.TopicPartitionOffsetError.Offset.Value);
    }

    /// <summary>Bounds the per-poll work on a cluster with many groups; the pipeline has two.</summary>
    private const int MaxGroups = 50;

    public void Dispose() => _refresh.Dispose();
}
