using StreamingPipeline.Protocol.Generator;

// Usage: dotnet run --project src/StreamingPipeline.Protocol.Generator [-- --check]
// Regenerates src/StreamingPipeline.Protocol/Generated from spec/kafka-protocol; --check only reports drift (exit 1).
var check = args.Contains("--check");
var root = FindRepositoryRoot(AppContext.BaseDirectory) ?? FindRepositoryRoot(Directory.GetCurrentDirectory())
    ?? throw new InvalidOperationException("Cannot find the repository root (StreamingPipeline.slnx).");
var specDirectory = Path.Combine(root, "spec", "kafka-protocol");
var outputDirectory = Path.Combine(root, "src", "StreamingPipeline.Protocol", "Generated");

var generated = CodeGenerator.Generate(specDirectory);
var existing = Directory.Exists(outputDirectory)
    ? Directory.GetFiles(outputDirectory, "*.g.cs", SearchOption.AllDirectories)
        .Select(f => Path.GetRelativePath(outputDirectory, f).Replace('\\', '/')).ToHashSet()
    : [];
var drift = 0;
foreach (var (relative, content) in generated)
{
    var path = Path.Combine(outputDirectory, relative);
    existing.Remove(relative);
    if (File.Exists(path) && File.ReadAllText(path) == content)
    {
        continue;
    }
    drift++;
    if (!check)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }
}
foreach (var stale in existing)
{
    drift++;
    if (!check)
    {
        File.Delete(Path.Combine(outputDirectory, stale));
    }
}
Console.WriteLine(check
    ? drift == 0 ? "Generated code is up to date." : $"{drift} generated files are out of date; run the generator."
    : $"Wrote {generated.Count} files to {outputDirectory} ({drift} changed).");
return check && drift > 0 ? 1 : 0;

static string? FindRepositoryRoot(string start)
{
    for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
    {
        if (File.Exists(Path.Combine(dir.FullName, "StreamingPipeline.slnx")))
        {
            return dir.FullName;
        }
    }
    return null;
}
