using System.Diagnostics;

namespace StreamingPipeline.Broker.Tests.Integration;

/// <summary>kcat is a second, independent client (librdkafka in C, its own code paths for metadata and consuming).</summary>
public class KcatTests
{
    [Fact]
    public async Task KcatListsMetadataProducesAndConsumes()
    {
        await using var broker = await EmbeddedBroker.CreateBuilder().WithTopic("kcat-topic", partitions: 2).StartAsync();

        var metadata = await RunKcatAsync($"-b {broker.BootstrapServers} -L -J");
        Assert.Contains("\"topic\":\"kcat-topic\"", metadata, StringComparison.Ordinal);

        var lines = Enumerable.Range(0, 50).Select(i => $"key{i % 5}:value{i}").ToList();
        await RunKcatAsync($"-b {broker.BootstrapServers} -t kcat-topic -P -K : -X acks=all", string.Join('\n', lines) + "\n");
        var consumed = await RunKcatAsync($"-b {broker.BootstrapServers} -t kcat-topic -C -o beginning -e -f %k:%s\\n");

        Assert.Equal(lines.Order(StringComparer.Ordinal), consumed.Split('\n', StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));
    }

    private static async Task<string> RunKcatAsync(string arguments, string? input = null)
    {
        var start = new ProcessStartInfo("kcat", arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = input is not null,
        };
        using var process = Process.Start(start) ?? throw new InvalidOperationException("kcat did not start (run ./test, which installs it).");
        if (input is not null)
        {
            await process.StandardInput.WriteAsync(input);
            process.StandardInput.Close();
        }
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await process.WaitForExitAsync(cts.Token);
        Assert.True(process.ExitCode == 0, $"kcat {arguments} exited {process.ExitCode}: {await error}");
        return await output;
    }
}
