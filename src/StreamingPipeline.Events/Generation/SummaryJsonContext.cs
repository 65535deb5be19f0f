using System.Text.Json.Serialization;

namespace StreamingPipeline.Events.Generation;

/// <summary>Source-generated JSON for <see cref="GeneratorSummary"/> (no reflection, trimming-safe).</summary>
[JsonSourceGenerationOptions(WriteIndented = true, PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(GeneratorSummary))]
internal sealed partial class SummaryJsonContext : JsonSerializerContext;
