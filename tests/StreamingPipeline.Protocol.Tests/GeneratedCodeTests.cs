using StreamingPipeline.Protocol.Generator;

namespace StreamingPipeline.Protocol.Tests;

public class GeneratedCodeTests
{
    [Fact]
    public void CheckedInCodeMatchesWhatTheGeneratorProducesFromTheSpecs()
    {
        var root = RepositoryRoot();
        var generated = CodeGenerator.Generate(Path.Combine(root, "spec", "kafka-protocol"));
        var outputDirectory = Path.Combine(root, "src", "StreamingPipeline.Protocol", "Generated");
        var onDisk = Directory.GetFiles(outputDirectory, "*.g.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(outputDirectory, f).Replace('\\', '/'))
            .Order(StringComparer.Ordinal)
            .ToList();

        Assert.Equal(generated.Keys.ToList(), onDisk);
        foreach (var (relative, content) in generated)
        {
            Assert.True(content == File.ReadAllText(Path.Combine(outputDirectory, relative)),
                $"{relative} is stale: run dotnet run --project src/StreamingPipeline.Protocol.Generator");
        }
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "StreamingPipeline.slnx")))
            {
                return dir.FullName;
            }
        }
        throw new InvalidOperationException("Repository root not found.");
    }
}
