using System.Collections;
using System.Reflection;
using System.Text;

namespace StreamingPipeline.Protocol.Tests;

/// <summary>Fills any generated message with random values (non-null everywhere, so every version can write it).</summary>
internal sealed class RandomMessageFactory(int seed)
{
    private readonly Random _random = new(seed);

    public object Create(Type type, int depth = 0)
    {
        var instance = Activator.CreateInstance(type)!;
        foreach (var property in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
        {
            if (property.Name == "UnknownTaggedFields")
            {
                continue;
            }
            property.SetValue(instance, Value(property.PropertyType, depth));
        }
        return instance;
    }

    private object? Value(Type type, int depth)
    {
        var underlying = Nullable.GetUnderlyingType(type) ?? type;
        return underlying switch
        {
            _ when underlying == typeof(bool) => _random.Next(2) == 1,
            _ when underlying == typeof(sbyte) => (sbyte)_random.Next(sbyte.MinValue, sbyte.MaxValue),
            _ when underlying == typeof(short) => (short)_random.Next(short.MinValue, short.MaxValue),
            _ when underlying == typeof(ushort) => (ushort)_random.Next(ushort.MaxValue),
            _ when underlying == typeof(int) => _random.Next(int.MinValue, int.MaxValue),
            _ when underlying == typeof(uint) => (uint)_random.NextInt64(uint.MaxValue),
            _ when underlying == typeof(long) => _random.NextInt64(long.MinValue, long.MaxValue),
            _ when underlying == typeof(double) => _random.NextDouble() * 1e6,
            _ when underlying == typeof(Guid) => Guid.NewGuid(),
            _ when underlying == typeof(string) => RandomString(),
            _ when underlying == typeof(byte[]) => RandomBytes(),
            _ when underlying == typeof(ReadOnlyMemory<byte>) => (ReadOnlyMemory<byte>?)RandomBytes(),
            _ when underlying.IsGenericType && underlying.GetGenericTypeDefinition() == typeof(List<>) => List(underlying, depth),
            _ when typeof(IKafkaMessage).IsAssignableFrom(underlying) => Create(underlying, depth + 1),
            _ => throw new NotSupportedException(underlying.FullName),
        };
    }

    private IList List(Type listType, int depth)
    {
        var list = (IList)Activator.CreateInstance(listType)!;
        var count = depth > 3 ? 0 : _random.Next(3);
        for (var i = 0; i < count; i++)
        {
            list.Add(Value(listType.GetGenericArguments()[0], depth + 1));
        }
        return list;
    }

    private string RandomString()
    {
        var sb = new StringBuilder();
        var length = _random.Next(12);
        for (var i = 0; i < length; i++)
        {
            // Mostly ASCII with some multi-byte characters, so byte and char lengths differ.
            sb.Append(_random.Next(10) == 0 ? 'é' : (char)_random.Next('a', 'z' + 1));
        }
        return sb.ToString();
    }

    private byte[] RandomBytes()
    {
        var bytes = new byte[_random.Next(16)];
        _random.NextBytes(bytes);
        return bytes;
    }
}
