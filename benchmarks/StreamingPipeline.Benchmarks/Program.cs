using StreamingPipeline.Benchmarks;

// Each benchmark is one named entry: `dotnet run -c Release --project benchmarks/StreamingPipeline.Benchmarks -- <name> [args]`.
// To add one, add a line here; the rest of the arguments are passed to it.
var benchmarks = new Dictionary<string, (string Description, Func<string[], Task<int>> Run)>(StringComparer.OrdinalIgnoreCase)
{
    ["serializer"] = ("user-event serializer and parser (BenchmarkDotNet; hand-written vs System.Text.Json)", EventsSerializerBenchmarkRunner.RunAsync),
    ["broker"] = ("embedded broker produce/consume throughput beside librdkafka's mock cluster", BrokerThroughputBenchmark.RunAsync),
    ["generator"] = ("pipeline produce throughput beside a bare Confluent.Kafka yardstick", GeneratorThroughputBenchmark.RunAsync),
    ["dedup-state"] = ("dedup state layouts: one keyspace + expiry index vs a column family per bucket, beside the in-memory backend", DedupStateLayoutBenchmark.RunAsync),
    ["state-size"] = ("dedup state size over event time beside StateSizeModel's prediction (docs/STATE_SIZE.md)", StateSizeBenchmark.RunAsync),
    ["ingest"] = ("analytics ingest rows/s into DuckDB and PostgreSQL beside each store's bulk load from memory, and freshness at 10,000 events/s", IngestBenchmark.RunAsync),
    ["compaction"] = ("log cleaner throughput (MiB/s cleaned) and its cost to a concurrent produce/consume load on a compacted topic", CompactionBenchmark.RunAsync),
    ["query"] = ("latency of the analytics query shapes through POST /query/sql at 10 M rows (DuckDB; PostgreSQL with 'both')", QueryLatencyBenchmark.RunAsync),
    ["recompression"] = ("broker recompression of a producer batch into a topic's compression.type, every codec pair", RecompressionBenchmark.RunAsync),
    ["transactions"] = ("transactional consume-transform-produce at 10 ms / 100 ms / 1 s commits beside the same loop without transactions", TransactionalCopyBenchmark.RunAsync),
    ["processing"] = ("pipeline forward / dedup (RocksDB, memory) throughput, CPU, RSS, restore and latency beside a bare consume→produce yardstick", ProcessingThroughputBenchmark.RunAsync),
    ["metrics-overhead"] = ("pipeline dedup with --metrics-listen none vs a metrics port scraped every second: records/s and events per CPU-s, interleaved rounds", MetricsOverheadBenchmark.RunAsync),
    ["metrics-library"] = ("prometheus-net vs OpenTelemetry's Prometheus exporter: hot-path ns per counter add / histogram observation and CPU per scrape of the dedup job's series", MetricsLibraryBenchmark.RunAsync),
};

if (args.Length == 0 || !benchmarks.TryGetValue(args[0], out var benchmark))
{
    Console.Error.WriteLine("usage: dotnet run -c Release --project benchmarks/StreamingPipeline.Benchmarks -- <benchmark> [args]");
    foreach (var (name, (description, _)) in benchmarks)
    {
        Console.Error.WriteLine($"  {name,-12} {description}");
    }
    return 2;
}
return await benchmark.Run(args[1..]);
