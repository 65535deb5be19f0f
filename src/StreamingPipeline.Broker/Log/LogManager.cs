using Microsoft.Extensions.Logging;
using StreamingPipeline.Protocol;
using StreamingPipeline.Storage;

namespace StreamingPipeline.Broker.Log;

/// <summary>
/// Owns every <see cref="PartitionLog"/> under one data directory: loads and recovers them on open, creates, alters and
/// deletes topics durably, and runs retention and time-based flushes in a background loop.
/// </summary>
/// <remarks>
/// <para>On-disk layout (Kafka's for partitions, plus a metadata file per topic):</para>
/// <code>
/// &lt;dataDir&gt;/
///   .lock                                  locked while a LogManager has the directory open
///   topics/&lt;topic&gt;.topic                  topic id, partition count, config overrides (<see cref="TopicMetadataFile"/>)
///   &lt;topic&gt;-&lt;partition&gt;/                  one directory per partition
///     00000000000000000000.log             segment: v2 record batches, named by base offset
///     00000000000000000000.index           sparse offset index (versioned, per-entry CRC)
///     00000000000000000000.timeindex       sparse time index (versioned, per-entry CRC)
///   &lt;32 hex digits&gt;.deleting/             a partition directory on its way out
/// </code>
/// <para>
/// A topic exists exactly when its metadata file does. Creation writes the partition directories first and the
/// metadata file last; deletion removes the metadata file first, then renames and deletes the partition directories.
/// On open, partition directories without a topic (from a crash in either) and <c>.deleting</c> directories are removed,
/// so a crash never leaves half a topic. Other components may keep their own files in the data directory; a
/// directory is only ever removed as a stray partition if it is named &lt;topic&gt;-&lt;number&gt; and holds nothing
/// but segment and index files.
/// </para>
/// <para>
/// Threading: creating, altering and deleting topics are serialised by one lock; lookups (<see cref="GetTopic(string)"/>,
/// <see cref="GetPartition"/>) read an immutable snapshot and take no lock.
/// </para>
/// </remarks>
internal sealed class LogManager : IAsyncDisposable
{
    private const string TopicsDirectoryName = "topics";
    private const string LockFileName = ".lock";
    private const string DeletingSuffix = ".deleting";

    private readonly string _dataDirectory;
    private readonly string _topicsDirectory;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _logger;
    private readonly LogManagerOptions _options;
    private readonly FileStream _lockFile;
    private readonly Lock _topicsLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private Snapshot _snapshot;
    private LogConfig _defaults;
    private Task _maintenance = Task.CompletedTask;
    private bool _disposed;

    private LogManager(string dataDirectory, LogConfig defaults, TimeProvider time, ILoggerFactory loggers, LogManagerOptions options, FileStream lockFile, Snapshot snapshot)
    {
        _dataDirectory = dataDirectory;
        _topicsDirectory = Path.Combine(dataDirectory, TopicsDirectoryName);
        _defaults = defaults;
        _time = time;
        _loggers = loggers;
        _logger = loggers.CreateLogger<LogManager>();
        _options = options;
        _lockFile = lockFile;
        _snapshot = snapshot;
    }

    /// <summary>The data directory.</summary>
    public string DataDirectory => _dataDirectory;

    /// <summary>The broker-wide defaults that topic overrides apply to (changed by <see cref="SetDefaults"/>).</summary>
    public LogConfig Defaults => Volatile.Read(ref _defaults);

    /// <summary>Every topic, in no particular order.</summary>
    public IReadOnlyCollection<TopicInfo> Topics => Volatile.Read(ref _snapshot).Infos;

