using System.Text;
using StreamingPipeline.Events.Generation;

namespace StreamingPipeline.Events.Tests.Generation;

public class EventStreamGeneratorTests
{
    [Fact]
    public void TheSameSeedGivesAByteIdenticalStream()
    {
        var options = GeneratorTestStreams.Options() with { DuplicateShare = 0.1, MalformedShare = 0.01 };

        var first = GeneratorTestStreams.Capture(options);
        var second = GeneratorTestStreams.Capture(options);

        Assert.Equal(first.Count, second.Count);
        for (var i = 0; i < first.Count; i++)
        {
            Assert.Equal(first[i].Partition, second[i].Partition);
            Assert.Equal(first[i].Key, second[i].Key);
            Assert.Equal(first[i].Value, second[i].Value);
            Assert.Equal(first[i].Timestamp, second[i].Timestamp);
        }
    }

    [Fact]
    public void ADifferentSeedGivesADifferentStream()
    {
        var a = GeneratorTestStreams.Capture(GeneratorTestStreams.Options(seed: 1, count: 100));
        var b = GeneratorTestStreams.Capture(GeneratorTestStreams.Options(seed: 2, count: 100));

        Assert.NotEqual(a.Select(r => r.Event.EventId), b.Select(r => r.Event.EventId));
    }

    [Fact]
    public void CountIsExactAndEveryScheduledDuplicateIsSentWithinIt()
    {
        var options = GeneratorTestStreams.Options(count: 10_000) with
        {
            DuplicateShare = 0.2,
            DuplicateDelay = new DuplicateDelay(TimeSpan.FromHours(1), TimeSpan.FromHours(40)),
        };
        var records = GeneratorTestStreams.Capture(options);

        Assert.Equal(10_000, records.Count);
        var scheduled = records.Count(r => r.DuplicateScheduled);
        var duplicates = records.Count(r => r.Kind == RecordKind.Duplicate);
        Assert.Equal(scheduled, duplicates);
        Assert.Equal(records.Select((r, i) => (long)i), records.Select(r => r.Sequence));
    }

    [Fact]
    public void DuplicatesAreExactResendsOfAnEarlierEvent()
    {
        var records = GeneratorTestStreams.Capture(GeneratorTestStreams.Options() with
        {
            DuplicateShare = 0.1,
            DuplicateDelay = new DuplicateDelay(TimeSpan.FromSeconds(1), TimeSpan.FromMinutes(5)),
        });
        var originals = records.Where(r => r.Kind == RecordKind.Event).ToDictionary(r => r.Event.EventId);

        var duplicates = records.Where(r => r.Kind == RecordKind.Duplicate).ToList();
        Assert.NotEmpty(duplicates);
        Assert.All(duplicates, d =>
        {
            var original = originals[d.Event.EventId];
            Assert.True(original.Sequence < d.Sequence);
            Assert.Equal(original.Value, d.Value);
            Assert.Equal(original.Key, d.Key);
            Assert.Equal(original.Timestamp, d.Timestamp);
            Assert.Equal(original.Partition, d.Partition);
            Assert.True(original.DuplicateScheduled);
        });
        Assert.Equal(duplicates.Count, duplicates.Select(d => d.Event.EventId).Distinct().Count());
    }

    [Theory]
    [InlineData(0.05, 0.001)]
    [InlineData(0.3, 0.1)]
    public void DuplicateAndMalformedSharesMatchTheOptions(double duplicateShare, double malformedShare)
    {
        var records = GeneratorTestStreams.Capture(GeneratorTestStreams.Options(count: 50_000) with
        {
            DuplicateShare = duplicateShare,
            MalformedShare = malformedShare,
            DuplicateDelay = new DuplicateDelay(TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(10)),
        });

        var duplicates = records.Count(r => r.Kind == RecordKind.Duplicate) / (double)records.Count;
        var malformed = records.Count(r => r.Kind == RecordKind.Malformed) / (double)records.Count;
        Assert.InRange(duplicates, duplicateShare * 0.9, duplicateShare * 1.1);
        // Binomial: allow four standard deviations.
        var sigma = Math.Sqrt(malformedShare * (1 - malformedShare) / records.Count);
        Assert.InRange(malformed, malformedShare - (4 * sigma), malformedShare + (4 * sigma));
    }

