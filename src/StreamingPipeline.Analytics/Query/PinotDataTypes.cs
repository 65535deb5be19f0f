using System.Collections;
using System.Numerics;

namespace StreamingPipeline.Analytics.Query;

/// <summary>Names a column's .NET type with Pinot's data type names (INT, LONG, FLOAT, DOUBLE, STRING, ...).</summary>
public static class PinotDataTypes
{
    /// <summary>The Pinot type name for values of <paramref name="type"/>; <paramref name="databaseTypeName"/> tells JSON from text.</summary>
    public static string Of(Type type, string? databaseTypeName = null)
    {
        ArgumentNullException.ThrowIfNull(type);
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type == typeof(string))
        {
            return databaseTypeName is not null && databaseTypeName.StartsWith("json", StringComparison.OrdinalIgnoreCase) ? "JSON" : "STRING";
        }
        if (type == typeof(byte[]))
        {
            return "BYTES";
        }
        if (type != typeof(string) && type.IsAssignableTo(typeof(IEnumerable)))
        {
            var element = type.IsArray ? type.GetElementType() : type.GetGenericArguments().FirstOrDefault();
            return element is null ? "STRING_ARRAY" : Of(element) + "_ARRAY";
        }
        return Type.GetTypeCode(type) switch
        {
            TypeCode.Boolean => "BOOLEAN",
            TypeCode.SByte or TypeCode.Byte or TypeCode.Int16 or TypeCode.UInt16 or TypeCode.Int32 => "INT",
            TypeCode.UInt32 or TypeCode.Int64 => "LONG",
            TypeCode.UInt64 or TypeCode.Decimal => "BIG_DECIMAL",
            TypeCode.Single => "FLOAT",
            TypeCode.Double => "DOUBLE",
            TypeCode.DateTime => "TIMESTAMP",
            _ when type == typeof(DateTimeOffset) => "TIMESTAMP",
            _ when type == typeof(BigInteger) || type == typeof(Int128) || type == typeof(UInt128) => "BIG_DECIMAL",
            _ => "STRING",
        };
    }
}
