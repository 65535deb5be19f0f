using System.Text.Json;
using System.Text.Json.Serialization;

namespace StreamingPipeline.Observability.Console;

/// <summary>The console API's JSON, camelCase, generated at build time.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(ClusterOverview))]
[JsonSerializable(typeof(ApiError))]
[JsonSerializable(typeof(ConsoleInfo))]
internal sealed partial class ConsoleJsonContext : JsonSerializerContext;
