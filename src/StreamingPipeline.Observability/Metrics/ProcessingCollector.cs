using System.Globalization;
using Prometheus;
using StreamingPipeline.Processing;

namespace StreamingPipeline.Observability.Metrics;

/// <summary>Publishes one job instance's <see cref="ProcessingMetrics"/> as the <c>processing_*</c> metrics (docs/metrics.md).</summary>
internal sealed class ProcessingCollector
{
    private readonly string _job;
    private readonly ProcessingMetrics _source;
    private readonly Counter _in;
    private readonly Counter _out;
    private readonly Counter _dropped;
    private readonly Counter _dlq;
    private readonly Counter.Child _committed;
    private readonly Counter.Child _aborted;
    private readonly Counter.Child _committedRecords;
    private readonly Counter.Child _rebuilds;
    private readonly Gauge.Child _assigned;
    private readonly Gauge _lag;
    private readonly Gauge _restore;
    private readonly Gauge _keys;
    private readonly Gauge _buckets;
    private readonly Gauge _disk;
    private readonly Gauge _memtable;
    private readonly Gauge _blockCache;
    private readonly HistogramBridge _commitLatency;
    private readonly HashSet<int> _published = [];

    public ProcessingCollector(MetricFactory factory, string job, ProcessingMetrics source)
    {
        _job = job;
        _source = source;
        string[] perTask = ["job", "partition"];
        _in = factory.CreateCounter("processing_records_in_total", "Input records processed per task (input partition), including ones processed again after an abort.", perTask);
        _out = factory.CreateCounter("processing_records_out_total", "Output records emitted per task.", perTask);
        _dropped = factory.CreateCounter("processing_duplicates_dropped_total", "Input records that produced neither output nor dead letter (duplicates, for dedup), per task.", perTask);
        _dlq = factory.CreateCounter("processing_dlq_records_total", "Records sent to the dead-letter topic, by reason (the DLQ record's code header).", "job", "reason");
        _committed = factory.CreateCounter("processing_transactions_committed_total", "Kafka transactions committed.", "job").WithLabels(job);
        _aborted = factory.CreateCounter("processing_transactions_aborted_total", "Kafka transactions aborted.", "job").WithLabels(job);
        _committedRecords = factory.CreateCounter("processing_committed_records_total", "Input records whose offsets were committed in a transaction.", "job").WithLabels(job);
        _rebuilds = factory.CreateCounter("processing_producer_rebuilds_total", "Times the transactional producer was rebuilt after fencing or a fatal error.", "job").WithLabels(job);
        _assigned = factory.CreateGauge("processing_assigned_partitions", "Input partitions this instance runs tasks for.", "job").WithLabels(job);
        _lag = factory.CreateGauge("processing_consumer_lag_records", "Records between the consumer's position and the partition's last stable offset (read_committed end), sampled every second.", "job", "topic", "partition");
        _restore = factory.CreateGauge("processing_restore_duration_seconds", "How long the task's last state restore took.", perTask);
        _keys = factory.CreateGauge("processing_state_keys", "Keys in the task's committed state.", perTask);
        _buckets = factory.CreateGauge("processing_state_buckets", "Time buckets holding at least one key in the task's state.", perTask);
        _disk = factory.CreateGauge("processing_state_disk_bytes", "Bytes of the task's state files (0 for the memory backend).", perTask);
        _memtable = factory.CreateGauge("processing_state_memtable_bytes", "RocksDB memtable bytes of the task (rocksdb.cur-size-all-mem-tables), or the heap estimate of the memory backend.", perTask);
        _blockCache = factory.CreateGauge("processing_state_block_cache_bytes", "RocksDB block cache bytes in use by the task (rocksdb.block-cache-usage; 0 for memory).", perTask);
        var commit = factory.CreateHistogram("processing_commit_duration_seconds", "Time to send the offsets to the transaction and commit it.",
            HistogramBridge.Configuration(source.CommitLatency, "job"));
        _commitLatency = new HistogramBridge(source.CommitLatency, commit.WithLabels(job));
    }

    /// <summary>Copies the live counters into the metrics; called before every scrape.</summary>
    public void Update()
    {
        _committed.IncTo(_source.Commits);
        _aborted.IncTo(_source.Aborts);
        _committedRecords.IncTo(_source.CommittedRecords);
        _rebuilds.IncTo(_source.Rebuilds);
        _assigned.Set(_source.AssignedPartitions);
        _commitLatency.Update();
        foreach (var (reason, count) in _source.DeadLettersByReason)
        {
            _dlq.WithLabels(_job, reason).IncTo(count);
        }
        lock (_published)
        {
            foreach (var partition in _source.Partitions)
            {
                UpdatePartition(partition);
            }
        }
    }

    private void UpdatePartition(PartitionMetrics partition)
    {
        var id = partition.Partition.ToString(CultureInfo.InvariantCulture);
        _in.WithLabels(_job, id).IncTo(partition.Consumed);
        _out.WithLabels(_job, id).IncTo(partition.Emitted);
        _dropped.WithLabels(_job, id).IncTo(partition.Dropped);
        var lag = partition.Lag;
        var restore = partition.LastRestore;
        var state = partition.State;
        if (partition.Assigned)
        {
            _published.Add(partition.Partition);
        }
        else if (!_published.Remove(partition.Partition))
        {
            return;
        }
        // Gauges describe the task while this instance runs it; a revoked partition's series go away.
        SetOrRemove(_lag, lag, _job, partition.Topic, id);
        SetOrRemove(_restore, restore?.TotalSeconds, _job, id);
        SetOrRemove(_keys, state?.Keys, _job, id);
        SetOrRemove(_buckets, state?.Buckets, _job, id);
        SetOrRemove(_disk, state?.BytesOnDisk, _job, id);
        SetOrRemove(_memtable, state?.MemoryBytes, _job, id);
        SetOrRemove(_blockCache, state?.BlockCacheBytes, _job, id);
    }

    private static void SetOrRemove(Gauge gauge, double? value, params string[] labels)
    {
        if (value is { } v)
        {
            gauge.WithLabels(labels).Set(v);
        }
        else
        {
            gauge.RemoveLabelled(labels);
        }
    }
}
