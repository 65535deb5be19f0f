using System.Globalization;
using System.Text;

namespace StreamingPipeline.Events.Generation;

/// <summary>
/// Produces the seeded stream of user events, duplicates and malformed records, with no I/O and no clock:
/// the same options give the same records in the same order. Event time advances by
/// <see cref="GeneratorOptions.EventTimeStepMs"/> per record. Users arrive in sessions: a fixed number of sessions
/// are open at once, each record continues one of them, so one user's events cluster in time; a finished session
/// is replaced by a new one whose user is drawn from the user distribution. Not thread-safe.
/// </summary>
public sealed class EventStreamGenerator
{
    private const int ProductCount = 500;
    private const int CategoryCount = 20;
    private const double MeanSessionLength = 8;

    // Up to this many users, each user's id, key and partition are built once and kept (about 100 bytes a user).
    private const int MaxCachedUsers = 1_000_000;

    private static readonly string[] ProductPages = CreatePages("/products/", ProductCount);
    private static readonly string[] CategoryPages = CreatePages("/category/", CategoryCount);

    private readonly GeneratorOptions _options;
    private readonly int _partitionCount;
    private readonly DeterministicRandom _random;
    private readonly ZipfSampler? _zipf;
    private readonly Session[] _sessions;
    private readonly string?[]? _userIds;
    private readonly byte[]?[]? _userKeys;
    private readonly PendingDuplicateQueue _pending = new();
    private readonly MalformedRecordFactory _malformed = new();
    private readonly byte[] _valueBuffer = new byte[UserEventLimits.MaxRecordBytes];
    private readonly string _userIdFormat;
    private readonly double _scheduleProbability;
    private readonly double _malformedProbability;
    private long _sequence;

    /// <summary>A generator of <paramref name="options"/>'s stream over a topic of <paramref name="partitionCount"/> partitions.</summary>
    public EventStreamGenerator(GeneratorOptions options, int partitionCount)
    {
        if (options.Validate() is { } error)
        {
            throw new ArgumentException(error, nameof(options));
        }
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(partitionCount);
        _options = options;
        _partitionCount = partitionCount;
        _random = new DeterministicRandom(options.Seed);
        _zipf = options.Distribution == UserDistribution.Zipf ? new ZipfSampler(options.Users, options.Skew) : null;
        _sessions = new Session[Math.Min(options.ConcurrentSessions, options.Users)];
        for (var i = 0; i < _sessions.Length; i++)
        {
            _sessions[i] = new Session();
        }
        if (options.Users <= MaxCachedUsers)
        {
            _userIds = new string?[options.Users];
            _userKeys = new byte[]?[options.Users];
        }
        var digits = Math.Max(6, (options.Users - 1).ToString(CultureInfo.InvariantCulture).Length);
        _userIdFormat = "D" + digits.ToString(CultureInfo.InvariantCulture);
        // Of the slots left after malformed ones, this share of events gets a re-send, so that re-sends make up
        // DuplicateShare of all records.
        _scheduleProbability = options.DuplicateShare / (1 - options.DuplicateShare - options.MalformedShare);
        // Slots taken by due re-sends are not candidates, so the remaining ones break at a higher rate.
        _malformedProbability = options.MalformedShare / (1 - options.DuplicateShare);
    }

    /// <summary>The options the stream follows.</summary>
    public GeneratorOptions Options => _options;

    /// <summary>How many records have been generated.</summary>
    public long Generated => _sequence;

    /// <summary>How many re-sends are scheduled but not yet generated.</summary>
    public int PendingDuplicates => _pending.Count;

    /// <summary>The event time of the next record, epoch ms.</summary>
    public long CurrentEventTime => _options.EventTimeStart + (long)(_sequence * _options.EventTimeStepMs);

    /// <summary>Generates the next record; false when <see cref="GeneratorOptions.MaxRecords"/> have been generated.</summary>
    public bool TryNext(out GeneratedRecord record)
    {
        var remaining = _options.MaxRecords is { } max ? max - _sequence : long.MaxValue;
        if (remaining <= 0)
        {
            record = default;
            return false;
        }
        var now = CurrentEventTime;
        if (_pending.TryPeekDue(out var due)
            && (due <= now || remaining <= _pending.Count || _pending.Count >= _options.MaxPendingDuplicates))
        {
            record = NextDuplicate(now);
        }
        else if (_malformedProbability > 0 && _random.NextBool(_malformedProbability))
        {
            record = NextMalformed(now);
        }
        else
        {
            // A re-send is scheduled only if a slot will be left for it before the record budget runs out.
            var canSchedule = remaining - 1 > _pending.Count;
            record = NextEvent(now, canSchedule);
        }
        _sequence++;
        return true;
    }

    /// <summary>
    /// Gives up the re-sends not yet generated (for a run cut short by time) and returns their originals, which
    /// then were sent exactly once.
    /// </summary>
    public IReadOnlyList<UserEvent> AbandonPendingDuplicates()
    {
        var originals = new List<UserEvent>(_pending.Count);
        while (_pending.TryDequeue(out var pending))
        {
            originals.Add(pending.Event);
        }
        return originals;
    }

