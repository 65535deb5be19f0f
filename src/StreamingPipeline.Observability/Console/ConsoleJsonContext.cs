using System.Text.Json;
using System.Text.Json.Serialization;
using StreamingPipeline.Observability.Inspection;

namespace StreamingPipeline.Observability.Console;

/// <summary>The console API's JSON, camelCase, generated at build time.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ClusterOverview))]
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(ConsoleInfo))]
[JsonSerializable(typeof(IReadOnlyList<TopicSummary>))]
[JsonSerializable(typeof(TopicOffsets))]
[JsonSerializable(typeof(IReadOnlyList<ConsoleMessage>))]
[JsonSerializable(typeof(IReadOnlyList<ConsumerGroupSummary>))]
[JsonSerializable(typeof(ConsumerGroupDetails))]
[JsonSerializable(typeof(IReadOnlyList<DeadLetterRecord>))]
internal sealed partial class ConsoleJsonContext : JsonSerializerContext;