    /// <summary>
    /// Opens <paramref name="dataDirectory"/> (created if missing), taking an exclusive lock on it, loading every topic
    /// and recovering each partition, and starts the retention and flush loop.
    /// </summary>
    /// <exception cref="IOException">Another LogManager (in this or another process) has the directory open.</exception>
    /// <exception cref="InvalidDataException">A topic metadata file is damaged; nothing is deleted in that case.</exception>
    public static LogManager Open(string dataDirectory, LogConfig defaults, TimeProvider time, ILoggerFactory loggers, LogManagerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        ArgumentNullException.ThrowIfNull(time);
        ArgumentNullException.ThrowIfNull(loggers);
        options ??= new LogManagerOptions();
        dataDirectory = Path.GetFullPath(dataDirectory);
        Directory.CreateDirectory(dataDirectory);
        FileStream lockFile;
        try
        {
            lockFile = new FileStream(Path.Combine(dataDirectory, LockFileName), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException ex)
        {
            throw new IOException($"The data directory {dataDirectory} is in use by another broker.", ex);
        }
        var opened = new List<PartitionLog>();
        try
        {
            var topicsDirectory = Path.Combine(dataDirectory, TopicsDirectoryName);
            Directory.CreateDirectory(topicsDirectory);
            var logger = loggers.CreateLogger<LogManager>();
            var stored = LoadTopicFiles(topicsDirectory, logger);
            RemoveStrayDirectories(dataDirectory, stored, logger);
            var states = new List<TopicState>(stored.Count);
            foreach (var contents in stored.Values)
            {
                if (!LogConfig.TryApply(defaults, contents.Overrides, out var config, out var error))
                {
                    throw new InvalidDataException($"The stored config of topic {contents.Name} is not valid any more: {error}");
                }
                var partitions = new PartitionLog[contents.PartitionCount];
                for (var p = 0; p < partitions.Length; p++)
                {
                    partitions[p] = OpenPartition(dataDirectory, contents.Name, p, config, time, loggers, options);
                    opened.Add(partitions[p]);
                }
                states.Add(new TopicState(new TopicInfo(contents.Name, contents.TopicId, contents.PartitionCount, config, contents.Overrides), partitions));
            }
            var manager = new LogManager(dataDirectory, defaults, time, loggers, options, lockFile, new Snapshot(states));
            manager._maintenance = Task.Run(() => manager.RunMaintenanceAsync(manager._stopping.Token));
            return manager;
        }
        catch
        {
            foreach (var log in opened)
            {
                log.Close(flush: false);
            }
            lockFile.Dispose();
            throw;
        }
    }

    /// <summary>The topic named <paramref name="name"/>, or null.</summary>
    public TopicInfo? GetTopic(string name) =>
        Volatile.Read(ref _snapshot).ByName.TryGetValue(name, out var state) ? state.Info : null;

    /// <summary>The topic with id <paramref name="topicId"/>, or null.</summary>
    public TopicInfo? GetTopic(Guid topicId) =>
        Volatile.Read(ref _snapshot).ById.TryGetValue(topicId, out var state) ? state.Info : null;

    /// <summary>The log of one partition, or null when the topic or partition does not exist.</summary>
    public PartitionLog? GetPartition(string topic, int partition) =>
        Volatile.Read(ref _snapshot).ByName.TryGetValue(topic, out var state) && (uint)partition < (uint)state.Partitions.Length
            ? state.Partitions[partition]
            : null;

    /// <summary>
    /// Creates a topic, durably before returning, or only checks that it could be created when
    /// <paramref name="validateOnly"/>. Errors as Kafka's CreateTopics: INVALID_TOPIC_EXCEPTION for an illegal or
    /// colliding name, TOPIC_ALREADY_EXISTS, INVALID_PARTITIONS, INVALID_CONFIG, KAFKA_STORAGE_ERROR if the disk fails.
    /// </summary>
    public CreateTopicResult CreateTopic(string name, int partitions, IReadOnlyDictionary<string, string> configs, bool validateOnly)
    {
        ArgumentNullException.ThrowIfNull(configs);
        var nameError = TopicNames.Validate(name, out var message);
        if (nameError != ErrorCode.None)
        {
            return new CreateTopicResult(nameError, message, null);
        }
        if (partitions <= 0)
        {
            return new CreateTopicResult(ErrorCode.InvalidPartitions, "Number of partitions must be larger than 0.", null);
        }
        if (partitions > _options.MaxPartitionsPerTopic)
        {
            return new CreateTopicResult(ErrorCode.InvalidPartitions, $"Number of partitions must be at most {_options.MaxPartitionsPerTopic}.", null);
        }
        if (!LogConfig.TryApply(Defaults, configs, out var config, out var configError))
        {
            return new CreateTopicResult(ErrorCode.InvalidConfig, configError, null);
        }
        var overrides = new Dictionary<string, string>(configs, StringComparer.Ordinal);
        lock (_topicsLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);

            // Derived again under the lock, so a concurrent change of the defaults cannot be missed.
            LogConfig.TryApply(_defaults, configs, out config, out _);
            var snapshot = _snapshot;
            if (snapshot.ByName.ContainsKey(name))
            {
                return new CreateTopicResult(ErrorCode.TopicAlreadyExists, $"Topic '{name}' already exists.", null);
            }
            foreach (var existing in snapshot.ByName.Keys)
            {
                if (TopicNames.Collide(name, existing))
                {
                    return new CreateTopicResult(ErrorCode.InvalidTopicException, $"Topic '{name}' collides with existing topic: {existing}", null);
                }
            }
            if (validateOnly)
            {
                return new CreateTopicResult(ErrorCode.None, null, new TopicInfo(name, Guid.Empty, partitions, config, overrides));
            }
            var info = new TopicInfo(name, Guid.NewGuid(), partitions, config, overrides);
            var logs = new PartitionLog[partitions];
            try
            {
                for (var p = 0; p < partitions; p++)
                {
                    var directory = PartitionDirectory(_dataDirectory, name, p);
                    if (Directory.Exists(directory))
                    {
                        // No topic owns it (checked above), so it is left over from a crash.
                        Directory.Delete(directory, recursive: true);
                    }
                    logs[p] = OpenPartition(_dataDirectory, name, p, config, _time, _loggers, _options);
                }
                DirectorySync.Flush(_dataDirectory);
                TopicMetadataFile.Write(_topicsDirectory, new TopicMetadataFile.Contents(name, info.TopicId, partitions, overrides));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                DeletePartitionDirectories(name, logs);
                return new CreateTopicResult(ErrorCode.KafkaStorageError, $"Creating topic '{name}' failed: {ex.Message}", null);
            }
            Volatile.Write(ref _snapshot, snapshot.With(new TopicState(info, logs)));
            LogMessages.TopicCreated(_logger, name, info.TopicId, partitions);
            return new CreateTopicResult(ErrorCode.None, null, info);
        }
    }

