using System.Reflection;

namespace StreamingPipeline.Protocol.Tests;

public class MessageRoundTripTests
{
    private static readonly Type[] MessageTypes = typeof(ApiKey).Assembly.GetTypes()
        .Where(t => t.Namespace == "StreamingPipeline.Protocol.Messages" && !t.IsNested)
        .OrderBy(t => t.Name, StringComparer.Ordinal)
        .ToArray();

    public static TheoryData<string> AllMessageTypes()
    {
        var data = new TheoryData<string>();
        foreach (var type in MessageTypes)
        {
            data.Add(type.Name);
        }
        return data;
    }

    [Fact]
    public void EverySpecFileHasAGeneratedMessage()
    {
        var specNames = Directory.GetFiles(Path.Combine(GeneratedCodeTests.RepositoryRoot(), "spec", "kafka-protocol", "message"), "*.json")
            .Select(Path.GetFileNameWithoutExtension)
            .Order(StringComparer.Ordinal);
        Assert.Equal(specNames, MessageTypes.Select(t => t.Name));
    }

    [Theory]
    [MemberData(nameof(AllMessageTypes))]
    public void EveryVersionWritesReadsAndRewritesTheSameBytes(string typeName)
    {
        var type = MessageTypes.Single(t => t.Name == typeName);
        var lowest = (short)type.GetProperty("LowestVersion", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        var highest = (short)type.GetProperty("HighestVersion", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
        var read = type.GetMethod("Read", BindingFlags.Public | BindingFlags.Static)!;
        for (var version = lowest; version <= highest; version++)
        {
            for (var seed = 0; seed < 3; seed++)
            {
                var message = (IKafkaMessage)new RandomMessageFactory(seed * 1000 + version).Create(type);
                using var first = new ProtocolWriter();
                message.Write(first, version);

                var reader = new ProtocolReader(first.WrittenMemory.ToArray());
                var decoded = (IKafkaMessage)read.Invoke(null, [reader, version])!;
                Assert.True(reader.Remaining == 0, $"{typeName} v{version}: {reader.Remaining} bytes left unread");

                using var second = new ProtocolWriter();
                decoded.Write(second, version);
                Assert.True(first.WrittenSpan.SequenceEqual(second.WrittenSpan), $"{typeName} v{version} did not round-trip");
            }
        }
    }

    [Fact]
    public void TruncatedMessagesThrowProtocolExceptionNotAnythingElse()
    {
        foreach (var type in MessageTypes)
        {
            var highest = (short)type.GetProperty("HighestVersion", BindingFlags.Public | BindingFlags.Static)!.GetValue(null)!;
            var read = type.GetMethod("Read", BindingFlags.Public | BindingFlags.Static)!;
            var message = (IKafkaMessage)new RandomMessageFactory(7).Create(type);
            using var writer = new ProtocolWriter();
            message.Write(writer, highest);
            var bytes = writer.WrittenMemory.ToArray();
            for (var cut = 0; cut < bytes.Length; cut += Math.Max(1, bytes.Length / 16))
            {
                var reader = new ProtocolReader(bytes.AsMemory(0, cut));
                var ex = Assert.Throws<TargetInvocationException>(() => read.Invoke(null, [reader, highest]));
                Assert.IsType<ProtocolException>(ex.InnerException);
            }
        }
    }
}
