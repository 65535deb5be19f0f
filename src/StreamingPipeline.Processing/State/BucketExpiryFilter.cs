using System.Runtime.InteropServices;
using RocksDbSharp;

namespace StreamingPipeline.Processing.State;

/// <summary>
/// A RocksDB compaction filter that drops every key whose bucket (its 8-byte little-endian value) is below the
/// committed expiry floor: expired buckets leave the disk as compaction passes over them, with no tombstones and
/// no index of keys per bucket. RocksDB calls it on its background threads; the floor is read with a volatile read
/// and only ever rises after the commit that expired those buckets is written.
/// </summary>
internal sealed class BucketExpiryFilter
{
    private static readonly IntPtr Name = Marshal.StringToHGlobalAnsi("streaming-pipeline.bucket-expiry");
    private readonly NameDelegate _name;
    private readonly FilterDelegate _filter;
    private readonly DestructorDelegate _destructor;
    private long _floor = long.MinValue;

    public BucketExpiryFilter()
    {
        // The delegates are fields so the garbage collector keeps them while native code holds their pointers.
        _name = _ => Name;
        _filter = Filter;
        _destructor = _ => { };
        Native = new CompactionFilter(_name, _filter, _destructor, IntPtr.Zero);
    }

    public CompactionFilter Native { get; }

    public long Floor
    {
        get => Volatile.Read(ref _floor);
        set => Volatile.Write(ref _floor, value);
    }

    private char Filter(IntPtr state, int level, IntPtr key, UIntPtr keyLength, IntPtr existingValue, UIntPtr valueLength,
        IntPtr newValue, IntPtr newValueLength, out byte valueChanged)
    {
        valueChanged = 0;
        if (valueLength != 8)
        {
            return '\0';
        }
        var bucket = Marshal.ReadInt64(existingValue);
        if (!BitConverter.IsLittleEndian)
        {
            bucket = System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(bucket);
        }
        return bucket < Floor ? '\u0001' : '\0';
    }
}
