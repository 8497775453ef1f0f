using System.Diagnostics.CodeAnalysis;

namespace Tlogistry.Fuzzing;

/// <summary>A parser returned normally but broke one of its documented properties.</summary>
internal sealed class PropertyViolation : Exception
{
    public PropertyViolation()
    {
    }

    public PropertyViolation(string message)
        : base(message)
    {
    }

    public PropertyViolation(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>Throws unless <paramref name="condition"/> holds.</summary>
    public static void Require([DoesNotReturnIf(false)] bool condition, string property)
    {
        if (!condition)
        {
            throw new PropertyViolation(property);
        }
    }
}