    /// <summary>
    /// Replaces the config overrides of topic <paramref name="name"/> with <paramref name="overrides"/> (all of them:
    /// callers merge incremental changes first), durably in the topic's metadata file, and swaps the new
    /// <see cref="LogConfig"/> into every partition so it applies from the next append, roll, flush or cleaning pass.
    /// Retention runs at once over the topic so a shorter retention deletes segments without waiting for the next
    /// check. UNKNOWN_TOPIC_OR_PARTITION, INVALID_CONFIG or KAFKA_STORAGE_ERROR otherwise; nothing changes when
    /// <paramref name="validateOnly"/>.
    /// </summary>
    public TopicChangeResult AlterTopicConfig(string name, IReadOnlyDictionary<string, string> overrides, bool validateOnly)
    {
        ArgumentNullException.ThrowIfNull(overrides);
        if (!LogConfig.TryApply(Defaults, overrides, out var config, out var configError))
        {
            return new TopicChangeResult(ErrorCode.InvalidConfig, configError);
        }
        var stored = new Dictionary<string, string>(overrides, StringComparer.Ordinal);
        TopicState updated;
        lock (_topicsLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            LogConfig.TryApply(_defaults, overrides, out config, out _);
            var snapshot = _snapshot;
            if (!snapshot.ByName.TryGetValue(name, out var state))
            {
                return new TopicChangeResult(ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.");
            }
            if (validateOnly)
            {
                return TopicChangeResult.Success;
            }
            try
            {
                TopicMetadataFile.Write(_topicsDirectory, new TopicMetadataFile.Contents(name, state.Info.TopicId, state.Partitions.Length, stored));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                return new TopicChangeResult(ErrorCode.KafkaStorageError, $"Storing the configs of topic '{name}' failed: {ex.Message}");
            }
            updated = state with { Info = state.Info with { Config = config, ConfigOverrides = stored } };
            foreach (var log in state.Partitions)
            {
                log.Config = config;
            }
            Volatile.Write(ref _snapshot, snapshot.Replace(updated));
        }
        LogMessages.TopicConfigChanged(_logger, name, string.Join(", ", stored.Select(p => $"{p.Key}={p.Value}")));
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var log in updated.Partitions)
        {
            try
            {
                log.ApplyRetention(nowMs);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                LogMessages.MaintenanceFailed(_logger, ex, log.Topic, log.Partition);
            }
        }
        return TopicChangeResult.Success;
    }

