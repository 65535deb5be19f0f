using System.Buffers.Binary;
using System.IO.Hashing;

namespace StreamingPipeline.Events.Generation;

/// <summary>Streams entries into a truth file (see <see cref="TruthFile"/>); the trailer is written on dispose.</summary>
public sealed class TruthFileWriter : IDisposable
{
    private readonly FileStream _stream;
    private readonly Crc32 _crc = new();
    private readonly byte[] _entry = new byte[TruthFile.EntryLength];
    private long _count;
    private bool _disposed;

    internal TruthFileWriter(string path)
    {
        _stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 16);
        _stream.Write(TruthFile.Magic);
        _stream.WriteByte(TruthFile.Version);
    }

    /// <summary>How many entries have been written.</summary>
    public long Count => _count;

    /// <summary>Appends one entry.</summary>
    public void Write(Guid eventId, TruthExpectation expectation)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        eventId.TryWriteBytes(_entry, bigEndian: true, out _);
        _entry[16] = (byte)expectation;
        _crc.Append(_entry);
        _stream.Write(_entry);
        _count++;
    }

    /// <summary>Writes the trailer and closes the file.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        Span<byte> trailer = stackalloc byte[TruthFile.TrailerLength];
        BinaryPrimitives.WriteInt64BigEndian(trailer, _count);
        BinaryPrimitives.WriteUInt32BigEndian(trailer[8..], _crc.GetCurrentHashAsUInt32());
        _stream.Write(trailer);
        _stream.Dispose();
    }
}
