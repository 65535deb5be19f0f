using System.Buffers.Binary;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Log;

/// <summary>
/// The sparse time index of a segment (Kafka's <c>.timeindex</c>): entries of (max timestamp so far, offset of the batch
/// that had it), appended only when the max grows, so a lookup by timestamp skips batches that are all older.
/// </summary>
internal sealed class TimeIndex : SparseIndex<TimeIndexEntry>
{
    private const uint Magic = 0x53505449; // "SPTI"

    public TimeIndex(string path, long baseOffset, IFileSystem? fileSystem = null)
        : base(path, baseOffset, Magic, payloadSize: 12, fileSystem)
    {
    }

    /// <summary>The last entry, or null when the index is empty.</summary>
    public TimeIndexEntry? Last
    {
        get
        {
            var entries = Entries;
            return entries.IsEmpty ? null : entries[^1];
        }
    }

    /// <summary>Appends (timestamp, offset) when <paramref name="timestamp"/> is newer than the last entry.</summary>
    public void MaybeAppend(long timestamp, long offset)
    {
        if (Last is { } last && timestamp <= last.Timestamp)
        {
            return;
        }
        Append(new TimeIndexEntry(timestamp, checked((int)(offset - BaseOffset))));
    }

    /// <summary>
    /// An offset from which to scan for the first batch with a max timestamp of at least <paramref name="timestamp"/>:
    /// the offset of the last entry whose timestamp is older (every batch up to it is older), or the segment's base.
    /// </summary>
    public long LookupOffset(long timestamp)
    {
        var entries = Entries;
        int low = 0, high = entries.Length - 1, found = -1;
        while (low <= high)
        {
            var middle = (low + high) >>> 1;
            if (entries[middle].Timestamp < timestamp)
            {
                found = middle;
                low = middle + 1;
            }
            else
            {
                high = middle - 1;
            }
        }
        return found < 0 ? BaseOffset : BaseOffset + entries[found].RelativeOffset;
    }

    /// <summary>Drops entries that refer to offsets at or past <paramref name="endOffset"/>.</summary>
    public void TruncateFrom(long endOffset)
    {
        var entries = Entries;
        var keep = entries.Length;
        while (keep > 0 && BaseOffset + entries[keep - 1].RelativeOffset >= endOffset)
        {
            keep--;
        }
        TruncateTo(keep);
    }

    /// <summary>Loads the file, keeping entries whose timestamps and offsets never decrease.</summary>
    public bool LoadEntries() =>
        Load((previous, entry) =>
            entry.RelativeOffset >= 0
            && (previous is not { } p || (entry.Timestamp >= p.Timestamp && entry.RelativeOffset >= p.RelativeOffset)));

    protected override void Encode(in TimeIndexEntry entry, Span<byte> payload)
    {
        BinaryPrimitives.WriteInt64BigEndian(payload, entry.Timestamp);
        BinaryPrimitives.WriteInt32BigEndian(payload[8..], entry.RelativeOffset);
    }

    protected override TimeIndexEntry Decode(ReadOnlySpan<byte> payload) =>
        new(BinaryPrimitives.ReadInt64BigEndian(payload), BinaryPrimitives.ReadInt32BigEndian(payload[8..]));
}
