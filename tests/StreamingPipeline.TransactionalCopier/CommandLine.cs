using System.Globalization;

namespace StreamingPipeline.TransactionalCopier;

/// <summary>The few <c>--name value</c> options the two roles take.</summary>
internal static class CommandLine
{
    public static Dictionary<string, string> Parse(IEnumerable<string> args)
    {
        var options = new Dictionary<string, string>(StringComparer.Ordinal);
        string? name = null;
        foreach (var arg in args)
        {
            if (name is null)
            {
                name = arg.StartsWith("--", StringComparison.Ordinal) ? arg[2..] : throw new ArgumentException($"Expected an option, got '{arg}'.");
            }
            else
            {
                options[name] = arg;
                name = null;
            }
        }
        return options;
    }

    public static string Required(this Dictionary<string, string> options, string name) =>
        options.TryGetValue(name, out var value) ? value : throw new ArgumentException($"--{name} is required.");

    public static int Int(this Dictionary<string, string> options, string name, int fallback) =>
        options.TryGetValue(name, out var value) ? int.Parse(value, CultureInfo.InvariantCulture) : fallback;

    public static int Usage()
    {
        Console.Error.WriteLine("usage: broker --data-dir D --port P | copy --bootstrap B --input T --output T --partition N --group G --transactional-id X [--commit-interval-ms N] [--max-records-per-transaction N]");
        return 2;
    }
}
