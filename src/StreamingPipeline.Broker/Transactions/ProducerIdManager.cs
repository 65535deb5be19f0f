using System.Buffers.Binary;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// Hands out producer ids that never repeat, across restarts too: before using a block of ids it durably records the
/// end of that block (file <c>producer-id-block</c>, one <see cref="ChecksummedFrame"/>, replaced atomically), and
/// after a restart it starts at the recorded end, skipping what the previous run left unused.
/// Thread-safe: callers are serialised by an internal async lock.
/// </summary>
public sealed class ProducerIdManager : IDisposable
{
    /// <summary>The block file's name inside the coordinator's directory.</summary>
    public const string FileName = "producer-id-block";

    /// <summary>Ids reserved per durable write.</summary>
    public const int DefaultBlockSize = 1000;

    private const short Version = 0;

    private readonly string _path;
    private readonly int _blockSize;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _next;
    private long _blockEnd;

    private ProducerIdManager(string path, int blockSize, long blockEnd)
    {
        _path = path;
        _blockSize = blockSize;
        _next = blockEnd;
        _blockEnd = blockEnd;
    }

    /// <summary>
    /// Opens the allocator whose block file is in <paramref name="directory"/>. A block file that exists but cannot be
    /// read is an error rather than a reason to start again from 0, which could reuse ids.
    /// </summary>
    public static async Task<ProducerIdManager> OpenAsync(string directory, int blockSize = DefaultBlockSize, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        long blockEnd = 0;
        if (File.Exists(path))
        {
            var bytes = await File.ReadAllBytesAsync(path, cancellationToken);
            if (!ChecksummedFrame.TryRead(bytes, out var version, out var payload, out _) || version != Version || payload.Length != 8)
            {
                throw new InvalidDataException($"The producer id block file {path} is corrupt; refusing to reuse producer ids.");
            }
            blockEnd = BinaryPrimitives.ReadInt64BigEndian(payload);
        }
        return new ProducerIdManager(path, blockSize, blockEnd);
    }

    /// <summary>The next unused producer id.</summary>
    public async ValueTask<long> NextProducerIdAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken);
        try
        {
            if (_next == _blockEnd)
            {
                await PersistBlockEndAsync(_blockEnd + _blockSize);
                _blockEnd += _blockSize;
            }
            return _next++;
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc />
    public void Dispose() => _gate.Dispose();

    private async Task PersistBlockEndAsync(long blockEnd)
    {
        var payload = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(payload, blockEnd);
        var temporary = _path + ".tmp";

        // Not cancellable: a half-done reservation must either land whole or not at all.
        await using (var file = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None, 4096, useAsync: true))
        {
            await file.WriteAsync(ChecksummedFrame.Encode(Version, payload));
            await file.FlushAsync();
            file.Flush(flushToDisk: true);
        }
        File.Move(temporary, _path, overwrite: true);
    }
}
