using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;

using StreamingPipeline.Broker.Log;

namespace StreamingPipeline.Broker.Groups;

/// <summary>
/// The append-only file <c>offsets.log</c> that makes committed offsets durable (<see cref="OffsetsLogCodec"/> has the
/// layout). Opening replays every whole entry and cuts off a torn or corrupt tail; a rewrite replaces the file with only
/// the latest values through a flushed temporary file and a rename, so a crash leaves either the old or the new file.
/// Not thread-safe: after opening, <see cref="OffsetStore"/>'s writer loop is its only user.
/// </summary>
internal sealed class OffsetsLog : IDisposable
{
    public const string FileName = "offsets.log";
    private const string RewriteFileName = "offsets.log.rewrite";
    private const int ReadChunkSize = 64 * 1024;
    private const int RewriteChunkSize = 256 * 1024;

    private readonly string _path;
    private readonly string _rewritePath;
    private SafeFileHandle _handle;
    private long _length;

    private OffsetsLog(string path, string rewritePath, SafeFileHandle handle, long length)
    {
        _path = path;
        _rewritePath = rewritePath;
        _handle = handle;
        _length = length;
    }

    private enum FrameStatus
    {
        Complete,
        Incomplete,
        Invalid,
    }

    /// <summary>Bytes of whole entries in the file.</summary>
    public long Length => _length;

