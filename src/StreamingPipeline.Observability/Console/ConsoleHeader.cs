namespace StreamingPipeline.Observability.Console;

/// <summary>One record header as the page shows it.</summary>
internal sealed record ConsoleHeader(string Key, EncodedBytes? Value);
