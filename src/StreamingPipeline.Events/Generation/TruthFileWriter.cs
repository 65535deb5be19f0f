using System.Buffers.Binary;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Events.Generation;

/// <summary>Streams entries into a truth file (see <see cref="TruthFile"/>); the end frame is written on dispose.</summary>
public sealed class TruthFileWriter : IDisposable
{
    private readonly IStorageFile _file;
    private readonly byte[] _frame = new byte[ChecksummedFrame.SizeFor(1 + (TruthFile.EntriesPerFrame * TruthFile.EntryLength))];
    private int _pending;
    private long _position;
    private long _count;
    private bool _disposed;

    internal TruthFileWriter(IFileSystem fileSystem, string path)
    {
        _file = fileSystem.Open(path, FileMode.Create, FileAccess.Write, FileShare.None);
    }

    /// <summary>How many entries have been written.</summary>
    public long Count => _count;

    /// <summary>Appends one entry.</summary>
    public void Write(Guid eventId, TruthExpectation expectation)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var entry = _frame.AsSpan(ChecksummedFrame.HeaderSize + 1 + (_pending * TruthFile.EntryLength), TruthFile.EntryLength);
        eventId.TryWriteBytes(entry, bigEndian: true, out _);
        entry[16] = (byte)expectation;
        _pending++;
        _count++;
        if (_pending == TruthFile.EntriesPerFrame)
        {
            WritePending();
        }
    }

    /// <summary>Writes the last entries and the end frame, and closes the file.</summary>
    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }
        _disposed = true;
        try
        {
            WritePending();
            Span<byte> end = stackalloc byte[9];
            end[0] = TruthFile.EndKind;
            BinaryPrimitives.WriteInt64BigEndian(end[1..], _count);
            _file.Write(ChecksummedFrame.Encode(TruthFile.Version, end), _position);
        }
        finally
        {
            _file.Dispose();
        }
    }

    private void WritePending()
    {
        if (_pending == 0)
        {
            return;
        }
        _frame[ChecksummedFrame.HeaderSize] = TruthFile.EntriesKind;
        BinaryPrimitives.WriteInt16BigEndian(_frame.AsSpan(ChecksummedFrame.HeaderSize - 2), TruthFile.Version);
        var size = ChecksummedFrame.SizeFor(1 + (_pending * TruthFile.EntryLength));
        ChecksummedFrame.Seal(_frame.AsSpan(0, size));
        _file.Write(_frame.AsSpan(0, size), _position);
        _position += size;
        _pending = 0;
    }
}
