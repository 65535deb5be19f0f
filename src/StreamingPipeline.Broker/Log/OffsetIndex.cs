using System.Buffers.Binary;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Log;

/// <summary>
/// The sparse offset index of a segment (Kafka's <c>.index</c>): about one entry per index.interval.bytes of batches,
/// each mapping a batch's base offset to its byte position, so a read seeks close to its batch and scans a few headers.
/// </summary>
internal sealed class OffsetIndex : SparseIndex<OffsetIndexEntry>
{
    private const uint Magic = 0x53504F49; // "SPOI"

    public OffsetIndex(string path, long baseOffset, IFileSystem? fileSystem = null)
        : base(path, baseOffset, Magic, payloadSize: 8, fileSystem)
    {
    }

    /// <summary>The last entry, or null when the index is empty.</summary>
    public OffsetIndexEntry? Last
    {
        get
        {
            var entries = Entries;
            return entries.IsEmpty ? null : entries[^1];
        }
    }

    /// <summary>Records that the batch with <paramref name="baseOffset"/> starts at <paramref name="position"/>.</summary>
    public void Append(long baseOffset, int position) =>
        Append(new OffsetIndexEntry(checked((int)(baseOffset - BaseOffset)), position));

    /// <summary>The position of the last indexed batch whose base offset is at most <paramref name="offset"/>, or 0.</summary>
    public int LookupPosition(long offset)
    {
        var entries = Entries;
        var relative = offset - BaseOffset;
        int low = 0, high = entries.Length - 1, found = -1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            if (entries[middle].RelativeOffset <= relative)
            {
                found = middle;
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }
        return found < 0 ? 0 : entries[found].Position;
    }

    /// <summary>Loads the file, keeping entries that increase strictly and point inside the first <paramref name="dataSize"/> bytes.</summary>
    public bool Load(long dataSize) =>
        Load((previous, entry) =>
            entry.RelativeOffset >= 0
            && entry.Position > 0
            && entry.Position < dataSize
            && (previous is not { } p || (entry.RelativeOffset > p.RelativeOffset && entry.Position > p.Position)));

    protected override void Encode(in OffsetIndexEntry entry, Span<byte> payload)
    {
        BinaryPrimitives.WriteInt32BigEndian(payload, entry.RelativeOffset);
        BinaryPrimitives.WriteInt32BigEndian(payload[4..], entry.Position);
    }

    protected override OffsetIndexEntry Decode(ReadOnlySpan<byte> payload) =>
        new(BinaryPrimitives.ReadInt32BigEndian(payload), BinaryPrimitives.ReadInt32BigEndian(payload[4..]));
}
