using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using StreamingPipeline.Events;
using StreamingPipeline.Events.Generation;

namespace StreamingPipeline.Benchmarks;

/// <summary>
/// The event codec, hand-written (Utf8JsonReader / span writes) against System.Text.Json source generation,
/// over 1024 generated events per operation batch. Figures are per event.
/// </summary>
[MemoryDiagnoser]
public class EventsSerializerBenchmarks
{
    private const int Events = 1024;
    private readonly UserEvent[] _events = new UserEvent[Events];
    private readonly EventsJsonDto[] _dtos = new EventsJsonDto[Events];
    private readonly byte[][] _serialized = new byte[Events][];
    private readonly byte[] _buffer = new byte[1024];
    private readonly ArrayBufferWriter<byte> _bufferWriter = new(1024);
    private Utf8JsonWriter _jsonWriter = null!;

    /// <summary>Generates the events and their serialized forms.</summary>
    [GlobalSetup]
    public void Setup()
    {
        var generator = new EventStreamGenerator(new GeneratorOptions { Seed = 1, EventTimeStart = 1_764_000_000_000, Users = 100_000 }, 8);
        for (var i = 0; i < Events; i++)
        {
            generator.TryNext(out var record);
            _events[i] = record.Event;
            _serialized[i] = record.Value.ToArray();
            _dtos[i] = EventsJsonDto.From(record.Event);
        }
        _jsonWriter = new Utf8JsonWriter(_bufferWriter);
    }

    /// <summary>Hand-written serializer into a reused buffer.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = Events)]
    public int SerializeHandWritten()
    {
        var total = 0;
        foreach (ref readonly var e in _events.AsSpan())
        {
            total += UserEventSerializer.Write(e, _buffer);
        }
        return total;
    }

    /// <summary>System.Text.Json source-generated serializer into a reused writer.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public int SerializeSystemTextJson()
    {
        var total = 0;
        foreach (var dto in _dtos)
        {
            _bufferWriter.ResetWrittenCount();
            _jsonWriter.Reset(_bufferWriter);
            JsonSerializer.Serialize(_jsonWriter, dto, EventsJsonContext.Default.EventsJsonDto);
            total += _bufferWriter.WrittenCount;
        }
        return total;
    }

    /// <summary>The validating Utf8JsonReader parser.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public long ParseValidating()
    {
        long total = 0;
        foreach (var bytes in _serialized)
        {
            total += UserEventParser.Parse(bytes).Event.Timestamp;
        }
        return total;
    }

    /// <summary>System.Text.Json source-generated deserializer, plus the checks the validating parser makes.</summary>
    [Benchmark(OperationsPerInvoke = Events)]
    public long ParseSystemTextJson()
    {
        long total = 0;
        foreach (var bytes in _serialized)
        {
            try
            {
                var dto = JsonSerializer.Deserialize(bytes, EventsJsonContext.Default.EventsJsonDto);
                if (dto is { UserId.Length: > 0 and <= UserEventLimits.MaxIdBytes, SessionId.Length: > 0, Page: not null }
                    && EventTypes.TryParse(System.Text.Encoding.UTF8.GetBytes(dto.EventType ?? ""), out _))
                {
                    total += dto.Timestamp;
                }
            }
            catch (JsonException)
            {
                total--;
            }
        }
        return total;
    }
}
