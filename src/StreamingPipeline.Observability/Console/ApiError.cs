namespace StreamingPipeline.Observability.Console;

/// <summary>The body of every failed console API call: a code the page can test and a one-line message it shows.</summary>
internal sealed record ApiError(string Code, string Error);
