namespace Tlogistry.Caching;

/// <summary>What common values take in memory on a 64-bit runtime, for the sizes a <see cref="ByteBoundedCache{TKey, TValue}"/> charges.</summary>
internal static class MemorySize
{
    /// <summary>An object's header and method table pointer, with room for a few fields.</summary>
    public const long Object = 32;

    /// <summary>An array's header and length.</summary>
    public const long ArrayHeader = 24;

    /// <summary>A string: UTF-16, two bytes a character, and its header.</summary>
    public static long Of(string? s) => s is null ? 0 : 24 + (2L * s.Length);

    public static long Of(byte[]? a) => a is null ? 0 : ArrayHeader + a.Length;

    /// <summary>A list of arrays: its own array of references and each array.</summary>
    public static long Of(IReadOnlyList<byte[]> arrays)
    {
        ArgumentNullException.ThrowIfNull(arrays);
        var bytes = ArrayHeader + (8L * arrays.Count);
        foreach (var a in arrays)
        {
            bytes += Of(a);
        }

        return bytes;
    }
}