    [Fact]
    public void EveryMalformedRecordIsRejectedForTheReasonItClaims()
    {
        var records = GeneratorTestStreams.Capture(GeneratorTestStreams.Options(count: 5_000) with { MalformedShare = 0.3 });
        var malformed = records.Where(r => r.Kind == RecordKind.Malformed).ToList();

        Assert.All(malformed, r => Assert.Equal(r.MalformedReason, UserEventParser.Parse(r.Value).Rejection));
        Assert.Equal(EventRejections.All.ToHashSet(), malformed.Select(r => r.MalformedReason).ToHashSet());
        // Within a reason, every field it can hit is hit.
        var missingFields = malformed.Where(r => r.MalformedReason == EventRejection.MissingField)
            .Select(r => UserEventParser.Parse(r.Value).Field).ToHashSet();
        Assert.Equal(6, missingFields.Count);
    }

    [Fact]
    public void EventsAndDuplicatesAreValidAndRecordTimestampIsTheEventTimestamp()
    {
        var records = GeneratorTestStreams.Capture(GeneratorTestStreams.Options() with { DuplicateShare = 0.1 });

        Assert.All(records.Where(r => r.Kind != RecordKind.Malformed), r =>
        {
            var parsed = UserEventParser.Parse(r.Value);
            Assert.True(parsed.IsValid, parsed.ToString());
            Assert.Equal(r.Event, parsed.Event);
            Assert.Equal(r.Timestamp, parsed.Event.Timestamp);
            Assert.Equal(Encoding.UTF8.GetBytes(parsed.Event.UserId), r.Key);
        });
    }

    [Fact]
    public void PartitionIsTheMurmur2PartitionOfTheKey()
    {
        var records = GeneratorTestStreams.Capture(GeneratorTestStreams.Options(count: 2_000), partitions: 5);

        Assert.All(records, r => Assert.Equal(KafkaPartitioner.Partition(r.Key, 5), r.Partition));
        Assert.Equal(5, records.Select(r => r.Partition).Distinct().Count());
    }

    [Fact]
    public void EventTimeAdvancesBySpeedupOverRate()
    {
        // 2000 records/s at speedup 3600: 1.8 s of event time per record, 24 h in 48,000 records.
        var options = GeneratorTestStreams.Options(count: 48_001) with { EventsPerSecond = 2000, EventTimeSpeedup = 3600 };
        var records = GeneratorTestStreams.Capture(options);

        Assert.Equal(GeneratorTestStreams.Start, records[0].Timestamp);
        Assert.Equal(GeneratorTestStreams.Start + 1800, records[1].Timestamp);
        Assert.Equal(GeneratorTestStreams.Start + (long)TimeSpan.FromHours(24).TotalMilliseconds, records[^1].Timestamp);
    }

    [Fact]
    public void DelaysAreMeasuredInEventTimeAndClassifiedAgainstTheWindow()
    {
        var options = GeneratorTestStreams.Options(count: 60_000) with
        {
            EventsPerSecond = 1000,
            EventTimeSpeedup = 3600,
            DuplicateShare = 0.1,
            DuplicateDelay = new DuplicateDelay(TimeSpan.FromSeconds(30), TimeSpan.FromHours(30)),
        };
        var records = GeneratorTestStreams.Capture(options);
        var duplicates = records.Where(r => r.Kind == RecordKind.Duplicate).ToList();

        Assert.All(duplicates, d =>
        {
            var emittedAt = GeneratorTestStreams.Start + (long)(d.Sequence * options.EventTimeStepMs);
            Assert.Equal(emittedAt - d.Timestamp, d.DuplicateDelayMs);
            Assert.Equal(DelayClasses.Classify(d.DuplicateDelayMs, options.DedupWindow, options.DedupSlide), d.DelayClass);
        });
        // Log-uniform delays from 30 s to 30 h over 60 event-hours reach every class.
        Assert.Equal(DelayClasses.All.ToHashSet(), duplicates.Select(d => d.DelayClass).ToHashSet());
    }

    [Fact]
    public void AFullPendingQueueSendsTheEarliestDuplicateEarly()
    {
        var options = GeneratorTestStreams.Options(count: 5_000) with
        {
            DuplicateShare = 0.2,
            DuplicateDelay = new DuplicateDelay(TimeSpan.FromHours(10), TimeSpan.FromHours(10)),
            MaxPendingDuplicates = 10,
        };
        var generator = new EventStreamGenerator(options, 8);
        var maxPending = 0;
        while (generator.TryNext(out _))
        {
            maxPending = Math.Max(maxPending, generator.PendingDuplicates);
        }

        Assert.InRange(maxPending, 1, 11);
    }

