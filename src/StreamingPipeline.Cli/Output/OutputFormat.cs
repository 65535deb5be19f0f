using System.CommandLine;

namespace StreamingPipeline.Cli.Output;

/// <summary>How a command prints tabular results: <c>-o table|json|csv</c>.</summary>
public enum OutputFormat
{
    /// <summary>A table for people.</summary>
    Table,

    /// <summary>A JSON array of objects, one per row.</summary>
    Json,

    /// <summary>CSV with a header row.</summary>
    Csv,
}

/// <summary>The <c>-o/--output</c> option.</summary>
public static class OutputFormatOption
{
    /// <summary>Creates the option, defaulting to a table.</summary>
    public static Option<OutputFormat> Create() => new("--output", "-o")
    {
        Description = "Output format: table, json or csv",
        HelpName = "table|json|csv",
        DefaultValueFactory = _ => OutputFormat.Table,
    };
}
