using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace StreamingPipeline.Testing;

/// <summary>One sample line of a Prometheus text exposition.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// A strict parser of the Prometheus text exposition format (0.0.4): HELP and TYPE at most once per family and before
/// its samples, a family's samples contiguous, valid metric and label names, escaped label values, no duplicate series,
/// and histograms whose buckets are cumulative and end in a +Inf bucket equal to _count, with a _sum. Tests of /metrics
/// parse every scrape with it, so output Prometheus would reject fails them.
/// </summary>
public sealed partial class PrometheusText
{
    private static readonly HashSet<string> Types = ["counter", "gauge", "histogram", "summary", "untyped"];

    private PrometheusText(Dictionary<string, string> types, List<PrometheusSample> samples)
    {
        FamilyTypes = types;
        Samples = samples;
    }

    /// <summary>The TYPE of each family that declared one.</summary>
    public IReadOnlyDictionary<string, string> FamilyTypes { get; }

    /// <summary>Every sample, in order.</summary>
    public IReadOnlyList<PrometheusSample> Samples { get; }

    /// <summary>The value of the one sample named <paramref name="name"/> whose labels include <paramref name="labels"/> (name=value pairs); null if none.</summary>
    public double? Value(string name, params (string Name, string Value)[] labels)
    {
        var matches = Find(name, labels).ToList();
        return matches.Count switch
        {
            0 => null,
            1 => matches[0].Value,
            _ => throw new InvalidOperationException($"{matches.Count} samples of {name} match {string.Join(",", labels)}"),
        };
    }

    /// <summary>The samples named <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    public IEnumerable<PrometheusSample> Find(string name, params (string Name, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Name, out var v) && v == l.Value));