    /// <summary>
    /// Makes <paramref name="defaults"/> the broker-wide defaults (dynamic broker configs changed) and derives every
    /// topic's config again from them and its overrides, in effect from the next append, roll, flush or cleaning
    /// pass; then runs retention over every partition, as a topic config change does. INVALID_CONFIG, and nothing
    /// changes, when some topic's overrides do not apply on top of the new defaults.
    /// </summary>
    public TopicChangeResult SetDefaults(LogConfig defaults)
    {
        ArgumentNullException.ThrowIfNull(defaults);
        List<PartitionLog> partitions = [];
        lock (_topicsLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var snapshot = _snapshot;
            var updated = new List<TopicState>();
            foreach (var state in snapshot.ByName.Values)
            {
                if (!LogConfig.TryApply(defaults, state.Info.ConfigOverrides, out var config, out var error))
                {
                    return new TopicChangeResult(ErrorCode.InvalidConfig, $"Topic '{state.Info.Name}': {error}");
                }
                updated.Add(state with { Info = state.Info with { Config = config } });
            }
            Volatile.Write(ref _defaults, defaults);
            foreach (var state in updated)
            {
                foreach (var log in state.Partitions)
                {
                    log.Config = state.Info.Config;
                    partitions.Add(log);
                }
                snapshot = snapshot.Replace(state);
            }
            Volatile.Write(ref _snapshot, snapshot);
        }
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        foreach (var log in partitions)
        {
            try
            {
                log.ApplyRetention(nowMs);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
            {
                LogMessages.MaintenanceFailed(_logger, ex, log.Topic, log.Partition);
            }
        }
        return TopicChangeResult.Success;
    }

    /// <summary>
    /// Grows topic <paramref name="name"/> to <paramref name="count"/> partitions: the new partitions' directories are
    /// created first and the metadata file (with the new count) written last, so a crash in between leaves the old
    /// topic. The new partitions serve appends and reads when this returns. INVALID_PARTITIONS when
    /// <paramref name="count"/> is not larger than the current count or above the limit, UNKNOWN_TOPIC_OR_PARTITION,
    /// KAFKA_STORAGE_ERROR; nothing changes when <paramref name="validateOnly"/>.
    /// </summary>
    public TopicChangeResult CreatePartitions(string name, int count, bool validateOnly)
    {
        lock (_topicsLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var snapshot = _snapshot;
            if (!snapshot.ByName.TryGetValue(name, out var state))
            {
                return new TopicChangeResult(ErrorCode.UnknownTopicOrPartition, $"Topic '{name}' does not exist.");
            }
            var current = state.Partitions.Length;
            if (count < current)
            {
                return new TopicChangeResult(ErrorCode.InvalidPartitions, $"Topic currently has {current} partitions, which is higher than the requested {count}.");
            }
            if (count == current)
            {
                return new TopicChangeResult(ErrorCode.InvalidPartitions, $"Topic already has {current} partitions.");
            }
            if (count > _options.MaxPartitionsPerTopic)
            {
                return new TopicChangeResult(ErrorCode.InvalidPartitions, $"Number of partitions must be at most {_options.MaxPartitionsPerTopic}.");
            }
            if (validateOnly)
            {
                return TopicChangeResult.Success;
            }
            var logs = new PartitionLog[count];
            Array.Copy(state.Partitions, logs, current);
            try
            {
                for (var p = current; p < count; p++)
                {
                    var directory = PartitionDirectory(_dataDirectory, name, p);
                    if (Directory.Exists(directory))
                    {
                        // Beyond the stored partition count, so left over from a crash.
                        Directory.Delete(directory, recursive: true);
                    }
                    logs[p] = OpenPartition(_dataDirectory, name, p, state.Info.Config, _time, _loggers, _options);
                }
                DirectorySync.Flush(_dataDirectory);
                TopicMetadataFile.Write(_topicsDirectory, new TopicMetadataFile.Contents(name, state.Info.TopicId, count, state.Info.ConfigOverrides));
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                for (var p = current; p < count; p++)
                {
                    logs[p]?.Close(flush: false);
                    TryDeleteDirectory(PartitionDirectory(_dataDirectory, name, p));
                }
                return new TopicChangeResult(ErrorCode.KafkaStorageError, $"Adding partitions to topic '{name}' failed: {ex.Message}");
            }
            Volatile.Write(ref _snapshot, snapshot.Replace(new TopicState(state.Info with { PartitionCount = count }, logs)));
        }
        LogMessages.PartitionsAdded(_logger, name, count);
        return TopicChangeResult.Success;
    }

    /// <summary>
    /// Deletes a topic and its files: the metadata file goes first (after which the topic is gone even across a crash),
    /// then each partition directory is closed, renamed aside and deleted. UNKNOWN_TOPIC_OR_PARTITION if there is none.
    /// </summary>
    public ErrorCode DeleteTopic(string name)
    {
        TopicState state;
        lock (_topicsLock)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            var snapshot = _snapshot;
            if (!snapshot.ByName.TryGetValue(name, out var found))
            {
                return ErrorCode.UnknownTopicOrPartition;
            }
            state = found;
            try
            {
                File.Delete(TopicMetadataFile.PathFor(_topicsDirectory, name));
                DirectorySync.Flush(_topicsDirectory);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                LogMessages.DeleteFailed(_logger, ex, TopicMetadataFile.PathFor(_topicsDirectory, name));
                return ErrorCode.KafkaStorageError;
            }
            Volatile.Write(ref _snapshot, snapshot.Without(name));
            DeletePartitionDirectories(name, state.Partitions);
        }
        LogMessages.TopicDeleted(_logger, name);
        return ErrorCode.None;
    }