    /// <summary>Opens (or creates) the file in <paramref name="directory"/>, handing every entry to <paramref name="replay"/> in order.</summary>
    public static async Task<OffsetsLog> OpenAsync(string directory, Action<OffsetsLogEntry> replay, ILogger logger, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(directory);
        var path = Path.Combine(directory, FileName);
        var rewritePath = Path.Combine(directory, RewriteFileName);
        // A rewrite that did not reach its rename: the file it was to replace is still whole.
        File.Delete(rewritePath);
        // FileShare.None: a second coordinator on the same directory fails here instead of interleaving writes.
        var handle = File.OpenHandle(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, FileOptions.Asynchronous);
        try
        {
            var fileLength = RandomAccess.GetLength(handle);
            var validLength = await ReplayAsync(handle, fileLength, replay, cancellationToken);
            if (validLength < fileLength)
            {
                GroupCoordinatorLogMessages.OffsetsLogTailTruncated(logger, path, fileLength - validLength, validLength);
                RandomAccess.SetLength(handle, validLength);
            }
            return new OffsetsLog(path, rewritePath, handle, validLength);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>Appends whole frames; on failure the file is cut back so no partial frame stays behind.</summary>
    public async ValueTask AppendAsync(ReadOnlyMemory<byte> frames, bool flushToDisk, CancellationToken cancellationToken)
    {
        try
        {
            await RandomAccess.WriteAsync(_handle, frames, _length, cancellationToken);
            if (flushToDisk)
            {
                RandomAccess.FlushToDisk(_handle);
            }
            _length += frames.Length;
        }
        catch
        {
            TryCutBack();
            throw;
        }
    }

    /// <summary>Replaces the file's content with <paramref name="entries"/>.</summary>
    public async Task RewriteAsync(IEnumerable<OffsetsLogEntry> entries, CancellationToken cancellationToken)
    {
        var rewrittenLength = 0L;
        using (var rewrite = File.OpenHandle(_rewritePath, FileMode.Create, FileAccess.Write, FileShare.None, FileOptions.Asynchronous))
        {
            var buffer = new OffsetsLogBuffer(RewriteChunkSize);
            foreach (var entry in entries)
            {
                OffsetsLogCodec.WriteFrame(buffer, entry);
                if (buffer.Length >= RewriteChunkSize)
                {
                    await RandomAccess.WriteAsync(rewrite, buffer.WrittenMemory, rewrittenLength, cancellationToken);
                    rewrittenLength += buffer.Length;
                    buffer.Clear();
                }
            }
            await RandomAccess.WriteAsync(rewrite, buffer.WrittenMemory, rewrittenLength, cancellationToken);
            rewrittenLength += buffer.Length;
            // Always flushed, whatever the write policy: after the rename this file is the only copy of every offset.
            RandomAccess.FlushToDisk(rewrite);
        }

        _handle.Dispose();
        try
        {
            File.Move(_rewritePath, _path, overwrite: true);
        }
        finally
        {
            // Reopened even when the rename failed, so the old file keeps serving appends.
            _handle = File.OpenHandle(_path, FileMode.Open, FileAccess.ReadWrite, FileShare.None, FileOptions.Asynchronous);
            _length = RandomAccess.GetLength(_handle);
        }
    }

    public void Dispose() => _handle.Dispose();

    private static async Task<long> ReplayAsync(SafeFileHandle handle, long fileLength, Action<OffsetsLogEntry> replay, CancellationToken cancellationToken)
    {
        var buffer = new byte[(int)Math.Min(ReadChunkSize, Math.Max(fileLength, OffsetsLogCodec.LengthSize))];
        long bufferPosition = 0;
        var start = 0;
        var end = 0;
        while (true)
        {
            var status = TryReadFrame(buffer.AsSpan(start, end - start), out var frameSize, out var entry);
            if (status == FrameStatus.Complete)
            {
                replay(entry!);
                start += frameSize;
                continue;
            }
            if (status == FrameStatus.Invalid || bufferPosition + start + frameSize > fileLength)
            {
                // Torn (the frame runs past the end of the file) or corrupt: everything from here on is dropped.
                return bufferPosition + start;
            }
            if (start > 0)
            {
                Buffer.BlockCopy(buffer, start, buffer, 0, end - start);
                bufferPosition += start;
                end -= start;
                start = 0;
            }
            if (buffer.Length < frameSize)
            {
                Array.Resize(ref buffer, Math.Max(frameSize, buffer.Length * 2));
            }
            var read = await RandomAccess.ReadAsync(handle, buffer.AsMemory(end), bufferPosition + end, cancellationToken);
            if (read == 0)
            {
                return bufferPosition + start;
            }
            end += read;
        }
    }

    /// <summary>
    /// Reads the frame at the start of <paramref name="available"/>. When incomplete, <paramref name="frameSize"/> is how
    /// many bytes are needed to go on: the length field, or the whole frame once its length is known.
    /// </summary>
    private static FrameStatus TryReadFrame(ReadOnlySpan<byte> available, out int frameSize, out OffsetsLogEntry? entry)
    {
        entry = null;
        frameSize = OffsetsLogCodec.LengthSize;
        if (available.Length < OffsetsLogCodec.LengthSize)
        {
            return FrameStatus.Incomplete;
        }
        var frameLength = BinaryPrimitives.ReadInt32BigEndian(available);
        if (frameLength < OffsetsLogCodec.MinFrameLength || frameLength > OffsetsLogCodec.MaxFrameLength)
        {
            return FrameStatus.Invalid;
        }
        frameSize = OffsetsLogCodec.LengthSize + frameLength;
        if (available.Length < frameSize)
        {
            return FrameStatus.Incomplete;
        }
        var frame = available[OffsetsLogCodec.LengthSize..frameSize];
        var checkedBytes = frame[OffsetsLogCodec.ChecksumSize..];
        if (Crc32C.Compute(checkedBytes) != BinaryPrimitives.ReadUInt32BigEndian(frame))
        {
            return FrameStatus.Invalid;
        }
        var version = checkedBytes[0];
        if (version != OffsetsLogCodec.FormatVersion)
        {
            // A whole, checksummed entry in an unknown layout was written by other code; dropping it would lose offsets.
            throw new InvalidDataException($"The offsets log has an entry in format version {version}; this broker reads version {OffsetsLogCodec.FormatVersion}.");
        }
        entry = OffsetsLogCodec.ReadPayload(checkedBytes[OffsetsLogCodec.VersionSize..]);
        return FrameStatus.Complete;
    }

    private void TryCutBack()
    {
        try
        {
            RandomAccess.SetLength(_handle, _length);
        }
        catch (IOException)
        {
            // The append already failed; its caller reports that. A partial frame left here is cut off on the next open.
        }
    }
}
