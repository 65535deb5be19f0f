using System.CommandLine;

namespace StreamingPipeline.Cli.Output;

/// <summary>How <c>pipeline consume</c> prints records: <c>-o text|json</c>.</summary>
public enum MessageFormat
{
    /// <summary>One tab-separated line a record: partition, offset, timestamp, key, value.</summary>
    Text,

    /// <summary>One JSON object a line, headers included.</summary>
    Json,
}

/// <summary>The <c>-o/--output</c> option of <c>pipeline consume</c>.</summary>
public static class MessageFormatOption
{
    /// <summary>Creates the option, defaulting to text.</summary>
    public static Option<MessageFormat> Create() => new("--output", "-o")
    {
        Description = "Output format: text (partition, offset, timestamp, key, value separated by tabs) or json (one object a line, with headers)",
        HelpName = "text|json",
        DefaultValueFactory = _ => MessageFormat.Text,
    };
}
