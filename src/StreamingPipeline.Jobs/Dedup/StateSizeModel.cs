using System.Globalization;
using StreamingPipeline.Processing.State;

namespace StreamingPipeline.Jobs.Dedup;

/// <summary>
/// Predicts the dedup state's size in the layout the stores actually write (docs/STATE_SIZE.md derives every term):
/// RocksDB's <c>keys</c> family (key -> 8-byte bucket, bloom-filtered; expired keys dropped by a compaction filter) and,
/// with <see cref="RocksDbExpiry.BucketIndex"/>, its <c>expiry</c> family (bucket ++ key -> empty),
/// LZ4 blocks of 4 KiB with prefix compression, and the heap layout of the memory backend.
/// </summary>
public static class StateSizeModel
{
    private const double MsPerDay = 86_400_000;

    // Block format: three varints per entry (shared, unshared, value length), a 4-byte restart point every 16 entries,
    // the 8-byte internal key trailer (sequence number, zeroed in the bottommost level, and type).
    private const double EntryHeaderBytes = 3;
    private const double RestartBytesPerEntry = 4.0 / 16;
    private const int InternalKeyTrailerBytes = 8;
    private const int BucketValueBytes = 8;
    private const int BucketPrefixBytes = 8;
    private const double BlockBytes = 4096;

    // Measured (benchmarks `state-size`): the share of an entry's non-random bytes LZ4 keeps in a 4 KiB block.
    private const double KeysFamilyLz4Keep = 0.52;
    private const double ExpiryFamilyLz4Keep = 0.59;
    // With the hash key the compressible rest is only the varints, the trailer and the bucket value (no userId).
    private const double HashKeysFamilyLz4Keep = 0.40;

    // Per data block: its index entry (shortened separator, delta-encoded handle) and its 5-byte trailer.
    private const double IndexAndTrailerBytesPerBlock = 16;
    private const double BloomBitsPerKey = 10;

    // Measured: the largest total-sst-files-size between compactions over the compacted size (levels overlapping,
    // expired keys not yet reached by a compaction, and with the bucket index the tombstones of their deletes).
    private const double FilterSpaceAmplification = 1.6;
    private const double BucketIndexSpaceAmplification = 1.5;

    // The store's settings (RocksDbBucketStateStore.Open). The memtable's whole-key bloom filter is 0.1 x its buffer.
    private const long KeysWriteBuffer = (long)RocksDbBucketStateStore.KeysWriteBufferBytes;
    private const double MemtableBloomRatio = 0.1;
    private const long ExpiryWriteBuffer = 16L << 20;
    private const int WriteBuffersPerFamily = 2;
    private const long BlockCache = 32L << 20;
    private const long WalBytes = (long)RocksDbBucketStateStore.MaxTotalWalBytes;
    private const long TargetFileBytes = 64L << 20;

    // Memory backend: byte[] header (object header, method table, length), a Dictionary entry (hash, next, key, value)
    // plus its bucket slot, and the bucket list's reference; dictionaries and lists grow by doubling, so they are on
    // average this full.
    private const int ArrayHeaderBytes = 24;
    private const int DictionaryEntryBytes = 24 + 4;
    private const int ListSlotBytes = 8;
    private const double GrowthFill = 0.75;