    /// <summary>Stops the background loop and flushes and closes every partition; releases the data directory.</summary>
    public async ValueTask DisposeAsync()
    {
        lock (_topicsLock)
        {
            if (_disposed)
            {
                return;
            }
            _disposed = true;
        }
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _maintenance.ConfigureAwait(false);
        foreach (var state in _snapshot.ByName.Values)
        {
            foreach (var log in state.Partitions)
            {
                log.Dispose();
            }
        }
        _stopping.Dispose();
        await _lockFile.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>Runs retention (when <paramref name="retention"/>) and due flushes over every partition once.</summary>
    internal void RunMaintenance(long nowMs, bool retention)
    {
        foreach (var state in Volatile.Read(ref _snapshot).ByName.Values)
        {
            foreach (var log in state.Partitions)
            {
                try
                {
                    if (retention)
                    {
                        log.ApplyRetention(nowMs);
                    }
                    log.FlushIfDue(nowMs);
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ObjectDisposedException)
                {
                    LogMessages.MaintenanceFailed(_logger, ex, log.Topic, log.Partition);
                }
            }
        }
    }

    private static string PartitionDirectory(string dataDirectory, string topic, int partition) =>
        Path.Combine(dataDirectory, $"{topic}-{partition}");

    private static PartitionLog OpenPartition(
        string dataDirectory, string topic, int partition, LogConfig config, TimeProvider time, ILoggerFactory loggers, LogManagerOptions options)
    {
        var log = PartitionLog.Open(PartitionDirectory(dataDirectory, topic, partition), topic, partition, config, time, loggers.CreateLogger<PartitionLog>());
        if (options.AppendGuardFactory is { } factory)
        {
            try
            {
                log.AttachAppendGuard(factory(log));
            }
            catch
            {
                log.Close(flush: false);
                throw;
            }
        }
        return log;
    }

    private static Dictionary<string, TopicMetadataFile.Contents> LoadTopicFiles(string topicsDirectory, ILogger logger)
    {
        var topics = new Dictionary<string, TopicMetadataFile.Contents>(StringComparer.Ordinal);
        foreach (var path in Directory.EnumerateFiles(topicsDirectory))
        {
            var fileName = Path.GetFileName(path);
            if (fileName.EndsWith(".tmp", StringComparison.Ordinal))
            {
                LogMessages.RemovingStrayFile(logger, path, "an unfinished metadata write");
                File.Delete(path);
                continue;
            }
            if (!fileName.EndsWith(TopicMetadataFile.Suffix, StringComparison.Ordinal))
            {
                continue;
            }
            var contents = TopicMetadataFile.Read(path);
            if (contents.Name + TopicMetadataFile.Suffix != fileName || contents.PartitionCount <= 0)
            {
                throw new InvalidDataException($"{path} describes topic '{contents.Name}' with {contents.PartitionCount} partitions, which does not match its file.");
            }
            topics.Add(contents.Name, contents);
        }
        return topics;
    }

    private static void RemoveStrayDirectories(string dataDirectory, Dictionary<string, TopicMetadataFile.Contents> topics, ILogger logger)
    {
        foreach (var path in Directory.EnumerateDirectories(dataDirectory))
        {
            var name = Path.GetFileName(path);
            string? reason = null;
            if (name.EndsWith(DeletingSuffix, StringComparison.Ordinal))
            {
                reason = "a deletion that did not finish";
            }
            else if (TopicNames.TryParsePartitionDirectory(name, out var topic, out var partition)
                && (!topics.TryGetValue(topic, out var contents) || partition >= contents.PartitionCount)
                && HoldsOnlySegmentFiles(path))
            {
                reason = "a partition of no topic (a creation or deletion that did not finish)";
            }
            if (reason is not null)
            {
                LogMessages.RemovingStrayFile(logger, path, reason);
                Directory.Delete(path, recursive: true);
            }
        }
    }

    /// <summary>True when a directory holds nothing but segment and index files, so it is ours to delete.</summary>
    private static bool HoldsOnlySegmentFiles(string directory) =>
        !Directory.EnumerateDirectories(directory).Any()
        && Directory.EnumerateFiles(directory).All(file =>
            file.EndsWith(LogSegment.LogSuffix, StringComparison.Ordinal)
            || file.EndsWith(LogSegment.IndexSuffix, StringComparison.Ordinal)
            || file.EndsWith(LogSegment.TimeIndexSuffix, StringComparison.Ordinal)
            || Path.GetFileName(file) == PartitionLog.LogStartOffsetFileName);

    private void TryDeleteDirectory(string directory)
    {
        try
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // Beyond the stored partition count: the next open removes it.
            LogMessages.DeleteFailed(_logger, ex, directory);
        }
    }

