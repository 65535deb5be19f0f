namespace StreamingPipeline.Observability.Console;

/// <summary>One embedded file of the console and the content type it is served with.</summary>
internal sealed record ConsoleAsset(string ContentType, byte[] Content);
