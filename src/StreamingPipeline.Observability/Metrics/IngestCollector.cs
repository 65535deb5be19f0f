using Prometheus;
using StreamingPipeline.Analytics.Ingestion;

namespace StreamingPipeline.Observability.Metrics;

/// <summary>Publishes an <see cref="IngestMetrics"/> as the <c>ingest_*</c> metrics and the end-to-end latency (docs/metrics.md).</summary>
internal sealed class IngestCollector
{
    private readonly IngestMetrics _source;
    private readonly Counter _consumed;
    private readonly Counter _rows;
    private readonly Counter _batches;
    private readonly Counter _duplicates;
    private readonly Counter _dlq;
    private readonly Gauge _lag;
    private readonly Gauge _assigned;
    private readonly HistogramBridge _commit;
    private readonly HistogramBridge _freshness;
    private readonly HistogramBridge _endToEnd;

    public IngestCollector(MetricFactory factory, IngestMetrics source)
    {
        _source = source;
        _consumed = factory.CreateCounter("ingest_records_consumed_total", "Records read from the output topic (events, duplicates and malformed records).");
        _rows = factory.CreateCounter("ingest_rows_total", "Rows committed into user_events.");
        _batches = factory.CreateCounter("ingest_batches_total", "Batches committed (one database transaction each).");
        _duplicates = factory.CreateCounter("ingest_duplicates_total", "Valid records ignored because their eventId was already stored.");
        _dlq = factory.CreateCounter("ingest_dlq_records_total", "Records the ingester sent to the DLQ.");
        _lag = factory.CreateGauge("ingest_consumer_lag_records", "Records between the ingester's position and the end of its partitions (read_committed: the last stable offset).");
        _assigned = factory.CreateGauge("ingest_assigned_partitions", "Partitions this ingester loads.");
        _commit = Bridge(factory, source.CommitLatency, "ingest_commit_duration_seconds", "Time to commit one batch (DLQ records, then the database transaction).");
        _freshness = Bridge(factory, source.Freshness, "ingest_freshness_seconds", "Per row: from the Kafka timestamp of the output record to the commit that made the row visible.");
        _endToEnd = Bridge(factory, source.EndToEnd, "pipeline_end_to_end_latency_seconds", "Per row: from the event's own timestamp to the commit that made the row visible.");
    }

    /// <summary>Copies the live counters into the metrics; called before every scrape.</summary>
    public void Update()
    {
        _consumed.IncTo(_source.Consumed);
        _rows.IncTo(_source.Inserted);
        _batches.IncTo(_source.Commits);
        _duplicates.IncTo(_source.Duplicates);
        _dlq.IncTo(_source.DeadLettered);
        _lag.Set(_source.Lag);
        _assigned.Set(_source.AssignedPartitions);
        _commit.Update();
        _freshness.Update();
        _endToEnd.Update();
    }

    private static HistogramBridge Bridge(MetricFactory factory, Processing.LatencyHistogram source, string name, string help) =>
        new(source, factory.CreateHistogram(name, help, HistogramBridge.Configuration(source)));
}
