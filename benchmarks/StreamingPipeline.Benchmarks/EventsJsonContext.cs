using System.Text.Json.Serialization;

namespace StreamingPipeline.Benchmarks;

/// <summary>Source-generated System.Text.Json metadata for <see cref="EventsJsonDto"/>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
[JsonSerializable(typeof(EventsJsonDto))]
public sealed partial class EventsJsonContext : JsonSerializerContext;