    /// <summary>Sizes <paramref name="input"/>.</summary>
    /// <exception cref="ArgumentException">The input does not validate.</exception>
    public static StateSizeEstimate Estimate(StateSizeInput input)
    {
        if (input.Validate() is { } error)
        {
            throw new ArgumentException(error, nameof(input));
        }
        var keyBytes = input.KeyFormat switch
        {
            DedupKeyFormat.Hash96 => DedupKey.HashBytes,
            DedupKeyFormat.Binary => 16 + input.EffectiveUserIdBytes,
            _ => 36 + input.EffectiveUserIdBytes,
        };
        // The key's random part, which LZ4 cannot shrink: the hash, the eventId's bytes, or its 36 hex chars and dashes
        // (4 random bits per char; LZ4 finds no 4-byte matches in them). Sorted keys share log_base(n) leading symbols.
        var randomKeyBytes = input.KeyFormat switch
        {
            DedupKeyFormat.Hash96 => DedupKey.HashBytes,
            DedupKeyFormat.Binary => 16,
            _ => 36,
        };
        var symbolsPerKeyByte = input.KeyFormat == DedupKeyFormat.Text ? 16 : 256;
        var keysLz4Keep = input.KeyFormat == DedupKeyFormat.Hash96 ? HashKeysFamilyLz4Keep : KeysFamilyLz4Keep;
        var rememberedPerDay = input.Users * input.EventsPerUserPerDay * (1 - input.DuplicateShare);
        var perMs = rememberedPerDay / MsPerDay;
        var peakKeys = (long)Math.Round(perMs * (input.Window + input.Slide).TotalMilliseconds);
        var meanKeys = (long)Math.Round(perMs * (input.Window + (input.Slide / 2)).TotalMilliseconds);
        var keysPerPartition = Math.Max(1.0, (double)peakKeys / input.Partitions);
        var bucketCount = (input.Window / input.Slide) + 1;

        // Sorted random eventIds share about log256(n) leading bytes with their neighbour (none at a restart point).
        var sharedInKeys = SharedPrefix(keysPerPartition, symbolsPerKeyByte);
        var sharedInExpiry = SharedPrefix(keysPerPartition / bucketCount, symbolsPerKeyByte);
        var keysRaw = EntryHeaderBytes + RestartBytesPerEntry + (keyBytes + InternalKeyTrailerBytes - sharedInKeys) + BucketValueBytes;
        var expiryRaw = EntryHeaderBytes + RestartBytesPerEntry + (BucketPrefixBytes / 16.0) + (keyBytes + InternalKeyTrailerBytes - sharedInExpiry);
        var keysFamily = Compressed(keysRaw, randomKeyBytes - sharedInKeys, keysLz4Keep);
        var bucketIndex = input.Expiry == RocksDbExpiry.BucketIndex;
        if (!bucketIndex)
        {
            expiryRaw = 0;
        }
        var expiryFamily = bucketIndex ? Compressed(expiryRaw, randomKeyBytes - sharedInExpiry, ExpiryFamilyLz4Keep) : 0;
        var indexAndFilter = (BloomBitsPerKey / 8) + (IndexAndTrailerBytesPerBlock * (keysRaw + expiryRaw) / BlockBytes);
        var bytesPerKey = keysFamily + expiryFamily + indexAndFilter;
        var liveSst = (long)Math.Round(peakKeys * bytesPerKey);
        var uncompacted = (long)Math.Round(liveSst * (bucketIndex ? BucketIndexSpaceAmplification : FilterSpaceAmplification));
        var memtables = (long)(WriteBuffersPerFamily * ((KeysWriteBuffer * (1 + MemtableBloomRatio)) + (bucketIndex ? ExpiryWriteBuffer : 0)));
        // A compaction writes its output before deleting its inputs: up to a few target files per partition at once.
        var transient = Math.Min(uncompacted / input.Partitions, 4 * TargetFileBytes);
        var peakDisk = uncompacted + ((memtables + WalBytes + transient) * input.Partitions);
        var indexAndFilterMemory = (long)Math.Round(peakKeys * indexAndFilter);

        var memoryPerKey = (ArrayHeaderBytes + Align8(keyBytes)) + ((DictionaryEntryBytes + ListSlotBytes) / GrowthFill);
        var estimate = new StateSizeEstimate
        {
            Input = input,
            KeyBytes = keyBytes,
            RememberedPerDay = rememberedPerDay,
            PeakKeys = peakKeys,
            MeanKeys = meanKeys,
            KeysFamilyBytesPerKey = keysFamily,
            ExpiryFamilyBytesPerKey = expiryFamily,
            IndexAndFilterBytesPerKey = indexAndFilter,
            LiveSstBytes = liveSst,
            UncompactedSstBytes = uncompacted,
            WalBytesPerPartition = WalBytes,
            PeakDiskBytes = peakDisk,
            MemtableBytesPerPartition = memtables,
            BlockCacheBytesPerPartition = BlockCache,
            IndexAndFilterMemoryBytes = indexAndFilterMemory,
            MemoryBytesPerKey = memoryPerKey,
            MemoryBackendHeapBytes = (long)Math.Round(peakKeys * memoryPerKey),
            RecommendedSettings = [],
        };
        return estimate with { RecommendedSettings = Recommend(estimate) };
    }