    [Fact]
    public void AbandoningPendingDuplicatesReturnsTheirOriginals()
    {
        var options = GeneratorTestStreams.Options() with
        {
            MaxRecords = null,
            DuplicateShare = 0.5,
            DuplicateDelay = new DuplicateDelay(TimeSpan.FromDays(3), TimeSpan.FromDays(3)),
        };
        var generator = new EventStreamGenerator(options, 8);
        var scheduled = new HashSet<Guid>();
        for (var i = 0; i < 1000; i++)
        {
            generator.TryNext(out var r);
            if (r.DuplicateScheduled)
            {
                scheduled.Add(r.Event.EventId);
            }
        }

        var abandoned = generator.AbandonPendingDuplicates();
        Assert.Equal(scheduled, abandoned.Select(e => e.EventId).ToHashSet());
        Assert.Equal(0, generator.PendingDuplicates);
    }

    [Fact]
    public void AUsersEventsClusterInSessions()
    {
        var options = GeneratorTestStreams.Options(count: 50_000) with { Users = 100_000, ConcurrentSessions = 100 };
        var events = GeneratorTestStreams.Capture(options).Where(r => r.Kind == RecordKind.Event).Select(r => r.Event).ToList();

        var sessions = events.GroupBy(e => e.SessionId).Where(g => g.Count() >= 3).ToList();
        Assert.NotEmpty(sessions);
        Assert.All(sessions, s => Assert.Single(s.Select(e => e.UserId).Distinct()));
        // With 100 sessions open at once, a session's events lie within a few hundred records of each other,
        // far tighter than the 50,000-record stream.
        var medianSpan = sessions.Select(s => s.Max(e => e.Timestamp) - s.Min(e => e.Timestamp)).Order().ElementAt(sessions.Count / 2);
        var streamSpan = events[^1].Timestamp - events[0].Timestamp;
        Assert.True(medianSpan < streamSpan / 20, $"median session span {medianSpan} ms of {streamSpan} ms");
    }

    [Fact]
    public void EventTypesHaveRealisticProportions()
    {
        var events = GeneratorTestStreams.Capture(GeneratorTestStreams.Options(count: 50_000))
            .Where(r => r.Kind == RecordKind.Event).Select(r => r.Event.EventType).ToList();
        double Share(EventType t) => events.Count(e => e == t) / (double)events.Count;

        Assert.InRange(Share(EventType.PageView), 0.30, 0.60);
        Assert.InRange(Share(EventType.Click), 0.15, 0.40);
        Assert.InRange(Share(EventType.AddToCart), 0.03, 0.15);
        Assert.InRange(Share(EventType.Purchase), 0.005, Share(EventType.AddToCart));
        Assert.InRange(Share(EventType.Login), 0.01, 0.10);
        Assert.InRange(Share(EventType.Logout), 0.01, Share(EventType.Login));
    }

    [Fact]
    public void ZipfSkewMakesAFewUsersVeryActive()
    {
        static int TopUserShare(GeneratorOptions options) => GeneratorTestStreams.Capture(options)
            .Where(r => r.Kind == RecordKind.Event).GroupBy(r => r.Event.UserId).Max(g => g.Count());

        var uniform = TopUserShare(GeneratorTestStreams.Options(count: 20_000) with { Users = 1000, ConcurrentSessions = 50 });
        var zipf = TopUserShare(GeneratorTestStreams.Options(count: 20_000) with
        {
            Users = 1000,
            ConcurrentSessions = 50,
            Distribution = UserDistribution.Zipf,
            Skew = 1.2,
        });

        Assert.True(zipf > 10 * uniform, $"top user: zipf {zipf}, uniform {uniform}");
    }

    [Fact]
    public void UserIdsAreWideEnoughForTheUserCount()
    {
        var events = GeneratorTestStreams.Capture(GeneratorTestStreams.Options(count: 500) with { Users = 12_345_678, ConcurrentSessions = 10 });

        Assert.All(events, r => Assert.Matches("^u-[0-9]{8}$", r.Event.UserId));
    }

    [Fact]
    public void InvalidOptionsAreRefused()
    {
        Assert.Throws<ArgumentException>(() => new EventStreamGenerator(GeneratorTestStreams.Options() with { DuplicateShare = 1.5 }, 8));
        Assert.Throws<ArgumentOutOfRangeException>(() => new EventStreamGenerator(GeneratorTestStreams.Options(), 0));
    }
}
