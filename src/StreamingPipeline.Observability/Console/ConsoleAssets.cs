using System.Collections.Frozen;
using System.Reflection;

namespace StreamingPipeline.Observability.Console;

/// <summary>
/// The console's page, script and style sheet, embedded in this assembly (Console/Assets) and served from memory, so
/// the console needs no files beside the binary and no network.
/// </summary>
internal static class ConsoleAssets
{
    private const string Prefix = "StreamingPipeline.Observability.Console.Assets.";

    private static readonly FrozenDictionary<string, ConsoleAsset> Assets = Load();

    /// <summary>The asset named <paramref name="name"/> (e.g. <c>app.js</c>), or null.</summary>
    public static ConsoleAsset? Find(string name) => Assets.GetValueOrDefault(name);

    /// <summary>Every asset's name.</summary>
    public static IEnumerable<string> Names => Assets.Keys;

    private static FrozenDictionary<string, ConsoleAsset> Load()
    {
        var assembly = typeof(ConsoleAssets).Assembly;
        var assets = new Dictionary<string, ConsoleAsset>(StringComparer.Ordinal);
        foreach (var resource in assembly.GetManifestResourceNames().Where(n => n.StartsWith(Prefix, StringComparison.Ordinal)))
        {
            var name = resource[Prefix.Length..];
            assets[name] = new ConsoleAsset(ContentType(name), Read(assembly, resource));
        }
        return assets.ToFrozenDictionary(StringComparer.Ordinal);
    }

    private static byte[] Read(Assembly assembly, string resource)
    {
        using var stream = assembly.GetManifestResourceStream(resource)!;
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }

    private static string ContentType(string name) => Path.GetExtension(name) switch
    {
        ".html" => "text/html; charset=utf-8",
        ".js" => "text/javascript; charset=utf-8",
        ".css" => "text/css; charset=utf-8",
        ".svg" => "image/svg+xml",
        _ => "application/octet-stream",
    };
}
