using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using StreamingPipeline.Cli.Options;
using StreamingPipeline.Cli.Output;
using StreamingPipeline.Jobs.Dedup;
using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Cli.Commands;

/// <summary><c>pipeline estimate-state</c>: the dedup state's disk and memory for a traffic profile (docs/STATE_SIZE.md).</summary>
public static class EstimateStateCommand
{
    /// <summary>Builds the command.</summary>
    public static Command Create()
    {
        var users = new Option<long>("--users") { Description = "Distinct users", Required = true };
        var perUser = new Option<double>("--events-per-user-per-day") { Description = "Input records per user per day, re-sends included", Required = true };
        var window = CommonOptions.Duration("--window", "Dedup window", "24h");
        var slide = CommonOptions.Duration("--slide", "Bucket width (divides the window)", "30m");
        var duplicates = new Option<double>("--duplicates") { Description = "Share of input records that are re-sends, in [0, 1)", DefaultValueFactory = _ => 0.05 };
        var backend = new Option<string>("--backend") { Description = "State backend: rocksdb or memory", DefaultValueFactory = _ => "rocksdb" };
        backend.AcceptOnlyFromAmong(JobOptions.StateBackends);
        var partitions = new Option<int>("--partitions", "-p") { Description = "Input partitions (one state store each)", DefaultValueFactory = _ => 8 };
        var userIdBytes = new Option<int?>("--user-id-bytes") { Description = "UTF-8 bytes of a userId (default: the generator's u-NNNNNNN)" };
        var expiry = new Option<string>("--rocksdb-expiry") { Description = "How RocksDB expires buckets: compaction-filter (default) or bucket-index", DefaultValueFactory = _ => "compaction-filter" };
        expiry.AcceptOnlyFromAmong("compaction-filter", "bucket-index");
        var keyFormat = new Option<string>("--key-format") { Description = "State key: hash96 (12-byte hash, the default), binary (16-byte eventId + userId) or text (36-char eventId + userId)", DefaultValueFactory = _ => "hash96" };
        keyFormat.AcceptOnlyFromAmong("hash96", "binary", "text");
        var output = OutputFormatOption.Create();
        var command = new Command("estimate-state", "Estimate the dedup state's disk and memory, total and per partition, with RocksDB settings for that size")
        {
            users, perUser, window, slide, duplicates, backend, partitions, userIdBytes, expiry, keyFormat, output,
        };
        command.SetAction(parse =>
        {
            var input = new StateSizeInput(
                parse.GetValue(users), parse.GetValue(perUser), parse.GetValue(window), parse.GetValue(slide),
                parse.GetValue(duplicates), parse.GetValue(partitions), parse.GetValue(userIdBytes),
                parse.GetValue(expiry) == "bucket-index" ? RocksDbExpiry.BucketIndex : RocksDbExpiry.CompactionFilter,
                parse.GetValue(keyFormat) switch { "binary" => DedupKeyFormat.Binary, "text" => DedupKeyFormat.Text, _ => DedupKeyFormat.Hash96 });
            if (input.Validate() is { } invalid)
            {
                Console.Error.WriteLine($"error: {invalid}");
                return ExitCodes.Usage;
            }
            var estimate = StateSizeModel.Estimate(input);
            var rocksDb = parse.GetValue(backend) == "rocksdb";
            var format = parse.GetValue(output);
            if (format == OutputFormat.Json)
            {
                Console.WriteLine(JsonSerializer.Serialize(ToJson(estimate, rocksDb)));
                return ExitCodes.Ok;
            }
            if (format == OutputFormat.Table)
            {
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"{input.Users:N0} users x {input.EventsPerUserPerDay} events/day, {input.DuplicateShare:P0} re-sends, window {Short(input.Window)} / slide {Short(input.Slide)}, {input.Partitions} partitions, key {DedupKey.LayoutName(input.KeyFormat)} ({estimate.KeyBytes} bytes)"));
            }
            RowPrinter.Print(Console.Out, format, ["quantity", "total", "per partition"], Rows(estimate, rocksDb, format == OutputFormat.Table));
            if (rocksDb)
            {
                RowPrinter.Print(Console.Out, format, ["recommended setting", "value", "why"],
                    estimate.RecommendedSettings.Select(s => new object?[] { s.Name, s.Value, s.Reason }));
            }
            return ExitCodes.Ok;
        });
        return command;
    }

    private static string Short(TimeSpan duration)
    {
        foreach (var (unit, length) in new[] { ("d", TimeSpan.FromDays(1)), ("h", TimeSpan.FromHours(1)), ("m", TimeSpan.FromMinutes(1)), ("s", TimeSpan.FromSeconds(1)) })
        {
            if (duration >= length && duration.Ticks % length.Ticks == 0)
            {
                return (duration.Ticks / length.Ticks).ToString(CultureInfo.InvariantCulture) + unit;
            }
        }
        return ((long)duration.TotalMilliseconds).ToString(CultureInfo.InvariantCulture) + "ms";
    }

    private static IEnumerable<object?[]> Rows(StateSizeEstimate estimate, bool rocksDb, bool human)
    {
        object? Bytes(long total) => human ? StateSizeModel.Format(total) : total;
        object?[] Spread(string name, long total) => [name, Bytes(total), Bytes(estimate.PerPartition(total))];
        object?[] Each(string name, long perPartition) => [name, Bytes(perPartition * estimate.Input.Partitions), Bytes(perPartition)];
        var keys = human ? "{0:N0}" : "{0}";
        yield return ["remembered ids / day", string.Format(CultureInfo.InvariantCulture, keys, (long)estimate.RememberedPerDay), string.Format(CultureInfo.InvariantCulture, keys, (long)estimate.RememberedPerDay / estimate.Input.Partitions)];
        yield return ["keys at the peak (W + S)", string.Format(CultureInfo.InvariantCulture, keys, estimate.PeakKeys), string.Format(CultureInfo.InvariantCulture, keys, estimate.PerPartition(estimate.PeakKeys))];
        if (!rocksDb)
        {
            yield return ["heap bytes per key", estimate.MemoryBytesPerKey.ToString("0.0", CultureInfo.InvariantCulture), ""];
            yield return Spread("memory: heap", estimate.MemoryBackendHeapBytes);
            yield break;
        }
        yield return ["disk bytes per key (compacted SST)", estimate.RocksDbBytesPerKey.ToString("0.0", CultureInfo.InvariantCulture), ""];
        yield return Spread("disk: live SST (compacted)", estimate.LiveSstBytes);
        yield return Spread("disk: SST between compactions", estimate.UncompactedSstBytes);
        yield return Each("disk: WAL (at most)", estimate.WalBytesPerPartition);
        yield return Spread("disk: peak to provision for", estimate.PeakDiskBytes);
        yield return Each("memory: memtables (at most)", estimate.MemtableBytesPerPartition);
        yield return Each("memory: block cache", estimate.BlockCacheBytesPerPartition);
        yield return Spread("memory: index + filters", estimate.IndexAndFilterMemoryBytes);
        yield return Spread("memory: total", estimate.RocksDbMemoryBytes);
    }

    private static Dictionary<string, object?> ToJson(StateSizeEstimate estimate, bool rocksDb)
    {
        var input = estimate.Input;
        var json = new Dictionary<string, object?>
        {
            ["backend"] = rocksDb ? "rocksdb" : "memory",
            ["users"] = input.Users,
            ["eventsPerUserPerDay"] = input.EventsPerUserPerDay,
            ["windowMs"] = (long)input.Window.TotalMilliseconds,
            ["slideMs"] = (long)input.Slide.TotalMilliseconds,
            ["duplicates"] = input.DuplicateShare,
            ["partitions"] = input.Partitions,
            ["keyFormat"] = DedupKey.LayoutName(input.KeyFormat),
            ["keyBytes"] = estimate.KeyBytes,
            ["rememberedPerDay"] = (long)estimate.RememberedPerDay,
            ["peakKeys"] = estimate.PeakKeys,
            ["meanKeys"] = estimate.MeanKeys,
        };
        if (!rocksDb)
        {
            json["memoryBytesPerKey"] = Math.Round(estimate.MemoryBytesPerKey, 1);
            json["memoryBytes"] = estimate.MemoryBackendHeapBytes;
            json["memoryBytesPerPartition"] = estimate.PerPartition(estimate.MemoryBackendHeapBytes);
            return json;
        }
        json["diskBytesPerKey"] = Math.Round(estimate.RocksDbBytesPerKey, 1);
        json["liveSstBytes"] = estimate.LiveSstBytes;
        json["liveSstBytesPerPartition"] = estimate.PerPartition(estimate.LiveSstBytes);
        json["uncompactedSstBytes"] = estimate.UncompactedSstBytes;
        json["walBytesPerPartition"] = estimate.WalBytesPerPartition;
        json["peakDiskBytes"] = estimate.PeakDiskBytes;
        json["peakDiskBytesPerPartition"] = estimate.PerPartition(estimate.PeakDiskBytes);
        json["memtableBytesPerPartition"] = estimate.MemtableBytesPerPartition;
        json["blockCacheBytesPerPartition"] = estimate.BlockCacheBytesPerPartition;
        json["indexAndFilterBytes"] = estimate.IndexAndFilterMemoryBytes;
        json["indexAndFilterBytesPerPartition"] = estimate.PerPartition(estimate.IndexAndFilterMemoryBytes);
        json["memoryBytes"] = estimate.RocksDbMemoryBytes;
        json["memoryBytesPerPartition"] = estimate.PerPartition(estimate.RocksDbMemoryBytes);
        json["recommendedSettings"] = estimate.RecommendedSettings.Select(s => new Dictionary<string, string> { ["name"] = s.Name, ["value"] = s.Value, ["why"] = s.Reason }).ToList();
        return json;
    }
}
