using StreamingPipeline.Broker.Transactions;

namespace StreamingPipeline.Broker.Tests.Transactions;

public sealed class ProducerIdManagerTests : IDisposable
{
    private readonly TempDirectory _directory = new();

    public void Dispose() => _directory.Dispose();

    [Fact]
    public async Task ProducerIdsNeverRepeatAcrossRestarts()
    {
        var seen = new HashSet<long>();
        for (var run = 0; run < 3; run++)
        {
            using var manager = await ProducerIdManager.OpenAsync(_directory.Path, blockSize: 10);
            for (var i = 0; i < 25; i++)
            {
                Assert.True(seen.Add(await manager.NextProducerIdAsync()));
            }
        }

        Assert.Equal(75, seen.Count);
        Assert.All(seen, id => Assert.True(id >= 0));
    }

    [Fact]
    public async Task RestartSkipsTheRestOfTheReservedBlock()
    {
        using (var manager = await ProducerIdManager.OpenAsync(_directory.Path, blockSize: 100))
        {
            Assert.Equal(0, await manager.NextProducerIdAsync());
            Assert.Equal(1, await manager.NextProducerIdAsync());
        }

        using var restarted = await ProducerIdManager.OpenAsync(_directory.Path, blockSize: 100);
        Assert.Equal(100, await restarted.NextProducerIdAsync());
    }

    [Fact]
    public async Task CorruptBlockFileRefusesToStartRatherThanReuseIds()
    {
        using (var manager = await ProducerIdManager.OpenAsync(_directory.Path))
        {
            await manager.NextProducerIdAsync();
        }
        var path = _directory.Combine(ProducerIdManager.FileName);
        var bytes = await File.ReadAllBytesAsync(path);
        bytes[^1] ^= 1;
        await File.WriteAllBytesAsync(path, bytes);

        await Assert.ThrowsAsync<InvalidDataException>(() => ProducerIdManager.OpenAsync(_directory.Path));
    }
}
