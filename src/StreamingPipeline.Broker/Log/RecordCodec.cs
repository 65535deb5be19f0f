using System.Buffers.Binary;
using System.IO.Compression;
using K4os.Compression.LZ4;
using K4os.Compression.LZ4.Streams;
using Snappier;
using ZstdSharp;

namespace StreamingPipeline.Broker.Log;

/// <summary>
/// The codecs of v2 record batches (the attributes' low three bits), with the framings Kafka's clients write and read:
/// gzip streams, Snappy in xerial framing (raw Snappy blocks are read too, as librdkafka may send them), LZ4 frames
/// with independent blocks, and zstd frames.
/// </summary>
internal static class RecordCodec
{
    /// <summary>Codec id of an uncompressed batch.</summary>
    public const int None = 0;

    /// <summary>Codec id of gzip.</summary>
    public const int Gzip = 1;

    /// <summary>Codec id of Snappy.</summary>
    public const int Snappy = 2;

    /// <summary>Codec id of LZ4.</summary>
    public const int Lz4 = 3;

    /// <summary>Codec id of zstd.</summary>
    public const int Zstd = 4;

    // Java's SnappyOutputStream (xerial): magic, then version and compatible version, then length-prefixed blocks.
    private static readonly byte[] XerialMagic = [0x82, (byte)'S', (byte)'N', (byte)'A', (byte)'P', (byte)'P', (byte)'Y', 0];
    private const int XerialHeaderSize = 16;
    private const int XerialBlockSize = 32 * 1024;

    /// <summary>The codec id of a topic's compression.type, or -1 for "producer" (keep what the producer sent).</summary>
    public static int FromConfigName(string compressionType) => compressionType switch
    {
        "uncompressed" => None,
        "gzip" => Gzip,
        "snappy" => Snappy,
        "lz4" => Lz4,
        "zstd" => Zstd,
        _ => -1,
    };

    /// <summary>Compresses the records section of a batch with <paramref name="codec"/>.</summary>
    public static byte[] Compress(int codec, ReadOnlySpan<byte> records)
    {
        switch (codec)
        {
            case None:
                return records.ToArray();
            case Snappy:
                return CompressXerialSnappy(records);
            case Zstd:
                using (var compressor = new Compressor(3))
                {
                    return compressor.Wrap(records).ToArray();
                }
            default:
                using (var output = new MemoryStream(records.Length / 2 + 64))
                {
                    using (var stream = CompressingStream(codec, output))
                    {
                        stream.Write(records);
                    }
                    return output.ToArray();
                }
        }
    }

    /// <summary>Decompresses the records section of a batch; <see cref="InvalidDataException"/> when it is not valid.</summary>
    public static byte[] Decompress(int codec, ReadOnlyMemory<byte> compressed)
    {
        try
        {
            switch (codec)
            {
                case None:
                    return compressed.ToArray();
                case Snappy:
                    return DecompressSnappy(compressed.Span);
                default:
                    using (var input = new MemoryStream(compressed.ToArray(), writable: false))
                    using (var stream = DecompressingStream(codec, input))
                    using (var output = new MemoryStream(compressed.Length * 4))
                    {
                        stream.CopyTo(output);
                        return output.ToArray();
                    }
            }
        }
        catch (Exception ex) when (ex is not InvalidDataException and (IOException or ArgumentException or InvalidOperationException or ZstdException or IndexOutOfRangeException))
        {
            throw new InvalidDataException($"The records do not decompress with codec {codec}: {ex.Message}", ex);
        }
    }

    private static Stream CompressingStream(int codec, Stream output) => codec switch
    {
        Gzip => new GZipStream(output, CompressionLevel.Fastest, leaveOpen: true),
        Lz4 => LZ4Stream.Encode(output, new LZ4EncoderSettings { ChainBlocks = false, BlockSize = 64 * 1024, CompressionLevel = LZ4Level.L00_FAST }, leaveOpen: true),
        _ => throw new ArgumentOutOfRangeException(nameof(codec), codec, "Unknown codec."),
    };

    private static Stream DecompressingStream(int codec, Stream input) => codec switch
    {
        Gzip => new GZipStream(input, CompressionMode.Decompress),
        Lz4 => LZ4Stream.Decode(input),
        Zstd => new DecompressionStream(input),
        _ => throw new InvalidDataException($"Unknown compression codec {codec}."),
    };

    private static byte[] CompressXerialSnappy(ReadOnlySpan<byte> records)
    {
        using var output = new MemoryStream(records.Length / 2 + 64);
        Span<byte> header = stackalloc byte[XerialHeaderSize];
        XerialMagic.CopyTo(header);
        BinaryPrimitives.WriteInt32BigEndian(header[8..], 1);
        BinaryPrimitives.WriteInt32BigEndian(header[12..], 1);
        output.Write(header);
        Span<byte> length = stackalloc byte[4];
        for (var position = 0; position < records.Length; position += XerialBlockSize)
        {
            var block = Snappier.Snappy.CompressToArray(records.Slice(position, Math.Min(XerialBlockSize, records.Length - position)));
            BinaryPrimitives.WriteInt32BigEndian(length, block.Length);
            output.Write(length);
            output.Write(block);
        }
        return output.ToArray();
    }

    private static byte[] DecompressSnappy(ReadOnlySpan<byte> compressed)
    {
        if (compressed.Length < XerialHeaderSize || !compressed[..XerialMagic.Length].SequenceEqual(XerialMagic))
        {
            return Snappier.Snappy.DecompressToArray(compressed);
        }
        using var output = new MemoryStream(compressed.Length * 4);
        var position = XerialHeaderSize;
        while (position < compressed.Length)
        {
            if (compressed.Length - position < 4)
            {
                throw new InvalidDataException("A xerial Snappy block length is truncated.");
            }
            var blockLength = BinaryPrimitives.ReadInt32BigEndian(compressed[position..]);
            position += 4;
            if (blockLength < 0 || blockLength > compressed.Length - position)
            {
                throw new InvalidDataException($"A xerial Snappy block declares {blockLength} bytes.");
            }
            output.Write(Snappier.Snappy.DecompressToArray(compressed.Slice(position, blockLength)));
            position += blockLength;
        }
        return output.ToArray();
    }
}
