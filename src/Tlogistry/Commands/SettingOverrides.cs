using Tlogistry.Host;

namespace Tlogistry.Commands;

/// <summary>
/// Flags become configuration overrides under <see cref="TlogistryOptions.Section"/>, so every
/// flag is also a configuration key (appsettings.json, <c>Tlogistry__X</c> environment variables).
/// An empty or absent flag leaves the key to configuration.
/// </summary>
internal sealed class SettingOverrides
{
    public Dictionary<string, string?> Values { get; } = new(StringComparer.OrdinalIgnoreCase);

    /// <summary>Sets <c>Tlogistry:<paramref name="key"/></c> when <paramref name="value"/> is given.</summary>
    public void Set(string key, string? value)
    {
        if (value is { Length: > 0 })
        {
            Values[$"{TlogistryOptions.Section}:{key}"] = value;
        }
    }

    /// <summary>Sets <c>Tlogistry:<paramref name="key"/>:0</c>, <c>:1</c>, … from a repeatable flag.</summary>
    public void SetList(string key, string[]? values)
    {
        for (var i = 0; i < (values?.Length ?? 0); i++)
        {
            Values[$"{TlogistryOptions.Section}:{key}:{i}"] = values![i];
        }
    }
}
