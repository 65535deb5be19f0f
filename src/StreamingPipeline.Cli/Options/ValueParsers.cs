using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using StreamingPipeline.Cli.Output;

namespace StreamingPipeline.Cli.Options;

/// <summary>
/// Gives every number, flag and enum option of a command tree a parser whose error names the option and the value in
/// the user's words ("--rate expects a number, got 'abc'") instead of a .NET type name, and makes option validators
/// skip a value that did not parse (System.CommandLine throws from <c>GetValueOrDefault</c> in that case).
/// </summary>
public static class ValueParsers
{
    private delegate bool TryParse<T>(string text, out T value);

    /// <summary>Installs the parsers on <paramref name="command"/> and all its sub-commands.</summary>
    public static void InstallEverywhere(Command command)
    {
        foreach (var option in command.Options)
        {
            Install(option);
        }
        foreach (var sub in command.Subcommands)
        {
            InstallEverywhere(sub);
        }
    }

    private static void Install(Option option)
    {
        switch (option)
        {
            case Option<int> o when o.CustomParser is null:
                o.CustomParser = r => Parse(r, "a whole number", (string s, out int v) => int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out v));
                break;
            case Option<short> o when o.CustomParser is null:
                o.CustomParser = r => Parse(r, "a whole number", (string s, out short v) => short.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out v));
                break;
            case Option<long> o when o.CustomParser is null:
                o.CustomParser = r => Parse(r, "a whole number", (string s, out long v) => long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out v));
                break;
            case Option<long?> o when o.CustomParser is null:
                o.CustomParser = r => Parse(r, "a whole number", (string s, out long? v) =>
                {
                    var ok = long.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed);
                    v = parsed;
                    return ok;
                });
                break;
            case Option<int?> o when o.CustomParser is null:
                o.CustomParser = r => Parse(r, "a whole number", (string s, out int? v) =>
                {
                    var ok = int.TryParse(s, NumberStyles.Integer, CultureInfo.InvariantCulture, out var parsed);
                    v = parsed;
                    return ok;
                });
                break;
            case Option<double> o when o.CustomParser is null:
                o.CustomParser = r => Parse(r, "a number", (string s, out double v) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v));
                break;
            case Option<bool> o when o.CustomParser is null:
                // A flag given without a value means true; "--flag false" turns a default-on flag off.
                o.CustomParser = r => r.Tokens.Count == 0 || Parse(r, "true or false", (string s, out bool v) => bool.TryParse(s, out v));
                break;
            case Option<OutputFormat> o when o.CustomParser is null:
                o.CustomParser = ParseEnum<OutputFormat>;
                break;
            case Option<MessageFormat> o when o.CustomParser is null:
                o.CustomParser = ParseEnum<MessageFormat>;
                break;
        }
        GuardValidators(option);
    }

    private static T Parse<T>(ArgumentResult result, string expected, TryParse<T> tryParse)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        if (tryParse(text, out var value))
        {
            return value;
        }
        result.AddError($"{NameOf(result)} expects {expected}, got '{text}'.");
        return default!;
    }

    private static T ParseEnum<T>(ArgumentResult result)
        where T : struct, Enum
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : "";
        var names = Enum.GetNames<T>().Select(n => n.ToLowerInvariant()).ToList();
        if (names.Contains(text.ToLowerInvariant()) && Enum.TryParse<T>(text, ignoreCase: true, out var value))
        {
            return value;
        }
        result.AddError($"{NameOf(result)} must be {string.Join(", ", names.SkipLast(1))} or {names[^1]}, got '{text}'.");
        return default;
    }

    private static string NameOf(ArgumentResult result) => result.Parent is OptionResult option ? option.Option.Name : result.Argument.Name;

    /// <summary>A validator that reads a value which failed to parse would throw; the parse error already says what is wrong.</summary>
    private static void GuardValidators(Option option)
    {
        var validators = option.Validators.ToList();
        if (validators.Count == 0)
        {
            return;
        }
        option.Validators.Clear();
        option.Validators.Add(result =>
        {
            foreach (var validate in validators)
            {
                try
                {
                    validate(result);
                }
                catch (InvalidOperationException)
                {
                    return;
                }
            }
        });
    }
}
