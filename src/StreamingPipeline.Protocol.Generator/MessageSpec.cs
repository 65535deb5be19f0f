using System.Text.Json;

namespace StreamingPipeline.Protocol.Generator;

/// <summary>An inclusive version range from a spec: "0+", "3-5", "7" or "none".</summary>
internal readonly record struct VersionRange(short Min, short Max)
{
    public static readonly VersionRange None = new(1, 0);

    public bool IsNone => Min > Max;
    public bool IsOpenEnded => Max == short.MaxValue;

    public static VersionRange Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text) || text == "none")
        {
            return None;
        }
        if (text.EndsWith('+'))
        {
            return new VersionRange(short.Parse(text[..^1]), short.MaxValue);
        }
        var dash = text.IndexOf('-');
        return dash < 0
            ? new VersionRange(short.Parse(text), short.Parse(text))
            : new VersionRange(short.Parse(text[..dash]), short.Parse(text[(dash + 1)..]));
    }

    public VersionRange Intersect(VersionRange other) =>
        new(Math.Max(Min, other.Min), Math.Min(Max, other.Max));

    public bool Covers(VersionRange other) => other.IsNone || (Min <= other.Min && Max >= other.Max);

    /// <summary>A C# condition over <c>version</c> that is true inside this range, given the versions the code can see.</summary>
    public string Condition(VersionRange context)
    {
        var effective = Intersect(context);
        if (effective.IsNone)
        {
            return "false";
        }
        var needMin = effective.Min > context.Min;
        var needMax = effective.Max < context.Max;
        return (needMin, needMax) switch
        {
            (false, false) => "true",
            (true, false) => $"version >= {effective.Min}",
            (false, true) => $"version <= {effective.Max}",
            _ when effective.Min == effective.Max => $"version == {effective.Min}",
            _ => $"version >= {effective.Min} && version <= {effective.Max}",
        };
    }
}

/// <summary>One field of a message or struct, as the JSON spec declares it.</summary>
internal sealed class FieldSpec
{
    public required string Name { get; init; }
    public required string Type { get; init; }
    public required VersionRange Versions { get; init; }
    public required VersionRange NullableVersions { get; init; }
    public required VersionRange TaggedVersions { get; init; }
    public int? Tag { get; init; }
    public string? Default { get; init; }
    public string? About { get; init; }
    public VersionRange? FlexibleVersions { get; init; }
    public List<FieldSpec>? Fields { get; init; }

    public bool IsArray => Type.StartsWith("[]", StringComparison.Ordinal);
    public string ElementType => IsArray ? Type[2..] : Type;
    public bool IsNullable => !NullableVersions.IsNone;

    public static FieldSpec Parse(JsonElement json) => new()
    {
        Name = json.GetProperty("name").GetString()!,
        Type = json.GetProperty("type").GetString()!,
        Versions = VersionRange.Parse(Str(json, "versions")),
        NullableVersions = VersionRange.Parse(Str(json, "nullableVersions")),
        TaggedVersions = VersionRange.Parse(Str(json, "taggedVersions")),
        Tag = json.TryGetProperty("tag", out var tag) ? (tag.ValueKind == JsonValueKind.String ? int.Parse(tag.GetString()!) : tag.GetInt32()) : null,
        Default = json.TryGetProperty("default", out var def) ? def.ValueKind == JsonValueKind.String ? def.GetString() : def.GetRawText() : null,
        About = Str(json, "about"),
        FlexibleVersions = json.TryGetProperty("flexibleVersions", out var flex) ? VersionRange.Parse(flex.GetString()) : null,
        Fields = json.TryGetProperty("fields", out var fields) ? fields.EnumerateArray().Select(Parse).ToList() : null,
    };

    internal static string? Str(JsonElement json, string name) =>
        json.TryGetProperty(name, out var value) ? value.GetString() : null;
}

/// <summary>A whole message file: a request, response, header or data structure.</summary>
internal sealed class MessageSpec
{
    public required string Name { get; init; }
    public required string Kind { get; init; }
    public short? ApiKey { get; init; }
    public required VersionRange ValidVersions { get; init; }
    public required VersionRange FlexibleVersions { get; init; }
    public required List<FieldSpec> Fields { get; init; }
    public required List<(string Name, VersionRange Versions, List<FieldSpec> Fields)> CommonStructs { get; init; }

    private static readonly JsonDocumentOptions Options = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    public static MessageSpec Load(string path)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(path), Options);
        var root = doc.RootElement;
        return new MessageSpec
        {
            Name = root.GetProperty("name").GetString()!,
            Kind = root.GetProperty("type").GetString()!,
            ApiKey = root.TryGetProperty("apiKey", out var key) ? (key.ValueKind == JsonValueKind.String ? short.Parse(key.GetString()!) : key.GetInt16()) : null,
            ValidVersions = VersionRange.Parse(FieldSpec.Str(root, "validVersions")),
            FlexibleVersions = VersionRange.Parse(FieldSpec.Str(root, "flexibleVersions")),
            Fields = root.GetProperty("fields").EnumerateArray().Select(FieldSpec.Parse).ToList(),
            CommonStructs = root.TryGetProperty("commonStructs", out var structs)
                ? structs.EnumerateArray().Select(s => (
                    s.GetProperty("name").GetString()!,
                    VersionRange.Parse(FieldSpec.Str(s, "versions")),
                    s.GetProperty("fields").EnumerateArray().Select(FieldSpec.Parse).ToList())).ToList()
                : [],
        };
    }
}