    private GeneratedRecord NextDuplicate(long now)
    {
        _pending.TryDequeue(out var pending);
        var length = UserEventSerializer.Write(pending.Event, _valueBuffer);
        var delay = now - pending.Event.Timestamp;
        return new GeneratedRecord
        {
            Kind = RecordKind.Duplicate,
            Sequence = _sequence,
            Key = pending.Key,
            Value = _valueBuffer.AsSpan(0, length),
            Timestamp = pending.Event.Timestamp,
            Partition = pending.Partition,
            Event = pending.Event,
            DuplicateDelayMs = delay,
            DelayClass = DelayClasses.Classify(delay, _options.DedupWindow, _options.DedupSlide),
        };
    }

    private GeneratedRecord NextMalformed(long now)
    {
        var session = NextSession();
        var source = NextEventOf(session, now);
        var reason = _malformed.Write(source, out var value);
        return new GeneratedRecord
        {
            Kind = RecordKind.Malformed,
            Sequence = _sequence,
            Key = session.Key,
            Value = value,
            Timestamp = now,
            Partition = session.Partition,
            MalformedReason = reason,
        };
    }

    private GeneratedRecord NextEvent(long now, bool canSchedule)
    {
        var session = NextSession();
        var userEvent = NextEventOf(session, now);
        var length = UserEventSerializer.Write(userEvent, _valueBuffer);
        var scheduled = false;
        if (_scheduleProbability > 0 && _random.NextBool(_scheduleProbability) && canSchedule)
        {
            var delay = _options.DuplicateDelay.SampleMilliseconds(_random);
            _pending.Enqueue(new PendingDuplicate(userEvent, session.Key, session.Partition), now + delay);
            scheduled = true;
        }
        return new GeneratedRecord
        {
            Kind = RecordKind.Event,
            Sequence = _sequence,
            Key = session.Key,
            Value = _valueBuffer.AsSpan(0, length),
            Timestamp = now,
            Partition = session.Partition,
            Event = userEvent,
            DuplicateScheduled = scheduled,
        };
    }

    private Session NextSession()
    {
        var session = _sessions[_random.NextInt(_sessions.Length)];
        if (session.Remaining == 0)
        {
            StartSession(session);
        }
        return session;
    }

    private void StartSession(Session session)
    {
        var userIndex = _zipf is null ? _random.NextInt(_options.Users) : (int)(_zipf.Sample(_random) - 1);
        var userId = _userIds?[userIndex] ?? "u-" + userIndex.ToString(_userIdFormat, CultureInfo.InvariantCulture);
        var key = _userKeys?[userIndex] ?? Encoding.UTF8.GetBytes(userId);
        if (_userIds is not null)
        {
            _userIds[userIndex] = userId;
            _userKeys![userIndex] = key;
        }
        var sessionId = "s-" + (_random.NextUInt64() & 0xFFFF_FFFF_FFFF).ToString("x12", CultureInfo.InvariantCulture);
        // Geometric length with the given mean, at least one event.
        var length = 1 + (int)Math.Min(200, Math.Floor(Math.Log(1 - _random.NextDouble()) / Math.Log(1 - (1 / MeanSessionLength))));
        var startsWithLogin = _random.NextBool(0.35);
        session.Start(userId, key, KafkaPartitioner.Partition(key, _partitionCount), sessionId, length, startsWithLogin);
    }

    private UserEvent NextEventOf(Session session, long now)
    {
        var type = NextType(session);
        session.Remaining--;
        session.Last = type;
        session.Started = true;
        string page;
        switch (type)
        {
            case EventType.Login:
                page = "/login";
                break;
            case EventType.Logout:
                page = "/logout";
                break;
            case EventType.Purchase:
                page = "/checkout";
                break;
            case EventType.AddToCart:
                page = ProductPages[session.Product];
                break;
            default:
                page = NextBrowsePage(session);
                break;
        }
        return new UserEvent(_random.NextUuid(), session.UserId, type, page, session.SessionId, now);
    }

    private EventType NextType(Session session)
    {
        if (!session.Started)
        {
            return session.StartedWithLogin ? EventType.Login : EventType.PageView;
        }
        if (session.Remaining == 1 && session.StartedWithLogin && _random.NextBool(0.8))
        {
            return EventType.Logout;
        }
        var u = _random.NextDouble();
        // A small Markov chain: browsing leads to clicks and carts, carts sometimes to purchases.
        return session.Last switch
        {
            EventType.PageView => u < 0.45 ? EventType.Click : u < 0.87 ? EventType.PageView : EventType.AddToCart,
            EventType.Click => u < 0.60 ? EventType.PageView : u < 0.87 ? EventType.Click : EventType.AddToCart,
            EventType.AddToCart => u < 0.35 ? EventType.Purchase : u < 0.80 ? EventType.PageView : EventType.Click,
            _ => u < 0.80 ? EventType.PageView : EventType.Click,
        };
    }

    private string NextBrowsePage(Session session)
    {
        var u = _random.NextDouble();
        if (u < 0.10)
        {
            return "/";
        }
        if (u < 0.20)
        {
            return CategoryPages[_random.NextInt(CategoryCount)];
        }
        if (u < 0.25)
        {
            return "/cart";
        }
        session.Product = _random.NextInt(ProductCount);
        return ProductPages[session.Product];
    }

    private static string[] CreatePages(string prefix, int count)
    {
        var pages = new string[count];
        for (var i = 0; i < count; i++)
        {
            pages[i] = prefix + (i + 1).ToString(CultureInfo.InvariantCulture);
        }
        return pages;
    }
}
