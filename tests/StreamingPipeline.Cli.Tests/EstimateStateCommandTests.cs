using System.Text.Json;

namespace StreamingPipeline.Cli.Tests;

public class EstimateStateCommandTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task JsonOutputGivesTheTotalsAndPerPartitionFiguresOfTheModel()
    {
        var (exitCode, output, _) = await ChildProcess.RunPipelineAsync(Timeout,
            "estimate-state", "--users", "10000000", "--events-per-user-per-day", "50", "--window", "24h", "--slide", "30m", "--partitions", "8", "-o", "json");

        Assert.Equal(ExitCodes.Ok, exitCode);
        using var json = JsonDocument.Parse(output);
        var root = json.RootElement;
        Assert.Equal(484_895_833, root.GetProperty("peakKeys").GetInt64(), tolerance: 1);
        var live = root.GetProperty("liveSstBytes").GetInt64();
        Assert.Equal((live + 7) / 8, root.GetProperty("liveSstBytesPerPartition").GetInt64());
        Assert.Equal("hash96", root.GetProperty("keyFormat").GetString());
        Assert.Equal(12, root.GetProperty("keyBytes").GetInt32());
        Assert.InRange(live / (double)root.GetProperty("peakKeys").GetInt64(), 12, 40);
        Assert.True(root.GetProperty("peakDiskBytes").GetInt64() > live);
        Assert.NotEmpty(root.GetProperty("recommendedSettings").EnumerateArray());
    }

    [Fact]
    public async Task TheBinaryKeyFormatSizesTheLongerKeyAndMoreBytesPerKey()
    {
        string[] args = ["estimate-state", "--users", "10000000", "--events-per-user-per-day", "50", "-o", "json"];
        var (hashExit, hashOutput, _) = await ChildProcess.RunPipelineAsync(Timeout, args);
        var (binaryExit, binaryOutput, _) = await ChildProcess.RunPipelineAsync(Timeout, [.. args, "--key-format", "binary"]);

        Assert.Equal(ExitCodes.Ok, hashExit);
        Assert.Equal(ExitCodes.Ok, binaryExit);
        using var hash = JsonDocument.Parse(hashOutput);
        using var binary = JsonDocument.Parse(binaryOutput);
        Assert.Equal(25, binary.RootElement.GetProperty("keyBytes").GetInt32());
        Assert.True(binary.RootElement.GetProperty("diskBytesPerKey").GetDouble() > hash.RootElement.GetProperty("diskBytesPerKey").GetDouble());
    }

    [Theory]
    [InlineData("estimate-state", "--users", "10", "--events-per-user-per-day", "5", "--window", "1h", "--slide", "7m")]
    [InlineData("estimate-state", "--users", "0", "--events-per-user-per-day", "5")]
    [InlineData("estimate-state", "--users", "10", "--events-per-user-per-day", "5", "--duplicates", "1")]
    [InlineData("estimate-state", "--users", "10", "--events-per-user-per-day", "5", "--backend", "leveldb")]
    [InlineData("estimate-state", "--users", "10", "--events-per-user-per-day", "5", "--window", "forever")]
    [InlineData("estimate-state", "--users", "10", "--events-per-user-per-day", "5", "--key-format", "md5")]
    public async Task BadArgumentsExitWithTwoAndOneLine(params string[] args)
    {
        var (exitCode, _, error) = await ChildProcess.RunPipelineAsync(Timeout, args);

        Assert.Equal(ExitCodes.Usage, exitCode);
        Assert.StartsWith("error: ", error, StringComparison.Ordinal);
    }
}
