namespace StreamingPipeline.Jobs.Dedup;

/// <summary>A RocksDB setting <see cref="StateSizeModel"/> recommends, with why.</summary>
/// <param name="Name">The RocksDB option name.</param>
/// <param name="Value">The recommended value.</param>
/// <param name="Reason">Why, in one line.</param>
public sealed record RecommendedSetting(string Name, string Value, string Reason);