    private void DeletePartitionDirectories(string topic, PartitionLog?[] logs)
    {
        var renamed = new List<string>(logs.Length);
        for (var p = 0; p < logs.Length; p++)
        {
            logs[p]?.Close(flush: false);
            var directory = PartitionDirectory(_dataDirectory, topic, p);
            if (!Directory.Exists(directory))
            {
                continue;
            }
            var aside = Path.Combine(_dataDirectory, Guid.NewGuid().ToString("N") + DeletingSuffix);
            try
            {
                Directory.Move(directory, aside);
                renamed.Add(aside);
            }
            catch (IOException ex)
            {
                LogMessages.DeleteFailed(_logger, ex, directory);
            }
        }
        DirectorySync.Flush(_dataDirectory);
        foreach (var directory in renamed)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException ex)
            {
                // Left for the next open to remove.
                LogMessages.DeleteFailed(_logger, ex, directory);
            }
        }
    }

    private async Task RunMaintenanceAsync(CancellationToken cancellationToken)
    {
        var retentionInterval = (long)_options.RetentionCheckInterval.TotalMilliseconds;
        var tick = _options.FlushCheckInterval < _options.RetentionCheckInterval ? _options.FlushCheckInterval : _options.RetentionCheckInterval;
        using var timer = new PeriodicTimer(tick, _time);
        var nextRetentionMs = _time.GetUtcNow().ToUnixTimeMilliseconds() + retentionInterval;
        try
        {
            while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false))
            {
                var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
                var retention = nowMs >= nextRetentionMs;
                if (retention)
                {
                    nextRetentionMs = nowMs + retentionInterval;
                }
                RunMaintenance(nowMs, retention);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Stopping.
        }
    }

    /// <summary>A topic and its open partition logs.</summary>
    private sealed record TopicState(TopicInfo Info, PartitionLog[] Partitions);

    /// <summary>An immutable view of all topics, replaced whole on every change so lookups need no lock.</summary>
    private sealed class Snapshot
    {
        public Snapshot(IEnumerable<TopicState> states)
        {
            ByName = new Dictionary<string, TopicState>(StringComparer.Ordinal);
            ById = [];
            foreach (var state in states)
            {
                ByName.Add(state.Info.Name, state);
                ById.Add(state.Info.TopicId, state);
            }
            Infos = ByName.Values.Select(s => s.Info).ToArray();
        }

        public Dictionary<string, TopicState> ByName { get; }

        public Dictionary<Guid, TopicState> ById { get; }

        public TopicInfo[] Infos { get; }

        public Snapshot With(TopicState added) => new(ByName.Values.Append(added));

        public Snapshot Without(string name) => new(ByName.Values.Where(s => s.Info.Name != name));

        public Snapshot Replace(TopicState replacement) =>
            new(ByName.Values.Select(s => s.Info.Name == replacement.Info.Name ? replacement : s));
    }
}