    /// <summary>The sum over the samples named <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    public double Sum(string name, params (string Name, string Value)[] labels) => Find(name, labels).Sum(s => s.Value);

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> naming the line at the first violation.</summary>
    public static PrometheusText Parse(string text)
    {
        if (text.Length > 0 && !text.EndsWith('\n'))
        {
            throw new FormatException("the exposition does not end with a newline");
        }
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var helps = new HashSet<string>(StringComparer.Ordinal);
        var samples = new List<PrometheusSample>();
        var series = new HashSet<string>(StringComparer.Ordinal);
        var closedFamilies = new HashSet<string>(StringComparer.Ordinal);
        string? currentFamily = null;
        var lineNumber = 0;
        foreach (var line in text.Split('\n')[..^1])
        {
            lineNumber++;
            try
            {
                if (line.StartsWith('#'))
                {
                    var parts = line.Split(' ', 4);
                    if (parts.Length >= 3 && parts[1] is "HELP" or "TYPE")
                    {
                        var family = parts[2];
                        CheckMetricName(family);
                        if (family != currentFamily)
                        {
                            Close(ref currentFamily, closedFamilies);
                        }
                        if (closedFamilies.Contains(family) || samples.Any(s => FamilyOf(s.Name, types) == family))
                        {
                            throw new FormatException($"{parts[1]} of {family} after its samples");
                        }
                        currentFamily = family;
                        if (parts[1] == "HELP" && !helps.Add(family))
                        {
                            throw new FormatException($"second HELP of {family}");
                        }
                        if (parts[1] == "TYPE")
                        {
                            if (parts.Length != 4 || !Types.Contains(parts[3]))
                            {
                                throw new FormatException($"bad TYPE line '{line}'");
                            }
                            if (!types.TryAdd(family, parts[3]))
                            {
                                throw new FormatException($"second TYPE of {family}");
                            }
                        }
                    }
                    continue;
                }
                if (line.Length == 0)
                {
                    continue;
                }
                PrometheusSample sample;
                try
                {
                    sample = ParseSample(line);
                }
                catch (IndexOutOfRangeException)
                {
                    throw new FormatException("the line ends inside its labels");
                }
                var owner = FamilyOf(sample.Name, types);
                if (owner != currentFamily)
                {
                    Close(ref currentFamily, closedFamilies);
                    if (closedFamilies.Contains(owner))
                    {
                        throw new FormatException($"samples of {owner} are not contiguous");
                    }
                    currentFamily = owner;
                }
                var key = sample.Name + "{" + string.Join(",", sample.Labels.OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value)) + "}";
                if (!series.Add(key))
                {
                    throw new FormatException($"duplicate series {key}");
                }
                samples.Add(sample);
            }
            catch (FormatException ex)
            {
                throw new FormatException($"line {lineNumber}: {ex.Message}: {line}", ex);
            }
        }
        var parsed = new PrometheusText(types, samples);
        parsed.CheckHistograms();
        return parsed;
    }

    private static void Close(ref string? family, HashSet<string> closed)
    {
        if (family is not null)
        {
            closed.Add(family);
        }
        family = null;
    }

    private static string FamilyOf(string sampleName, Dictionary<string, string> types)
    {
        foreach (var suffix in new[] { "_bucket", "_sum", "_count" })
        {
            if (sampleName.EndsWith(suffix, StringComparison.Ordinal))
            {
                var family = sampleName[..^suffix.Length];
                if (types.TryGetValue(family, out var type) && type is "histogram" or "summary")
                {
                    return family;
                }
            }
        }
        return sampleName;
    }

    private void CheckHistograms()
    {
        foreach (var family in FamilyTypes.Where(t => t.Value == "histogram").Select(t => t.Key))
        {
            var buckets = Samples.Where(s => s.Name == family + "_bucket").ToList();
            var groups = buckets.GroupBy(s => LabelsWithout(s.Labels, "le"));
            foreach (var group in groups)
            {
                var ordered = group.Select(s => (Le: s.Labels.TryGetValue("le", out var le) ? ParseValue(le) : throw new FormatException($"{family}_bucket without le"), s.Value)).ToList();
                for (var i = 1; i < ordered.Count; i++)
                {
                    if (ordered[i].Le <= ordered[i - 1].Le || ordered[i].Value < ordered[i - 1].Value)
                    {
                        throw new FormatException($"{family} {group.Key}: buckets not ascending and cumulative");
                    }
                }
                if (ordered.Count == 0 || !double.IsPositiveInfinity(ordered[^1].Le))
                {
                    throw new FormatException($"{family} {group.Key}: no +Inf bucket");
                }
                var count = Samples.SingleOrDefault(s => s.Name == family + "_count" && LabelsWithout(s.Labels, "le") == group.Key)
                    ?? throw new FormatException($"{family} {group.Key}: no _count");
                if (count.Value != ordered[^1].Value)
                {
                    throw new FormatException($"{family} {group.Key}: _count {count.Value} is not the +Inf bucket {ordered[^1].Value}");
                }
                _ = Samples.SingleOrDefault(s => s.Name == family + "_sum" && LabelsWithout(s.Labels, "le") == group.Key)
                    ?? throw new FormatException($"{family} {group.Key}: no _sum");
            }
        }
    }

    private static string LabelsWithout(IReadOnlyDictionary<string, string> labels, string excluded) =>
        string.Join(",", labels.Where(l => l.Key != excluded).OrderBy(l => l.Key, StringComparer.Ordinal).Select(l => l.Key + "=" + l.Value));

    private static PrometheusSample ParseSample(string line)
    {
        var position = 0;
        var name = ReadName(line, ref position, MetricName());
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (position < line.Length && line[position] == '{')
        {
            position++;
            while (line[position] != '}')
            {
                var label = ReadName(line, ref position, LabelName());
                if (label.StartsWith("__", StringComparison.Ordinal))
                {
                    throw new FormatException($"reserved label name {label}");
                }
                Expect(line, ref position, '=');
                Expect(line, ref position, '"');
                var value = new StringBuilder();
                while (line[position] != '"')
                {
                    if (line[position] == '\\')
                    {
                        position++;
                        value.Append(line[position] switch
                        {
                            '\\' => '\\',
                            '"' => '"',
                            'n' => '\n',
                            _ => throw new FormatException($"bad escape \\{line[position]}"),
                        });
                    }
                    else
                    {
                        value.Append(line[position]);
                    }
                    position++;
                }
                position++;
                if (!labels.TryAdd(label, value.ToString()))
                {
                    throw new FormatException($"label {label} twice");
                }
                if (line[position] == ',')
                {
                    position++;
                }
                else if (line[position] != '}')
                {
                    throw new FormatException($"expected ',' or '}}' at {position}");
                }
            }
            position++;
        }
        Expect(line, ref position, ' ');
        var rest = line[position..].Split(' ');
        if (rest.Length is < 1 or > 2)
        {
            throw new FormatException("expected a value and an optional timestamp");
        }
        var sampleValue = ParseValue(rest[0]);
        if (rest.Length == 2 && !long.TryParse(rest[1], NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _))
        {
            throw new FormatException($"bad timestamp {rest[1]}");
        }
        return new PrometheusSample(name, labels, sampleValue);
    }

    private static double ParseValue(string text) => text switch
    {
        "+Inf" => double.PositiveInfinity,
        "-Inf" => double.NegativeInfinity,
        "NaN" => double.NaN,
        _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) ? value : throw new FormatException($"bad value '{text}'"),
    };

    private static string ReadName(string line, ref int position, Regex pattern)
    {
        var match = pattern.Match(line, position);
        if (!match.Success || match.Index != position)
        {
            throw new FormatException($"bad name at {position}");
        }
        position += match.Length;
        return match.Value;
    }

    private static void CheckMetricName(string name)
    {
        var match = MetricName().Match(name);
        if (!match.Success || match.Length != name.Length)
        {
            throw new FormatException($"bad metric name '{name}'");
        }
    }

    private static void Expect(string line, ref int position, char expected)
    {
        if (position >= line.Length || line[position] != expected)
        {
            throw new FormatException($"expected '{expected}' at {position}");
        }
        position++;
    }

    [GeneratedRegex("[a-zA-Z_:][a-zA-Z0-9_:]*")]
    private static partial Regex MetricName();

    [GeneratedRegex("[a-zA-Z_][a-zA-Z0-9_]*")]
    private static partial Regex LabelName();
}
