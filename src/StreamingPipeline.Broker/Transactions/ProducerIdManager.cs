using System.Buffers.Binary;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Transactions;

/// <summary>
/// Hands out producer ids that never repeat, across restarts too: before using a block of ids it durably records the
/// end of that block (file <c>producer-id-block</c>, one <see cref="ChecksummedFrame"/>, replaced atomically by <see cref="AtomicFile"/>), and
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

    private readonly IFileSystem _fileSystem;
    private readonly string _path;
    private readonly int _blockSize;
    private readonly SemaphoreSlim _gate = new(1, 1);
    private long _next;
    private long _blockEnd;

    private ProducerIdManager(IFileSystem fileSystem, string path, int blockSize, long blockEnd)
    {
        _fileSystem = fileSystem;
        _path = path;
        _blockSize = blockSize;
        _next = blockEnd;
        _blockEnd = blockEnd;
    }

    /// <summary>
    /// Opens the allocator whose block file is in <paramref name="directory"/>. A block file that exists but cannot be
    /// read is an error rather than a reason to start again from 0, which could reuse ids.
    /// </summary>
    public static async Task<ProducerIdManager> OpenAsync(
        string directory, int blockSize = DefaultBlockSize, CancellationToken cancellationToken = default, IFileSystem? fileSystem = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(blockSize, 1);
        fileSystem ??= PhysicalFileSystem.Instance;
        fileSystem.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        long blockEnd = 0;
        FramedRecord? record;
        try
        {
            record = await AtomicFile.ReadRecordAsync(fileSystem, path, cancellationToken);
        }
        catch (InvalidDataException ex)
        {
            throw new InvalidDataException($"The producer id block file {path} is corrupt; refusing to reuse producer ids.", ex);
        }
        if (record is { } stored)
        {
            if (stored.Version != Version || stored.Payload.Length != 8)
            {
                throw new InvalidDataException($"The producer id block file {path} is corrupt; refusing to reuse producer ids.");
            }
            blockEnd = BinaryPrimitives.ReadInt64BigEndian(stored.Payload.Span);
        }
        return new ProducerIdManager(fileSystem, path, blockSize, blockEnd);
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

        // Not cancellable: a half-done reservation must either land whole or not at all.
        await AtomicFile.WriteRecordAsync(_fileSystem, _path, Version, payload, CancellationToken.None);
    }
}
