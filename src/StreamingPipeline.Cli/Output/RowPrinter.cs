using System.Globalization;
using System.Text;
using System.Text.Json;
using Spectre.Console;

namespace StreamingPipeline.Cli.Output;

/// <summary>Prints rows of named columns as a table, JSON or CSV.</summary>
public static class RowPrinter
{
    private const int RedirectedWidth = 1000;

    /// <summary>Writes <paramref name="rows"/> to <paramref name="output"/> in <paramref name="format"/>.</summary>
    public static void Print(TextWriter output, OutputFormat format, IReadOnlyList<string> columns, IEnumerable<object?[]> rows)
    {
        switch (format)
        {
            case OutputFormat.Json:
                var objects = rows.Select(r => columns.Select((c, i) => (c, r[i])).ToDictionary(x => x.c, x => x.Item2)).ToList();
                output.WriteLine(JsonSerializer.Serialize(objects));
                break;
            case OutputFormat.Csv:
                output.WriteLine(string.Join(',', columns.Select(Csv)));
                foreach (var row in rows)
                {
                    output.WriteLine(string.Join(',', row.Select(v => Csv(Format(v)))));
                }
                break;
            default:
                var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output) });
                if (!ReferenceEquals(output, Console.Out) || Console.IsOutputRedirected)
                {
                    // Not a terminal: Spectre would assume 80 columns and wrap cells; a file or a pipe has no width.
                    console.Profile.Width = RedirectedWidth;
                }
                var table = new Table().Border(TableBorder.Simple);
                foreach (var column in columns)
                {
                    table.AddColumn(Markup.Escape(column));
                }
                foreach (var row in rows)
                {
                    table.AddRow(row.Select(v => Markup.Escape(Format(v))).ToArray());
                }
                console.Write(table);
                break;
        }
    }

    private static string Format(object? value) => value switch
    {
        null => "",
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "",
    };

    private static string Csv(string value)
    {
        if (value.IndexOfAny([',', '"', '\n', '\r']) < 0)
        {
            return value;
        }
        return new StringBuilder("\"").Append(value.Replace("\"", "\"\"", StringComparison.Ordinal)).Append('"').ToString();
    }
}