    private static double SharedPrefix(double sortedKeys, int symbolsPerByte) =>
        15.0 / 16 * Math.Max(0, Math.Log(sortedKeys, symbolsPerByte));

    private static double Compressed(double raw, double randomBytes, double keep) => randomBytes + (keep * (raw - randomBytes));

    private static int Align8(int bytes) => (bytes + 7) & ~7;

    private static List<RecommendedSetting> Recommend(StateSizeEstimate estimate)
    {
        var partitions = estimate.Input.Partitions;
        var indexAndFilterPerPartition = estimate.PerPartition(estimate.IndexAndFilterMemoryBytes);
        var livePerPartition = estimate.PerPartition(estimate.LiveSstBytes);
        var settings = new List<RecommendedSetting>
        {
            new("bloom filter (keys)", "10 bits/key, whole-key", "almost every lookup is a miss (a new event): the filter answers it without reading a block, ~1 % false positives"),
            new("optimize_filters_for_hits", "false", "misses are the common case; the bottommost level's filters are the ones that answer them"),
            new("max_total_wal_size", Format(estimate.WalBytesPerPartition) + " (as shipped)", "the meta family's checkpoint writes rarely fill its memtable; without a cap its WAL would pin up to 4x all write buffers per partition"),
            new("periodic_compaction_seconds", "86400 (as shipped)", "expired keys leave the disk only when a compaction rewrites their file; a partition whose traffic stops would otherwise keep its last window"),
        };
        if (indexAndFilterPerPartition > 256L << 20)
        {
            settings.Add(new("cache_index_and_filter_blocks", "true, pin_l0_filter_and_index_blocks_in_cache=true, partitioned filters",
                $"index and filters are {Format(indexAndFilterPerPartition)} per partition: bound them by the block cache instead of holding them all"));
            settings.Add(new("block_cache", Format(indexAndFilterPerPartition + (64L << 20)) + " per partition",
                "index and filters stay resident plus 64MiB of data blocks"));
        }
        else
        {
            settings.Add(new("block_cache", "32MiB per partition (as shipped)", $"index and filters ({Format(indexAndFilterPerPartition)} per partition) live outside it in the table readers"));
        }
        var writeBuffer = livePerPartition > 8L << 30 ? "64MiB" : "16MiB (as shipped)";
        settings.Add(new("write_buffer_size (keys)", writeBuffer, "larger memtables mean fewer L0 files and compactions for the random keys at large sizes; each costs 2.2x in memory (active + flushing, bloom filter)"));
        settings.Add(new("target_file_size_base", livePerPartition > 8L << 30 ? "128MiB" : "64MiB",
            $"{Format(livePerPartition)} of live SSTs per partition in files of this size"));
        settings.Add(new("level_compaction_dynamic_level_bytes", "true", "sizes the levels from the bottom, which bounds space amplification as the window fills and drains (the default since RocksDB 8.4)"));
        settings.Add(new("compression", "LZ4 (as shipped); bottommost ZSTD saves little", "eventIds are random: most of an entry does not compress"));
        settings.Add(new("disk to provision", Format(estimate.PerPartition(estimate.PeakDiskBytes) * 3 / 2) + $" per partition ({partitions} partitions)",
            "1.5x the peak: headroom for a compaction after a burst or a rebalance bringing a second partition"));
        return settings;
    }

    /// <summary>Formats <paramref name="bytes"/> in binary units (e.g. 1.5GiB).</summary>
    public static string Format(long bytes)
    {
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB"];
        double value = bytes;
        var unit = 0;
        while (Math.Abs(value) >= 1024 && unit < units.Length - 1)
        {
            value /= 1024;
            unit++;
        }
        return unit == 0 ? bytes.ToString(CultureInfo.InvariantCulture) + "B" : value.ToString(value < 10 ? "0.00" : value < 100 ? "0.0" : "0", CultureInfo.InvariantCulture) + units[unit];
    }
}
